"""Finding an invitation from the token in a link, and someone asking not to be contacted again."""

import hmac

from django.db import transaction
from django.utils import timezone

from bettertogether.tokens import hash_token

from ..enums import MessageState
from ..models import Invitation, Message, ReplyToken


def find_invitation(*, token: str) -> Invitation | None:
    """The invitation a reply link belongs to, or None for an unknown or altered token."""
    if not token or len(token) > 100:
        return None
    token_hash = hash_token(token)
    found = (
        ReplyToken.objects.filter(token_hash=token_hash)
        .select_related("invitation__invitee", "invitation__programme")
        .first()
    )
    # The lookup is by hash; the comparison is repeated in constant time on principle.
    if found is None or not hmac.compare_digest(found.token_hash, token_hash):
        return None
    return found.invitation


@transaction.atomic
def opt_out(*, invitation: Invitation) -> int:
    """Stop every further message about this programme to this person. Returns how many were stopped.
    Messages already being sent finish; the dispatcher checks again before each send."""
    if invitation.opted_out_at is None:
        invitation.opted_out_at = timezone.now()
        invitation.save(update_fields=["opted_out_at"])
    return Message.objects.filter(invitation=invitation, state=MessageState.SCHEDULED).update(
        state=MessageState.CANCELLED
    )
