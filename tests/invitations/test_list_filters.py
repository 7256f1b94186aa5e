"""The invitation list's search, filters and pages (services.listing, the list page and its CSV), and the
"Who is coming" page's numbers leading to the names behind them (issue 17, part 7).

Each filter is checked to find exactly the right people and nobody else, against one crowd that has a
bit of everything; bad input (another school's id, a session of another programme, nonsense, a page
past the end) is checked to be left out cleanly, never a 500.
"""

import csv
import io
import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from core.enums import Delivery
from core.models import Message
from events.enums import ProgrammeStatus
from events.services import cancel_session
from invitations.enums import Answer, Category, Channel, MessageKind, MessageState, StaffRole
from invitations.models import Invitation, Reply, SessionAnswer
from invitations.services import listing, replies
from invitations.services.listing import Filters
from invitations.services.schedule import new_message, sync_schedule
from tests.factories import InvitationFactory, ProgrammeFactory, SessionFactory

BOUNCE = "550 5.1.1 no such user"


def invite(world, name, *, organisation=None, category=Category.PARENT, **invitee) -> Invitation:
    invitee.setdefault("email", f"{name.split()[0].lower()}@example.org")
    return InvitationFactory(
        programme=world.programme,
        invitee__name=name,
        invitee__category=category,
        invitee__organisation=organisation,
        invitee__staff_role=StaffRole.TEACHER if category == Category.SCHOOL_STAFF else "",
        **{f"invitee__{key}": value for key, value in invitee.items()},
    )


def sessions(world):
    return list(world.programme.sessions.order_by("order"))


def answer(invitation, answers: dict, **details) -> Reply:
    return replies.save_reply(
        invitation=invitation, answers=answers, details={"needs_agreed": True, **details}
    )


def message(invitation, **fields) -> Message:
    row = new_message(
        invitation_id=invitation.pk,
        kind=MessageKind.INVITATION,
        channel=Channel.EMAIL,
        scheduled_for=timezone.now() - timedelta(days=1),
        version=90,  # not one the schedule makes
    )
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    return row


@pytest.fixture
def crowd(world):
    """Everyone the filters tell apart, by first name."""
    world.programme.schools.add(world.other_school)
    s1, s2, s3, s4 = sessions(world)
    people = {
        "amira": invite(world, "Amira Khan", organisation=world.school),
        "ben": invite(
            world,
            "Ben Lowe",
            organisation=world.school,
            email_failed=BOUNCE,
            channel=Channel.LETTER,
            fell_back_from=Channel.EMAIL,
        ),
        "chidi": invite(
            world,
            "Chidi Okafor",
            organisation=world.other_school,
            email="",
            mobile="+447700900123",
            texts_agreed=True,
            channel=Channel.SMS,
        ),
        "dana": invite(
            world,
            "Dana Price",
            organisation=world.school,
            category=Category.SCHOOL_STAFF,
            email="",
            channel=Channel.LETTER,
            language="pl",
            interpreter=True,
        ),
        "erin": invite(
            world,
            "Erin Walsh",
            organisation=world.group,
            category=Category.GROUP_WORKER,
            phone="0161 496 0000",
        ),
        "zoe": invite(world, "Zoë Ødegård", organisation=world.school, email="zoe.o@example.org"),
        "fred": invite(world, "Fred Stopped", organisation=world.school),
        "gail": invite(world, "Gail Gone", organisation=world.school),
        "hal": invite(
            world,
            "Hal Nobody",
            category=Category.COMMUNITY,
            email="hal@example.org",
            email_failed=BOUNCE,
            mobile="+447700900999",
            texts_agreed=True,
            mobile_failed="Not a working number",
        ),
    }
    answer(
        people["amira"],
        {s1.pk: Answer.YES, s2.pk: Answer.NO, s3.pk: Answer.NO, s4.pk: Answer.NO},
        food_needs="Halal",
        extra_places=2,
    )
    answer(
        people["chidi"],
        {s.pk: Answer.MAYBE for s in (s1, s2, s3, s4)},
        childcare_children=2,
        childcare_ages="3, 5",
    )
    answer(
        people["erin"],
        {s.pk: Answer.NO for s in (s1, s2, s3, s4)},
        access_needs="Step-free, please",
        transport_help=True,
    )
    answer(people["zoe"], {s.pk: Answer.NO for s in (s1, s2, s3, s4)}, interpreter_language="Polish")
    # Zoë had said "Coming" to the first session, which moved: not sure again (services.changes).
    SessionAnswer.objects.filter(reply__invitation=people["zoe"], session=s1).update(answer=Answer.CHANGED)
    answer(people["gail"], {s.pk: Answer.YES for s in (s1, s2, s3, s4)})
    Invitation.objects.filter(pk=people["fred"].pk).update(opted_out_at=timezone.now())
    Invitation.objects.filter(pk=people["gail"].pk).update(removed_at=timezone.now())
    message(people["erin"], state=MessageState.FAILED, last_error="421 try later, then gave up")
    message(
        people["amira"], state=MessageState.SENT, sent_at=timezone.now(), delivery=Delivery.PERMANENT_FAILURE
    )
    message(people["fred"], state=MessageState.SENT, sent_at=timezone.now(), delivery=Delivery.DELIVERED)
    return people


