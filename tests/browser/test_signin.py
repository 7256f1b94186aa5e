"""On the day, on a tablet: the facilitator finds six people by typing part of their names, taps them
arrived (the search box empties for the next name each time), undoes a mis-tap, adds a walk-in and sees
the numbers by group. axe on the sign-in page, the who-came page and the paper sheet page; the same
sign-in without JavaScript; a 360 px phone; the page weeks before the day, which says when it opens; and
the day after, when it points to the paper sheet."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from evaluations.models import Attendance
from invitations.models import Invitation
from invitations.services.replies import save_reply
from tests.factories import InvitationFactory

from .conftest import PHONE, assert_accessible, sign_in

TABLET = {"width": 768, "height": 1024}

PEOPLE = [
    # name, category, organisation attribute on the world, what to type
    ("Amina Yusuf", "parent", "school", "amin"),
    ("Łukasz Wójcik", "parent", "school", "wój"),
    ("Grace Obi", "parent", "school", "obi"),
    ("Hannah Clarke", "school_staff", "school", "clar"),
    ("Peter Mensah", "group_worker", "group", "mens"),
    ("Rosa Diaz", "community", None, "rosa d"),
]
OTHERS = [("Amina Yusuf", "group_worker", "group"), ("Samuel Okafor", "parent", "school")]


@pytest.fixture
def tablet(browser):
    context = browser.new_context(viewport=TABLET, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def on_the_day(world):
    """Move the series so that its first session, the all-day, is today: signing in is for the day."""
    shift = world.session.date - timezone.localdate()
    for session in world.programme.sessions.all():
        session.date -= shift
        session.save()


@pytest.fixture
def people(world):
    on_the_day(world)
    made = []
    for name, category, organisation, _typed in PEOPLE:
        invitation = InvitationFactory(
            programme=world.programme,
            invitee__name=name,
            invitee__category=category,
            invitee__staff_role="teacher" if category == "school_staff" else "",
            invitee__organisation=getattr(world, organisation) if organisation else None,
        )
        save_reply(invitation=invitation, answers={world.session.pk: "yes"}, details={})
        made.append(invitation)
    for name, category, organisation in OTHERS:
        InvitationFactory(
            programme=world.programme,
            invitee__name=name,
            invitee__category=category,
            invitee__organisation=getattr(world, organisation),
        )
    cannot = InvitationFactory(programme=world.programme, invitee__name="Nadia Away")
    save_reply(invitation=cannot, answers={world.session.pk: "no"}, details={})
    return made


def signin_url(live_server, world) -> str:
    return live_server.url + reverse("evaluations:signin", args=[world.session.pk])


def test_signin_six_people_and_a_walk_in_on_a_tablet(tablet, live_server, world, people):
    page = tablet
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(signin_url(live_server, world))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign people in")
    expect(page.locator("#signin-counts")).to_contain_text("0 here, of 6 who said they are coming")
    assert_accessible(page)
    # Those who said they can't come wait behind a toggle.
    expect(page.get_by_text("Nadia Away")).to_be_hidden()

    box = page.get_by_label("Find a name")
    for (name, _category, _organisation, typed), invitation in zip(PEOPLE, people, strict=True):
        box.fill(typed)
        row = page.locator(f"#person-{invitation.pk}")
        expect(row).to_be_visible()
        if name == "Amina Yusuf":
            # Two people share the name: the group and organisation tell them apart.
            expect(page.locator("#signin-people .signin-person:visible")).to_have_count(2)
            expect(row).to_contain_text("Millbrook Primary")
        else:
            expect(page.locator("#signin-people .signin-person:visible")).to_have_count(1)
        row.get_by_role("button", name="Mark as arrived").tap()
        expect(page.get_by_role("status").filter(has_text="signed in")).to_have_text(f"{name} is signed in.")
        expect(row.get_by_role("button", name="Undo")).to_be_visible()
        # Ready for the next person: the box is empty, the cursor in it, and everyone listed again.
        expect(box).to_have_value("")
        expect(box).to_be_focused()
        expect(page.locator("#signin-people .signin-person:visible")).to_have_count(len(PEOPLE) + len(OTHERS))

    # A mis-tap is undone, and the person tapped again.
    rosa = page.locator(f"#person-{people[-1].pk}")
    rosa.get_by_role("button", name="Undo").tap()
    expect(page.locator("#signin-status")).to_have_text("Rosa Diaz is no longer signed in.")
    rosa.get_by_role("button", name="Mark as arrived").tap()
    expect(page.locator("#signin-status")).to_have_text("Rosa Diaz is signed in.")

    expect(page.locator("#signin-counts")).to_contain_text("6 here, of 6 who said they are coming")
    assert Attendance.objects.filter(session=world.session).count() == 6

    # Someone walks in.
    box.fill("")
    page.get_by_label("Name", exact=True).fill("Zofia Nowak")
    page.get_by_label("Other community member").check()
    page.get_by_label("Email (optional)").fill("zofia@example.org")
    page.get_by_role("button", name="Add and sign in").tap()
    expect(page.locator(".alert-success")).to_have_text("Zofia Nowak is on the list and signed in.")
    walk_in = Invitation.objects.get(invitee__name="Zofia Nowak")
    assert walk_in.met_on_the_day
    expect(page.locator(f"#person-{walk_in.pk}")).to_contain_text("Signed in")
    expect(page.locator("#signin-counts")).to_contain_text("7 here")
    expect(page.locator("#signin-counts")).to_contain_text("Parents and carers: 3 of 3")
    expect(page.locator("#signin-counts")).to_contain_text("Local groups and agencies: 3 of 2")
    assert_accessible(page)

    # The numbers by group against the even split.
    page.goto(live_server.url + reverse("evaluations:who_came", args=[world.session.pk]))
    expect(page.locator(".who-came-numbers caption")).to_contain_text(
        "7 people came, 1 of them met on the day"
    )
    numbers = page.locator(".who-came-numbers tbody tr")
    expect(numbers.nth(0)).to_contain_text("Parents and carers")
    expect(numbers.nth(0).locator("td").nth(0)).to_have_text("3")
    expect(numbers.nth(1).locator("td").nth(0)).to_have_text("1")
    expect(numbers.nth(1)).to_contain_text("Fewer than a quarter")
    expect(numbers.nth(0).locator("td").nth(1)).to_have_text("2")  # 7 / 3, rounded
    assert_accessible(page)

    page.goto(live_server.url + reverse("evaluations:paper_sheet", args=[world.session.pk]))
    expect(page.get_by_label("Amina Yusuf").first).to_be_checked()
    assert_accessible(page)

    page.goto(live_server.url + reverse("evaluations:programme_attendance", args=[world.programme.pk]))
    assert_accessible(page)


def test_signin_without_javascript_empties_the_search_for_the_next_person(
    browser, live_server, world, people
):
    context = browser.new_context(viewport=TABLET, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, world.user("facilitator"))
        page.goto(signin_url(live_server, world))
        page.get_by_label("Find a name").fill("wój")
        page.get_by_role("button", name="Find", exact=True).click()
        expect(page.locator("#signin-people .signin-person")).to_have_count(1)
        page.get_by_role("button", name="Mark as arrived").click()
        expect(page.locator(".alert-success")).to_have_text("Łukasz Wójcik is signed in.")
        # Back to the whole list, with the box empty and focused: type the next name straight away.
        box = page.get_by_label("Find a name")
        expect(box).to_have_value("")
        expect(box).to_be_focused()
        expect(page.locator(f"#person-{people[1].pk}")).to_contain_text("Signed in")
        assert Attendance.objects.filter(invitation=people[1]).exists()
        page.keyboard.type("obi")
        page.keyboard.press("Enter")
        expect(page.locator("#signin-people .signin-person")).to_have_count(1)
        expect(page.locator(f"#person-{people[2].pk}")).to_be_visible()
    finally:
        context.close()


def test_signin_weeks_before_the_day_says_when_it_opens(page, live_server, world):
    InvitationFactory(programme=world.programme, invitee__name="Amina Yusuf")
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(signin_url(live_server, world))  # the all-day is five weeks away
    expect(page.locator("#signin-not-yet")).to_contain_text("Signing in opens on the day of the session")
    expect(page.get_by_role("button", name="Mark as arrived")).to_have_count(0)
    expect(page.get_by_role("button", name="Add and sign in")).to_have_count(0)
    expect(page.get_by_text("Amina Yusuf")).to_have_count(0)
    assert_accessible(page)


def test_signin_page_fits_a_phone(browser, live_server, world, people):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, world.user("facilitator"))
        page.goto(signin_url(live_server, world))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"
        page.get_by_label("Find a name").fill("grace")
        page.locator(f"#person-{people[2].pk}").get_by_role("button").tap()
        expect(page.locator("#signin-status")).to_have_text("Grace Obi is signed in.")
        assert_accessible(page)
    finally:
        context.close()


def test_signin_after_the_day_points_to_the_paper_sheet(page, live_server, world):
    shift = world.session.date - (timezone.localdate() - timedelta(days=1))
    for session in world.programme.sessions.all():
        session.date -= shift
        session.save()
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(signin_url(live_server, world))  # the all-day was yesterday
    expect(page.locator("#signin-over")).to_contain_text("signing in on the day has closed")
    expect(page.get_by_role("button", name="Mark as arrived")).to_have_count(0)
    assert_accessible(page)
    page.locator("#signin-over").get_by_role("link", name="Enter a paper sheet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter a paper sign-in sheet")
    expect(page.get_by_role("button", name="Save the sheet")).to_be_visible()
