"""Text messages, the Django way: a small backend setting in the spirit of EMAIL_BACKEND.

``get_sms_backend()`` loads the class named by ``settings.SMS_BACKEND``:

- ``core.sms.FileSmsBackend``, the embedded default: each text is kept as one JSON file under
  ``VAR_DIR/sms`` (``SMS_FILE_PATH``), so that a new user can read what the site "sent" (DEBUG pages);
- ``core.sms.NotifySmsBackend``, production: GOV.UK Notify through its official client, with the API key
  and the template from the environment (``NOTIFY_API_KEY``, ``NOTIFY_SMS_TEMPLATE_ID``). The template's
  whole content is ``((body))``: we write the text, Notify only carries it.

A backend's ``send(message)`` returns the provider's id for the text, or raises ``SmsTemporaryFailure``
(try again later) or ``SmsPermanentFailure`` (this text will never go). ``status(provider_id)`` says what
the provider knows of it since: one of DELIVERY_STATUSES, or None when it knows nothing.

The API key never appears in an exception, a log line or a file of ours.
"""

import json
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string
from notifications_python_client.errors import APIError, HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

logger = logging.getLogger(__name__)

DEFAULT_SMS_BACKEND: Final = "core.sms.FileSmsBackend"
DEFAULT_NOTIFY_BASE_URL: Final = "https://api.notifications.service.gov.uk"
# Well under OUTBOX_STUCK_AFTER_SECONDS, as EMAIL_TIMEOUT is: a send that hangs fails (and is retried)
# long before the sweeper could give its row to another worker.
DEFAULT_NOTIFY_TIMEOUT: Final = 15.0

# What status() answers: the provider's words, normalised.
SENDING: Final = "sending"
DELIVERED: Final = "delivered"
TEMPORARY_FAILURE: Final = "temporary-failure"
PERMANENT_FAILURE: Final = "permanent-failure"
DELIVERY_STATUSES: Final = frozenset({SENDING, DELIVERED, TEMPORARY_FAILURE, PERMANENT_FAILURE})

# GSM 03.38: the basic character set (127 characters; the 128th code is the escape to the extension
# table) and the extension table, whose characters take two septets (the escape and the character).
GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION: Final = frozenset("\f^{}\\[~]|€")
# (septets or UTF-16 code units) in a text sent as one part, and in each part of a longer one: a longer
# text's parts carry a header joining them up, which takes the difference.
GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class SmsError(Exception):
    """A text was not sent. The message says why, in words fit for the outbox row's last error."""


class SmsTemporaryFailure(SmsError):
    """The provider could not take the text now (down, busy, unreachable, too slow): try again later."""


class SmsPermanentFailure(SmsError):
    """The provider refused the text (a number it cannot send to, a key or template it does not know):
    sending it again would be refused again."""


