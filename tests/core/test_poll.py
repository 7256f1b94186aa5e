"""The delivery poll (task core.poll_delivery, core.delivery.poll_delivery): GOV.UK Notify is asked, through
its real client and a fake Notify on loopback (tests/notify.py), what became of messages it has said
nothing of, and its word is kept."""

import uuid
from datetime import timedelta

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone

from core import delivery
from core.enums import MessageState
from core.kinds import KINDS, Kind, register
from core.models import Message
from core.notify import NotifyEmailBackend
from core.sms import NotifySmsBackend, SmsMessage
from core.tasks import poll_delivery
from tests.factories import UserFactory
from tests.notify import API_KEY, EMAIL_TEMPLATE_ID, SMS_TEMPLATE_ID, start_fake_notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_notify(settings):
    server, state = start_fake_notify()
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_SMS_TEMPLATE_ID = SMS_TEMPLATE_ID
    settings.NOTIFY_EMAIL_TEMPLATE_ID = EMAIL_TEMPLATE_ID
    settings.NOTIFY_BASE_URL = state.base_url
    settings.DELIVERY_POLL_AFTER_SECONDS = 3600
    settings.DELIVERY_POLL_DAYS = 7
    yield state
    server.stop()


@pytest.fixture
def bounces():
    """A kind of message of the tests' own, registered for the test: its on_bounce calls are kept."""
    calls = []
    register(
        Kind(
            name="test-poll",
            label="Test message",
            build=lambda message, shared: None,
            on_bounce=lambda message: calls.append(message.pk),
        )
    )
    yield calls
    KINDS.pop("test-poll")


def row_for(provider_id, *, channel="sms", sent_ago=timedelta(hours=2), **fields):
    now = timezone.now()
    return Message.objects.create(
        kind="test-poll",
        recipient=UserFactory(),
        channel=channel,
        scheduled_for=now - sent_ago,
        state=fields.pop("state", MessageState.SENT),
        sent_at=now - sent_ago,
        provider=fields.pop("provider", "notify"),
        provider_id=provider_id,
        **fields,
    )


def texted(to, **fields):
    """A text sent through Notify to ``to``, and its outbox row."""
    provider_id = NotifySmsBackend().send(
        SmsMessage(to=to, body="See you on Saturday.", reference="outbox-0")
    )
    return row_for(provider_id, **fields)


def emailed(to, **fields):
    email = EmailMessage("See you", "See you on Saturday.", to=[to])
    NotifyEmailBackend().send_messages([email])
    return row_for(email.provider_id, channel="email", **fields)


def asked(fake_notify):
    """The notifications Notify was asked about, in order."""
    return [request.path.rsplit("/", 1)[1] for request in fake_notify.requests if request.method == "GET"]


def test_the_poll_records_what_notify_says(fake_notify, bounces):
    delivered = texted("+447700900001")
    bounced = texted("+447700900002")
    waiting = texted("+447700900003")
    inbox_full = emailed("amira@example.org")
    fake_notify.will_report("+447700900001", "delivered")
    fake_notify.will_report("+447700900002", "permanent-failure")
    fake_notify.will_report("amira@example.org", "temporary-failure")

    result = poll_delivery()

    assert result == {"asked": 4, "recorded": 3, "unknown": 0, "stopped": 0}
    for row in (delivered, bounced, waiting, inbox_full):
        row.refresh_from_db()
    assert (delivered.delivery, delivered.delivery_said) == ("delivered", "GOV.UK Notify: delivered")
    assert (bounced.delivery, bounced.delivery_said) == (
        "permanent-failure",
        "GOV.UK Notify: permanent-failure (no such number)",
    )
    assert (waiting.delivery, waiting.delivery_at) == ("", None)  # "created": no word yet
    assert (inbox_full.delivery, inbox_full.delivery_said) == (
        "temporary-failure",
        "GOV.UK Notify: temporary-failure (the inbox was full or not taking mail)",
    )
    assert bounces == [bounced.pk]
    assert sorted(asked(fake_notify)) == sorted(
        row.provider_id for row in (delivered, bounced, waiting, inbox_full)
    )


def test_a_second_run_asks_only_what_is_still_awaited_and_changes_nothing(fake_notify, bounces):
    delivered = texted("+447700900001")
    retrying = texted("+447700900002")
    fake_notify.will_report("+447700900001", "delivered")
    fake_notify.will_report("+447700900002", "temporary-failure")
    poll_delivery()
    retrying.refresh_from_db()
    first = (retrying.delivery, retrying.delivery_said, retrying.delivery_at, retrying.updated_at)
    before = len(asked(fake_notify))

    result = poll_delivery()

    retrying.refresh_from_db()
    # Notify's temporary failure is its last word: nothing is asked again.
    assert result == {"asked": 0, "recorded": 0, "unknown": 0, "stopped": 0}
    assert asked(fake_notify)[before:] == []
    assert (retrying.delivery, retrying.delivery_said, retrying.delivery_at, retrying.updated_at) == first
    assert delivered.provider_id not in asked(fake_notify)[before:]


