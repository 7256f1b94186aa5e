"""What a workshop starts from: the all-day's themes and words, and what changed since the last one."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from artwork.enums import ImageState
from artwork.models import Artwork, Theme
from evaluations.services.words import WordCount, count_words
from events.enums import SessionKind
from events.models import Programme, Session

from ..enums import ActionStatus
from ..models import Action, ActionUpdate

# --- Sessions: the all-day, and the workshop before this one ---------------------------------------------


def all_day_of(*, programme: Programme) -> Session | None:
    """The programme's all-day workshop (the first one, if there were ever more), not cancelled."""
    return (
        programme.sessions.active()
        .filter(kind=SessionKind.ALL_DAY)
        .order_by("date", "start_time", "pk")
        .first()
    )


def previous_session(*, session: Session) -> Session | None:
    """The workshop held before ``session`` in its programme (cancelled ones do not count)."""
    return (
        session.programme.sessions.active()
        .filter(Q(date__lt=session.date) | Q(date=session.date, start_time__lt=session.start_time))
        .exclude(pk=session.pk)
        .order_by("-date", "-start_time", "-pk")
        .first()
    )


def is_first_half_day(*, session: Session, previous: Session | None) -> bool:
    return session.kind == SessionKind.HALF_DAY and (
        previous is None or previous.kind != SessionKind.HALF_DAY
    )


def most_said_words(*, session: Session | None, limit: int = 12) -> list[WordCount]:
    """The words said most at ``session`` (the all-day), most first (one query)."""
    if session is None:
        return []
    return count_words(sessions=[session])[:limit]


def themes_with_artwork(*, programme: Programme, thumbnails: int = 2) -> list[Theme]:
    """The programme's themes, each with ``artwork_count`` and ``pictures`` (up to ``thumbnails`` of its
    ready artwork that has a thumbnail and a description). Two queries."""
    themes: list[Theme] = list(
        Theme.objects.filter(programme=programme).annotate(artwork_count=Count("artworks", distinct=True))
    )
    pictures: dict[int, list[Artwork]] = {theme.pk: [] for theme in themes}
    through = Artwork.themes.through
    links = (
        through.objects.filter(theme__programme=programme, artwork__state=ImageState.READY)
        .exclude(artwork__thumbnail="")
        .exclude(artwork__description="")
        .select_related("artwork")
        .order_by("artwork__created_at", "artwork__pk")
    )
    for link in links:
        if len(pictures[link.theme_id]) < thumbnails:
            pictures[link.theme_id].append(link.artwork)
    for theme in themes:
        theme.pictures = pictures[theme.pk]  # type: ignore[attr-defined]
    return themes


# --- What changed since the last workshop ---------------------------------------------------------------


@dataclass
class Change:
    """One action as the next workshop sees it: new since then, its updates since then, or no change."""

    action: Action
    new: bool
    updates: list[ActionUpdate] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not self.new and not self.updates

    @property
    def status_before(self) -> str | None:
        """The status at the last workshop, when it has changed since."""
        moved = [u for u in self.updates if u.status_before != u.status_after]
        if moved and moved[0].status_before != self.action.status:
            return str(ActionStatus(moved[0].status_before).label)
        return None


def since_of(previous: Session | None) -> datetime | None:
    """Changes count from the start of the previous workshop's day (local time)."""
    if previous is None:
        return None
    return timezone.make_aware(datetime.combine(previous.date, datetime.min.time()))


def changes_since(*, actions: list[Action], previous: Session | None) -> list[Change]:
    """For each action (loaded with ``programme_actions``): is it new since the previous workshop (and was
    not raised at it), and its updates since then. No queries."""
    since = since_of(previous)
    changes = []
    for action in actions:
        if since is None:
            changes.append(Change(action=action, new=True))
            continue
        new = action.created_at >= since and (previous is None or action.session_id != previous.pk)
        updates = [update for update in action.updates.all() if update.created_at >= since]
        changes.append(Change(action=action, new=new, updates=updates))
    return changes
