"""Text messages: counting parts, the file backend, and GOV.UK Notify through its real client against a
fake Notify on loopback (tests/notify.py)."""

import json
import logging
import time
import traceback

import jwt
import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from notifications_python_client.notifications import NotificationsAPIClient

from core import sms
from core.sms import (
    FileSmsBackend,
    NotifySmsBackend,
    SmsMessage,
    SmsPermanentFailure,
    SmsTemporaryFailure,
    get_sms_backend,
    is_gsm7,
    sms_parts,
)
from tests.notify import (
    API_KEY,
    EMAIL_TEMPLATE_ID,
    SECRET,
    SERVICE_ID,
    SMS_TEMPLATE_ID,
    start_fake_notify,
)

NUMBER = "+447700900123"
URDU = "آپ سب کو خوش آمدید، ہم مل کر اپنے بچوں کے لیے بہتر محلہ بنائیں گے۔ "


def text(body: str = "Hello from Better Together", to: str = NUMBER, reference: str = "outbox-123"):
    return SmsMessage(to=to, body=body, reference=reference)


@pytest.fixture
def fake_notify(settings):
    """A fake Notify on loopback with the site's Notify settings pointed at it."""
    server, state = start_fake_notify()
    settings.SMS_BACKEND = "core.sms.NotifySmsBackend"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_SMS_TEMPLATE_ID = SMS_TEMPLATE_ID
    settings.NOTIFY_BASE_URL = state.base_url
    yield state
    server.stop()


@pytest.fixture
def sms_folder(settings, tmp_path):
    settings.SMS_BACKEND = "core.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    return tmp_path / "sms"


# --- parts ----------------------------------------------------------------------------------------


def test_gsm7_sets_are_gsm_03_38():
    assert len(sms.GSM7_BASIC) == 127  # 128 codes, one of them the escape
    assert len(sms.GSM7_EXTENSION) == 10
    assert not sms.GSM7_BASIC & sms.GSM7_EXTENSION
    assert is_gsm7("Hello! £5 @ the café, 10:30 (Ümit & Ñico) ¿?")
    assert is_gsm7("Costs €5 [cover] {lunch} ~ ^ | \\")
    for outside in ("`", "’", "ç", "ş", "ą", "\t", "😀", "ی"):
        assert not is_gsm7(f"Hello {outside}"), outside


