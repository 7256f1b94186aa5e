"""The sign-in pages: the tablet list, a tap (with and without the script), walk-ins, the paper sheet,
who came and the CSV, and the panels on the session and programme pages."""

import csv
import io
import json
from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Message
from evaluations.enums import ArrivalSource
from evaluations.models import Attendance
from evaluations.services.attendance import mark_arrived
from invitations.enums import MessageKind
from invitations.models import Invitation, Invitee
from invitations.services.replies import save_reply
from tests.factories import InvitationFactory, ProgrammeFactory, SessionFactory


@pytest.fixture
def facilitator_client(client, world):
    client.force_login(world.user("facilitator"))
    return client


def move_series(world, *, first_on):
    """Move the programme's sessions together so that the first (the all-day) is on ``first_on``."""
    shift = world.session.date - first_on
    for moved in world.programme.sessions.all():
        moved.date -= shift
        moved.save()


@pytest.fixture
def session(world):
    """The programme's first session, the all-day, moved to today: signing in is for the session's day."""
    move_series(world, first_on=timezone.localdate())
    return world.session


def invite(world, name, category="parent", **invitee):
    return InvitationFactory(
        programme=world.programme,
        invitee__name=name,
        invitee__category=category,
        **{f"invitee__{key}": value for key, value in invitee.items()},
    )


def url(name, *args):
    return reverse(f"evaluations:{name}", args=args)


# --- The sign-in page ----------------------------------------------------------------------------------


def test_signin_page_lists_people_with_group_and_organisation(facilitator_client, world, session):
    invite(world, "Amina Yusuf", organisation=world.school)
    invite(world, "Amina Yusuf", category="group_worker", organisation=world.group)
    page = facilitator_client.get(url("signin", session.pk)).content.decode()
    assert page.count("Amina Yusuf</span>") == 2
    assert "Millbrook Primary" in page and "Tenants&#x27; Association" in page
    assert "Mark as arrived" in page
    assert "Find a name" in page


def test_signin_page_search_without_script_keeps_matching_names(facilitator_client, world, session):
    invite(world, "Amina Yusuf")
    invite(world, "Łukasz Wójcik")
    page = facilitator_client.get(url("signin", session.pk), {"q": "wój"}).content.decode()
    assert "Łukasz Wójcik" in page
    assert "Amina Yusuf" not in page
    assert 'value="wój"' in page


def test_signin_page_puts_cant_come_behind_a_toggle(facilitator_client, world, session):
    invitation = invite(world, "Aaron Cannot")
    save_reply(invitation=invitation, answers={session.pk: "no"}, details={})
    page = facilitator_client.get(url("signin", session.pk)).content.decode()
    assert "<details" in page
    assert page.index("<details") < page.index("Aaron Cannot")
    assert "1 person said they can" in page


def test_signin_page_shows_counts_of_expected_by_group(facilitator_client, world, session):
    coming = [invite(world, f"Parent {n}") for n in range(3)]
    for invitation in coming:
        save_reply(invitation=invitation, answers={session.pk: "yes"}, details={})
    mark_arrived(session=session, invitation=coming[0], by=None)
    page = facilitator_client.get(url("signin", session.pk)).content.decode()
    assert "1 here, of 3 who said they are coming" in page
    assert "Parents and carers: <strong>1</strong> of 3" in page


def test_signin_page_of_a_cancelled_session_offers_nothing_to_tap(facilitator_client, world, session):
    invite(world, "Amina Yusuf")
    session.cancelled_at = timezone.now()
    session.save()
    page = facilitator_client.get(url("signin", session.pk)).content.decode()
    assert "was cancelled" in page
    assert "Mark as arrived" not in page


def test_signin_page_query_count_does_not_grow(facilitator_client, world, session, django_assert_num_queries):
    invite(world, "One", organisation=world.school)
    facilitator_client.get(url("signin", session.pk))  # warm up the session and the permission caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        facilitator_client.get(url("signin", session.pk))
    for n in range(20):
        invitation = invite(world, f"Many {n}", organisation=world.group)
        save_reply(invitation=invitation, answers={session.pk: "yes"}, details={})
        if n % 2:
            mark_arrived(session=session, invitation=invitation, by=None)
    with django_assert_num_queries(len(one)):
        response = facilitator_client.get(url("signin", session.pk))
    assert response.content.decode().count("signin-person") >= 21


