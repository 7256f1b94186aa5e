"""Sending the outbox: claim due rows, send each once, record what the mail server said.

A row moves scheduled → sending (claimed with a random claim id by a conditional UPDATE, so two
dispatchers never hold the same row) → sent, failed, or back to scheduled with a retry time. A worker
killed mid-send leaves rows in "sending"; ``requeue_stuck`` puts them back after a timeout, which is the
only way a message can go twice (the mail server had it, but we never recorded that).
"""

import logging
import secrets
import smtplib
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import F
from django.utils import timezone

from events.enums import ProgrammeStatus

from ..enums import Answer, MessageKind, MessageState
from ..models import Message
from .emails import SharedDetails, build_message
from .schedule import sync_all_schedules

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BATCH_SIZE = 50


def retry_wait(attempts: int) -> timedelta:
    """Growing waits between tries after a temporary failure: 1, 2, 4, 8 minutes..."""
    return timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


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
    pass


def classify(error: Exception) -> Exception:
    """A 4xx answer, a dropped connection or a timeout is temporary; a 5xx answer is permanent."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, answer = next(iter(error.recipients.values()))
        text = f"{code} {answer.decode(errors='replace') if isinstance(answer, bytes) else answer}"
        return PermanentFailure(text) if code >= 500 else TemporaryFailure(text)
    if isinstance(error, smtplib.SMTPResponseException):
        said = error.smtp_error
        text = f"{error.smtp_code} {said.decode(errors='replace') if isinstance(said, bytes) else said}"
        return PermanentFailure(text) if error.smtp_code >= 500 else TemporaryFailure(text)
    if isinstance(error, smtplib.SMTPException | OSError | socket.timeout):
        return TemporaryFailure(f"{type(error).__name__}: {error}")
    return error


def requeue_stuck(*, now: datetime) -> int:
    """Put back rows left in "sending" by a worker that died, once they have waited long enough.
    A row that keeps stopping a worker is given up on after MAX_ATTEMPTS, so it cannot loop forever."""
    stuck = Message.objects.filter(
        state=MessageState.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS),
    )
    stuck.filter(attempts__gte=MAX_ATTEMPTS).update(
        state=MessageState.FAILED, claim="", last_error="Sending stopped part-way too many times."
    )
    return stuck.filter(attempts__lt=MAX_ATTEMPTS).update(
        state=MessageState.SCHEDULED,
        claim="",
        claimed_at=None,
        last_error="Tried again after sending stopped part-way.",
    )


def claim_due(*, now: datetime, limit: int = BATCH_SIZE) -> list[Message]:
    """Claim up to ``limit`` due rows for this dispatcher and return them with what sending needs.
    Empty only when nothing is due: losing a race for one batch means trying the next."""
    while candidates := list(
        Message.objects.due(now).order_by("scheduled_for", "pk").values_list("pk", flat=True)[:limit]
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
    Message.objects.filter(pk__in=candidates, state=MessageState.SCHEDULED).update(
        state=MessageState.SENDING, claim=claim_id, claimed_at=now, attempts=F("attempts") + 1
    )
    return list(
        Message.objects.filter(claim=claim_id, state=MessageState.SENDING)
        .select_related("invitation__invitee", "invitation__programme", "session__venue")
        .order_by("scheduled_for", "pk")
    )


def _finish(message: Message, **changes: Any) -> bool:
    """Record the outcome, but only while the row is still ours."""
    return bool(Message.objects.filter(pk=message.pk, claim=message.claim).update(**changes))


def still_wanted(message: Message, *, now: datetime) -> bool:
    """Read again just before sending, because the person may have opted out or replied, or the session
    moved or been cancelled, since the row was claimed."""
    fresh = (
        Message.objects.filter(
            pk=message.pk,
            invitation__opted_out_at__isnull=True,
            invitation__programme__status=ProgrammeStatus.OPEN,
        )
        .select_related("session", "invitation__reply")
        .only(
            "pk",
            "kind",
            "version",
            "session__date",
            "session__start_time",
            "session__cancelled_at",
            "invitation__reply__version",
        )
        .first()
    )
    if fresh is None:
        return False
    reply = getattr(fresh.invitation, "reply", None)
    if fresh.kind == MessageKind.NUDGE:
        return reply is None
    if fresh.kind == MessageKind.CONFIRMATION:
        return reply is not None and reply.version == fresh.version
    if fresh.session_id:
        said_no = (
            reply is not None and reply.answers.filter(session=fresh.session_id, answer=Answer.NO).exists()
        )
        return fresh.session.cancelled_at is None and fresh.session.starts_at > now and not said_no
    return True


def send_claimed(*, messages: list[Message], connection: BaseEmailBackend, result: DispatchResult) -> None:
    """Send claimed rows over one connection, recording each outcome as it happens."""
    shared: SharedDetails = {}  # each programme's sessions and calendar, built once for the batch
    for message in messages:
        now = timezone.now()
        # Renew the claim as each row's turn comes: the sweeper takes rows whose claimed_at is old, and
        # a long batch must not lose its later rows to it while this worker is still alive. A row the
        # sweeper already gave back (claim gone) is another dispatcher's now: leave it.
        if not _finish(message, claimed_at=now):
            continue
        if not still_wanted(message, now=now):
            if _finish(message, state=MessageState.CANCELLED, claim=""):
                result.cancelled += 1
            continue
        try:
            email = build_message(message=message, shared=shared)
            connection.open()  # reuses the open SMTP session; reconnects after an error closed it
            connection.send_messages([email])
        except Exception as raw:  # noqa: BLE001 -- every failure must be recorded on the row
            error = classify(raw)
            connection.close()  # after an error the SMTP session may be in any state: start afresh
            if isinstance(error, TemporaryFailure) and message.attempts < MAX_ATTEMPTS:
                _finish(
                    message,
                    state=MessageState.SCHEDULED,
                    claim="",
                    retry_at=now + retry_wait(message.attempts),
                    last_error=str(error)[:2000],
                )
                result.retrying += 1
            else:
                _finish(message, state=MessageState.FAILED, claim="", last_error=str(error)[:2000])
                result.failed += 1
            logger.warning("outbox message %s not sent (attempt %s): %s", message.pk, message.attempts, error)
            result.errors.append(str(error))
            continue
        if _finish(message, state=MessageState.SENT, sent_at=timezone.now(), claim="", last_error=""):
            result.sent += 1


def dispatch_due(*, batch_size: int = BATCH_SIZE) -> DispatchResult:
    """Bring schedules up to date, requeue stuck rows, then claim and send due rows until none are left.

    Safe to run in several workers at once: each claims its own rows.
    """
    result = DispatchResult()
    sync_all_schedules()
    result.requeued = requeue_stuck(now=timezone.now())
    connection = get_connection(fail_silently=False)
    try:
        while batch := claim_due(now=timezone.now(), limit=batch_size):
            send_claimed(messages=batch, connection=connection, result=result)
    finally:
        connection.close()
    return result
