"""Issue 17, part 6: one invitation per family, not per child. Contacts with the same email, the same mobile,
or the same address and surname (at the neighbourhood's schools, and against people already known) are one
household; a family with children at two schools gets one invitation, through the youngest child's school;
and a home of two adults can say the other one is coming too."""

import pytest
from django.urls import reverse

from events.enums import ProgrammeStatus
from invitations.models import Invitee
from invitations.services import school_exports, sheets
from invitations.services.emails import issue_reply_link
from invitations.services.schedule import sync_schedule
from invitations.services.school_exports import Reading
from tests.factories import InvitationFactory, InviteeFactory

pytestmark = pytest.mark.django_db
HEADER = "Parent,Email,Mobile,Address,PR,Priority,Child,Year,School\n"
MAPPING = {
    "full_name": "parent",
    "email": "email",
    "mobile": "mobile",
    "address": "address",
    "responsibility": "pr",
    "priority": "priority",
    "pupil_first_name": "child",
    "year": "year",
    "organisation": "school",
}


def read(world, lines: str, *, role: str = "facilitator", mapping: dict | None = None, school=None):
    return school_exports.preview_export(
        programme=world.programme,
        text=HEADER + lines,
        user=world.user(role),
        reading=Reading(mapping=mapping or MAPPING, school=school),
    )


def imported(world, lines: str, *, role: str = "facilitator", mapping: dict | None = None):
    return school_exports.import_export(
        programme=world.programme,
        text=HEADER + lines,
        user=world.user(role),
        reading=Reading(mapping=mapping or MAPPING),
    )


def rows(result) -> dict:
    return {row.values["name"]: row for row in result.rows}


def invited_names(world) -> set[str]:
    return set(world.programme.invitations.values_list("invitee__name", flat=True))


def test_the_same_email_makes_one_household(world):
    result = read(
        world,
        "Marta Kowalska,family@example.org,07700 900111,1 Mill St,Y,2,Zofia,Year 4,Millbrook Primary\n"
        "Tomasz Nowak,FAMILY@example.org,07700 900112,7 Other Rd,Y,1,Zofia,Year 4,Millbrook Primary\n",
    )

    found = rows(result)
    assert found["Tomasz Nowak"].status == "add"  # the first priority
    assert found["Marta Kowalska"].status == "skip"
    assert found["Marta Kowalska"].reasons == ["same home as Tomasz Nowak (line 3)"]
    assert [household.words() for household in result.households] == [
        "Nowak household: Tomasz Nowak (invited), Marta Kowalska (same home)"
    ]


def test_the_same_mobile_makes_one_household(world):
    result = read(
        world,
        "Amira Khan,,07700 900121,33 Station Road,Y,1,Yusuf,Year 1,Millbrook Primary\n"
        "Imran Khan,,+44 7700 900121,Flat 2 33 Station Rd,Y,2,Yusuf,Year 1,Millbrook Primary\n",
    )

    assert rows(result)["Amira Khan"].status == "add"
    assert rows(result)["Imran Khan"].status == "skip"
    assert rows(result)["Amira Khan"].cleaned["adults_at_home"] == 2


def test_the_same_address_and_surname_make_one_household_whatever_the_case_accents_and_commas(world):
    result = read(
        world,
        'Zoë Dubois,zoe@example.org,,"12 Hill Road, Millbrook",Y,1,Léa,Year 2,Millbrook Primary\n'
        "Marc DUBOIS,marc@example.org,,12 HILL ROAD MILLBROOK,Y,2,Léa,Year 2,Millbrook Primary\n"
        "Anne Dubois,anne@example.org,,14 Hill Road Millbrook,Y,1,Hugo,Year 3,Millbrook Primary\n"
        "Sue Martin,sue@example.org,,12 Hill Road Millbrook,Y,1,Tom,Year 1,Millbrook Primary\n",
    )

    found = rows(result)
    assert found["Marc DUBOIS"].status == "skip"
    # Another house, or another surname at the same house (a lodger, a second family): their own home.
    assert found["Anne Dubois"].status == found["Sue Martin"].status == "add"
    assert len(result.households) == 1


