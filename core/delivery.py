"""What the provider said of a message after it took it: delivered, not yet, never, or unwanted.

Every source ends here, in ``record_delivery``: GOV.UK Notify's callbacks and the poll for messages it
has said nothing of (core.callbacks / poll_delivery), an email provider's webhooks through django-anymail
(core.webhooks), and an SMTP or Notify refusal at send time (core.outbox). A row keeps the provider's
last word (``Message.delivery``, ``delivery_said``, ``delivery_at``).

Recording is idempotent and keeps time's order: the same event twice changes nothing, and an event older
than the one recorded is ignored (providers do not promise order). When a row first becomes a permanent
failure, its kind's ``on_bounce`` runs once: the owning app marks the address or number as not working
and finds the person another way (invitations.services.delivery).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .enums import Delivery, MessageChannel, MessageState
from .kinds import kind_of
from .models import Message
from .providers import outbox_pk

logger = logging.getLogger(__name__)

SAID_LIMIT = 500
# A temporary failure is only news until the final word: it never replaces one.
FINAL = (Delivery.DELIVERED, Delivery.PERMANENT_FAILURE, Delivery.COMPLAINT)


def reference_of(message: Message) -> str:
    """What we tell a provider the row is called: nothing about the person."""
    return f"outbox-{message.pk}"


def find_message(*, provider_id: str = "", reference: str = "") -> Message | None:
    """The sent row a provider's event is about: by the provider's id for it, else by our reference or
    Message-ID. None for a message we never sent (or one whose row is gone)."""
    if provider_id:
        found: Message | None = Message.objects.filter(provider_id=provider_id[:100]).first()
        if found is not None:
            return found
    for candidate in (reference, provider_id):
        if (pk := outbox_pk(candidate)) is not None:
            sent: Message | None = Message.objects.filter(pk=pk).exclude(state=MessageState.SCHEDULED).first()
            return sent
    return None


def record_delivery(message: Message, *, status: str, said: str = "", at: datetime | None = None) -> bool:
    """Keep what the provider said of ``message``; True when that changed anything.

    ``status`` is one of core.enums.Delivery; ``said`` the provider's own words (kept short); ``at`` when
    it happened (now if not given). Only a newer event counts, and a temporary failure never replaces a
    final word. The first permanent failure or complaint runs the kind's ``on_bounce``, in the same
    transaction."""
    if status not in Delivery.values:
        raise ValueError(f"Not a delivery status: {status!r}")
    at = at or timezone.now()
    said = said.strip()[:SAID_LIMIT]
    with transaction.atomic():
        current = Message.objects.select_for_update().filter(pk=message.pk).first()
        if current is None:
            return False
        if current.delivery == status and current.delivery_said == said:
            return False  # the same event again
        if current.delivery_at and at < current.delivery_at:
            return False  # older than what we know
        if status == Delivery.TEMPORARY_FAILURE and current.delivery in FINAL:
            return False
        # A complaint (marked as spam) stops email to them as surely as a dead address does.
        stopped = (Delivery.PERMANENT_FAILURE, Delivery.COMPLAINT)
        bounced = status in stopped and current.delivery not in stopped
        Message.objects.filter(pk=current.pk).update(delivery=status, delivery_said=said, delivery_at=at)
        current.delivery, current.delivery_said, current.delivery_at = status, said, at
        if bounced:
            kind = kind_of(current.kind)
            if kind is not None and kind.on_bounce is not None:
                kind.on_bounce(current)
    logger.info("outbox message %s: the provider says %s", current.pk, status)
    return True


def awaiting_word(*, now: datetime) -> QuerySet[Message]:
    """Sent rows a provider that can be asked has said nothing final of: sent more than
    DELIVERY_POLL_AFTER_SECONDS ago and within the days the provider keeps status for."""
    return (
        Message.objects.filter(
            state=MessageState.SENT,
            channel__in=(MessageChannel.EMAIL, MessageChannel.SMS),
            provider="notify",
            sent_at__lte=now - timedelta(seconds=settings.DELIVERY_POLL_AFTER_SECONDS),
            sent_at__gte=now - timedelta(days=settings.DELIVERY_POLL_DAYS),
        )
        .exclude(provider_id="")
        .filter(delivery="")  # Notify's temporary failure is its last word too
    )


# How many rows one run of the poll asks about, so that a run stays short (beat runs it every 15 minutes).
POLL_BATCH = 500
# The cache key keeping the last row the poll asked about: the next run carries on after it.
POLL_CURSOR_KEY = "delivery-poll:after"


def poll_delivery(*, now: datetime | None = None, limit: int = POLL_BATCH) -> dict[str, int]:
    """Ask GOV.UK Notify what became of the rows ``awaiting_word(now=)`` names, up to ``limit`` of them,
    and record its word (record_delivery: delivered, not yet, or never, which runs the kind's on_bounce).
    Returns how many rows were asked about, how many words changed a row, how many notifications Notify
    no longer knows, and whether the run stopped early.

    Rows are taken in turn by id, from after the last one the previous run asked about (kept in the
    cache), so rows Notify keeps saying "sending" of cannot hold back the others. A row Notify no longer
    knows is left alone (it is not asked about once DELIVERY_POLL_DAYS have passed). Notify unreachable,
    busy, or refusing our key ends the run quietly: the next run asks again. Without Notify settings
    nothing is asked.
    """
    from django.core.cache import cache
    from django.core.exceptions import ImproperlyConfigured

    from .notify import NotifyConnection
    from .providers import NotSent

    now = now or timezone.now()
    result = {"asked": 0, "recorded": 0, "unknown": 0, "stopped": 0}
    awaiting = awaiting_word(now=now).order_by("pk")
    try:
        after = int(cache.get(POLL_CURSOR_KEY) or 0)
    except Exception:  # noqa: BLE001 -- without the cache, start from the first row
        after = 0
    rows = list(awaiting.filter(pk__gt=after)[:limit])
    if len(rows) < limit:
        rows += awaiting.filter(pk__lte=after)[: limit - len(rows)]
    if not rows:
        return result
    try:
        notify = NotifyConnection()
    except ImproperlyConfigured as error:
        logger.warning("delivery poll: GOV.UK Notify cannot be asked: %s", error)
        result["stopped"] = 1
        return result
    try:
        for message in rows:
            try:
                word = notify.lookup(message.provider_id)
            except NotSent as error:
                logger.warning("delivery poll stopped, to try again next run: %s", error)
                result["stopped"] = 1
                break
            result["asked"] += 1
            after = message.pk
            if word is None:
                result["unknown"] += 1
            elif word.delivery is not None and record_delivery(
                message, status=word.delivery, said=word.said, at=word.at(timezone.now())
            ):
                result["recorded"] += 1
    finally:
        notify.close()
        try:
            cache.set(POLL_CURSOR_KEY, after, timeout=None)
        except Exception:  # noqa: BLE001 -- the next run starts from the first row instead
            logger.warning("delivery poll: could not keep where it stopped", exc_info=True)
    return result
