"""When each message should go: computed from the sessions and the programme's lead times.

The schedule is data (rows in the outbox), recomputed whenever the list or the sessions change and at
every run of the beat's dispatcher (core.dispatch_outbox, through this app's Kind.prepare), so a moved or
cancelled session is honoured before anything scheduled is sent. The quick runs a person's action asks
for (core.outbox.send_soon) send only the rows that action made.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from core.enums import Delivery
from core.models import Message
from events.enums import ProgrammeStatus
from events.models import Programme, Session

from ..enums import SCHEDULED_KINDS, Answer, Channel, MessageKind, MessageState
from ..models import Invitation, SessionChange

# Messages go at nine in the morning, local time, on the day they are due.
SEND_TIME = time(9, 0)
NUDGE_DAYS_BEFORE = 7
# Rows the schedule may still move or cancel: anything else has been (or is being) sent.
CHANGEABLE = (MessageState.SCHEDULED, MessageState.CANCELLED)


@dataclass(frozen=True)
class Planned:
    kind: str
    session_id: int | None
    scheduled_for: datetime


# The kinds a person gets on every way they asked for (texts as well as email); the rest only on the
# main way. A nudge is a question by email or text; a letter would arrive after it mattered.
EVERY_CHANNEL = (MessageKind.INVITATION, MessageKind.REMINDER, MessageKind.CHANGE)
NUDGED_CHANNELS = (Channel.EMAIL, Channel.SMS)


def channels_for(kind: str, channels: list[str]) -> list[str]:
    """The channels a message of ``kind`` goes on to someone reached by ``channels`` (main first)."""
    if kind == MessageKind.NUDGE:
        return [channel for channel in channels if channel in NUDGED_CHANNELS][:1]
    return channels if kind in EVERY_CHANNEL else channels[:1]


def new_message(
    *,
    invitation_id: int,
    kind: str,
    channel: str,
    scheduled_for: datetime,
    session_id: int | None = None,
    topic: models.Model | None = None,
    version: int = 0,
) -> Message:
    """An (unsaved) outbox row to one invitee about their invitation, and about one session (or another
    ``topic``: a change to a session) if given."""
    if session_id:
        topic_type, topic_id = ContentType.objects.get_for_model(Session), session_id
    elif topic is not None:
        topic_type, topic_id = ContentType.objects.get_for_model(topic), topic.pk
    else:
        topic_type, topic_id = None, None
    return Message(
        recipient_type=ContentType.objects.get_for_model(Invitation),
        recipient_id=invitation_id,
        topic_type=topic_type,
        topic_id=topic_id,
        kind=kind,
        channel=channel,
        scheduled_for=scheduled_for,
        version=version,
    )


def send_time(day: date) -> datetime:
    return datetime.combine(day, SEND_TIME, tzinfo=ZoneInfo(settings.TIME_ZONE))


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def when_to_send(planned: datetime, now: datetime) -> datetime:
    """Nine o'clock on the day; but a message added or moved onto today goes at the next run, not later
    today (a facilitator who changes a date that morning expects to see the invitations go)."""
    return now if local_day(planned) == local_day(now) and planned > now else planned


def answers_of(invitation: Invitation) -> dict[int, str] | None:
    """Session id → answer, or None when they have not replied (uses the prefetched reply if any)."""
    try:
        reply = invitation.reply
    except Invitation.reply.RelatedObjectDoesNotExist:
        return None
    return {answer.session_id: answer.answer for answer in reply.answers.all()}


def came_to_a_session(*, programme: Programme, only: Collection[int] | None = None) -> set[int]:
    """The ids of the programme's invitations whose person has come to one of its sessions.

    Attendance is evaluations' model, and evaluations sits above this app (it may not be imported here):
    the query reaches it through its relation to Invitation by name (``Attendance.invitation``,
    related_name "attendances"), so the schedule always agrees with the sign-in list, a mark undone
    included, with nothing to keep in step."""
    people = programme.invitations.all() if only is None else programme.invitations.filter(pk__in=only)
    return set(people.filter(attendances__isnull=False).values_list("pk", flat=True))


def has_gone(message: Message, *, now: datetime) -> bool:
    """Sent, or being sent; a letter once it was due (the school was asked to print it then) or printed.
    A message the provider said could not be delivered has not gone: it never arrived."""
    if message.delivery == Delivery.PERMANENT_FAILURE:
        return False
    if message.channel == Channel.LETTER:
        return message.state == MessageState.SENT or (
            message.state == MessageState.SCHEDULED and message.scheduled_for <= now
        )
    return message.state in (MessageState.SENDING, MessageState.SENT)


def gone_at(rows: list[Message], *, now: datetime) -> datetime | None:
    """When the first of these rows (one message on its channels) went: sent, or a letter due."""
    times = [row.sent_at or row.scheduled_for for row in rows if has_gone(row, now=now)]
    return min(times) if times else None


def change_notices_made(
    *, programme: Programme, only: Collection[int] | None = None
) -> dict[int, dict[int, datetime]]:
    """Invitation id → session id → when the latest change notice about that session was made for them
    (services.changes: a notice's topic is the change, whose session it is)."""
    made: dict[int, dict[int, datetime]] = {}
    notices = Message.objects.filter(
        invitation__programme=programme,
        kind=MessageKind.CHANGE,
        state__in=(MessageState.SCHEDULED, MessageState.SENDING, MessageState.SENT),
    )
    if only is not None:
        notices = notices.filter(recipient_id__in=only)
    rows = notices.values_list("recipient_id", "session_change__session_id", "scheduled_for")
    for invitation_id, session_id, when in rows:
        by_session = made.setdefault(invitation_id, {})
        if session_id not in by_session or when > by_session[session_id]:
            by_session[session_id] = when
    return made


def plan_for(
    *,
    invitation: Invitation,
    programme: Programme,
    sessions: list[Session],
    now: datetime,
    has_come: bool,
    invitation_gone_at: datetime | None = None,
    moved_at: dict[int, datetime] | None = None,
    notified: dict[int, datetime] | None = None,
) -> list[Planned]:
    """The messages one invitee should get, each at its ideal time (which may have passed: then it goes
    at the next run). Nothing for someone who opted out or was removed from the list (services.people),
    or once every session has started. The
    invitation only to people who have neither replied nor come to a session (``has_come``: see
    came_to_a_session). Reminders go to people coming or not yet decided, never for a session they said
    they can't come to; the nudge only to people who have not replied and have not come.

    ``invitation_gone_at``: when their invitation went (sent, or its letter due to be printed), if it has.
    ``moved_at``: session id → when it last changed (its latest SessionChange, told or not).
    ``notified``: session id → when a change notice about it was made for them (services.changes). A
    notice made once the session's reminder was due stands in for the reminder: it says all a reminder
    says, and what changed."""
    if (
        invitation.opted_out_at
        or invitation.removed_at
        or programme.status == ProgrammeStatus.FINISHED
        or not invitation.invitee.channels
    ):
        return []
    active = sorted((s for s in sessions if s.cancelled_at is None), key=lambda s: s.starts_at)
    upcoming = [s for s in active if s.starts_at > now]
    if not upcoming:
        return []
    invite_at = send_time(active[0].date - timedelta(days=programme.invitation_lead_days))
    # Someone added late gets the invitation at the next run; reminders and nudges that would
    # arrive before or together with it are left out, because the invitation says it all.
    invited_by = max(invite_at, invitation.created_at)
    answers = answers_of(invitation)
    # Someone who has replied, came to a session or walked in on the day knows about the programme
    # already: they get reminders of what is next, not an invitation to something they are part of.
    part_of_it = has_come or invitation.met_on_the_day
    invite = answers is None and not part_of_it
    planned = [Planned(MessageKind.INVITATION, None, invite_at)] if invite else []
    for session in upcoming:
        remind_at = send_time(session.date - timedelta(days=programme.reminder_lead_days))
        # A reminder already due when they were added (or with an invitation still to go) is left out:
        # the invitation, or the day itself for someone met there, says it all. Once their invitation
        # has gone, a session moved into its reminder window since is reminded of at the next run.
        if remind_at <= invited_by and (
            invitation_gone_at is None
            or (
                invitation_gone_at >= remind_at
                and (moved_at or {}).get(session.pk, remind_at) < invitation_gone_at
            )
        ):
            continue
        notice_at = (notified or {}).get(session.pk)
        if notice_at is not None and notice_at >= remind_at:
            continue
        if (answers or {}).get(session.pk) != Answer.NO:
            planned.append(Planned(MessageKind.REMINDER, session.pk, remind_at))
    first = active[0]
    nudge_at = send_time(first.date - timedelta(days=NUDGE_DAYS_BEFORE))
    if (
        answers is None
        and not part_of_it
        and channels_for(MessageKind.NUDGE, invitation.invitee.channels)
        and first.starts_at > now
        and nudge_at > invited_by
    ):
        planned.append(Planned(MessageKind.NUDGE, None, nudge_at))
    return planned


@transaction.atomic
def sync_schedule(
    *, programme: Programme, now: datetime | None = None, only: Collection[int] | None = None
) -> int:
    """Bring the programme's outbox in line with its sessions, list and lead times: for everyone on its
    list, or only for the invitations ``only`` names (a reply, a new person, a fixed address: what one
    person's change needs costs the same however long the list is).

    Creates missing rows, moves scheduled ones, cancels rows no longer wanted (a cancelled or started
    session, someone who opted out, was removed, replied or came, a finished programme) and revives cancelled rows
    wanted again.
    Rows being sent or already sent are never touched. Returns how many rows changed.
    """
    now = now or timezone.now()
    sessions = list(programme.sessions.all())
    rows = Message.objects.filter(invitation__programme=programme, kind__in=SCHEDULED_KINDS)
    if only is not None:
        rows = rows.filter(recipient_id__in=only)
    # The latest row of each message on each channel: one the provider said never arrived is followed
    # by a new one (its version the next) once that channel works again — the address was fixed.
    existing = {
        (m.recipient_id, m.kind, m.topic_id, m.channel): m
        for m in rows.only(
            "pk",
            "recipient_id",
            "kind",
            "topic_id",
            "state",
            "scheduled_for",
            "channel",
            "delivery",
            "version",
            "sent_at",
        ).order_by("version")
    }
    # The people are read after their rows, never before: a bounce commits its row's failure and the
    # person's new way together (delivery.mark_not_working), and this sync runs beside it unlocked (the
    # dispatcher's prepare). Read the other way round, a row that failed could meet the way that had
    # just failed, "working", and be followed by a new message to the address that does not work.
    people = programme.invitations.all() if only is None else programme.invitations.filter(pk__in=only)
    invitations = list(
        people.select_related("invitee__organisation", "reply").prefetch_related("reply__answers")
    )
    invitations_made: dict[int, list[Message]] = {}
    for (invitation_id, kind, _topic, _channel), row in existing.items():
        if kind == MessageKind.INVITATION:
            invitations_made.setdefault(invitation_id, []).append(row)
    came = came_to_a_session(programme=programme, only=only)
    notified = change_notices_made(programme=programme, only=only)
    moved = dict(
        SessionChange.objects.filter(session__programme=programme)
        .values_list("session")
        .annotate(latest=Max("made_at"))
        .order_by()
    )
    wanted: dict[tuple, Planned] = {}
    for invitation in invitations:
        channels = invitation.invitee.channels
        for planned in plan_for(
            invitation=invitation,
            programme=programme,
            sessions=sessions,
            now=now,
            has_come=invitation.pk in came,
            invitation_gone_at=gone_at(invitations_made.get(invitation.pk, []), now=now),
            moved_at=moved,
            notified=notified.get(invitation.pk),
        ):
            for channel in channels_for(planned.kind, channels):
                wanted[(invitation.pk, planned.kind, planned.session_id, channel)] = planned

    new_rows = []
    changed = 0
    for key, planned in wanted.items():
        row = existing.get(key)
        if row is None or row.delivery == Delivery.PERMANENT_FAILURE:
            new_rows.append(
                new_message(
                    invitation_id=key[0],
                    kind=planned.kind,
                    session_id=planned.session_id,
                    channel=key[3],
                    scheduled_for=when_to_send(planned.scheduled_for, now),
                    version=row.version + 1 if row is not None else 0,
                )
            )
        elif row.state in CHANGEABLE and (
            row.state == MessageState.CANCELLED
            # Compared by day: a row pulled forward to "now" on its own day is not moved back.
            or local_day(row.scheduled_for) != local_day(planned.scheduled_for)
        ):
            # Conditional: a dispatcher may have claimed the row since we read it.
            changed += Message.objects.filter(pk=row.pk, state__in=CHANGEABLE).update(
                state=MessageState.SCHEDULED,
                scheduled_for=when_to_send(planned.scheduled_for, now),
            )
    unwanted = [
        row.pk for key, row in existing.items() if key not in wanted and row.state == MessageState.SCHEDULED
    ]
    if unwanted:
        changed += Message.objects.filter(pk__in=unwanted, state=MessageState.SCHEDULED).update(
            state=MessageState.CANCELLED
        )
    # Another sync may be creating the same rows at the same moment: the unique constraints decide.
    Message.objects.bulk_create(new_rows, ignore_conflicts=True)
    return changed + len(new_rows)


def sync_all_schedules(*, now: datetime | None = None) -> int:
    """Run sync_schedule for every programme that is not finished (and tidy the finished ones once)."""
    changed = 0
    running = Programme.objects.exclude(status=ProgrammeStatus.FINISHED).filter(invitations__isnull=False)
    finished_with_rows_left = Programme.objects.filter(
        status=ProgrammeStatus.FINISHED,
        invitations__messages__state=MessageState.SCHEDULED,
        invitations__messages__kind__in=SCHEDULED_KINDS,
    )
    for programme in (running | finished_with_rows_left).distinct():
        changed += sync_schedule(programme=programme, now=now)
    return changed