def found(world, role="facilitator", **filters) -> list[str]:
    """The first names of whom the list finds, in its order."""
    invitations = listing.matching(
        programme=world.programme, user=world.user(role), filters=Filters(**filters)
    )
    return [invitation.invitee.name.split()[0] for invitation in invitations.select_related("invitee")]


def first_names(*names) -> list[str]:
    return sorted(names)


# --- Who is on the list ---------------------------------------------------------------------------------

EVERYONE = ["Amira", "Ben", "Chidi", "Dana", "Erin", "Fred", "Hal", "Zoë"]


def test_the_list_is_everyone_but_those_removed_in_name_order(world, crowd):
    assert found(world) == EVERYONE


def test_removed_people_are_only_under_their_filter(world, crowd):
    assert found(world, removed=True) == ["Gail"]
    assert found(world, removed=True, reply="coming") == ["Gail"]
    assert found(world, removed=True, group="school_staff") == []


# --- Replies ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("coming", ["Amira"]),  # Gail said yes to everything, but was removed from the list
        ("maybe", ["Chidi"]),
        ("changed", ["Zoë"]),
        ("cant", ["Erin"]),
        ("none", ["Ben", "Dana", "Hal"]),  # not Fred: he asked for no messages and never replied
        ("replied", ["Amira", "Chidi", "Erin", "Zoë"]),
        ("invited", ["Amira", "Ben", "Chidi", "Dana", "Erin", "Hal", "Zoë"]),
    ],
)
def test_each_reply_finds_exactly_its_people(world, crowd, reply, expected):
    assert found(world, reply=reply) == expected


def test_the_reply_choices_divide_the_list_with_nobody_twice(world, crowd):
    parts = [found(world, reply=reply) for reply in ("coming", "maybe", "changed", "cant", "none")]
    everyone = [name for part in parts for name in part]

    assert sorted(everyone) == sorted(set(everyone))
    assert sorted(everyone) == sorted(name for name in EVERYONE if name != "Fred")


def test_coming_to_one_session_is_coming_even_if_unsure_or_not_for_others(world, crowd):
    s1, s2, *_ = sessions(world)
    answer(crowd["chidi"], {s1.pk: Answer.NO, s2.pk: Answer.YES})

    assert found(world, reply="coming") == ["Amira", "Chidi"]
    assert "Chidi" not in found(world, reply="maybe")


def test_a_cancelled_session_does_not_count(world, crowd):
    s1, *_ = sessions(world)
    cancel_session(session=s1)  # Amira's only "Coming", and Zoë's only "date changed"

    assert found(world, reply="coming") == []
    assert found(world, reply="changed") == []
    assert found(world, reply="cant") == ["Amira", "Erin", "Zoë"]
    assert found(world, reply="none", session=s1.pk) == []  # not a session of the list's any more


