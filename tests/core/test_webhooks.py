"""An email provider's tracking webhooks (core.webhooks): Mailgun's events, signed here exactly as Mailgun
signs them, posted to the real endpoint and read by django-anymail's own view."""

import base64
import hashlib
import hmac
import json
import logging
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from core import kinds, outbox
from core.enums import Delivery, MessageChannel, MessageState
from core.kinds import Kind
from core.mail import site_domain
from core.models import Message
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import MessageKind
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory

SIGNING_KEY = "key-" + "3" * 32
BASIC_AUTH = "mailgun:" + "w" * 24
TEST_KIND = "hooktest"
API_ID = "<20260315093000.1.ABCDEF0123456789@mg.example.org>"


@pytest.fixture(autouse=True)
def mailgun(settings):
    """This copy set up for Mailgun's webhooks: its signing key and the basic auth in its URL."""
    settings.ANYMAIL = {
        "MAILGUN_API_KEY": "",
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
        "WEBHOOK_SECRET": BASIC_AUTH,
    }


@pytest.fixture
def bounces():
    """A kind of message of the tests' own, recording each on_bounce; gone afterwards."""
    seen: list[int] = []
    kinds.register(
        Kind(
            name=TEST_KIND,
            label="Test message",
            build=lambda message, shared: EmailMessage("Hello", "Hello", to=["x@example.org"]),
            on_bounce=lambda message: seen.append(message.pk),
        )
    )
    yield seen
    kinds.KINDS.pop(TEST_KIND)


@pytest.fixture
def sent_row(world, bounces):
    """A row of the test kind sent through Mailgun's API: Mailgun's id for it kept as provider_id."""
    invitation = InvitationFactory(programme=world.programme)
    return Message.objects.create(
        kind=TEST_KIND,
        recipient=invitation,
        channel=MessageChannel.EMAIL,
        scheduled_for=timezone.now() - timedelta(hours=2),
        state=MessageState.SENT,
        sent_at=timezone.now() - timedelta(hours=1),
        provider="mailgun",
        provider_id=API_ID,
    )


def mailgun_event(
    event: str,
    *,
    message_id: str = API_ID.strip("<>"),
    at: float | None = None,
    key: str = SIGNING_KEY,
    **extra,
) -> dict:
    """A Mailgun webhook body (its JSON form) signed as Mailgun signs: HMAC-SHA256 of timestamp + token
    with the webhook signing key. Mailgun sends the Message-ID without angle brackets."""
    timestamp, token = str(int(timezone.now().timestamp())), secrets.token_hex(25)
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data = {
        "event": event,
        "id": secrets.token_urlsafe(16),
        "timestamp": at if at is not None else timezone.now().timestamp(),
        "recipient": "amira.khan@example.org",
        "message": {"headers": {"message-id": message_id, "to": "Amira <amira.khan@example.org>"}},
        "user-variables": {},
        "tags": [],
        **extra,
    }
    return {"signature": {"timestamp": timestamp, "token": token, "signature": signature}, "event-data": data}


BOUNCE = {
    "severity": "permanent",
    "reason": "bounce",
    "delivery-status": {
        "code": 550,
        "message": "5.1.1 The email account that you tried to reach does not exist.",
        "description": "",
    },
}


def post(client, body, *, auth: str | None = BASIC_AUTH, content_type="application/json"):
    headers = {}
    if auth is not None:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(reverse("email_tracking"), data=data, content_type=content_type, **headers)


def delivery_of(row: Message) -> tuple[str, str, datetime | None]:
    row.refresh_from_db()
    return row.delivery, row.delivery_said, row.delivery_at


def test_webhook_is_at_its_documented_address():
    assert reverse("email_tracking") == "/hooks/email/mailgun/tracking/"


