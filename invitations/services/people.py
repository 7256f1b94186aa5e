"""A person's details and their place on a programme's list (issue 17, parts 1–2): editing someone
(one Invitee, so every programme of the neighbourhood they are on sees the change), their history and
undoing a line of it, and taking someone off one programme's list and putting them back.

**History.** Every change to a person is a line of their history (models.PersonChange: who, when, what
as {field: [before, after]}), written by ``record_change`` in the transaction that makes the change: an
edit here, the Fix page (invitees.update_contact, which comes through ``change_details``), a CSV
import's updates (csv_import.apply_updates), a removal, a put back, a merge (services.merge).

**One path for a change of details.** ``change_details`` is the only place a person's details are
changed: the edit page, the Fix page, an undo and a file's updates (csv_import.apply_updates) all come
through it, so each gets the same checks (services.invitees.person_problems, Invitee.clean, one email
per person in the neighbourhood), the same rules for a changed email or mobile (its "not working" mark
cleared, the way a bounce took away put back, ``contact_changed_at``), a line of history, and a re-plan
of that person's messages only.

**Removed.** A removed invitation (``removed_at``) is treated like one whose person opted out wherever
messages are planned or sent and wherever lists of people to contact are made: the schedule
(schedule.plan_for), the check before sending (kinds.still_wanted), a reply's confirmation, letters,
change notices, the call list, records' thank-you and a lead's link. What happened keeps them: their
answers to sessions that have started and their attendance stay in the counts, and their words are
theirs. Who is coming to a session still to come leaves them out (services.sheets).
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import Message
from core.outbox import send_soon
from core.users import User
from events.enums import ProgrammeStatus
from events.models import Organisation, Programme, Session

from ..enums import LANGUAGES, Category, Channel, MessageKind, MessageState, PersonEvent, StaffRole
from ..models import Invitation, Invitee, PersonChange, Reply, SessionAnswer
from .invitees import EMAIL_TAKEN, Scope, person_problems, scope_for, written_mobile
from .schedule import sync_schedule
from .status import current_changes

# What the edit page changes, in the order the page and the history show them.
EDITABLE = (
    "name",
    "category",
    "staff_role",
    "organisation",
    "email",
    "mobile",
    "texts_agreed",
    "phone",
    "language",
    "channel",
    "texts_too",
    "interpreter",
    "address",
    "notes",
)
# What a changed email or mobile changes with it (the Fix page's rules). Kept in the history too, so
# undoing the change puts back the "not working" mark and the way a bounce had left them on.
FOLLOWING = ("email_failed", "mobile_failed", "fell_back_from")
# Every field a line of history may be about: a school's export also says how many adults are at home.
TRACKED = (*EDITABLE, "adults_at_home", *FOLLOWING)

LABELS: dict[str, Promise] = {
    "name": gettext_lazy("Name"),
    "category": gettext_lazy("Who they are"),
    "staff_role": gettext_lazy("Role at school"),
    "organisation": gettext_lazy("Organisation or school"),
    "email": gettext_lazy("Email address"),
    "mobile": gettext_lazy("Mobile number"),
    "texts_agreed": gettext_lazy("Agreed to text messages"),
    "phone": gettext_lazy("Phone"),
    "language": gettext_lazy("Preferred language"),
    "channel": gettext_lazy("How we reach them"),
    "texts_too": gettext_lazy("Text messages as well"),
    "interpreter": gettext_lazy("Needs an interpreter"),
    "address": gettext_lazy("Home address"),
    "notes": gettext_lazy("Notes"),
    "adults_at_home": gettext_lazy("Adults at home"),
    "email_failed": gettext_lazy("Email not working"),
    "mobile_failed": gettext_lazy("Mobile not working"),
    "fell_back_from": gettext_lazy("Moved from (after a bounce)"),
}
# The lines an undo can take back: changes of details. A removal is undone by putting back.
UNDOABLE = (PersonEvent.EDITED, PersonEvent.IMPORTED)


# --- The history ----------------------------------------------------------------------------------------


def stored_value(invitee: Invitee, name: str) -> object:
    """A field's value as the history keeps it: the organisation by its id, the rest as they are."""
    return invitee.organisation_id if name == "organisation" else getattr(invitee, name)


def snapshot(invitee: Invitee) -> dict[str, object]:
    """Every field a line of history may be about, as stored (before a change, and after it)."""
    return {name: stored_value(invitee, name) for name in TRACKED}


def differences(before: dict[str, object], after: dict[str, object]) -> dict[str, list[object]]:
    """{field: [before, after]} for each field of ``before`` whose value is not the same in ``after``."""
    return {
        name: [value, after[name]] for name, value in before.items() if name in after and after[name] != value
    }


