"""Likely duplicates on a programme's list (services.duplicates): the same email, the same mobile, or the
same name at the same organisation, accents and case aside; a school coordinator sees only pairs of
their own school's people; the list's link and the page cost the same queries at 60 people as at 5."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from invitations.services.duplicates import likely_duplicates, people_in_pairs
from tests.factories import InvitationFactory, ProgrammeFactory


def person(world, name, organisation=None, **details):
    return InvitationFactory(
        programme=world.programme, invitee__name=name, invitee__organisation=organisation, **details
    )


def pairs_of(world, role="facilitator"):
    return {
        (pair.first.name, pair.second.name): pair.reasons
        for pair in likely_duplicates(programme=world.programme, user=world.user(role))
    }


def test_the_same_name_is_found_as_the_one_rule_reads_it(world):
    """invitations.names.fold: "Łukasz Ødegård" is "lukasz odegard" (the stroke letters folded too),
    "GRÁCE OBI" is "Grace Obi"."""
    person(world, "Łukasz Ødegård", world.school)
    person(world, "lukasz odegard", world.school)
    person(world, "GRÁCE OBI", world.school)
    person(world, "Grace Obi", world.school)
    person(world, "Grace Obi", world.group)  # another organisation: not the same person by name

    assert pairs_of(world) == {
        ("GRÁCE OBI", "Grace Obi"): ("name",),
        ("Łukasz Ødegård", "lukasz odegard"): ("name",),
    }


def test_the_same_mobile_is_a_likely_pair(world):
    person(world, "Grace Obi", world.school, invitee__mobile="+447700900123")
    person(world, "G. Obi", world.group, invitee__mobile="+447700900123")

    assert pairs_of(world) == {("Grace Obi", "G. Obi"): ("mobile",)}


def test_the_same_name_at_the_same_organisation_accents_and_case_aside(world):
    person(world, "Grace  OBI", world.school)
    person(world, "gráce obi", world.school)

    assert pairs_of(world) == {("Grace  OBI", "gráce obi"): ("name",)}


def test_the_same_email_is_a_likely_pair(world):
    """The database keeps one address per neighbourhood, case aside; an address stored with a space
    (from before addresses were cleaned) slips past it, and this rule catches it."""
    person(world, "Grace Obi", world.school, invitee__email="grace.obi@example.org")
    person(world, "Mrs Obi", world.group, invitee__email=" Grace.Obi@Example.org")

    assert pairs_of(world) == {("Grace Obi", "Mrs Obi"): ("email",)}


def test_every_reason_is_given_once(world):
    person(world, "Grace Obi", world.school, invitee__mobile="+447700900123")
    person(world, "GRACE OBI", world.school, invitee__mobile="+447700900123")

    assert pairs_of(world) == {("Grace Obi", "GRACE OBI"): ("mobile", "name")}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"name": "Grace Obi", "organisation": "school"}, {"name": "Grace Obi", "organisation": "group"}),
        ({"name": "Grace Obi", "organisation": "school"}, {"name": "Grace Obiora", "organisation": "school"}),
        ({"name": "Grace Obi", "organisation": None}, {"name": "Grace Obi", "organisation": "school"}),
        (
            {"name": "Grace Obi", "organisation": "school", "invitee__mobile": "+447700900123"},
            {"name": "Ben Obi", "organisation": "school", "invitee__mobile": "+447700900124"},
        ),
    ],
    ids=["same name, other organisation", "another name", "one without an organisation", "other mobiles"],
)
def test_different_people_are_not_paired(world, first, second):
    for details in (first, second):
        details = dict(details)
        organisation = details.pop("organisation")
        person(world, details.pop("name"), getattr(world, organisation) if organisation else None, **details)

    assert pairs_of(world) == {}


def test_a_mobile_shared_by_many_is_a_shared_one_not_duplicates(world):
    """A school office's number given for seven parents: not seven people entered twice."""
    for number in range(7):
        person(world, f"Parent {number}", world.school, invitee__mobile="+447700900999")

    assert pairs_of(world) == {}


def test_someone_removed_from_the_list_is_not_paired(world):
    person(world, "Grace Obi", world.school)
    removed = person(world, "Grace Obi", world.school)
    type(removed).objects.filter(pk=removed.pk).update(removed_at=timezone.now())

    assert pairs_of(world) == {}


