"""Every HTML page in tests/urlmap.py, on a 360px phone and a 1280px desktop, in a programme that is under
way: it fits the screen (nothing scrolls sideways) and axe finds nothing. Then the error states."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from core import outbox
from events import services as events_services
from events.enums import ProgrammeStatus
from events.models import Programme
from invitations.enums import Answer, Category, StaffRole
from invitations.services.replies import save_reply
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory
from tests.records.helpers import add_action, add_people, add_picture, add_words

from ..urlmap import OK, ROUTES
from .conftest import DESKTOP, PHONE, accessibility_report, assert_accessible, sign_in

PREFERRED_ROLES = ["facilitator", "coordinator", "artist", "admin"]
PAGES = [route for route in ROUTES if route.page]
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}

# The outermost elements that make the page wider than the window: those that no box with its own
# scrolling contains. An absolutely positioned element is contained only by a scrolling box that is (or is
# inside) the element it is positioned against, which is how visually-hidden text escaped tables' boxes.
WIDER_THAN_THE_WINDOW = """() => {
  const width = document.documentElement.clientWidth;
  const positioned = (element) => ["absolute", "fixed"].includes(getComputedStyle(element).position);
  const escapes = (element) => {
    let needsPositioned = positioned(element);
    for (let box = element.parentElement; box; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (needsPositioned && style.position === "static") continue;
      if (style.overflowX !== "visible") return false;
      needsPositioned = positioned(box);
    }
    return true;
  };
  const found = [];
  for (const element of document.querySelectorAll("body *")) {
    const right = element.getBoundingClientRect().right;
    if (right <= width + 0.5 || found.some((outer) => outer.contains(element)) || !escapes(element)) continue;
    found.push(element);
  }
  return found.slice(0, 5).map((element) => {
    const right = Math.round(element.getBoundingClientRect().right);
    return `${element.outerHTML.slice(0, 160)}… (right edge at ${right}px)`;
  });
}"""


@pytest.fixture
def lived_in(world):
    """The world's programme open and full of what a real one holds: people on the list with their
    replies and needs, pictures, people signed in, words and actions, with the long names, addresses and
    words real people have. (The rows are made directly, so the sessions keep their dates to come: the
    phone page for words would be closed after the day.)"""
    programme = world.programme
    sessions = {session.order: session for session in programme.sessions.all()}
    world.group.contact_email = "hello.tenants-association@millbrook-community-partnership.org.uk"
    world.group.save()
    world.venue.address = "Millbrook Community Centre\nUnit 4, Bridgewater-under-Lyme Industrial Estate"
    world.venue.save()
    people = []
    for index, name in enumerate(["Amira Khan-Rahmanova", "Zofia Wiśniewska-Kowalczyk", "Chidinma Okonkwo"]):
        invitation = InvitationFactory(
            programme=programme,
            invitee__name=name,
            invitee__email=f"{name.split()[0].lower()}.household{index}@millbrook-community-partnership.org.uk",
            invitee__phone="0161 496 0000",
            invitee__organisation=world.school,
        )
        save_reply(
            invitation=invitation,
            answers={sessions[1].pk: Answer.YES, sessions[2].pk: Answer.MAYBE},
            details={
                "childcare_children": 2,
                "childcare_ages": "2, 4",
                "food_needs": "Halal, and no nuts please",
                "access_needs": "Step-free access; a chair with arms",
                "interpreter_language": "Polish",
                "transport_help": True,
                "extra_places": 1,
                "needs_agreed": True,
            },
        )
        people.append(invitation)
    teacher = InvitationFactory(
        programme=programme,
        invitee__name="Helen Carter-Montgomery",
        invitee__category=Category.SCHOOL_STAFF,
        invitee__staff_role=StaffRole.TEACHER,
        invitee__organisation=world.school,
    )
    save_reply(invitation=teacher, answers={sessions[1].pk: Answer.NO}, details={})
    InvitationFactory(
        programme=programme,
        invitee__name="Sam Ode",
        invitee__category=Category.GROUP_WORKER,
        invitee__organisation=world.group,
        invitee__email="s.ode@millbrook-community-partnership.org.uk",
    )
    InvitationFactory(
        programme=programme, invitee__name="Lee Parker", invitee__channel="letter", invitee__email=""
    )
    add_picture(
        sessions[1],
        title="Our neighbourhood map, with the park, the library and Millbrook Primary",
        description="Everyone drew where they feel safe walking with children, and where they do not.",
        themes=("Safe streets", "Somewhere to play"),
        artist=world.user("artist"),
    )
    add_picture(sessions[1], title="", artist=world.user("artist"), colour="orange")
    add_people(sessions[1], {"parent": 4, "school_staff": 3, "group_worker": 3}, walk_ins=1)
    add_words(sessions[1], ["Hopeful", "hopeful", "Together", "Wdzięczność", "شکریہ", "Listened-to"])
    add_action(
        programme,
        what="A walking bus to Millbrook Primary every Wednesday morning from the library",
        lead=people[0],
        status="agreed",
        updates=("We met the council's road safety officer: https://www.millbrook.gov.uk/road-safety-team",),
    )
    add_action(programme, what="A toy library at the children's centre")
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    return world


def _visitor(route) -> str:
    """Pages anyone may open are the parents' and participants': seen as they see them, signed out.
    Staff pages: as the first role allowed to open them."""
    if route.anonymous == OK:
        return "anonymous"
    return next(role for role in PREFERRED_ROLES if route.status_for(role) == OK)


def _url(live_server, name: str, **kwargs) -> str:
    return live_server.url + reverse(name, kwargs=kwargs or None)


def _problems(page, live_server, world, settings, visits) -> list[str]:
    """Each of ``visits`` (name, role, path) at each width: wider than the window, or what axe finds."""
    settings.RATE_LIMIT_PER_MINUTE = 0  # every link page opened from the one address
    sessions = {}
    for role in {role for _name, role, _path in visits} - {"anonymous"}:
        client = Client()
        client.force_login(world.user(role))
        sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    problems = []
    for name, role, path in visits:
        url = live_server.url + path
        page.context.clear_cookies()
        if role != "anonymous":
            cookie = {"name": settings.SESSION_COOKIE_NAME, "value": sessions[role], "url": live_server.url}
            page.context.add_cookies([cookie])
        page.set_viewport_size(PHONE)
        response = page.goto(url)
        if response.status != OK:
            problems.append(f"{name}, as {role}: {url}\n  answered {response.status}")
            continue
        # One visit, then each width: no script of ours reads the width, so resizing lays the page out as
        # loading it at that width would, for half the cost.
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            where = f"{name} on a {width} ({viewport['width']}px), as {role}: {url}"
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > viewport["width"]:
                wide = "\n".join(f"  - {element}" for element in page.evaluate(WIDER_THAN_THE_WINDOW))
                problems.append(f"{where}\n  is {scroll_width}px wide, because of:\n{wide}")
            report = accessibility_report(page)
            if report:
                problems.append(f"{where}\n{report}")
    return problems


def _every_page(world) -> list[tuple[str, str, str]]:
    return [
        (
            route.name,
            _visitor(route),
            reverse(route.name, kwargs=route.kwargs(world) if route.kwargs else None),
        )
        for route in PAGES
    ]


def _report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n\n" + "\n\n".join(problems)


def test_every_page_fits_a_phone_and_is_accessible(page, live_server, lived_in, settings):
    problems = _problems(page, live_server, lived_in, settings, _every_page(lived_in))

    assert not problems, _report(problems)


def test_every_page_fits_a_phone_and_is_accessible_before_anything_has_happened(
    page, live_server, world, settings
):
    """The same pages for a programme just made: nobody invited yet, no pictures, no words."""
    problems = _problems(page, live_server, world, settings, _every_page(world))

    assert not problems, _report(problems)


def test_sent_mail_fits_a_phone_and_is_accessible(page, live_server, lived_in, settings, tmp_path):
    """The sent-mail pages exist only in DEBUG with mail kept as files (so they are not in the table)."""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "core.mailbox.MailboxBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    first = lived_in.programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=10)
    events_services.save_session(session=first)
    sync_schedule(programme=lived_in.programme)
    assert outbox.dispatch_due().sent
    newest = max((tmp_path / "mail").glob("*.eml"), key=lambda path: path.stat().st_mtime).name
    visits = [
        ("invitations:mailbox", "facilitator", reverse("invitations:mailbox")),
        ("invitations:mailbox_message", "facilitator", reverse("invitations:mailbox_message", args=[newest])),
    ]

    problems = _problems(page, live_server, lived_in, settings, visits)

    assert not problems, _report(problems)


def test_sent_texts_fit_a_phone_and_are_accessible(page, live_server, lived_in, settings, tmp_path):
    """The sent-text pages exist only in DEBUG with texts kept as files (so they are not in the table):
    a long English text and one in Urdu, kept by the real file backend for outbox rows of the programme."""
    from core.delivery import reference_of
    from core.enums import MessageChannel, MessageState
    from core.models import Message
    from core.sms import FileSmsBackend, SmsMessage

    settings.DEBUG = True
    settings.EMAIL_BACKEND = "core.mailbox.MailboxBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SMS_BACKEND = "core.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    bodies = [
        "Hello Amira, you're invited to Better Together in Millbrook on Saturday: "
        "https://bettertogether.example.org/r/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG/",
        "آپ سب کو خوش آمدید۔ ہم مل کر اپنے بچوں کے لیے بہتر محلہ بنائیں گے۔ " * 4,
    ]
    names = []
    for invitation, body in zip(lived_in.programme.invitations.all()[:2], bodies, strict=True):
        row = Message.objects.create(
            kind="invitation",
            recipient=invitation,
            channel=MessageChannel.SMS,
            scheduled_for=timezone.now(),
            state=MessageState.SENT,
            sent_at=timezone.now(),
        )
        text = SmsMessage(to="+447700900123", body=body, reference=reference_of(row))
        names.append(f"{FileSmsBackend().send(text)}.json")
    visits = [("invitations:mailbox_texts", "facilitator", reverse("invitations:mailbox_texts"))] + [
        ("invitations:mailbox_text", "facilitator", reverse("invitations:mailbox_text", args=[name]))
        for name in names
    ]

    problems = _problems(page, live_server, lived_in, settings, visits)

    assert not problems, _report(problems)


def test_programme_form_with_errors_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(_url(live_server, "events:programme_create"))
    programmes = Programme.objects.count()

    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Date of the all-day workshop")).to_have_attribute("aria-invalid", "true")
    assert Programme.objects.count() == programmes
    assert_accessible(page)


def test_session_form_with_errors_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(_url(live_server, "events:session_update", pk=world.session.pk))

    page.get_by_label("Starts at").fill("14:00")
    page.get_by_label("Ends at").fill("10:00")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_label("Ends at")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("The session must end after it starts.")).to_be_visible()
    session = world.session
    assert session.end_time > session.start_time
    assert_accessible(page)


def test_checklist_with_errors_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(_url(live_server, "events:programme_checklist", pk=world.programme.pk))

    # Cover may only be ticked off once someone has said who pays for it.
    page.get_by_label("Cover for school staff agreed").check()
    page.get_by_role("button", name="Save the checklist").click()

    expect(page.get_by_text("Please say who pays for cover")).to_be_visible()
    assert_accessible(page)


def test_venue_form_with_errors_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(_url(live_server, "events:venue_create", pk=world.neighbourhood.pk))

    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".invalid-feedback").first).to_be_visible()
    assert_accessible(page)


def test_organisation_form_with_errors_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(_url(live_server, "events:organisation_create", pk=world.neighbourhood.pk))

    page.get_by_label("Name").fill(world.school.name)  # a duplicate
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("There is already an organisation called")).to_be_visible()
    assert_accessible(page)


def test_login_form_with_errors_is_accessible(page, live_server, world):
    page.goto(_url(live_server, "login"))

    page.get_by_label("User name").fill("facilitator")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator(".alert-danger, .invalid-feedback").first).to_be_visible()
    assert_accessible(page)


def test_past_date_error_is_accessible(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(_url(live_server, "events:session_update", pk=world.session.pk))

    page.get_by_label("Date").fill(f"{timezone.localdate() - timedelta(days=1):%Y-%m-%d}")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("That date has passed")).to_be_visible()
    assert_accessible(page)
