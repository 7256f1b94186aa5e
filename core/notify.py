"""GOV.UK Notify, through its official client (notifications-python-client): what its two backends share
— texts (core.sms.NotifySmsBackend) and email (``NotifyEmailBackend``, here) — and what the delivery poll
(core.delivery.poll_delivery) and Notify's callbacks (core.callbacks) read.

Settings: NOTIFY_API_KEY (the service's key: "name-service id-secret"), NOTIFY_BASE_URL (the public API
by default), NOTIFY_TIMEOUT (seconds, 15 by default), NOTIFY_SMS_TEMPLATE_ID and NOTIFY_EMAIL_TEMPLATE_ID.
Each template's whole content is a placeholder we fill: a text template's ``((body))``; an email
template's subject ``((subject))`` and its body ``((body))``. We write the words, Notify only carries them.

A failure is one of core.providers' (``TryLater``, ``Refused``, ``AddressRefused``), which the outbox's
classifier reads. The API key never appears in an exception, a log line or a file of ours: the client's
errors carry the request, with a signed bearer token, so they are never chained to ours, and Notify's
words quoted back to us are redacted.
"""

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.html import strip_tags
from notifications_python_client.errors import APIError, HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from .providers import (
    DELIVERED,
    PERMANENT_FAILURE,
    SENDING,
    TEMPORARY_FAILURE,
    AddressRefused,
    NotSent,
    Refused,
    TryLater,
    outbox_pk,
)

logger = logging.getLogger(__name__)

DEFAULT_NOTIFY_BASE_URL: Final = "https://api.notifications.service.gov.uk"
# Well under OUTBOX_STUCK_AFTER_SECONDS, as EMAIL_TIMEOUT is: a send that hangs fails (and is retried)
# long before the sweeper could give its row to another worker.
DEFAULT_NOTIFY_TIMEOUT: Final = 15.0

# An API key is "{key_name}-{service_id}-{secret}", both UUIDs; the client reads the last 73 characters.
UUID_PATTERN: Final = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NOTIFY_API_KEY_FORMAT = re.compile(rf".*-({UUID_PATTERN})-({UUID_PATTERN})", re.IGNORECASE | re.DOTALL)

# Notify's statuses for a text or an email, and what they mean to us. "sent" is "sent internationally":
# some countries' networks say nothing more, so it is as delivered as it will ever be known to be.
# technical-failure: Notify could not hand the message to its provider; it was not charged, and may be
# sent again. Anything else (the letter statuses) is unknown.
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

# What Notify's word means for the person, kept beside it on the row (and shown on the list): per type
# of notification, then for any type.
NOTIFY_MEANINGS: Final = {
    ("permanent-failure", "sms"): "no such number",
    ("permanent-failure", "email"): "no such address",
    ("temporary-failure", "sms"): "the phone was off or out of signal",
    ("temporary-failure", "email"): "the inbox was full or not taking mail",
    ("technical-failure", ""): "Notify could not send it",
    ("sent", ""): "sent abroad, where networks say no more",
}

# Notify's words when a refusal (400) is about the recipient: for a text "phone_number Not a UK mobile
# number", "Not enough digits", "Not a valid number", "… cannot receive text messages"; for an email
# "email_address Not a valid email address".
ADDRESS_REFUSED = re.compile(
    r"phone[_ ]number|email[_ ]address|not a valid (?:number|email)|cannot receive text"
    r"|enough digits|too many digits",
    re.IGNORECASE,
)

# A refusal quoted in an error is cut to this many characters: it goes in the outbox row's last error.
NOTIFY_SAID_LIMIT = 500

# The Message-ID core.outbox gives each email ("<outbox-123@host>"): its left part is our reference.
# A one-click unsubscribe link in List-Unsubscribe ("<https://…>", perhaps beside a "<mailto:…>").
UNSUBSCRIBE_URL = re.compile(r"<(https?://[^<>\s]+)>")


def template_setting(given: str | None, name: str) -> str:
    """The template id ``given``, else the setting called ``name``; ImproperlyConfigured unless a UUID."""
    value = (given or getattr(settings, name, "") or "").strip()
    if not re.fullmatch(UUID_PATTERN, value, re.IGNORECASE):
        raise ImproperlyConfigured(f"{name} is not set or is not a template id (a UUID).")
    return value


def notification_id(answer: Any) -> str:
    """Notify's id for the notification it has just made, from its answer."""
    found = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(found, str) or not found:
        # It may have gone: Notify answered, but not as it does. Say so rather than guess.
        raise TryLater("GOV.UK Notify's answer had no notification id.")
    return found


