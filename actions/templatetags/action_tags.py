"""Small helpers for the actions templates, and the panels other pages include."""

from django import template
from django.db.models import Count, Q

from events.enums import SessionKind

from ..enums import ActionStatus
from ..models import Action
from ..services import reading
from ..services.planning import SHORT_GROUP_LABELS
from ..services.reading import group_of

register = template.Library()


@register.filter
def group_label(invitation) -> str:
    """ "Parent", "School staff" or "Local group" for an action's lead."""
    return str(SHORT_GROUP_LABELS.get(group_of(invitation), ""))


@register.simple_tag
def programme_leadership(programme):
    """The counts for the programme page's panel: actions in all, and who leads them (one query)."""
    counts = reading.leadership(programme=programme)
    return {"counts": counts, "total": sum(count.count for count in counts)}


@register.simple_tag
def session_action_counts(session):
    """For a half-day's panel: the actions raised at it, the programme's actions in all, and how many are
    under way or done (one query). None for other sessions."""
    if session.kind != SessionKind.HALF_DAY:
        return None
    return Action.objects.filter(programme_id=session.programme_id).aggregate(
        total=Count("pk"),
        raised_here=Count("pk", filter=Q(session=session)),
        moving=Count("pk", filter=Q(status__in=[ActionStatus.UNDER_WAY, ActionStatus.DONE])),
    )