# --- Tapping --------------------------------------------------------------------------------------------


def test_arrive_marks_and_returns_to_the_whole_list_with_an_empty_search(facilitator_client, world, session):
    invitation = invite(world, "Amina Yusuf")
    invite(world, "Zofia Nowak")
    response = facilitator_client.post(url("arrive", session.pk, invitation.pk), {"q": "ami"})
    assert response.status_code == 302
    # The search is not carried back: the box is empty, and focused, for the next person's name.
    assert response.url == url("signin", session.pk)
    attendance = Attendance.objects.get(session=session, invitation=invitation)
    assert attendance.recorded_by == world.user("facilitator")
    assert attendance.source == ArrivalSource.ON_THE_DAY
    page = facilitator_client.get(response.url).content.decode()
    assert "Amina Yusuf is signed in." in page
    assert "Undo" in page
    assert "Zofia Nowak" in page
    box = page.split('id="signin-q"', 1)[1].split(">", 1)[0]
    assert 'value=""' in box and "autofocus" in box


def test_undo_returns_to_the_page_with_the_search_kept(facilitator_client, world, session):
    # A mis-tap is put right among the same names, to tap the right person next.
    invitation = invite(world, "Amina Yusuf")
    mark_arrived(session=session, invitation=invitation, by=None)
    response = facilitator_client.post(url("unarrive", session.pk, invitation.pk), {"q": "ami"})
    assert response.url == url("signin", session.pk) + f"?q=ami#person-{invitation.pk}"


# --- Only on the day --------------------------------------------------------------------------------------


def test_signin_page_weeks_early_says_when_it_opens_and_offers_nothing_to_tap(facilitator_client, world):
    session = world.session  # five weeks from today
    invite(world, "Amina Yusuf")
    page = facilitator_client.get(url("signin", session.pk)).content.decode()
    day = f"{session.date:%A} {session.date.day} {session.date:%B %Y}"
    assert f"Signing in opens on the day of the session: {day}." in page
    assert "Mark as arrived" not in page and "Amina Yusuf" not in page
    assert "Add and sign in" not in page
    assert url("signin_sheet", session.pk) in page  # printing the sheet ahead is still offered
    assert url("paper_sheet", session.pk) not in page


def test_arrive_weeks_early_is_refused_and_records_nothing(facilitator_client, world):
    session = world.session
    invitation = invite(world, "Amina Yusuf")
    response = facilitator_client.post(url("arrive", session.pk, invitation.pk), follow=True)
    assert "Signing in opens on the day of the session" in response.content.decode()
    json_response = facilitator_client.post(
        url("arrive", session.pk, invitation.pk), HTTP_ACCEPT="application/json"
    )
    assert json_response.status_code == 400
    assert "opens on the day" in json.loads(json_response.content)["message"]
    assert not Attendance.objects.exists()


def test_walk_in_weeks_early_is_refused_and_gets_no_reminder(facilitator_client, world):
    session = world.session
    page = facilitator_client.get(url("walk_in", session.pk)).content.decode()
    assert "Signing in opens on the day of the session" in page and "Add and sign in" not in page
    response = facilitator_client.post(
        url("walk_in", session.pk),
        {"name": "Zofia Nowak", "category": "community", "email": "zofia@example.org"},
    )
    assert response.status_code == 200
    assert "Signing in opens on the day of the session" in response.content.decode()
    assert not Invitee.objects.filter(name="Zofia Nowak").exists()
    assert not Attendance.objects.exists()
    assert not Message.objects.filter(kind=MessageKind.REMINDER).exists()


