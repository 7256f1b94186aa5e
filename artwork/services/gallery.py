"""Galleries: which artwork shows where and in what order, saying what a picture shows, arranging the
team's gallery (order and pins) and deleting pictures.

Order: within a session, pinned pictures first, then by position (then upload time); the programme's
gallery goes session by session. What people outside the team may see is decided only by
ArtworkQuerySet.beyond_the_team."""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.users import User
from events.models import Programme, Session

from .. import rules as artwork_rules
from ..enums import Visibility
from ..models import MAX_DESCRIPTION, Artwork, Theme
from . import themes as theme_services

TITLE_MAX: int = Artwork._meta.get_field("title").max_length or 120
PROGRAMME_ORDER = ("session__order", "session__date", "session_id", "-pinned", "position", "created_at", "pk")


def _with_everything_shown(artworks: QuerySet[Artwork]) -> QuerySet[Artwork]:
    # What a gallery shows for each picture, in a fixed number of queries however many there are.
    return artworks.select_related("session", "artist").prefetch_related("themes")


def team_gallery(
    *, programme: Programme | None = None, session: Session | None = None, theme: str = ""
) -> QuerySet[Artwork]:
    """Every picture of a session or a programme, for the team: not yet described, being prepared and
    failed ones too, in gallery order, optionally only those with the theme whose key is ``theme``."""
    if session is not None:
        artworks = Artwork.objects.filter(session=session).in_gallery_order()
    else:
        artworks = Artwork.objects.filter(session__programme=programme).order_by(*PROGRAMME_ORDER)
    if theme:
        artworks = artworks.filter(themes__key=theme)
    return _with_everything_shown(artworks)


def shared_gallery(*, programme: Programme, visibility: str, theme: str = "") -> QuerySet[Artwork]:
    """The programme's pictures that may be shown to people taking part (``Visibility.PARTICIPANTS``) or
    to everyone (``Visibility.EVERYONE``): never one kept for the team, not yet described, or showing
    people who have not agreed."""
    artworks = (
        Artwork.objects.filter(session__programme=programme)
        .beyond_the_team(visibility)
        .order_by(*PROGRAMME_ORDER)
    )
    if theme:
        artworks = artworks.filter(themes__key=theme)
    return _with_everything_shown(artworks)


def gallery_themes(artworks: QuerySet[Artwork]) -> list[Theme]:
    """The themes used by these pictures (for the filter links), each once, by name. One query."""
    return list(
        Theme.objects.filter(artworks__in=artworks.order_by().values("pk")).distinct().order_by("name")
    )


def editable_ids(*, user: User | AnonymousUser, programme: Programme, artworks: list[Artwork]) -> set[int]:
    """The pictures in ``artworks`` this user may change (artwork.change_artwork), checked with one query
    for the whole list instead of one per picture. Must agree with artwork/rules.py."""
    if user.has_perm("artwork.arrange_gallery", programme):  # admin or runs the programme
        return {artwork.pk for artwork in artworks}
    if not user.is_authenticated:
        return set()
    return {artwork.pk for artwork in artworks if artwork_rules.made_it(user, artwork)}


@dataclass(frozen=True)
class Neighbours:
    previous: Artwork | None
    next: Artwork | None
    number: int
    total: int


def neighbours(*, artwork: Artwork, artworks: QuerySet[Artwork]) -> Neighbours:
    """The pictures before and after ``artwork`` in ``artworks`` (already in gallery order)."""
    pks = list(artworks.prefetch_related(None).values_list("pk", flat=True))
    if artwork.pk not in pks:
        return Neighbours(previous=None, next=None, number=0, total=len(pks))
    index = pks.index(artwork.pk)
    previous_pk = pks[index - 1] if index > 0 else None
    next_pk = pks[index + 1] if index + 1 < len(pks) else None
    found = Artwork.objects.in_bulk([pk for pk in (previous_pk, next_pk) if pk])
    return Neighbours(
        previous=found.get(previous_pk),
        next=found.get(next_pk),
        number=index + 1,
        total=len(pks),
    )


@transaction.atomic
def describe_artwork(
    *,
    artwork: Artwork,
    title: str,
    description: str,
    themes: list[str],
    shows_people: bool,
    people_agreed: bool,
    visibility: str,
    by: User | None,
) -> Artwork:
    """Say what a picture shows and who may see it. Raises ValidationError (keyed by field) for a missing
    or too long description or title, bad themes, an unknown visibility, or sharing beyond the team a
    picture of people who have not agreed; PermissionDenied if ``by`` (the person doing it, when there is
    one) may not change it. Saves the artwork and its themes (making new Theme rows)."""
    if by is not None and not by.has_perm("artwork.change_artwork", artwork):
        raise PermissionDenied
    errors: dict[str, list] = {}
    title = (title or "").strip()
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("Please say what the picture shows, in words.")]
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = [
            _("Please keep this to %(max)d characters (it has %(count)d).")
            % {"max": MAX_DESCRIPTION, "count": len(description)}
        ]
    if len(title) > TITLE_MAX:
        errors["title"] = [_("Please keep the title to %(max)d characters.") % {"max": TITLE_MAX}]
    try:
        theme_services.check_themes(themes)
    except ValidationError as error:
        errors["themes"] = error.messages
    if visibility not in Visibility.values:
        errors["visibility"] = [_("Please choose who may see it.")]
    elif visibility != Visibility.TEAM and shows_people and not people_agreed:
        errors["visibility"] = [
            _(
                "People can be recognised in this picture and have not agreed to it being shared, "
                "so it stays with the team."
            )
        ]
    if errors:
        raise ValidationError(errors)
    artwork.title = title
    artwork.description = description
    artwork.shows_people = shows_people
    artwork.people_agreed = people_agreed and shows_people
    artwork.visibility = visibility
    artwork.save(
        update_fields=["title", "description", "shows_people", "people_agreed", "visibility", "updated_at"]
    )
    theme_services.set_themes(artwork=artwork, names=themes)
    return artwork


@transaction.atomic
def move_artwork(*, artwork: Artwork, direction: str) -> bool:
    """Swap a picture with the one before ("up") or after ("down") it in its session's gallery, among
    pictures pinned alike, and number the session's positions 0, 1, 2… again. Returns False, changing
    nothing, when it is already first or last. Locks the session's artwork rows while it works."""
    if direction not in ("up", "down"):
        raise ValueError(direction)
    ordered = list(
        Artwork.objects.select_for_update().filter(session_id=artwork.session_id).in_gallery_order()
    )
    index = next(i for i, other in enumerate(ordered) if other.pk == artwork.pk)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(ordered) or ordered[other_index].pinned != ordered[index].pinned:
        return False
    ordered[index], ordered[other_index] = ordered[other_index], ordered[index]
    changed = []
    for position, each in enumerate(ordered):
        if each.position != position:
            each.position = position
            changed.append(each)
    Artwork.objects.bulk_update(changed, ["position"])
    return True


def pin_artwork(*, artwork: Artwork, pinned: bool) -> None:
    """Pin a picture to the top of its gallery, or unpin it. Saves the artwork."""
    artwork.pinned = pinned
    artwork.save(update_fields=["pinned", "updated_at"])


def delete_artwork(*, artwork: Artwork) -> None:
    """Delete a picture and, once that is committed, its files (original, display size, thumbnail)."""
    files = [field for field in (artwork.original, artwork.display, artwork.thumbnail) if field]
    stored = [(field.storage, field.name) for field in files]
    with transaction.atomic():
        artwork.delete()
        transaction.on_commit(lambda: [storage.delete(name) for storage, name in stored])
