"""A facilitator shows a data protection officer, in a real browser on a phone: a programme's retention
plan, finding a person by name (two match: she chooses one), downloading all we hold about them in one
click, and erasing them; then deleting a finished programme's personal data now. Every page fits the
screen and axe finds nothing."""

import json
from pathlib import Path

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from invitations.models import Invitee
from tests.factories import InvitationFactory
from tests.records.privacy_helpers import also_on, held_programme, person_on

from .conftest import PHONE, assert_accessible, sign_in


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def checked(page) -> None:
    fits_the_phone(page)
    assert_accessible(page)


def test_a_facilitator_finds_a_person_downloads_what_we_hold_and_erases_them(page, live_server, world):
    old = held_programme(world, days_ago=40, title="Better Together last spring")
    grace = person_on(
        old,
        name="Grace Obi",
        email="grace.obi@millbrook-community-partnership.org.uk",
        phone="0161 496 0000",
        organisation=world.school,
    )
    also_on(world.programme, grace)
    InvitationFactory(
        programme=world.programme,
        invitee__name="Gráce OBI",
        invitee__email="g.obi@example.org",
        invitee__organisation=world.other_school,
    )
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, world.user("facilitator"))

    page.goto(live_server.url + reverse("events:programme_detail", args=[old.pk]))
    section = page.locator(
        "section", has=page.get_by_role("heading", name="Personal data: how long we keep it")
    )
    expect(section).to_contain_text("Needs: deleted on")
    section.get_by_role("link", name="Find one person's data").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Find a person's data")
    checked(page)
    page.get_by_label("Name, email address or phone number").fill("grace obi")
    page.get_by_role("button", name="Find").click()

    expect(page.get_by_role("heading", name="2 people found")).to_be_visible()
    expect(page.locator("#found > li")).to_have_count(2)
    checked(page)
    page.locator("#found > li").filter(has_text="Millbrook Primary").get_by_role(
        "link", name="Grace Obi", exact=True
    ).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("All we hold about Grace Obi")
    expect(page.get_by_role("heading", name="Better Together last spring")).to_be_visible()
    expect(page.get_by_role("heading", name=world.programme.title)).to_be_visible()
    checked(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as JSON").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["person"]["name"] == "Grace Obi"
    assert len(data["programmes"]) == 2
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Download as a PDF").click()
    assert Path(pdf.value.path()).read_bytes()[:5] == b"%PDF-"

    page.get_by_role("link", name="Erase this person…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase Grace Obi?")
    checked(page)
    page.get_by_role("button", name="Erase them").click()

    expect(page.get_by_role("status")).to_contain_text("Their details and needs have been deleted")
    expect(page.get_by_role("heading", level=1)).to_have_text("All we hold about Someone who took part")
    expect(page.locator("#erased")).to_be_visible()
    checked(page)
    person = Invitee.objects.get(pk=grace.invitee_id)
    assert (person.name, person.email, person.phone) == ("Someone who took part", "", "")


def test_a_facilitator_deletes_a_finished_programmes_personal_data_now(page, live_server, world):
    old = held_programme(world, days_ago=5, title="Better Together last spring")
    joy = person_on(old, name="Joy Mensah", email="joy.mensah@example.org")
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, world.user("facilitator"))

    page.goto(live_server.url + reverse("events:programme_detail", args=[old.pk]))
    page.get_by_role("link", name="Delete its personal data now").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Delete the personal data of")
    checked(page)
    page.get_by_role("button", name="Delete the personal data now").click()

    expect(page.get_by_role("status")).to_contain_text("the contact details of 1 person")
    today = date_format(timezone.localdate(), "j F Y")
    expect(page.locator("#retention-plan")).to_contain_text(f"Needs: deleted on {today}.")
    expect(page.locator("#retention-plan")).to_contain_text(f"Contact details: deleted on {today}.")
    checked(page)
    assert Invitee.objects.get(pk=joy.invitee_id).name == "Someone who took part"
