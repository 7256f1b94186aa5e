"""Staff in a real browser, on a phone: from the list a facilitator corrects a parent's email (an address
someone else has is refused beside the field first), sees the change in the person's history, and undoes
it; a school coordinator removes a parent who replied (the page says what they answered) and puts them
back."""

from django.urls import reverse
from playwright.sync_api import expect

from invitations.enums import Answer
from invitations.models import Invitee
from invitations.services.replies import save_reply
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory, InviteeFactory

from .conftest import PHONE, assert_accessible, sign_in

NAME = "Zofia Wiśniewska-Kowalczyk"
OLD = "zofia.household@millbrook-community-partnership.org.uk"
NEW = "zofia.wisniewska@millbrook-community-partnership.org.uk"


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_facilitator_edits_an_email_sees_the_history_and_undoes_it(page, live_server, world):
    invitation = InvitationFactory(
        programme=world.programme,
        invitee__name=NAME,
        invitee__email=OLD,
        invitee__organisation=world.school,
        invitee__address="Flat 12, Bridgewater-under-Lyme Court, 3 Mill Lane",
    )
    InviteeFactory(neighbourhood=world.neighbourhood, email="grace@example.org")
    sync_schedule(programme=world.programme)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("invitations:list", args=[world.programme.pk]))

    row = page.locator("#invitations tbody tr").filter(has_text=NAME)
    row.get_by_role("link", name=f"Edit the details of {NAME}").click()

    expect(page.get_by_role("heading", name=f"Details of {NAME}")).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_value(OLD)
    expect(page.get_by_label("Home address")).to_have_value(
        "Flat 12, Bridgewater-under-Lyme Court, 3 Mill Lane"
    )
    fits_the_phone(page)
    assert_accessible(page)

    page.get_by_label("Email address").fill("grace@example.org")
    page.get_by_role("button", name="Save the changes").click()

    expect(page.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Someone else in this neighbourhood has this email address.")).to_be_visible()
    fits_the_phone(page)
    assert_accessible(page)

    page.get_by_label("Email address").fill(NEW)
    page.get_by_role("button", name="Save the changes").click()

    expect(page.get_by_role("heading", name="Invitations", exact=True)).to_be_visible()
    expect(page.locator(".alert-success")).to_contain_text(f"Saved the changes to {NAME}")
    assert Invitee.objects.get(pk=invitation.invitee_id).email == NEW

    row = page.locator("#invitations tbody tr").filter(has_text=NAME)
    row.get_by_role("link", name=f"History of {NAME}").click()

    expect(page.get_by_role("heading", name=f"History of {NAME}")).to_be_visible()
    line = page.locator("#history > li").first
    expect(line).to_contain_text("Details changed")
    expect(line).to_contain_text("by Fatima")
    expect(line.get_by_text("Email address:")).to_be_visible()
    # "→" is for the eye; a screen reader hears "… changed to …".
    expect(line.get_by_role("listitem")).to_have_text(f"Email address: {OLD} →changed to {NEW}")
    fits_the_phone(page)
    assert_accessible(page)

    line.get_by_role("button", name="Undo this change").click()

    expect(page.locator(".alert-success")).to_contain_text("Undone.")
    expect(page.locator("#history > li").first).to_contain_text("Change undone")
    expect(page.locator("#history").get_by_text("Undone on")).to_be_visible()
    expect(page.get_by_role("button", name="Undo this change")).to_have_count(0)
    fits_the_phone(page)
    assert_accessible(page)
    assert Invitee.objects.get(pk=invitation.invitee_id).email == OLD


def test_coordinator_removes_someone_who_replied_and_puts_them_back(page, live_server, world):
    invitation = InvitationFactory(
        programme=world.programme, invitee__name=NAME, invitee__email=OLD, invitee__organisation=world.school
    )
    sessions = list(world.programme.sessions.order_by("order"))
    save_reply(
        invitation=invitation,
        answers={sessions[0].pk: Answer.YES, sessions[1].pk: Answer.MAYBE, sessions[2].pk: Answer.NO},
        details={},
    )
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, world.user("coordinator"))
    page.goto(live_server.url + reverse("invitations:list", args=[world.programme.pk]))

    page.locator("#invitations tbody tr").filter(has_text=NAME).get_by_role(
        "link", name=f"Remove {NAME} from the list"
    ).click()

    expect(page.get_by_role("heading", name=f"Remove {NAME} from this programme's list?")).to_be_visible()
    past = page.locator("#past")
    expect(past).to_contain_text("Coming")
    expect(past).to_contain_text("Not sure yet")
    expect(past).to_contain_text("stay in the counts of what happened")
    fits_the_phone(page)
    assert_accessible(page)

    page.get_by_role("button", name="Remove them all the same").click()

    expect(page.locator(".alert-success")).to_contain_text(f"{NAME} is off this programme's list")
    invitation.refresh_from_db()
    assert invitation.removed_at is not None

    page.goto(live_server.url + reverse("invitations:remove", args=[world.programme.pk, invitation.pk]))
    expect(page.get_by_role("heading", name=f"{NAME} is off this list")).to_be_visible()
    page.get_by_role("button", name="Put back on the list").click()

    expect(page.locator(".alert-success")).to_contain_text(f"{NAME} is back on the list")
    invitation.refresh_from_db()
    assert invitation.removed_at is None