@pytest.mark.parametrize(
    ("session_order", "reply", "expected"),
    [
        (1, "coming", ["Amira"]),
        (1, "maybe", ["Chidi"]),
        (1, "changed", ["Zoë"]),
        (1, "cant", ["Erin"]),
        (1, "none", ["Ben", "Dana", "Hal"]),
        (1, "replied", ["Amira", "Chidi", "Erin", "Zoë"]),
        (2, "coming", []),
        (2, "cant", ["Amira", "Erin", "Zoë"]),
        (2, "changed", []),
    ],
)
def test_the_reply_for_one_session(world, crowd, session_order, reply, expected):
    session = world.programme.sessions.get(order=session_order)

    assert found(world, reply=reply, session=session.pk) == expected


def test_no_reply_for_a_session_includes_those_who_replied_without_answering_it(world, crowd):
    s1, s2, *_ = sessions(world)
    SessionAnswer.objects.filter(reply__invitation=crowd["erin"], session=s2).delete()

    assert found(world, reply="none", session=s2.pk) == ["Ben", "Dana", "Erin", "Hal"]
    assert found(world, reply="none", session=s1.pk) == ["Ben", "Dana", "Hal"]


def test_a_session_of_another_programme_matches_nobody(world, crowd):
    elsewhere = SessionFactory(programme=ProgrammeFactory(neighbourhood=world.neighbourhood))

    assert found(world, reply="coming", session=elsewhere.pk) == []
    assert found(world, reply="none", session=elsewhere.pk) == []


# --- Delivery problems, needs, and the rest ----------------------------------------------------------


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        ("email", ["Ben", "Hal"]),
        ("mobile", ["Hal"]),
        ("failed", ["Erin"]),
        ("undelivered", ["Amira"]),
        # Hal: his email and his mobile both marked. Ben is reached by letter through his school now.
        ("no_way", ["Hal"]),
        ("any", ["Amira", "Ben", "Erin", "Hal"]),
    ],
)
def test_each_delivery_problem_finds_exactly_its_people(world, crowd, problem, expected):
    assert found(world, problem=problem) == expected


def test_no_way_left_is_what_the_person_s_ways_say(world, crowd):
    # A letter needs a school: someone at a group, by letter, has no way (Invitee.channels).
    stray = invite(world, "Ivy Lettered", organisation=world.group, email="", channel=Channel.LETTER)

    assert found(world, problem="no_way") == ["Hal", "Ivy"]
    assert stray.invitee.channels == []


@pytest.mark.parametrize(
    ("need", "expected"),
    [
        ("creche", ["Chidi"]),
        ("food", ["Amira"]),
        ("access", ["Erin"]),
        ("interpreter", ["Dana", "Zoë"]),  # Dana is marked as needing one; Zoë asked in her reply
        ("transport", ["Erin"]),
        ("any", ["Amira", "Chidi", "Dana", "Erin", "Zoë"]),
    ],
)
def test_each_need_finds_exactly_its_people(world, crowd, need, expected):
    assert found(world, need=need) == expected


def test_a_need_of_blank_spaces_is_no_need(world, crowd):
    Reply.objects.filter(invitation=crowd["erin"]).update(food_needs="   ")

    assert found(world, need="food") == ["Amira"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"group": "parents"}, ["Amira", "Ben", "Chidi", "Fred", "Zoë"]),
        ({"group": "school_staff"}, ["Dana"]),
        ({"group": "groups"}, ["Erin", "Hal"]),  # a group worker, and a neighbour
        ({"channel": Channel.SMS}, ["Chidi"]),
        ({"channel": Channel.LETTER}, ["Ben", "Dana"]),
        ({"language": "pl"}, ["Dana"]),
        ({"group": "parents", "reply": "none"}, ["Ben"]),
        ({"group": "parents", "need": "creche", "reply": "maybe"}, ["Chidi"]),
    ],
)
def test_group_channel_language_and_combinations(world, crowd, filters, expected):
    assert found(world, **filters) == expected


