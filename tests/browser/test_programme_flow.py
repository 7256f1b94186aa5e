"""The issue's "done means", in a real browser: a facilitator plans a programme from the dashboard."""

import re
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from playwright.sync_api import expect

from events.enums import ProgrammeStatus
from events.models import Programme, Session

from .conftest import assert_accessible, sign_in

PASSWORD = "a-test-password"  # every user tests.factories.UserFactory makes
RED = "rgb(220, 53, 69)"  # Bootstrap's --bs-danger


def _long(day: date) -> str:
    """A date as the sessions table shows it."""
    return format_date(day, "l j F Y")


def _plan_programme(
    page, *, title: str, first_date: date, school: str | None = None, venue: str | None = None
):
    """Fill in and submit the "Plan a new programme" form, which must already be open."""
    page.get_by_label("Title").fill(title)
    page.get_by_label("Key question").fill("What would make this a place where every child can thrive?")
    page.get_by_label("Date of the all-day workshop").fill(first_date.isoformat())
    if venue:
        page.get_by_label("Venue").select_option(label=venue)
    if school:
        page.get_by_label(school).check()
    page.get_by_role("button", name="Save", exact=True).click()


def test_facilitator_plans_a_programme_from_the_dashboard(page, live_server, world):
    first_date = timezone.localdate() + timedelta(days=35)
    dates = [first_date + timedelta(days=14 * n) for n in range(4)]

    # Signing in through the form, on the way to the dashboard.
    page.goto(live_server.url + reverse("events:dashboard"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("User name").fill("facilitator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Hello, Fatima")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Plan a new programme").click()
    expect(page.get_by_role("heading", name="Plan a new programme")).to_be_visible()
    assert_accessible(page)
    _plan_programme(
        page,
        title="Growing Up in Millbrook",
        first_date=first_date,
        venue=world.venue.name,
        school="Millbrook Primary",
    )

    # The programme page: four sessions, the countdown, and what is still to arrange.
    expect(page.get_by_role("heading", name="Growing Up in Millbrook")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your programme is ready")
    rows = page.locator("#sessions tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("1. All-day workshop")
    for number, (row, day) in enumerate(zip([rows.nth(i) for i in range(4)], dates, strict=True), start=1):
        if number > 1:
            expect(row).to_contain_text(f"{number}. Half-day workshop")
        expect(row).to_contain_text(_long(day))
        expect(row).to_contain_text(world.venue.name)
    countdown = page.locator("#invitation-countdown")
    expect(countdown).to_contain_text("Nothing is sent while this programme is being planned.")
    expect(countdown.locator("span")).not_to_have_class(re.compile(r"\btext-danger\b"))
    open_items = page.locator("#open-checklist li")
    expect(open_items).to_have_count(8)
    expect(page.locator("#open-checklist")).to_contain_text("Venue booked, and it is accessible")
    expect(page.get_by_text("Schools: Millbrook Primary")).to_be_visible()
    assert_accessible(page)

    # Ticking off the venue on the planning checklist.
    page.get_by_role("link", name="Planning checklist").click()
    expect(page.get_by_role("heading", name="Planning checklist")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Venue booked, and it is accessible").check()
    page.get_by_role("button", name="Save the checklist").click()

    expect(page.get_by_role("status")).to_contain_text("Saved the checklist.")
    expect(open_items).to_have_count(7)
    expect(page.locator("#open-checklist")).not_to_contain_text("Venue booked")

    # Moving session 2 a week earlier: it stays second, on its new date.
    new_date = dates[1] - timedelta(days=7)
    page.get_by_role("link", name=f"Edit the session on {format_date(dates[1], 'j F')}").click()
    expect(page.get_by_role("heading", name="Session 2: Half-day workshop")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Date").fill(new_date.isoformat())
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("Saved the changes to session 2.")
    expect(rows.nth(1)).to_contain_text("2. Half-day workshop")
    expect(rows.nth(1)).to_contain_text(_long(new_date))
    expect(page.locator("#sessions")).not_to_contain_text(_long(dates[1]))
    programme = Programme.objects.get(title="Growing Up in Millbrook")
    assert programme.sessions.get(order=2).date == new_date


def test_countdown_is_red_when_invitations_are_overdue(page, live_server, world):
    # Invitations go 21 days ahead, so a first session in 10 days is already 11 days late.
    first_date = timezone.localdate() + timedelta(days=10)
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("events:programme_create"))

    _plan_programme(page, title="Short Notice in Millbrook", first_date=first_date)

    expect(page.get_by_role("heading", name="Short Notice in Millbrook")).to_be_visible()
    Programme.objects.filter(title="Short Notice in Millbrook").update(status=ProgrammeStatus.OPEN)
    page.reload()
    warning = page.locator("#invitation-countdown span")
    expect(warning).to_contain_text("Invitations should have gone out 11 days ago")
    expect(warning).to_have_class(re.compile(r"\btext-danger\b"))
    expect(warning).to_have_css("color", RED)
    assert_accessible(page)


def test_programme_with_a_past_date_is_refused_next_to_the_date(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("events:programme_create"))
    programmes, sessions = Programme.objects.count(), Session.objects.count()

    _plan_programme(page, title="Too Late in Millbrook", first_date=timezone.localdate() - timedelta(days=1))

    expect(page.get_by_role("heading", name="Plan a new programme")).to_be_visible()
    date_field = page.get_by_label("Date of the all-day workshop")
    expect(date_field).to_have_attribute("aria-invalid", "true")
    error = page.locator("#div_id_first_date .invalid-feedback")
    expect(error).to_have_text("That date has passed. Please choose a date from today onwards.")
    expect(date_field).to_have_attribute("aria-describedby", re.compile(rf"\b{error.get_attribute('id')}\b"))
    expect(page.get_by_label("Title")).to_have_value("Too Late in Millbrook")
    assert (Programme.objects.count(), Session.objects.count()) == (programmes, sessions)
    assert_accessible(page)