@pytest.mark.parametrize(
    ("length", "parts"), [(0, 0), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_plain_english_parts(length, parts):
    assert sms_parts("a" * length) == parts


def test_extension_characters_count_two_septets():
    assert sms_parts("€" * 80) == 1  # 160 septets
    assert sms_parts("a" + "€" * 80) == 2  # 161
    assert sms_parts("[" * 76 + "]" * 77) == 3  # 306 septets, 76 characters to a part


def test_an_extension_character_is_never_split_between_parts():
    # 306 septets would fit two parts, but the € would straddle them: it moves whole to the next.
    assert sms_parts("a" * 152 + "€" + "a" * 152) == 3
    assert sms_parts("a" * 151 + "€" + "a" * 153) == 2


def test_one_character_outside_gsm_makes_the_whole_text_ucs2():
    assert sms_parts("a" * 160) == 1
    assert sms_parts("a" * 69 + "’") == 1  # 70 characters
    assert sms_parts("a" * 70 + "’") == 2
    assert sms_parts("a" * 159 + "’") == 3  # 160 characters at 67 a part


def test_urdu_parts():
    urdu = (URDU * 20)[:1000]
    assert len(urdu) == 1000 and not is_gsm7(urdu)
    assert sms_parts(urdu) == 15  # 1000 / 67, rounded up
    assert sms_parts(urdu[:70]) == 1
    assert sms_parts(urdu[:71]) == 2


def test_an_emoji_takes_two_code_units_and_is_never_split():
    assert sms_parts("😀") == 1
    assert sms_parts("a" * 68 + "😀") == 1  # 70 code units
    assert sms_parts("a" * 69 + "😀") == 2  # 71
    assert sms_parts("😀" * 35) == 1  # 70 code units
    assert sms_parts("😀" * 36) == 2
    assert sms_parts("😀" * 66) == 2  # 132 code units: 33 emoji (66 units) to a part
    assert sms_parts("😀" * 67) == 3  # 134 units would fit two parts of 67 only by splitting one
    assert sms_parts("a" * 66 + "😀" + "a" * 66) == 3  # 134 units, but the emoji straddles


def test_message_parts():
    assert text("a" * 161).parts == 2


# --- choosing a backend ----------------------------------------------------------------------------


def test_default_backend_is_the_file_backend(settings, tmp_path):
    if hasattr(settings, "SMS_BACKEND"):
        del settings.SMS_BACKEND
    if hasattr(settings, "SMS_FILE_PATH"):
        del settings.SMS_FILE_PATH
    settings.VAR_DIR = tmp_path

    backend = get_sms_backend()

    assert type(backend) is FileSmsBackend
    assert backend.folder == tmp_path / "sms"


def test_backend_setting_is_loaded(fake_notify):
    assert type(get_sms_backend()) is NotifySmsBackend


def test_backend_that_is_not_an_sms_backend_is_refused(settings):
    settings.SMS_BACKEND = "core.mailbox.MailboxBackend"
    with pytest.raises(ImproperlyConfigured, match="not an SMS backend"):
        get_sms_backend()


# --- the file backend ------------------------------------------------------------------------------


def test_file_backend_writes_one_file_per_text(sms_folder):
    backend = get_sms_backend()

    first = backend.send(text("Hello Amira, see you on Saturday", reference="outbox-1"))
    second = backend.send(text("€5 for lunch? No: it is free.", to="+447700900456", reference="outbox-2"))

    files = sorted(path.name for path in sms_folder.iterdir())
    assert files == sorted([f"{first}.json", f"{second}.json"])
    record = json.loads((sms_folder / f"{first}.json").read_text(encoding="utf-8"))
    assert record["to"] == NUMBER
    assert record["body"] == "Hello Amira, see you on Saturday"
    assert record["reference"] == "outbox-1"
    assert record["parts"] == 1 and record["encoding"] == "GSM-7"
    assert record["sent_at"]
    listed = backend.list_sent()
    assert [kept.reference for kept in listed] == ["outbox-2", "outbox-1"]  # newest first
    kept = backend.read(f"{second}.json")
    assert (kept.id, kept.to, kept.body) == (second, "+447700900456", "€5 for lunch? No: it is free.")
    assert kept.sent_at is not None


def test_file_backend_names_sort_by_time(sms_folder):
    backend = FileSmsBackend()
    ids = []
    for number in range(3):
        ids.append(backend.send(text(f"Text {number}", reference=f"outbox-{number}")))
        time.sleep(0.002)
    assert sorted(ids) == ids
    assert [kept.body for kept in backend.list_sent()] == ["Text 2", "Text 1", "Text 0"]


def test_file_backend_status(sms_folder):
    backend = FileSmsBackend()
    sent = backend.send(text())
    assert backend.status(sent) == "delivered"
    assert backend.status("20240101-000000-000000-00000000") is None
    assert backend.status("../" + sent) is None


@pytest.mark.parametrize("to", ["07700900123", "+44 7700 900123", "", "+0447700900123", "tel:+447700900123"])
def test_file_backend_refuses_a_number_not_in_international_form(sms_folder, to):
    with pytest.raises(SmsPermanentFailure, match="international form"):
        FileSmsBackend().send(text(to=to))
    assert not sms_folder.exists() or not any(sms_folder.iterdir())


def test_file_backend_refuses_an_empty_text(sms_folder):
    with pytest.raises(SmsPermanentFailure, match="empty"):
        FileSmsBackend().send(text(" \n"))


def test_file_backend_reads_nothing_outside_its_folder(sms_folder, tmp_path):
    backend = FileSmsBackend()
    sent = backend.send(text())
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"id": "x", "to": "x", "body": "x", "parts": 1, "sent_at": None}))
    (sms_folder / "20240101-000000-000000-0000abcd.json").symlink_to(secret)
    (sms_folder / ".hidden.json").write_text("{}")
    (sms_folder / f".{sent}.json.part").write_text("{")

    for name in [
        "../secret.json",
        str(secret),
        f"../sms/{sent}.json",
        f"./{sent}.json",
        ".hidden.json",
        f".{sent}.json.part",
        "20240101-000000-000000-0000abcd.json",  # a link to the file outside
        "",
    ]:
        with pytest.raises(ValueError):
            backend.read(name)
    with pytest.raises(FileNotFoundError):
        backend.read("20240101-000000-000000-00000000.json")
    assert [kept.id for kept in backend.list_sent()] == [sent]


