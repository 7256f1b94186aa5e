"""Leads without accounts: the email carrying their update link, and opening it.

The email is a row of the one outbox (core.outbox), of kind "lead_link": claimed, retried and swept like
every other message. Its token is minted when the email is built, just before it goes, and only the hash
is kept; a link whose email failed for good opens nothing.

A link, once switched off, stays off: when the action's lead changes every link of anyone else is revoked
(revoke_other_leads_links, called by planning.save_action), so it does not come back if they lead it
again. And a link ends LEAD_LINK_GRACE_DAYS after the programme's last session (has_expired): the page
then says so kindly and who to ask, rather than answering a bare 404.
"""

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.enums import MessageState
from core.kinds import Kind, register
from core.mail import build_email
from core.models import Message
from core.outbox import send_soon
from core.sms import SmsMessage
from core.tokens import hash_token, new_token
from events.enums import ProgrammeStatus
from events.models import Programme
from invitations.models import Invitation
from invitations.services.delivery import address_failed
from invitations.services.texts import text_to_invitee

from ..models import Action, LeadLink

KIND = "lead_link"


def lead_way(action: Action) -> str | None:
    """How a lead's link reaches them: the first of their ways that is an email or a text that works."""
    return action.lead.invitee.sent_way if action.lead is not None else None


def lead_can_get_link(action: Action) -> bool:
    return lead_way(action) is not None


@transaction.atomic
def schedule_lead_link(*, action: Action, user: User | None = None) -> LeadLink:
    """Put an email (or a text, for a lead reached by text) with an update link to the action's lead in
    the outbox and, once the transaction commits, ask the worker to send it in seconds
    (core.outbox.send_soon). Raises ValidationError when the lead has no working email or mobile."""
    way = lead_way(action)
    if action.lead is None or way is None:
        raise ValidationError(_("This action's lead has no working email address or mobile number."))
    if action.lead.removed_at is not None:  # off the programme's list (invitations.services.people)
        raise ValidationError(_("This action's lead has been removed from the programme's list."))
    link = LeadLink.objects.create(action=action, invitation=action.lead, created_by=user)
    link.message = Message.objects.create(
        kind=KIND,
        recipient_type=ContentType.objects.get_for_model(Invitation),
        recipient_id=action.lead.pk,
        topic_type=ContentType.objects.get_for_model(LeadLink),
        topic_id=link.pk,
        channel=way,
        scheduled_for=timezone.now(),
    )
    link.save(update_fields=["message"])
    send_soon(link.message)
    return link


def issue_printed_link(*, action: Action, user: User | None = None) -> str:
    """A link for a lead to be handed on paper (they have no email address): a LeadLink with no email,
    working at once, with only the token's hash stored. Returns the full address; it is shown once and
    cannot be read back later. Raises ValidationError when the action has no lead."""
    if action.lead is None:
        raise ValidationError(_("Choose who leads this action first."))
    token, token_hash = new_token()
    LeadLink.objects.create(action=action, invitation=action.lead, token_hash=token_hash, created_by=user)
    return lead_link_url(token)


def lead_link_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("actions:lead_update", args=[token])


def _link_id(message: Message) -> int:
    assert message.topic_id is not None, "a lead_link message always has its link as topic"
    return message.topic_id


def _link_of(message: Message) -> LeadLink:
    return LeadLink.objects.select_related(
        "action__programme", "invitation__invitee", "invitation__programme"
    ).get(pk=_link_id(message))


def build_lead_link_email(message: Message, shared: dict[Any, Any]) -> EmailMessage:
    """The email to the lead in their language, with a freshly minted link whose hash replaces any
    earlier one (a retry's new email carries the only link that works)."""
    link = _link_of(message)
    invitee = link.invitation.invitee
    token, token_hash = new_token()
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
    LeadLink.objects.filter(pk=link.pk).update(token_hash=token_hash)
    return email


