"""A half-day workshop: the facilitator turns three of the all-day's themes into actions, a parent who
leads one posts an update from the link emailed to them, and the next workshop's page shows it. Axe on
every page visited. The email task runs inline and sends to the SMTP sink."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from artwork.models import Theme
from evaluations.models import Attendance, Word
from invitations.models import Reply, SessionAnswer
from tests.factories import InvitationFactory

from .conftest import assert_accessible, sign_in


@pytest.fixture(autouse=True)
def _eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def workshop(world):
    """The all-day was last week, the first half-day is today, the next one in a fortnight."""
    today = timezone.localdate()
    sessions = {session.order: session for session in world.programme.sessions.all()}
    for order, days in ((1, -7), (2, 0), (3, 14), (4, 28)):
        sessions[order].date = today + timedelta(days=days)
        sessions[order].save()
    for name in ("Safe streets", "Somewhere to play", "Feeling listened to"):
        Theme.objects.create(programme=world.programme, name=name, key=name.lower())
    amina = InvitationFactory(
        programme=world.programme, invitee__name="Amina Khan", invitee__email="amina@example.org"
    )
    jones = InvitationFactory(
        programme=world.programme,
        invitee__name="Mr Jones",
        invitee__category="school_staff",
        invitee__staff_role="teacher",
        invitee__organisation=world.school,
    )
    sam = InvitationFactory(
        programme=world.programme, invitee__name="Sam Ode", invitee__category="group_worker"
    )
    Attendance.objects.create(session=sessions[1], invitation=amina)
    Attendance.objects.create(session=sessions[1], invitation=jones)
    SessionAnswer.objects.create(
        reply=Reply.objects.create(invitation=sam), session=sessions[2], answer="yes"
    )
    for said in ("Hopeful", "hopeful", "Together"):
        Word.objects.create(session=sessions[1], said=said, normalised=said.lower())
    return sessions


def turn_into_an_action(page, theme: str) -> None:
    card = page.locator("#themes li").filter(has=page.get_by_role("heading", name=theme))
    card.get_by_role("link", name=re.compile("Turn into an action")).click()


def add_action_from(page, theme: str, what: str, lead: str) -> None:
    turn_into_an_action(page, theme)
    expect(page.get_by_role("heading", name="Add an action")).to_be_visible()
    expect(page.get_by_role("checkbox", name=theme)).to_be_checked()
    page.get_by_label("What will we do?").fill(what)
    page.get_by_label("Who leads it?").select_option(label=lead)
    page.get_by_label("Where is it up to?").select_option(label="Agreed")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Added the action “{what}”.")).to_be_visible()


def test_half_day_actions_from_themes_to_a_leads_update(page, live_server, world, workshop, smtp_sink):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("events:session_detail", args=[workshop[2].pk]))
    assert_accessible(page)
    page.get_by_role("link", name="Plan and follow actions").click()

    expect(page.get_by_role("heading", name="What the all-day raised")).to_be_visible()
    expect(page.locator("#words")).to_contain_text("Hopeful × 2")
    assert_accessible(page)

    # An agreed action needs a lead: the form says so beside the field.
    turn_into_an_action(page, "Safe streets")
    page.get_by_label("What will we do?").fill("A walking bus")
    page.get_by_label("Where is it up to?").select_option(label="Agreed")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("once it is agreed someone needs to lead it")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Cancel").click()

    add_action_from(page, "Safe streets", "A walking bus", "Amina Khan — Parent")
    add_action_from(page, "Somewhere to play", "Open the playground after school", "Mr Jones — School staff")
    add_action_from(page, "Feeling listened to", "A parents' coffee morning", "Sam Ode — Local group")
    expect(page.locator("#actions tbody tr")).to_have_count(3)
    assert_accessible(page)

    page.get_by_role("link", name="A walking bus").click()
    assert_accessible(page)
    page.get_by_role("button", name="Email the lead their link").click()
    expect(page.get_by_text("The link is on its way to Amina Khan.")).to_be_visible()
    expect(page.locator("#link-state")).to_contain_text("Sent")
    assert_accessible(page)

    messages = smtp_sink.to("amina@example.org")
    assert len(messages) == 1
    body = messages[0].get_body(("plain",)).get_content()
    path = re.search(r"https?://[^/\s]+(/a/[\w-]+/)", body).group(1)

    # The lead opens it in their own browser, without an account.
    lead_page = page.context.browser.new_context().new_page()
    lead_page.goto(live_server.url + path)
    expect(lead_page.get_by_role("heading", name="A walking bus")).to_be_visible()
    assert_accessible(lead_page)
    lead_page.get_by_label("What has happened?").fill("Six families walked together on Monday.")
    lead_page.get_by_label("Under way").check()
    lead_page.get_by_role("button", name="Send my update").click()
    expect(lead_page.get_by_role("heading", name="Thank you, Amina")).to_be_visible()
    assert_accessible(lead_page)
    lead_page.context.close()

    page.goto(live_server.url + reverse("actions:session_actions", args=[workshop[3].pk]))
    expect(
        page.get_by_role("heading", name=re.compile("What changed since the last workshop"))
    ).to_be_visible()
    changes = page.locator("#changes")
    expect(changes).to_contain_text("Six families walked together on Monday.")
    expect(changes).to_contain_text("Was “Agreed”, now “Under way”.")
    expect(changes.get_by_text("No change yet")).to_have_count(2)
    assert_accessible(page)

    page.get_by_role("link", name="All the programme's actions and who leads them").click()
    expect(page.locator("#leadership")).to_contain_text("1 led by parents and carers")
    expect(page.get_by_text("Leadership is shared between parents, schools and groups.")).to_be_visible()
    assert_accessible(page)


def test_a_lead_without_email_gets_a_link_to_print(page, live_server, world, workshop):
    from actions.models import Action

    lead = InvitationFactory(
        programme=world.programme,
        invitee__name="Grace Obi",
        invitee__email="",
        invitee__channel="letter",
        invitee__organisation=world.school,
    )
    Attendance.objects.create(session=workshop[1], invitation=lead)
    action = Action.objects.create(programme=world.programme, what="A book swap", lead=lead, status="agreed")
    sign_in(page, live_server, world.user("facilitator"))

    page.goto(live_server.url + reverse("actions:detail", args=[action.pk]))
    expect(page.locator("#no-email")).to_contain_text("Give them a printed link?")
    page.get_by_role("button", name="Make a link to print").click()

    expect(page.get_by_role("heading", name="Thank you for leading this, Grace")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your link")).to_be_visible()
    assert_accessible(page)
    address = page.locator("#link-address").inner_text()
    page.goto(live_server.url + "/a/" + address.rstrip("/").rsplit("/", 1)[1] + "/")
    expect(page.get_by_role("heading", name="A book swap")).to_be_visible()
