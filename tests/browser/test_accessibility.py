"""An axe scan of every HTML page, as the first role allowed to see it, and of the error states."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from events.models import Programme

from ..urlmap import OK, ROUTES
from .conftest import PHONE, assert_accessible, sign_in

PREFERRED_ROLES = ["facilitator", "coordinator", "artist", "admin", "anonymous"]
PAGES = [route for route in ROUTES if route.page]


def _viewer(route) -> str:
    return next(role for role in PREFERRED_ROLES if route.status_for(role) == OK)


def _url(live_server, name: str, **kwargs) -> str:
    return live_server.url + reverse(name, kwargs=kwargs or None)


@pytest.mark.parametrize("route", PAGES, ids=lambda route: route.name)
def test_page_is_accessible(page, live_server, world, route):
    role = _viewer(route)
    if role != "anonymous":
        sign_in(page, live_server, world.user(role))
    url = live_server.url + reverse(route.name, kwargs=route.kwargs(world) if route.kwargs else None)

    response = page.goto(url)

    assert response.status == OK, f"{role} GET {url}"
    assert_accessible(page)


@pytest.mark.parametrize("name", ["events:dashboard", "events:programme_detail"])
def test_page_is_accessible_on_a_phone(page, live_server, world, name):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, world.user("facilitator"))
    kwargs = {"pk": world.programme.pk} if name == "events:programme_detail" else {}

    response = page.goto(_url(live_server, name, **kwargs))

    assert response.status == OK
    assert_accessible(page)


def test_programme_form_with_errors_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(_url(live_server, "events:programme_create"))
    programmes = Programme.objects.count()

    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Date of the all-day workshop")).to_have_attribute("aria-invalid", "true")
    assert Programme.objects.count() == programmes
    assert_accessible(page)


def test_session_form_with_errors_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(_url(live_server, "events:session_update", pk=world.session.pk))

    page.get_by_label("Starts at").fill("14:00")
    page.get_by_label("Ends at").fill("10:00")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_label("Ends at")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("The session must end after it starts.")).to_be_visible()
    session = world.session
    assert session.end_time > session.start_time
    assert_accessible(page)


def test_checklist_with_errors_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(_url(live_server, "events:programme_checklist", pk=world.programme.pk))

    # Cover may only be ticked off once someone has said who pays for it.
    page.get_by_label("Cover for school staff agreed").check()
    page.get_by_role("button", name="Save the checklist").click()

    expect(page.get_by_text("Please say who pays for cover")).to_be_visible()
    assert_accessible(page)


def test_venue_form_with_errors_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(_url(live_server, "events:venue_create", pk=world.neighbourhood.pk))

    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".invalid-feedback").first).to_be_visible()
    assert_accessible(page)


def test_organisation_form_with_errors_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(_url(live_server, "events:organisation_create", pk=world.neighbourhood.pk))

    page.get_by_label("Name").fill(world.school.name)  # a duplicate
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("There is already an organisation called")).to_be_visible()
    assert_accessible(page)


def test_login_form_with_errors_is_accessible(page, live_server, world):
    page.goto(_url(live_server, "login"))

    page.get_by_label("Username").fill("facilitator")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator(".alert-danger, .invalid-feedback").first).to_be_visible()
    assert_accessible(page)


def test_past_date_error_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(_url(live_server, "events:session_update", pk=world.session.pk))

    page.get_by_label("Date").fill(f"{timezone.localdate() - timedelta(days=1):%Y-%m-%d}")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("That date has passed")).to_be_visible()
    assert_accessible(page)
