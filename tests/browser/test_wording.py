"""The letter editor in a real browser: the check updates as the words are typed, and the page passes axe
with and without worker-speak found."""

from django.urls import reverse
from playwright.sync_api import expect

from invitations.models import LetterWording

from .conftest import assert_accessible, sign_in


def _open_editor(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    response = page.goto(live_server.url + reverse("invitations:letter_wording", args=[world.programme.pk]))
    assert response.status == 200


def test_typing_worker_speak_shows_plainer_words_without_submitting(page, live_server, world):
    _open_editor(page, live_server, world)
    url = page.url
    region = page.locator("#wording-check-result")
    expect(region).to_have_attribute("aria-live", "polite")
    expect(region).to_contain_text("No worker-speak found.")

    page.get_by_label("The words of the letter").fill("stakeholder engagement")

    expect(region).to_contain_text("Instead of “stakeholder”, try “people involved”.")
    expect(region).to_contain_text("Instead of “engagement”, try “taking part”.")
    expect(region).to_contain_text("Reading ease:")
    assert page.url == url
    assert not LetterWording.objects.exists()


def test_clearing_the_words_says_nothing_is_written(page, live_server, world):
    _open_editor(page, live_server, world)

    page.get_by_label("The words of the letter").fill("")

    expect(page.locator("#wording-check-result")).to_contain_text("Nothing written yet.")


def test_editor_is_accessible_with_no_findings(page, live_server, world):
    _open_editor(page, live_server, world)

    expect(page.locator("#wording-check-result")).to_contain_text("Easy to read for most people")
    assert_accessible(page)


def test_editor_is_accessible_with_findings(page, live_server, world):
    _open_editor(page, live_server, world)

    page.get_by_label("The words of the letter").fill(
        "Going forward we will leverage stakeholder engagement."
    )

    expect(page.locator("#plainer-words li")).to_have_count(4)
    assert_accessible(page)


def test_editor_is_accessible_with_the_too_long_error(page, live_server, world):
    _open_editor(page, live_server, world)
    page.get_by_label("The words of the letter").fill("Come along. " * 600)

    page.get_by_role("button", name="Save the words").click()

    expect(page.locator("#text-error")).to_contain_text("The letter is too long")
    expect(page.get_by_label("The words of the letter")).to_have_attribute("aria-invalid", "true")
    assert not LetterWording.objects.exists()
    assert_accessible(page)