def record_change(
    *,
    invitee: Invitee,
    event: str,
    by: User | None,
    fields: dict[str, list[object]] | None = None,
    programme: Programme | None = None,
    note: str = "",
) -> PersonChange | None:
    """Write one line of ``invitee``'s history, in the caller's transaction: ``event`` (PersonEvent),
    ``fields`` as {field name: [before, after]} with stored values (``differences(snapshot(…), …)``),
    the programme whose list it happened on, if any, and a short ``note`` (a merge: the other person).
    A field whose before and after are the same is left out; an edit or an import that changed nothing
    writes no line (None)."""
    fields = {name: pair for name, pair in (fields or {}).items() if pair[0] != pair[1]}
    if event in UNDOABLE and not fields:
        return None
    return PersonChange.objects.create(
        invitee=invitee,
        event=event,
        fields=fields,
        by=by if by is not None and by.is_authenticated else None,
        programme=programme,
        note=note[:300],
    )


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryLine:
    change: PersonChange
    fields: list[FieldChange]
    undoable: bool


def _readable(name: str, value: object, organisations: dict[int, str]) -> str:
    """A stored value as the page shows it: labels, not codes; a school's name, not its id."""
    if value is None or value == "":
        return str(_("(none)"))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if name == "organisation" and isinstance(value, int):
        return organisations.get(value, str(_("an organisation no longer in the neighbourhood")))
    if name == "mobile":
        return written_mobile(str(value))
    choices: dict[str, list[tuple[str, Any]]] = {
        "category": Category.choices,
        "staff_role": StaffRole.choices,
        "language": LANGUAGES,
        "channel": Channel.choices,
        "fell_back_from": Channel.choices,
    }
    return str(dict(choices.get(name, [])).get(str(value), value))


def history(*, invitee: Invitee) -> list[HistoryLine]:
    """The person's history, newest first, readable: field labels, and values as the pages say them.
    Two queries however long it is (the lines with who made them, and the organisations they name)."""
    changes = list(invitee.history.select_related("by", "programme"))
    organisation_ids = {
        value
        for change in changes
        for value in change.fields.get("organisation", [])
        if isinstance(value, int)
    }
    organisations = (
        dict(Organisation.objects.filter(pk__in=organisation_ids).values_list("pk", "name"))
        if organisation_ids
        else {}
    )
    lines = []
    for change in changes:
        fields = [
            FieldChange(
                label=str(LABELS.get(name, name)),
                before=_readable(name, values[0], organisations),
                after=_readable(name, values[1], organisations),
            )
            for name, values in sorted(
                change.fields.items(),
                key=lambda item: TRACKED.index(item[0]) if item[0] in TRACKED else len(TRACKED),
            )
            if isinstance(values, list) and len(values) == 2
        ]
        lines.append(
            HistoryLine(
                change=change,
                fields=fields,
                undoable=change.event in UNDOABLE and change.undone_at is None and bool(fields),
            )
        )
    return lines


# --- Changing someone's details -------------------------------------------------------------------------


def _set(person: Invitee, name: str, value: object) -> None:
    if name != "organisation":
        setattr(person, name, value)
    elif value is None or isinstance(value, Organisation):
        person.organisation = value
    else:  # an id, from the history
        organisation = Organisation.objects.filter(pk=int(str(value))).first()
        if organisation is None:
            raise ValidationError({"organisation": _("That organisation is no longer in the neighbourhood.")})
        person.organisation = organisation


def _follow_contact(person: Invitee, *, before: dict[str, object], asked: set[str]) -> None:
    """What a changed email or mobile changes with it, as the Fix page has always done, for what the
    caller did not set itself: its "not working" mark goes, and someone a bounce moved to another way
    (``fell_back_from``) goes back to it once it works again; texts as well stop with no number or
    agreement for them left; ``contact_changed_at`` says a provider's word on an earlier message is
    about the old address."""
    email_changed = person.email.lower() != str(before["email"]).lower()
    mobile_changed = person.mobile != before["mobile"]
    if email_changed or mobile_changed:
        person.contact_changed_at = timezone.now()
    if email_changed and "email_failed" not in asked:
        person.email_failed = ""
    if mobile_changed and "mobile_failed" not in asked:
        person.mobile_failed = ""
    if "texts_too" not in asked and person.texts_too and not (person.mobile and person.texts_agreed):
        person.texts_too = False
    if (
        (email_changed or mobile_changed)
        and person.fell_back_from
        and not {"channel", "fell_back_from"} & asked
    ):
        if person.way_works(person.fell_back_from):
            person.channel, person.fell_back_from = person.fell_back_from, ""
        elif (person.fell_back_from == Channel.EMAIL and not person.email) or (
            person.fell_back_from == Channel.SMS and not person.mobile
        ):
            person.fell_back_from = ""  # the address or number is gone: there is nothing to go back to


