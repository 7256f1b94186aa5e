"""Text messages, the Django way: a small backend setting in the spirit of EMAIL_BACKEND.

``get_sms_backend()`` loads the class named by ``settings.SMS_BACKEND``:

- ``core.sms.FileSmsBackend``, the embedded default: each text is kept as one JSON file under
  ``VAR_DIR/sms`` (``SMS_FILE_PATH``), so that a new user can read what the site "sent" (DEBUG pages);
- ``core.sms.NotifySmsBackend``, production: GOV.UK Notify through its official client, with the API key
  and the template from the environment (``NOTIFY_API_KEY``, ``NOTIFY_SMS_TEMPLATE_ID``). The template's
  whole content is ``((body))``: we write the text, Notify only carries it.

A backend's ``send(message)`` returns the provider's id for the text, or raises ``SmsTemporaryFailure``
(try again later) or ``SmsPermanentFailure`` (this text will never go; ``SmsNumberRefused`` when the
number is at fault): the failures every sending backend raises (core.providers), by their SMS names.
``status(provider_id)`` says what the provider knows of it since: one of DELIVERY_STATUSES, or None when
it knows nothing.

What both Notify backends (texts here, email) share is in core.notify. The API key never appears in an
exception, a log line or a file of ours.
"""

import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string
from notifications_python_client.errors import APIError

# Notify's own names (core.notify), importable from here too, beside the texts they concern.
from .notify import DEFAULT_NOTIFY_BASE_URL as DEFAULT_NOTIFY_BASE_URL
from .notify import DEFAULT_NOTIFY_TIMEOUT as DEFAULT_NOTIFY_TIMEOUT
from .notify import NOTIFY_API_KEY_FORMAT as NOTIFY_API_KEY_FORMAT
from .notify import NOTIFY_SAID_LIMIT as NOTIFY_SAID_LIMIT
from .notify import NOTIFY_STATUSES as NOTIFY_STATUSES
from .notify import NotifyConnection, notification_id, template_setting

# What status() answers: the provider's words, normalised.
from .providers import DELIVERED as DELIVERED
from .providers import DELIVERY_STATUSES as DELIVERY_STATUSES
from .providers import PERMANENT_FAILURE as PERMANENT_FAILURE
from .providers import SENDING as SENDING
from .providers import TEMPORARY_FAILURE as TEMPORARY_FAILURE
from .providers import AddressRefused, NotSent, Refused, TryLater

logger = logging.getLogger(__name__)

DEFAULT_SMS_BACKEND: Final = "core.sms.FileSmsBackend"

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

# Texts go from 9am to 7pm, local time (SMS_HOURS, start and end hours): one due outside waits, unclaimed.
DEFAULT_SMS_HOURS: Final = (9, 19)


# A text not sent raises one of the failures every sending backend raises (core.providers), by these
# names: not sent at all; try again later; refused for good; refused because of the number itself.
SmsError = NotSent
SmsTemporaryFailure = TryLater
SmsPermanentFailure = Refused
SmsNumberRefused = AddressRefused


def texting_hours(now: datetime) -> bool:
    """Whether a text may go at ``now``: between SMS_HOURS' start and end hours, local time."""
    start, end = getattr(settings, "SMS_HOURS", DEFAULT_SMS_HOURS)
    return start <= timezone.localtime(now).hour < end


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
    (or per dispatch run), not one shared between threads. ``name`` is kept on each outbox row it sent,
    so a later look-up of its status asks the same provider."""

    name = "sms"

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
        raise SmsNumberRefused("The number is not in international form (+44…).")
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

    name = "file"

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
# Production: GOV.UK Notify (its client, error words and statuses: core.notify).


class NotifySmsBackend(BaseSmsBackend):
    """Texts through GOV.UK Notify (notifications-python-client), one template whose content is
    ``((body))``. Settings: NOTIFY_API_KEY, NOTIFY_SMS_TEMPLATE_ID, NOTIFY_BASE_URL (the public API by
    default) and NOTIFY_TIMEOUT (seconds, 15 by default). Keeps one HTTP session: one backend per thread.
    """

    name = "notify"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        template_id: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.connection = NotifyConnection(api_key=api_key, base_url=base_url, timeout=timeout)
        self.client = self.connection.client
        self.template_id = template_setting(template_id, "NOTIFY_SMS_TEMPLATE_ID")

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
            raise self.connection.failure(error) from None
        return notification_id(answer)

    def status(self, provider_id: str) -> str | None:
        return self.connection.status(provider_id)
