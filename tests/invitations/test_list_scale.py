"""The invitation list costs the same queries at 60 people as at 5 (issue 17, part 7): the page (only its 50
rows load their messages and answers), filtered and searched, and the CSV (values() and one query for
everyone's messages). bench/scale.py measures the times at 50 and 2,000."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.enums import ProgrammeStatus
from invitations.enums import Answer, Category, Channel, MessageState
from invitations.models import Invitation
from invitations.services import replies
from invitations.services.listing import PAGE_SIZE
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory

BOUNCE = "550 no such user"


def people(world, count: int, *, start: int = 0) -> None:
    """``count`` people of five kinds in turn, so that any five have one of each: a parent by email who
    is coming (and brings someone), a parent by text who is not sure, a teacher by letter with a bounced
    email, a group worker who can't come, a parent who asked for no messages."""
    sessions = list(world.programme.sessions.order_by("order"))
    for number in range(start, start + count):
        kind = number % 5
        invitee = {
            "name": f"Person {number:03}",
            "email": f"person{number}@example.org",
            "category": Category.PARENT,
            "organisation": world.school,
            "channel": Channel.EMAIL,
        }
        if kind == 1:
            invitee.update(email="", mobile=f"+4477009{number:05}", texts_agreed=True, channel=Channel.SMS)
        elif kind == 2:
            invitee.update(
                category=Category.SCHOOL_STAFF,
                staff_role="teacher",
                channel=Channel.LETTER,
                email_failed=BOUNCE,
                fell_back_from=Channel.EMAIL,
            )
        elif kind == 3:
            invitee.update(category=Category.GROUP_WORKER, organisation=world.group)
        invitation = InvitationFactory(
            programme=world.programme, **{f"invitee__{key}": value for key, value in invitee.items()}
        )
        if kind in (0, 1, 3):
            given = {0: Answer.YES, 1: Answer.MAYBE, 3: Answer.NO}[kind]
            replies.save_reply(
                invitation=invitation,
                answers={session.pk: given for session in sessions},
                details={
                    "needs_agreed": True,
                    "food_needs": "Vegan",
                    "extra_places": 1,
                    "childcare_children": 1,
                },
            )
        if kind == 4:
            Invitation.objects.filter(pk=invitation.pk).update(opted_out_at=timezone.now())
    sync_schedule(programme=world.programme)
    invitation = Invitation.objects.filter(programme=world.programme).order_by("pk")[start]
    invitation.messages.filter(state=MessageState.SCHEDULED).update(state=MessageState.FAILED, last_error="x")


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


QUERIES = [
    "",
    "?reply=none",
    "?reply=coming&group=parents&need=food",
    "?problem=any",
    "?problem=no_way",
    "?q=person",
    "?q=07700+9",
    "?channel=sms&language=en",
    "?removed=1",
]


@pytest.fixture
def open_programme(world):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    return world


@pytest.mark.parametrize("role", ["facilitator", "coordinator"])
def test_the_list_page_costs_the_same_at_60_as_at_5(client, open_programme, role):
    world = open_programme
    client.force_login(world.user(role))
    url = reverse("invitations:list", args=[world.programme.pk])
    people(world, 5)
    Invitation.objects.filter(programme=world.programme, invitee__name="Person 004").update(
        removed_at=timezone.now()
    )
    few = {query: queries(client, url + query) for query in QUERIES}

    people(world, 55, start=5)
    Invitation.objects.filter(programme=world.programme, invitee__name="Person 009").update(
        removed_at=timezone.now()
    )
    many = {query: queries(client, url + query) for query in QUERIES}

    assert many == few
    visible = 46 if role == "coordinator" else 58  # their school's people; less the two removed
    assert len(client.get(url).context["invitations"]) == min(visible, PAGE_SIZE)  # a page, not everyone


def test_the_page_loads_only_its_own_rows(client, open_programme):
    world = open_programme
    client.force_login(world.user("facilitator"))
    people(world, 60)

    response = client.get(reverse("invitations:list", args=[world.programme.pk]))

    listed = response.context["invitations"]
    assert len(listed) == PAGE_SIZE and response.context["listed"].matching == 60
    assert all("messages" in invitation._prefetched_objects_cache for invitation in listed)
    assert response.content.decode().count('<th scope="row" class="fw-normal">') == PAGE_SIZE


CSV_QUERIES = ["", "?reply=none", "?problem=any", "?q=person"]


@pytest.mark.parametrize("role", ["facilitator", "coordinator"])
def test_the_csv_costs_the_same_at_60_as_at_5(client, open_programme, role):
    world = open_programme
    client.force_login(world.user(role))
    url = reverse("invitations:list_csv", args=[world.programme.pk])
    people(world, 5)
    few = {query: queries(client, url + query) for query in CSV_QUERIES}

    people(world, 55, start=5)
    many = {query: queries(client, url + query) for query in CSV_QUERIES}

    assert many == few
    rows = client.get(url).content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 1 + (60 if role == "facilitator" else 48)  # everyone they see, not a page


def test_the_csv_makes_no_model_instances_of_the_people(client, open_programme, monkeypatch):
    """values() rows, not Invitation or Invitee instances (one each is made only for a row with a mark,
    for invitation_tags.not_working): the CSV's speed depends on it (bench/scale.py)."""
    from invitations.models import Invitee

    world = open_programme
    client.force_login(world.user("facilitator"))
    people(world, 20)
    made = []
    original = Invitee.from_db

    def counting(cls, db, field_names, values):
        made.append(values)
        return original.__func__(cls, db, field_names, values)

    monkeypatch.setattr(Invitee, "from_db", classmethod(counting))

    response = client.get(reverse("invitations:list_csv", args=[world.programme.pk]))

    assert response.status_code == 200 and len(response.content.decode("utf-8-sig").splitlines()) == 21
    assert made == []
