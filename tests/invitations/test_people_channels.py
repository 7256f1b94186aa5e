"""Mobiles, agreement to texts and the ways we reach someone: on the form that adds a person, and on the
list (its page and its CSV), with a clear mark and a Fix link where an address or number does not work."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Message
from invitations.enums import Category, Channel, MessageKind
from invitations.models import Invitation, Invitee
from invitations.services.schedule import sync_schedule
from tests.events.test_forms import field_error
from tests.factories import InvitationFactory, UserFactory

BOUNCE = "550 5.1.1 No such user here"


def add_url(world) -> str:
    return reverse("invitations:add", args=[world.programme.pk])


def list_url(world) -> str:
    return reverse("invitations:list", args=[world.programme.pk])


def person(world, **changes) -> dict:
    data = {
        "name": "Amira Khan",
        "category": Category.PARENT,
        "organisation": world.school.pk,
        "email": "",
        "mobile": "07700 900123",
        "texts_agreed": "on",
        "language": "en",
        "channel": Channel.SMS,
    }
    return {key: value for key, value in {**data, **changes}.items() if value is not None}


def add(client, world, **changes):
    return client.post(add_url(world), person(world, **changes))


@pytest.fixture
def facilitator_client(client, world):
    client.force_login(world.user("facilitator"))
    return client


# --- Adding a person -----------------------------------------------------------------------------------


def test_add_someone_reached_by_text_message(facilitator_client, world):
    response = add(facilitator_client, world, interpreter="on")

    assert response.status_code == 302, response.context["form"].errors
    invitee = Invitee.objects.get(name="Amira Khan")
    assert (invitee.mobile, invitee.texts_agreed, invitee.channel, invitee.interpreter) == (
        "+447700900123",
        True,
        Channel.SMS,
        True,
    )
    rows = Message.objects.filter(invitation__invitee=invitee, kind=MessageKind.INVITATION)
    assert list(rows.values_list("channel", flat=True)) == ["sms"]


def test_add_email_with_texts_as_well(facilitator_client, world):
    add(facilitator_client, world, email="amira@example.org", channel=Channel.EMAIL, texts_too="on")

    invitee = Invitee.objects.get(name="Amira Khan")
    assert (invitee.channel, invitee.texts_too) == (Channel.EMAIL, True)
    rows = Message.objects.filter(invitation__invitee=invitee, kind=MessageKind.INVITATION)
    assert sorted(rows.values_list("channel", flat=True)) == ["email", "sms"]


def test_texts_as_well_are_not_kept_for_someone_reached_by_text(facilitator_client, world):
    add(facilitator_client, world, texts_too="on")

    assert Invitee.objects.get(name="Amira Khan").texts_too is False


@pytest.mark.parametrize(
    ("mobile", "why"),
    [
        ("07700 900 12", "That number is too short"),
        ("+44 20 7946 0000", "That looks like a landline"),
        ("0800 123 4567", "That is a freephone or service number"),
        ("07700 9OO123", "A mobile number has only digits"),
    ],
)
def test_add_with_a_bad_mobile_is_refused_beside_it_saying_why(facilitator_client, world, mobile, why):
    response = add(facilitator_client, world, mobile=mobile)

    assert why in field_error(response, "mobile")
    assert not Invitee.objects.filter(name="Amira Khan").exists()


@pytest.mark.parametrize(
    "changes",
    [{"channel": Channel.SMS}, {"channel": Channel.EMAIL, "email": "amira@example.org", "texts_too": "on"}],
)
def test_texts_without_a_mobile_are_refused_beside_the_mobile(facilitator_client, world, changes):
    response = add(facilitator_client, world, mobile="", **changes)

    assert field_error(response, "mobile") == "No mobile number: text messages need one."


def test_texts_without_agreement_are_refused_beside_the_agreement(facilitator_client, world):
    response = add(facilitator_client, world, texts_agreed=None)

    assert "agreed" in field_error(response, "texts_agreed")


def test_email_needs_an_address_and_a_letter_a_school(facilitator_client, world):
    by_email = add(facilitator_client, world, channel=Channel.EMAIL)
    by_letter = add(facilitator_client, world, channel=Channel.LETTER, organisation=world.group.pk)

    assert "No email address" in field_error(by_email, "email")
    assert "Letters go through a school" in field_error(by_letter, "organisation")


def test_add_form_offers_email_text_and_letter_only(facilitator_client, world):
    form = facilitator_client.get(add_url(world)).context["form"]

    assert [value for value, _label in form.fields["channel"].choices] == ["email", "sms", "letter"]
    response = add(facilitator_client, world, channel=Channel.NONE)
    assert "Please choose email, text message or a letter" in field_error(response, "channel")


# --- The list ---------------------------------------------------------------------------------------------


def invite(world, **invitee) -> Invitation:
    invitation = InvitationFactory(
        programme=world.programme,
        **{f"invitee__{key}": value for key, value in {"organisation": world.school, **invitee}.items()},
    )
    sync_schedule(programme=world.programme)
    return invitation


def moved_to_a_letter(world, name="Ben Lowe") -> Invitation:
    return invite(
        world,
        name=name,
        channel=Channel.LETTER,
        email_failed=BOUNCE,
        fell_back_from=Channel.EMAIL,
    )


def fix_url(world, invitation) -> str:
    return (
        reverse("invitations:fix_contact", args=[invitation.invitee_id]) + f"?programme={world.programme.pk}"
    )


def test_list_shows_each_persons_ways_and_mobile(facilitator_client, world):
    invite(world, name="Amira Khan", mobile="+447700900123", texts_agreed=True, texts_too=True)
    invite(
        world, name="Chidi Okafor", email="", mobile="+447700900456", texts_agreed=True, channel=Channel.SMS
    )
    invite(world, name="Dana Price", email="", channel=Channel.LETTER, interpreter=True)

    html = facilitator_client.get(list_url(world)).content.decode()

    assert "Email and texts" in html and "Text message" in html and "Letter through school" in html
    assert "07700 900123" in html and "07700 900456" in html
    assert "+447700900123" not in html
    assert "Needs an interpreter" in html


def test_list_marks_an_email_not_working_and_where_they_were_moved_with_a_fix_link(facilitator_client, world):
    moved = moved_to_a_letter(world)
    working = invite(world, name="Amira Khan")

    html = facilitator_client.get(list_url(world)).content.decode()

    assert f"Email not working — {BOUNCE}" in html
    assert f"now by letter through {world.school.name}" in html
    assert f'href="{fix_url(world, moved)}"' in html
    assert reverse("invitations:fix_contact", args=[working.invitee_id]) not in html


def test_list_says_when_nobody_can_reach_them(facilitator_client, world):
    invite(world, name="Ben Lowe", organisation=None, email_failed=BOUNCE)

    html = facilitator_client.get(list_url(world)).content.decode()

    assert f"Email not working — {BOUNCE}" in html
    assert "no way to reach them until this is fixed" in html


def test_coordinator_gets_the_fix_link_for_their_schools_people(client, world):
    moved = moved_to_a_letter(world)
    client.force_login(world.user("coordinator"))

    html = client.get(list_url(world)).content.decode()

    assert f'href="{fix_url(world, moved)}"' in html
    assert client.get(fix_url(world, moved)).status_code == 200


def test_a_programmes_own_facilitator_from_elsewhere_gets_no_fix_link(client, world):
    # They run the programme, but the person is not in a neighbourhood they facilitate: the rule says no.
    guest = UserFactory(username="guest_facilitator")
    world.programme.facilitators.add(guest)
    moved = moved_to_a_letter(world)
    client.force_login(guest)

    html = client.get(list_url(world)).content.decode()

    assert f"Email not working — {BOUNCE}" in html
    assert fix_url(world, moved) not in html
    assert client.get(fix_url(world, moved)).status_code == 403


@pytest.mark.parametrize("role", ["facilitator", "coordinator"])
def test_list_query_count_stays_flat_with_mobiles_and_marks(client, world, role):
    client.force_login(world.user(role))
    moved_to_a_letter(world, name="Person 0")
    with CaptureQueriesContext(connection) as one:
        assert client.get(list_url(world)).status_code == 200

    for number in range(1, 12):
        if number % 2:
            moved_to_a_letter(world, name=f"Person {number}")
        else:
            invite(
                world,
                name=f"Person {number}",
                mobile=f"+4477009001{number:02}",
                texts_agreed=True,
                texts_too=True,
            )
    with CaptureQueriesContext(connection) as twelve:
        response = client.get(list_url(world))

    assert len(response.context["invitations"]) == 12
    assert len(twelve) == len(one)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_list_csv_has_the_mobile_the_ways_and_what_is_not_working(facilitator_client, world):
    invite(
        world, name="Amira Khan", mobile="+447700900123", texts_agreed=True, texts_too=True, interpreter=True
    )
    moved_to_a_letter(world)

    rows = csv_rows(facilitator_client.get(reverse("invitations:list_csv", args=[world.programme.pk])))

    amira, ben = sorted(rows, key=lambda row: row["name"])
    assert (amira["mobile"], amira["channel"], amira["texts agreed"], amira["interpreter"]) == (
        "07700 900123",
        "Email and texts",
        "yes",
        "yes",
    )
    assert amira["not working"] == ""
    assert ben["channel"] == "Letter through school"
    assert ben["not working"] == f"Email not working — {BOUNCE}; now by letter through {world.school.name}"


def test_list_csv_uploaded_again_finds_everyone_already_invited(facilitator_client, world):
    invite(world, name="Amira Khan", mobile="+447700900123", texts_agreed=True, texts_too=True)
    invite(
        world, name="Chidi Okafor", email="", mobile="+447700900456", texts_agreed=True, channel=Channel.SMS
    )
    download = facilitator_client.get(reverse("invitations:list_csv", args=[world.programme.pk]))

    response = facilitator_client.post(
        reverse("invitations:import", args=[world.programme.pk]),
        {"file": SimpleUploadedFile("list.csv", download.content, content_type="text/csv")},
    )

    preview = response.context["preview"]
    assert [(row.status, row.reasons) for row in preview.rows] == [("already", []), ("already", [])]
