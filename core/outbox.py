"""Sending the outbox: claim due rows, send each once, record what the mail server said.

Every message the site sends is a row of core.models.Message, whatever app it belongs to; the app
registers how to build its kinds (core.kinds). A row moves scheduled → sending (claimed with a random
claim id by a conditional UPDATE, so two dispatchers never hold the same row) → sent, failed, or back to
scheduled with a retry time. A worker killed mid-send leaves rows in "sending"; ``requeue_stuck`` puts
them back after OUTBOX_STUCK_AFTER_SECONDS, which is the only way a message can go twice (the mail
server had it, but we never recorded that).

A busy database ("database is locked" on SQLite) is waited out, never taken for a failure: each write the
dispatcher makes is tried again for a while (``patiently``), and one that still cannot be made leaves the
row "sending" under our claim, which the sweeper puts back. A message whose email went is recorded as
sent however long that takes within the sweeper's timeout, so it never goes twice.

Two ways in: beat runs ``dispatch_due()`` every OUTBOX_DISPATCH_EVERY_SECONDS (each kind's ``prepare``, the
sweeper, then every due row); and a person's action that causes a message calls ``send_soon(message)``,
which once the transaction commits asks the worker to send just those rows (``dispatch_due(prepare=False,
only=...)``), so the message goes in seconds rather than at the next beat.
"""

import logging
import re
import secrets
import smtplib
import socket
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from .delivery import record_delivery, reference_of
from .enums import Delivery, MessageChannel, MessageState
from .kinds import Kind, kind_of, prepare_all
from .mail import site_domain
from .models import Message
from .providers import AddressRefused, NotSent, TryLater
from .queue import enqueue_on_commit
from .sms import BaseSmsBackend, get_sms_backend

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BATCH_SIZE = 50
# The first and the longest pause between tries of a write the database was too busy for.
BUSY_FIRST_PAUSE_SECONDS = 0.05
BUSY_LONGEST_PAUSE_SECONDS = 2.0

T = TypeVar("T")


def retry_wait(attempts: int) -> timedelta:
    """Growing waits between tries after a temporary failure: 1, 2, 4, 8 minutes..."""
    return timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))


@dataclass
class DispatchResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    requeued: int = 0
    errors: list[str] = field(default_factory=list)


class TemporaryFailure(Exception):
    pass


class PermanentFailure(Exception):
    """This message will never go. ``address_at_fault``: because of the address or number itself (an
    SMTP 5xx for the recipient, a number the provider refuses), which then does not work."""

    def __init__(self, text: str, *, address_at_fault: bool = False) -> None:
        super().__init__(text)
        self.address_at_fault = address_at_fault


def _said(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else answer


def classify(error: Exception) -> Exception:
    """A 4xx answer, a dropped connection, a timeout or a briefly busy database is temporary; a 5xx
    answer is permanent (and, refusing the recipient, says the address does not work); so is a
    provider's refusal (GOV.UK Notify's, for a text or an email: core.providers); anything else (a bug
    in building the message) is returned as it is: final."""
    if isinstance(error, TryLater):
        return TemporaryFailure(str(error))
    if isinstance(error, NotSent):
        return PermanentFailure(str(error), address_at_fault=isinstance(error, AddressRefused))
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, answer = next(iter(error.recipients.values()))
        text = f"{code} {_said(answer)}"
        if code < 500:
            return TemporaryFailure(text)
        return PermanentFailure(text, address_at_fault=mailbox_refused(code, _said(answer)))
    if isinstance(error, ImproperlyConfigured):
        # Our settings, not the message: tried again (and seen on the home page) while someone fixes them.
        return TemporaryFailure(f"Not set up to send this: {error}")
    if isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_said(error.smtp_error)}"
        return PermanentFailure(text) if error.smtp_code >= 500 else TemporaryFailure(text)
    if isinstance(error, smtplib.SMTPException | OSError | socket.timeout | OperationalError):
        return TemporaryFailure(f"{type(error).__name__}: {error}")
    return error


