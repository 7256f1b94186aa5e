"""The floor's tasks: the outbox dispatcher, run by beat, and its quick run for what a person just did;
the poll asking GOV.UK Notify what became of messages it has said nothing of; the daily trim of the audit
log."""

from celery import shared_task

from . import audit, delivery, outbox


def _summary(result: outbox.DispatchResult) -> dict[str, int]:
    return {
        "sent": result.sent,
        "retrying": result.retrying,
        "failed": result.failed,
        "cancelled": result.cancelled,
        "requeued": result.requeued,
    }


@shared_task(name="core.dispatch_outbox", ignore_result=True)
def dispatch_outbox() -> dict[str, int]:
    """Run by beat every OUTBOX_DISPATCH_EVERY_SECONDS: let each kind bring its rows up to date, requeue
    stuck rows, send what is due.

    Safe to overlap with itself and with send_due_now: every row is claimed before it is sent.
    """
    return _summary(outbox.dispatch_due())


@shared_task(name="core.send_due_now", ignore_result=True)
def send_due_now(message_ids: list[int]) -> dict[str, int]:
    """Enqueued on commit by outbox.send_soon when a person's action causes a message: send those rows
    if they are due, without re-planning anything (beat's run does that). Rows already claimed or sent
    by another run are skipped, so running it twice sends once; with nothing left to send it costs one
    query.
    """
    return _summary(outbox.dispatch_due(prepare=False, only=message_ids))


@shared_task(name="core.poll_delivery", ignore_result=True)
def poll_delivery() -> dict[str, int]:
    """Run by beat every 15 minutes: ask GOV.UK Notify about sent messages it has said nothing final of
    DELIVERY_POLL_AFTER_SECONDS after sending, and record its word (core.delivery.poll_delivery). Short:
    at most delivery.POLL_BATCH rows a run; Notify unreachable ends it quietly, for the next run to try.
    Safe to overlap with itself and with Notify's callbacks: recording a word twice changes nothing.
    """
    return delivery.poll_delivery()


@shared_task(name="core.trim_audit_log", ignore_result=True)
def trim_audit_log() -> int:
    """Run by beat once a day: delete the audit log's entries older than AUDIT_KEEP_DAYS
    (core.audit.trim_log). Safe to run twice: the second run finds nothing to delete."""
    return audit.trim_log()
