"""Leads without accounts: the email carrying their update link (a small outbox) and opening it."""

import logging
import smtplib
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bettertogether.mail import build_email
from bettertogether.tokens import hash_token, new_token

from ..enums import LinkState
from ..models import Action, LeadLink

logger = logging.getLogger(__name__)

# --- Leads' update links --------------------------------------------------------------------------------


def lead_can_get_link(action: Action) -> bool:
    return action.lead is not None and bool(action.lead.invitee.email)


def schedule_lead_link(*, action: Action, user: User | None = None) -> LeadLink:
    """Put an email with an update link to the action's lead in the outbox and, once the transaction
    commits, ask the worker to send it. Raises ValidationError when the action has no lead with an
    email address."""
    from ..tasks import send_lead_link

    if action.lead is None or not lead_can_get_link(action):
        raise ValidationError(_("This action's lead has no email address."))
    link = LeadLink.objects.create(action=action, invitation=action.lead, created_by=user)
    transaction.on_commit(lambda: send_lead_link.delay(link.pk))
    return link


def issue_printed_link(*, action: Action, user: User | None = None) -> str:
    """A link for a lead to be handed on paper (they have no email address): a LeadLink row kept as
    "sent" at once, with only the token's hash stored. Returns the full address; it is shown once and
    cannot be read back later. Raises ValidationError when the action has no lead."""
    if action.lead is None:
        raise ValidationError(_("Choose who leads this action first."))
    token, token_hash = new_token()
    LeadLink.objects.create(
        action=action,
        invitation=action.lead,
        token_hash=token_hash,
        state=LinkState.SENT,
        sent_at=timezone.now(),
        created_by=user,
    )
    return lead_link_url(token)


class TemporaryFailure(Exception):
    pass


MAX_LINK_ATTEMPTS = 5


def link_retry_wait(attempts: int) -> timedelta:
    """1, 2, 4, 8 minutes... (short: these are Celery retries, not a schedule)."""
    return timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))


def lead_link_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("actions:lead_update", args=[token])


def send_lead_link_email(*, link_pk: int) -> str:
    """Claim the link row (scheduled → sending, by a conditional UPDATE: only one worker wins), mint its
    token, keep only the hash, and send the one email to the lead in their language; then mark it sent.

    Returns "sent", or "skipped" when the row was not waiting (already sent, being sent, or failed), so
    running it twice never sends twice. On a temporary mail failure the row goes back to "scheduled" with
    the error and TemporaryFailure is raised (the task retries); after MAX_LINK_ATTEMPTS, or on a
    permanent failure, it ends "failed" with the error."""
    claimed = LeadLink.objects.filter(pk=link_pk, state=LinkState.SCHEDULED).update(
        state=LinkState.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    link = LeadLink.objects.select_related(
        "action__programme", "invitation__invitee", "invitation__programme"
    ).get(pk=link_pk)
    invitee = link.invitation.invitee
    token, token_hash = new_token()
    try:
        email = build_email(
            template="action_link",
            context={
                "action": link.action,
                "programme": link.action.programme,
                "invitee": invitee,
                "facilitators": list(link.action.programme.facilitators.all()),
                "url": lead_link_url(token),
            },
            to_name=invitee.name,
            to_address=invitee.email,
            language=invitee.language,
        )
        # The hash is kept only when the email is about to go: a link never sent opens nothing.
        LeadLink.objects.filter(pk=link.pk).update(token_hash=token_hash)
        email.send()
    except Exception as raw:  # noqa: BLE001 -- every failure is recorded on the row
        temporary = isinstance(raw, smtplib.SMTPException | OSError | socket.timeout) and not (
            isinstance(raw, smtplib.SMTPResponseException) and raw.smtp_code >= 500
        )
        final = not temporary or link.attempts >= MAX_LINK_ATTEMPTS
        LeadLink.objects.filter(pk=link.pk, state=LinkState.SENDING).update(
            state=LinkState.FAILED if final else LinkState.SCHEDULED,
            token_hash="",
            last_error=f"{type(raw).__name__}: {raw}"[:2000],
        )
        logger.warning("lead link %s not sent (attempt %s): %s", link.pk, link.attempts, raw)
        if final:
            return "failed"
        raise TemporaryFailure(str(raw)) from raw
    LeadLink.objects.filter(pk=link.pk, state=LinkState.SENDING).update(
        state=LinkState.SENT, sent_at=timezone.now(), last_error=""
    )
    return "sent"


def sweep_lead_links(*, now: datetime | None = None) -> list[int]:
    """Give another go to links a dead worker or a lost task left behind: rows "sending" for longer than
    OUTBOX_STUCK_AFTER_SECONDS go back to "scheduled" (or end "failed" after MAX_LINK_ATTEMPTS), and
    rows "scheduled" for that long are returned to be queued again. Sending claims each row first, so a
    row queued twice is still sent once. Returns the ids to queue."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS)
    stuck = LeadLink.objects.filter(state=LinkState.SENDING, claimed_at__lt=stale)
    stuck.filter(attempts__gte=MAX_LINK_ATTEMPTS).update(
        state=LinkState.FAILED, token_hash="", last_error="Sending stopped part-way too many times."
    )
    stuck.filter(attempts__lt=MAX_LINK_ATTEMPTS).update(
        state=LinkState.SCHEDULED, token_hash="", claimed_at=now
    )
    waiting = LeadLink.objects.filter(state=LinkState.SCHEDULED).filter(
        Q(claimed_at__lt=stale) | Q(claimed_at__isnull=True, created_at__lt=stale) | Q(claimed_at=now)
    )
    return list(waiting.values_list("pk", flat=True))


def find_lead_link(*, token: str) -> LeadLink | None:
    """The sent link a token opens, with its action and programme, or None for an unknown token."""
    if not token or len(token) > 100:
        return None
    return (
        LeadLink.objects.select_related("action__programme", "action__lead__invitee", "invitation__invitee")
        # A link stops working for someone who no longer leads the action.
        .filter(token_hash=hash_token(token), state=LinkState.SENT, action__lead=F("invitation"))
        .first()
    )


def latest_link(*, action: Action) -> LeadLink | None:
    return action.lead_links.order_by("-created_at", "-pk").first()