def test_contacts_who_are_never_invited_are_not_counted_as_adults_at_home(world):
    result = read(
        world,
        "Grace Obi,grace@example.org,,12 Hill Road,Y,1,Amara,Year 2,Millbrook Primary\n"
        "Ngozi Obi,,,12 Hill Road,N,3,Amara,Year 2,Millbrook Primary\n",
    )

    assert rows(result)["Ngozi Obi"].reasons == ["no parental responsibility"]
    assert rows(result)["Grace Obi"].cleaned["adults_at_home"] == 1
    assert result.households == []


def test_a_household_is_invited_once_with_the_others_in_the_notes(world):
    imported(
        world,
        "Grace Obi,grace@example.org,07700 900101,12 Hill Road,Y,1,Amara,Year 2,Millbrook Primary\n"
        "Daniel Obi,daniel@example.org,07700 900102,12 Hill Road,Y,2,Amara,Year 2,Millbrook Primary\n"
        "Grace Obi,grace@example.org,07700 900101,12 Hill Road,Y,1,Kofi,Reception,Millbrook Primary\n"
        "Daniel Obi,daniel@example.org,07700 900102,12 Hill Road,Y,2,Kofi,Reception,Millbrook Primary\n",
    )

    assert invited_names(world) == {"Grace Obi"}
    assert not Invitee.objects.filter(name="Daniel Obi").exists()
    grace = Invitee.objects.get(name="Grace Obi")
    assert grace.adults_at_home == 2
    assert "Also at home: Daniel Obi (daniel@example.org, 07700 900102)." in grace.notes
    assert "Children: Amara (Year 2, Millbrook Primary); Kofi (Reception, Millbrook Primary)." in grace.notes


def test_a_family_at_two_schools_gets_one_invitation_through_the_youngest_childs_school(world):
    world.programme.schools.add(world.other_school)

    result = imported(
        world,
        "Grace Obi,grace@example.org,,12 Hill Road,Y,1,Amara,Year 2,Millbrook Primary\n"
        "Grace Obi,grace@example.org,,12 Hill Road,Y,1,Ada,Nursery,St Anne's Primary\n"
        "Daniel Obi,daniel@example.org,,12 Hill Road,Y,2,Kofi,Reception,Millbrook Primary\n",
    )

    grace = Invitee.objects.get(name="Grace Obi")
    assert invited_names(world) == {"Grace Obi"}
    assert grace.organisation == world.other_school  # Ada, in the nursery, is the youngest
    assert (
        "Children: Amara (Year 2, Millbrook Primary); Ada (Nursery, St Anne's Primary); "
        "Kofi (Reception, Millbrook Primary)." in grace.notes
    )
    assert grace.channel == "email"
    assert [household.words() for household in result.households] == [
        "Obi household: Grace Obi (invited), Daniel Obi (same home)"
    ]


def test_the_file_may_say_which_school_a_familys_letter_goes_through(world):
    header_lines = (
        "Grace Obi,,,12 Hill Road,Y,1,Amara,Year 2,Millbrook Primary,Millbrook Primary\n"
        "Grace Obi,,,12 Hill Road,Y,1,Ada,Nursery,St Anne's Primary,Millbrook Primary\n"
    )
    mapping = {**MAPPING, "letters_school": "letters via"}

    result = school_exports.preview_export(
        programme=world.programme,
        text=HEADER.replace("School\n", "School,Letters via\n") + header_lines,
        user=world.user("facilitator"),
        reading=Reading(mapping=mapping),
    )

    [grace] = result.rows
    assert grace.cleaned["organisation"] == world.school and grace.cleaned["channel"] == "letter"


def test_someone_already_known_keeps_their_school(world):
    known = InviteeFactory(
        neighbourhood=world.neighbourhood,
        name="Grace Obi",
        email="grace@example.org",
        organisation=world.school,
    )

    imported(
        world,
        "Grace Obi,grace@example.org,,12 Hill Road,Y,1,Amara,Year 2,Millbrook Primary\n"
        "Grace Obi,grace@example.org,,12 Hill Road,Y,1,Ada,Nursery,St Anne's Primary\n",
    )

    known.refresh_from_db()
    assert known.organisation == world.school
    assert world.programme.invitations.get().invitee == known
    assert "Ada (Nursery, St Anne's Primary)" in known.notes


