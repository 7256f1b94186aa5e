"""The schedule: when each message goes, and how it follows changes to sessions and the list."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.mail import get_connection
from django.utils import timezone

from core import outbox
from core.models import Message
from evaluations.models import Attendance
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import Answer, MessageKind, MessageState
from invitations.models import Reply, SessionAnswer
from invitations.services import replies
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory, NeighbourhoodFactory, UserFactory, VenueFactory

LONDON = ZoneInfo("Europe/London")
FIRST = date(2030, 3, 6)  # a Wednesday; the half-days follow on 20 March, 3 and 17 April


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON)


@pytest.fixture
def programme(db):
    neighbourhood = NeighbourhoodFactory()
    programme = events_services.create_programme(
        neighbourhood=neighbourhood,
        title="Better Together",
        key_question="?",
        first_date=FIRST,
        venue=VenueFactory(neighbourhood=neighbourhood),
        created_by=UserFactory(),
    )
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    return programme


def invite(programme, created: datetime):
    """An invitation added to the list at ``created`` (auto_now_add can only be changed by an update)."""
    invitation = InvitationFactory(programme=programme)
    type(invitation).objects.filter(pk=invitation.pk).update(created_at=created)
    invitation.refresh_from_db()
    return invitation


def schedule(programme, invitation):
    return {
        (m.kind, m.topic.order if m.topic else None): (m.scheduled_for, m.state)
        for m in Message.objects.filter(invitation=invitation).prefetch_related("topic")
    }


def test_messages_follow_the_lead_times(programme):
    invitation = invite(programme, created=at(date(2030, 1, 5)))

    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))

    rows = schedule(programme, invitation)
    assert rows[(MessageKind.INVITATION, None)] == (
        at(date(2030, 2, 13)),
        MessageState.SCHEDULED,
    )  # 21 days before
    assert rows[(MessageKind.NUDGE, None)] == (at(date(2030, 2, 27)), MessageState.SCHEDULED)  # a week before
    assert rows[(MessageKind.REMINDER, 1)][0] == at(date(2030, 3, 3))  # 3 days before each session
    assert rows[(MessageKind.REMINDER, 2)][0] == at(date(2030, 3, 17))
    assert rows[(MessageKind.REMINDER, 4)][0] == at(date(2030, 4, 14))
    assert len(rows) == 6


def test_other_lead_times_are_honoured(programme):
    programme.invitation_lead_days, programme.reminder_lead_days = 28, 5
    programme.save()
    invitation = invite(programme, created=at(date(2030, 1, 5)))

    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))

    rows = schedule(programme, invitation)
    assert rows[(MessageKind.INVITATION, None)][0] == at(date(2030, 2, 6))
    assert rows[(MessageKind.REMINDER, 1)][0] == at(date(2030, 3, 1))


def test_a_moved_session_moves_its_reminder_and_the_invitation(programme):
    invitation = invite(programme, created=at(date(2030, 1, 5)))
    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))
    first = programme.sessions.get(order=1)
    first.date = date(2030, 3, 4)
    events_services.save_session(session=first)

    sync_schedule(programme=programme, now=at(date(2030, 1, 6)))

    rows = schedule(programme, invitation)
    assert rows[(MessageKind.INVITATION, None)][0] == at(date(2030, 2, 11))
    assert rows[(MessageKind.REMINDER, 1)][0] == at(date(2030, 3, 1))
    assert Message.objects.filter(invitation=invitation).count() == 6  # moved, not duplicated


def test_a_cancelled_session_cancels_its_reminders(programme):
    invitation = invite(programme, created=at(date(2030, 1, 5)))
    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))
    third = programme.sessions.get(order=3)
    events_services.cancel_session(session=third)

    sync_schedule(programme=programme, now=at(date(2030, 1, 6)))

    reminder = Message.objects.get(invitation=invitation, kind=MessageKind.REMINDER, session=third)
    assert reminder.state == MessageState.CANCELLED
    assert Message.objects.filter(invitation=invitation, state=MessageState.SCHEDULED).count() == 5


def test_a_date_moved_into_the_past_sends_at_the_next_run(programme):
    invitation = invite(programme, created=at(date(2030, 1, 5)))
    now = at(date(2030, 2, 20), 14)  # the invitation has not gone yet (programme was a draft, say)
    first = programme.sessions.get(order=1)
    first.date = date(2030, 2, 25)
    events_services.save_session(session=first)

    sync_schedule(programme=programme, now=now)

    due = Message.objects.due(now)
    assert due.filter(invitation=invitation, kind=MessageKind.INVITATION).exists()
    assert due.filter(invitation=invitation, kind=MessageKind.NUDGE).exists()


def test_moved_onto_today_before_nine_goes_at_the_next_run(programme):
    invitation = invite(programme, created=at(date(2030, 1, 5)))
    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))
    morning = at(date(2030, 2, 20), 7)
    first = programme.sessions.get(order=1)
    first.date = date(2030, 3, 13)  # the invitation date becomes 20 February: today
    events_services.save_session(session=first)

    sync_schedule(programme=programme, now=morning)

    assert Message.objects.due(morning).filter(invitation=invitation, kind=MessageKind.INVITATION).exists()


def test_a_row_already_due_today_still_waits_for_nine(programme):
    invitation = invite(programme, created=at(date(2030, 1, 5)))
    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))
    just_after_midnight = at(date(2030, 2, 13), 0)

    sync_schedule(programme=programme, now=just_after_midnight)

    assert not Message.objects.due(just_after_midnight).filter(invitation=invitation).exists()
    assert Message.objects.due(at(date(2030, 2, 13), 9)).filter(invitation=invitation).exists()


def test_a_late_invitation_goes_at_once_without_an_echoing_reminder(programme):
    now = at(date(2030, 3, 4), 11)  # two days before the all-day
    invitation = invite(programme, created=now)

    sync_schedule(programme=programme, now=now)

    rows = schedule(programme, invitation)
    assert Message.objects.due(now).filter(invitation=invitation).count() == 1
    assert (MessageKind.INVITATION, None) in rows
    assert (MessageKind.REMINDER, 1) not in rows  # the invitation itself gives the date
    assert (MessageKind.NUDGE, None) not in rows
    assert (MessageKind.REMINDER, 2) in rows


def test_once_a_late_invitation_has_gone_the_reminder_it_stood_in_for_does_not_follow(programme):
    """The next run after a late invitation went must not send the reminder that was already due: the
    invitation gave the date (only a session moved since would need one)."""
    now = at(date(2030, 3, 4), 11)  # two days before the all-day
    invitation = invite(programme, created=now)
    sync_schedule(programme=programme, now=now)
    Message.objects.filter(invitation=invitation, kind=MessageKind.INVITATION).update(
        state=MessageState.SENT, sent_at=now
    )

    sync_schedule(programme=programme, now=now + timedelta(minutes=2))

    assert (MessageKind.REMINDER, 1) not in schedule(programme, invitation)


def test_no_reminder_for_a_session_that_has_started(programme):
    invitation = invite(programme, created=at(date(2030, 1, 5)))
    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))

    sync_schedule(programme=programme, now=at(FIRST, 10))  # the all-day began at 9:30

    rows = schedule(programme, invitation)
    assert rows[(MessageKind.REMINDER, 1)][1] == MessageState.CANCELLED
    assert rows[(MessageKind.NUDGE, None)][1] == MessageState.CANCELLED
    assert rows[(MessageKind.REMINDER, 2)][1] == MessageState.SCHEDULED


def test_sent_rows_are_never_touched(programme):
    invitation = invite(programme, created=at(date(2030, 1, 5)))
    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))
    Message.objects.filter(invitation=invitation, kind=MessageKind.INVITATION).update(state=MessageState.SENT)
    first = programme.sessions.get(order=1)
    first.date = date(2030, 3, 11)
    events_services.save_session(session=first)

    sync_schedule(programme=programme, now=at(date(2030, 1, 6)))

    row = Message.objects.get(invitation=invitation, kind=MessageKind.INVITATION)
    assert (row.state, row.scheduled_for) == (MessageState.SENT, at(date(2030, 2, 13)))


def test_opting_out_cancels_everything_scheduled(programme):
    invitation = invite(programme, created=at(date(2030, 1, 5)))
    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))

    replies.opt_out(invitation=invitation)
    sync_schedule(programme=programme, now=at(date(2030, 1, 6)))

    assert set(Message.objects.filter(invitation=invitation).values_list("state", flat=True)) == {
        MessageState.CANCELLED
    }


def test_a_finished_programme_cancels_what_is_left(programme):
    invitation = invite(programme, created=at(date(2030, 1, 5)))
    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))
    programme.status = ProgrammeStatus.FINISHED
    programme.save()

    sync_schedule(programme=programme, now=at(date(2030, 1, 6)))

    assert not Message.objects.filter(invitation=invitation, state=MessageState.SCHEDULED).exists()


def test_syncing_twice_changes_nothing(programme):
    invite(programme, created=at(date(2030, 1, 5)))
    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))
    before = list(Message.objects.order_by("pk").values("pk", "scheduled_for", "state"))

    changed = sync_schedule(programme=programme, now=at(date(2030, 1, 5)))

    assert changed == 0
    assert list(Message.objects.order_by("pk").values("pk", "scheduled_for", "state")) == before


def test_the_october_clock_change_keeps_nine_oclock_local(programme):
    # Sessions either side of the change on Sunday 27 October 2030; reminders go at 9am local time.
    for order, day in [
        (1, date(2030, 10, 23)),
        (2, date(2030, 10, 30)),
        (3, date(2030, 11, 6)),
        (4, date(2030, 11, 13)),
    ]:
        session = programme.sessions.get(order=order)
        session.date = day
        session.save()
    invitation = invite(programme, created=at(date(2030, 9, 1)))

    sync_schedule(programme=programme, now=at(date(2030, 9, 1)))

    rows = schedule(programme, invitation)
    before_change = rows[(MessageKind.REMINDER, 1)][0]  # 20 October: summer time
    after_change = rows[(MessageKind.REMINDER, 2)][0]  # 27 October: the day the clocks go back
    assert before_change.astimezone(LONDON).hour == after_change.astimezone(LONDON).hour == 9
    assert before_change.astimezone(LONDON).utcoffset() == timedelta(hours=1)  # 8am UTC
    assert after_change.astimezone(LONDON).utcoffset() == timedelta(0)  # 9am UTC: GMT again


def came(invitation, order: int = 1):
    """They came to the session: marked on the sign-in list."""
    return Attendance.objects.create(
        session=invitation.programme.sessions.get(order=order), invitation=invitation
    )


def test_someone_who_came_to_a_session_is_never_invited(programme):
    # On the list in good time, but the invitation never went (the programme was still a draft, say);
    # they came to the all-day all the same.
    invitation = invite(programme, created=at(date(2030, 1, 5)))
    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))
    came(invitation)

    sync_schedule(programme=programme, now=at(FIRST, 18))

    rows = schedule(programme, invitation)
    assert rows[(MessageKind.INVITATION, None)][1] == MessageState.CANCELLED
    assert rows[(MessageKind.NUDGE, None)][1] == MessageState.CANCELLED
    assert rows[(MessageKind.REMINDER, 2)][1] == MessageState.SCHEDULED  # what is next, they still hear of


def test_someone_added_to_the_list_after_they_came_is_not_invited(programme):
    invitation = invite(programme, created=at(FIRST, 18))
    came(invitation)

    sync_schedule(programme=programme, now=at(FIRST, 18))

    rows = schedule(programme, invitation)
    assert (MessageKind.INVITATION, None) not in rows
    assert (MessageKind.REMINDER, 2) in rows


def test_someone_who_came_before_the_invitation_date_is_not_invited(programme):
    invitation = invite(programme, created=at(date(2030, 1, 5)))
    came(invitation)  # marked from an earlier get-together's sheet, say: any session of this programme

    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))

    rows = schedule(programme, invitation)
    assert (MessageKind.INVITATION, None) not in rows
    assert (MessageKind.NUDGE, None) not in rows


def test_someone_who_already_replied_is_not_invited(programme):
    invitation = invite(programme, created=at(date(2030, 1, 5)))
    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))
    reply = Reply.objects.create(invitation=invitation, source="phone", version=1)  # a phone call
    SessionAnswer.objects.create(reply=reply, session=programme.sessions.get(order=1), answer=Answer.YES)

    sync_schedule(programme=programme, now=at(date(2030, 1, 6)))

    rows = schedule(programme, invitation)
    assert rows[(MessageKind.INVITATION, None)][1] == MessageState.CANCELLED
    assert rows[(MessageKind.NUDGE, None)][1] == MessageState.CANCELLED
    assert rows[(MessageKind.REMINDER, 1)][1] == MessageState.SCHEDULED


def test_an_invitation_already_sent_stays_sent_when_they_come(programme):
    invitation = invite(programme, created=at(date(2030, 1, 5)))
    sync_schedule(programme=programme, now=at(date(2030, 1, 5)))
    Message.objects.filter(invitation=invitation, kind=MessageKind.INVITATION).update(state=MessageState.SENT)
    came(invitation)

    sync_schedule(programme=programme, now=at(FIRST, 18))

    assert schedule(programme, invitation)[(MessageKind.INVITATION, None)][1] == MessageState.SENT


def test_an_invitation_claimed_before_they_came_is_not_sent(db, smtp_sink):
    """The dispatcher asks again just before sending: someone signed in meanwhile is not invited."""
    neighbourhood = NeighbourhoodFactory()
    soon = events_services.create_programme(
        neighbourhood=neighbourhood,
        title="Soon",
        key_question="?",
        first_date=timezone.localdate() + timedelta(days=10),
        venue=VenueFactory(neighbourhood=neighbourhood),
        created_by=UserFactory(),
    )
    soon.status = ProgrammeStatus.OPEN
    soon.save()
    invitation = InvitationFactory(programme=soon, invitee__email="came@example.org")
    sync_schedule(programme=soon)
    claimed = outbox.claim_due(now=timezone.now())
    came(invitation)

    result = outbox.DispatchResult()
    outbox.send_claimed(messages=claimed, senders=outbox.Senders(get_connection()), result=result)

    assert (result.sent, result.cancelled) == (0, 1)
    assert smtp_sink.messages == []


def test_one_persons_re_plan_costs_the_same_however_long_the_list(programme):
    """A reply, a new person, a fixed address re-plans that person only (issue 17's 855 ms at 2,000)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = at(date(2030, 2, 1))
    first = invite(programme, created=now - timedelta(days=1))
    sync_schedule(programme=programme, now=now)
    with CaptureQueriesContext(connection) as few:
        sync_schedule(programme=programme, now=now, only=[first.pk])
    others = [invite(programme, created=now - timedelta(days=1)) for _ in range(40)]
    sync_schedule(programme=programme, now=now)
    Message.objects.filter(invitation=others[0]).update(state=MessageState.CANCELLED)  # out of line
    with CaptureQueriesContext(connection) as many:
        sync_schedule(programme=programme, now=now, only=[first.pk])
    assert len(many) == len(few)
    # Only that person's rows are brought in line: the others' wait for the next full sync.
    assert not Message.objects.filter(invitation=others[0], state=MessageState.SCHEDULED).exists()
    sync_schedule(programme=programme, now=now)
    assert Message.objects.filter(invitation=others[0], state=MessageState.SCHEDULED).exists()