def test_school_filter(world, crowd):
    assert found(world, organisation=world.other_school.pk) == ["Chidi"]
    assert found(world, organisation=world.group.pk) == ["Erin"]


def test_a_coordinator_filtering_by_another_school_finds_nobody(world, crowd):
    # The service holds even if a form let it through: the coordinator's list is their school's.
    assert found(world, "coordinator") == ["Amira", "Ben", "Dana", "Fred", "Zoë"]
    assert found(world, "coordinator", organisation=world.other_school.pk) == []
    assert found(world, "coordinator", removed=True) == ["Gail"]


# --- Search ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("amira", ["Amira"]),
        ("KHAN", ["Amira"]),
        ("khan amira", ["Amira"]),  # words in any order
        ("zoe odegard", ["Zoë"]),  # accents aside
        ("ØDEGÅRD", ["Zoë"]),
        ("Zoë", ["Zoë"]),
        ("zoe.o@", ["Zoë"]),  # the email
        ("@example.org", ["Amira", "Ben", "Erin", "Fred", "Hal", "Zoë"]),
        ("07700 900123", ["Chidi"]),  # the mobile as people write it
        ("+44 7700 900123", ["Chidi"]),
        ("447700900123", ["Chidi"]),
        ("0044 (0)7700-900-123", ["Chidi"]),
        ("900123", ["Chidi"]),  # part of it
        ("07700 900", ["Chidi", "Hal"]),
        ("0161 496 0000", ["Erin"]),  # the phone
        ("01614960000", ["Erin"]),
        ("496 0000", ["Erin"]),
        ("07700 900124", []),
        ("khan walsh", []),  # every word must match the same person
        ("nobody here", []),
        ("%", []),  # no wildcard
        ("_", []),
        ("'; DROP TABLE invitations_invitee; --", []),
        ("12", []),  # too few digits to be a number, and no name has them
    ],
)
def test_search(world, crowd, search, expected):
    assert found(world, search=search) == expected


def test_search_finds_a_name_by_the_one_rule_for_names(world):
    """invitations.names.fold: "lukasz odegard" finds "Łukasz Ødegård" (and the other way round),
    "GRÁCE OBI" finds "Grace Obi"."""
    invite(world, "Łukasz Ødegård", organisation=world.school, email="l.o@example.org")
    invite(world, "lukasz odegard", organisation=world.school, email="lo2@example.org")
    invite(world, "Grace Obi", organisation=world.school)

    assert found(world, search="lukasz odegard") == ["lukasz", "Łukasz"]
    assert found(world, search="ŁUKASZ ØDEGÅRD") == ["lukasz", "Łukasz"]
    assert found(world, search="GRÁCE OBI") == ["Grace"]


def test_search_goes_with_the_filters(world, crowd):
    assert found(world, search="example.org", reply="none") == ["Ben", "Hal"]
    assert found(world, search="gail") == []  # removed: not on the list
    assert found(world, search="gail", removed=True) == ["Gail"]


@pytest.mark.parametrize(
    ("written", "digits"),
    [
        ("07700 900123", "7700900123"),
        ("+447700900123", "7700900123"),
        ("+44 (0)7700 900123", "7700900123"),
        ("0044 7700 900123", "7700900123"),
        ("(0161) 496-0000", "1614960000"),
        ("", ""),
    ],
)
def test_phone_digits(written, digits):
    assert listing.phone_digits(written) == digits


def test_fold():
    assert (
        listing.fold("Zoë ØDEGÅRD, Łukasz Đorđević, Straße, Æsa")
        == "zoe odegard, lukasz dordevic, strasse, aesa"
    )


# --- Through the page: the form, bad input, pages, counts ---------------------------------------------


@pytest.fixture
def facilitator(client, world):
    client.force_login(world.user("facilitator"))
    return client


def list_url(world) -> str:
    return reverse("invitations:list", args=[world.programme.pk])


