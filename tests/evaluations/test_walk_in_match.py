"""At the door: a walk-in whose name is someone's the neighbourhood knows is asked about first ("Is this
Grace Obi from Millbrook Primary?"). "Yes" signs in that person (no new one; someone known but not on
this programme joins its list as met on the day), "No, someone else" adds the walk-in as before; no
match adds them at once; several are listed with their organisations."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluations.models import Attendance
from evaluations.services.attendance import sign_in_known_person, walk_in_matches
from invitations.models import Invitation, Invitee
from tests.factories import InvitationFactory, InviteeFactory, NeighbourhoodFactory, ProgrammeFactory


@pytest.fixture
def session(world):
    """The programme's first session, today: signing in is open."""
    shift = world.session.date - timezone.localdate()
    for each in world.programme.sessions.all():
        each.date -= shift
        each.save()
    return world.session


@pytest.fixture
def grace(world):
    return InvitationFactory(
        programme=world.programme, invitee__name="Grace Obi", invitee__organisation=world.school
    )


@pytest.fixture
def door(client, world):
    client.force_login(world.user("facilitator"))
    return client


def walk_in(door, session, **data):
    details = {"name": "Grace Obi", "category": "parent", "organisation": "", "email": "", **data}
    return door.post(reverse("evaluations:walk_in", args=[session.pk]), details)


def test_a_walk_in_with_a_known_name_is_asked_about_before_anything_is_added(door, world, session, grace):
    response = walk_in(door, session, name="gráce  OBI")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Is this Grace Obi from Millbrook Primary?" in page
    assert "Yes, sign them in" in page and "No, someone else" in page
    assert "On this programme's list." in page
    # What was typed rides along, so either answer needs nothing typed again.
    assert 'type="hidden" name="name" value="gráce  OBI"' in page
    assert Invitee.objects.count() == 1
    assert not Attendance.objects.exists()


def test_yes_signs_in_the_person_on_the_list(door, world, session, grace):
    response = walk_in(door, session, name="grace obi", person=str(grace.invitee_id))

    assert response.status_code == 302
    assert response.url.endswith(f"#person-{grace.pk}")
    assert Invitee.objects.count() == 1
    assert list(Attendance.objects.values_list("invitation_id", "session_id")) == [(grace.pk, session.pk)]
    assert not Invitation.objects.get(pk=grace.pk).met_on_the_day


def test_yes_twice_signs_them_in_once(door, world, session, grace):
    walk_in(door, session, person=str(grace.invitee_id))
    walk_in(door, session, person=str(grace.invitee_id))

    assert Attendance.objects.count() == 1
    assert Invitation.objects.count() == 1


def test_no_adds_someone_else_as_before(door, world, session, grace):
    response = walk_in(door, session, person="new")

    assert response.status_code == 302
    new = Invitation.objects.exclude(pk=grace.pk).get()
    assert new.invitee.name == "Grace Obi" and new.met_on_the_day
    assert list(Attendance.objects.values_list("invitation_id", flat=True)) == [new.pk]
    # A double tap of "No" is still one walk-in (add_walk_in's minute).
    walk_in(door, session, person="new")
    assert Invitee.objects.count() == 2


def test_the_walk_in_just_added_is_not_asked_about_again(door, world, session):
    """Nobody of the name: added at once. The same tap again a moment later is that person, not a
    question about them."""
    first = walk_in(door, session, name="Zofia Nowak", organisation=world.group.pk)
    second = walk_in(door, session, name="Zofia Nowak", organisation=world.group.pk)

    assert first.status_code == second.status_code == 302
    assert Invitee.objects.filter(name="Zofia Nowak").count() == 1
    assert Attendance.objects.count() == 1


def test_no_match_adds_them_directly(door, world, session, grace):
    response = walk_in(door, session, name="Grace Obiora")

    assert response.status_code == 302
    assert Invitee.objects.filter(name="Grace Obiora").exists()
    assert Attendance.objects.count() == 1


def test_someone_known_in_the_neighbourhood_but_not_invited_joins_the_list(door, world, session):
    known = InviteeFactory(neighbourhood=world.neighbourhood, name="Grace Obi", organisation=world.group)

    page = walk_in(door, session).content.decode()
    assert "Is this Grace Obi from Tenants&#x27; Association?" in page
    assert "not yet on this programme's list" in page

    walk_in(door, session, person=str(known.pk))

    invitation = Invitation.objects.get(invitee=known, programme=world.programme)
    assert invitation.met_on_the_day
    assert Attendance.objects.get().invitation == invitation
    assert Invitee.objects.count() == 1