def build_lead_link_text(message: Message, shared: dict[Any, Any]) -> SmsMessage:
    """The text version: the action and a freshly minted link, as the email (a retry's new text carries
    the only link that works)."""
    link = _link_of(message)
    token, token_hash = new_token()
    text = text_to_invitee(
        invitee=link.invitation.invitee,
        template="action_link",
        context={"what": link.action.what, "url": lead_link_url(token)},
        message=message,
    )
    LeadLink.objects.filter(pk=link.pk).update(token_hash=token_hash)
    return text


def lead_link_still_wanted(message: Message, now: datetime) -> bool:
    """Only while the person still leads the action and is on the programme's list (not removed), the
    link has not been revoked, and the row's way still reaches them (an address with no word that it
    does not work; for a text, their agreement)."""
    link = (
        LeadLink.objects.filter(
            pk=_link_id(message),
            action__lead=F("invitation"),
            revoked_at__isnull=True,
            invitation__removed_at__isnull=True,
        )
        .select_related("invitation__invitee__organisation")
        .first()
    )
    return link is not None and message.channel in link.invitation.invitee.channels


def forget_token(message: Message) -> None:
    """A link whose email did not go (this time, or for good) opens nothing."""
    LeadLink.objects.filter(pk=_link_id(message)).update(token_hash="")


def register_kinds() -> None:
    register(
        Kind(
            name=KIND,
            label=gettext_lazy("Action lead's link"),
            build=build_lead_link_email,
            build_sms=build_lead_link_text,
            still_wanted=lead_link_still_wanted,
            on_not_sent=forget_token,
            on_bounce=address_failed,
        )
    )


def find_lead_link(*, token: str) -> LeadLink | None:
    """The link a token opens, with its action and programme, or None for an unknown token, a link whose
    email has not gone (or failed), a revoked link, or a link of someone who no longer leads the action.
    A link past its time is found (the page says kindly that it has ended): see has_expired."""
    if not token or len(token) > 100:
        return None
    return (
        LeadLink.objects.select_related(
            "action__programme", "action__lead__invitee", "invitation__invitee", "message"
        )
        .filter(
            Q(message__isnull=True) | Q(message__state=MessageState.SENT),
            token_hash=hash_token(token),
            action__lead=F("invitation"),
            revoked_at__isnull=True,
        )
        .first()
    )


def revoke_other_leads_links(*, action: Action) -> int:
    """Switch off, for good, every link of the action that is not its current lead's (all of them when
    it has no lead): a link handed to someone who no longer leads it never works again, even if they
    lead it again later (they are sent a new one). Emails of those links not yet sent are not sent.
    Returns how many links were switched off."""
    working = LeadLink.objects.filter(action=action, revoked_at__isnull=True)
    if action.lead_id is not None:
        working = working.exclude(invitation_id=action.lead_id)
    return working.update(revoked_at=timezone.now())


def links_work_until(*, programme: Programme) -> date | None:
    """The last day a lead's links for the programme work: LEAD_LINK_GRACE_DAYS after it finished,
    which is its last session (not counting cancelled ones, unless every one was). None when it has no
    session to count from."""
    dates = programme.sessions.aggregate(
        last_held=Max("date", filter=Q(cancelled_at__isnull=True)), last=Max("date")
    )
    finished_on: date | None = dates["last_held"] or dates["last"]
    if finished_on is None:
        return None
    return finished_on + timedelta(days=settings.LEAD_LINK_GRACE_DAYS)


def has_expired(*, link: LeadLink, today: date | None = None) -> bool:
    """Whether the link's time is over: past links_work_until, or, for a programme marked finished with
    no session to count from, at once."""
    programme = link.action.programme
    until = links_work_until(programme=programme)
    if until is None:
        return programme.status == ProgrammeStatus.FINISHED
    return (today or timezone.localdate()) > until


def latest_link(*, action: Action) -> LeadLink | None:
    """The newest link of the action's current lead that has not been revoked (None without a lead)."""
    if action.lead_id is None:
        return None
    return (
        action.lead_links.filter(invitation_id=action.lead_id, revoked_at__isnull=True)
        .select_related("message")
        .order_by("-created_at", "-pk")
        .first()
    )
