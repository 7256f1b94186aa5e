"""The floor's tasks: the outbox dispatcher."""

from celery import shared_task

from . import outbox


@shared_task(name="core.dispatch_outbox", ignore_result=True)
def dispatch_outbox() -> dict[str, int]:
    """Run by beat every few minutes, and enqueued on commit when a person's action causes a message:
    let each kind bring its rows up to date, requeue stuck rows, send what is due.

    Safe to overlap with itself: every row is claimed before it is sent.
    """
    result = outbox.dispatch_due()
    return {
        "sent": result.sent,
        "retrying": result.retrying,
        "failed": result.failed,
        "cancelled": result.cancelled,
        "requeued": result.requeued,
    }