# An enhanced status code (RFC 3463) about the address itself: 5.1.x a bad mailbox or domain, 5.2.1 a
# mailbox disabled. "554 5.7.1 Relay access denied" is about us, not them.
ADDRESS_STATUS = re.compile(r"\s*5\.(1\.[0-9]+|2\.1)\b")


def mailbox_refused(code: int, answer: str) -> bool:
    """Whether a mail server's 5xx refusal of a recipient says that address does not work: by its
    enhanced status code when it gives one, else by the reply code (550, 551, 553)."""
    if re.match(r"\s*[245]\.[0-9]{1,3}\.[0-9]{1,3}\b", answer):
        return bool(ADDRESS_STATUS.match(answer))
    return code in (550, 551, 553)


def patience() -> float:
    """How long (seconds) a write may wait out a busy database: half the sweeper's timeout. A row's
    writes are given that from the renewal of its claim, and SQLite's own timeout (20 s, settings) is
    shorter than the other half, so a row this worker is still recording is never swept meanwhile."""
    return settings.OUTBOX_STUCK_AFTER_SECONDS / 2


def patiently(write: Callable[[], T], *, deadline: float | None = None) -> T:
    """Do one write of the dispatcher's, waiting out a busy database: on an OperationalError (SQLite's
    "database is locked", after its own timeout) it is tried again, with growing pauses, until
    ``deadline`` (time.monotonic()), or for patience() after the first failure. Still busy after that,
    the error is raised: the dispatcher stops, and the rows it holds stay "sending" under its claim
    until the sweeper puts them back — never failed, never lost. ``write`` must be safe to repeat."""
    pause = BUSY_FIRST_PAUSE_SECONDS
    while True:
        try:
            return write()
        except OperationalError as error:
            now = time.monotonic()
            deadline = deadline or now + patience()
            if now + pause > deadline:
                raise
            logger.info("outbox: the database is busy (%s); trying again in %.2fs", error, pause)
            time.sleep(pause)
            pause = min(pause * 2, BUSY_LONGEST_PAUSE_SECONDS)


def requeue_stuck(*, now: datetime) -> int:
    """Put back rows left in "sending" by a worker that died, once they have waited long enough.
    A row that keeps stopping a worker is given up on after MAX_ATTEMPTS, so it cannot loop forever."""
    stuck = Message.objects.filter(
        state=MessageState.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS),
    )
    for message in stuck.filter(attempts__gte=MAX_ATTEMPTS):
        if Message.objects.filter(pk=message.pk, claim=message.claim).update(
            state=MessageState.FAILED, claim="", last_error="Sending stopped part-way too many times."
        ):
            _not_sent(message)
    return stuck.filter(attempts__lt=MAX_ATTEMPTS).update(
        state=MessageState.SCHEDULED,
        claim="",
        claimed_at=None,
        last_error="Tried again after sending stopped part-way.",
    )


def claim_due(
    *, now: datetime, limit: int = BATCH_SIZE, only: Collection[int] | None = None
) -> list[Message]:
    """Claim up to ``limit`` due rows (of the rows ``only`` names, if given) for this dispatcher and return
    them. Empty only when nothing is due: losing a race for one batch means trying the next."""
    due = Message.objects.due(now) if only is None else Message.objects.due(now).filter(pk__in=only)
    while candidates := patiently(
        lambda: list(due.order_by("scheduled_for", "pk").values_list("pk", flat=True)[:limit])
    ):
        if claimed := claim(candidates, now=now):
            return claimed
    return []


def claim(candidates: list[int], *, now: datetime) -> list[Message]:
    """Take the rows that are still scheduled. The UPDATE's WHERE decides: if another dispatcher read the
    same candidates, only one of the two updates matches each row."""
    if not candidates:
        return []
    claim_id = secrets.token_hex(16)
    # Two steps, each waited out on its own: rows claimed by the UPDATE are found by their claim id.
    patiently(
        lambda: Message.objects.filter(pk__in=candidates, state=MessageState.SCHEDULED).update(
            state=MessageState.SENDING, claim=claim_id, claimed_at=now, attempts=F("attempts") + 1
        )
    )
    return patiently(
        lambda: list(
            Message.objects.filter(claim=claim_id, state=MessageState.SENDING)
            .prefetch_related("recipient", "topic")
            .order_by("scheduled_for", "pk")
        )
    )


