"""Texts through GOV.UK Notify with real parts: beat and a real Celery worker on Redis, whose own
notifications-python-client posts to the fake Notify (tests/notify.py) on loopback, and Notify's
delivery-status callbacks posted over HTTP to the site's real endpoint (pytest-django's live server).

200 people reached only by text get their invitation once each, with their own reply link; ten of them,
at a school, are then said by Notify to have numbers that do not work: they are marked, moved to a
letter through school, and are exactly the school's letters to print. A worker killed twice mid-batch
while Notify answers slowly loses nothing, and sends again at most one text per killed pool process
(the outbox's bound: tests/integration/test_faults.py).
"""

import random
import re
import secrets
import time
from collections import Counter
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.enums import Delivery
from core.models import Message
from core.sms import sms_parts
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import Channel, MessageKind, MessageState
from invitations.models import Invitation, Invitee
from invitations.services.letters import letter_invitations
from invitations.services.replies import find_invitation
from invitations.services.schedule import sync_schedule
from tests.notify import API_KEY, SMS_TEMPLATE_ID, FakeNotify, Notification, start_fake_notify

from .conftest import DISPATCH_EVERY_SECONDS, wait_for

PEOPLE = 200
AT_SCHOOL = 20  # of them, children at the programme's school: the first BOUNCED of these bounce
BOUNCED = 10
# kill -9 the worker (and its pool) once Notify has taken more than this many texts.
KILL_AFTER = (50, 130)
# How slowly the fake Notify answers each text in the kill test (seconds): a kill lands mid-request.
SLOW_ANSWER_SECONDS = 0.03
DEADLINE_SECONDS = 75
REPLY_LINK = re.compile(re.escape(settings.SITE_URL) + r"/r/([A-Za-z0-9_-]+)/")


@pytest.fixture
def fake_notify(settings):
    """The fake Notify on loopback; texts in any hour, in this process (the dispatcher's due rows) and
    in the worker (``use_notify``)."""
    server, state = start_fake_notify()
    settings.SMS_HOURS = (0, 24)
    settings.NOTIFY_CALLBACK_TOKEN = secrets.token_urlsafe(32)
    yield state
    server.stop()


def use_notify(celery_worker, state: FakeNotify) -> None:
    """Point the worker's SMS backend at the fake Notify, through the settings it reads from its
    environment, as production's are."""
    celery_worker.env.update(
        {
            "NOTIFY_API_KEY": API_KEY,
            "NOTIFY_BASE_URL": state.base_url,
            "NOTIFY_SMS_TEMPLATE_ID": SMS_TEMPLATE_ID,
            "NOTIFY_CALLBACK_TOKEN": settings.NOTIFY_CALLBACK_TOKEN,
            "NOTIFY_TIMEOUT": "10",
            "SMS_HOURS": "0-24",
        }
    )


def mobile(n: int) -> str:
    return f"+4477009{n:05d}"  # Ofcom's numbers for drama: 07700 900000 to 900999


def texters_due_now(world) -> list[Invitation]:
    """PEOPLE people reached by text alone (no email, no other way), AT_SCHOOL of them parents at the
    programme's school, invited to a programme whose first session is 10 days away: with the 21-day
    lead their invitations are due now."""
    programme = world.programme
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    first = programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=10)
    events_services.save_session(session=first)
    invitees = Invitee.objects.bulk_create(
        Invitee(
            neighbourhood=world.neighbourhood,
            name=f"Texter{n:03d} Smith",
            category="parent",
            organisation=world.school if n < AT_SCHOOL else None,
            mobile=mobile(n),
            texts_agreed=True,
            channel=Channel.SMS,
        )
        for n in range(PEOPLE)
    )
    invitations = Invitation.objects.bulk_create(
        Invitation(programme=programme, invitee=invitee) for invitee in invitees
    )
    sync_schedule(programme=programme)
    due = Message.objects.due(timezone.now())
    assert due.count() == PEOPLE
    assert set(due.values_list("kind", "channel")) == {(MessageKind.INVITATION, Channel.SMS)}
    return invitations


