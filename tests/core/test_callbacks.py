"""GOV.UK Notify's delivery-status callbacks (core.callbacks), posted to the real URL through the Django
test client as Notify posts them: the bearer token, odd bodies, replays and floods."""

import hmac
import json
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core import callbacks
from core.enums import MessageState
from core.kinds import KINDS, Kind, register
from core.models import Message
from tests.factories import UserFactory

TOKEN = "k3Zb9qTq0yq8q1E1m6V7pA-callback-token-for-tests"
URL = "/hooks/notify/"
NUMBER = "+447700900123"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _callback_settings(settings):
    settings.NOTIFY_CALLBACK_TOKEN = TOKEN
    settings.RATE_LIMIT_PER_MINUTE = 60
    settings.BEHIND_PROXY = False


@pytest.fixture
def bounces():
    """A kind of message of the tests' own, registered for the test: its on_bounce calls are kept."""
    calls = []
    register(
        Kind(
            name="test-callback",
            label="Test message",
            build=lambda message, shared: None,
            on_bounce=lambda message: calls.append(message.pk),
        )
    )
    yield calls
    KINDS.pop("test-callback")


def sent_row(*, version=0, provider_id=None, channel="sms", recipient=None):
    """A row Notify has taken: sent an hour ago, with Notify's id for it."""
    now = timezone.now()
    return Message.objects.create(
        kind="test-callback",
        recipient=recipient or UserFactory(),
        version=version,
        channel=channel,
        scheduled_for=now - timedelta(hours=1),
        state=MessageState.SENT,
        sent_at=now - timedelta(hours=1),
        provider="notify",
        provider_id=str(uuid.uuid4()) if provider_id is None else provider_id,
    )


def callback(row=None, *, status="delivered", completed_at="2026-03-02T10:15:30.000000Z", **fields):
    """What Notify posts about ``row``."""
    body = {
        "id": row.provider_id if row is not None else str(uuid.uuid4()),
        "reference": f"outbox-{row.pk}" if row is not None else None,
        "to": NUMBER,
        "status": status,
        "created_at": "2026-03-02T10:15:00.000000Z",
        "completed_at": completed_at,
        "sent_at": "2026-03-02T10:15:01.000000Z",
        "notification_type": "sms",
    }
    return {**body, **fields}


def post(client, body, *, token=TOKEN, scheme="Bearer", address="127.0.0.1", content_type="application/json"):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return client.post(URL, data=data, content_type=content_type, headers=headers, REMOTE_ADDR=address)


def test_the_url_is_named_notify_callback():
    assert reverse("notify_callback") == URL


# --- what is recorded -------------------------------------------------------------------------------


def test_a_delivered_callback_is_recorded_with_notifys_time(client, bounces):
    row = sent_row()

    response = post(client, callback(row, status="delivered"))

    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.delivery, row.delivery_said) == ("delivered", "GOV.UK Notify: delivered")
    assert row.delivery_at == datetime(2026, 3, 2, 10, 15, 30, tzinfo=UTC)
    assert bounces == []


@pytest.mark.parametrize(
    ("notify_status", "kind", "delivery", "said"),
    [
        (
            "permanent-failure",
            "sms",
            "permanent-failure",
            "GOV.UK Notify: permanent-failure (no such number)",
        ),
        (
            "permanent-failure",
            "email",
            "permanent-failure",
            "GOV.UK Notify: permanent-failure (no such address)",
        ),
        (
            "temporary-failure",
            "sms",
            "temporary-failure",
            "GOV.UK Notify: temporary-failure (the phone was off or out of signal)",
        ),
        (
            "technical-failure",
            "email",
            "temporary-failure",
            "GOV.UK Notify: technical-failure (Notify could not send it)",
        ),
        ("delivered", "email", "delivered", "GOV.UK Notify: delivered"),
    ],
)
def test_notifys_words_are_recorded_as_ours(client, bounces, notify_status, kind, delivery, said):
    row = sent_row(channel=kind)

    response = post(client, callback(row, status=notify_status, notification_type=kind))

    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.delivery, row.delivery_said) == (delivery, said)


