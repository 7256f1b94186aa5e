"""Who was not reached: the call list (issue 16), so that a school office can ring the people none of
whose messages got through, and how many of each of the three groups were reached.

Someone on a programme's list is *reached* when they replied, came to a session or were met on the day,
or when one of their messages got through: an email or a text sent that the provider did not call a
permanent failure (no word yet, delivered, not yet delivered and a complaint all count as through: it
reached someone), or a letter printed (services.letters.mark_printed). People who asked not to be
contacted are not counted, as in the list's balance (services.invitees.list_balance).

Someone is *not reached* (on the call list) when they are not reached, their invitation was due (its row
in the outbox is due, on any channel, or the programme's invitation day has come: someone with no way
to reach them has no rows at all), and something stands in the way: no way to reach them, an email
address or a mobile number marked as not working (services.delivery), a text refused, an email that
could not be sent or was not delivered, or a letter due but not printed. Before the invitations are due,
or while a programme is being planned, nobody is "not reached"; nor is someone whose message is simply
still to go.

Reads only: four queries however long the list (the first session, who came: services.schedule
.came_to_a_session, the list with the messages that can say anything here, and the people to ring). At
school size the list is read as values (no model instance per person, issue 17): only the people to ring
are loaded as models, for the page.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db.models import FilteredRelation, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.enums import Delivery
from events.enums import ProgrammeStatus
from events.models import Organisation, Programme

from ..enums import BALANCE_GROUPS, GROUP_OF_CATEGORY, Channel, MessageKind, MessageState
from ..models import Invitation, Invitee, Reply
from .invitees import written_mobile
from .schedule import came_to_a_session, send_time

# The channels the site sends itself (a letter is printed by a school).
SENT_BY_US = (Channel.EMAIL, Channel.SMS)


class Row(NamedTuple):
    """What the call list needs of one outbox row."""

    channel: str
    kind: str
    state: str
    delivery: str
    delivery_said: str
    scheduled_for: datetime


@dataclass(frozen=True)
class NotReached:
    """One person to ring: who, why, and what the office needs to know before it rings."""

    invitation: Invitation
    reasons: list[str]
    phone: str  # as a person reads it out: a mobile in its UK form, "07700 900123"
    tel: str  # for a tel: link: "+447700900123", or the digits of a phone number
    language: str  # the name of their language
    interpreter: str  # the language an interpreter is needed in; "" when none is

    @property
    def invitee(self) -> Invitee:
        return self.invitation.invitee

    @property
    def organisation(self) -> str:
        organisation = self.invitation.invitee.organisation
        return organisation.name if organisation else ""


@dataclass(frozen=True)
class GroupReach:
    """One of the three groups (enums.BALANCE_GROUPS): how many are on the list, reached and not."""

    key: str
    label: str
    on_list: int
    reached: int
    not_reached: int


@dataclass(frozen=True)
class Reach:
    people: list[NotReached] = field(default_factory=list)
    groups: list[GroupReach] = field(default_factory=list)


# The outbox rows that can say anything here (got_through, _invitation_due, reasons_for read no others):
# sent or failed ones, any a provider said something of, every invitation and letters still to print.
# Reminders and nudges still to go, and cancelled rows, are most of a programme's rows and say nothing.
TELLING_ROWS = (
    Q(messages__state__in=[MessageState.SENT, MessageState.FAILED])
    | ~Q(messages__delivery="")
    | Q(messages__kind=MessageKind.INVITATION)
    | Q(messages__channel=Channel.LETTER, messages__state=MessageState.SCHEDULED)
)
ROW_FIELDS = [f"telling__{name}" for name in Row._fields]


def tel_of(phone: str) -> str:
    """The number for a tel: link: its digits, and a leading plus."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+{digits}" if phone.strip().startswith("+") and digits else digits


def phone_to_ring(invitee: Invitee) -> tuple[str, str]:
    """(as read out, for a tel: link): their mobile, unless it is marked as not working and they have
    another phone; else their phone; ("", "") when there is no number at all."""
    if invitee.mobile and not (invitee.mobile_failed and invitee.phone):
        return written_mobile(invitee.mobile), invitee.mobile
    if invitee.phone:
        return invitee.phone, tel_of(invitee.phone)
    return "", ""


def got_through(row: Row) -> bool:
    """An email or text sent that the provider did not say failed (for good, or for now: Notify's
    "temporary failure" is its last word, a phone switched off for days); a letter printed."""
    if row.state != MessageState.SENT:
        return False
    if row.channel == Channel.LETTER:
        return True
    return row.delivery not in (Delivery.PERMANENT_FAILURE, Delivery.TEMPORARY_FAILURE)


def reasons_for(invitee: Invitee, rows: Iterable[Row], *, now: datetime) -> list[str]:
    """Why nothing reached ``invitee``, in the office's words; empty when nothing stands in the way
    (their message is still to go). Each reason once."""
    rows = list(rows)
    reasons = []
    if not invitee.channels:
        reasons.append(_("No way to reach them"))
    if invitee.email and invitee.email_failed:
        reasons.append(_("Email not working: %(said)s") % {"said": invitee.email_failed})
    else:
        for row in rows:
            if row.channel == Channel.EMAIL and row.delivery == Delivery.PERMANENT_FAILURE:
                said = row.delivery_said or _("the provider could not deliver it")
                reasons.append(_("Email not delivered: %(said)s") % {"said": said})
            elif row.channel == Channel.EMAIL and row.state == MessageState.FAILED:
                reasons.append(_("Email could not be sent"))
    if invitee.mobile and invitee.mobile_failed:
        reasons.append(_("Text messages not working: %(said)s") % {"said": invitee.mobile_failed})
    elif any(row.channel == Channel.SMS and row.state == MessageState.FAILED for row in rows):
        reasons.append(_("Text refused"))
    if any(row.delivery == Delivery.TEMPORARY_FAILURE for row in rows):
        reasons.append(_("Not delivered (a phone switched off, or an inbox full)"))
    if any(
        row.channel == Channel.LETTER and row.state == MessageState.SCHEDULED and row.scheduled_for <= now
        for row in rows
    ):
        reasons.append(_("Letter not printed yet"))
    return list(dict.fromkeys(reasons))