def _finish(message: Message, *, deadline: float | None = None, **changes: Any) -> bool:
    """Record the outcome, but only while the row is still ours; a busy database is waited out."""
    return patiently(
        lambda: bool(Message.objects.filter(pk=message.pk, claim=message.claim).update(**changes)),
        deadline=deadline,
    )


def _bounced(message: Message, text: str) -> bool:
    """Fail the row (while it is still ours) and record that its address does not work, together."""
    with transaction.atomic():
        if not Message.objects.filter(pk=message.pk, claim=message.claim).update(
            state=MessageState.FAILED, claim="", last_error=text[:2000]
        ):
            return False
        record_delivery(message, status=Delivery.PERMANENT_FAILURE, said=text)
    return True


def _not_sent(message: Message, *, deadline: float | None = None) -> None:
    kind = kind_of(message.kind)
    if kind is not None and kind.on_not_sent is not None:
        on_not_sent = kind.on_not_sent
        patiently(lambda: on_not_sent(message), deadline=deadline)


class Senders:
    """The connections a dispatch run sends through, opened when first needed: the email backend's
    (one SMTP session for the run) and the SMS backend."""

    def __init__(self, connection: BaseEmailBackend | None = None) -> None:
        self.email = connection or get_connection(fail_silently=False)
        self._sms: BaseSmsBackend | None = None

    @property
    def sms(self) -> BaseSmsBackend:
        if self._sms is None:
            self._sms = get_sms_backend()
        return self._sms

    def send(self, message: Message, kind: Kind, shared: dict[Any, Any]) -> tuple[str, str]:
        """Build and send one row on its channel; return (provider, the provider's id for it)."""
        if message.channel == MessageChannel.SMS:
            if kind.build_sms is None:
                raise LookupError(f"Messages of kind {message.kind!r} have no text-message version.")
            text = kind.build_sms(message, shared)
            return self.sms.name, self.sms.send(text)
        email = kind.build(message, shared)
        # The same Message-ID each time a row is sent: a copy sent again after a dead worker's row was
        # put back is recognisably the same message, and a provider's webhook names the row by it.
        email.extra_headers["Message-ID"] = f"<{reference_of(message)}@{site_domain()}>"
        self.email.open()  # reuses the open SMTP session; reconnects after an error closed it
        self.email.send_messages([email])
        return _provider_of(self.email), _provider_id(email)

    def reset_email(self) -> None:
        self.email.close()  # after an error the SMTP session may be in any state: start afresh


def _provider_of(connection: BaseEmailBackend) -> str:
    """A short name for the email backend ("notify", "mailgun", "smtp"…), kept on the row."""
    named = getattr(connection, "provider_name", None) or getattr(connection, "esp_name", None)
    return str(named or type(connection).__module__.rsplit(".", 1)[-1]).lower()[:16]


def _provider_id(email: Any) -> str:
    """The provider's id for an email it took: anymail's status, our Notify backend's, else none
    (SMTP: the Message-ID we gave names it)."""
    status = getattr(email, "anymail_status", None)
    provider_id = getattr(status, "message_id", None) or getattr(email, "provider_id", None)
    return str(provider_id)[:100] if provider_id else ""


