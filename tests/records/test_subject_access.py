"""Subject access (issue 18, part 4): an administrator, a facilitator for their neighbourhood or a
coordinator for their own school's people finds a person by name, email or phone across every programme
and downloads all we hold about them, as a PDF and as JSON, in one click. A search matching two people
lists both; a person on two programmes gets both and nobody else; another school's person: 403."""

import json
import time

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import LeadLink
from core import audit
from core.models import Message
from invitations.models import ReplyToken
from invitations.services.emails import issue_reply_link
from invitations.services.people import edit_person
from invitations.services.schedule import sync_schedule
from records.services.people import find_people, subject_access
from tests.factories import InvitationFactory, InviteeFactory
from tests.records.helpers import add_action, pdf_text

from .privacy_helpers import NEEDS, also_on, held_programme, person_on

AMIRA = {
    "name": "Amira Khan-Rahmanova",
    "email": "amira.khan@millbrook-community-partnership.org.uk",
    "phone": "0161 496 0000",
    "mobile": "+447700900123",
    "texts_agreed": True,
    "address": "Flat 12, 3 Bridgewater-under-Lyme Road",
}


@pytest.fixture
def amira(world):
    """Amira, of the coordinator's school, on last spring's programme (replied, came, leads an action)
    and on the world's programme still to come."""
    old = held_programme(world, days_ago=40, title="Better Together last spring")
    invitation = person_on(old, organisation=world.school, **AMIRA)
    action = add_action(old, what="A walking bus to school", lead=invitation)
    LeadLink.objects.create(action=action, invitation=invitation, token_hash="a" * 64)
    also_on(world.programme, invitation)
    sync_schedule(programme=world.programme)
    return invitation


def others(world):
    """Other people on both programmes, who must not be in Amira's export."""
    old = world.neighbourhood.programmes.get(title="Better Together last spring")
    joy = person_on(old, name="Joy Mensah", email="joy.mensah@example.org", phone="0161 496 0999")
    also_on(world.programme, joy)
    return joy


def search(client, text):
    return client.get(reverse("records:find_people"), {"q": text})


# --- Finding people -------------------------------------------------------------------------------------


def test_a_search_matching_two_people_lists_both_to_choose_from(client, world):
    first = InvitationFactory(
        programme=world.programme, invitee__name="Grace Obi", invitee__organisation=world.school
    )
    second = InvitationFactory(
        programme=world.programme,
        invitee__name="Gráce OBI",
        invitee__email="g.obi@example.org",
        invitee__organisation=world.other_school,
    )
    InvitationFactory(programme=world.programme, invitee__name="Joy Mensah")
    client.force_login(world.user("facilitator"))

    response = search(client, "grace obi")

    html = response.content.decode()
    assert response.context["search"].total == 2
    assert [found.invitee.pk for found in response.context["search"].people] == sorted(
        [first.invitee_id, second.invitee_id]
    )
    assert "2 people found" in html and "choose the one who asked" in html
    for invitee_pk in (first.invitee_id, second.invitee_id):
        assert reverse("records:person_pdf", args=[invitee_pk]) in html
        assert reverse("records:person_json", args=[invitee_pk]) in html
    assert "Joy Mensah" not in html


@pytest.mark.parametrize(
    "text",
    ["amira.khan@millbrook-community-partnership.org.uk", "07700 900123", "+44 7700 900123", "0161 496 0000"],
)
def test_people_are_found_by_email_mobile_or_phone_however_it_is_written(client, world, amira, text):
    client.force_login(world.user("facilitator"))

    found = search(client, text).context["search"]

    assert [person.invitee.pk for person in found.people] == [amira.invitee_id]
    assert {programme.title for programme in found.people[0].programmes} == {
        "Better Together last spring",
        world.programme.title,
    }


def test_a_coordinator_finds_only_their_own_schools_people(client, world, amira):
    InvitationFactory(
        programme=world.programme, invitee__name="Amira Begum", invitee__organisation=world.other_school
    )
    client.force_login(world.user("coordinator"))

    found = search(client, "amira").context["search"]

    assert [person.invitee.pk for person in found.people] == [amira.invitee_id]