def test_several_matches_are_listed_each_with_their_organisation(door, world, session, grace):
    InvitationFactory(programme=world.programme, invitee__name="GRACE OBI", invitee__organisation=world.group)
    InviteeFactory(neighbourhood=world.neighbourhood, name="Grace Obi", organisation=None)

    page = walk_in(door, session).content.decode()

    assert "Is this one of these people called Grace Obi?" in page
    assert page.count("Yes, sign them in") == 3
    assert "Millbrook Primary" in page and "Tenants&#x27; Association" in page
    assert page.index("Millbrook Primary") < page.index("not yet on this programme")  # on the list first
    assert not Attendance.objects.exists()


def test_a_name_known_only_in_another_neighbourhood_is_not_asked_about(door, world, session):
    InvitationFactory(
        programme=ProgrammeFactory(neighbourhood=NeighbourhoodFactory()), invitee__name="Grace Obi"
    )

    response = walk_in(door, session)

    assert response.status_code == 302
    assert Attendance.objects.get().invitation.programme == world.programme


def test_an_email_the_neighbourhood_knows_needs_no_question(door, world, session, grace):
    """The address says who they are (add_walk_in reuses that person): nothing to ask."""
    Invitee.objects.filter(pk=grace.invitee_id).update(email="grace@example.org")

    response = walk_in(door, session, email="Grace@Example.org")

    assert response.status_code == 302
    assert Attendance.objects.get().invitation == grace


@pytest.mark.parametrize("forged", ["other neighbourhood", "another name", "nonexistent"])
def test_a_forged_yes_signs_in_nobody(door, world, session, grace, forged):
    people = {
        "other neighbourhood": lambda: InviteeFactory(name="Grace Obi").pk,
        "another name": lambda: InviteeFactory(neighbourhood=world.neighbourhood, name="Ben Ade").pk,
        "nonexistent": lambda: 987654,
    }
    response = walk_in(door, session, person=str(people[forged]()))

    assert response.status_code == 200
    assert "not someone of this name in the neighbourhood" in response.content.decode()
    assert not Attendance.objects.exists()
    assert Invitation.objects.count() == 1


def test_yes_outside_the_sessions_day_signs_in_nobody(world, grace):
    session = world.session  # five weeks ahead
    with pytest.raises(ValidationError):
        sign_in_known_person(session=session, invitee_id=grace.invitee_id, name="Grace Obi", by=None)
    assert not Attendance.objects.exists()


def test_weeks_before_the_day_nothing_is_asked_and_nothing_added(door, world, grace):
    session = world.session
    response = walk_in(door, session)

    page = response.content.decode()
    assert "Signing in opens on the day of the session" in page
    assert "Is this Grace Obi" not in page
    assert not Attendance.objects.exists() and Invitee.objects.count() == 1


def test_the_question_is_asked_on_the_same_terms_by_the_service(world, session, grace):
    matches = walk_in_matches(session=session, name="  GRACE   obi ")

    assert [(match.invitee, match.invitation, match.organisation) for match in matches] == [
        (grace.invitee, grace, "Millbrook Primary")
    ]
    assert walk_in_matches(session=session, name="Grace") == []


@pytest.mark.parametrize(
    ("known", "typed"),
    [("Łukasz Ødegård", "lukasz odegard"), ("lukasz odegard", "ŁUKASZ ØDEGÅRD"), ("Grace Obi", "GRÁCE OBI")],
)
def test_a_name_is_matched_by_the_one_rule_for_names(world, session, known, typed):
    """invitations.names.fold: the stroke letters (Ł, Ø) fold as accents do, so the walk-in is asked
    about, and "Yes" signs that person in (no second Łukasz)."""
    someone = InvitationFactory(
        programme=world.programme, invitee__name=known, invitee__organisation=world.school
    )

    assert [match.invitee for match in walk_in_matches(session=session, name=typed)] == [someone.invitee]
    signed_in = sign_in_known_person(
        session=session, invitee_id=someone.invitee_id, name=typed, by=world.user("facilitator")
    )
    assert signed_in == someone and Invitee.objects.count() == 1


def test_someone_already_signed_in_is_shown_so(door, world, session, grace):
    Attendance.objects.create(session=session, invitation=grace)
    Attendance.objects.update(arrived_at=timezone.now() - timedelta(hours=1))

    page = walk_in(door, session).content.decode()

    assert "Signed in already." in page


def test_asking_costs_the_same_queries_in_a_neighbourhood_of_60_as_of_5(world, session, grace):
    def neighbours(count):
        for number in range(count):
            InviteeFactory(neighbourhood=world.neighbourhood, name=f"Neighbour {number}")

    neighbours(4)
    with CaptureQueriesContext(connection) as few:
        walk_in_matches(session=session, name="Grace Obi")
    neighbours(55)
    InviteeFactory(neighbourhood=world.neighbourhood, name="GRACE OBI")
    with CaptureQueriesContext(connection) as many:
        found = walk_in_matches(session=session, name="Grace Obi")

    assert len(found) == 2
    assert len(many) == len(few) <= 5
