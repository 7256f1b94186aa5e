"""Planning a programme: the series of sessions, changes to it, and the planning checklist."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.users import User

from . import changes
from .changes import Facts
from .enums import ChecklistKey, SessionKind
from .models import (
    INVITATION_WARNING_DAYS,
    ChecklistItem,
    Neighbourhood,
    Organisation,
    Programme,
    Session,
    Venue,
)

HALF_DAY_INTERVAL = timedelta(days=14)
STANDARD_SERIES = [
    {
        "kind": SessionKind.ALL_DAY,
        "start_time": time(9, 30),
        "end_time": time(15, 0),
        "lunch": True,
        "purpose": _(
            "A day together: the question that matters most to us, what is good about our neighbourhood, "
            "and whether we make the most of it."
        ),
    },
    {
        "kind": SessionKind.HALF_DAY,
        "start_time": time(9, 30),
        "end_time": time(12, 0),
        "purpose": _(
            "Turn the ideas from the all-day into things we will do together, and who will lead them."
        ),
    },
    {
        "kind": SessionKind.HALF_DAY,
        "start_time": time(9, 30),
        "end_time": time(12, 0),
        "purpose": _("See how our plans are going, and share out the jobs that are left."),
    },
    {
        "kind": SessionKind.HALF_DAY,
        "start_time": time(9, 30),
        "end_time": time(12, 0),
        "purpose": _("Look back at what we have done and agree who carries each plan forward."),
    },
]


@dataclass(frozen=True)
class Countdown:
    """When the invitations for a programme must go out, seen from today."""

    send_on: date
    days_left: int

    @property
    def is_close(self) -> bool:
        return self.days_left <= INVITATION_WARNING_DAYS

    @property
    def is_past(self) -> bool:
        return self.days_left < 0

    @property
    def days_ago(self) -> int:
        return -self.days_left


@dataclass(frozen=True)
class Contact:
    """Someone a parent can ring or email with a question about the workshops."""

    name: str
    phone: str = ""
    email: str = ""
    place: str = ""  # the school they are at; "" for the programme's own contact


def parent_contact(*, programme: Programme, organisation: Organisation | None = None) -> Contact | None:
    """Who a parent can ask: the school's own "who to ask" when it names one, else the programme's
    contact, else the programme's first facilitator with a name and an email address (the programme's
    contact defaults to them). None when nobody is known. At most one query (the facilitator)."""
    if organisation is not None and organisation.parent_contact_name:
        return Contact(
            name=organisation.parent_contact_name,
            phone=organisation.parent_contact_phone,
            email=organisation.parent_contact_email,
            place=organisation.name,
        )
    if programme.contact_name:
        return Contact(
            name=programme.contact_name, phone=programme.contact_phone, email=programme.contact_email
        )
    facilitator = (
        programme.facilitators.exclude(email="").exclude(first_name="", last_name="").order_by("pk").first()
    )
    if facilitator is None:
        return None
    return Contact(name=facilitator.get_full_name(), email=facilitator.email)


def signing_name(*, programme: Programme) -> str:
    """The name the letter is signed with: the programme's contact, or its facilitator; "" if neither."""
    contact = parent_contact(programme=programme)
    return contact.name if contact else ""


def proposed_dates(first_date: date) -> list[date]:
    """The all-day on first_date, then a half-day every two weeks on the same weekday."""
    return [first_date + HALF_DAY_INTERVAL * index for index in range(len(STANDARD_SERIES))]


@transaction.atomic
def create_programme(
    *,
    neighbourhood: Neighbourhood,
    title: str,
    key_question: str,
    first_date: date,
    created_by: User,
    venue: Venue | None = None,
    schools: Iterable[Organisation] = (),
    invitation_lead_days: int = 21,
    reminder_lead_days: int = 3,
) -> Programme:
    """Create a programme with the standard series (all-day, then three half-days) and its checklist.

    The half-days are proposed a fortnight apart; the facilitator can move any of them afterwards.
    The creator becomes one of the programme's facilitators.
    """
    programme = Programme.objects.create(
        neighbourhood=neighbourhood,
        title=title,
        key_question=key_question,
        invitation_lead_days=invitation_lead_days,
        reminder_lead_days=reminder_lead_days,
        created_by=created_by,
    )
    programme.facilitators.add(created_by)
    programme.schools.set(schools)
    Session.objects.bulk_create(
        Session(programme=programme, order=order, date=session_date, venue=venue, **template)
        for order, (session_date, template) in enumerate(
            zip(proposed_dates(first_date), STANDARD_SERIES, strict=True), start=1
        )
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(programme=programme, key=key) for key in ChecklistKey.values
    )
    return programme