def _check(person: Invitee, *, before: dict[str, object], scope: Scope | None) -> None:
    """The rules a person must keep, as for adding one (person_problems, then Invitee.clean), and what a
    school coordinator may choose (``scope``): their own school, parents, carers and staff. Raises a
    ValidationError by field."""
    details = {name: getattr(person, name) for name in EDITABLE if name != "organisation"}
    details["organisation"] = person.organisation
    errors: dict[str, list[str]] = {}
    for field, reason in person_problems(details, scope=Scope(runs=True)):
        errors.setdefault(field, []).append(reason)
    if scope is not None and not scope.runs:
        if person.category != before["category"] and person.category not in (
            Category.PARENT,
            Category.SCHOOL_STAFF,
        ):
            errors.setdefault("category", []).append(
                _("Schools add their own parents, carers and staff; the facilitator adds groups.")
            )
        if person.organisation_id != before["organisation"] and person.organisation not in scope.schools:
            names = ", ".join(school.name for school in scope.schools)
            errors.setdefault("organisation", []).append(
                _("You can choose your own school only (%(names)s).") % {"names": names}
            )
    if errors:
        raise ValidationError(errors)
    person.full_clean(
        exclude=["neighbourhood", "added_by"], validate_unique=False, validate_constraints=False
    )
    if (
        person.email
        and person.email.lower() != str(before["email"]).lower()
        and Invitee.objects.filter(neighbourhood_id=person.neighbourhood_id, email__iexact=person.email)
        .exclude(pk=person.pk)
        .exists()
    ):
        raise ValidationError({"email": str(EMAIL_TAKEN)})


def replan(*, invitee: Invitee) -> None:
    """Re-plan this person's messages only, on every programme of theirs that has not finished (a draft's
    rows wait unsent, but the list shows them): a few queries per programme, however long its list."""
    for invitation in invitee.invitations.exclude(programme__status=ProgrammeStatus.FINISHED).select_related(
        "programme"
    ):
        sync_schedule(programme=invitation.programme, only=[invitation.pk])


def replan_people(*, invitee_ids: Collection[int], skip: Programme | None = None) -> None:
    """``replan`` for many people at once (a file's updates): on each programme of theirs that has not
    finished, but ``skip`` (which the caller brings in line itself), one sync_schedule for all of them
    there, so the cost grows with their programmes, not with the people."""
    invitations = Invitation.objects.filter(invitee_id__in=list(invitee_ids)).exclude(
        programme__status=ProgrammeStatus.FINISHED
    )
    if skip is not None:
        invitations = invitations.exclude(programme=skip)
    by_programme: dict[int, list[int]] = {}
    programmes: dict[int, Programme] = {}
    for invitation in invitations.select_related("programme").order_by("programme_id", "pk"):
        by_programme.setdefault(invitation.programme_id, []).append(invitation.pk)
        programmes[invitation.programme_id] = invitation.programme
    for programme_id, ids in by_programme.items():
        sync_schedule(programme=programmes[programme_id], only=ids)


@transaction.atomic
def change_details(
    *,
    invitee: Invitee,
    changes: dict[str, object],
    by: User,
    scope: Scope | None,
    event: str = PersonEvent.EDITED,
    programme: Programme | None = None,
    note: str = "",
    replan_now: bool = True,
) -> tuple[Invitee, PersonChange | None]:
    """Change someone's details (``changes``: field → value, fields of TRACKED; an organisation as the
    model or its id) — the one path of the edit page, the Fix page, an undo and a file's updates. The
    caller has checked ``by`` may (a rule); ``scope`` says what a coordinator may choose, None when the
    changes touch neither who they are nor their organisation.

    Locks the person's row, applies the changes and what a changed email or mobile brings with it
    (_follow_contact), checks the result (_check: a ValidationError by field, nothing saved), saves,
    writes a line of history (``event``) and re-plans that person's messages (``replan_now`` False: the
    caller re-plans many people at once afterwards, replan_people). Returns the person and the line
    (None when nothing changed)."""
    if scope is None:
        assert not {"category", "organisation"} & set(changes), "changing who they are needs a scope"
    assert set(changes) <= set(TRACKED), f"not a person's detail: {set(changes) - set(TRACKED)}"
    person: Invitee = (
        Invitee.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=invitee.pk)
    )
    before = snapshot(person)
    for name, value in changes.items():
        _set(person, name, value)
    asked = {name for name in changes if stored_value(person, name) != before[name]}
    _follow_contact(person, before=before, asked=asked)
    fields = differences(before, snapshot(person))
    if not fields:
        return person, None
    _check(person, before=before, scope=scope)
    try:
        with transaction.atomic():
            person.save(update_fields=[*TRACKED, "contact_changed_at"])
    except IntegrityError as error:  # the same address saved for someone else a moment ago
        raise ValidationError({"email": str(EMAIL_TAKEN)}) from error
    line = record_change(invitee=person, event=event, fields=fields, by=by, programme=programme, note=note)
    if replan_now:
        replan(invitee=person)
    return person, line


