"""Faults while the outbox is being sent: the worker killed mid-dispatch, Redis restarted.

Never lost: the sweeper puts back rows a dead worker left in "sending". A duplicate is a message the
mail server took just before a worker process died, before the outbox recorded it as sent: at most one
per process killed. So this test kills a worker with one pool process, and duplicates are at most the
number of kills (with N pool processes the bound is kills x N; the delivery test runs two).
"""

import random
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from actions.enums import LinkState
from actions.models import Action, LeadLink
from core.models import Message
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import MessageKind, MessageState
from invitations.models import Invitation, Invitee
from invitations.services.schedule import sync_schedule
from tests.actions.helpers import emailed_link

from .conftest import wait_for

MESSAGES = 1000
LEADS = 100  # action leads' link emails, in the same outbox, among the invitations
CHANGES = 100  # notices of a session's new date, to people who had heard of the programme
TOTAL = MESSAGES + LEADS + CHANGES
# kill -9 the worker once the sink has received more than this: the first while lead links go (they are
# due a moment before the notices, which are due a moment before the invitations), the second among
# the change notices, the others among the invitations.
KILL_AFTER = (60, 150, 350, 550)
RESTART_REDIS_AFTER = 450
DEADLINE_SECONDS = 240


def due_invitations(world, count: int) -> None:
    """``count`` people invited to an open programme whose first session is 10 days away: every
    invitation is due now. Bulk-created, then the schedule computed once."""
    programme = world.programme
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    first = programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=10)
    events_services.save_session(session=first)
    invitees = Invitee.objects.bulk_create(
        Invitee(
            neighbourhood=world.neighbourhood,
            name=f"Parent Number{n}",
            category="parent",
            email=f"parent{n}@example.org",
            channel="email",
        )
        for n in range(count)
    )
    Invitation.objects.bulk_create(Invitation(programme=programme, invitee=invitee) for invitee in invitees)
    sync_schedule(programme=programme)


def due_lead_links(world, count: int) -> None:
    """``count`` actions, each led by someone met on the day (so they get no invitation), each with its
    lead's link email due just before the invitations."""
    session = world.programme.sessions.get(order=2)
    first_invitation = Message.objects.order_by("scheduled_for").first()
    due = first_invitation.scheduled_for - timedelta(seconds=1)
    for n in range(count):
        invitee = Invitee.objects.create(
            neighbourhood=world.neighbourhood,
            name=f"Lead Number{n}",
            category="parent",
            email=f"lead{n}@example.org",
            channel="email",
        )
        lead = Invitation.objects.create(programme=world.programme, invitee=invitee, met_on_the_day=True)
        action = Action.objects.create(
            programme=world.programme, session=session, what=f"Action {n}", lead=lead
        )
        emailed_link(action, scheduled_for=due)


def due_change_notices(world, count: int) -> None:
    """``count`` people who were met on the day (so they have heard of the programme, and get no
    invitation), told that the second session has moved: their notices due between the lead links and
    the invitations."""
    from invitations.models import SessionChange
    from invitations.services.changes import tell

    first_invitation = Message.objects.filter(kind=MessageKind.INVITATION).order_by("scheduled_for").first()
    invitees = Invitee.objects.bulk_create(
        Invitee(
            neighbourhood=world.neighbourhood,
            name=f"Neighbour Number{n}",
            category="community",
            email=f"neighbour{n}@example.org",
            channel="email",
        )
        for n in range(count)
    )
    Invitation.objects.bulk_create(
        Invitation(programme=world.programme, invitee=invitee, met_on_the_day=True) for invitee in invitees
    )
    session = world.programme.sessions.get(order=2)
    session.date += timedelta(days=7)
    events_services.save_session(session=session)
    tell(change=SessionChange.objects.get(session=session))
    Message.objects.filter(kind=MessageKind.CHANGE).update(
        scheduled_for=first_invitation.scheduled_for - timedelta(seconds=0.5)
    )


def tally(sink) -> tuple[int, int]:
    """Messages received, and distinct people they went to."""
    with sink.lock:
        recipients = [message["To"].addresses[0].addr_spec for message in sink.messages]
    return len(recipients), len(set(recipients))


