from celery import shared_task

from .services import outbox


@shared_task(name="invitations.dispatch_outbox", ignore_result=True)
def dispatch_outbox() -> dict[str, int]:
    """Run by beat every few minutes: sync schedules, requeue stuck rows, send what is due.

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