def test_a_facilitator_finds_only_their_neighbourhoods_people(client, world, amira):
    elsewhere = InvitationFactory(invitee__name="Amira Elsewhere")
    client.force_login(world.user("other_facilitator"))

    assert search(client, "amira").context["search"].total == 0

    client.force_login(world.user("admin"))
    found = {person.invitee.pk for person in search(client, "amira").context["search"].people}
    assert found == {amira.invitee_id, elsewhere.invitee_id}


def test_an_empty_search_lists_nobody_and_nonsense_finds_nobody(client, world, amira):
    client.force_login(world.user("facilitator"))

    assert search(client, "   ").context["search"].people == []
    response = search(client, "zzqx")
    assert response.context["search"].total == 0
    assert "Nobody you may see matches" in response.content.decode()


def test_an_artist_may_not_search(client, world):
    client.force_login(world.user("artist"))

    assert search(client, "amira").status_code == 403


def test_a_search_lists_at_most_fifty_and_says_how_many_more(world):
    for index in range(55):
        InviteeFactory(neighbourhood=world.neighbourhood, name=f"Parent Smith {index:02d}")

    found = find_people(user=world.user("facilitator"), text="smith")

    assert len(found.people) == 50 and found.total == 55 and found.more == 5


def test_a_search_costs_the_same_at_300_people_as_at_5(client, world):
    client.force_login(world.user("facilitator"))
    old = held_programme(world, days_ago=40)
    for index in range(5):
        also_on(old, InvitationFactory(programme=world.programme, invitee__name=f"Obi {index}"))
    search(client, "obi")
    with CaptureQueriesContext(connection) as small:
        search(client, "obi")
    for index in range(295):
        InvitationFactory(programme=world.programme, invitee__name=f"Obi Later {index}")
    with CaptureQueriesContext(connection) as large:
        response = search(client, "obi")

    assert response.context["search"].total == 300
    assert len(large) == len(small)


# --- All we hold about them -----------------------------------------------------------------------------


