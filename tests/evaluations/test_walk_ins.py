"""Walk-ins: someone who came without being on the list joins it, is marked arrived, and gets the
messages that suit someone met on the day (reminders if they gave an email; never an invitation)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import Message
from evaluations.models import Attendance
from evaluations.services.attendance import add_walk_in
from invitations.enums import Channel, MessageKind, MessageState
from invitations.models import Invitation, Invitee
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory, InviteeFactory, OrganisationFactory


@pytest.fixture
def facilitator(world):
    return world.user("facilitator")


def walk_in(world, by, **details):
    """A walk-in at the world's first session, added on that session's day."""
    values = {"name": "Amina Yusuf", "category": "parent", "organisation": None, "email": ""}
    values.update(details)
    session = world.session
    return add_walk_in(session=session, by=by, today=session.date, **values)


def test_add_walk_in_joins_the_list_and_is_marked_arrived(world, facilitator):
    invitation = walk_in(world, facilitator, organisation=world.school, email="Amina@Example.org")

    assert invitation.programme == world.programme
    assert invitation.met_on_the_day
    assert invitation.invitee.email == "amina@example.org"
    assert invitation.invitee.channel == Channel.EMAIL
    assert invitation.invitee.organisation == world.school
    assert Attendance.objects.get(session=world.session).invitation == invitation


def test_add_walk_in_without_email_gets_no_messages(world, facilitator):
    invitation = walk_in(world, facilitator)

    assert invitation.invitee.channel == Channel.NONE
    assert not Message.objects.filter(invitation=invitation).exists()


def on_the_day(world):
    """Move the series so that the all-day is today: walk-ins happen at a session that is taking place."""
    shift = world.session.date - timezone.localdate()
    for session in world.programme.sessions.all():
        session.date -= shift
        session.save()


def test_add_walk_in_with_email_gets_reminders_but_never_an_invitation(world, facilitator):
    on_the_day(world)
    invitation = walk_in(world, facilitator, email="amina@example.org")

    kinds = set(
        Message.objects.filter(invitation=invitation, state=MessageState.SCHEDULED).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {MessageKind.REMINDER}
    later_sessions = world.programme.sessions.exclude(pk=world.session.pk)
    reminded = set(Message.objects.filter(invitation=invitation).values_list("topic_id", flat=True))
    assert reminded >= set(later_sessions.values_list("pk", flat=True))


def test_sync_schedule_gives_a_none_channel_invitee_nothing_even_when_invited_ahead(world):
    invitation = InvitationFactory(
        programme=world.programme, invitee__email="", invitee__channel=Channel.NONE
    )
    sync_schedule(programme=world.programme)
    assert not Message.objects.filter(invitation=invitation).exists()


def test_sync_schedule_gives_met_on_the_day_reminders_but_no_invitation(world):
    met = InvitationFactory(programme=world.programme, met_on_the_day=True)
    invited = InvitationFactory(programme=world.programme)
    sync_schedule(programme=world.programme)
    met_kinds = set(Message.objects.filter(invitation=met).values_list("kind", flat=True))
    invited_kinds = set(Message.objects.filter(invitation=invited).values_list("kind", flat=True))
    assert MessageKind.INVITATION not in met_kinds
    assert MessageKind.REMINDER in met_kinds
    assert MessageKind.INVITATION in invited_kinds


def test_add_walk_in_reuses_an_invitee_known_by_email(world, facilitator):
    known = InviteeFactory(neighbourhood=world.neighbourhood, name="Amina Y", email="amina@example.org")

    invitation = walk_in(world, facilitator, email="AMINA@example.org")

    assert invitation.invitee == known
    assert invitation.met_on_the_day
    assert Invitee.objects.filter(email__iexact="amina@example.org").count() == 1


def test_add_walk_in_reuses_their_invitation_when_they_were_invited(world, facilitator):
    invited = InvitationFactory(programme=world.programme, invitee__email="amina@example.org")

    invitation = walk_in(world, facilitator, email="amina@example.org")

    assert invitation == invited
    assert not invitation.met_on_the_day  # they were invited ahead: that stays true
    assert world.programme.invitations.count() == 1
    assert Attendance.objects.filter(invitation=invited).count() == 1


def test_add_walk_in_twice_in_a_minute_is_one_person(world, facilitator):
    first = walk_in(world, facilitator, organisation=world.group)
    second = walk_in(world, facilitator, name="amina  yusuf", organisation=world.group)

    assert first == second
    assert Invitation.objects.filter(programme=world.programme).count() == 1
    assert Attendance.objects.count() == 1


def test_add_walk_in_same_name_later_is_someone_else(world, facilitator):
    first = walk_in(world, facilitator)
    Attendance.objects.update(arrived_at=timezone.now() - timedelta(minutes=5))
    second = walk_in(world, facilitator)
    assert first != second
    assert Attendance.objects.count() == 2


def test_add_walk_in_same_name_other_organisation_is_someone_else(world, facilitator):
    first = walk_in(world, facilitator, organisation=world.school)
    second = walk_in(world, facilitator, organisation=world.group)
    assert first != second


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 500}, "name"),
        ({"email": "not an email"}, "email"),
        ({"email": "a@b.org, c@d.org"}, "email"),
        ({"category": "alien"}, "category"),
        ({"category": "parent", "staff_role": "teacher"}, "staff_role"),
    ],
)
def test_add_walk_in_refuses_bad_details_and_saves_nothing(world, facilitator, details, field):
    with pytest.raises(ValidationError) as raised:
        walk_in(world, facilitator, **details)
    assert field in raised.value.message_dict
    assert not Invitee.objects.exists()
    assert not Attendance.objects.exists()


def test_add_walk_in_refuses_an_organisation_from_another_neighbourhood(world, facilitator):
    elsewhere = OrganisationFactory(neighbourhood=world.other_neighbourhood)
    with pytest.raises(ValidationError) as raised:
        walk_in(world, facilitator, organisation=elsewhere)
    assert "organisation" in raised.value.message_dict
    assert not Invitee.objects.exists()


def test_add_walk_in_refuses_a_cancelled_session(world, facilitator):
    session = world.session
    session.cancelled_at = timezone.now()
    session.save()
    with pytest.raises(ValidationError):
        add_walk_in(
            session=session,
            name="Amina",
            category="parent",
            organisation=None,
            email="",
            by=facilitator,
            today=session.date,
        )
    assert not Invitee.objects.exists()


def test_add_walk_in_school_staff_role_is_optional(world, facilitator):
    invitation = walk_in(world, facilitator, category="school_staff", organisation=world.school)
    assert invitation.invitee.staff_role == ""
    with_role = walk_in(world, facilitator, name="Mr Khan", category="school_staff", staff_role="teacher")
    assert with_role.invitee.staff_role == "teacher"


def test_add_walk_in_keeps_names_in_other_scripts(world, facilitator):
    invitation = walk_in(world, facilitator, name="  Łucja   Wiśniewska ")
    assert invitation.invitee.name == "Łucja Wiśniewska"
    urdu = walk_in(world, facilitator, name="عائشہ خان")
    assert urdu.invitee.name == "عائشہ خان"
