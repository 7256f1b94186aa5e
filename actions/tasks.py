from celery import Task, shared_task

from .services import links


@shared_task(
    bind=True, name="actions.send_lead_link", ignore_result=True, max_retries=links.MAX_LINK_ATTEMPTS
)
def send_lead_link(self: Task, link_pk: int) -> str:
    """Send one lead's update link (LeadLink ``link_pk``). The row is claimed before sending, so running
    this twice never sends twice; a temporary mail failure is retried with growing waits, and the row
    ends "failed" with the error when the tries run out."""
    try:
        return links.send_lead_link_email(link_pk=link_pk)
    except links.TemporaryFailure as error:
        attempts = links.LeadLink.objects.filter(pk=link_pk).values_list("attempts", flat=True).first() or 1
        raise self.retry(exc=error, countdown=links.link_retry_wait(attempts).total_seconds()) from error


@shared_task(name="actions.sweep_lead_links", ignore_result=True)
def sweep_lead_links() -> int:
    """Run by beat every few minutes: queue again the update links a dead worker or a lost task left
    behind. Safe to overlap with itself and with sending: every row is claimed before it is sent."""
    ids = links.sweep_lead_links()
    for link_pk in ids:
        send_lead_link.delay(link_pk)
    return len(ids)
