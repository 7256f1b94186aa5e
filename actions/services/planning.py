"""Planning actions: who may lead them, saving an action, recording an update."""

from collections.abc import Iterable
from datetime import date

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from artwork.models import Artwork, Theme
from events.models import Programme, Session
from invitations.enums import Answer
from invitations.models import Invitation

from ..enums import NEEDS_A_LEAD, ActionStatus, UpdateSource
from ..models import Action, ActionUpdate
from .links import revoke_other_leads_links
from .workshop import all_day_of

# Short labels for a participant in the "who leads it" list: "Amina Khan — Parent".
SHORT_GROUP_LABELS = {
    "parents": gettext_lazy("Parent"),
    "school_staff": gettext_lazy("School staff"),
    "groups": gettext_lazy("Local group"),
}


# --- Who can lead ----------------------------------------------------------------------------------------


def participants(*, programme: Programme) -> QuerySet[Invitation]:
    """People on the programme's list who came to one of its sessions or said they are coming to one."""
    from evaluations.models import Attendance

    came = Attendance.objects.filter(session__programme=programme).values("invitation_id")
    coming = Invitation.objects.filter(
        programme=programme,
        reply__answers__answer=Answer.YES,
        reply__answers__session__programme=programme,
    ).values("pk")
    return (
        Invitation.objects.filter(programme=programme)
        .filter(Q(pk__in=came) | Q(pk__in=coming))
        .select_related("invitee__organisation")
        .order_by("invitee__name", "pk")
    )


def participant_label(invitation: Invitation) -> str:
    """ "Amina Khan — Parent"."""
    group = SHORT_GROUP_LABELS.get(invitation.invitee.balance_group)
    return f"{invitation.invitee.name} — {group}" if group else invitation.invitee.name


# --- Changing: actions and updates ----------------------------------------------------------------------


def check_lengths(instance: models.Model, names: list[str]) -> None:
    """Raise ValidationError (by field) for text longer than the model allows. Model validation checks
    CharFields but not TextFields' max_length, which only the form widget knows about."""
    errors = {}
    for name in names:
        limit = getattr(type(instance)._meta.get_field(name), "max_length", None)
        value = getattr(instance, name) or ""
        if limit and len(value) > limit:
            errors[name] = _("Please keep this to %(limit)s characters (it has %(count)s).") % {
                "limit": limit,
                "count": len(value),
            }
    if errors:
        raise ValidationError(errors)


def check_action(
    *,
    programme: Programme,
    status: str,
    lead: Invitation | None,
    due: date | None,
    themes: list[Theme],
    artworks: list[Artwork],
) -> None:
    """Raise ValidationError (by field) if the action cannot be saved like this."""
    errors: dict[str, str] = {}
    if lead is None and status in NEEDS_A_LEAD:
        errors["lead"] = _(
            "Choose who leads it. An action can be kept as an idea without a lead, but once it is "
            "agreed someone needs to lead it."
        )
    elif lead is not None and not participants(programme=programme).filter(pk=lead.pk).exists():
        errors["lead"] = _(
            "Choose someone taking part in this programme: they came to a workshop or said they are coming."
        )
    all_day = all_day_of(programme=programme)
    if due is not None and all_day is not None and due < all_day.date:
        errors["due"] = _("Choose a date after the all-day workshop (%(date)s).") % {
            "date": all_day.date.strftime("%d/%m/%Y")
        }
    if any(theme.programme_id != programme.pk for theme in themes):
        errors["themes"] = _("Choose themes from this programme.")
    if any(artwork.session.programme_id != programme.pk for artwork in artworks):
        errors["artworks"] = _("Choose pictures from this programme.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_action(
    *,
    programme: Programme,
    action: Action | None = None,
    session: Session | None = None,
    what: str,
    why: str = "",
    themes: Iterable[Theme] = (),
    artworks: Iterable[Artwork] = (),
    lead: Invitation | None = None,
    helpers: str = "",
    due: date | None = None,
    first_step: str = "",
    status: str = ActionStatus.IDEA,
    user: User | None = None,
) -> Action:
    """Create an action (``action`` None) or change one, with its themes and pictures, in one transaction.
    A status change made here is recorded as an update so that the next workshop sees it. A change of
    lead switches off, for good, every link the earlier leads were given (links.revoke_other_leads_links).
    Raises ValidationError (by field) and saves nothing when the lead, status, date or links do not fit."""
    theme_list, artwork_list = list(themes), list(artworks)
    check_action(
        programme=programme, status=status, lead=lead, due=due, themes=theme_list, artworks=artwork_list
    )
    creating = action is None
    if action is None:
        action = Action(programme=programme, session=session, created_by=user)
    status_before, lead_before = action.status, action.lead_id
    action.what, action.why, action.lead, action.helpers = what, why, lead, helpers
    action.due, action.first_step, action.status = due, first_step, status
    check_lengths(action, ["what", "why", "helpers", "first_step"])
    action.full_clean(exclude=["programme", "session", "created_by"])
    action.save()
    action.themes.set(theme_list)
    action.artworks.set(artwork_list)
    if not creating and lead_before != action.lead_id:
        revoke_other_leads_links(action=action)
    if not creating and status_before != status:
        ActionUpdate.objects.create(
            action=action,
            text=_("Status changed to “%(status)s”.") % {"status": action.get_status_display()},
            status_before=status_before,
            status_after=status,
            source=UpdateSource.TEAM,
            author=user,
        )
    return action


# The statuses a lead may choose from their link.
LEAD_STATUSES = (ActionStatus.UNDER_WAY, ActionStatus.DONE, ActionStatus.PAUSED)


@transaction.atomic
def add_update(
    *,
    action: Action,
    text: str,
    status: str = "",
    source: str = UpdateSource.TEAM,
    author: User | None = None,
) -> ActionUpdate:
    """Record a short update on an action and, if ``status`` is given, its new status (before and after are
    kept on the update). The action row is locked so two updates at once keep a true "before". Raises
    ValidationError when the text is empty or too long, or the status not one of ours; nothing is saved
    then. A new status that needs a lead is refused while the action has none."""
    locked = Action.objects.select_for_update().get(pk=action.pk)
    status_before = locked.status
    status_after = status or status_before
    if status_after not in ActionStatus.values:
        raise ValidationError({"status": _("Choose one of the statuses in the list.")})
    if status_after in NEEDS_A_LEAD and locked.lead_id is None and status_after != status_before:
        raise ValidationError({"status": _("Choose who leads it first (edit the action), then change this.")})
    update = ActionUpdate(
        action=locked,
        text=text.strip(),
        status_before=status_before,
        status_after=status_after,
        source=source,
        author=author,
    )
    check_lengths(update, ["text"])
    update.full_clean(exclude=["action", "author"])
    update.save()
    if status_after != status_before:
        locked.status = status_after
    locked.save(update_fields=["status", "updated_at"])  # the action shows it was touched
    action.status, action.updated_at = locked.status, locked.updated_at
    return update
