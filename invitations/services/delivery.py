"""When a message cannot get through: the address or number is marked, and the person is reached
another way.

core.delivery calls ``address_failed`` (every kind to someone on a list registers it as its
``on_bounce``: invitations here, thank-yous in records, leads' links in actions) once, when the provider
first says a message could never be delivered: no such address, a number that is not a mobile. The
person's email (or mobile) is marked with the provider's words, shown on the list; if that was their
main way, they move to the next that works — texts, then a letter through their school — and
``fell_back_from`` remembers the way they had, which fixing the address puts back
(services.invitees.update_contact). Nobody left to reach them by is on the call list (services.reach).

Their messages are then re-planned: what was to go to the address that does not work is cancelled, and
what they still need comes by the new way (an invitation that bounced becomes a letter to print). A
change notice that bounced is made again on the new way, since the schedule does not make notices.
"""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.enums import Delivery
from core.models import Message
from core.outbox import send_soon
from events.enums import ProgrammeStatus

from ..enums import Channel, MessageKind, MessageState
from ..models import Invitation, Invitee, SessionChange
from .schedule import new_message, sync_schedule

logger = logging.getLogger(__name__)


def address_failed(message: Message) -> None:
    """core.kinds.Kind.on_bounce for every message to someone on a list (its recipient an Invitation)."""
    invitation = Invitation.objects.filter(pk=message.recipient_id).select_related("invitee").first()
    if invitation is None:
        return
    changed_at = invitation.invitee.contact_changed_at
    if changed_at and (message.sent_at or message.claimed_at or changed_at) <= changed_at:
        # Sent before the address was changed: the word is about the old one.
        logger.info("outbox message %s: a bounce for an address since changed, ignored", message.pk)
        return
    if message.delivery == Delivery.COMPLAINT:
        said = _("They marked our email as unwanted (%(said)s)") % {
            "said": message.delivery_said or _("a complaint")
        }
    else:
        said = message.delivery_said or _("The provider could not deliver it.")
    mark_not_working(invitee=invitation.invitee, channel=message.channel, said=said)
    # Someone removed from the list since (services.people) is not told again.
    if message.kind == MessageKind.CHANGE and message.topic_id and invitation.removed_at is None:
        _tell_again(invitation=invitation, change_id=message.topic_id)


@transaction.atomic
def mark_not_working(*, invitee: Invitee, channel: str, said: str) -> bool:
    """Mark ``invitee``'s address on ``channel`` (email or text) as not working, move them to another
    way if it was their main one, and re-plan their messages. False when it was marked already."""
    invitee = (
        Invitee.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=invitee.pk)
    )
    if channel == Channel.EMAIL and invitee.email and not invitee.email_failed:
        invitee.email_failed = said[:500]
    elif channel == Channel.SMS and invitee.mobile and not invitee.mobile_failed:
        invitee.mobile_failed = said[:500]
    else:
        return False
    if not invitee.channels and (way := next_way(invitee)):
        invitee.fell_back_from = invitee.fell_back_from or invitee.channel
        invitee.channel = way
    invitee.save(update_fields=["email_failed", "mobile_failed", "channel", "fell_back_from"])
    # Whatever else waits to go there (a notice, a confirmation: the schedule re-plans only its own).
    Message.objects.filter(invitation__invitee=invitee, channel=channel, state=MessageState.SCHEDULED).update(
        state=MessageState.CANCELLED
    )
    logger.info("invitee %s: %s does not work; now reached by %s", invitee.pk, channel, invitee.channel)
    for invitation in invitee.invitations.exclude(programme__status=ProgrammeStatus.FINISHED).select_related(
        "programme"
    ):
        sync_schedule(programme=invitation.programme, only=[invitation.pk])
    return True


def next_way(invitee: Invitee) -> str | None:
    """The way to reach someone whose main way stopped working: email, then texts, then a letter."""
    if invitee.email_works:
        return Channel.EMAIL
    if invitee.texts_work:
        return Channel.SMS
    if invitee.at_a_school:
        return Channel.LETTER
    return None


def _tell_again(*, invitation: Invitation, change_id: int) -> None:
    """A change notice that could not be delivered, made again on the ways that work now."""
    change = SessionChange.objects.filter(pk=change_id).first()
    if change is None:
        return
    invitee = Invitee.objects.select_related("organisation").get(pk=invitation.invitee_id)
    notices = Message.objects.filter(invitation=invitation, kind=MessageKind.CHANGE, session_change=change)
    made = set(notices.values_list("channel", flat=True))
    Message.objects.bulk_create(
        [
            new_message(
                invitation_id=invitation.pk,
                kind=MessageKind.CHANGE,
                channel=channel,
                scheduled_for=timezone.now(),
                topic=change,
            )
            for channel in invitee.channels
            if channel not in made
        ],
        ignore_conflicts=True,
    )
    # The school prints a letter from the letters page; an email or text goes in seconds.
    if again := list(
        notices.filter(state=MessageState.SCHEDULED).exclude(channel__in=[*made, Channel.LETTER])
    ):
        send_soon(*again)
