"""A school's coordinator imports their SIMS export in a real browser (issue 17, parts 5 and 6): 600
contacts for 400 children, the mapping with the system named, the households, the confirmation, and the
list with one person for each home. Each step's page is checked with axe and at 360 px."""

from urllib.parse import urlsplit

from django.urls import reverse
from playwright.sync_api import expect

from events.enums import ProgrammeStatus
from invitations.models import ImportMapping, Invitation
from invitations.services.emails import issue_reply_link
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory
from tests.fixtures.exports.make_big import big_sims_export

from .conftest import PHONE, assert_accessible, sign_in
from .test_accessibility import WIDER_THAN_THE_WINDOW


def fits_a_phone(page, *, scan: bool = True) -> None:
    """Nothing makes the page scroll sideways at 360 px wide, and axe finds nothing there (``scan``:
    a scan of a page of 600 rows takes half a minute, so the big import scans its preview once, and the
    small one below scans each page at both widths); then back to the desktop."""
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    assert page.evaluate(WIDER_THAN_THE_WINDOW) == [], page.url
    if scan:
        assert_accessible(page)
    page.set_viewport_size(size)


def test_a_coordinator_imports_a_sims_export_of_600_contacts_for_400_children(page, live_server, world):
    school = big_sims_export(children=400, contacts=600)
    sign_in(page, live_server, world.user("coordinator"))
    page.goto(live_server.url + reverse("invitations:list", args=[world.programme.pk]))

    page.get_by_role("link", name="Add people from a spreadsheet (CSV)").click()
    expect(page.get_by_label("Which school is this file from?")).to_have_value(str(world.school.pk))
    page.get_by_label("Your CSV file").set_input_files(
        files=[{"name": "sims-contacts.csv", "mimeType": "text/csv", "buffer": school.text.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()

    # The mapping, with the system named, before anything else.
    expect(page.get_by_role("heading", name="Match the columns of your file")).to_be_visible()
    expect(page.locator("#system")).to_contain_text("This looks like an export from SIMS")
    expect(page.get_by_label("First name", exact=True)).to_have_value("contact forename")
    expect(page.get_by_label("Parental responsibility")).to_have_value("parental responsibility")
    expect(page.get_by_label("Do not contact")).to_have_value("court order")
    expect(page.locator("#file-columns")).to_contain_text("Contact Email")
    assert_accessible(page)
    fits_a_phone(page)
    page.get_by_role("button", name="Use these columns and check the people").click()

    # The preview: one row per contact, the households, who is not invited.
    expect(page.get_by_role("heading", name="Check the people in your file")).to_be_visible()
    expect(page.locator("#reading")).to_contain_text("Read as an export from SIMS, from Millbrook Primary")
    expect(page.locator("#reading")).to_contain_text(f"{school.rows} rows in the file, for 600 people")
    expect(page.locator("#summary")).to_contain_text(f"will add {school.invited} people")
    expect(page.locator("#summary")).to_contain_text(f"not invited {school.not_invited} contacts")
    expect(
        page.get_by_role("heading", name=f"{school.households} households: one invitation for each home")
    ).to_be_visible()
    page.get_by_text("Show the households").click()
    expect(page.locator("#households")).to_contain_text(
        "Obi household: Grace Obi (invited), Daniel Obi (same home)"
    )
    expect(page.locator("#preview tbody tr")).to_have_count(600)
    assert Invitation.objects.count() == 0  # nothing is saved before the confirmation
    assert ImportMapping.objects.get().organisation == world.school
    assert_accessible(page)
    fits_a_phone(page, scan=False)

    page.get_by_role("button", name=f"Add the {school.invited} people marked “will add”").click()

    expect(page.locator(".alert-success")).to_contain_text(f"Added {school.invited} people to the list.")
    expect(page.locator(".alert-success")).to_contain_text(f"{school.not_invited} contacts were not invited")
    expect(page.locator("#people-heading")).to_contain_text(f"({school.invited}")
    assert world.programme.invitations.count() == school.invited
    assert_accessible(page)


def test_the_next_export_with_the_same_columns_goes_straight_to_the_check(page, live_server, world):
    school = big_sims_export(children=16, contacts=24)
    sign_in(page, live_server, world.user("coordinator"))
    url = live_server.url + reverse("invitations:import", args=[world.programme.pk])
    file = {"name": "sims-contacts.csv", "mimeType": "text/csv", "buffer": school.text.encode()}
    page.goto(url)
    page.get_by_label("Your CSV file").set_input_files(files=[file])
    page.get_by_role("button", name="Check the file").click()
    page.get_by_label("Other phone number").select_option("")
    page.get_by_role("button", name="Use these columns and check the people").click()
    expect(page.get_by_role("heading", name="Check the people in your file")).to_be_visible()

    page.goto(url)
    page.get_by_label("Your CSV file").set_input_files(files=[file])
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="Check the people in your file")).to_be_visible()
    expect(page.locator("#reading")).to_contain_text("using the mapping you saved on")
    expect(page.locator("#households")).to_contain_text("household")
    assert_accessible(page)
    fits_a_phone(page)
    page.get_by_role("button", name="Change the mapping").click()
    expect(page.get_by_role("heading", name="Match the columns of your file")).to_be_visible()
    expect(page.get_by_label("Other phone number")).to_have_value("")
    expect(page.get_by_label("Surname", exact=True)).to_have_value("contact surname")
    page.get_by_label("Surname", exact=True).select_option("")
    page.get_by_role("button", name="Use these columns and check the people").click()

    expect(page.locator("#mapping-errors")).to_contain_text(
        "Without the contact's name we cannot invite anyone"
    )
    assert Invitation.objects.count() == 0
    assert_accessible(page)
    fits_a_phone(page)


def test_the_upload_page_and_a_homes_reply_page_fit_a_phone_and_are_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("invitations:import", args=[world.programme.pk]))
    expect(page.get_by_role("heading", name="A list from your school's records system")).to_be_visible()
    expect(page.get_by_label("Which school is this file from?")).to_have_value("")
    assert_accessible(page)
    fits_a_phone(page)

    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    invitation = InvitationFactory(programme=world.programme, invitee__adults_at_home=2)
    sync_schedule(programme=world.programme)
    link, _unsubscribe = issue_reply_link(invitation=invitation)
    page.goto(live_server.url + urlsplit(link).path)
    expect(page.get_by_label("How many people are coming with you?")).to_be_visible()
    expect(page.get_by_text("Count the other adult from your home if they are coming")).to_be_visible()
    assert_accessible(page)
    fits_a_phone(page)