def send_claimed(*, messages: list[Message], senders: Senders, result: DispatchResult) -> None:
    """Send claimed rows, recording each outcome as it happens."""
    shared: dict[Any, Any] = {}  # what a batch's messages have in common, built once (Kind.build)
    for message in messages:
        now = timezone.now()
        # Every write about this row, its outcome above all, is made before the sweeper could take it.
        deadline = time.monotonic() + patience()
        # Renew the claim as each row's turn comes: the sweeper takes rows whose claimed_at is old, and
        # a long batch must not lose its later rows to it while this worker is still alive. A row the
        # sweeper already gave back (claim gone) is another dispatcher's now: leave it.
        if not _finish(message, deadline=deadline, claimed_at=now):
            continue
        try:
            kind = kind_of(message.kind)
            if kind is None:
                raise LookupError(f"No app carries messages of kind {message.kind!r}.")
            # Read again just before sending: the person may have opted out or replied, or the session
            # moved or been cancelled, since the row was claimed.
            if not kind.still_wanted(message, now):
                if _finish(message, deadline=deadline, state=MessageState.CANCELLED, claim=""):
                    result.cancelled += 1
                continue
            provider, provider_id = senders.send(message, kind, shared)
        except Exception as raw:  # noqa: BLE001 -- every failure must be recorded on the row
            error = classify(raw)
            if message.channel != MessageChannel.SMS:
                senders.reset_email()
            if isinstance(error, TemporaryFailure) and message.attempts < MAX_ATTEMPTS:
                if _finish(
                    message,
                    deadline=deadline,
                    state=MessageState.SCHEDULED,
                    claim="",
                    retry_at=now + retry_wait(message.attempts),
                    last_error=str(error)[:2000],
                ):
                    _not_sent(message, deadline=deadline)
                result.retrying += 1
            else:
                if isinstance(error, PermanentFailure) and error.address_at_fault:
                    # The address or number does not work: failed, and as if the provider had said so
                    # later, in one transaction, so a worker dying between cannot lose the bounce.
                    failed = patiently(partial(_bounced, message, str(error)), deadline=deadline)
                else:
                    failed = _finish(
                        message,
                        deadline=deadline,
                        state=MessageState.FAILED,
                        claim="",
                        last_error=str(error)[:2000],
                    )
                if failed:
                    _not_sent(message, deadline=deadline)
                result.failed += 1
            logger.warning("outbox message %s not sent (attempt %s): %s", message.pk, message.attempts, error)
            result.errors.append(str(error))
            continue
        # The message has gone: recording that is waited for, or the sweeper would send it again.
        if _finish(
            message,
            deadline=deadline,
            state=MessageState.SENT,
            sent_at=timezone.now(),
            claim="",
            last_error="",
            provider=provider[:16],
            provider_id=provider_id,
        ):
            result.sent += 1


def dispatch_due(
    *, batch_size: int = BATCH_SIZE, prepare: bool = True, only: Collection[int] | None = None
) -> DispatchResult:
    """Let each kind bring its rows up to date (the invitations' schedule), requeue stuck rows, then claim
    and send due rows until none are left.

    ``prepare=False`` skips the first two (beat's run does them: re-planning every programme's schedule
    is far too much to do for each reply), and ``only`` limits the run to the rows with those ids: what
    send_soon asks for. A run without ``prepare`` should name its rows: another due row may have been
    planned before a change the schedule has not caught up with yet (a session moved since beat's run).

    Safe to run in several workers at once: each claims its own rows.
    """
    result = DispatchResult()
    if prepare:
        patiently(lambda: prepare_all(timezone.now()))
        result.requeued = patiently(lambda: requeue_stuck(now=timezone.now()))
    senders = Senders()
    try:
        while batch := claim_due(now=timezone.now(), limit=batch_size, only=only):
            send_claimed(messages=batch, senders=senders, result=result)
    finally:
        senders.reset_email()
    return result


def send_soon(*messages: Message) -> None:
    """Once the current transaction commits, ask the worker to send these (saved) rows if they are due:
    for a message caused by a person's action (a confirmation, a lead's link), which should go in seconds,
    not at the next beat. The task (core.send_due_now) claims them like any run, so it never sends twice;
    a row it does not send (not due yet, its programme not open, a failure to retry) is left to beat.
    Call it once per transaction, with every row the action made."""
    if pks := [message.pk for message in messages]:
        enqueue_on_commit("core.send_due_now", pks)
