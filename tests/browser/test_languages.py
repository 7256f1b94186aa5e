"""The reply page in every language the site offers: axe finds nothing at 360 px and on a desktop, it never
scrolls sideways, right-to-left languages mirror; the language switch on a phone keeps what was typed; and
pressing Enter in a box sends the answer, not a language."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone, translation
from playwright.sync_api import expect

from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.models import Invitation
from invitations.services.emails import issue_reply_link
from tests.factories import InvitationFactory

from .conftest import DESKTOP, PHONE, assert_accessible

LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture
def reply_url(world, live_server):
    def make(language: str) -> str:
        programme = world.programme
        programme.status = ProgrammeStatus.OPEN
        programme.save()
        invitation = InvitationFactory(
            programme=programme, invitee__name="Amira Khan", invitee__language=language.split("-")[0]
        )
        url, _unsubscribe = issue_reply_link(invitation=invitation)
        return live_server.url + url.removeprefix(settings.SITE_URL)

    return make


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_reply_page_in_each_language_is_accessible_and_fits_a_phone(browser, reply_url, code):
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(reply_url(code))
    rtl = translation.get_language_info(code)["bidi"]
    assert page.locator("html").get_attribute("lang") == code
    assert page.locator("html").get_attribute("dir") == ("rtl" if rtl else "ltr")
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    if rtl:  # the answer buttons start at the right
        first = page.locator(".answer-choices label").first.bounding_box()
        assert first["x"] + first["width"] > PHONE["width"] * 0.6
    page.context.close()


def test_the_switch_on_a_phone_keeps_what_was_typed(browser, reply_url, world):
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(reply_url("en-gb"))
    page.get_by_label("Is there anything we should know about food?").fill("Halal, please")
    page.get_by_role("button", name="اردو").click()

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("textarea[name=food_needs], input[name=food_needs]")).to_have_value("Halal, please")
    assert Invitation.objects.get().invitee.language == "ur"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.context.close()


def test_pressing_enter_in_a_box_sends_the_answer_not_a_language(browser, reply_url, world):
    """The language buttons come first on the page, but the form's default is its own hidden send button:
    Enter in a one-line box sends the answer; it does not switch to the first language (English)."""
    first = world.programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=30)
    events_services.save_session(session=first)
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(reply_url("pl"))
    for group in page.locator("fieldset.session-answer").all():
        group.locator(".answer-choices label").first.click()  # "Coming", in Polish
    page.locator("input[name=needs_agreed][value=yes]").check()  # we may keep their needs
    page.locator("input[name=childcare_children]").fill("1")
    page.locator("input[name=childcare_children]").press("Enter")

    expect(page.locator("h1")).not_to_have_text("")
    page.wait_for_url("**/thanks/")
    invitation = Invitation.objects.select_related("reply", "invitee").get()
    assert invitation.reply.childcare_children == 1
    assert invitation.invitee.language == "pl"
    assert page.locator("html").get_attribute("lang") == "pl"
    page.context.close()
