"""The privacy notice and the accessibility statement in a real browser: in every language the parent
pages speak, at 360 px and on a desktop, axe finds nothing and nothing scrolls sideways; right-to-left
languages mirror; the language switch changes the page and is remembered by the footer's other page; and
the reply page's question about keeping needs, answered "no", saves the reply without them."""

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import expect

from events.enums import ProgrammeStatus
from invitations.models import Reply
from invitations.services.emails import issue_reply_link
from tests.factories import InvitationFactory

from .conftest import DESKTOP, PHONE, assert_accessible

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def fits_and_is_accessible(page) -> None:
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{page.url} is {width}px wide on a {viewport['width']}px screen"
        assert_accessible(page)


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_privacy_notice_in_each_language_is_accessible_and_fits_a_phone(
    browser, live_server, world, code
):
    context = browser.new_context(viewport=PHONE)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": code, "url": live_server.url}])
    page = context.new_page()

    page.goto(live_server.url + "/privacy/")

    rtl = translation.get_language_info(code)["bidi"]
    assert page.locator("html").get_attribute("lang") == code
    assert page.locator("html").get_attribute("dir") == ("rtl" if rtl else "ltr")
    with translation.override(code):
        expect(page.locator("h1")).to_have_text(translation.gettext("How we use your information"))
    if rtl:  # the headings start at the right
        heading = page.locator("h1").bounding_box()
        assert heading["x"] + heading["width"] > PHONE["width"] * 0.8
    fits_and_is_accessible(page)
    context.close()


@pytest.mark.parametrize("code", ["en-gb", "ur"])
def test_the_accessibility_statement_is_accessible_and_fits_a_phone(browser, live_server, world, code):
    context = browser.new_context(viewport=PHONE)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": code, "url": live_server.url}])
    page = context.new_page()

    page.goto(live_server.url + "/accessibility/")

    expect(page.get_by_role("heading", name="Accessibility statement for Better Together")).to_be_visible()
    assert page.locator(".accessibility-statement").get_attribute("lang") == "en-gb"
    fits_and_is_accessible(page)
    context.close()


def test_the_switch_changes_the_notice_and_the_footer_keeps_the_language(browser, live_server, world):
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + "/privacy/")
    expect(page.locator("html")).to_have_attribute("lang", "en-gb")

    page.get_by_role("button", name="اردو").click()

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    with translation.override("ur"):
        expect(page.locator("h1")).to_have_text(translation.gettext("How we use your information"))
        accessibility = translation.gettext("Accessibility")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("footer").get_by_role("link", name=accessibility).click()
    expect(page.locator("html")).to_have_attribute("lang", "ur")
    expect(page.locator("#english-only")).to_be_visible()
    expect(page.locator(".accessibility-statement h1")).to_have_text(
        "Accessibility statement for Better Together"
    )
    page.context.close()


def test_a_parent_asked_about_their_needs_can_say_no_and_is_saved_without_them(browser, live_server, world):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    invitation = InvitationFactory(programme=world.programme, invitee__name="Amira Khan")
    reply_url, _unsubscribe = issue_reply_link(invitation=invitation)
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + reply_url.removeprefix(settings.SITE_URL))
    expect(page.get_by_text("What you tell us about your needs may be about your health.")).to_be_visible()
    page.get_by_label("Is there anything we should know about food?").fill("Halal, please")

    # Needs told, and the question left: they are asked, kindly, and nothing is lost.
    page.get_by_role("button", name="I'll come to all of them").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("May we keep it? Please choose yes or no.")
    fits_and_is_accessible(page)
    summary.get_by_role("link", name="You told us what would help you come.").click()
    expect(page.get_by_label("Yes, you may keep it")).to_be_focused()
    expect(page.get_by_label("Is there anything we should know about food?")).to_have_value("Halal, please")

    page.get_by_label("No, please don't keep it").check()
    page.get_by_role("button", name="I'll come to all of them").click()

    expect(page.get_by_role("heading", name="Thank you, Amira")).to_be_visible()
    expect(page.locator("#details")).to_have_count(0)  # no need was kept to show
    reply = Reply.objects.get(invitation=invitation)
    assert (reply.food_needs, reply.needs_agreed) == ("", False)
    assert reply.answers.count() == world.programme.sessions.count()
    page.context.close()