def test_delivered_event_is_recorded_on_the_invitation_the_outbox_sent(client, world, settings, tmp_path):
    """The real path: an invitation sent by the outbox carries Message-ID <outbox-pk@domain>, and
    Mailgun's event names the message by that header (without its angle brackets)."""
    settings.EMAIL_BACKEND = "core.mailbox.MailboxBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    programme = world.programme
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    first = programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=10)
    events_services.save_session(session=first)
    invitation = InvitationFactory(programme=programme, invitee__email="amira.khan@example.org")
    sync_schedule(programme=programme)
    assert outbox.dispatch_due().sent == 1
    row = Message.objects.get(invitation=invitation, kind=MessageKind.INVITATION)
    at = datetime(2026, 3, 15, 9, 30, 12, tzinfo=UTC)
    body = mailgun_event(
        "delivered",
        message_id=f"outbox-{row.pk}@{site_domain()}",
        at=at.timestamp(),
        **{"delivery-status": {"code": 250, "message": "OK", "description": ""}},
    )

    response = post(client, body)

    assert response.status_code == 200
    assert delivery_of(row) == (Delivery.DELIVERED, "Mailgun: OK", at)


def test_permanent_bounce_marks_the_row_and_runs_the_kinds_on_bounce_once(client, sent_row, bounces):
    at = datetime(2026, 3, 15, 10, 0, tzinfo=UTC)

    response = post(client, mailgun_event("failed", at=at.timestamp(), **BOUNCE))

    assert response.status_code == 200
    said = "Mailgun: 5.1.1 The email account that you tried to reach does not exist."
    assert delivery_of(sent_row) == (Delivery.PERMANENT_FAILURE, said, at)
    assert bounces == [sent_row.pk]


def test_replayed_event_changes_nothing_the_second_time(client, sent_row, bounces):
    body = mailgun_event("failed", **BOUNCE)
    post(client, body)
    before = delivery_of(sent_row)

    response = post(client, body)

    assert response.status_code == 200
    assert delivery_of(sent_row) == before
    assert bounces == [sent_row.pk]


def test_temporary_failure_is_only_news(client, sent_row, bounces):
    body = mailgun_event(
        "failed",
        severity="temporary",
        reason="generic",
        **{"delivery-status": {"code": 452, "message": "4.2.2 The mailbox is full.", "description": ""}},
    )

    response = post(client, body)

    assert response.status_code == 200
    assert delivery_of(sent_row)[:2] == (Delivery.TEMPORARY_FAILURE, "Mailgun: 4.2.2 The mailbox is full.")
    assert bounces == []


def test_rejected_by_the_provider_is_a_permanent_failure(client, sent_row, bounces):
    body = mailgun_event("rejected", reject={"reason": "The address bounced before.", "description": ""})

    post(client, body)

    assert delivery_of(sent_row)[:2] == (Delivery.PERMANENT_FAILURE, "Mailgun: The address bounced before.")
    assert bounces == [sent_row.pk]


def test_complaint_is_recorded_and_stops_email_as_a_bounce_does(client, sent_row, bounces):
    response = post(client, mailgun_event("complained"))
    post(client, mailgun_event("complained"))  # the same again: once

    assert response.status_code == 200
    assert delivery_of(sent_row)[:2] == (Delivery.COMPLAINT, "Mailgun: complained")
    assert bounces == [sent_row.pk]


@pytest.mark.parametrize("event", ["opened", "clicked", "unsubscribed", "accepted", "something-new"])
def test_events_that_say_nothing_of_delivery_are_ignored(client, sent_row, event):
    response = post(client, mailgun_event(event))

    assert response.status_code == 200
    assert delivery_of(sent_row) == ("", "", None)


def test_older_event_after_a_newer_one_is_ignored(client, sent_row, bounces):
    now = timezone.now()
    post(client, mailgun_event("delivered", at=now.timestamp()))

    response = post(client, mailgun_event("failed", at=(now - timedelta(minutes=5)).timestamp(), **BOUNCE))

    assert response.status_code == 200
    assert delivery_of(sent_row)[0] == Delivery.DELIVERED
    assert bounces == []


