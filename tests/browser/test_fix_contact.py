"""A school office in a real browser, on a phone: the list marks an email that bounced and where the
person was moved, the Fix page refuses a landline beside the field, and a new address puts them back."""

from django.urls import reverse
from playwright.sync_api import expect

from invitations.enums import Channel
from invitations.models import Invitee
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory

from .conftest import PHONE, assert_accessible, sign_in

BOUNCE = "550 5.1.1 <amira.khan-rahmanova.household@millbrook-community-partnership.org.uk>: No such user"


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_coordinator_fixes_a_bounced_email_from_the_list(page, live_server, world):
    invitation = InvitationFactory(
        programme=world.programme,
        invitee__name="Amira Khan-Rahmanova",
        invitee__email="amira.khan-rahmanova.household@millbrook-community-partnership.org.uk",
        invitee__organisation=world.school,
        invitee__mobile="+447700900123",
        invitee__texts_agreed=True,
        invitee__channel=Channel.LETTER,
        invitee__email_failed=BOUNCE,
        invitee__fell_back_from=Channel.EMAIL,
    )
    sync_schedule(programme=world.programme)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, world.user("coordinator"))
    page.goto(live_server.url + reverse("invitations:list", args=[world.programme.pk]))

    row = page.locator("#invitations tbody tr").filter(has_text="Amira Khan-Rahmanova")
    expect(row).to_contain_text("Email not working — 550 5.1.1")
    expect(row).to_contain_text("now by letter through Millbrook Primary")
    expect(row).to_contain_text("07700 900123")
    fits_the_phone(page)
    assert_accessible(page)

    row.get_by_role("link", name="Fix").click()
    expect(page.get_by_role("heading", name="Contact details of Amira Khan-Rahmanova")).to_be_visible()
    expect(page.get_by_label("Mobile number")).to_have_value("07700 900123")
    page.get_by_label("Mobile number").fill("020 7946 0000")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_label("Mobile number")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("That looks like a landline.")).to_be_visible()
    fits_the_phone(page)
    assert_accessible(page)

    page.get_by_label("Mobile number").fill("07700 900123")
    page.get_by_label("Email address").fill("amira@example.org")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Invitations", exact=True)).to_be_visible()
    expect(page.locator(".alert-success")).to_contain_text("messages now go by: Email")
    expect(page.locator("#invitations")).not_to_contain_text("Email not working")
    person = Invitee.objects.get(pk=invitation.invitee_id)
    assert (person.email, person.email_failed, person.channel) == ("amira@example.org", "", Channel.EMAIL)


def test_add_form_with_a_bad_mobile_is_accessible_on_a_phone(page, live_server, world):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("invitations:add", args=[world.programme.pk]))

    page.get_by_label("Name").fill("Chidi Okafor")
    page.get_by_label("Parent or carer").check()
    page.get_by_label("Mobile number").fill("0800 123 4567")
    page.get_by_role("radio", name="Text message").check()
    page.get_by_role("button", name="Add to the list", exact=True).click()

    expect(page.get_by_label("Mobile number")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("That is a freephone or service number.")).to_be_visible()
    fits_the_phone(page)
    assert_accessible(page)
