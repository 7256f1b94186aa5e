"""The kinds of message the outbox carries, registered by the apps that own them.

core knows no app: an app tells the outbox, once at start-up (its AppConfig.ready), how to build each of
its kinds and when one is still wanted. The dispatcher (core.outbox) then treats every row alike: one
claim, one classifier, one retry strategy, one sweeper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.mail import EmailMessage
from django.db.models import Q

if TYPE_CHECKING:
    from .models import Message
    from .sms import SmsMessage


def _always(message: Message, now: datetime) -> bool:
    return True


@dataclass(frozen=True)
class Kind:
    """How the outbox handles one kind of message.

    - ``build(message, shared)`` makes the email (it may mint a token: it is called just before sending).
      ``shared`` is one dict per batch, for what many messages of a batch have in common.
    - ``still_wanted(message, now)`` is asked just before sending; False cancels the row.
    - ``ready`` narrows which scheduled rows of this kind are due (e.g. only open programmes): the rest
      wait, unclaimed.
    - ``prepare(now)`` runs at the start of beat's dispatch (e.g. bring a schedule up to date); a quick
      run for rows a person's action just made (core.outbox.send_soon) skips it.
    - ``on_not_sent(message)`` runs when sending a row of this kind failed, for now or for good.
    - ``build_sms(message, shared)`` makes the text message for a row on the SMS channel; a kind without
      one is never sent by text (a row on that channel fails, saying so).
    - ``on_bounce(message)`` runs once when the provider says the row's address or number does not work
      (core.delivery): the owner marks it and finds the person another way.
    """

    name: str
    label: Any  # a lazy translated string
    build: Callable[[Message, dict[Any, Any]], EmailMessage]
    still_wanted: Callable[[Message, datetime], bool] = _always
    ready: Q | None = None
    prepare: Callable[[datetime], object] | None = None
    on_not_sent: Callable[[Message], None] | None = None
    build_sms: Callable[[Message, dict[Any, Any]], SmsMessage] | None = None
    on_bounce: Callable[[Message], None] | None = None


KINDS: dict[str, Kind] = {}


def register(*kinds: Kind) -> None:
    """Make the outbox carry these kinds (called from an AppConfig.ready; registering again replaces)."""
    for kind in kinds:
        KINDS[kind.name] = kind


def kind_of(name: str) -> Kind | None:
    return KINDS.get(name)


def kind_label(name: str) -> str:
    kind = KINDS.get(name)
    return str(kind.label) if kind else name


def due_kinds() -> Q:
    """Rows of a registered kind that may go now: a kind's own ``ready`` condition applies to its rows.
    Rows of a kind nobody registered are never due."""
    condition = Q(pk__in=[])
    for kind in KINDS.values():
        condition |= Q(kind=kind.name) & (kind.ready or Q())
    return condition


def prepare_all(now: datetime) -> None:
    """Run every kind's ``prepare`` once (kinds that share one prepare run it once)."""
    done: set[int] = set()
    for kind in KINDS.values():
        if kind.prepare is not None and id(kind.prepare) not in done:
            done.add(id(kind.prepare))
            kind.prepare(now)
