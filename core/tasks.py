"""The floor's tasks: the outbox dispatcher, run by beat, and its quick run for what a person just did."""

from celery import shared_task

from . import outbox


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