def edit_person(
    *, invitation: Invitation, details: dict[str, object], by: User
) -> tuple[Invitee, PersonChange | None]:
    """Edit the details of the person invited by ``invitation`` (forms.PersonForm.person()), as ``by``,
    who must have invitations.edit_person on it (PermissionDenied otherwise): the change is to the
    person, so every programme they are on sees it. See change_details."""
    if not by.has_perm("invitations.edit_person", invitation):
        raise PermissionDenied
    assert set(details) <= set(EDITABLE), f"not editable here: {set(details) - set(EDITABLE)}"
    person, line = change_details(
        invitee=invitation.invitee,
        changes=details,
        by=by,
        scope=scope_for(user=by, programme=invitation.programme),
        programme=invitation.programme,
    )
    invitation.invitee = person
    return person, line


def _when(change: PersonChange) -> str:
    return date_format(timezone.localtime(change.at), "j F Y, H:i")


@transaction.atomic
def undo_change(*, change: PersonChange, invitation: Invitation, by: User) -> PersonChange | None:
    """Put back the "before" values of one line of the history of ``invitation``'s person, through
    change_details (so the same checks and the re-plan happen), as ``by`` (invitations.edit_person on
    the invitation: PermissionDenied otherwise). Marks the line undone and writes an UNDONE line, which
    it returns.

    Refused with a ValidationError, nothing changed: a line already undone, one that is not a change of
    details (a removal is undone by putting back), a value changed again since (that change must be
    undone first, or the details edited by hand), and a before-state no longer valid (its email now
    someone else's, say)."""
    if not by.has_perm("invitations.edit_person", invitation):
        raise PermissionDenied
    line = (
        PersonChange.objects.select_for_update()
        .filter(pk=change.pk, invitee_id=invitation.invitee_id)
        .first()
    )
    if line is None:
        raise PermissionDenied  # a line of someone else's history
    if line.undone_at is not None:
        raise ValidationError(
            _("This change was undone already, on %(when)s.")
            % {"when": date_format(timezone.localtime(line.undone_at), "j F Y, H:i")}
        )
    fields = {
        name: values for name, values in line.fields.items() if isinstance(values, list) and len(values) == 2
    }
    if line.event not in UNDOABLE or not fields or set(fields) - set(TRACKED):
        raise ValidationError(_("Only a change of someone's details can be undone."))
    person: Invitee = Invitee.objects.select_for_update(of=("self",)).get(pk=invitation.invitee_id)
    moved = [name for name, (_before, after) in fields.items() if stored_value(person, name) != after]
    if moved:
        raise ValidationError(
            _(
                "This can't be undone: %(fields)s changed again since. Undo the later change first, "
                "or edit their details."
            )
            % {"fields": ", ".join(str(LABELS[name]).lower() for name in moved)}
        )
    try:
        invitation.invitee, undone = change_details(
            invitee=person,
            changes={name: before for name, (before, _after) in fields.items()},
            by=by,
            scope=scope_for(user=by, programme=invitation.programme),
            event=PersonEvent.UNDONE,
            programme=invitation.programme,
            note=_("Undid the change of %(when)s") % {"when": _when(line)},
        )
    except ValidationError as error:
        raise ValidationError(
            _("This can't be undone: %(reasons)s") % {"reasons": " ".join(error.messages)}
        ) from error
    line.undone_at = timezone.now()
    line.save(update_fields=["undone_at"])
    return undone


# --- Off a programme's list, and back -------------------------------------------------------------------


@dataclass(frozen=True)
class Past:
    """What someone on a list has already done: replied (their answers, with their sessions) or come.
    Attendance is evaluations' model, above this app: it is reached by its relation's name
    (``Attendance.session``/``invitation``, related_name "attendances"), never imported."""

    replied: bool
    answers: list[SessionAnswer]
    came_to: list[Session]

    def __bool__(self) -> bool:
        return self.replied or bool(self.came_to)