def listed(client, world, query: str = "") -> tuple[list[str], str]:
    """The names on the page the list answers ``query`` with, and its HTML."""
    response = client.get(f"{list_url(world)}{'?' + query if query else ''}")
    assert response.status_code == 200
    html = response.content.decode()
    names = [unescape(name) for name in re.findall(r'<th scope="row" class="fw-normal">([^<\n]+)', html)]
    return [name.strip() for name in names], html


def test_the_page_searches_and_filters_by_get(facilitator, world, crowd):
    names, html = listed(facilitator, world, "q=07700+900123")
    assert names == ["Chidi Okafor"]
    assert "Showing 1–1 of 1 matching" in html
    assert 'value="07700 900123"' in html  # the search stays in the form

    names, html = listed(facilitator, world, "group=parents&reply=none")
    assert names == ["Ben Lowe"]
    assert '<option value="none" selected>' in html and '<option value="parents" selected>' in html


@pytest.mark.parametrize(
    "query",
    [
        "school=abc",
        "school=999999",
        "session=-1",
        "session=abc",
        "reply=everyone",
        "problem=%00",
        "need=1&need=2",
        "group=<script>",
        "language=xx",
        "channel=pigeon",
        "q=" + "a" * 101,
        "page=abc",
        "page=-1",
        "page=99999999999999999999",
        "removed=maybe",
    ],
)
def test_nonsense_is_left_out_never_a_500(facilitator, world, crowd, query):
    names, html = listed(facilitator, world, query)  # a 200, never an error page

    assert names  # everyone, or (removed=maybe is a yes) Gail
    assert "<script>" not in html  # what was typed is escaped where it is shown


def test_a_value_not_offered_is_said_beside_its_field_and_not_used(facilitator, world, crowd):
    names, html = listed(facilitator, world, "school=999999&reply=none")

    assert names == ["Ben Lowe", "Dana Price", "Hal Nobody"]  # the reply filter still applies
    assert "Not used: Select a valid choice." in html


def test_a_coordinator_forging_another_schools_id_sees_only_their_own(client, world, crowd):
    client.force_login(world.user("coordinator"))

    names, html = listed(client, world, f"school={world.other_school.pk}")

    assert names == ["Amira Khan", "Ben Lowe", "Dana Price", "Fred Stopped", "Zoë Ødegård"]
    assert "Not used: Select a valid choice." in html
    assert "Chidi Okafor" not in html and world.other_school.name not in html.split('id="list-filters"')[1]


def test_a_forged_session_is_refused_beside_its_field(facilitator, world, crowd):
    elsewhere = SessionFactory(programme=ProgrammeFactory(neighbourhood=world.neighbourhood))

    names, html = listed(facilitator, world, f"reply=coming&session={elsewhere.pk}")

    assert names == ["Amira Khan"]  # the whole programme's "coming"
    assert "Not used: Select a valid choice." in html


def many(world, count: int, **invitee):
    for number in range(count):
        invite(
            world,
            f"Person {number:03}",
            organisation=world.school,
            email=f"person{number}@example.org",
            **invitee,
        )


def test_pages_of_fifty_with_the_count_of_everyone(facilitator, world):
    many(world, 120)

    names, html = listed(facilitator, world)
    assert names == [f"Person {number:03}" for number in range(50)]
    assert "Showing 1–50 of 120" in html and "Everyone invited (120 people)" in html
    assert "Page 1 of 3" in html

    names, html = listed(facilitator, world, "page=2")
    assert names == [f"Person {number:03}" for number in range(50, 100)]
    assert "Showing 51–100 of 120" in html and "Everyone invited (120 people)" in html

    names, _html = listed(facilitator, world, "page=3")
    assert names == [f"Person {number:03}" for number in range(100, 120)]


@pytest.mark.parametrize(("page", "first"), [("4", 100), ("1000", 100), ("abc", 0), ("", 0), ("0", 100)])
def test_a_page_past_the_end_is_the_last_and_nonsense_the_first(facilitator, world, page, first):
    many(world, 120)

    names, _html = listed(facilitator, world, f"page={page}")

    assert names[0] == f"Person {first:03}"