def is_gsm7(text: str) -> bool:
    """Whether ``text`` can go in the GSM 7-bit alphabet (its basic set and extension table)."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def sms_encoding(text: str) -> str:
    """The encoding ``text`` goes in: "GSM-7" when the GSM alphabet can carry it, else "UCS-2"."""
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def sms_parts(text: str) -> int:
    """How many parts the network sends ``text`` as (0 for an empty text).

    GSM-7: 160 septets in one part, 153 in each part of a longer text; an extension-table character
    (€, [, ], {, }, ^, ~, |, \\ and form feed) takes two. Any other character makes the whole text UCS-2:
    70 UTF-16 code units in one part, 67 in each part of a longer text; a character outside the Basic
    Multilingual Plane (most emoji) takes two. A part never ends between the two septets of an extension
    character or the two halves of a surrogate pair, so such a character at a boundary moves whole into
    the next part.
    """
    if is_gsm7(text):
        sizes = [2 if char in GSM7_EXTENSION else 1 for char in text]
        single, multi = GSM7_SINGLE, GSM7_MULTI
    else:
        sizes = [2 if ord(char) > 0xFFFF else 1 for char in text]
        single, multi = UCS2_SINGLE, UCS2_MULTI
    total = sum(sizes)
    if total <= single:
        return 1 if total else 0
    parts, used = 1, 0
    for size in sizes:
        if used + size > multi:
            parts, used = parts + 1, 0
        used += size
    return parts


@dataclass(frozen=True)
class SmsMessage:
    """One text to one person. ``to`` is an E.164 number ("+447700900123"); ``reference`` names the
    outbox row it is sent for ("outbox-123"): it must say nothing about the person."""

    to: str
    body: str
    reference: str

    @property
    def parts(self) -> int:
        return sms_parts(self.body)


class BaseSmsBackend:
    """What every SMS backend does. A backend may keep a connection between sends: make one per worker
    (or per dispatch run), not one shared between threads."""

    def send(self, message: SmsMessage) -> str:
        """Send ``message``; return the provider's id for it. Raises SmsTemporaryFailure or
        SmsPermanentFailure when it was not sent."""
        raise NotImplementedError

    def status(self, provider_id: str) -> str | None:
        """What the provider says of the text it gave ``provider_id``: one of DELIVERY_STATUSES, or None
        when it knows nothing of it. Raises SmsTemporaryFailure when it cannot be asked now."""
        raise NotImplementedError


def get_sms_backend(backend: str | None = None, **kwargs: Any) -> BaseSmsBackend:
    """An instance of the SMS backend named by ``backend`` or else ``settings.SMS_BACKEND`` (a dotted
    path; the file backend by default), made with ``kwargs``, as django.core.mail.get_connection does."""
    path: str = backend or getattr(settings, "SMS_BACKEND", None) or DEFAULT_SMS_BACKEND
    klass = import_string(path)
    if not (isinstance(klass, type) and issubclass(klass, BaseSmsBackend)):
        raise ImproperlyConfigured(f"SMS_BACKEND {path!r} is not an SMS backend (core.sms.BaseSmsBackend).")
    instance: BaseSmsBackend = klass(**kwargs)
    return instance


def _require_e164(message: SmsMessage) -> None:
    """Refuse what no backend can send, the same way in every backend (so the embedded default fails
    where production would)."""
    if not E164.fullmatch(message.to):
        raise SmsPermanentFailure("The number is not in international form (+44…).")
    if not message.body.strip():
        raise SmsPermanentFailure("The text is empty.")


# ---------------------------------------------------------------------------------------------------
# The embedded default: texts as files.

# The names the file backend gives: the time sent (UTC) then a random part, so they sort by time.
SMS_FILE_NAME = re.compile(r"([0-9]{8}-[0-9]{6}-[0-9]{6}-[0-9a-f]{8})\.json")


def sms_dir() -> Path:
    """Where the file backend keeps texts: SMS_FILE_PATH, else VAR_DIR/sms."""
    configured = getattr(settings, "SMS_FILE_PATH", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "sms"


@dataclass(frozen=True)
class SentSms:
    """A text kept by the file backend. ``name`` is its file's name; ``id`` what send() returned."""

    name: str
    id: str
    to: str
    body: str
    reference: str
    parts: int
    encoding: str
    sent_at: datetime | None