def past_of(*, invitation: Invitation) -> Past:
    """Three queries."""
    return Past(
        replied=Reply.objects.filter(invitation=invitation).exists(),
        answers=list(
            SessionAnswer.objects.filter(reply__invitation=invitation)
            .select_related("session")
            .order_by("session__date", "session__start_time", "pk")
        ),
        came_to=list(
            Session.objects.filter(attendances__invitation=invitation).order_by("date", "start_time")
        ),
    )


class ConfirmationNeeded(Exception):
    """Someone who has replied or come is removed only once the facilitator has seen what they did."""

    def __init__(self, past: Past):
        super().__init__("confirmation needed")
        self.past = past


@transaction.atomic
def remove_from_list(*, invitation: Invitation, by: User, confirmed: bool = False) -> int:
    """Take ``invitation`` off its programme's list, as ``by`` (invitations.remove_invitation on it:
    PermissionDenied otherwise). Someone who has replied or come needs ``confirmed`` (ConfirmationNeeded,
    nothing changed, otherwise): their answers and attendance stay in the counts of what happened.

    Cancels every message to them that has not gone (scheduled: the schedule's, a confirmation, a change
    notice, a letter not printed); nothing is planned for them again (schedule.plan_for) and the
    dispatcher checks again before sending one already claimed (kinds.still_wanted). Writes a REMOVED
    line. Returns how many messages were cancelled; 0 for someone removed already."""
    if not by.has_perm("invitations.remove_invitation", invitation):
        raise PermissionDenied
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.removed_at is not None:
        invitation.removed_at, invitation.removed_by_id = locked.removed_at, locked.removed_by_id
        return 0
    if not confirmed and (past := past_of(invitation=locked)):
        raise ConfirmationNeeded(past)
    locked.removed_at, locked.removed_by = timezone.now(), by
    locked.save(update_fields=["removed_at", "removed_by"])
    invitation.removed_at, invitation.removed_by = locked.removed_at, by
    # Stamped with the moment of the removal, so putting back knows which rows the removal cancelled.
    cancelled = Message.objects.filter(invitation=locked, state=MessageState.SCHEDULED).update(
        state=MessageState.CANCELLED, updated_at=locked.removed_at
    )
    record_change(
        invitee=invitation.invitee, event=PersonEvent.REMOVED, by=by, programme=invitation.programme
    )
    return cancelled


def _revive_change_notices(*, invitation: Invitation, removed_at: datetime) -> int:
    """Schedule again the change notices (email, text or letter) that the removal at ``removed_at``
    cancelled (remove_from_list stamps them with that moment) and that are still worth their while:
    their change still current (status.current_changes: the session's day still to come, no later change
    told since). Emails and texts go in seconds (core.outbox.send_soon); letters wait to be printed.
    Returns how many."""
    rows = list(
        Message.objects.filter(
            invitation=invitation,
            kind=MessageKind.CHANGE,
            state=MessageState.CANCELLED,
            updated_at=removed_at,
            session_change__in=current_changes(),
        ).values_list("pk", "channel")
    )
    if not rows:
        return 0
    revived = Message.objects.filter(
        pk__in=[pk for pk, _channel in rows], state=MessageState.CANCELLED
    ).update(state=MessageState.SCHEDULED)
    send_soon(*Message.objects.filter(pk__in=[pk for pk, channel in rows if channel != Channel.LETTER]))
    return revived


@transaction.atomic
def put_back(*, invitation: Invitation, by: User) -> int:
    """Put a removed ``invitation`` back on its programme's list, as ``by`` (the same rule as removing),
    and re-plan what that person should get now: the schedule revives its rows still wanted
    (invitations, reminders, nudges), and the change notices the removal cancelled go again while their
    change is still current (a change letter waiting to print is back on the letters page). Writes a
    PUT_BACK line. Returns how many rows were changed; 0 for someone not removed."""
    if not by.has_perm("invitations.remove_invitation", invitation):
        raise PermissionDenied
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.removed_at is None:
        invitation.removed_at = None
        return 0
    removed_at = locked.removed_at
    locked.removed_at, locked.removed_by = None, None
    locked.save(update_fields=["removed_at", "removed_by"])
    invitation.removed_at, invitation.removed_by = None, None
    record_change(
        invitee=invitation.invitee, event=PersonEvent.PUT_BACK, by=by, programme=invitation.programme
    )
    revived = _revive_change_notices(invitation=locked, removed_at=removed_at)
    return revived + sync_schedule(programme=invitation.programme, only=[invitation.pk])