@pytest.mark.parametrize("notify_status", ["created", "sending", "pending", "accepted", "something-new"])
def test_no_word_yet_records_nothing(client, bounces, notify_status):
    row = sent_row()

    response = post(client, callback(row, status=notify_status))

    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.delivery, row.delivery_said, row.delivery_at) == ("", "", None)


def test_a_permanent_failure_runs_the_kinds_on_bounce_once_however_often_it_comes(client, bounces):
    row = sent_row()
    body = callback(row, status="permanent-failure")

    answers = [post(client, body).status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert bounces == [row.pk]
    row.refresh_from_db()
    assert row.delivery == "permanent-failure"


def test_the_same_callback_twice_changes_nothing(client, bounces):
    row = sent_row()
    body = callback(row, status="temporary-failure", completed_at=None)
    post(client, body)
    row.refresh_from_db()
    first = (row.delivery, row.delivery_said, row.delivery_at, row.updated_at)

    response = post(client, body)

    row.refresh_from_db()
    assert response.status_code == 200
    assert (row.delivery, row.delivery_said, row.delivery_at, row.updated_at) == first


def test_an_older_word_does_not_replace_a_newer_one(client, bounces):
    row = sent_row()
    post(client, callback(row, status="delivered", completed_at="2026-03-02T10:20:00Z"))

    post(client, callback(row, status="temporary-failure", completed_at="2026-03-02T10:16:00Z"))

    row.refresh_from_db()
    assert row.delivery == "delivered"


def test_a_row_whose_notify_id_was_never_kept_is_found_by_its_reference(client, bounces):
    # The worker died after Notify took the text but before it kept Notify's id.
    row = sent_row(provider_id="")

    post(client, callback(row, status="delivered", id=str(uuid.uuid4())))

    row.refresh_from_db()
    assert row.delivery == "delivered"


def test_an_unknown_notification_is_answered_200_and_logged_without_the_person(client, bounces, caplog):
    caplog.set_level(logging.INFO)
    row = sent_row()
    unknown = str(uuid.uuid4())

    response = post(client, callback(status="permanent-failure", id=unknown, to="amira@example.org"))

    assert response.status_code == 200
    assert unknown in caplog.text
    assert "amira@example.org" not in caplog.text and NUMBER not in caplog.text
    row.refresh_from_db()
    assert row.delivery == "" and bounces == []


def test_a_reference_to_a_row_not_sent_is_unknown(client, bounces):
    row = sent_row(provider_id="")
    Message.objects.filter(pk=row.pk).update(state=MessageState.SCHEDULED)

    response = post(client, callback(row, status="delivered", id=str(uuid.uuid4())))

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.delivery == ""


@pytest.mark.parametrize(
    ("completed_at", "expected"),
    [
        (None, "now"),
        ("", "now"),
        ("yesterday", "now"),
        (12, "now"),
        (["2026-03-02T10:15:30Z"], "now"),
        ("0001-01-01T00:00:00+05:00", "now"),  # before the calendar begins, in UTC
        ("9999-12-31T23:59:59Z", "now"),  # a clock far ahead is never believed
        ("2026-03-02T10:15:30", datetime(2026, 3, 2, 10, 15, 30, tzinfo=UTC)),  # Notify's times are UTC
        ("2026-03-02T11:15:30+01:00", datetime(2026, 3, 2, 10, 15, 30, tzinfo=UTC)),
    ],
)
def test_notifys_time_is_used_when_it_can_be_read(client, bounces, completed_at, expected):
    row = sent_row()
    before = timezone.now()

    response = post(client, callback(row, completed_at=completed_at))

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.delivery == "delivered"
    if expected == "now":
        assert before <= row.delivery_at <= timezone.now()
    else:
        assert row.delivery_at == expected


# --- who may post -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "token"),
    [
        ("Bearer", "wrong"),
        ("Bearer", TOKEN[:-1]),
        ("Bearer", TOKEN + "x"),
        ("Bearer", TOKEN.upper()),
        ("Bearer", ""),
        ("Basic", TOKEN),
        ("", TOKEN),
        ("Bearer", "tökén"),
        (None, None),
    ],
    ids=["wrong", "short", "long", "case", "empty", "basic", "no-scheme", "non-ascii", "no-header"],
)
def test_a_missing_or_wrong_token_is_refused_and_records_nothing(client, bounces, scheme, token):
    row = sent_row()

    response = post(client, callback(row, status="permanent-failure"), token=token, scheme=scheme)

    assert response.status_code == 403
    row.refresh_from_db()
    assert row.delivery == "" and bounces == []