def test_event_for_a_message_we_never_sent_is_taken_and_ignored(client, sent_row, bounces, caplog):
    others = [
        "20260315093000.9.FFFF@mg.example.org",  # someone else's mail through the same account
        "outbox-987654321@bettertogether.example.org",  # our form, but no such row
        "",
    ]
    caplog.set_level(logging.INFO, logger="core.webhooks")

    answers = [
        post(client, mailgun_event("failed", message_id=other, **BOUNCE)).status_code for other in others
    ]

    assert answers == [200, 200, 200]
    assert delivery_of(sent_row) == ("", "", None)
    assert bounces == []
    assert "we did not send" in caplog.text
    assert "amira" not in caplog.text.lower() and "987654321" not in caplog.text


def test_email_event_naming_a_text_message_row_is_ignored(client, world, bounces):
    text = Message.objects.create(
        kind=TEST_KIND,
        recipient=InvitationFactory(programme=world.programme),
        channel=MessageChannel.SMS,
        scheduled_for=timezone.now(),
        state=MessageState.SENT,
        sent_at=timezone.now(),
        provider="file",
        provider_id="20260315-093000-000000-abcd1234",
    )

    response = post(client, mailgun_event("failed", message_id=f"outbox-{text.pk}@{site_domain()}", **BOUNCE))

    assert response.status_code == 200
    assert delivery_of(text) == ("", "", None)


def test_bad_signature_is_refused(client, sent_row, bounces):
    body = mailgun_event("failed", **BOUNCE)
    body["signature"]["signature"] = "0" * 64

    response = post(client, body)

    assert response.status_code == 403
    assert delivery_of(sent_row) == ("", "", None)


def test_signature_made_with_another_key_is_refused(client, sent_row):
    response = post(client, mailgun_event("failed", key="key-" + "4" * 32, **BOUNCE))

    assert response.status_code == 403
    assert delivery_of(sent_row) == ("", "", None)


def test_changed_event_under_an_old_signature_is_refused(client, sent_row):
    """The signature covers Mailgun's timestamp and token only; a signed body replayed with another
    token is refused."""
    body = mailgun_event("delivered")
    body["signature"]["token"] = secrets.token_hex(25)

    assert post(client, body).status_code == 403


@pytest.mark.parametrize("auth", [None, "mailgun:wrong", "", "someone:" + "w" * 24])
def test_missing_or_wrong_basic_auth_is_refused_even_with_a_good_signature(client, sent_row, auth):
    response = post(client, mailgun_event("failed", **BOUNCE), auth=auth)

    assert response.status_code == 403
    assert delivery_of(sent_row) == ("", "", None)


@pytest.mark.parametrize("unset", ["MAILGUN_WEBHOOK_SIGNING_KEY", "WEBHOOK_SECRET"])
def test_webhook_not_set_up_here_refuses_everything(client, settings, sent_row, unset, caplog):
    """With no signing key, a "signature" made with the empty key would otherwise pass."""
    settings.ANYMAIL = {**settings.ANYMAIL, unset: ""}
    body = mailgun_event(
        "failed", key="" if unset == "MAILGUN_WEBHOOK_SIGNING_KEY" else SIGNING_KEY, **BOUNCE
    )

    response = post(client, body, auth=BASIC_AUTH if unset != "WEBHOOK_SECRET" else ":")

    assert response.status_code == 403
    assert delivery_of(sent_row) == ("", "", None)
    assert f'ANYMAIL["{unset}"]' in caplog.text
    assert SIGNING_KEY not in caplog.text and BASIC_AUTH not in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        '{"signature": {"timestamp": "1", ',
        "not json at all",
        b"\xff\xfe\x00{",
        " ",
        "[]",
        '"a string"',
        "[" * 100_000,
    ],
    ids=["cut-short", "words", "not-utf8", "blank", "a-list", "a-string", "nested-too-deep"],
)
def test_malformed_json_is_a_bad_request(client, sent_row, body):
    response = post(client, body)

    assert response.status_code == 400
    assert delivery_of(sent_row) == ("", "", None)


def test_malformed_json_without_basic_auth_is_refused_first(client):
    assert post(client, "not json at all", auth=None).status_code == 403


def test_empty_post_is_refused(client, sent_row):
    """No body at all (so no content type): nothing signed."""
    assert post(client, b"").status_code == 403