def facts_before(session: Session) -> Facts | None:
    """What people were told of a saved session (read from the database, locked till the transaction
    ends); None for a new one."""
    saved = Session.objects.select_for_update().filter(pk=session.pk).first() if session.pk else None
    return Facts.of(saved) if saved is not None else None


@transaction.atomic
def save_session(*, session: Session, artists: QuerySet | list | None = None) -> Session:
    """Save a new or changed session (already validated) and renumber the series by date. A change to
    its date, times or place is recorded for the people who were told about it (events.changes)."""
    before = facts_before(session)
    session.save()
    if artists is not None:
        session.artists.set(artists)
    renumber_sessions(programme=session.programme)
    session.refresh_from_db(fields=["order"])
    if before is not None:
        changes.record(session=session, before=before)
    return session


@transaction.atomic
def cancel_session(*, session: Session) -> Session:
    """Cancel a session. It stays on the programme, marked cancelled, and leaves the numbering; the
    people told about it hear (events.changes)."""
    before = facts_before(session)
    if before is not None and not before.cancelled:
        session.cancelled_at = timezone.now()
        session.save(update_fields=["cancelled_at"])
        renumber_sessions(programme=session.programme)
        changes.record(session=session, before=before)
    return session


class CannotReinstate(Exception):
    """The session cannot be put back on as it is (it is over, or out of order): the message says why."""


def reinstate_problem(*, session: Session) -> str | None:
    """Why a cancelled session cannot be put back on as it is, or None."""
    if session.starts_at <= timezone.now():
        return str(
            _("That session's date has passed, so it cannot be put back on. Add a new session instead.")
        )
    return session._order_problem()


@transaction.atomic
def reinstate_session(*, session: Session) -> Session:
    """Put a cancelled session back on (undo the cancelling): it rejoins the numbering and the people
    told about it hear it is on again. Raises CannotReinstate when it is over or out of order."""
    before = facts_before(session)
    if before is None or not before.cancelled:
        return session
    session.cancelled_at = None
    if problem := reinstate_problem(session=session):
        raise CannotReinstate(problem)
    session.save(update_fields=["cancelled_at"])
    renumber_sessions(programme=session.programme)
    session.refresh_from_db(fields=["order"])
    changes.record(session=session, before=before)
    return session


def renumber_sessions(*, programme: Programme) -> None:
    """Number the sessions 1, 2, 3... in date order; cancelled ones follow the active ones."""
    sessions = sorted(
        programme.sessions.all(), key=lambda s: (s.cancelled_at is not None, s.date, s.start_time, s.pk)
    )
    changed = []
    for number, session in enumerate(sessions, start=1):
        if session.order != number:
            session.order = number
            changed.append(session)
    Session.objects.bulk_update(changed, ["order"])


def invitation_countdown(
    *, programme: Programme, first_date: date | None, today: date | None = None
) -> Countdown | None:
    """When invitations must go: the first active session's date less the programme's lead time."""
    send_on = programme.invitation_date_for(first_date)
    if send_on is None:
        return None
    return Countdown(send_on=send_on, days_left=(send_on - (today or timezone.localdate())).days)


@transaction.atomic
def update_checklist(*, programme: Programme, answers: dict[str, tuple[bool, str]]) -> None:
    """Record which planning items are done, with their notes (for cover: who pays)."""
    items = {item.key: item for item in programme.checklist.all()}
    for key, (done, note) in answers.items():
        item = items.get(key) or ChecklistItem(programme=programme, key=key)
        item.done, item.note = done, note
        item.save()
