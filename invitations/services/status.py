"""What has really happened to a programme's messages, read from the outbox, for the home page, the
programme page and the invitation list.

"By letter, not yet printed": letter rows are never sent by the outbox; a school downloading a batch of
letters marks their rows printed ("sent", services.letters.mark_printed), so an invitation letter row
still "scheduled" counts as not yet printed, and a printed one as sent.

Change letters (a session's change, told by letter: services.changes) are marked printed the same way.
One is *to print* while its row is still
"scheduled", its person still wants to hear, the session's day as told is still to come, and no later
change to that session has been told since (that one's letter says the latest): current_changes."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Count, Exists, Min, OuterRef, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.models import Message
from events.enums import ProgrammeStatus
from events.models import Programme, Session
from events.services import Countdown, invitation_countdown

from ..enums import SCHEDULED_KINDS, ChangeState, Channel, MessageKind, MessageState
from ..models import SessionChange


@dataclass(frozen=True)
class NextMessage:
    """The earliest email still to go: its kind, its session (reminders, nudges) and when."""

    kind: str
    session: Session | None
    at: datetime

    @property
    def local_time(self) -> time:
        return timezone.localtime(self.at).time()

    @property
    def is_invitation(self) -> bool:
        return self.kind == MessageKind.INVITATION

    @property
    def is_reminder(self) -> bool:
        return self.kind == MessageKind.REMINDER


@dataclass(frozen=True)
class MessagesStatus:
    status: str
    countdown: Countdown | None = None
    # The programme's invitation rows (cancelled ones left out), by where they are.
    sent: int = 0
    failed: int = 0
    letters_not_printed: int = 0
    to_go: int = 0  # email, scheduled or being sent
    to_go_on: datetime | None = None  # the earliest of those
    next: NextMessage | None = None
    # Change letters a school still has to print (current_changes), and the ids of their outbox rows.
    change_letters_to_print: int = 0
    change_letter_ids: frozenset[int] = frozenset()

    @property
    def is_draft(self) -> bool:
        return self.status == ProgrammeStatus.DRAFT

    @property
    def is_finished(self) -> bool:
        return self.status == ProgrammeStatus.FINISHED

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.letters_not_printed + self.to_go

    @property
    def have_started(self) -> bool:
        """Some invitations have gone (or were tried), or their day has come: show counts, not a countdown."""
        if self.sent or self.failed:
            return True
        return bool(self.total and self.countdown and self.countdown.days_left <= 0)

    @property
    def show_countdown(self) -> bool:
        return self.status == ProgrammeStatus.OPEN and not self.have_started

    @property
    def is_close(self) -> bool:
        """Red: an open programme whose invitations are due within a week and have not all gone."""
        if self.status != ProgrammeStatus.OPEN or self.countdown is None or not self.countdown.is_close:
            return False
        return self.to_go > 0 or self.total == 0


def current_changes(*, today: date | None = None) -> QuerySet[SessionChange]:
    """The told changes whose letters are still worth printing: the session's day as told (for a
    cancelled one, the day it was to be) is today or later, and no later change to the same session has
    been told (its letter says the latest, and what the earlier one said is no longer true)."""
    today = today or timezone.localdate()
    later = SessionChange.objects.filter(
        session=OuterRef("session"), state=ChangeState.TOLD, told_at__gt=OuterRef("told_at")
    )
    return SessionChange.objects.filter(state=ChangeState.TOLD, new_date__gte=today).exclude(Exists(later))


def unprinted_change_letters() -> QuerySet[Message]:
    """Change notices by letter not printed yet (still "scheduled"), to people who still want to hear
    (not opted out, not removed from the list)."""
    return Message.objects.filter(
        kind=MessageKind.CHANGE,
        channel=Channel.LETTER,
        state=MessageState.SCHEDULED,
        invitation__opted_out_at__isnull=True,
        invitation__removed_at__isnull=True,
    )


def change_letters_to_print(*, today: date | None = None) -> QuerySet[Message]:
    """The change letters a school should still print: unprinted, about a change still current."""
    return unprinted_change_letters().filter(session_change__in=current_changes(today=today))


def messages_statuses(
    programmes: Sequence[Programme], *, today: date | None = None
) -> dict[int, MessagesStatus]:
    """The status of each programme, by pk, in the same five queries however many programmes there are."""
    ids = [programme.pk for programme in programmes]
    if not ids:
        return {}
    first_dates = dict(Programme.objects.filter(pk__in=ids).with_first_date().values_list("pk", "first_date"))
    counts: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    to_go_on: dict[int, datetime] = {}
    rows = (
        Message.objects.filter(invitation__programme__in=ids, kind=MessageKind.INVITATION)
        .exclude(state=MessageState.CANCELLED)
        .values_list("invitation__programme", "state", "channel")
        .annotate(count=Count("pk"), earliest=Min(Coalesce("retry_at", "scheduled_for")))
        .order_by()
    )
    for programme_id, state, channel, count, earliest in rows:
        if state == MessageState.SENT:
            key = "sent"
        elif state == MessageState.FAILED:
            key = "failed"
        elif channel == Channel.LETTER:
            key = "letters_not_printed"
        else:
            key = "to_go"
            if programme_id not in to_go_on or earliest < to_go_on[programme_id]:
                to_go_on[programme_id] = earliest
        counts[programme_id][key] = counts[programme_id].get(key, 0) + count
    change_letters: dict[int, set[int]] = {pk: set() for pk in ids}
    for programme_id, message_id in (
        change_letters_to_print(today=today)
        .filter(invitation__programme__in=ids)
        .values_list("invitation__programme", "pk")
    ):
        change_letters[programme_id].add(message_id)
    nexts = _next_messages(ids)
    result = {}
    for programme in programmes:
        status = programme.status
        countdown = None
        if status == ProgrammeStatus.OPEN:
            countdown = invitation_countdown(
                programme=programme, first_date=first_dates.get(programme.pk), today=today
            )
        result[programme.pk] = MessagesStatus(
            status=status,
            countdown=countdown,
            to_go_on=to_go_on.get(programme.pk),
            next=nexts.get(programme.pk) if status == ProgrammeStatus.OPEN else None,
            change_letters_to_print=len(change_letters[programme.pk]),
            change_letter_ids=frozenset(change_letters[programme.pk]),
            **counts[programme.pk],
        )
    return result


def messages_status(*, programme: Programme, today: date | None = None) -> MessagesStatus:
    return messages_statuses([programme], today=today)[programme.pk]


def _next_messages(ids: list[int]) -> dict[int, NextMessage]:
    """The earliest scheduled email or text of each programme (two queries: the rows grouped, their sessions)."""
    rows = (
        Message.objects.filter(
            invitation__programme__in=ids,
            kind__in=SCHEDULED_KINDS,
            channel__in=(Channel.EMAIL, Channel.SMS),
            state=MessageState.SCHEDULED,
        )
        .values_list("invitation__programme", "kind", "topic_id")
        .annotate(at=Min(Coalesce("retry_at", "scheduled_for")))
        .order_by()
    )
    earliest: dict[int, tuple[datetime, str, int | None]] = {}
    for programme_id, kind, topic_id, at in rows:
        if programme_id not in earliest or at < earliest[programme_id][0]:
            earliest[programme_id] = (at, kind, topic_id)
    session_ids = {topic_id for _, _, topic_id in earliest.values() if topic_id}
    sessions = Session.objects.in_bulk(session_ids) if session_ids else {}
    return {
        programme_id: NextMessage(kind=kind, session=sessions.get(topic_id) if topic_id else None, at=at)
        for programme_id, (at, kind, topic_id) in earliest.items()
    }
