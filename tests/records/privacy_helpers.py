"""Programmes that have happened and the people on them, for the tests of retention, subject access and
erasure (issue 18): sessions held some days ago, replies with needs, attendance."""

from datetime import time, timedelta

from django.utils import timezone

from evaluations.models import Attendance
from evaluations.services.attendance import programme_numbers
from events.enums import ProgrammeStatus, SessionKind
from invitations.models import Invitation, SessionAnswer
from invitations.services.replies import save_reply
from invitations.services.sheets import attendance
from tests.factories import InvitationFactory, ProgrammeFactory, SessionFactory

NEEDS = {
    "needs_agreed": True,
    "childcare_children": 2,
    "childcare_ages": "2, 4",
    "food_needs": "Halal, and no nuts please",
    "access_needs": "Step-free access: I use a wheelchair",
    "interpreter_language": "Somali",
    "transport_help": True,
}


def held_programme(world, *, days_ago: int, title: str = "Better Together last spring", **fields):
    """A programme of the world's neighbourhood whose two sessions were held, the last ``days_ago`` days
    ago (an all-day a fortnight before it, then a half-day), with the world's school taking part."""
    today = timezone.localdate()
    programme = ProgrammeFactory(
        neighbourhood=world.neighbourhood, title=title, status=ProgrammeStatus.FINISHED, **fields
    )
    programme.schools.add(world.school)
    SessionFactory(
        programme=programme,
        kind=SessionKind.ALL_DAY,
        order=1,
        date=today - timedelta(days=days_ago + 14),
        start_time=time(9, 30),
        end_time=time(15, 30),
    )
    SessionFactory(
        programme=programme, kind=SessionKind.HALF_DAY, order=2, date=today - timedelta(days=days_ago)
    )
    return programme


def person_on(programme, *, came: bool = True, needs: dict | None = None, **invitee) -> Invitation:
    """Someone on ``programme``'s list who said they were coming to every session, told us what they
    need (NEEDS unless ``needs`` says otherwise) and came to the first session."""
    invitation = InvitationFactory(
        programme=programme, **{f"invitee__{name}": value for name, value in invitee.items()}
    )
    return answered(invitation, came=came, needs=needs)


def answered(invitation: Invitation, *, came: bool = True, needs: dict | None = None) -> Invitation:
    sessions = list(invitation.programme.sessions.active().order_by("order"))
    save_reply(
        invitation=invitation,
        answers={session.pk: "yes" for session in sessions},
        details=NEEDS if needs is None else needs,
    )
    if came:
        Attendance.objects.create(session=sessions[0], invitation=invitation)
    return invitation


def also_on(programme, invitation: Invitation, **fields) -> Invitation:
    """The same person on another programme's list."""
    return InvitationFactory(programme=programme, invitee=invitation.invitee, **fields)


def counts(programme):
    """What the record keeps in numbers: who was invited, answered and is coming by group (the "Who is
    coming" page), each session's answers, who came (the sign-in numbers), and the rows behind them."""
    totals = attendance(programme=programme)
    return (
        [(group.key, group.invited, group.replied, group.coming) for group in totals.total.groups],
        [
            [(group.key, group.coming, group.cant, group.no_reply) for group in session.groups]
            for session in totals.sessions
        ],
        [(numbers.total, numbers.walk_ins) for numbers in programme_numbers(programme=programme)],
        SessionAnswer.objects.filter(reply__invitation__programme=programme).count(),
        Attendance.objects.filter(session__programme=programme).count(),
    )