def _signed(**changes) -> dict:
    body = mailgun_event("failed", **BOUNCE)
    body["event-data"].update(changes)
    return body


@pytest.mark.parametrize(
    "body",
    [
        {"signature": "abc", "event-data": {}},
        {"signature": {"timestamp": "1", "token": "ü", "signature": "x"}},
        {**_signed(), "event-data": ["failed"]},
        {**_signed(), "event-data": "failed"},
        {k: v for k, v in _signed().items() if k != "event-data"} | {"event-data": {"timestamp": 1}},
        _signed(event=["failed"]),
        _signed(severity={"permanent": True}),
        _signed(timestamp="soon"),
        _signed(timestamp=1e300),
        _signed(timestamp=None),
        _signed(message="a string"),
        _signed(message={"headers": {"message-id": 12345}}),
        _signed(message={"headers": ["message-id"]}),
        _signed(**{"client-info": "Firefox"}),
    ],
    ids=[
        "signature-not-an-object",
        "token-not-ascii",
        "event-data-a-list",
        "event-data-a-string",
        "no-event",
        "event-a-list",
        "severity-an-object",
        "timestamp-words",
        "timestamp-out-of-range",
        "timestamp-null",
        "message-a-string",
        "message-id-a-number",
        "headers-a-list",
        "client-info-a-string",
    ],
)
def test_json_of_the_wrong_shape_is_a_bad_request(client, sent_row, bounces, body):
    response = post(client, body)

    assert response.status_code == 400
    assert delivery_of(sent_row) == ("", "", None)
    assert bounces == []


def test_unsigned_json_is_refused(client, sent_row):
    body = mailgun_event("failed", **BOUNCE)
    del body["signature"]

    assert post(client, body).status_code == 403


def test_legacy_form_post_is_read_too(client, sent_row, bounces):
    """Mailgun's older webhooks post a form, with the signature's fields among the event's."""
    timestamp, token = str(int(timezone.now().timestamp())), secrets.token_hex(25)
    signature = hmac.new(SIGNING_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    form = {
        "event": "bounced",
        "Message-Id": API_ID,
        "recipient": "amira.khan@example.org",
        "code": "550",
        "error": "5.1.1 No such user",
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }
    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(BASIC_AUTH.encode()).decode()}

    response = client.post(reverse("email_tracking"), data=form, **headers)

    assert response.status_code == 200
    assert delivery_of(sent_row)[:2] == (Delivery.PERMANENT_FAILURE, "Mailgun: 5.1.1 No such user")
    assert bounces == [sent_row.pk]


def test_unsigned_legacy_form_post_is_refused(client, sent_row):
    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(BASIC_AUTH.encode()).decode()}

    response = client.post(
        reverse("email_tracking"), data={"event": "bounced", "Message-Id": API_ID}, **headers
    )

    assert response.status_code == 403
    assert delivery_of(sent_row) == ("", "", None)


def test_broken_multipart_post_is_a_bad_request(client, sent_row):
    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(BASIC_AUTH.encode()).decode()}

    response = client.post(
        reverse("email_tracking"),
        data=b"--boundary\r\nContent-Disposition: form-data; name=\r\n\r\nx",
        content_type="multipart/form-data; boundary=",
        **headers,
    )

    assert response.status_code == 400
    assert delivery_of(sent_row) == ("", "", None)


def test_long_provider_words_are_kept_short_on_one_line(client, sent_row):
    words = "5.1.1 <amira.khan@example.org>:\n   Recipient address rejected: " + "no such user " * 40
    body = mailgun_event("failed", **{**BOUNCE, "delivery-status": {"code": 550, "message": words}})

    post(client, body)

    said = delivery_of(sent_row)[1]
    assert said.startswith("Mailgun: 5.1.1 <amira.khan@example.org>: Recipient address rejected: no such")
    assert len(said) <= 200 and "\n" not in said and said.endswith("…")


def test_head_answers_for_the_providers_check(client):
    assert client.head(reverse("email_tracking")).status_code == 200


def test_get_is_not_allowed(client):
    assert client.get(reverse("email_tracking")).status_code == 405