class FileSmsBackend(BaseSmsBackend):
    """Each text is written as one JSON file (to, body, reference, parts, encoding, sent_at) under
    SMS_FILE_PATH. Nothing leaves the machine; a kept text counts as delivered."""

    def __init__(self, *, file_path: str | Path | None = None) -> None:
        self.folder = Path(file_path) if file_path else sms_dir()

    def send(self, message: SmsMessage) -> str:
        _require_e164(message)
        now = timezone.now()
        provider_id = f"{now:%Y%m%d-%H%M%S-%f}-{secrets.token_hex(4)}"
        record = {
            "id": provider_id,
            "to": message.to,
            "body": message.body,
            "reference": message.reference,
            "parts": message.parts,
            "encoding": sms_encoding(message.body),
            "sent_at": now.isoformat(),
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{provider_id}.json"
        partial = self.folder / f".{name}.part"
        partial.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
        partial.rename(self.folder / name)  # a reader never sees half a text
        return provider_id

    def status(self, provider_id: str) -> str | None:
        try:
            return DELIVERED if self._path(f"{provider_id}.json") is not None else None
        except ValueError:
            return None

    def list_sent(self) -> list[SentSms]:
        """The kept texts, newest first. Half-written files, links and files we did not write are left
        out; so is a file that cannot be read as one of ours."""
        if not self.folder.is_dir():
            return []
        names = sorted((path.name for path in self.folder.iterdir()), reverse=True)
        kept = []
        for name in names:
            try:
                kept.append(self.read(name))
            except (ValueError, OSError):
                continue
        return kept

    def read(self, name: str) -> SentSms:
        """The kept text in the file called ``name``. A name the backend would not have given (a path, a
        "../", a hidden file) or a link raises ValueError; a name not kept, FileNotFoundError."""
        path = self._path(name)
        if path is None:
            raise FileNotFoundError(f"No kept text is called {name}.")
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            sent_at = datetime.fromisoformat(record["sent_at"]) if record.get("sent_at") else None
            return SentSms(
                name=name,
                id=str(record["id"]),
                to=str(record["to"]),
                body=str(record["body"]),
                reference=str(record.get("reference", "")),
                parts=int(record["parts"]),
                encoding=str(record.get("encoding", "")),
                sent_at=sent_at,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{name} is not a kept text: {error}") from None

    def _path(self, name: str) -> Path | None:
        """The file called ``name`` in our folder, None if there is none. ValueError unless the name is
        one we give, and for anything but a plain file there (a link, a folder, a path leading out)."""
        if not SMS_FILE_NAME.fullmatch(name):
            raise ValueError("Not the name of a kept text.")
        path = self.folder / name
        if not path.exists() and not path.is_symlink():
            return None
        if path.is_symlink() or not path.is_file() or path.resolve().parent != self.folder.resolve():
            raise ValueError("Not a kept text.")
        return path


# ---------------------------------------------------------------------------------------------------
# Production: GOV.UK Notify.

# An API key is "{key_name}-{service_id}-{secret}", both UUIDs; the client reads the last 73 characters.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NOTIFY_API_KEY_FORMAT = re.compile(rf".*-({_UUID})-({_UUID})", re.IGNORECASE | re.DOTALL)

# Notify's statuses for a text, and what they mean to us. "sent" is "sent internationally": some
# countries' networks say nothing more, so it is as delivered as it will ever be known to be.
# technical-failure: Notify could not hand the text to its provider; it was not charged, and may be sent
# again. Anything else (the letter statuses) is unknown.
NOTIFY_STATUSES: Final = {
    "created": SENDING,
    "sending": SENDING,
    "pending": SENDING,
    "delivered": DELIVERED,
    "sent": DELIVERED,
    "permanent-failure": PERMANENT_FAILURE,
    "temporary-failure": TEMPORARY_FAILURE,
    "technical-failure": TEMPORARY_FAILURE,
}

# A refusal quoted in an error is cut to this many characters: it goes in the outbox row's last error.
NOTIFY_SAID_LIMIT = 500


class NotifySmsBackend(BaseSmsBackend):
    """Texts through GOV.UK Notify (notifications-python-client), one template whose content is
    ``((body))``. Settings: NOTIFY_API_KEY, NOTIFY_SMS_TEMPLATE_ID, NOTIFY_BASE_URL (the public API by
    default) and NOTIFY_TIMEOUT (seconds, 15 by default). Keeps one HTTP session: one backend per thread.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        template_id: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
    ) -> None:
        key = api_key or getattr(settings, "NOTIFY_API_KEY", "") or ""
        if not NOTIFY_API_KEY_FORMAT.fullmatch(key.strip()):
            # Never quote the key, even a wrong one: it may be nearly right.
            raise ImproperlyConfigured(
                "NOTIFY_API_KEY is not set or is not a GOV.UK Notify API key (name-service id-secret)."
            )
        self.template_id = template_id or getattr(settings, "NOTIFY_SMS_TEMPLATE_ID", "") or ""
        if not re.fullmatch(_UUID, self.template_id, re.IGNORECASE):
            raise ImproperlyConfigured("NOTIFY_SMS_TEMPLATE_ID is not set or is not a template id (a UUID).")
        self._secret = key.strip()[-36:]
        self.client = NotificationsAPIClient(
            key.strip(),
            base_url=base_url or getattr(settings, "NOTIFY_BASE_URL", "") or DEFAULT_NOTIFY_BASE_URL,
            timeout=timeout or getattr(settings, "NOTIFY_TIMEOUT", DEFAULT_NOTIFY_TIMEOUT),
        )

    def __repr__(self) -> str:
        return f"<NotifySmsBackend {self.client.base_url}>"

    def send(self, message: SmsMessage) -> str:
        _require_e164(message)
        try:
            answer = self.client.send_sms_notification(
                phone_number=message.to,
                template_id=self.template_id,
                personalisation={"body": message.body},
                reference=message.reference,
            )
        except APIError as error:
            # `from None`: the client's error holds the request, and with it a signed bearer token.
            raise self._failure(error) from None
        provider_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(provider_id, str) or not provider_id:
            # It may have gone: Notify answered, but not as it does. Say so rather than guess.
            raise SmsTemporaryFailure("GOV.UK Notify's answer had no notification id.")
        return provider_id

    def status(self, provider_id: str) -> str | None:
        try:
            uuid.UUID(provider_id)
        except ValueError:
            return None  # not one of Notify's ids: never put it into a URL
        try:
            notification = self.client.get_notification_by_id(provider_id)
        except HTTPError as error:
            if error.response is not None and error.status_code in (400, 404):
                return None  # unknown to Notify (it forgets after 7 days)
            raise self._failure(error) from None
        except APIError as error:
            raise self._failure(error) from None
        said = notification.get("status") if isinstance(notification, dict) else None
        return NOTIFY_STATUSES.get(said) if isinstance(said, str) else None

    def _failure(self, error: APIError) -> SmsError:
        """The client's error as ours: unreachable, too slow, rate-limited (429) or a 5xx answer is
        temporary; any other refusal (400 bad number, 403 bad key) is permanent."""
        if isinstance(error, HTTPError) and error.response is None:
            cause = type(error.__cause__).__name__ if error.__cause__ else "no answer"
            return SmsTemporaryFailure(f"GOV.UK Notify could not be reached ({cause}).")
        status_code = error.status_code
        if not isinstance(error, HTTPError):  # a 2xx answer that was not JSON
            return SmsTemporaryFailure(f"GOV.UK Notify's answer ({status_code}) could not be read.")
        text = self._redact(f"GOV.UK Notify answered {status_code}: {_notify_said(error)}")
        if status_code == 429 or status_code >= 500:
            return SmsTemporaryFailure(text)
        return SmsPermanentFailure(text)

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "[secret]")


def _notify_said(error: APIError) -> str:
    """Notify's own words from an error answer: its `errors` list ("BadRequestError: …"), or its
    `message`, or the client's summary."""
    said: Any  # the answer's JSON, whatever the client's annotation says
    try:
        said = error.message
    except Exception:  # the client reads the answer's JSON; never let that hide the failure
        said = ""
    if isinstance(said, list):
        words = []
        for item in said:
            if isinstance(item, dict):
                kind, message = item.get("error"), item.get("message")
                words.append(f"{kind}: {message}" if kind else str(message))
            else:
                words.append(str(item))
        said = "; ".join(words)
    text = str(said or "no reason given")
    return text if len(text) <= NOTIFY_SAID_LIMIT else text[: NOTIFY_SAID_LIMIT - 1] + "…"