def test_a_household_already_on_the_list_through_someone_not_in_the_file_is_not_invited_again(world):
    daniel = InvitationFactory(
        programme=world.programme,
        invitee__name="Daniel Obi",
        invitee__email="daniel@example.org",
        invitee__address="12 Hill Road",
        invitee__organisation=world.school,
    ).invitee

    result = read(world, "Grace Obi,grace@example.org,,12 Hill Road,Y,1,Amara,Year 2,Millbrook Primary\n")
    imported(world, "Grace Obi,grace@example.org,,12 Hill Road,Y,1,Amara,Year 2,Millbrook Primary\n")

    [grace] = result.rows
    assert grace.status == "skip"
    assert grace.reasons == ["the same home as Daniel Obi, who is already on the list"]
    assert grace.update_words == "notes, adults at home"
    assert [household.words() for household in result.households] == [
        "Obi household: Daniel Obi (already on the list), Grace Obi (same home)"
    ]
    daniel.refresh_from_db()
    assert not Invitee.objects.filter(name="Grace Obi").exists()
    assert daniel.adults_at_home == 2 and "Also at home: Grace Obi (grace@example.org)." in daniel.notes
    assert world.programme.invitations.count() == 1


def test_someone_known_but_not_invited_is_invited_for_their_home(world):
    daniel = InviteeFactory(
        neighbourhood=world.neighbourhood,
        name="Daniel Obi",
        email="",
        channel="letter",
        mobile="+447700900102",
        organisation=world.school,
    )

    result = imported(
        world, "Grace Obi,grace@example.org,07700 900102,1 New Road,Y,1,Amara,Year 2,Millbrook Primary\n"
    )

    [grace] = result.rows
    assert grace.invitee == daniel and grace.for_home
    assert "the same home as Daniel Obi, already known: Daniel Obi is invited for this home" in grace.remarks
    assert invited_names(world) == {"Daniel Obi"}
    assert not Invitee.objects.filter(name="Grace Obi").exists()
    daniel.refresh_from_db()
    assert daniel.email == "" and daniel.adults_at_home == 2  # only what the file says of the home changes


def test_a_shared_family_email_known_for_someone_else_is_their_home_not_them(world):
    """The email is known for Daniel: Grace is not made Daniel (nor a second person with his address)."""
    daniel = InviteeFactory(
        neighbourhood=world.neighbourhood,
        name="Daniel Obi",
        email="obi.family@example.org",
        phone="0161 496 0000",
    )

    result = imported(
        world, "Grace Obi,obi.family@example.org,07700 900101,,Y,1,Amara,Year 2,Millbrook Primary\n"
    )

    daniel.refresh_from_db()
    assert result.rows[0].for_home
    assert (daniel.name, daniel.phone, daniel.mobile) == ("Daniel Obi", "0161 496 0000", "")
    assert Invitee.objects.filter(email__iexact="obi.family@example.org").count() == 1


def test_two_homes_of_the_file_that_meet_in_one_known_person_are_one(world):
    InviteeFactory(
        neighbourhood=world.neighbourhood,
        name="Daniel Obi",
        email="daniel@example.org",
        mobile="+447700900102",
        organisation=world.school,
    )

    result = read(
        world,
        "Grace Obi,daniel@example.org,,,Y,1,Amara,Year 2,Millbrook Primary\n"
        "Ada Obi,,07700 900102,,Y,2,Amara,Year 2,Millbrook Primary\n",
    )

    assert [row.status for row in result.rows] == ["add", "skip"]
    assert len(result.households) == 1


def test_a_coordinator_is_not_told_who_of_another_school_shares_the_home(world):
    world.programme.schools.add(world.other_school)
    InvitationFactory(
        programme=world.programme,
        invitee__name="Daniel Obi",
        invitee__email="daniel@example.org",
        invitee__address="12 Hill Road",
        invitee__organisation=world.other_school,
    )

    result = read(
        world,
        "Grace Obi,grace@example.org,,12 Hill Road,Y,1,Amara,Year 2,Millbrook Primary\n",
        role="coordinator",
    )

    [grace] = result.rows
    assert grace.reasons == ["someone from the same home is already on the list, through another school"]
    assert grace.updates == {}  # nor may they change that person
    assert "Daniel" not in " ".join(household.words() for household in result.households)


