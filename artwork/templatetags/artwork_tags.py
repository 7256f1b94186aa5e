"""Small template helpers for pictures: alternative text, and the counts the session and programme pages
show in their panels (one or two queries each, however many pictures there are)."""

from django import template
from django.utils.translation import gettext as _

from events.models import Programme, Session

from ..enums import ImageState, Visibility
from ..models import Artwork

register = template.Library()

PREVIEW_COUNT = 4


@register.filter
def alt_text(artwork: Artwork) -> str:
    """What a picture shows, for its ``alt``; a clear stand-in until someone has described it."""
    if artwork.is_described:
        return artwork.description
    artist = artwork.artist
    if artist is not None:
        name = artist.get_full_name() or artist.get_username()
        return _("Picture by %(name)s, not described yet") % {"name": name}
    return _("A picture not described yet")


@register.simple_tag
def session_pictures(session: Session) -> dict:
    """How many pictures a session has and the first few ready ones, in gallery order (two queries)."""
    artworks = Artwork.objects.filter(session=session)
    preview = list(
        artworks.filter(state=ImageState.READY)
        .exclude(thumbnail="")
        .select_related("artist")
        .in_gallery_order()[:PREVIEW_COUNT]
    )
    return {"count": artworks.count(), "preview": preview}


@register.simple_tag
def programme_picture_count(programme: Programme) -> int:
    """How many pictures the programme's sessions have, for the team (one query)."""
    return Artwork.objects.filter(session__programme=programme).count()


@register.simple_tag
def has_shared_pictures(programme: Programme) -> bool:
    """Whether people taking part have any pictures of this programme to see (one query)."""
    return (
        Artwork.objects.filter(session__programme=programme).beyond_the_team(Visibility.PARTICIPANTS).exists()
    )
