"""Marking people arrived, the paper sheet, the numbers by group and who has not come back."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from evaluations.enums import ArrivalSource
from evaluations.models import Attendance
from evaluations.services.attendance import (
    PaperRowErrors,
    attendance_rows,
    enter_paper_sheet,
    mark_arrived,
    not_back_since_all_day,
    programme_numbers,
    session_numbers,
    signin_list,
    unmark_arrived,
)
from invitations.models import Invitation
from invitations.services import sheets
from invitations.services.replies import save_reply
from tests.factories import InvitationFactory, ProgrammeFactory, SessionFactory


def invite(world, name, category="parent", **invitee):
    return InvitationFactory(
        programme=world.programme, invitee__name=name, invitee__category=category, **invitee
    )


@pytest.fixture
def facilitator(world):
    return world.user("facilitator")


def test_mark_arrived_creates_one_row(world, facilitator):
    invitation = invite(world, "Amina Yusuf")
    attendance, created = mark_arrived(
        session=world.session, invitation=invitation, by=facilitator, today=world.session.date
    )
    assert created
    assert attendance.source == ArrivalSource.ON_THE_DAY
    assert attendance.recorded_by == facilitator


def test_mark_arrived_twice_keeps_one_row(world, facilitator):
    invitation = invite(world, "Amina Yusuf")
    mark_arrived(session=world.session, invitation=invitation, by=facilitator, today=world.session.date)
    _attendance, created = mark_arrived(
        session=world.session, invitation=invitation, by=facilitator, today=world.session.date
    )
    assert not created
    assert Attendance.objects.filter(session=world.session).count() == 1


def test_mark_arrived_refuses_another_programmes_invitation(world, facilitator):
    stranger = InvitationFactory(programme=ProgrammeFactory(neighbourhood=world.neighbourhood))
    with pytest.raises(ValidationError):
        mark_arrived(session=world.session, invitation=stranger, by=facilitator, today=world.session.date)
    assert not Attendance.objects.exists()


def test_mark_arrived_refuses_a_cancelled_session(world, facilitator):
    session = world.session
    session.cancelled_at = timezone.now()
    session.save()
    with pytest.raises(ValidationError, match="cancelled"):
        mark_arrived(
            session=session, invitation=invite(world, "Amina Yusuf"), by=facilitator, today=session.date
        )
    assert not Attendance.objects.exists()


def test_unmark_arrived_undoes_a_mis_tap(world, facilitator):
    invitation = invite(world, "Amina Yusuf")
    mark_arrived(session=world.session, invitation=invitation, by=facilitator, today=world.session.date)
    assert unmark_arrived(session=world.session, invitation=invitation, by=facilitator)
    assert not Attendance.objects.exists()
    assert not unmark_arrived(session=world.session, invitation=invitation, by=facilitator)


def test_unmark_arrived_refuses_another_programmes_invitation(world, facilitator):
    other_session = SessionFactory(programme=ProgrammeFactory(neighbourhood=world.neighbourhood))
    stranger = InvitationFactory(programme=other_session.programme)
    mark_arrived(session=other_session, invitation=stranger, by=facilitator, today=other_session.date)
    with pytest.raises(ValidationError):
        unmark_arrived(session=world.session, invitation=stranger, by=facilitator)
    assert Attendance.objects.count() == 1


def test_session_numbers_counts_by_group_against_the_even_split(world, facilitator):
    people = [invite(world, f"Parent {n}") for n in range(5)]
    people += [invite(world, "Ms Teacher", "school_staff", invitee__staff_role="teacher")]
    people += [invite(world, "Group Worker", "group_worker"), invite(world, "Neighbour", "community")]
    for invitation in people:
        mark_arrived(session=world.session, invitation=invitation, by=facilitator, today=world.session.date)
    invite(world, "Did Not Come")

    numbers = session_numbers(session=world.session)

    assert numbers.total == 8
    assert {g.key: g.came for g in numbers.groups} == {"parents": 5, "school_staff": 1, "groups": 2}
    assert {g.aim for g in numbers.groups} == {3}  # 8 / 3, rounded
    assert [g.key for g in numbers.low] == ["school_staff"]  # 1 of 8 is under a quarter; 2 of 8 is not
    assert numbers.walk_ins == 0


def test_session_numbers_with_nobody(world):
    numbers = session_numbers(session=world.session)
    assert numbers.total == 0
    assert [g.came for g in numbers.groups] == [0, 0, 0]
    assert not numbers.low


def test_session_numbers_counts_walk_ins(world, facilitator):
    walk_in = invite(world, "Walked In", met_on_the_day=True)
    mark_arrived(session=world.session, invitation=walk_in, by=facilitator, today=world.session.date)
    mark_arrived(
        session=world.session, invitation=invite(world, "Invited"), by=facilitator, today=world.session.date
    )
    assert session_numbers(session=world.session).walk_ins == 1


def test_session_numbers_query_count_does_not_grow(world, facilitator, django_assert_num_queries):
    session = world.session
    mark_arrived(session=session, invitation=invite(world, "One"), by=facilitator, today=session.date)
    with django_assert_num_queries(1):
        session_numbers(session=session)
    for n in range(20):
        mark_arrived(
            session=session, invitation=invite(world, f"Many {n}"), by=facilitator, today=session.date
        )
    with django_assert_num_queries(1):
        assert session_numbers(session=session).total == 21


def test_programme_numbers_one_per_session(world, facilitator):
    sessions = list(world.programme.sessions.order_by("order"))
    mark_arrived(
        session=sessions[1], invitation=invite(world, "Amina"), by=facilitator, today=sessions[1].date
    )
    numbers = programme_numbers(programme=world.programme)
    assert [n.session for n in numbers] == sessions
    assert [n.total for n in numbers] == [0, 1, 0, 0]


def test_signin_list_puts_cant_come_last_and_counts_expected(world, facilitator):
    yes = invite(world, "Zara Coming")
    no = invite(world, "Aaron Cannot")
    silent = invite(world, "Bilal Silent")
    save_reply(invitation=yes, answers={world.session.pk: "yes"}, details={})
    save_reply(invitation=no, answers={world.session.pk: "no"}, details={})
    mark_arrived(session=world.session, invitation=silent, by=facilitator, today=world.session.date)

    listing = signin_list(session=world.session)

    assert [p.name for p in listing.people] == ["Bilal Silent", "Zara Coming"]
    assert [p.name for p in listing.cant_come] == ["Aaron Cannot"]
    assert listing.expected == 1
    assert listing.arrived == 1


def test_signin_list_search_matches_parts_of_names_in_any_script(world):
    invite(world, "Amina Yusuf")
    invite(world, "Łukasz Wójcik")
    invite(world, "عائشہ خان")
    assert [p.name for p in signin_list(session=world.session, query="yus").people] == ["Amina Yusuf"]
    assert [p.name for p in signin_list(session=world.session, query="WÓJ").people] == ["Łukasz Wójcik"]
    assert [p.name for p in signin_list(session=world.session, query="خان").people] == ["عائشہ خان"]
    assert signin_list(session=world.session, query="nobody").people == []
    # The counts are always of everyone, whatever is typed.
    assert signin_list(session=world.session, query="nobody").groups[0].key == "parents"


def test_record_paper_sheet_marks_the_ticked_and_unmarks_the_unticked(world, facilitator):
    ticked, unticked, not_shown = invite(world, "Ticked"), invite(world, "Unticked"), invite(world, "Else")
    mark_arrived(session=world.session, invitation=unticked, by=facilitator, today=world.session.date)
    mark_arrived(session=world.session, invitation=not_shown, by=facilitator, today=world.session.date)

    result = enter_paper_sheet(
        session=world.session,
        present={ticked.pk},
        shown={ticked.pk, unticked.pk},
        by=facilitator,
        walk_ins=[{"name": "Paper Walk-in", "category": "community"}],
        today=world.session.date,
    )

    came = Attendance.objects.filter(session=world.session)
    assert {a.invitation.invitee.name for a in came} == {"Ticked", "Else", "Paper Walk-in"}
    assert came.get(invitation=ticked).source == ArrivalSource.PAPER
    assert (result.marked, result.unmarked, result.walk_ins) == (1, 1, 1)


def test_record_paper_sheet_with_one_bad_row_saves_nothing(world, facilitator):
    ticked = invite(world, "Ticked")
    with pytest.raises(PaperRowErrors) as raised:
        enter_paper_sheet(
            session=world.session,
            present={ticked.pk},
            by=facilitator,
            walk_ins=[
                {"name": "Good Row", "category": "parent"},
                {"name": "Bad Email", "category": "parent", "email": "not-an-address"},
                {"name": "", "category": "parent"},
            ],
            today=world.session.date,
        )
    assert set(raised.value.rows) == {1, 2}
    assert "email" in raised.value.rows[1].message_dict
    assert "name" in raised.value.rows[2].message_dict
    assert not Attendance.objects.exists()
    assert not world.programme.invitations.filter(invitee__name="Good Row").exists()


def test_record_paper_sheet_refuses_someone_from_another_programme(world, facilitator):
    stranger = InvitationFactory(programme=ProgrammeFactory(neighbourhood=world.neighbourhood))
    ours = invite(world, "Ours")
    with pytest.raises(ValidationError):
        enter_paper_sheet(
            session=world.session, present={ours.pk, stranger.pk}, by=facilitator, today=world.session.date
        )
    assert not Attendance.objects.exists()


def test_not_back_since_all_day_lists_those_who_missed_every_half_day_since(world, facilitator):
    sessions = list(world.programme.sessions.order_by("order"))
    all_day, first_half, second_half = sessions[0], sessions[1], sessions[2]
    back, gone, half_only = invite(world, "Came Back"), invite(world, "Not Back"), invite(world, "Half Only")
    for invitation in (back, gone):
        mark_arrived(session=all_day, invitation=invitation, by=facilitator, today=all_day.date)
    mark_arrived(session=second_half, invitation=back, by=facilitator, today=second_half.date)
    mark_arrived(session=first_half, invitation=half_only, by=facilitator, today=first_half.date)

    after_two = second_half.date
    assert not_back_since_all_day(programme=world.programme, today=after_two) == [gone]
    # Before any half-day has taken place, there is nobody to follow up yet.
    assert not_back_since_all_day(programme=world.programme, today=all_day.date) == []


def test_not_back_since_all_day_leaves_out_those_removed_or_who_asked_us_to_stop(world, facilitator):
    """A list of people to contact: someone removed from the list, or who asked for no more messages,
    is not on it (invitations.services.people's rule for every such list)."""
    sessions = list(world.programme.sessions.order_by("order"))
    all_day, first_half = sessions[0], sessions[1]
    gone, removed, stopped = (
        invite(world, "Not Back"),
        invite(world, "Rita Removed"),
        invite(world, "Sam Stop"),
    )
    for invitation in (gone, removed, stopped):
        mark_arrived(session=all_day, invitation=invitation, by=facilitator, today=all_day.date)
    Invitation.objects.filter(pk=removed.pk).update(removed_at=timezone.now())
    Invitation.objects.filter(pk=stopped.pk).update(opted_out_at=timezone.now())

    assert not_back_since_all_day(programme=world.programme, today=first_half.date) == [gone]


def test_signin_list_expects_whom_the_who_is_coming_page_counts(world, facilitator):
    """Someone removed who had said "Coming" is not expected at a session still to come (the sheets
    leave them out); once it has started, what they said is part of what happened, as on the sheets."""
    session = world.session
    coming, removed = invite(world, "Zara Coming"), invite(world, "Rita Removed")
    for invitation in (coming, removed):
        save_reply(invitation=invitation, answers={session.pk: "yes"}, details={})
    Invitation.objects.filter(pk=removed.pk).update(removed_at=timezone.now())

    def sheet_coming() -> int:
        [row] = [
            row for row in sheets.attendance(programme=world.programme).sessions if row.session == session
        ]
        return row.coming

    listing = signin_list(session=session)
    assert (listing.expected, sheet_coming()) == (1, 1)
    assert [p.name for p in listing.people] == ["Rita Removed", "Zara Coming"]  # still to be signed in

    session.date = timezone.localdate() - timedelta(days=1)  # it has started (and ended)
    session.save()
    assert (signin_list(session=session).expected, sheet_coming()) == (2, 2)


def test_attendance_rows_one_per_person_per_session(world, facilitator):
    sessions = list(world.programme.sessions.order_by("order"))
    amina = invite(world, "=Amina", invitee__organisation=None)
    mark_arrived(session=sessions[0], invitation=amina, by=facilitator, today=sessions[0].date)
    mark_arrived(
        session=sessions[1],
        invitation=amina,
        by=facilitator,
        source=ArrivalSource.PAPER,
        today=sessions[1].date,
    )
    rows = attendance_rows(programme=world.programme)
    assert len(rows) == 2
    assert rows[0][0] == "=Amina" and rows[0][1] == "Parents and carers"
    assert rows[1][4] == str(ArrivalSource.PAPER.label)


def test_attendance_rows_query_count_does_not_grow(world, facilitator, django_assert_num_queries):
    mark_arrived(
        session=world.session, invitation=invite(world, "One"), by=facilitator, today=world.session.date
    )
    with django_assert_num_queries(1):
        attendance_rows(programme=world.programme)
    for n in range(20):
        mark_arrived(
            session=world.session,
            invitation=invite(world, f"Many {n}"),
            by=facilitator,
            today=world.session.date,
        )
    with django_assert_num_queries(1):
        assert len(attendance_rows(programme=world.programme)) == 21


def test_signin_list_query_count_does_not_grow(world, facilitator, django_assert_num_queries):
    session = world.session
    invite(world, "One")
    with django_assert_num_queries(3):
        signin_list(session=session)
    for n in range(20):
        invitation = invite(world, f"Many {n}", invitee__organisation=world.school)
        save_reply(invitation=invitation, answers={session.pk: "yes"}, details={})
    with django_assert_num_queries(3):
        assert len(signin_list(session=session).people) == 21


def test_session_numbers_ignores_other_sessions(world, facilitator):
    sessions = list(world.programme.sessions.order_by("order"))
    mark_arrived(
        session=sessions[1], invitation=invite(world, "Elsewhere"), by=facilitator, today=sessions[1].date
    )
    assert session_numbers(session=sessions[0]).total == 0
