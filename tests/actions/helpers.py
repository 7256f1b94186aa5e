"""Small builders for the actions tests (and the permission matrix rows)."""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from actions.enums import ActionStatus
from actions.models import Action, LeadLink
from core.enums import MessageState
from core.models import Message
from core.tokens import new_token
from evaluations.models import Attendance
from tests.factories import InvitationFactory


def half_day(world, order: int = 2):
    return world.programme.sessions.get(order=order)


def participant(programme, *, session=None, **invitee):
    """Someone on the programme's list who came to ``session`` (the all-day unless given)."""
    invitation = InvitationFactory(programme=programme, **{f"invitee__{k}": v for k, v in invitee.items()})
    session = session or programme.sessions.order_by("date", "start_time").first()
    Attendance.objects.create(session=session, invitation=invitation)
    return invitation


def make_action(world, *, lead=None, status=ActionStatus.IDEA, what="A walking bus to school", session=None):
    return Action.objects.create(
        programme=world.programme,
        session=session or half_day(world),
        what=what,
        lead=lead,
        status=status,
    )


def sent_link(action) -> str:
    """A sent update link for the action's lead; returns the raw token."""
    token, token_hash = new_token()
    emailed_link(action, token_hash=token_hash, state=MessageState.SENT, sent_at=timezone.now())
    return token


def emailed_link(action, *, token_hash: str = "", **message) -> LeadLink:
    """A lead link with its email in the outbox (scheduled now, unless ``message`` says otherwise)."""
    link = LeadLink.objects.create(action=action, invitation=action.lead, token_hash=token_hash)
    link.message = Message.objects.create(
        kind="lead_link",
        recipient_type=ContentType.objects.get_for_model(action.lead),
        recipient_id=action.lead.pk,
        topic_type=ContentType.objects.get_for_model(LeadLink),
        topic_id=link.pk,
        channel="email",
        scheduled_for=message.pop("scheduled_for", timezone.now()),
        **message,
    )
    link.save(update_fields=["message"])
    return link
