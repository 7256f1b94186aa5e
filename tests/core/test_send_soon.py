"""Mail caused by a person goes in seconds: send_soon asks, once the transaction commits, for a quick run
(core.send_due_now) that sends just those rows, without re-planning anything; beat's run
(core.dispatch_outbox) stays the safety net and still brings every schedule up to date."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.enums import ActionStatus
from actions.services import links
from core import queue
from core.models import Message
from core.tasks import dispatch_outbox, send_due_now
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import MessageKind, MessageState
from invitations.services import replies
from invitations.services.schedule import sync_schedule
from tests.actions.helpers import make_action, participant
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(world):
    """The world's programme, open; its first session is five weeks away, so nothing is due yet."""
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    return world.programme


@pytest.fixture
def enqueued(monkeypatch):
    """Every task enqueued by name (core.queue.enqueue), in order; nothing is really sent."""
    calls: list[tuple] = []
    monkeypatch.setattr(queue, "enqueue", lambda name, *args: calls.append((name, *args)))
    return calls


def invite(programme, **invitee):
    invitee = {"name": "Amira Khan", "email": "amira@example.org", **invitee}
    invitation = InvitationFactory(programme=programme, **{f"invitee__{k}": v for k, v in invitee.items()})
    sync_schedule(programme=programme)
    return invitation


def reply_yes(invitation):
    sessions = invitation.programme.sessions.active()
    return replies.save_reply(invitation=invitation, answers={s.pk: "yes" for s in sessions}, details={})


def confirmation_of(invitation) -> Message:
    return Message.objects.get(invitation=invitation, kind=MessageKind.CONFIRMATION)


def test_a_reply_asks_for_a_quick_run_of_its_confirmation_only_once_committed(
    programme, enqueued, django_capture_on_commit_callbacks
):
    invitation = invite(programme)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reply_yes(invitation)
        assert enqueued == []  # nothing is asked for while the reply could still be rolled back

    assert len(callbacks) == 1
    assert enqueued == [("core.send_due_now", [confirmation_of(invitation).pk])]


def test_a_reply_reached_by_letter_asks_for_nothing(programme, enqueued, django_capture_on_commit_callbacks):
    invitation = invite(programme, email="", channel="letter")

    with django_capture_on_commit_callbacks(execute=True):
        reply_yes(invitation)

    assert enqueued == []
    assert not Message.objects.filter(kind=MessageKind.CONFIRMATION).exists()


def test_sending_a_lead_link_asks_for_a_quick_run_of_its_email(
    world, enqueued, django_capture_on_commit_callbacks
):
    lead = participant(world.programme, name="Amina Khan", email="amina@example.org")
    action = make_action(world, lead=lead, status=ActionStatus.AGREED)

    with django_capture_on_commit_callbacks(execute=True):
        link = links.schedule_lead_link(action=action)

    assert enqueued == [("core.send_due_now", [link.message_id])]


def test_the_quick_run_sends_its_row_once_however_often_it_runs(programme, smtp_sink):
    invitation = invite(programme)
    reply_yes(invitation)
    row = confirmation_of(invitation)

    first = send_due_now([row.pk])
    second = send_due_now([row.pk])

    assert (first["sent"], second["sent"]) == (1, 0)
    [message] = smtp_sink.to("amira@example.org")
    assert "Thank you" in message["Subject"]
    row.refresh_from_db()
    assert row.state == MessageState.SENT and row.attempts == 1


def test_an_empty_quick_run_costs_one_query(programme, smtp_sink):
    invitation = invite(programme)
    reply_yes(invitation)
    row = confirmation_of(invitation)
    send_due_now([row.pk])

    with CaptureQueriesContext(connection) as queries:
        result = send_due_now([row.pk])

    assert result["sent"] == 0
    assert len(queries) == 1  # the SELECT of due rows among those named: nothing is written