def test_file_backend_lists_nothing_without_its_folder(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "never-made")
    assert FileSmsBackend().list_sent() == []


def test_file_backend_skips_a_broken_file(sms_folder):
    backend = FileSmsBackend()
    sent = backend.send(text())
    (sms_folder / "20240101-000000-000000-0000abcd.json").write_text("{not json")
    assert [kept.id for kept in backend.list_sent()] == [sent]


# --- the fake Notify checks what the client sends ---------------------------------------------------


def token(secret=SECRET, iss=SERVICE_ID, iat=None):
    return jwt.encode({"iss": iss, "iat": int(iat or time.time())}, secret, algorithm="HS256")


def post_sms(state, headers):
    body = {"phone_number": NUMBER, "template_id": SMS_TEMPLATE_ID, "personalisation": {"body": "Hi"}}
    return requests.post(f"{state.base_url}/v2/notifications/sms", json=body, headers=headers, timeout=5)


def test_fake_notify_accepts_a_good_token(fake_notify):
    answer = post_sms(fake_notify, {"Authorization": f"Bearer {token()}"})
    assert answer.status_code == 201
    assert answer.json()["content"]["body"] == "Hi"


BAD_TOKENS = {
    "none": lambda: None,
    "wrong-secret": lambda: token(secret="0" * 36),
    "wrong-service": lambda: token(iss="00000000-0000-0000-0000-000000000000"),
    "stale": lambda: token(iat=time.time() - 3600),
    "future": lambda: token(iat=time.time() + 3600),
    "garbage": lambda: "not-a-token",
    "no-iat": lambda: jwt.encode({"iss": SERVICE_ID}, SECRET, algorithm="HS256"),
    "no-iss": lambda: jwt.encode({"iat": int(time.time())}, SECRET, algorithm="HS256"),
    "hs512": lambda: jwt.encode({"iss": SERVICE_ID, "iat": int(time.time())}, SECRET, algorithm="HS512"),
}


@pytest.mark.parametrize("bad", BAD_TOKENS)
# The hs512 token is signed with the real, short secret on purpose: the fake must refuse the algorithm.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_fake_notify_refuses_a_bad_token(fake_notify, bad):
    bearer = BAD_TOKENS[bad]()
    answer = post_sms(fake_notify, {"Authorization": f"Bearer {bearer}"} if bearer else {})
    assert answer.status_code == (401 if bearer is None else 403)
    assert answer.json()["errors"][0]["error"] == "AuthError"
    assert fake_notify.notifications == {}
    assert fake_notify.requests[0].authorised is False


def test_a_wrong_secret_is_refused_through_the_client(fake_notify, settings):
    settings.NOTIFY_API_KEY = (
        f"bettertogether_test-{SERVICE_ID}-{'0' * 8}-{'0' * 4}-{'0' * 4}-{'0' * 4}-{'0' * 12}"
    )

    with pytest.raises(SmsPermanentFailure, match="403") as refused:
        get_sms_backend().send(text())

    assert "Invalid token" in str(refused.value)
    [received] = fake_notify.requests
    assert (received.authorised, received.answered) == (False, 403)
    assert fake_notify.notifications == {}