@pytest.mark.django_db(transaction=True)
def test_killed_workers_and_a_redis_restart_lose_nothing(world, celery_worker, redis_server, smtp_sink):
    due_invitations(world, MESSAGES)
    due_change_notices(world, CHANGES)  # first: the leads, met on the day too, hear of no change
    due_lead_links(world, LEADS)
    invitations = Message.objects.filter(kind=MessageKind.INVITATION)
    notices = Message.objects.filter(kind=MessageKind.CHANGE)
    assert notices.count() == CHANGES
    sent_now = Message.objects.filter(kind__in=[MessageKind.INVITATION, MessageKind.CHANGE, "lead_link"])
    assert Message.objects.due(timezone.now()).count() == TOTAL
    started = time.monotonic()
    deadline = started + DEADLINE_SECONDS

    def until(condition, what, interval=0.25):
        wait_for(
            condition,
            timeout=max(1.0, deadline - time.monotonic()),
            failure=lambda: (
                f"{what}; the sink has {tally(smtp_sink)} (received, distinct)\n{celery_worker.logs()}"
            ),
            interval=interval,
        )

    celery_worker.processes = 1  # one message in flight per worker: a kill can duplicate at most one
    celery_worker.start()
    events = []
    faults = sorted([*((n, "kill") for n in KILL_AFTER), (RESTART_REDIS_AFTER, "redis")])
    for threshold, fault in faults:
        until(
            lambda threshold=threshold: len(smtp_sink.messages) > threshold,
            f"waiting for more than {threshold} messages",
            interval=0.005,
        )
        # At a random moment, not just as a message lands: that would always catch one process
        # between the server taking a message and the outbox recording it.
        time.sleep(random.uniform(0, 0.1))
        received, _ = tally(smtp_sink)
        assert received < TOTAL, f"all sent before the {fault} at {threshold}: it hit nothing"
        if fault == "kill":
            celery_worker.restart_worker()  # kill -9 the worker and its pool, start a new one
        else:
            redis_server.restart()
        events.append(f"{fault} at {received} ({time.monotonic() - started:.1f}s)")

    # Settled: every row sent (or failed), none waiting or held by a worker.
    until(
        lambda: tally(smtp_sink)[1] == TOTAL, "waiting for every invitation, lead link and notice to arrive"
    )
    until(
        lambda: not sent_now.filter(state__in=[MessageState.SCHEDULED, MessageState.SENDING]).exists(),
        "waiting for the outbox to settle",
    )
    time.sleep(0.5)

    received, distinct = tally(smtp_sink)
    lost = TOTAL - distinct
    duplicates = received - distinct
    kills = len(KILL_AFTER)
    bound = kills * celery_worker.processes
    states = Counter(invitations.values_list("state", flat=True))
    with smtp_sink.lock:
        ids = [message["Message-ID"] for message in smtp_sink.messages]
    counts = Counter(ids)
    # Where each duplicate's first copy arrived: next to a kill, if the kill made it.
    first_copies = [ids.index(mid) + 1 for mid, n in counts.items() if n > 1]
    print(
        f"\nfaults: {'; '.join(events)}; done in {time.monotonic() - started:.1f}s\n"
        f"lost: {lost}, duplicates: {duplicates} ({kills} kills of {celery_worker.processes} process: at most "
        f"{bound}; first copies arrived as message {sorted(first_copies)}), received {received}, "
        f"states {dict(states)}, requeued by the sweeper {celery_worker.results('requeued')}"
    )
    assert len(counts) == distinct  # one Message-ID per person: the same row, sent again
    assert lost == 0
    assert duplicates <= bound
    assert states == {MessageState.SENT: MESSAGES}
    assert set(notices.values_list("state", flat=True)) == {MessageState.SENT}
    lead_links = list(LeadLink.objects.select_related("message"))
    assert len(lead_links) == LEADS
    assert all(link.state == LinkState.SENT and link.token_hash for link in lead_links)
    assert celery_worker.results("requeued") > 0  # the killed workers' rows came back this way