def another_programme(world, *, first_in_days: int):
    """A second open programme in the neighbourhood, with the standard four sessions."""
    programme = events_services.create_programme(
        neighbourhood=world.neighbourhood,
        title="Better Together, second round",
        key_question="How do we keep going together?",
        first_date=timezone.localdate() + timedelta(days=first_in_days),
        venue=world.venue,
        created_by=world.user("facilitator"),
    )
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    return programme


def move_sessions(programme, *, by_days: int) -> None:
    """As the session pages do it: the schedule hears of it at beat's next run."""
    for session in programme.sessions.order_by("-date"):
        session.date += timedelta(days=by_days)
        events_services.save_session(session=session)


def quick_run_queries(invitation) -> int:
    reply_yes(invitation)
    with CaptureQueriesContext(connection) as queries:
        assert send_due_now([confirmation_of(invitation).pk])["sent"] == 1
    return len(queries)


def test_the_quick_run_costs_the_same_however_many_programmes_and_people_there_are(
    world, programme, smtp_sink
):
    alone = quick_run_queries(invite(programme))
    for number in range(3):
        other = another_programme(world, first_in_days=40 + number)
        for person in range(5):
            invite(other, name=f"Person {number}-{person}", email=f"p{number}-{person}@example.org")
    for person in range(10):
        invite(programme, name=f"Neighbour {person}", email=f"n{person}@example.org")

    crowded = quick_run_queries(invite(programme, name="Ben Lowe", email="ben@example.org"))

    assert crowded == alone  # no schedule is re-planned: beat's run does that


def test_the_quick_run_does_not_plan_but_the_beat_run_still_does(programme, smtp_sink):
    replied = invite(programme)
    reply_yes(replied)
    # Someone just added whose schedule nobody has planned yet; their invitation would be due now.
    move_sessions(programme, by_days=-25)  # the first session is ten days away
    added = InvitationFactory(programme=programme, invitee__email="ben@example.org")

    quick = send_due_now([confirmation_of(replied).pk])

    assert quick["sent"] == 1 and quick["requeued"] == 0
    assert not Message.objects.filter(invitation=added).exists()
    assert smtp_sink.to("ben@example.org") == []

    beat = dispatch_outbox()

    assert beat["sent"] == 1
    assert Message.objects.get(invitation=added, kind=MessageKind.INVITATION).state == MessageState.SENT
    assert len(smtp_sink.to("ben@example.org")) == 1


def test_the_quick_run_leaves_other_due_rows_to_the_beat_run_which_plans_first(world, programme, smtp_sink):
    """A due row planned before a change the schedule has not caught up with (a session moved) must not
    go early because someone else's reply asked for a quick run."""
    other = another_programme(world, first_in_days=10)
    waiting = invite(other, name="Ben Lowe", email="ben@example.org")
    stale = Message.objects.get(invitation=waiting, kind=MessageKind.INVITATION)
    assert stale in Message.objects.due(timezone.now())
    move_sessions(other, by_days=50)  # its invitations should now go in 39 days
    replied = invite(programme)
    reply_yes(replied)

    quick = send_due_now([confirmation_of(replied).pk])

    stale.refresh_from_db()
    assert quick["sent"] == 1 and stale.state == MessageState.SCHEDULED
    assert smtp_sink.to("ben@example.org") == []

    dispatch_outbox()  # plans every programme first, then sends what is due

    stale.refresh_from_db()
    assert stale.state == MessageState.SCHEDULED
    assert stale.scheduled_for > timezone.now() + timedelta(days=30)
    assert smtp_sink.to("ben@example.org") == []


def test_a_confirmation_of_a_programme_not_open_waits_for_it_to_open(programme, smtp_sink):
    programme.status = ProgrammeStatus.DRAFT
    programme.save()
    invitation = invite(programme)
    reply_yes(invitation)
    row = confirmation_of(invitation)

    assert send_due_now([row.pk])["sent"] == 0

    row.refresh_from_db()
    assert row.state == MessageState.SCHEDULED and smtp_sink.messages == []
