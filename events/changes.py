"""Changes to a session that people may have been told about: what people are told of a session (its
facts), and the apps that tell them.

events knows nobody's invitations: the invitations app registers a listener at start-up
(InvitationsConfig.ready) that says who would be told of a change (for the form's warning) and records
the change once it is saved (to tell them). The session services call ``record`` inside the
transaction that saves the change; the views call ``preview`` before asking the facilitator to confirm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Session


@dataclass(frozen=True)
class Facts:
    """What people are told about a session: when, where, and whether it is on."""

    date: date
    start_time: time
    end_time: time
    venue_id: int | None
    cancelled: bool

    @classmethod
    def of(cls, session: Session) -> Facts:
        return cls(
            date=session.date,
            start_time=session.start_time,
            end_time=session.end_time,
            venue_id=session.venue_id,
            cancelled=session.cancelled_at is not None,
        )

    def moved(self, other: Facts) -> bool:
        """Another day or other times: people who said they would come are asked again."""
        return (self.date, self.start_time, self.end_time) != (other.date, other.start_time, other.end_time)


@dataclass(frozen=True)
class Telling:
    """Who would be told of a change, as one listener sees it, for the facilitator to read before saving.

    ``lines`` are short sentences ("9 people by email"), ``subject`` and ``body`` a sample of the message
    (empty when nobody would be told), ``text`` of the text message (empty when nobody is told by text)
    and ``text_parts`` how many parts it takes."""

    count: int
    lines: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""
    text: str = ""
    text_parts: int = 0


@dataclass(frozen=True)
class Listener:
    preview: Callable[..., Telling]  # (*, session, before: Facts, after: Facts) -> Telling
    record: Callable[..., None]  # (*, session, before: Facts) -> None, in the saving transaction


LISTENERS: dict[str, Listener] = {}


def listen(name: str, listener: Listener) -> None:
    """Be told of every change to a session's facts (from an AppConfig.ready; again replaces)."""
    LISTENERS[name] = listener


def preview(*, session: Session, before: Facts, after: Facts) -> list[Telling]:
    """What each listener would do if the session changed from ``before`` to ``after``; only those that
    would tell someone."""
    if before == after:
        return []
    tellings = [
        listener.preview(session=session, before=before, after=after) for listener in LISTENERS.values()
    ]
    return [telling for telling in tellings if telling.count]


def record(*, session: Session, before: Facts) -> None:
    """Tell every listener the session's facts were ``before`` and are now as saved (no-op if equal)."""
    if before == Facts.of(session):
        return
    for listener in LISTENERS.values():
        listener.record(session=session, before=before)
