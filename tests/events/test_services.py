from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from events import services
from events.enums import ChecklistKey, SessionKind
from tests.factories import NeighbourhoodFactory, SessionFactory, UserFactory, VenueFactory


@pytest.fixture
def programme(db):
    neighbourhood = NeighbourhoodFactory()
    return services.create_programme(
        neighbourhood=neighbourhood,
        title="Better Together",
        key_question="What matters most?",
        first_date=date(2030, 3, 6),
        venue=VenueFactory(neighbourhood=neighbourhood),
        created_by=UserFactory(),
    )


def test_create_programme_makes_the_standard_series(programme):
    sessions = list(programme.sessions.order_by("order"))

    assert [s.kind for s in sessions] == [SessionKind.ALL_DAY] + [SessionKind.HALF_DAY] * 3
    assert [s.order for s in sessions] == [1, 2, 3, 4]
    assert [s.date for s in sessions] == [
        date(2030, 3, 6),
        date(2030, 3, 20),
        date(2030, 4, 3),
        date(2030, 4, 17),
    ]
    assert sessions[0].lunch and not any(s.lunch for s in sessions[1:])
    assert all(s.venue == sessions[0].venue for s in sessions)
    for session in sessions:
        session.full_clean()  # the proposed times respect the all-day and half-day lengths


def test_create_programme_makes_every_checklist_item_open(programme):
    assert sorted(programme.checklist.values_list("key", flat=True)) == sorted(ChecklistKey.values)
    assert not programme.checklist.filter(done=True).exists()


def test_create_programme_makes_the_creator_a_facilitator(programme):
    assert list(programme.facilitators.all()) == [programme.created_by]


def test_save_session_renumbers_by_date(programme):
    last = programme.sessions.get(order=4)
    last.date = date(2030, 3, 13)  # between the all-day and the first half-day

    services.save_session(session=last)

    assert list(programme.sessions.order_by("order").values_list("date", flat=True)) == [
        date(2030, 3, 6),
        date(2030, 3, 13),
        date(2030, 3, 20),
        date(2030, 4, 3),
    ]


def test_cancel_session_keeps_it_but_takes_it_out_of_the_numbering(programme):
    second = programme.sessions.get(order=2)

    services.cancel_session(session=second)

    second.refresh_from_db()
    assert second.is_cancelled
    assert second.order == 4
    assert list(programme.sessions.active().order_by("order").values_list("order", flat=True)) == [1, 2, 3]


def test_cancel_session_twice_keeps_the_first_time(programme):
    session = programme.sessions.get(order=2)
    services.cancel_session(session=session)
    first_time = session.cancelled_at

    services.cancel_session(session=session)

    session.refresh_from_db()
    assert session.cancelled_at == first_time


@pytest.mark.parametrize(
    ("days_until_first", "days_left", "close", "past"),
    [(60, 39, False, False), (28, 7, True, False), (21, 0, True, False), (10, -11, True, True)],
)
def test_invitation_countdown(programme, days_until_first, days_left, close, past):
    today = date(2030, 1, 1)

    countdown = services.invitation_countdown(
        programme=programme, first_date=today + timedelta(days=days_until_first), today=today
    )

    assert countdown.days_left == days_left
    assert countdown.send_on == today + timedelta(days=days_until_first - 21)
    assert (countdown.is_close, countdown.is_past) == (close, past)


def test_invitation_countdown_without_sessions_is_none(programme):
    assert services.invitation_countdown(programme=programme, first_date=None) is None


def test_update_checklist_records_answers(programme):
    services.update_checklist(
        programme=programme,
        answers={
            ChecklistKey.VENUE: (True, "Booked the hall"),
            ChecklistKey.COVER: (True, "Schools pay half"),
        },
    )

    done = dict(programme.checklist.filter(done=True).values_list("key", "note"))
    assert done == {ChecklistKey.VENUE: "Booked the hall", ChecklistKey.COVER: "Schools pay half"}


def test_session_order_is_checked_against_the_all_day(db):
    all_day = SessionFactory(
        kind=SessionKind.ALL_DAY, end_time=time(15, 30), date=timezone.localdate() + timedelta(days=30)
    )
    half_day = SessionFactory.build(
        programme=all_day.programme, kind=SessionKind.HALF_DAY, date=all_day.date - timedelta(days=1)
    )

    with pytest.raises(ValidationError) as error:
        half_day.full_clean()

    assert "after the all-day" in error.value.message_dict["date"][0]