def parse_notify_time(value: object) -> datetime | None:
    """A time as Notify writes it ("2026-05-14T12:15:30.000000Z"), aware; None for anything else."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)  # Notify's times are UTC
        return parsed.astimezone(UTC)  # OverflowError at the very ends of the calendar
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class NotifyWord:
    """What Notify says of one notification, in a callback or when asked: its status in Notify's words
    ("delivered", "permanent-failure"…), its type ("sms", "email"; blank if not said) and when Notify
    was done with it."""

    status: str
    notification_type: str = ""
    completed_at: datetime | None = None

    @property
    def delivery(self) -> str | None:
        """The word as a core.enums.Delivery value; None when it is no word yet ("created", "sending")
        or one we do not know."""
        ours = NOTIFY_STATUSES.get(self.status)
        return None if ours is None or ours == SENDING else ours

    @property
    def said(self) -> str:
        """Notify's word as it is kept on the row: "GOV.UK Notify: permanent-failure (no such number)"."""
        meaning = NOTIFY_MEANINGS.get((self.status, self.notification_type)) or NOTIFY_MEANINGS.get(
            (self.status, "")
        )
        return f"GOV.UK Notify: {self.status}" + (f" ({meaning})" if meaning else "")

    def at(self, now: datetime) -> datetime:
        """When it happened: Notify's time, never later than ``now`` (a clock ahead of ours would make
        every later word look older), or ``now`` when Notify gave none."""
        return min(self.completed_at, now) if self.completed_at else now


class NotifyConnection:
    """One client of Notify's API, made from the settings unless given: the key is checked without ever
    being quoted. It keeps one HTTP session: make one per thread (or per backend)."""

    def __init__(
        self, *, api_key: str | None = None, base_url: str | None = None, timeout: float | None = None
    ) -> None:
        key = (api_key or getattr(settings, "NOTIFY_API_KEY", "") or "").strip()
        if not NOTIFY_API_KEY_FORMAT.fullmatch(key):
            # Never quote the key, even a wrong one: it may be nearly right.
            raise ImproperlyConfigured(
                "NOTIFY_API_KEY is not set or is not a GOV.UK Notify API key (name-service id-secret)."
            )
        self._secret = key[-36:]
        self.client = NotificationsAPIClient(
            key,
            base_url=base_url or getattr(settings, "NOTIFY_BASE_URL", "") or DEFAULT_NOTIFY_BASE_URL,
            timeout=timeout or getattr(settings, "NOTIFY_TIMEOUT", DEFAULT_NOTIFY_TIMEOUT),
        )

    def __repr__(self) -> str:
        return f"<NotifyConnection {self.client.base_url}>"

    def lookup(self, notification_id: str) -> NotifyWord | None:
        """What Notify says now of the notification it gave ``notification_id``; None when it knows
        nothing of it (it forgets after 7 days) or the id is not one of its. Raises TryLater when it
        cannot be asked now, Refused when it will not answer us (a key it does not know)."""
        try:
            uuid.UUID(notification_id)
        except ValueError:
            return None  # not one of Notify's ids: never put it into a URL
        try:
            notification = self.client.get_notification_by_id(notification_id)
        except HTTPError as error:
            if error.response is not None and error.status_code in (400, 404):
                return None
            raise self.failure(error) from None
        except APIError as error:
            raise self.failure(error) from None
        if not isinstance(notification, dict) or not isinstance(notification.get("status"), str):
            return None
        kind = notification.get("type")
        return NotifyWord(
            status=notification["status"],
            notification_type=kind if isinstance(kind, str) else "",
            completed_at=parse_notify_time(notification.get("completed_at")),
        )

    def status(self, notification_id: str) -> str | None:
        """The notification's status, normalised: one of core.providers.DELIVERY_STATUSES, or None when
        Notify knows nothing of it or says a word we do not know."""
        word = self.lookup(notification_id)
        return NOTIFY_STATUSES.get(word.status) if word else None

    def failure(self, error: APIError) -> NotSent:
        """The client's error as ours: unreachable, too slow, rate-limited (429) or a 5xx answer is
        TryLater; a 400 about the number or address is AddressRefused; any other refusal (403 bad key,
        400 unknown template) is Refused."""
        if isinstance(error, HTTPError) and error.response is None:
            cause = type(error.__cause__).__name__ if error.__cause__ else "no answer"
            return TryLater(f"GOV.UK Notify could not be reached ({cause}).")
        status_code = error.status_code
        if not isinstance(error, HTTPError):  # a 2xx answer that was not JSON
            return TryLater(f"GOV.UK Notify's answer ({status_code}) could not be read.")
        text = self.redact(f"GOV.UK Notify answered {status_code}: {notify_said(error)}")
        if status_code == 429 or status_code >= 500:
            return TryLater(text)
        if status_code == 400 and ADDRESS_REFUSED.search(text):
            return AddressRefused(text)
        return Refused(text)

    def redact(self, text: str) -> str:
        return text.replace(self._secret, "[secret]")

    def close(self) -> None:
        """Close the HTTP session's connections; the next request opens new ones."""
        self.client.request_session.close()


