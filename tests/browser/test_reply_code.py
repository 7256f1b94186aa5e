"""The school office types the code from a reply slip and records the boxes ticked on it; axe on the code
page, empty and with the "not found" message."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from events.enums import ProgrammeStatus
from invitations.models import Reply
from tests.factories import InvitationFactory

from .conftest import assert_accessible, sign_in


@pytest.fixture
def invitation(world):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    invitation = InvitationFactory(
        programme=world.programme,
        invitee__name="Amira Khan",
        invitee__email="",
        invitee__channel="letter",
        invitee__organisation=world.school,
    )
    invitation.reply_code = "ACD479"
    invitation.save(update_fields=["reply_code"])
    return invitation


def on(session) -> str:
    return session.date.strftime("%A %-d %B")


def test_the_office_types_a_reply_code_and_records_the_ticks(page, live_server, world, invitation):
    sign_in(page, live_server, world.user("coordinator"))
    page.goto(live_server.url + reverse("invitations:list", args=[world.programme.pk]))

    page.get_by_role("link", name="Type in a reply slip").click()

    expect(page.get_by_role("heading", name="Type in a reply slip")).to_be_visible()
    field = page.get_by_label("Reply code from the slip")
    expect(field).to_be_focused()
    assert_accessible(page)

    # A mistyped code: a message beside the field, which keeps what was typed to check against the slip.
    field.fill("ACD 476")
    page.get_by_role("button", name="Find the reply").click()
    error = page.locator("#code-error")
    expect(error).to_contain_text("We couldn't find that code.")
    expect(error).to_contain_text("never use the letters O, I, L, S, Z or B")
    expect(field).to_have_value("ACD 476")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    # The right one, typed as people do.
    field.fill("acd 479")
    page.get_by_role("button", name="Find the reply").click()

    expect(page.get_by_role("heading", name="Record a reply from Amira Khan")).to_be_visible()
    expect(page.get_by_label("Reply slip")).to_be_checked()
    sessions = list(world.programme.sessions.active().order_by("date", "start_time"))
    for session in sessions[:2]:
        page.get_by_role("group", name=on(session)).get_by_text("Coming", exact=True).click()
    for session in sessions[2:]:
        page.get_by_role("group", name=on(session)).get_by_text("Can't come", exact=True).click()
    page.get_by_label("How many children will need the crèche?").fill("1")
    page.get_by_label("Yes, they agreed we may keep their needs").check()  # the slip's box
    page.get_by_role("button", name="Save their reply").click()

    # Back on the code page, ready for the next slip.
    expect(page.locator(".alert-success")).to_contain_text("Saved the reply from Amira Khan.")
    expect(page.get_by_label("Reply code from the slip")).to_be_focused()
    reply = Reply.objects.get(invitation=invitation)
    assert (reply.source, reply.recorded_by, reply.childcare_children) == (
        "paper",
        world.user("coordinator"),
        1,
    )
    assert sorted(reply.answers.values_list("answer", flat=True)) == ["no", "no", "yes", "yes"]