def test_signin_after_the_day_points_to_the_paper_sheet(facilitator_client, world):
    move_series(world, first_on=timezone.localdate() - timedelta(days=1))
    session = world.session
    invitation = invite(world, "Amina Yusuf")
    page = facilitator_client.get(url("signin", session.pk)).content.decode()
    assert "signing in on the day has closed" in page
    assert "Mark as arrived" not in page and "Add and sign in" not in page
    assert f'href="{url("paper_sheet", session.pk)}"' in page
    refused = facilitator_client.post(url("arrive", session.pk, invitation.pk), follow=True)
    assert "enter the paper sheet" in refused.content.decode()
    walk_in = facilitator_client.post(
        url("walk_in", session.pk), {"name": "Late Entry", "category": "parent"}
    )
    assert "signing in on the day has closed" in walk_in.content.decode()
    assert not Attendance.objects.exists() and not Invitee.objects.filter(name="Late Entry").exists()
    # The paper sheet stays open after the day.
    response = facilitator_client.post(
        url("paper_sheet", session.pk),
        paper_data(world, [invitation], [invitation], [{"name": "Wrote In", "category": "parent"}]),
    )
    assert response.status_code == 302
    assert set(Attendance.objects.values_list("source", flat=True)) == {ArrivalSource.PAPER}
    assert Attendance.objects.count() == 2


def test_paper_sheet_weeks_early_is_refused(facilitator_client, world):
    session = world.session
    ours = invite(world, "Ours")
    page = facilitator_client.get(url("paper_sheet", session.pk)).content.decode()
    assert "A paper sheet can be entered from the day of the session" in page
    assert "Save the sheet" not in page
    response = facilitator_client.post(url("paper_sheet", session.pk), paper_data(world, [ours], [ours]))
    assert response.status_code == 200
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    ("start", "end"),
    [(time(0, 0), time(23, 59)), (time(23, 58), time(23, 59))],
    ids=["walked in after the start", "walked in before the start"],
)
def test_walk_in_on_the_day_is_reminded_of_later_sessions_only(
    facilitator_client, world, session, start, end
):
    session.start_time, session.end_time = start, end
    session.save()
    facilitator_client.post(
        url("walk_in", session.pk),
        {"name": "Zofia Nowak", "category": "community", "email": "zofia@example.org"},
    )
    invitation = Invitation.objects.get(invitee__name="Zofia Nowak")
    reminded = set(Message.objects.filter(invitation=invitation).values_list("topic_id", flat=True))
    later = set(world.programme.sessions.exclude(pk=session.pk).values_list("pk", flat=True))
    assert reminded == later


def test_arrive_twice_keeps_one_row(facilitator_client, world, session):
    invitation = invite(world, "Amina Yusuf")
    facilitator_client.post(url("arrive", session.pk, invitation.pk))
    facilitator_client.post(url("arrive", session.pk, invitation.pk))
    assert Attendance.objects.filter(session=session).count() == 1


def test_arrive_with_the_script_answers_json_with_the_row_and_counts(facilitator_client, world, session):
    invitation = invite(world, "Amina Yusuf")
    response = facilitator_client.post(
        url("arrive", session.pk, invitation.pk), HTTP_ACCEPT="application/json"
    )
    data = json.loads(response.content)
    assert data["ok"] is True
    assert data["message"] == "Amina Yusuf is signed in."
    assert "Undo" in data["row"] and f'id="person-{invitation.pk}"' in data["row"]
    assert "1 here" in data["counts"]


def test_arrive_refuses_an_invitation_of_another_programme(facilitator_client, world, session):
    other = ProgrammeFactory(neighbourhood=world.neighbourhood)
    other.facilitators.add(world.user("facilitator"))
    stranger = InvitationFactory(programme=other)
    response = facilitator_client.post(url("arrive", session.pk, stranger.pk))
    assert response.status_code == 404
    assert not Attendance.objects.exists()


def test_arrive_at_a_session_of_another_facilitator_is_forbidden(client, world):
    other_session = SessionFactory(programme=ProgrammeFactory(neighbourhood=world.other_neighbourhood))
    stranger = InvitationFactory(programme=other_session.programme)
    client.force_login(world.user("facilitator"))
    response = client.post(url("arrive", other_session.pk, stranger.pk))
    assert response.status_code == 403
    assert not Attendance.objects.exists()