def test_the_scheme_is_not_case_sensitive(client, bounces):
    row = sent_row()
    assert post(client, callback(row), scheme="bearer").status_code == 200


@pytest.mark.parametrize("token", ["", TOKEN])
def test_every_callback_is_refused_when_no_token_is_set(client, bounces, settings, token):
    settings.NOTIFY_CALLBACK_TOKEN = ""
    row = sent_row()

    response = post(client, callback(row), token=token)

    assert response.status_code == 403
    row.refresh_from_db()
    assert row.delivery == ""


def test_the_token_is_compared_in_constant_time(client, bounces, monkeypatch):
    compared = []
    real = hmac.compare_digest

    def spy(given, expected):
        compared.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(callbacks.hmac, "compare_digest", spy)
    row = sent_row()

    assert post(client, callback(row), token="nearly-" + TOKEN).status_code == 403
    assert post(client, callback(row)).status_code == 200

    assert compared == [(b"nearly-" + TOKEN.encode(), TOKEN.encode()), (TOKEN.encode(), TOKEN.encode())]


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_only_post(client, method):
    response = getattr(client, method)(URL, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 405


def test_no_csrf_token_is_needed(bounces):
    from django.test import Client

    row = sent_row()
    response = post(Client(enforce_csrf_checks=True), callback(row))

    assert response.status_code == 200


# --- odd bodies -------------------------------------------------------------------------------------

ID = "0b0e8a57-3c9d-4f39-9e43-8d2a6f1c7b55"
ODD_BODIES = {
    "empty": b"",
    "not-json": b"status=delivered&id=1",
    "truncated": b'{"id": "' + ID.encode() + b'", "status": "deliv',
    "list": b'[{"id": "' + ID.encode() + b'", "status": "delivered"}]',
    "string": b'"delivered"',
    "number": b"42",
    "null": b"null",
    "true": b"true",
    "nan-id": b'{"id": NaN, "status": "delivered"}',
    "no-id": b'{"status": "delivered"}',
    "blank-id": b'{"id": "  ", "status": "delivered"}',
    "number-id": b'{"id": 5, "status": "delivered"}',
    "list-id": b'{"id": ["' + ID.encode() + b'"], "status": "delivered"}',
    "object-id": b'{"id": {"$ne": null}, "status": "delivered"}',
    "long-id": json.dumps({"id": "a" * 101, "status": "delivered"}).encode(),
    "no-status": json.dumps({"id": ID}).encode(),
    "number-status": json.dumps({"id": ID, "status": 7}).encode(),
    "object-status": json.dumps({"id": ID, "status": {"delivered": True}}).encode(),
    "number-reference": json.dumps({"id": ID, "status": "delivered", "reference": 5}).encode(),
    "nested-junk": json.dumps({"id": ID, "status": "delivered", "reference": [[{"a": [1, {}]}]]}).encode(),
    "deeply-nested": b"[" * 30_000 + b"]" * 30_000,
    "deeply-nested-object": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "huge": json.dumps({"id": ID, "status": "delivered", "padding": "x" * 200_000}).encode(),
    "latin-1": '{"id": "café", "status": "delivered"}'.encode("latin-1"),
    "invalid-utf-8": b'{"id": "\xff\xfe\xfd", "status": "delivered"}',
    "utf-16-list": '["delivered"]'.encode("utf-16"),
    "nul-bytes": b"\x00" * 64,
}


@pytest.mark.parametrize("body", ODD_BODIES.values(), ids=ODD_BODIES.keys())
def test_odd_bodies_are_answered_400_never_500(client, bounces, body):
    row = sent_row()

    response = post(client, body)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert 0 < len(response.content) < 100
    row.refresh_from_db()
    assert row.delivery == ""


def test_a_body_larger_than_django_reads_is_400(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = post(client, {"id": ID, "status": "delivered", "padding": "x" * 2000})

    assert response.status_code == 400


def test_a_body_of_another_content_type_is_read_as_json(client, bounces):
    row = sent_row()
    assert post(client, callback(row), content_type="text/plain").status_code == 200


def test_odd_bodies_with_a_wrong_token_are_refused_before_they_are_read(client):
    for body in ODD_BODIES.values():
        assert post(client, body, token="wrong").status_code == 403


# --- floods -----------------------------------------------------------------------------------------


def test_a_flood_of_wrong_tokens_is_limited_while_every_genuine_callback_is_recorded(client, bounces):
    """10,000 callbacks in one go, as from one address: 9,000 with a wrong token and 1,000 genuine ones,
    interleaved (nine wrong, then one genuine). After RATE_LIMIT_PER_MINUTE wrong ones the address is
    answered 429; every genuine callback is still recorded. Another address is not limited by the flood.
    """
    limit = 60
    recipient = UserFactory()
    rows = Message.objects.bulk_create(
        [
            Message(
                kind="test-callback",
                recipient=recipient,
                version=number,
                channel="sms",
                scheduled_for=timezone.now(),
                state=MessageState.SENT,
                sent_at=timezone.now(),
                provider="notify",
                provider_id=str(uuid.uuid4()),
            )
            for number in range(1000)
        ]
    )
    wrong_answers, genuine_answers = [], []
    started = time.monotonic()

    for row in rows:
        for attempt in range(9):
            body = callback(status="permanent-failure", id=row.provider_id, reference=f"outbox-{row.pk}")
            wrong_answers.append(post(client, body, token=f"guess-{attempt}").status_code)
        genuine_answers.append(post(client, callback(row, status="permanent-failure")).status_code)

    elapsed = time.monotonic() - started
    assert len(wrong_answers) + len(genuine_answers) == 10_000
    assert genuine_answers == [200] * 1000
    assert set(wrong_answers) == {403, 429}
    # The window is a clock minute: a run that crosses into the next one is allowed a second batch.
    assert wrong_answers[:limit] == [403] * limit
    assert limit <= wrong_answers.count(403) <= 2 * limit
    assert Message.objects.filter(delivery="permanent-failure").count() == 1000
    assert sorted(bounces) == sorted(row.pk for row in rows)
    # Someone else is not held back by the flood.
    assert post(client, callback(status="delivered"), token="wrong", address="192.0.2.7").status_code == 403
    assert elapsed < 60, f"10,000 callbacks took {elapsed:.1f}s"


def test_a_limited_answer_says_when_to_try_again(client):
    # 61 wrong tokens in one clock minute; twice as many may be needed if the run crosses into the next.
    answers = [post(client, callback(), token="wrong") for _ in range(121)]

    response = next(answer for answer in answers if answer.status_code != 403)

    assert response.status_code == 429
    assert response.content == b"Too many requests.\n"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_no_limit_when_it_is_turned_off(client, settings):
    settings.RATE_LIMIT_PER_MINUTE = 0
    answers = {post(client, callback(), token="wrong").status_code for _ in range(100)}
    assert answers == {403}
