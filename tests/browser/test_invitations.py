"""Building an invitation list in a real browser: a CSV upload, its preview, the list and its balance;
the one-person form with an error; and the sent-mail pages of the embedded default."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from core import outbox
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.models import Invitation
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory

from .conftest import assert_accessible, sign_in

PEOPLE_CSV = (
    "\ufeffname,category,role,organisation,email,phone,language,channel\r\n"
    '"Okafor, Grace",school staff,teacher,Millbrook Primary,g.okafor@example.org,,,\r\n'
    "Zoé Martin,parent,,Millbrook Primary,zoe@example.org,07700 900123,Polish,\r\n"
    "Evil Eve,parent,,Millbrook Primary,Evil <eve@example.org>,,,\r\n"
).encode()


def test_facilitator_uploads_a_csv_checks_the_preview_and_adds_the_people(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + world.programme.get_absolute_url())

    page.get_by_role("link", name="The invitation list").click()
    expect(page.get_by_role("heading", name="Invitations", exact=True)).to_be_visible()
    page.get_by_role("link", name="Add people from a spreadsheet (CSV)").click()
    expect(page.get_by_role("heading", name="Add people from a spreadsheet")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Your CSV file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": PEOPLE_CSV}]
    )
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="Check the people in your file")).to_be_visible()
    rows = page.locator("#preview tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("will add")
    expect(rows.nth(1)).to_contain_text("Zoé Martin")
    expect(rows.nth(2)).to_contain_text("“Evil <eve@example.org>” is not a single email address.")
    assert Invitation.objects.count() == 0  # nothing is saved before the confirmation
    assert_accessible(page)

    page.get_by_role("button", name="Add the 2 people marked “will add”").click()

    expect(page.get_by_role("heading", name="Invitations", exact=True)).to_be_visible()
    expect(page.locator(".alert-success")).to_contain_text("Added 2 people to the list.")
    expect(page.locator(".alert-success")).to_contain_text("1 row with a problem was not added")
    people = page.locator("#invitations")
    expect(people).to_contain_text("Okafor, Grace")
    expect(people).to_contain_text("Zoé Martin")
    expect(people).not_to_contain_text("Evil Eve")
    balance = page.locator("#balance")
    expect(balance.get_by_role("row", name="Parents and carers")).to_contain_text("50%")
    expect(balance.get_by_role("row", name="School staff")).to_contain_text("50%")
    expect(page.locator("#balance-warning")).to_contain_text("Local groups and agencies: only 0 of 2 (0%)")
    expect(page.locator("#draft-notice")).to_contain_text("Nothing will be sent yet.")
    assert sorted(Invitation.objects.values_list("invitee__name", flat=True)) == [
        "Okafor, Grace",
        "Zoé Martin",
    ]
    assert_accessible(page)


def test_file_level_error_is_shown_beside_the_file_and_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("invitations:import", args=[world.programme.pk]))

    page.get_by_label("Your CSV file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": b"name,catagory\nAmira,parent\n"}]
    )
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_label("Your CSV file")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("is “catagory” meant to be it?")).to_be_visible()
    assert Invitation.objects.count() == 0
    assert_accessible(page)


def test_add_form_with_an_error_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("invitations:add", args=[world.programme.pk]))
    assert_accessible(page)

    page.get_by_label("Name").fill("Helen Carter")
    page.get_by_label("School staff").check()
    page.get_by_label("Organisation or school").select_option(label="Millbrook Primary")
    page.get_by_label("Email address").fill("h.carter@example.org")
    page.get_by_role("button", name="Add to the list").click()

    expect(page.get_by_label("Role at school")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("School staff need a role")).to_be_visible()
    assert Invitation.objects.count() == 0
    assert_accessible(page)

    page.get_by_label("Role at school").select_option(label="Teacher")
    page.get_by_role("button", name="Add to the list").click()

    expect(page.locator(".alert-success")).to_contain_text("Helen Carter is on the list.")
    expect(page.locator("#invitations")).to_contain_text("Teacher")


def test_coordinator_adds_a_parent_by_letter(page, live_server, world):
    sign_in(page, live_server, world.user("coordinator"))
    page.goto(live_server.url + reverse("invitations:list", args=[world.programme.pk]))
    expect(page.get_by_role("button", name="Invite all the groups")).to_have_count(0)

    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Name").fill("Shabana Begum")
    page.get_by_label("Parent or carer").check()
    page.get_by_label("Preferred language").select_option(label="Bengali")
    page.get_by_label("Letter through school").check()
    page.get_by_role("button", name="Add to the list").click()

    expect(page.locator("#invitations")).to_contain_text("Shabana Begum")
    expect(page.locator("#invitations")).to_contain_text("letter due")
    assert Invitation.objects.get().invitee.organisation == world.school
    assert_accessible(page)


@pytest.fixture
def sent_mail(world, settings, tmp_path):
    """The embedded default in DEBUG, with one invitation really sent into its mail folder."""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "core.mailbox.MailboxBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    programme = world.programme
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    first = programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=10)
    events_services.save_session(session=first)
    InvitationFactory(programme=programme, invitee__name="Amira Khan", invitee__email="amira@example.org")
    sync_schedule(programme=programme)
    assert outbox.dispatch_due().sent == 1


def test_facilitator_opens_sent_mail_and_follows_the_reply_link(page, live_server, world, sent_mail):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("events:dashboard"))

    page.get_by_role("link", name="Sent mail (this copy of the site only)").click()
    expect(page.get_by_role("heading", name="Sent mail")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=f"You're invited: {world.programme.title}").click()

    expect(page.locator("#headers")).to_contain_text("amira@example.org")
    expect(page.locator("#attachments")).to_contain_text("better-together.ics")
    frame = page.frame_locator("iframe[title='The email as it looks']")
    expect(frame.get_by_text("Hello Amira,")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Open the reply link, as they would").click()

    expect(page.get_by_role("heading", name="Hello Amira")).to_be_visible()
