"""The staff accounts' task: the worker's half of asking for a new password."""

from celery import shared_task

from .services import passwords


@shared_task(name="accounts.send_password_reset", ignore_result=True)
def send_password_reset(email: str) -> int:
    """Enqueued on commit for every reset asked for (passwords.ask_for_password_reset), whatever the
    address: find the accounts with ``email`` and queue each one's reset email in the outbox, which sends
    it in seconds (passwords.request_password_reset_for). An address without an account does nothing.
    Running it twice within two minutes queues one email (the outbox's rows say when the last went).
    Returns how many emails it queued."""
    return len(passwords.request_password_reset_for(email=email))