def test_arrive_at_a_cancelled_session_records_nothing(facilitator_client, world, session):
    invitation = invite(world, "Amina Yusuf")
    session.cancelled_at = timezone.now()
    session.save()
    response = facilitator_client.post(url("arrive", session.pk, invitation.pk), follow=True)
    assert "was cancelled" in response.content.decode()
    assert not Attendance.objects.exists()
    json_response = facilitator_client.post(
        url("arrive", session.pk, invitation.pk), HTTP_ACCEPT="application/json"
    )
    assert json_response.status_code == 400
    assert "cancelled" in json.loads(json_response.content)["message"]


def test_arrive_by_get_is_not_allowed(facilitator_client, world, session):
    invitation = invite(world, "Amina Yusuf")
    assert facilitator_client.get(url("arrive", session.pk, invitation.pk)).status_code == 405
    assert not Attendance.objects.exists()


def test_unarrive_undoes_a_mis_tap(facilitator_client, world, session):
    invitation = invite(world, "Amina Yusuf")
    mark_arrived(session=session, invitation=invitation, by=None)
    response = facilitator_client.post(url("unarrive", session.pk, invitation.pk), follow=True)
    assert "Amina Yusuf is no longer signed in." in response.content.decode()
    assert not Attendance.objects.exists()


# --- Walk-ins -------------------------------------------------------------------------------------------