def test_fake_notify_speaks_email_too(fake_notify):
    client = NotificationsAPIClient(API_KEY, base_url=fake_notify.base_url)

    answer = client.send_email_notification(
        email_address="amira@example.org",
        template_id=EMAIL_TEMPLATE_ID,
        personalisation={"subject": "See you Saturday", "body": "Hello Amira"},
        reference="outbox-9",
    )

    assert answer["content"]["subject"] == "See you Saturday"
    assert fake_notify.requests[0].path == "/v2/notifications/email"
    reported = client.get_notification_by_id(answer["id"])
    assert (reported["type"], reported["email_address"], reported["status"]) == (
        "email",
        "amira@example.org",
        "created",
    )


# --- the Notify backend -----------------------------------------------------------------------------


def test_notify_backend_sends_the_text_with_the_template_and_reference(fake_notify):
    body = "Hello Amira, the workshop on Saturday starts at 10am. Lunch and childcare are free."

    provider_id = get_sms_backend().send(text(body, reference="outbox-123"))

    [received] = fake_notify.requests
    assert (received.method, received.path, received.authorised) == ("POST", "/v2/notifications/sms", True)
    assert received.body == {
        "phone_number": NUMBER,
        "template_id": SMS_TEMPLATE_ID,
        "personalisation": {"body": body},
        "reference": "outbox-123",
    }
    [notification] = fake_notify.sent_to(NUMBER)
    assert provider_id == notification.id
    assert notification.body == body


def test_notify_backend_sends_urdu_unchanged(fake_notify):
    urdu = (URDU * 3).strip()
    get_sms_backend().send(text(urdu))
    assert fake_notify.sent_to(NUMBER)[0].body == urdu


def test_notify_400_is_permanent_with_notifys_message(fake_notify):
    fake_notify.refuse(NUMBER, 400, "Not a UK mobile number")

    with pytest.raises(SmsPermanentFailure) as refused:
        get_sms_backend().send(text())

    assert str(refused.value) == "GOV.UK Notify answered 400: BadRequestError: Not a UK mobile number"


def test_notify_403_is_permanent(fake_notify):
    fake_notify.refuse(NUMBER, 403)
    with pytest.raises(SmsPermanentFailure, match="403: AuthError"):
        get_sms_backend().send(text())


@pytest.mark.parametrize("status_code", [500, 502, 503])
def test_notify_5xx_is_temporary(fake_notify, status_code):
    fake_notify.refuse(NUMBER, status_code)
    with pytest.raises(SmsTemporaryFailure, match=f"answered {status_code}"):
        get_sms_backend().send(text())


def test_notify_rate_limit_is_temporary(fake_notify):
    fake_notify.refuse(NUMBER, 429)
    with pytest.raises(SmsTemporaryFailure, match="429: RateLimitError: Exceeded rate limit"):
        get_sms_backend().send(text())


def test_notify_unreachable_is_temporary(fake_notify, settings):
    server, state = start_fake_notify()
    settings.NOTIFY_BASE_URL = state.base_url
    server.stop()

    with pytest.raises(SmsTemporaryFailure, match=r"could not be reached \(ConnectionError\)"):
        get_sms_backend().send(text())


def test_notify_too_slow_is_temporary(fake_notify, settings):
    settings.NOTIFY_TIMEOUT = 0.2
    fake_notify.delay(NUMBER, 1.0)

    with pytest.raises(SmsTemporaryFailure, match=r"could not be reached \(ReadTimeout\)"):
        get_sms_backend().send(text())


def test_notify_backend_refuses_a_national_number_without_asking(fake_notify):
    with pytest.raises(SmsPermanentFailure, match="international form"):
        get_sms_backend().send(text(to="07700900123"))
    assert fake_notify.requests == []