def test_a_notification_notify_does_not_know_is_left_alone(fake_notify, bounces):
    forgotten = row_for(str(uuid.uuid4()))
    not_an_id = row_for("../../v2/templates")

    result = poll_delivery()

    assert result == {"asked": 2, "recorded": 0, "unknown": 2, "stopped": 0}
    assert asked(fake_notify) == [forgotten.provider_id]  # what is not an id never goes into a URL
    for row in (forgotten, not_an_id):
        row.refresh_from_db()
        assert (row.delivery, row.state) == ("", MessageState.SENT)


def test_rows_not_awaiting_a_word_are_not_asked_about(fake_notify, bounces):
    fake_notify.will_report("+447700900001", "delivered")
    texted("+447700900001", sent_ago=timedelta(minutes=10))  # too soon: a callback may yet come
    texted("+447700900001", sent_ago=timedelta(days=8))  # Notify has forgotten it
    texted("+447700900001", provider="file")  # not Notify's
    texted("+447700900001", delivery="delivered")  # a final word already
    texted("+447700900001", delivery="permanent-failure")
    texted("+447700900001", state=MessageState.FAILED)
    row_for("", channel="sms")  # no id of Notify's

    result = poll_delivery()

    assert result == {"asked": 0, "recorded": 0, "unknown": 0, "stopped": 0}
    assert asked(fake_notify) == []


def test_notify_unreachable_stops_the_run_quietly_and_the_next_run_asks_again(fake_notify, bounces, settings):
    row = texted("+447700900001")
    fake_notify.will_report("+447700900001", "delivered")
    live = settings.NOTIFY_BASE_URL
    dead_server, dead = start_fake_notify()
    dead_server.stop()
    settings.NOTIFY_BASE_URL = dead.base_url

    stopped = poll_delivery()

    row.refresh_from_db()
    assert stopped == {"asked": 0, "recorded": 0, "unknown": 0, "stopped": 1}
    assert row.delivery == ""

    settings.NOTIFY_BASE_URL = live
    assert poll_delivery() == {"asked": 1, "recorded": 1, "unknown": 0, "stopped": 0}
    row.refresh_from_db()
    assert row.delivery == "delivered"


def test_notify_stopped_altogether_is_no_error(fake_notify, bounces, settings):
    server, state = start_fake_notify()  # a Notify of this test's own, which then stops
    settings.NOTIFY_BASE_URL = state.base_url
    rows = [texted("+447700900001"), texted("+447700900002")]
    state.will_report("+447700900001", "delivered")
    server.stop()

    result = poll_delivery()

    assert result["stopped"] == 1 and result["recorded"] == 0
    for row in rows:
        row.refresh_from_db()
        assert row.delivery == ""


def test_without_notify_settings_nothing_is_asked(fake_notify, bounces, settings):
    texted("+447700900001")
    settings.NOTIFY_API_KEY = ""

    assert poll_delivery() == {"asked": 0, "recorded": 0, "unknown": 0, "stopped": 1}
    assert asked(fake_notify) == []


def test_a_run_asks_at_most_its_batch_and_the_next_carries_on_after_it(fake_notify, bounces):
    # Notify keeps saying "created" of these: they stay awaited, and each run asks about the next ones.
    rows = [texted(f"+44770090000{number}") for number in range(3)]
    ids = [row.provider_id for row in rows]

    runs = []
    for _ in range(3):
        before = len(asked(fake_notify))
        assert delivery.poll_delivery(limit=2)["asked"] == 2
        runs.append(asked(fake_notify)[before:])

    assert runs == [[ids[0], ids[1]], [ids[2], ids[0]], [ids[1], ids[2]]]


def test_a_row_delivered_meanwhile_by_a_callback_is_not_asked_again(fake_notify, bounces, client, settings):
    row = texted("+447700900001")
    settings.NOTIFY_CALLBACK_TOKEN = "token-for-the-poll-test"
    client.post(
        "/hooks/notify/",
        data={"id": row.provider_id, "reference": None, "status": "delivered", "notification_type": "sms"},
        content_type="application/json",
        headers={"Authorization": "Bearer token-for-the-poll-test"},
    )

    assert poll_delivery()["asked"] == 0
    row.refresh_from_db()
    assert row.delivery == "delivered"
