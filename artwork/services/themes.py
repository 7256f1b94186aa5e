"""Themes: the free tags on a programme's artwork. People type them as a comma-separated list; "Play  space"
and "play space" are one theme (Theme.key), spelled the way it was first written."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events.models import Programme

from ..models import Artwork, Theme

MAX_THEMES = 12
MAX_THEME_LENGTH = 60


def tidy_theme(name: str) -> str:
    """The theme as it will be shown: single spaces, no spaces at either end."""
    return " ".join(name.split())


def theme_key(name: str) -> str:
    """What makes two themes the same: case and spacing do not count."""
    return tidy_theme(name).lower()


def parse_themes(text: str) -> list[str]:
    """The themes in ``text`` (separated by commas, semicolons or new lines), tidied, each once, in the
    order written. Raises ValidationError, naming the theme at fault, for more than MAX_THEMES themes or
    one longer than MAX_THEME_LENGTH characters."""
    names: list[str] = []
    seen: set[str] = set()
    for part in (text or "").replace(";", ",").replace("\n", ",").split(","):
        name = tidy_theme(part)
        if not name or theme_key(name) in seen:
            continue
        seen.add(theme_key(name))
        names.append(name)
    check_themes(names)
    return names


def check_themes(names: list[str]) -> None:
    """Raise ValidationError for too many themes or a theme too long to keep."""
    errors = []
    if len(names) > MAX_THEMES:
        errors.append(
            ValidationError(
                ngettext(
                    "Please give at most %(max)d theme (you gave %(count)d).",
                    "Please give at most %(max)d themes (you gave %(count)d).",
                    MAX_THEMES,
                )
                % {"max": MAX_THEMES, "count": len(names)},
                code="too_many_themes",
            )
        )
    for name in names:
        if len(name) > MAX_THEME_LENGTH:
            shown = name if len(name) <= 40 else f"{name[:40]}…"
            errors.append(
                ValidationError(
                    _("“%(theme)s” is too long for a theme: please keep each one to %(max)d characters.")
                    % {"theme": shown, "max": MAX_THEME_LENGTH},
                    code="theme_too_long",
                )
            )
    if errors:
        raise ValidationError(errors)


def programme_theme_names(*, programme: Programme) -> list[str]:
    """The themes already used in this programme, to suggest for the next picture. One query."""
    return list(programme.themes.filter(artworks__isnull=False).distinct().values_list("name", flat=True))


@transaction.atomic
def set_themes(*, artwork: Artwork, names: list[str]) -> list[Theme]:
    """Give ``artwork`` exactly these themes, making the programme's Theme rows that do not exist yet (an
    existing theme keeps its first spelling). Validates the names first. Writes Theme rows and the
    artwork's theme links."""
    check_themes(names)
    programme_id = artwork.session.programme_id
    wanted = {theme_key(name): tidy_theme(name) for name in names}
    existing = {theme.key: theme for theme in Theme.objects.filter(programme_id=programme_id, key__in=wanted)}
    themes = []
    for key, name in wanted.items():
        theme = existing.get(key)
        if theme is None:
            theme, _created = Theme.objects.get_or_create(
                programme_id=programme_id, key=key, defaults={"name": name}
            )
        themes.append(theme)
    artwork.themes.set(themes)
    return themes