def test_a_coordinator_sees_only_pairs_of_their_own_schools_people(world):
    person(world, "Grace Obi", world.school)
    person(world, "Grace OBI", world.school)
    # The same mobile, one at the coordinator's school and one at a group: the facilitator's to look at.
    person(world, "Ben Ade", world.school, invitee__mobile="+447700900123")
    person(world, "B. Ade", world.group, invitee__mobile="+447700900123")

    assert set(pairs_of(world)) == {("Grace Obi", "Grace OBI"), ("Ben Ade", "B. Ade")}
    assert set(pairs_of(world, "coordinator")) == {("Grace Obi", "Grace OBI")}


def test_people_on_another_programme_are_not_paired_with_this_list(world):
    person(world, "Grace Obi", world.school)
    elsewhere = ProgrammeFactory(neighbourhood=world.neighbourhood)
    InvitationFactory(programme=elsewhere, invitee__name="Grace Obi", invitee__organisation=world.school)

    assert pairs_of(world) == {}


def test_how_many_people_the_pairs_are_about(world):
    person(world, "Grace Obi", world.school)
    person(world, "Grace OBI", world.school)
    person(world, "grace obi", world.school)

    pairs = likely_duplicates(programme=world.programme, user=world.user("facilitator"))

    assert len(pairs) == 3
    assert people_in_pairs(pairs) == 3


# --- The page and the list's link -----------------------------------------------------------------------


def test_the_page_shows_each_pair_with_why_and_a_link_to_compare(client, world):
    first = person(world, "Grace Obi", world.school, invitee__mobile="+447700900123")
    second = person(world, "Gráce Obi", world.school, invitee__mobile="+447700900123")
    client.force_login(world.user("facilitator"))

    page = client.get(reverse("invitations:duplicates", args=[world.programme.pk])).content.decode()

    assert "Grace Obi and Gráce Obi" in page
    assert "the same mobile number, the same name at the same organisation" in page
    assert "07700 900123" in page
    assert reverse("invitations:merge", args=[world.programme.pk, first.pk, second.pk]) in page


def test_the_page_says_when_nobody_looks_alike(client, world):
    person(world, "Grace Obi", world.school)
    client.force_login(world.user("facilitator"))

    page = client.get(reverse("invitations:duplicates", args=[world.programme.pk])).content.decode()

    assert "Nobody on the list looks like someone else on it." in page


def test_the_coordinators_page_leaves_out_other_peoples_pairs(client, world):
    person(world, "Ben Ade", world.school, invitee__mobile="+447700900123")
    person(world, "B. Ade", world.group, invitee__mobile="+447700900123")
    client.force_login(world.user("coordinator"))

    page = client.get(reverse("invitations:duplicates", args=[world.programme.pk])).content.decode()

    assert "Ben Ade" not in page
    assert "Nobody on the list looks like someone else on it." in page


def test_the_list_links_to_the_duplicates_only_when_there_are_some(client, world):
    client.force_login(world.user("facilitator"))
    list_url = reverse("invitations:list", args=[world.programme.pk])
    person(world, "Grace Obi", world.school)

    assert "may be on the list twice" not in client.get(list_url).content.decode()

    person(world, "GRACE OBI", world.school)
    page = client.get(list_url).content.decode()

    assert "2 people may be on the list twice — compare them" in page
    assert reverse("invitations:duplicates", args=[world.programme.pk]) in page


def fill(world, people: int) -> None:
    """``people`` on the list, every fifth of them entered twice."""
    for number in range(people):
        name = f"Parent {number // 2 if number % 5 == 0 else number}"
        person(world, name, world.school, invitee__mobile=f"+4477009{number:05d}")


@pytest.mark.parametrize("role", ["facilitator", "coordinator"])
def test_finding_duplicates_costs_the_same_queries_at_60_people_as_at_5(world, role):
    user = world.user(role)
    fill(world, 5)
    with CaptureQueriesContext(connection) as few:
        likely_duplicates(programme=world.programme, user=user)
    fill(world, 55)
    with CaptureQueriesContext(connection) as many:
        found = likely_duplicates(programme=world.programme, user=user)

    assert found
    assert len(many) == len(few) <= 3


@pytest.mark.parametrize("name", ["invitations:duplicates", "invitations:list"])
def test_the_pages_cost_the_same_queries_at_60_people_as_at_5(client, world, name):
    client.force_login(world.user("facilitator"))
    url = reverse(name, args=[world.programme.pk])
    fill(world, 5)
    client.get(url)  # content types and the like, cached once
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    fill(world, 55)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200

    assert len(many) == len(few)
