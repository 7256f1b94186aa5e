"""Mail caused by a person goes in seconds, through a real worker on Redis to an SMTP sink, with beat ten
minutes away: what sends it is the quick run the action asked for on commit (core.send_due_now)."""

import re
import time

import kombu.pools
import pytest
from celery import current_app
from django.urls import reverse

from actions.enums import ActionStatus, LinkState
from actions.models import LeadLink
from events.enums import ProgrammeStatus
from invitations.services.emails import issue_reply_link
from invitations.services.schedule import sync_schedule
from tests.actions.helpers import make_action, participant
from tests.factories import InvitationFactory

from .conftest import wait_for

BEAT_EVERY_SECONDS = 600  # beat cannot be what sends within the test
ARRIVES_WITHIN_SECONDS = 30


@pytest.fixture
def broker_here(redis_server):
    """This process enqueues on the test's Redis, as the site's web processes do with REDIS_URL set."""
    app = current_app._get_current_object()
    saved = app.conf.broker_url, app.conf.broker_transport_options

    def use(url: str, options: dict) -> None:
        app.pool.force_close_all()
        # kombu keeps producer and connection pools per connection, process-wide: clear them too, or
        # a later test enqueuing from a thread meets a pool closed here ("Acquire on closed pool").
        kombu.pools.reset()
        app.conf.broker_url, app.conf.broker_transport_options = url, options
        app._after_fork()  # forget the pooled connections and producers, as Celery does after a fork

    use(redis_server.url, {})
    yield
    use(*saved)


@pytest.fixture
def worker(celery_worker, broker_here):
    celery_worker.env["OUTBOX_DISPATCH_EVERY_SECONDS"] = str(BEAT_EVERY_SECONDS)
    return celery_worker


def sent_by(celery_worker, task: str) -> int:
    """How many messages runs of ``task`` reported sent, from the worker's log."""
    text = celery_worker.worker_log.read_text(errors="replace")
    return sum(
        int(n) for n in re.findall(rf"{re.escape(task)}\[[^]]*\] succeeded in [\d.]+s: {{'sent': (\d+)", text)
    )


def open_programme(world):
    """The world's programme, open; its first session is five weeks away, so nothing else is due."""
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    return world.programme


@pytest.mark.django_db(transaction=True)
def test_a_reply_posted_gets_its_confirmation_in_seconds_with_beat_ten_minutes_away(
    world, worker, smtp_sink, client
):
    programme = open_programme(world)
    invitation = InvitationFactory(
        programme=programme, invitee__email="amira@example.org", invitee__name="Amira Khan"
    )
    sync_schedule(programme=programme)
    reply_url, _unsubscribe = issue_reply_link(invitation=invitation)
    token = reply_url.rstrip("/").rsplit("/", 1)[1]
    answers = {f"session_{s.pk}": "yes" for s in programme.sessions.active()}
    worker.start()

    posted = time.monotonic()
    response = client.post(reverse("invitations:reply", args=[token]), answers)
    assert response.status_code == 302

    [message] = wait_for(
        lambda: smtp_sink.to("amira@example.org"),
        timeout=ARRIVES_WITHIN_SECONDS,
        failure=lambda: f"no confirmation arrived\n{worker.logs()}",
    )
    waited = time.monotonic() - posted
    assert "Thank you" in message["Subject"]
    assert waited < ARRIVES_WITHIN_SECONDS
    wait_for(
        lambda: sent_by(worker, "core.send_due_now"),
        timeout=10,
        failure=lambda: f"the quick run did not finish\n{worker.logs()}",
    )
    time.sleep(1)  # anything more would have arrived by now
    assert len(smtp_sink.messages) == 1
    assert sent_by(worker, "core.send_due_now") == 1
    assert sent_by(worker, "core.dispatch_outbox") == 0


@pytest.mark.django_db(transaction=True)
def test_a_leads_link_sent_from_the_action_page_arrives_in_seconds(world, worker, smtp_sink, client):
    lead = participant(world.programme, name="Amina Khan", email="amina@example.org")
    action = make_action(world, lead=lead, status=ActionStatus.AGREED)
    client.force_login(world.user("facilitator"))
    worker.start()

    response = client.post(reverse("actions:send_link", args=[action.pk]))
    assert response.status_code == 302

    [message] = wait_for(
        lambda: smtp_sink.to("amina@example.org"),
        timeout=ARRIVES_WITHIN_SECONDS,
        failure=lambda: f"no link arrived\n{worker.logs()}",
    )
    assert "A walking bus to school" in message["Subject"]
    # The worker records the row as sent just after the sink has the message, then logs the run.
    wait_for(
        lambda: LeadLink.objects.get().state == LinkState.SENT and sent_by(worker, "core.send_due_now"),
        timeout=10,
        failure=lambda: f"the link was not recorded as sent\n{worker.logs()}",
    )
    assert sent_by(worker, "core.send_due_now") == 1
    assert sent_by(worker, "core.dispatch_outbox") == 0
