"""Reading a programme's actions for its pages and record: the list, who leads them, the CSV."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from core.csvsafe import csv_text
from events.models import Programme
from invitations.enums import BALANCE_GROUPS, GROUP_OF_CATEGORY, group_label
from invitations.models import Invitation

from ..models import Action, ActionUpdate

NOBODY = "nobody"


# --- Reading: the programme's actions and who leads them ------------------------------------------------


def programme_actions(*, programme: Programme) -> list[Action]:
    """The programme's actions in the order they were raised, with their lead (invitee and organisation),
    themes, pictures and updates (oldest first) loaded. Reads only."""
    return list(
        Action.objects.filter(programme=programme)
        .select_related("lead__invitee__organisation", "session")
        .prefetch_related(
            "themes",
            "artworks",
            Prefetch("updates", queryset=ActionUpdate.objects.order_by("created_at", "pk")),
        )
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class LeadCount:
    """How many of a programme's actions one balance group leads (``key`` "nobody": without a lead)."""

    key: str
    label: str
    count: int


def group_of(invitation: Invitation | None) -> str:
    """The balance group key of an action's lead, or "nobody"."""
    if invitation is None:
        return NOBODY
    return invitation.invitee.balance_group or NOBODY


def leadership(*, programme: Programme) -> list[LeadCount]:
    """Actions led by parents, school staff and groups, then those without a lead (one query)."""
    rows = (
        Action.objects.filter(programme=programme)
        .order_by()
        .values_list("lead__invitee__category")
        .annotate(count=Count("pk"))
    )
    counts: Counter[str] = Counter()
    for category, count in rows:
        counts[GROUP_OF_CATEGORY.get(category, NOBODY) if category else NOBODY] += count
    return _lead_counts(counts)


def leadership_from(actions: list[Action]) -> list[LeadCount]:
    """``leadership`` for actions already loaded with their lead (no queries)."""
    return _lead_counts(Counter(group_of(action.lead) for action in actions))


def _lead_counts(counts: Counter[str]) -> list[LeadCount]:
    return [LeadCount(key=key, label=group_label(key), count=counts[key]) for key in BALANCE_GROUPS] + [
        LeadCount(key=NOBODY, label=str(_("Nobody yet")), count=counts[NOBODY])
    ]


def leadership_warnings(counts: list[LeadCount]) -> list[str]:
    """Plain sentences when leadership is not shared: a group that leads nothing, or one that leads more
    than half of the actions that have a lead. Nothing to say while no action has a lead."""
    groups = [count for count in counts if count.key != NOBODY]
    led = sum(count.count for count in groups)
    if not led:
        return []
    warnings = []
    for count in groups:
        if count.count == 0:
            warnings.append(_("%(group)s do not lead any action yet.") % {"group": count.label})
        elif count.count * 2 > led:
            warnings.append(
                _("%(group)s lead more than half of the actions. Could someone else share the lead?")
                % {"group": count.label}
            )
    return warnings


# --- The record -----------------------------------------------------------------------------------------


def actions_csv(*, programme: Programme) -> str:
    """The programme's actions as a CSV file (text, formulas neutralised)."""
    header = [
        _("What"),
        _("Why"),
        _("Themes"),
        _("Who leads it"),
        _("Their group"),
        _("Who helps"),
        _("By when"),
        _("First step"),
        _("Status"),
        _("Latest update"),
        _("Updated"),
    ]
    rows = []
    for action in programme_actions(programme=programme):
        updates = list(action.updates.all())
        latest = updates[-1] if updates else None
        group = group_of(action.lead)
        rows.append(
            [
                action.what,
                action.why,
                "; ".join(theme.name for theme in action.themes.all()),
                action.lead.invitee.name if action.lead else "",
                group_label(group),
                action.helpers,
                action.due.isoformat() if action.due else "",
                action.first_step,
                action.get_status_display(),
                latest.text if latest else "",
                timezone.localtime(action.updated_at).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    return csv_text([str(cell) for cell in header], rows)
