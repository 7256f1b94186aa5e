"""Issue 17's "done means", in one real browser: a coordinator imports a SIMS-style export of 600
contacts for 400 children, sees the mapping and the households, confirms; finds one parent by searching,
fixes their email, and merges a duplicate a walk-in made; the facilitator's "no reply yet" number on
"Who is coming" leads to exactly those names. The steps' own pages are scanned by their own tests
(test_school_import, test_list_search, test_edit_person, test_merge); this is the whole journey."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from invitations.models import Invitee
from tests.factories import InvitationFactory
from tests.fixtures.exports.make_big import big_sims_export

from .conftest import sign_in

NEW_EMAIL = "grace.obi.new@example.org"


def test_a_coordinator_works_with_a_list_at_school_size(page, live_server, world, browser):
    school = big_sims_export(children=400, contacts=600)
    sign_in(page, live_server, world.user("coordinator"))
    list_url = live_server.url + reverse("invitations:list", args=[world.programme.pk])

    # The export: its mapping, then the people and households, then confirm.
    page.goto(list_url)
    page.get_by_role("link", name="Add people from a spreadsheet (CSV)").click()
    page.get_by_label("Your CSV file").set_input_files(
        files=[{"name": "sims-contacts.csv", "mimeType": "text/csv", "buffer": school.text.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#system")).to_contain_text("This looks like an export from SIMS")
    page.get_by_role("button", name="Use these columns and check the people").click()
    expect(
        page.get_by_role("heading", name=f"{school.households} households: one invitation for each home")
    ).to_be_visible()
    page.get_by_role("button", name=f"Add the {school.invited} people marked “will add”").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Added {school.invited} people to the list.")
    assert world.programme.invitations.count() == school.invited

    # A walk-in on the day wrote her name another way: the list says so.
    # (A school of 400 children has more than one Grace Obi: this one is known by her email.)
    grace = Invitee.objects.filter(neighbourhood=world.neighbourhood, name="Grace Obi").exclude(email="")[0]
    InvitationFactory(
        programme=world.programme,
        met_on_the_day=True,
        invitee__neighbourhood=world.neighbourhood,
        invitee__name="grace  OBI",
        invitee__organisation=world.school,
        invitee__email="",
        invitee__channel="letter",
    )

    # Find her by searching, among hundreds, and fix her email.
    page.goto(list_url)
    page.get_by_label("Name, email or phone").fill(grace.email.upper())
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#list-showing")).to_contain_text("of 1 matching")
    page.get_by_role("link", name="Edit the details of Grace Obi", exact=True).click()
    page.get_by_label("Email address").fill(NEW_EMAIL)
    page.get_by_role("button", name="Save the changes").click()
    expect(page.locator(".alert-success")).to_contain_text("Saved the changes to Grace Obi")
    grace.refresh_from_db()
    assert grace.email == NEW_EMAIL

    # Merge the duplicate into her.
    page.goto(list_url)
    page.get_by_role("link", name=re.compile(r"people may be on the list twice")).click()
    pair = (
        page.locator("#duplicates > li")
        .filter(has_text=re.compile(r"grace\s+OBI"))
        .filter(has_text=NEW_EMAIL)
    )
    pair.get_by_role("link", name="Compare and merge").click()
    page.get_by_role("button", name="Merge them into one person").click()
    expect(page.locator(".alert-success")).to_contain_text("Merged into one person")
    assert not Invitee.objects.filter(name="grace  OBI").exists()
    assert grace.invitations.get().programme == world.programme
    assert world.programme.invitations.count() == school.invited

    # The facilitator's "no reply yet" leads to the names behind it.
    page.context.clear_cookies()
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("invitations:sheets", args=[world.programme.pk]))
    link = page.get_by_role("link", name=re.compile(r"\(everyone with no reply yet\): show their names"))
    number = int(link.inner_text())
    assert number == school.invited
    link.click()
    expect(page.locator("#list-showing")).to_contain_text(f"of {number:,} matching")