def tally(state: FakeNotify) -> tuple[int, int]:
    """Texts Notify took, and distinct numbers they went to."""
    with state.lock:
        numbers = [n.to for n in state.notifications.values() if n.type == "sms"]
    return len(numbers), len(set(numbers))


def settle(celery_worker, state: FakeNotify, rows, *, timeout: float) -> None:
    """Wait until every number has its text and no row is waiting or being sent, then let beat run the
    dispatcher twice more: nothing more may go after that."""
    wait_for(
        lambda: tally(state)[1] == PEOPLE,
        timeout=timeout,
        failure=lambda: f"Notify took {tally(state)} texts (all, distinct)\n{celery_worker.logs()}",
        interval=0.1,
    )
    wait_for(
        lambda: not rows.filter(state__in=[MessageState.SCHEDULED, MessageState.SENDING]).exists(),
        timeout=timeout,
        failure=lambda: f"the outbox did not settle\n{celery_worker.logs()}",
        interval=0.1,
    )
    runs = celery_worker.dispatch_runs()
    wait_for(
        lambda: celery_worker.dispatch_runs() >= runs + 2,
        timeout=10 * DISPATCH_EVERY_SECONDS,
        failure=lambda: f"beat stopped running the dispatcher\n{celery_worker.logs()}",
    )
    time.sleep(0.5)