def test_the_page_links_carry_the_filters(facilitator, world):
    many(world, 70)
    many_more = Invitation.objects.filter(programme=world.programme).order_by("pk")[:5]
    Invitation.objects.filter(pk__in=[invitation.pk for invitation in many_more]).update(
        opted_out_at=timezone.now()
    )

    _names, html = listed(facilitator, world, "q=person&reply=none")

    assert "Showing 1–50 of 65 matching" in html
    assert 'href="?q=person&amp;reply=none&amp;page=2#people-heading"' in html
    csv_url = reverse("invitations:list_csv", args=[world.programme.pk])
    assert f'href="{csv_url}?q=person&amp;reply=none"' in html
    names, html = listed(facilitator, world, "q=person&reply=none&page=2")
    assert len(names) == 15 and "Showing 51–65 of 65 matching" in html
    assert 'href="?q=person&amp;reply=none&amp;page=1#people-heading"' in html


def test_the_counts_are_of_the_whole_list_not_the_page(facilitator, world, crowd):
    many(world, 60)

    _names, html = listed(facilitator, world, "reply=coming")

    # Whole list: Amira coming, Chidi unsure, Zoë unsure (date changed), Erin can't; Ben, Dana, Hal and
    # the 60 waiting; Fred asked for no messages; Gail removed.
    assert "Everyone invited (68 people)" in html
    for words in [
        "Coming: 1<",
        "Not sure yet: 1<",
        "Not sure yet (date changed): 1<",
        "Can&#x27;t come: 1<",
        "No reply yet: 63<",
        "1 asked not to be contacted",
        "1 removed from the list",
    ]:
        assert words in html, words
    # The matching people, and the places they bring, as the Who is coming page counts them.
    assert "Showing 1–1 of 1 matching, bringing 2 more people" in html


def test_a_coordinators_counts_are_of_their_school(client, world, crowd):
    client.force_login(world.user("coordinator"))

    _names, html = listed(client, world)

    # Their school: Amira (coming), Ben and Dana (no reply), Fred (asked for no messages), Zoë (date
    # changed); Gail removed. Not Chidi (another school), Erin (a group) or Hal (nowhere).
    assert "People from your school (5)" in html
    assert "Coming: 1<" in html and "No reply yet: 2<" in html and "Not sure yet: 0<" in html
    assert "1 removed from the list" in html


def test_removed_people_are_shown_only_under_their_filter_with_a_note(facilitator, world, crowd):
    names, html = listed(facilitator, world)
    assert "Gail Gone" not in names

    names, html = listed(facilitator, world, "removed=1")
    assert names == ["Gail Gone"]
    assert "Removed from the list" in html and 'id="removed-note"' in html


def test_nobody_matching_says_so(facilitator, world, crowd):
    names, html = listed(facilitator, world, "q=nobody+at+all")

    assert names == [] and "Nobody matches this search." in html


def test_the_failed_messages_lead_to_their_people(facilitator, world, crowd):
    _names, html = listed(facilitator, world)

    assert "1 message could not be sent" in html and "Erin Walsh, Invitation: failed: 421 try later" in html
    assert 'href="?problem=failed#people-heading"' in html
    names, _html = listed(facilitator, world, "problem=failed")
    assert names == ["Erin Walsh"]


def test_the_form_has_a_label_for_every_field(facilitator, world, crowd):
    _names, html = listed(facilitator, world)
    form = html.split('id="list-filters"', 1)[1].split("</form>", 1)[0]

    for name in [
        "q",
        "school",
        "group",
        "channel",
        "reply",
        "session",
        "problem",
        "language",
        "need",
        "removed",
    ]:
        assert f'name="{name}"' in form
        assert f'for="id_{name}"' in form
    assert 'method="post"' not in form and "csrfmiddlewaretoken" not in form  # a GET form
    assert " style=" not in html  # the strict content security policy allows no inline styles


# --- The CSV ---------------------------------------------------------------------------------------------


