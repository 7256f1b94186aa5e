"""Small builders for the actions tests (and the permission matrix rows)."""

from actions.enums import ActionStatus, LinkState
from actions.models import Action, LeadLink
from bettertogether.tokens import new_token
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
    LeadLink.objects.create(
        action=action, invitation=action.lead, token_hash=token_hash, state=LinkState.SENT
    )
    return token