@pytest.mark.parametrize(
    ("notify_status", "ours"),
    [
        ("created", "sending"),
        ("sending", "sending"),
        ("pending", "sending"),
        ("delivered", "delivered"),
        ("sent", "delivered"),
        ("permanent-failure", "permanent-failure"),
        ("temporary-failure", "temporary-failure"),
        ("technical-failure", "temporary-failure"),
        ("accepted", None),
        ("something-new", None),
    ],
)
def test_notify_status_is_normalised(fake_notify, notify_status, ours):
    backend = get_sms_backend()
    provider_id = backend.send(text())
    fake_notify.will_report(NUMBER, notify_status)

    assert backend.status(provider_id) == ours

    assert fake_notify.requests[-1].path == f"/v2/notifications/{provider_id}"


def test_notify_status_of_a_new_text_is_sending_then_what_notify_says(fake_notify):
    backend = get_sms_backend()
    provider_id = backend.send(text())
    assert backend.status(provider_id) == "sending"
    fake_notify.set_status(provider_id, "delivered")
    assert backend.status(provider_id) == "delivered"


def test_notify_status_of_an_unknown_text_is_none(fake_notify):
    backend = get_sms_backend()
    assert backend.status("0b0e8a57-3c9d-4f39-9e43-8d2a6f1c7b55") is None
    assert fake_notify.requests[-1].answered == 404
    asked = len(fake_notify.requests)
    assert backend.status("../../v2/templates") is None  # not an id: never put in a URL
    assert len(fake_notify.requests) == asked


def test_notify_status_when_notify_is_unreachable_is_temporary(fake_notify, settings):
    backend = get_sms_backend()
    provider_id = backend.send(text())
    server, state = start_fake_notify()
    server.stop()
    backend.client.base_url = state.base_url
    with pytest.raises(SmsTemporaryFailure):
        backend.status(provider_id)


@pytest.mark.parametrize(
    ("api_key", "template_id"),
    [
        ("", SMS_TEMPLATE_ID),
        ("not-a-key", SMS_TEMPLATE_ID),
        (API_KEY[:-1], SMS_TEMPLATE_ID),
        (API_KEY, ""),
        (API_KEY, "template"),
    ],
)
def test_notify_backend_needs_a_key_and_a_template(settings, api_key, template_id):
    settings.SMS_BACKEND = "core.sms.NotifySmsBackend"
    settings.NOTIFY_API_KEY = api_key
    settings.NOTIFY_SMS_TEMPLATE_ID = template_id

    with pytest.raises(ImproperlyConfigured) as refused:
        get_sms_backend()

    assert SECRET[:-1] not in str(refused.value)


@pytest.mark.parametrize("failure", ["400", "403", "429", "500", "wrong-secret", "unreachable", "timeout"])
def test_the_api_key_is_never_in_an_error_or_a_log(fake_notify, settings, caplog, failure):
    caplog.set_level(logging.DEBUG)
    if failure.isdigit():
        fake_notify.refuse(NUMBER, int(failure))
    elif failure == "wrong-secret":
        settings.NOTIFY_API_KEY = API_KEY[:-12] + "0" * 12
    elif failure == "unreachable":
        server, state = start_fake_notify()
        server.stop()
        settings.NOTIFY_BASE_URL = state.base_url
    else:
        settings.NOTIFY_TIMEOUT = 0.2
        fake_notify.delay(NUMBER, 1.0)
    backend = get_sms_backend()

    with pytest.raises((SmsTemporaryFailure, SmsPermanentFailure)) as failed:
        backend.send(text())

    told = "".join(traceback.format_exception(failed.value)) + repr(failed.value) + repr(backend)
    for secret in {settings.NOTIFY_API_KEY[-36:], SECRET}:
        assert secret not in told
        assert secret not in caplog.text
    assert failed.value.__cause__ is None and failed.value.__suppress_context__


def test_a_secret_notify_quotes_back_is_not_repeated(fake_notify):
    fake_notify.refuse(NUMBER, 400, f"Refused for key {API_KEY}")

    with pytest.raises(SmsPermanentFailure) as refused:
        get_sms_backend().send(text())

    assert SECRET not in str(refused.value)
    assert "[secret]" in str(refused.value)