def interpreter_language(invitation: Invitation) -> str:
    """The language they need an interpreter in: what their reply said, or their own language when
    they are marked as needing one; "" when they do not."""
    reply: Reply | None = getattr(invitation, "reply", None)
    if reply is not None and reply.interpreter_language:
        return reply.interpreter_language
    return invitation.invitee.get_language_display() if invitation.invitee.interpreter else ""


def invitations_due_at(*, programme: Programme) -> datetime | None:
    """When the programme's invitations are due: nine o'clock on its invitation day (the first active
    session's date less its lead time); None with no session planned. One query."""
    first_date = programme.sessions.active().aggregate(first=Min("date"))["first"]
    send_on = programme.invitation_date_for(first_date)
    return send_time(send_on) if send_on else None


def reach(*, programme: Programme, school: Organisation | None = None, now: datetime | None = None) -> Reach:
    """The call list of ``programme`` (only ``school``'s people, when given), sorted by organisation and
    name, and how many of each group are on the list, reached and not reached. Reads only; the same
    four queries however many people there are. The caller checks who may see whose (rules)."""
    now = now or timezone.now()
    invitations = programme.invitations.order_by("invitee__organisation__name", "invitee__name", "pk")
    if school is not None:
        invitations = invitations.filter(invitee__organisation=school)
    due_at = invitations_due_at(programme=programme)
    came = came_to_a_session(programme=programme)
    # Everyone on the list, each with the rows that can say anything (TELLING_ROWS), in one query.
    listed: dict[int, tuple] = {}
    rows: dict[int, list[Row]] = {}
    for (
        pk,
        category,
        opted_out_at,
        removed_at,
        met_on_the_day,
        reply_id,
        created_at,
        *row,
    ) in invitations.annotate(telling=FilteredRelation("messages", condition=TELLING_ROWS)).values_list(
        "pk",
        "invitee__category",
        "opted_out_at",
        "removed_at",
        "met_on_the_day",
        "reply__id",
        "created_at",
        *ROW_FIELDS,
    ):
        listed.setdefault(pk, (category, opted_out_at, removed_at, met_on_the_day, reply_id, created_at))
        own = rows.setdefault(pk, [])
        if row[0] is not None:  # the person's row (their channel is never empty), not "no rows"
            own.append(Row(*row))

    to_ring: list[int] = []  # not reached, and their invitation was due
    counts = {key: [0, 0, 0] for key in BALANCE_GROUPS}  # on the list, reached, not reached
    for pk, (category, opted_out_at, removed_at, met_on_the_day, reply_id, created_at) in listed.items():
        if opted_out_at or removed_at:  # removed: off the list (services.people)
            continue
        own = rows[pk]
        tally = counts.get(GROUP_OF_CATEGORY.get(category, ""))
        if tally is not None:
            tally[0] += 1
        if reply_id is not None or met_on_the_day or pk in came or any(map(got_through, own)):
            if tally is not None:
                tally[1] += 1
            continue
        if _invitation_due(programme, created_at, own, due_at=due_at, now=now):
            to_ring.append(pk)

    people: list[NotReached] = []
    for invitation in invitations.filter(pk__in=to_ring).select_related("invitee__organisation", "reply"):
        invitee = invitation.invitee
        reasons = reasons_for(invitee, rows[invitation.pk], now=now)
        if not reasons:
            continue
        tally = counts.get(invitee.balance_group)
        if tally is not None:
            tally[2] += 1
        phone, tel = phone_to_ring(invitee)
        people.append(
            NotReached(
                invitation=invitation,
                reasons=reasons,
                phone=phone,
                tel=tel,
                language=invitee.get_language_display(),
                interpreter=interpreter_language(invitation),
            )
        )
    groups = [
        GroupReach(key=key, label=str(label), on_list=on_list, reached=reached, not_reached=missed)
        for key, (label, _categories) in BALANCE_GROUPS.items()
        for on_list, reached, missed in [counts[key]]
    ]
    return Reach(people=people, groups=groups)


def _invitation_due(
    programme: Programme, added_at: datetime, rows: list[Row], *, due_at: datetime | None, now: datetime
) -> bool:
    """Their invitation was due: a row of it is due on any channel, or (for someone the schedule made
    no row for, having no way to reach them) the programme's invitation day has come, or they were
    added after it. Never while the programme is being planned: nothing is sent then."""
    if programme.status == ProgrammeStatus.DRAFT:
        return False
    if any(
        row.kind == MessageKind.INVITATION
        and row.state != MessageState.CANCELLED
        and row.scheduled_for <= now
        for row in rows
    ):
        return True
    return due_at is not None and max(due_at, added_at) <= now


def not_reached(
    *, programme: Programme, school: Organisation | None = None, now: datetime | None = None
) -> list[NotReached]:
    """The call list alone (reach)."""
    return reach(programme=programme, school=school, now=now).people


def reached_by_group(
    *, programme: Programme, school: Organisation | None = None, now: datetime | None = None
) -> list[GroupReach]:
    """How many of each group are on the list, reached and not reached, alone (reach)."""
    return reach(programme=programme, school=school, now=now).groups
