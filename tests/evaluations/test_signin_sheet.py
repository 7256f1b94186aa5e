"""The printable sign-in sheet: every name on the list, by group and alphabetical, with the session's
details and empty rows for walk-ins; names in other scripts print unchanged."""

import io
import unicodedata

import pypdf
import pytest
from django.urls import reverse

from evaluations.services.attendance import mark_arrived
from invitations.services.replies import save_reply
from tests.factories import InvitationFactory


@pytest.fixture
def facilitator_client(client, world):
    client.force_login(world.user("facilitator"))
    return client


def invite(world, name, category="parent", **invitee):
    return InvitationFactory(
        programme=world.programme,
        invitee__name=name,
        invitee__category=category,
        **{f"invitee__{key}": value for key, value in invitee.items()},
    )


def sheet_text(client, session) -> str:
    response = client.get(reverse("evaluations:signin_sheet", args=[session.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in reader.pages))


def test_signin_sheet_lists_names_by_group_alphabetically(facilitator_client, world):
    session = world.session
    invite(world, "Zara Ahmed", organisation=world.school)
    invite(world, "Bella Brown", organisation=world.school)
    invite(world, "Colin Teacher", "school_staff", staff_role="teacher", organisation=world.school)
    invite(world, "Gina Group", "group_worker", organisation=world.group)

    text = sheet_text(facilitator_client, session)

    assert "Sign-in sheet: Better Together in Millbrook" in text
    assert session.date.strftime("%Y") in text
    assert world.venue.name in text
    assert text.index("Parents and carers") < text.index("Bella Brown") < text.index("Zara Ahmed")
    assert text.index("School staff") < text.index("Colin Teacher")
    assert text.index("Local groups and agencies") < text.index("Gina Group")
    assert "Millbrook Primary" in text
    assert "Not on the list? Write your name here" in text


def test_signin_sheet_keeps_polish_and_urdu_names_unchanged(facilitator_client, world):
    invite(world, "Łucja Wiśniewska")
    invite(world, "Zażółć Gęślą")
    text = sheet_text(facilitator_client, world.session)
    assert "Łucja Wiśniewska" in text
    assert "Zażółć Gęślą" in text


def test_signin_sheet_prints_urdu_names_in_their_own_letters(facilitator_client, world):
    invite(world, "عائشہ خان")
    text = sheet_text(facilitator_client, world.session)
    assert "عائشہ خان" in text


def test_signin_sheet_includes_people_who_said_they_cannot_come_and_ticks_those_already_here(
    facilitator_client, world
):
    session = world.session
    no = invite(world, "Aaron Cannot")
    save_reply(invitation=no, answers={session.pk: "no"}, details={})
    here = invite(world, "Already Here")
    mark_arrived(session=session, invitation=here, by=None, today=session.date)
    text = sheet_text(facilitator_client, session)
    assert "Aaron Cannot" in text
    assert "Already Here" in text


def test_signin_sheet_with_nobody_on_the_list_still_prints_blank_rows(facilitator_client, world):
    text = sheet_text(facilitator_client, world.session)
    assert "Nobody is on the list yet." in text
    assert "Not on the list? Write your name here" in text


def test_signin_sheet_is_not_for_coordinators(client, world):
    client.force_login(world.user("coordinator"))
    response = client.get(reverse("evaluations:signin_sheet", args=[world.session.pk]))
    assert response.status_code == 403