def test_the_export_of_a_person_on_two_programmes_holds_both_and_nobody_else(client, world, amira):
    joy = others(world)
    raw_token = issue_reply_link(invitation=amira)[0].rstrip("/").rsplit("/", 1)[1]
    edit_person(invitation=amira, details={"notes": "Prefers a call after 4pm"}, by=world.user("facilitator"))
    client.force_login(world.user("facilitator"))

    response = client.get(reverse("records:person_json", args=[amira.invitee_id]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert f"better-together-person-{amira.invitee_id}-" in response["Content-Disposition"]
    data = json.loads(response.content)
    text = response.content.decode()
    assert data["person"]["name"] == AMIRA["name"]
    assert data["person"]["email"] == AMIRA["email"]
    assert data["person"]["home_address"] == AMIRA["address"]
    assert data["person"]["notes"] == "Prefers a call after 4pm"
    by_title = {programme["title"]: programme for programme in data["programmes"]}
    assert set(by_title) == {"Better Together last spring", world.programme.title}
    spring, coming = by_title["Better Together last spring"], by_title[world.programme.title]
    assert spring["reply"]["food_needs"] == NEEDS["food_needs"]
    assert spring["reply"]["access_needs"] == NEEDS["access_needs"]
    assert [answer["answer"] for answer in spring["reply"]["answers"]] == ["Coming", "Coming"]
    assert len(spring["came_to"]) == 1
    assert spring["actions_they_lead"][0]["what"] == "A walking bus to school"
    assert len(spring["actions_they_lead"][0]["update_links"]) == 1
    assert coming["reply"] is None
    assert {message["what"] for message in coming["messages"]} >= {"Invitation"}
    assert all(set(message) >= {"what", "way", "state", "planned_for"} for message in coming["messages"])
    assert data["history"][0]["changes"][0]["after"] == "Prefers a call after 4pm"
    assert "without the name" in data["words"]
    # Nobody else, and no key to anything.
    for value in ("Joy Mensah", joy.invitee.email, "0161 496 0999"):
        assert value not in text
    assert raw_token not in text
    assert all(token.token_hash not in text for token in ReplyToken.objects.all())
    assert "a" * 64 not in text


def test_the_pdf_is_readable_and_holds_both_programmes(client, world, amira):
    others(world)
    client.force_login(world.user("coordinator"))

    started = time.perf_counter()
    response = client.get(reverse("records:person_pdf", args=[amira.invitee_id]))
    took = time.perf_counter() - started

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    assert "All we hold about Amira Khan-Rahmanova" in text
    assert "Better Together last spring" in text and world.programme.title in text
    assert AMIRA["email"] in text and "Halal, and no nuts please" in text
    assert "A walking bus to school" in text
    assert "Joy Mensah" not in text
    # Made while the person waits: one person's few pages are quick (measured ~0.3 s here).
    assert took < 10, f"the PDF took {took:.1f}s"


def test_the_person_page_shows_what_we_hold_with_one_click_downloads(client, world, amira):
    client.force_login(world.user("facilitator"))

    response = client.get(reverse("records:person", args=[amira.invitee_id]))

    html = response.content.decode()
    assert "All we hold about Amira Khan-Rahmanova" in html
    assert reverse("records:person_pdf", args=[amira.invitee_id]) in html
    assert reverse("records:person_json", args=[amira.invitee_id]) in html
    assert reverse("records:erase_person", args=[amira.invitee_id]) in html
    assert "Halal, and no nuts please" in html and "Better Together last spring" in html


@pytest.mark.parametrize(
    "name", ["records:person", "records:person_pdf", "records:person_json", "records:erase_person"]
)
@pytest.mark.parametrize("role", ["other_coordinator", "other_facilitator", "artist"])
def test_someone_who_does_not_look_after_the_person_is_refused(client, world, amira, name, role):
    client.force_login(world.user(role))

    response = client.get(reverse(name, args=[amira.invitee_id]))

    assert response.status_code == 403
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_a_coordinator_may_not_export_another_schools_person(client, world):
    other = InvitationFactory(
        programme=world.programme, invitee__name="Zofia Nowak", invitee__organisation=world.other_school
    )
    client.force_login(world.user("coordinator"))

    assert client.get(reverse("records:person_json", args=[other.invitee_id])).status_code == 403
    assert client.get(reverse("records:person_pdf", args=[other.invitee_id])).status_code == 403


def test_an_unknown_person_is_not_found(client, world):
    client.force_login(world.user("admin"))

    assert client.get(reverse("records:person_json", args=[999_999])).status_code == 404


def test_each_download_is_in_the_audit_log_with_who_downloaded_it(client, world, amira):
    client.force_login(world.user("coordinator"))

    client.get(reverse("records:person_json", args=[amira.invitee_id]))
    client.get(reverse("records:person_pdf", args=[amira.invitee_id]))

    entries = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).order_by("pk")
    assert [
        (entry.actor, entry.additional_data["download"], entry.additional_data["detail"]) for entry in entries
    ] == [
        (world.user("coordinator"), audit.Download.SUBJECT_ACCESS, "JSON"),
        (world.user("coordinator"), audit.Download.SUBJECT_ACCESS, "PDF"),
    ]
    assert {entry.object_pk for entry in entries} == {str(amira.invitee_id)}


def test_the_export_costs_the_same_on_four_programmes_as_on_one(world, amira, django_assert_max_num_queries):
    person = amira.invitee
    with CaptureQueriesContext(connection) as two:
        subject_access(invitee=person)
    for index in range(2):
        programme = held_programme(world, days_ago=100 + index, title=f"Earlier {index}")
        answered_invitation = also_on(programme, amira)
        Message.objects.create(
            kind="invitation",
            recipient=answered_invitation,
            channel="email",
            scheduled_for=programme.sessions.first().starts_at,
        )
    with CaptureQueriesContext(connection) as four:
        data = subject_access(invitee=person)

    assert len(data["programmes"]) == 4
    assert len(four) == len(two)
