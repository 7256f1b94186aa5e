"""What every backend that hands our messages to a provider shares, whatever it carries (email through
GOV.UK Notify, texts through Notify or kept as files): the failures it raises and the words its
``status()`` answers in.

A backend that could not send raises ``TryLater`` (the provider is down, busy, unreachable or too slow)
or ``Refused`` (sending again would be refused again); ``AddressRefused`` when the refusal is about the
address or number itself, which then does not work and the person must be reached another way.
core.outbox.classify turns them into the outbox's temporary and permanent failures. Each one's message
says why, in words fit for the outbox row's last error, and never holds a key or a token.

core.sms keeps its own names for them (``SmsError``, ``SmsTemporaryFailure``, ``SmsPermanentFailure``,
``SmsNumberRefused``): they are these classes.
"""

import re
from typing import Final

# Our name for an outbox row, given to a provider as the message's reference ("outbox-123") and in each
# email's Message-ID ("<outbox-123@host>"), so that what the provider says later finds its row. It says
# nothing about the person.
OUTBOX_NAME = re.compile(r"\s*(?:<outbox-([0-9]{1,18})@[^<>\s]+>|outbox-([0-9]{1,18}))\s*")


def outbox_pk(text: str) -> int | None:
    """The outbox row a reference or a Message-ID names; None for anything else."""
    found = OUTBOX_NAME.fullmatch(text or "")
    return int(found[1] or found[2]) if found else None


class NotSent(Exception):
    """A message was not sent. The message says why."""


class TryLater(NotSent):
    """The provider could not take the message now (down, busy, unreachable, too slow): try again later."""


class Refused(NotSent):
    """The provider refused the message (an address it cannot send to, a key or template it does not
    know): sending it again would be refused again."""


class AddressRefused(Refused):
    """The provider refused the message because of the address or number itself (not a mobile, not an
    email address): it does not work, and the person must be reached another way."""


# What a backend's status() answers: the provider's words, normalised. The last three are also
# core.enums.Delivery values; SENDING means no word yet.
SENDING: Final = "sending"
DELIVERED: Final = "delivered"
TEMPORARY_FAILURE: Final = "temporary-failure"
PERMANENT_FAILURE: Final = "permanent-failure"
DELIVERY_STATUSES: Final = frozenset({SENDING, DELIVERED, TEMPORARY_FAILURE, PERMANENT_FAILURE})