def notify_said(error: APIError) -> str:
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


def _headers(email: EmailMessage) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in email.extra_headers.items()}


def email_reference(email: EmailMessage) -> str | None:
    """Our reference for the outbox row an email is ("outbox-123"), from the Message-ID core.outbox gave
    it; None for an email from elsewhere (Notify then has no reference for it)."""
    pk = outbox_pk(_headers(email).get("message-id", ""))
    return f"outbox-{pk}" if pk is not None else None


def one_click_unsubscribe_url(email: EmailMessage) -> str | None:
    """The email's one-click unsubscribe link (RFC 8058: List-Unsubscribe with List-Unsubscribe-Post),
    which Notify puts in the headers of the email it sends; None when it has none."""
    headers = _headers(email)
    if headers.get("list-unsubscribe-post", "").strip() != "List-Unsubscribe=One-Click":
        return None
    found = UNSUBSCRIBE_URL.search(headers.get("list-unsubscribe", ""))
    return found[1] if found else None


def plain_text(email: EmailMessage) -> str:
    """The email's plain-text body (an HTML-only email's, without its tags)."""
    body = str(email.body or "")
    return strip_tags(body) if email.content_subtype == "html" else body


class NotifyEmailBackend(BaseEmailBackend):
    """Email through GOV.UK Notify (EMAIL_BACKEND = "core.notify.NotifyEmailBackend"): each address of
    each EmailMessage (to, cc and bcc) is one notification of the template NOTIFY_EMAIL_TEMPLATE_ID,
    whose subject is ``((subject))`` and whose body is ``((body))``, filled with the email's subject and
    its plain-text body. The reference sent is the outbox row's ("outbox-123", from the Message-ID
    core.outbox gives), and a one-click unsubscribe link in the headers goes as Notify's
    ``one_click_unsubscribe_url``. Each email sent gets ``provider_id`` (Notify's id for its first
    notification; ``provider_ids``, all of them), which core.outbox keeps on the row.

    What the template cannot carry is left out: the HTML alternative (Notify formats the text itself),
    the From and Reply-To (the Notify service's own are used) and other headers, and attachments — an
    invitation's calendar file does not go; the reply page offers it instead.

    A failure raises TryLater, Refused or AddressRefused (core.providers; not with ``fail_silently``):
    Notify's 400 "email_address Not a valid email address" is the address's fault. With several
    addresses, a failure stops there: the notifications before it have gone.
    """

    provider_name = "notify"

    def __init__(
        self,
        fail_silently: bool = False,
        *,
        api_key: str | None = None,
        template_id: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.connection = NotifyConnection(api_key=api_key, base_url=base_url, timeout=timeout)
        self.template_id = template_setting(template_id, "NOTIFY_EMAIL_TEMPLATE_ID")

    def __repr__(self) -> str:
        return f"<NotifyEmailBackend {self.connection.client.base_url}>"

    def close(self) -> None:
        self.connection.close()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for email in email_messages:
            try:
                self._send(email)
            except NotSent:
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent

    def _send(self, email: EmailMessage) -> None:
        addresses = [parseaddr(recipient)[1] for recipient in email.recipients()]
        if not addresses or not all("@" in address for address in addresses):
            raise AddressRefused("The email has no address to go to.")
        personalisation = {"subject": str(email.subject), "body": plain_text(email)}
        reference = email_reference(email)
        unsubscribe = one_click_unsubscribe_url(email)
        ids = []
        for address in addresses:
            try:
                answer = self.connection.client.send_email_notification(
                    email_address=address,
                    template_id=self.template_id,
                    personalisation=personalisation,
                    reference=reference,
                    one_click_unsubscribe_url=unsubscribe,
                )
            except APIError as error:
                # `from None`: the client's error holds the request, and with it a signed bearer token.
                raise self.connection.failure(error) from None
            ids.append(notification_id(answer))
        email.provider_id = ids[0]  # type: ignore[attr-defined]
        email.provider_ids = ids  # type: ignore[attr-defined]
