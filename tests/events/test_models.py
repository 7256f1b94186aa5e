from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from events.enums import OrganisationKind, SessionKind
from tests.factories import OrganisationFactory, SessionFactory, VenueFactory


@pytest.mark.parametrize(
    ("kind", "start", "end", "field_error"),
    [
        (SessionKind.HALF_DAY, time(9, 0), time(14, 0), None),  # exactly five hours
        (SessionKind.HALF_DAY, time(9, 0), time(14, 1), "at most five hours"),
        (SessionKind.ALL_DAY, time(9, 0), time(14, 0), None),
        (SessionKind.ALL_DAY, time(9, 0), time(13, 59), "at least five hours"),
        (SessionKind.HALF_DAY, time(12, 0), time(9, 0), "end after it starts"),
        (SessionKind.HALF_DAY, time(9, 0), time(9, 0), "end after it starts"),
    ],
)
def test_session_length_rules(db, kind, start, end, field_error):
    session = SessionFactory.build(
        programme=SessionFactory().programme, kind=kind, start_time=start, end_time=end
    )
    session.programme.sessions.all().delete()

    if field_error is None:
        session.full_clean()
    else:
        with pytest.raises(ValidationError) as error:
            session.full_clean()
        assert field_error in " ".join(error.value.message_dict["end_time"])


def test_database_refuses_a_session_ending_before_it_starts(db):
    with pytest.raises(IntegrityError):
        SessionFactory(start_time=time(12, 0), end_time=time(10, 0))


def test_session_venue_must_be_in_the_programmes_neighbourhood(db):
    session = SessionFactory()
    session.venue = VenueFactory()  # another neighbourhood

    with pytest.raises(ValidationError) as error:
        session.full_clean()

    assert "venue" in error.value.message_dict


def test_all_day_cannot_follow_a_half_day(db):
    half_day = SessionFactory(kind=SessionKind.HALF_DAY)
    all_day = SessionFactory.build(
        programme=half_day.programme,
        kind=SessionKind.ALL_DAY,
        date=half_day.date + timedelta(days=7),
        end_time=time(15, 0),
    )

    with pytest.raises(ValidationError) as error:
        all_day.full_clean()

    assert "comes first" in error.value.message_dict["date"][0]


def test_school_needs_a_phase_and_others_have_none(db):
    school = OrganisationFactory.build(
        neighbourhood=OrganisationFactory().neighbourhood, kind=OrganisationKind.SCHOOL
    )
    group = OrganisationFactory.build(neighbourhood=school.neighbourhood, school_phase="primary")

    with pytest.raises(ValidationError) as school_error:
        school.full_clean()
    with pytest.raises(ValidationError) as group_error:
        group.full_clean()

    assert "school_phase" in school_error.value.message_dict
    assert "school_phase" in group_error.value.message_dict


def test_database_refuses_duplicate_organisation_names_ignoring_case(db):
    first = OrganisationFactory(name="Riverside Youth Club")

    with pytest.raises(IntegrityError):
        OrganisationFactory(neighbourhood=first.neighbourhood, name="riverside youth club")


def test_same_organisation_name_is_fine_in_another_neighbourhood(db):
    OrganisationFactory(name="Youth Club")

    assert OrganisationFactory(name="Youth Club").pk


@pytest.mark.parametrize(("capacity", "ok"), [(0, False), (1, True), (2000, True), (100000, False)])
def test_venue_capacity_bounds(db, capacity, ok):
    venue = VenueFactory.build(neighbourhood=VenueFactory().neighbourhood, capacity=capacity)

    if ok:
        venue.full_clean()
    else:
        with pytest.raises(ValidationError) as error:
            venue.full_clean()
        assert "capacity" in error.value.message_dict


@pytest.mark.parametrize(("day", "offset_hours"), [(date(2030, 7, 1), 1), (date(2030, 12, 1), 0)])
def test_session_times_are_london_wall_clock(db, day, offset_hours):
    session = SessionFactory.build(date=day, start_time=time(9, 30))

    assert session.starts_at.utcoffset() == timedelta(hours=offset_hours)
    assert (session.starts_at.hour, session.starts_at.minute) == (9, 30)