def test_walk_in_is_added_and_signed_in(facilitator_client, world, session):
    response = facilitator_client.post(
        url("walk_in", session.pk),
        {"name": "Zofia Nowak", "category": "community", "organisation": "", "email": "zofia@example.org"},
    )
    invitation = Invitation.objects.get(invitee__name="Zofia Nowak")
    assert response.status_code == 302
    assert response.url.endswith(f"#person-{invitation.pk}")
    assert invitation.met_on_the_day
    assert Attendance.objects.filter(session=session, invitation=invitation).exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "", "category": "parent"}, "Please write their name."),
        ({"name": "x" * 500, "category": "parent"}, "longer than 120 letters"),
        ({"name": "Zofia", "category": "parent", "email": "zofia at home"}, "not a single email address"),
        ({"name": "Zofia"}, "Choose which group they belong to."),
    ],
)
def test_walk_in_bad_input_shows_the_reason_beside_the_field(facilitator_client, world, session, data, error):
    response = facilitator_client.post(url("walk_in", session.pk), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert error in page
    assert "invalid-feedback" in page
    assert not Invitee.objects.exists()
    assert not Attendance.objects.exists()


def test_walk_in_twice_in_a_minute_is_one_person(facilitator_client, world, session):
    data = {"name": "Zofia Nowak", "category": "parent", "organisation": world.school.pk}
    facilitator_client.post(url("walk_in", session.pk), data)
    facilitator_client.post(url("walk_in", session.pk), data)
    assert Invitee.objects.filter(name="Zofia Nowak").count() == 1
    assert Attendance.objects.count() == 1


def test_walk_in_at_a_cancelled_session_saves_nothing(facilitator_client, world, session):
    session.cancelled_at = timezone.now()
    session.save()
    response = facilitator_client.post(url("walk_in", session.pk), {"name": "Zofia", "category": "parent"})
    assert response.status_code == 200
    assert "was cancelled" in response.content.decode()
    assert not Invitee.objects.exists()


# --- The paper sheet ------------------------------------------------------------------------------------


def paper_data(world, present, shown, rows=()):
    data = {
        "present": [p.pk for p in present],
        "shown": [p.pk for p in shown],
        "new-TOTAL_FORMS": "5",
        "new-INITIAL_FORMS": "0",
        "new-MIN_NUM_FORMS": "0",
        "new-MAX_NUM_FORMS": "50",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"new-{index}-{key}"] = value
    return data


def test_paper_sheet_page_pre_ticks_those_already_signed_in(facilitator_client, world, session):
    here, away = invite(world, "Already Here"), invite(world, "Not Here")
    mark_arrived(session=session, invitation=here, by=None)
    page = facilitator_client.get(url("paper_sheet", session.pk)).content.decode()
    assert f'value="{here.pk}" id="present-{here.pk}" checked' in page
    assert f'value="{away.pk}" id="present-{away.pk}">' in page


def test_paper_sheet_saves_ticks_and_walk_ins(facilitator_client, world, session):
    ticked, unticked = invite(world, "Ticked"), invite(world, "Unticked")
    mark_arrived(session=session, invitation=unticked, by=None)
    response = facilitator_client.post(
        url("paper_sheet", session.pk),
        paper_data(world, [ticked], [ticked, unticked], [{"name": "Wrote In", "category": "parent"}]),
    )
    assert response.status_code == 302
    names = set(Attendance.objects.values_list("invitation__invitee__name", flat=True))
    assert names == {"Ticked", "Wrote In"}
    assert set(Attendance.objects.values_list("source", flat=True)) == {ArrivalSource.PAPER}


def test_paper_sheet_with_one_bad_row_saves_nothing(facilitator_client, world, session):
    ticked = invite(world, "Ticked")
    response = facilitator_client.post(
        url("paper_sheet", session.pk),
        paper_data(
            world,
            [ticked],
            [ticked],
            [
                {"name": "Good Row", "category": "parent"},
                {"name": "Bad Email", "category": "parent", "email": "bad@"},
                {"name": "", "category": "community", "email": "someone@example.org"},
            ],
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "look like an email address" in page
    assert "Please write their name." in page
    assert not Attendance.objects.exists()
    assert not Invitee.objects.filter(name="Good Row").exists()
    # The rows come back as typed, to be put right.
    assert 'value="Good Row"' in page


def test_paper_sheet_refuses_someone_of_another_programme(facilitator_client, world, session):
    stranger = InvitationFactory(programme=ProgrammeFactory(neighbourhood=world.neighbourhood))
    ours = invite(world, "Ours")
    response = facilitator_client.post(
        url("paper_sheet", session.pk), paper_data(world, [ours, stranger], [ours])
    )
    assert response.status_code == 200
    assert not Attendance.objects.exists()


def test_paper_sheet_for_a_cancelled_session_saves_nothing(facilitator_client, world, session):
    ours = invite(world, "Ours")
    session.cancelled_at = timezone.now()
    session.save()
    response = facilitator_client.post(url("paper_sheet", session.pk), paper_data(world, [ours], [ours]))
    assert response.status_code == 200
    assert not Attendance.objects.exists()


# --- Who came -------------------------------------------------------------------------------------------


def test_who_came_shows_numbers_against_the_even_split(facilitator_client, world, session):
    for n in range(4):
        mark_arrived(session=session, invitation=invite(world, f"Parent {n}"), by=None)
    mark_arrived(
        session=session, invitation=invite(world, "Teacher", "school_staff", staff_role="teacher"), by=None
    )
    page = facilitator_client.get(url("who_came", session.pk)).content.decode()
    assert "5 people came" in page
    assert "Fewer than a quarter" in page
    assert "Parent 0" in page


def test_who_came_query_count_does_not_grow(facilitator_client, world, session, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mark_arrived(session=session, invitation=invite(world, "One", organisation=world.school), by=None)
    facilitator_client.get(url("who_came", session.pk))
    with CaptureQueriesContext(connection) as one:
        facilitator_client.get(url("who_came", session.pk))
    for n in range(20):
        mark_arrived(
            session=session, invitation=invite(world, f"Many {n}", organisation=world.group), by=None
        )
    with django_assert_num_queries(len(one)):
        facilitator_client.get(url("who_came", session.pk))


def test_programme_attendance_lists_who_has_not_come_back(facilitator_client, world):
    all_day, first_half, *_rest = world.programme.sessions.order_by("order")
    gone = invite(world, "Not Back", phone="07700 900123", email="notback@example.org")
    back = invite(world, "Came Back")
    for invitation in (gone, back):
        mark_arrived(session=all_day, invitation=invitation, by=None, today=all_day.date)
    mark_arrived(session=first_half, invitation=back, by=None, today=first_half.date)
    # The series happened in the past: the first half-day has taken place.
    shift = first_half.date - timezone.localdate()
    for moved in world.programme.sessions.all():
        moved.date -= shift
        moved.save()

    page = facilitator_client.get(url("programme_attendance", world.programme.pk)).content.decode()

    section = page[page.index("not back since") :]
    assert "Not Back" in section and "notback@example.org" in section and "07700 900123" in section
    assert "Came Back" not in section


def test_programme_attendance_before_any_half_day_says_so(facilitator_client, world):
    page = facilitator_client.get(url("programme_attendance", world.programme.pk)).content.decode()
    assert "No half-day has taken place since the all-day yet." in page


def test_programme_attendance_query_count_does_not_grow(facilitator_client, world, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sessions = list(world.programme.sessions.order_by("order"))
    mark_arrived(session=sessions[0], invitation=invite(world, "One"), by=None, today=sessions[0].date)
    facilitator_client.get(url("programme_attendance", world.programme.pk))
    with CaptureQueriesContext(connection) as one:
        facilitator_client.get(url("programme_attendance", world.programme.pk))
    for n in range(20):
        invitation = invite(world, f"Many {n}", organisation=world.group)
        for session in sessions[:2]:
            mark_arrived(session=session, invitation=invitation, by=None, today=session.date)
    with django_assert_num_queries(len(one)):
        facilitator_client.get(url("programme_attendance", world.programme.pk))


def test_attendance_csv_one_row_per_person_per_session_and_no_formulas(facilitator_client, world):
    sessions = list(world.programme.sessions.order_by("order"))
    sneaky = invite(world, "=HYPERLINK(1)", organisation=world.school)
    mark_arrived(session=sessions[0], invitation=sneaky, by=None, today=sessions[0].date)
    mark_arrived(
        session=sessions[1], invitation=sneaky, by=None, source=ArrivalSource.PAPER, today=sessions[1].date
    )
    response = facilitator_client.get(url("attendance_csv", world.programme.pk))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Name", "Group", "Organisation", "Session", "How recorded", "Time"]
    assert len(rows) == 3
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert rows[1][2] == "Millbrook Primary"
    assert rows[2][4] == "From the paper sign-in sheet"


def test_attendance_csv_query_count_does_not_grow(facilitator_client, world, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    session = world.session
    mark_arrived(session=session, invitation=invite(world, "One"), by=None, today=session.date)
    with CaptureQueriesContext(connection) as one:
        facilitator_client.get(url("attendance_csv", world.programme.pk))
    for n in range(20):
        mark_arrived(session=session, invitation=invite(world, f"Many {n}"), by=None, today=session.date)
    with django_assert_num_queries(len(one)):
        facilitator_client.get(url("attendance_csv", world.programme.pk))


# --- Panels ---------------------------------------------------------------------------------------------


def test_session_page_panel_links_and_counts(facilitator_client, world, session):
    mark_arrived(session=session, invitation=invite(world, "Amina"), by=None)
    page = facilitator_client.get(reverse("events:session_detail", args=[session.pk])).content.decode()
    assert "On the day" in page
    for name in ("signin", "signin_sheet", "paper_sheet", "who_came"):
        assert url(name, session.pk) in page
    assert "1 person came." in page


def test_session_page_panel_is_hidden_from_coordinators(client, world, session):
    client.force_login(world.user("coordinator"))
    page = client.get(reverse("events:session_detail", args=[session.pk])).content.decode()
    assert url("signin", session.pk) not in page
    assert url("who_came", session.pk) not in page


def test_programme_page_panel_links_to_who_came(facilitator_client, client, world):
    page = facilitator_client.get(
        reverse("events:programme_detail", args=[world.programme.pk])
    ).content.decode()
    assert url("programme_attendance", world.programme.pk) in page
