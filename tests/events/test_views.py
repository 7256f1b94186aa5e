from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events import services
from events.enums import ProgrammeStatus, SessionKind
from tests.factories import OrganisationFactory, SessionFactory, VenueFactory


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def open_programme(programme) -> None:
    programme.status = ProgrammeStatus.OPEN
    programme.save(update_fields=["status"])


def add_programmes(world, how_many: int) -> None:
    for number in range(how_many):
        services.create_programme(
            neighbourhood=world.neighbourhood,
            title=f"Extra programme {number}",
            key_question="?",
            first_date=timezone.localdate() + timedelta(days=40 + number),
            created_by=world.user("facilitator"),
        )


@pytest.mark.parametrize("role", ["facilitator", "coordinator", "artist", "admin"])
def test_dashboard_query_count_does_not_grow_with_programmes(client, world, role):
    client.force_login(world.user(role))
    url = reverse("events:dashboard")
    one = count_queries(client, url)

    add_programmes(world, 19)
    for programme in world.neighbourhood.programmes.all():
        programme.schools.add(world.school)
        programme.sessions.first().artists.add(world.user("artist"))

    assert count_queries(client, url) == one


def test_directory_query_count_does_not_grow_with_rows(client, world):
    client.force_login(world.user("facilitator"))
    url = reverse("events:neighbourhood_detail", args=[world.neighbourhood.pk])
    one = count_queries(client, url)

    for number in range(19):
        OrganisationFactory(neighbourhood=world.neighbourhood, name=f"Group {number}")
        VenueFactory(neighbourhood=world.neighbourhood)

    assert count_queries(client, url) == one


def test_programme_page_query_count_does_not_grow_with_sessions(client, world):
    client.force_login(world.user("facilitator"))
    url = reverse("events:programme_detail", args=[world.programme.pk])
    one = count_queries(client, url)

    last = world.programme.sessions.order_by("-date").first()
    for number in range(16):
        session = SessionFactory(
            programme=world.programme,
            kind=SessionKind.HALF_DAY,
            date=last.date + timedelta(days=number + 1),
            venue=world.venue,
        )
        session.artists.add(world.user("artist"))

    assert count_queries(client, url) == one


def test_dashboard_shows_my_programmes_next_sessions_and_what_to_do(client, world):
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("events:dashboard")).content.decode()

    assert world.programme.title in html
    assert "Nothing is sent while this programme is being planned." in html  # a new programme is a draft
    assert "Invitations go out in" not in html
    assert "8 planning items still open" in html
    assert "Plan a new programme" in html


def test_dashboard_hides_other_neighbourhoods_programmes(client, world):
    client.force_login(world.user("other_facilitator"))

    html = client.get(reverse("events:dashboard")).content.decode()

    assert world.programme.title not in html


def test_coordinator_sees_the_programme_without_edit_buttons(client, world):
    client.force_login(world.user("coordinator"))

    html = client.get(reverse("events:programme_detail", args=[world.programme.pk])).content.decode()

    assert world.programme.title in html
    assert reverse("events:programme_update", args=[world.programme.pk]) not in html
    assert "Add a session" not in html


def test_countdown_is_red_when_invitations_are_close(client, world):
    first = world.programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=25)  # invitations due in 4 days
    first.save()
    open_programme(world.programme)
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("events:programme_detail", args=[world.programme.pk])).content.decode()

    assert "countdown-close" in html
    assert 'class="text-danger fw-semibold">Invitations go out in 4 days' in html


def test_countdown_follows_the_first_active_session(client, world):
    services.cancel_session(session=world.programme.sessions.get(order=1))
    open_programme(world.programme)
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("events:programme_detail", args=[world.programme.pk])).content.decode()

    # The all-day (35 days ahead) is cancelled; the first half-day is 49 days ahead.
    assert "Invitations go out in 28 days" in html


def test_healthz_answers_ok(client, db):
    response = client.get(reverse("healthz"))

    assert response.content == b"ok"


def test_session_page_shows_when_and_where_and_links_back(client, world):
    session = world.session
    client.force_login(world.user("coordinator"))

    html = client.get(reverse("events:session_detail", args=[session.pk])).content.decode()

    assert session.get_kind_display() in html
    assert session.date.strftime("%B") in html
    assert world.venue.name in html
    assert reverse("events:programme_detail", args=[world.programme.pk]) in html
    # Only the programme's facilitators may change the session.
    assert reverse("events:session_update", args=[session.pk]) not in html


def test_session_page_offers_editing_to_the_facilitator(client, world):
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("events:session_detail", args=[world.session.pk])).content.decode()

    assert reverse("events:session_update", args=[world.session.pk]) in html


def test_programme_page_links_each_session_to_its_page(client, world):
    client.force_login(world.user("artist"))

    html = client.get(reverse("events:programme_detail", args=[world.programme.pk])).content.decode()

    for session in world.programme.sessions.all():
        assert reverse("events:session_detail", args=[session.pk]) in html