@pytest.mark.django_db(transaction=True)
def test_two_hundred_texts_go_once_and_ten_bounced_numbers_fall_back_to_letters(
    world, celery_worker, fake_notify, live_server
):
    invitations = texters_due_now(world)
    rows = Message.objects.filter(kind=MessageKind.INVITATION, channel=Channel.SMS)
    use_notify(celery_worker, fake_notify)
    celery_worker.start()  # nothing calls the dispatcher: beat does, every 2 seconds
    settle(celery_worker, fake_notify, rows, timeout=60)

    # Once each: one text per person, each for that person's own row, with their own reply link.
    received, distinct = tally(fake_notify)
    assert (received, distinct) == (PEOPLE, PEOPLE)
    assert all(r.authorised for r in fake_notify.requests)  # the real client's signed tokens
    title = world.programme.title
    texts: dict[int, Notification] = {}
    for invitation in invitations:
        invitee = invitation.invitee
        [text] = fake_notify.sent_to(invitee.mobile)
        row = rows.get(invitation=invitation)
        assert row.state == MessageState.SENT and row.attempts == 1
        assert (row.provider, row.provider_id) == ("notify", text.id)
        assert text.reference == f"outbox-{row.pk}"
        assert text.template_id == SMS_TEMPLATE_ID
        assert text.body.startswith(f"Hello {invitee.first_name}, you're invited to {title}, ")
        [token] = REPLY_LINK.findall(text.body)
        assert text.body.endswith(f"Tell us here: {settings.SITE_URL}/r/{token}/")
        assert find_invitation(token=token) == invitation  # their link opens their invitation
        assert sms_parts(text.body) <= 2
        texts[invitee.pk] = text

    # Notify says ten numbers at the school do not work, by callback to the real endpoint.
    url = live_server.url + reverse("notify_callback")
    token = settings.NOTIFY_CALLBACK_TOKEN
    at_school = [i for i in invitations if i.invitee.organisation_id == world.school.pk]
    bounced, kept = at_school[:BOUNCED], at_school[BOUNCED:]
    for invitation in bounced:
        answer = fake_notify.callback(url, token, texts[invitation.invitee_id], "permanent-failure")
        assert answer.status_code == 200, answer.text
    # The same callback again changes nothing; one with the wrong token is refused and changes nothing.
    again = fake_notify.callback(url, token, texts[bounced[0].invitee_id], "permanent-failure")
    assert again.status_code == 200
    forged = texts[kept[0].invitee_id]
    wrong = requests.post(
        url,
        json={"id": forged.id, "reference": forged.reference, "status": "permanent-failure"},
        headers={"Authorization": "Bearer not-the-token"},
        timeout=10,
    )
    assert wrong.status_code == 403

    for invitation in bounced:
        invitee = Invitee.objects.get(pk=invitation.invitee_id)
        assert "permanent-failure" in invitee.mobile_failed
        assert (invitee.channel, invitee.fell_back_from) == (Channel.LETTER, Channel.SMS)
        row = rows.get(invitation=invitation)
        assert row.delivery == Delivery.PERMANENT_FAILURE
        letters = Message.objects.filter(invitation=invitation, kind=MessageKind.INVITATION, channel="letter")
        assert list(letters.values_list("state", flat=True)) == [MessageState.SCHEDULED]
        # Nothing more is to go to the number that does not work.
        assert not Message.objects.filter(
            invitation=invitation, channel=Channel.SMS, state=MessageState.SCHEDULED
        ).exists()
    others = Invitee.objects.exclude(pk__in=[i.invitee_id for i in bounced]).filter(mobile__startswith="+44")
    assert others.count() == PEOPLE - BOUNCED
    assert set(others.values_list("channel", "mobile_failed", "fell_back_from")) == {(Channel.SMS, "", "")}
    assert not rows.exclude(invitation__in=bounced).exclude(delivery="").exists()

    # The school's letters to print: exactly those ten.
    letter_list = letter_invitations(programme=world.programme, school=world.school)
    assert sorted(letter_list.values_list("pk", flat=True)) == sorted(i.pk for i in bounced)

    # Beat goes on running the dispatcher: no more texts, none to the numbers that do not work.
    runs = celery_worker.dispatch_runs()
    wait_for(
        lambda: celery_worker.dispatch_runs() >= runs + 2,
        timeout=10 * DISPATCH_EVERY_SECONDS,
        failure=lambda: f"beat stopped running the dispatcher\n{celery_worker.logs()}",
    )
    assert tally(fake_notify) == (PEOPLE, PEOPLE)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_no_text_and_duplicates_within_the_bound(
    world, celery_worker, fake_notify
):
    invitations = texters_due_now(world)
    rows = Message.objects.filter(kind=MessageKind.INVITATION, channel=Channel.SMS)
    for invitation in invitations:  # every answer slow: a kill catches texts Notify has, unrecorded
        fake_notify.delay(invitation.invitee.mobile, SLOW_ANSWER_SECONDS)
    use_notify(celery_worker, fake_notify)
    started = time.monotonic()
    celery_worker.start()
    events = []
    for threshold in KILL_AFTER:
        wait_for(
            lambda threshold=threshold: tally(fake_notify)[0] > threshold,
            timeout=max(1.0, DEADLINE_SECONDS - (time.monotonic() - started)),
            failure=lambda: f"Notify took {tally(fake_notify)} texts\n{celery_worker.logs()}",
            interval=0.005,
        )
        time.sleep(random.uniform(0, 0.1))  # at a random moment, not just as a text lands
        received, _ = tally(fake_notify)
        assert received < PEOPLE, f"all sent before the kill at {threshold}: it hit nothing"
        celery_worker.restart_worker()  # kill -9 the worker and its pool, start a new one
        events.append(f"kill at {received} ({time.monotonic() - started:.1f}s)")

    settle(
        celery_worker, fake_notify, rows, timeout=max(1.0, DEADLINE_SECONDS - (time.monotonic() - started))
    )

    received, distinct = tally(fake_notify)
    with fake_notify.lock:
        references = Counter(n.reference for n in fake_notify.notifications.values())
    kills = len(KILL_AFTER)
    bound = kills * celery_worker.processes
    print(
        f"\n{'; '.join(events)}; done in {time.monotonic() - started:.1f}s; lost: {PEOPLE - distinct}, "
        f"duplicates: {received - distinct} ({kills} kills of {celery_worker.processes} processes: at most "
        f"{bound}), requeued by the sweeper {celery_worker.results('requeued')}"
    )
    assert distinct == PEOPLE  # nothing lost
    assert len(references) == distinct  # a duplicate is the same row sent again
    assert received - distinct <= bound
    assert set(rows.values_list("state", flat=True)) == {MessageState.SENT}
    for row in rows:  # each row names a text Notify has for its reference
        assert fake_notify.notifications[row.provider_id].reference == f"outbox-{row.pk}"
    assert celery_worker.results("requeued") > 0  # the killed workers' rows came back this way