def test_a_coordinator_cannot_invite_a_home_known_through_another_school(world):
    world.programme.schools.add(world.other_school)
    InviteeFactory(
        neighbourhood=world.neighbourhood,
        name="Daniel Obi",
        email="daniel@example.org",
        address="12 Hill Road",
        organisation=world.other_school,
    )

    result = read(
        world,
        "Grace Obi,grace@example.org,,12 Hill Road,Y,1,Amara,Year 2,Millbrook Primary\n",
        role="coordinator",
    )

    [grace] = result.rows
    assert grace.status == "error"
    assert grace.reasons == [
        "Someone from the same home is already known through another organisation. Please ask the facilitator "
        "to invite them."
    ]


def test_the_adults_of_a_home_are_counted(world):
    lines = "".join(
        f"Adult{n} Obi,,07700 90010{n},12 Hill Road,Y,{n},Amara,Year 2,Millbrook Primary\n"
        for n in range(1, 7)
    )

    result = read(world, lines)

    assert result.rows[0].cleaned["adults_at_home"] == 6
    assert [row.status for row in result.rows].count("add") == 1


def test_a_placeholder_shared_by_many_contacts_does_not_make_them_one_home(world):
    lines = "".join(
        f"Parent{n} Family{n},office@school.example.org,07700 90010{n},{n} Hill Road,Y,1,Child{n},Year 2,"
        "Millbrook Primary\n"
        for n in range(1, 9)
    )

    result = read(world, lines)

    assert result.households == []
    assert [row.status for row in result.rows] == ["add"] * 8
    first = result.rows[0]
    assert first.cleaned["email"] == "" and first.cleaned["channel"] == "letter"
    assert (
        "“office@school.example.org” is on the rows of more contacts than one home has adults (an office's "
        "address?): not used for them, nor taken as one household" in first.remarks
    )
    assert (
        "Shared by many contacts in the school's file, so left out: office@school.example.org."
        in (first.cleaned["notes"])
    )


# --- The reply page of a home of two adults --------------------------------------------------------------


@pytest.fixture
def open_programme(world):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    return world.programme


def reply_url(invitation) -> str:
    link, _unsubscribe = issue_reply_link(invitation=invitation)
    token = link.rstrip("/").rsplit("/", 1)[1]
    return reverse("invitations:reply", args=[token])


def test_a_home_of_two_adults_is_asked_if_the_other_one_is_coming(client, open_programme):
    two = InvitationFactory(programme=open_programme, invitee__adults_at_home=2)
    one = InvitationFactory(programme=open_programme)
    sync_schedule(programme=open_programme)

    household = client.get(reply_url(two)).content.decode()
    alone = client.get(reply_url(one)).content.decode()

    assert "The other adult from your home is welcome too." in household
    assert "Count the other adult from your home if they are coming" in household
    assert 'id="extra_places-hint"' in household and 'aria-describedby="extra_places-hint"' in household
    assert "How many people are you bringing with you?" not in household
    assert "How many people are you bringing with you?" in alone
    assert "other adult from your home" not in alone


def test_the_other_adult_coming_is_counted_in_the_sheets(client, open_programme):
    two = InvitationFactory(programme=open_programme, invitee__adults_at_home=2)
    sync_schedule(programme=open_programme)
    sessions = list(open_programme.sessions.active().order_by("date", "start_time"))

    response = client.post(
        reply_url(two), {**{f"session_{s.pk}": "yes" for s in sessions}, "extra_places": "1"}
    )

    assert response.status_code == 302
    two.refresh_from_db()
    assert two.reply.extra_places == 1
    counts = sheets.attendance(programme=open_programme)
    assert counts.sessions[0].coming == 2


def test_a_bad_number_for_the_other_adult_is_refused_beside_the_question(client, open_programme):
    two = InvitationFactory(programme=open_programme, invitee__adults_at_home=2)
    sync_schedule(programme=open_programme)
    sessions = list(open_programme.sessions.active())

    response = client.post(
        reply_url(two), {**{f"session_{s.pk}": "yes" for s in sessions}, "extra_places": "9"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Please write a number from 0 to 5." in html and 'id="extra_places-error"' in html
    assert "The other adult from your home is welcome too." in html


def test_two_people_of_one_name_at_two_homes_are_two_people(world):
    result = read(
        world,
        "John Smith,,07700 900201,1 Hill Road,Y,1,Amy,Year 2,Millbrook Primary\n"
        "John Smith,,07700 900202,9 Mill Street,Y,1,Ben,Year 5,Millbrook Primary\n",
    )

    assert [row.status for row in result.rows] == ["add", "add"]
    assert result.households == []