def csv_download(client, world, query: str = "") -> list[dict]:
    response = client.get(
        reverse("invitations:list_csv", args=[world.programme.pk]) + (f"?{query}" if query else "")
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_takes_the_same_filters(facilitator, world, crowd):
    assert [row["name"] for row in csv_download(facilitator, world)] == [
        "Amira Khan",
        "Ben Lowe",
        "Chidi Okafor",
        "Dana Price",
        "Erin Walsh",
        "Fred Stopped",
        "Hal Nobody",
        "Zoë Ødegård",
    ]
    assert [row["name"] for row in csv_download(facilitator, world, "reply=none")] == [
        "Ben Lowe",
        "Dana Price",
        "Hal Nobody",
    ]
    assert [row["name"] for row in csv_download(facilitator, world, "q=07700+900123")] == ["Chidi Okafor"]
    assert [row["name"] for row in csv_download(facilitator, world, "removed=1")] == ["Gail Gone"]
    assert [row["name"] for row in csv_download(facilitator, world, "school=nonsense&need=creche")] == [
        "Chidi Okafor"
    ]


def test_the_csv_says_what_the_list_says_of_each_person(facilitator, world, crowd):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    rows = {row["name"]: row for row in csv_download(facilitator, world)}

    assert rows["Ben Lowe"]["channel"] == "Letter through school"
    assert (
        rows["Ben Lowe"]["not working"]
        == f"Email not working — {BOUNCE}; now by letter through {world.school.name}"
    )
    assert rows["Hal Nobody"]["not working"] == (
        f"Email not working — {BOUNCE}; Mobile number not working — Not a working number; "
        "no way to reach them until this is fixed"
    )
    assert rows["Amira Khan"]["not working"] == ""
    assert rows["Chidi Okafor"]["mobile"] == "07700 900123" and rows["Chidi Okafor"]["texts agreed"] == "yes"
    assert rows["Dana Price"]["category"] == "School staff" and rows["Dana Price"]["role"] == "Teacher"
    assert rows["Dana Price"]["language"] == "Polish" and rows["Dana Price"]["interpreter"] == "yes"
    assert rows["Fred Stopped"]["asked not to be contacted"] == "yes"
    assert rows["Erin Walsh"]["messages"].startswith("Invitation: failed: 421 try later, then gave up; ")
    assert rows["Fred Stopped"]["messages"].startswith("Invitation: sent ")


def test_the_csv_messages_column_is_the_lists_words_for_a_whole_schedule(facilitator, world, crowd):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    sync_schedule(programme=world.programme)
    _names, html = listed(facilitator, world, "q=dana")
    rows = {row["name"]: row for row in csv_download(facilitator, world)}

    said = re.findall(
        r'<span class="fw-semibold">([^<]+):</span> ([^<]+)</li>', html.split('id="invitations"')[1]
    )
    assert said and rows["Dana Price"]["messages"] == "; ".join(f"{kind}: {state}" for kind, state in said)
    assert "Session reminder (" in rows["Dana Price"]["messages"]


def test_a_coordinators_csv_is_their_schools_whatever_the_filters_say(client, world, crowd):
    client.force_login(world.user("coordinator"))

    assert [row["name"] for row in csv_download(client, world, f"school={world.other_school.pk}")] == [
        "Amira Khan",
        "Ben Lowe",
        "Dana Price",
        "Fred Stopped",
        "Zoë Ødegård",
    ]
    assert [row["name"] for row in csv_download(client, world, "q=chidi")] == []


def test_the_csv_never_writes_a_formula_even_when_filtered(facilitator, world):
    invite(
        world, '=HYPERLINK("http://evil.example/","x")', organisation=world.school, email="evil@example.org"
    )

    rows = csv_download(facilitator, world, "q=hyperlink")

    assert [row["name"] for row in rows] == ['\'=HYPERLINK("http://evil.example/","x")']


# --- Who is coming: each number leads to the names behind it -----------------------------------------

LINK = re.compile(
    r'<a href="(/programmes/\d+/invitations/\?[^"]+)" class="list-link" aria-label="[^"]+">(\d+)<'
)


def each_number_and_its_people(facilitator, world) -> list[tuple[str, int, int]]:
    """Each number on the "Who is coming" page, its link, and how many its link lists (with the places
    they bring, for the numbers that count places)."""
    page = facilitator.get(reverse("invitations:sheets", args=[world.programme.pk])).content.decode()
    found = []
    for url, number in LINK.findall(page):
        html = facilitator.get(unescape(url)).content.decode()
        shown = re.search(r"Showing 1–\d+ of (\d+) matching(?:, bringing (\d+) more)?", html)
        assert shown, url
        people, brought = int(shown.group(1)), int(shown.group(2) or 0)
        places = "reply=coming" in url or "reply=maybe" in url or "reply=changed" in url
        found.append((unescape(url), int(number), people + (brought if places else 0)))
    return found


def test_every_number_on_who_is_coming_leads_to_exactly_its_people(facilitator, world, crowd):
    many(world, 3)  # three more parents waiting for a reply
    SessionAnswer.objects.filter(reply__invitation=crowd["chidi"], session=sessions(world)[2]).delete()

    numbers = each_number_and_its_people(facilitator, world)

    assert len(numbers) > 40  # every number but the zeros, for the programme and for each session
    assert [(url, number) for url, number, listed in numbers if listed != number] == []


def test_the_numbers_of_a_started_session_lead_to_those_removed_since_who_answered(facilitator, world, crowd):
    """Gail said "Coming" to every session and was removed. The first session has started: the sheet
    keeps her answer (what happened, sheets.upcoming_or_kept), and its link lists her too; the sessions
    still to come leave her out, on the sheet and in their links."""
    s1 = sessions(world)[0]
    s1.date = timezone.localdate() - timedelta(days=1)
    s1.save()
    many(world, 2)

    numbers = each_number_and_its_people(facilitator, world)

    assert [(url, number) for url, number, listed in numbers if listed != number] == []
    coming_at_s1 = f"/programmes/{world.programme.pk}/invitations/?group=parents&session={s1.pk}&reply=coming"
    assert [number for url, number, _listed in numbers if url.startswith(coming_at_s1)] == [
        4
    ]  # Amira, 2, Gail
    names, html = listed(facilitator, world, f"group=parents&session={s1.pk}&reply=coming")
    assert names == ["Amira Khan", "Gail Gone"] and "Removed from the list" in html
    s2 = sessions(world)[1]
    names, _html = listed(facilitator, world, f"group=parents&session={s2.pk}&reply=coming")
    assert names == []
    assert "Gail" not in found(world, reply="none", session=s1.pk)  # she answered it
    assert "Gail" in found(world, reply="replied", session=s1.pk)


def test_not_replied_leads_to_those_people_with_their_contact_and_channel(facilitator, world, crowd):
    page = facilitator.get(reverse("invitations:sheets", args=[world.programme.pk])).content.decode()
    total = re.search(
        r'<td><a href="([^"]+reply=none)[^"]*" class="list-link" aria-label="[^"]+">(\d+)<',
        page.split("<tfoot>")[1],
    )
    assert total and total.group(2) == "3"

    names, html = listed(facilitator, world, unescape(total.group(1)).split("?", 1)[1])

    assert names == ["Ben Lowe", "Dana Price", "Hal Nobody"]
    assert "Letter through school" in html and "hal@example.org" in html


def test_a_sessions_numbers_carry_the_session(facilitator, world, crowd):
    s1 = sessions(world)[0]
    page = facilitator.get(reverse("invitations:sheets", args=[world.programme.pk])).content.decode()

    assert f"?group=parents&amp;session={s1.pk}&amp;reply=coming#people-heading" in page
    # Amira and the two she brings; a screen reader hears what the number is.
    assert 'aria-label="3 (Parents and carers, coming): show their names">3</a>' in page
    names, html = listed(facilitator, world, f"group=parents&session={s1.pk}&reply=coming")
    assert names == ["Amira Khan"] and "replies for" in html
