"""A parent replies on a phone-sized screen from the emailed link; staff record a reply slip.

Also: axe on the reply page, the page with errors, the thank-you page and the finished page, and the
"I'll come to all of them" button with JavaScript switched off.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from events.enums import ProgrammeStatus
from invitations.models import Reply
from invitations.services.emails import issue_reply_link
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory

from .conftest import PHONE, assert_accessible, sign_in


@pytest.fixture
def invitation(world):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    invitation = InvitationFactory(
        programme=world.programme,
        invitee__name="Amira Khan",
        invitee__email="amira@example.org",
        invitee__organisation=world.school,
    )
    sync_schedule(programme=world.programme)
    return invitation


def reply_path(invitation) -> str:
    reply_url, _unsubscribe = issue_reply_link(invitation=invitation)
    return reverse("invitations:reply", args=[reply_url.rstrip("/").rsplit("/", 1)[1]])


def sessions(world):
    return list(world.programme.sessions.active().order_by("date", "start_time"))


def assert_fits_the_screen(page) -> None:
    """Nothing makes the page scroll sideways on a 360 px phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"


@pytest.fixture
def phone(browser):
    """A phone-sized page with a touch screen."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    yield page
    context.close()


def test_parent_answers_on_a_phone_with_touch_and_keyboard(phone, live_server, world, invitation):
    page = phone
    first, second, third, fourth = sessions(world)

    page.goto(live_server.url + reply_path(invitation))

    expect(page.get_by_role("heading", name="Hello Amira")).to_be_visible()
    assert_fits_the_screen(page)
    assert_accessible(page)
    # Every answer button is a comfortable touch target.
    for box in [label.bounding_box() for label in page.locator(".answer-choices label").all()]:
        assert box["height"] >= 44 and box["width"] >= 44, box
    for box in [row.bounding_box() for row in page.locator(".reply-check").all()]:
        assert box["height"] >= 44, box
    for button in ("I'll come to all of them", "Send my answer"):
        assert page.get_by_role("button", name=button).bounding_box()["height"] >= 44

    # Touch: tap "Coming" for the first, "Not sure yet" for the second.
    page.get_by_role("group", name=first.date.strftime("%A %-d %B")).get_by_text("Coming").tap()
    page.get_by_role("group", name=second.date.strftime("%A %-d %B")).get_by_text("Not sure yet").tap()
    # Keyboard: into the third group, arrow keys move between its answers, space chooses.
    third_group = page.get_by_role("group", name=third.date.strftime("%A %-d %B"))
    third_group.get_by_role("radio", name="Coming").focus()
    page.keyboard.press("ArrowRight")
    expect(third_group.get_by_role("radio", name="Can't come")).to_be_checked()
    page.get_by_role("group", name=fourth.date.strftime("%A %-d %B")).get_by_text("Coming").tap()
    page.get_by_label("How many children will need the crèche?").fill("2")
    page.get_by_label("How old are they?").fill("2, 4")
    page.get_by_label("I would like help getting there").check()
    page.get_by_label("Yes, you may keep it").check()  # needs are kept only with their agreement
    page.get_by_role("button", name="Send my answer").click()

    expect(page.get_by_role("heading", name="Thank you, Amira")).to_be_visible()
    answers = page.locator("#answers")
    expect(answers).to_contain_text("Coming")
    expect(answers).to_contain_text("Not sure yet")
    expect(answers).to_contain_text("Can't come")
    expect(page.locator("#details")).to_contain_text("Crèche: 2 children (ages 2, 4)")
    assert_fits_the_screen(page)
    assert_accessible(page)
    reply = Reply.objects.get(invitation=invitation)
    assert dict(reply.answers.values_list("session_id", "answer")) == {
        first.pk: "yes",
        second.pk: "maybe",
        third.pk: "no",
        fourth.pk: "yes",
    }

    with page.expect_download() as download:
        page.get_by_role("link", name="Add to my calendar").click()
    assert download.value.suggested_filename == "better-together.ics"

    # Change of plan: back to the page, which shows the answer given.
    page.get_by_role("link", name="Change my answer").click()
    expect(third_group.get_by_role("radio", name="Can't come")).to_be_checked()
    third_group.get_by_text("Coming").tap()
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", name="Thank you, Amira")).to_be_visible()
    assert Reply.objects.get().answers.get(session=third).answer == "yes"


def test_reply_page_with_errors_is_accessible_and_links_to_each_problem(page, live_server, world, invitation):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reply_path(invitation))

    page.get_by_label("How many children will need the crèche?").fill("11")
    page.get_by_label("How old are they?").fill("two")
    page.get_by_role("button", name="Send my answer").click()

    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Nothing has been saved yet.")
    expect(summary).to_contain_text("Please write a number of children from 0 to 10.")
    crèche = page.get_by_label("How many children will need the crèche?")
    expect(crèche).to_have_attribute("aria-invalid", "true")
    assert_fits_the_screen(page)
    assert_accessible(page)
    summary.get_by_role("link", name="Please write a number of children from 0 to 10.").click()
    expect(crèche).to_be_focused()
    assert not Reply.objects.exists()


def test_finished_page_is_accessible(page, live_server, world, invitation):
    page.set_viewport_size(PHONE)
    path = reply_path(invitation)
    world.programme.status = ProgrammeStatus.FINISHED
    world.programme.save()

    response = page.goto(live_server.url + path)

    assert response.status == 410
    expect(page.get_by_role("heading", name="This programme has finished")).to_be_visible()
    assert_accessible(page)


def test_all_of_them_works_with_javascript_off(browser, live_server, world, invitation):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(live_server.url + reply_path(invitation))
        page.get_by_label("Is there anything we should know about food?").fill("Vegetarian")
        page.get_by_label("Yes, you may keep it").check()

        page.get_by_role("button", name="I'll come to all of them").click()

        expect(page.get_by_role("heading", name="Thank you, Amira")).to_be_visible()
        expect(page.locator("#answers li")).to_have_count(4)
        for item in page.locator("#answers li").all():
            expect(item).to_contain_text("Coming")
        reply = Reply.objects.get(invitation=invitation)
        assert sorted(reply.answers.values_list("answer", flat=True)) == ["yes"] * 4
        assert reply.food_needs == "Vegetarian"
    finally:
        context.close()


def test_school_coordinator_records_a_paper_reply(page, live_server, world, invitation):
    sign_in(page, live_server, world.user("coordinator"))
    page.goto(live_server.url + reverse("invitations:list", args=[world.programme.pk]))

    page.get_by_role("link", name="Record a reply from Amira Khan").click()

    expect(page.get_by_role("heading", name="Record a reply from Amira Khan")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Reply slip").check()
    for group in sessions(world)[:2]:
        page.get_by_role("group", name=group.date.strftime("%A %-d %B")).get_by_text("Coming").click()
    for group in sessions(world)[2:]:
        page.get_by_role("group", name=group.date.strftime("%A %-d %B")).get_by_text("Not sure yet").click()
    page.get_by_label("Anything we should know about food?").fill("No pork")
    page.get_by_label("Yes, they agreed we may keep their needs").check()
    page.get_by_role("button", name="Save their reply").click()

    expect(page.locator(".alert-success")).to_contain_text("Saved the reply from Amira Khan.")
    row = page.locator("#invitations tbody tr", has_text="Amira Khan")
    expect(row).to_contain_text("How they replied: Reply slip")
    expect(row).to_contain_text("Food: No pork")
    assert_accessible(page)
    reply = Reply.objects.get(invitation=invitation)
    assert (reply.source, reply.recorded_by, reply.food_needs) == (
        "paper",
        world.user("coordinator"),
        "No pork",
    )


def test_a_session_already_over_is_shown_as_past(page, live_server, world, invitation):
    page.set_viewport_size(PHONE)
    first = sessions(world)[0]
    first.date = timezone.localdate() - timedelta(days=2)
    first.save()

    page.goto(live_server.url + reply_path(invitation))

    expect(page.get_by_text("has already happened")).to_be_visible()
    expect(page.locator(".session-answer")).to_have_count(3)
    assert_accessible(page)
