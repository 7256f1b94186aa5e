"""The issue's browser test, end to end: a parent opens the reply link from a real email (caught by the SMTP
sink) on a phone, answers, changes the answer, and the facilitator's sheets show exactly that. Then an axe
scan of every sheet with replies on it."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from core import outbox
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import Answer, Category, StaffRole
from invitations.services import replies, sheets
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory

from .conftest import PHONE, assert_accessible, sign_in

# The reply link on a line of its own; the unsubscribe link (".../r/<token>/unsubscribe/") is not it.
REPLY_LINK = re.compile(r"https?://\S+/r/[A-Za-z0-9_-]+/")


def reply_link_from(message, live_server) -> str:
    """The reply link in the text part of an email, pointed at the test server instead of SITE_URL."""
    text = message.get_body(("plain",)).get_content()
    links = [line.strip() for line in text.splitlines() if REPLY_LINK.fullmatch(line.strip())]
    assert len(links) == 1, text
    assert links[0].startswith(settings.SITE_URL + "/")
    return live_server.url + links[0].removeprefix(settings.SITE_URL)


def on(session) -> str:
    """How the reply page names a session (its fieldset's legend)."""
    return date_format(session.date, "l j F")


def choose(page, session, answer: str) -> None:
    """Press the answer: the radio button is drawn as its label (Bootstrap's btn-check), as a finger would."""
    group = page.get_by_role("group", name=on(session))
    group.get_by_text(answer, exact=True).click()
    expect(group.get_by_label(answer, exact=True)).to_be_checked()


def counts(page, session, group: str) -> dict[str, str]:
    row = page.locator(f"#session-{session.pk}").get_by_role("row", name=group)
    return {
        column: row.locator(f"td.{column}").inner_text()
        for column in ("coming", "not-sure", "cant", "no-reply")
    }


def test_parent_replies_from_the_email_and_the_facilitator_sees_it(browser, live_server, world, smtp_sink):
    programme = world.programme
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    first = programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=10)  # so the invitation is due now
    events_services.save_session(session=first)
    InvitationFactory(
        programme=programme,
        invitee__name="Amira Khan",
        invitee__email="amira@example.org",
        invitee__organisation=world.school,
    )
    sync_schedule(programme=programme)
    s1, s2, s3, s4 = programme.sessions.order_by("order")

    assert outbox.dispatch_due().sent == 1
    [email] = smtp_sink.to("amira@example.org")
    link = reply_link_from(email, live_server)

    # The parent, on a phone.
    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Hello Amira")).to_be_visible()
    choose(phone, s1, "Coming")
    choose(phone, s2, "Coming")
    choose(phone, s3, "Can't come")
    choose(phone, s4, "Can't come")
    phone.get_by_label("How many children will need the crèche?").fill("2")
    phone.get_by_label("How old are they?").fill("2, 4")
    phone.get_by_label("Yes, you may keep it").check()  # needs are kept only with their agreement
    phone.get_by_role("button", name="Send my answer").click()
    expect(phone.get_by_role("heading", name="Thank you, Amira")).to_be_visible()

    # Later, the same link: the answer is there, and one answer changes.
    phone.goto(link)
    expect(phone.get_by_role("group", name=on(s2)).get_by_label("Coming", exact=True)).to_be_checked()
    expect(phone.get_by_label("How old are they?")).to_have_value("2, 4")
    choose(phone, s2, "Can't come")
    phone.get_by_role("button", name="Send my answer").click()
    expect(phone.get_by_role("heading", name="Thank you, Amira")).to_be_visible()
    phone.context.close()

    # The facilitator, at the office.
    page = browser.new_context().new_page()
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + programme.get_absolute_url())
    page.get_by_role("link", name="Who is coming, and what they need").click()
    expect(page.get_by_role("heading", name="Who is coming, and what they need")).to_be_visible()
    assert counts(page, s1, "Parents and carers") == {
        "coming": "1",
        "not-sure": "0",
        "cant": "0",
        "no-reply": "0",
    }
    assert counts(page, s2, "Parents and carers") == {
        "coming": "0",
        "not-sure": "0",
        "cant": "1",
        "no-reply": "0",
    }
    assert counts(page, s3, "Parents and carers") == {
        "coming": "0",
        "not-sure": "0",
        "cant": "1",
        "no-reply": "0",
    }
    assert counts(page, s4, "Parents and carers") == {
        "coming": "0",
        "not-sure": "0",
        "cant": "1",
        "no-reply": "0",
    }
    expect(page.locator("#programme-total").get_by_role("row", name="Parents and carers")).to_contain_text(
        "1"
    )
    assert_accessible(page)

    page.get_by_role("link", name=f"Crèche for the session on {date_format(s1.date, 'j F')}").click()
    expect(page.get_by_role("heading", name="Crèche")).to_be_visible()
    expect(page.locator("#creche-count")).to_have_text("2 children coming")
    expect(page.locator("#creche-ages")).to_have_text("Their ages: 1 child aged 2, 1 child aged 4.")
    rows = page.locator("#creche tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("rowheader")).to_have_text("Amira Khan")
    expect(rows.locator("td.children")).to_have_text("2")
    expect(rows.locator("td.ages")).to_have_text("2, 4")
    assert_accessible(page)

    # The session she changed to "can't come" has nobody for the crèche.
    page.goto(live_server.url + reverse("invitations:sheet", args=[programme.pk, s2.pk, "creche"]))
    expect(page.locator("#creche-count")).to_have_text("0 children coming")
    expect(page.get_by_text("Nobody coming has asked for the crèche.")).to_be_visible()
    page.goto(live_server.url + reverse("invitations:sheet", args=[programme.pk, s1.pk, "catering"]))
    expect(page.locator("#catering-count")).to_have_text("Lunch for 1 person")
    page.context.close()


@pytest.fixture
def replies_for_every_sheet(world):
    """Replies that put something on every sheet: a "not sure", people brought, every kind of need."""
    s1, s2, *_ = world.programme.sessions.order_by("order")
    parent = InvitationFactory(
        programme=world.programme, invitee__name="Amira Khan", invitee__organisation=world.school
    )
    replies.save_reply(
        invitation=parent,
        answers={s1.pk: Answer.YES, s2.pk: Answer.MAYBE},
        details={
            "childcare_children": 2,
            "childcare_ages": "2, 4",
            "food_needs": "Halal <b>please</b>",
            "access_needs": "Step-free, please",
            "interpreter_language": "Polish",
            "transport_help": True,
            "extra_places": 1,
            "needs_agreed": True,
        },
    )
    teacher = InvitationFactory(
        programme=world.programme,
        invitee__name="Helen Carter",
        invitee__category=Category.SCHOOL_STAFF,
        invitee__staff_role=StaffRole.TEACHER,
        invitee__organisation=world.school,
    )
    replies.save_reply(
        invitation=teacher,
        answers={s1.pk: Answer.MAYBE},
        details={
            "childcare_children": 1,
            "food_needs": "Vegan",
            "interpreter_language": "BSL",
            "needs_agreed": True,
        },
    )
    return s1


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_sheets_with_replies_are_accessible(page, live_server, world, replies_for_every_sheet, viewport):
    if viewport == "phone":
        page.set_viewport_size(PHONE)
    sign_in(page, live_server, world.user("facilitator"))
    session = replies_for_every_sheet

    page.goto(live_server.url + reverse("invitations:sheets", args=[world.programme.pk]))
    expect(page.locator("#programme-total")).to_be_visible()
    assert_accessible(page)
    for kind in sheets.SHEETS:
        response = page.goto(
            live_server.url + reverse("invitations:sheet", args=[world.programme.pk, session.pk, kind])
        )
        assert response.status == 200
        expect(page.get_by_text("Not sure yet").first).to_be_visible()
        assert_accessible(page)


def test_printed_sheet_leaves_out_the_navigation(page, live_server, world, replies_for_every_sheet):
    sign_in(page, live_server, world.user("facilitator"))
    session = replies_for_every_sheet
    page.goto(
        live_server.url + reverse("invitations:sheet", args=[world.programme.pk, session.pk, "catering"])
    )

    page.emulate_media(media="print")

    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("link", name="Download as a spreadsheet (CSV)")).to_be_hidden()
    expect(page.get_by_role("heading", name="Catering")).to_be_visible()
    expect(page.locator("#food-needs")).to_contain_text("Halal <b>please</b>")
