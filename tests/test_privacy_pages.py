"""The privacy notice and the accessibility statement (core.public), and the links to the notice from
everything we send: every page's footer, every kind of email the outbox can build (and every page those
emails link to), every letter, every text. And the reply page's two questions about keeping data: may we
keep their needs (without a yes, no need is stored) and "keep me in touch about future programmes"."""

import re
from datetime import time, timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from actions.enums import ActionStatus
from actions.models import Action, LeadLink
from artwork.enums import Visibility
from core import kinds
from core.models import Message
from core.public import ICO, privacy_address, privacy_url
from core.sms import sms_encoding, sms_parts
from events.enums import ProgrammeStatus
from events.models import Programme, Session
from invitations.enums import Answer, ChangeState, Channel, MessageKind, MessageState, ReplySource
from invitations.forms import RecordReplyForm, ReplyForm
from invitations.models import Invitation, Invitee, Reply, SessionChange
from invitations.services.delivery import address_failed
from invitations.services.emails import issue_reply_link
from invitations.services.letters import render_letters_html
from invitations.services.replies import find_invitation, save_reply
from invitations.services.schedule import new_message
from records.enums import MessageKind as ThanksKind
from tests.factories import InvitationFactory, VenueFactory
from tests.records.helpers import add_picture

from .urlmap import OK, ROUTES_BY_NAME

SITE = "https://bettertogether.example.gov.uk"  # as long as a council's address for the site
NEEDS = {
    "childcare_children": 2,
    "childcare_ages": "2, 4",
    "food_needs": "Halal, no nuts",
    "access_needs": "Step-free, please",
    "interpreter_language": "Polish",
    "transport_help": True,
}
NO_NEEDS = {
    "childcare_children": 0,
    "childcare_ages": "",
    "food_needs": "",
    "access_needs": "",
    "interpreter_language": "",
    "transport_help": False,
}


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.RATE_LIMIT_PER_MINUTE = 0
    settings.PRIVACY_CONTROLLER = settings.PRIVACY_CONTACT = settings.PRIVACY_DPO = ""


@pytest.fixture
def programme(world) -> Programme:
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    return world.programme


def html_of(response) -> str:
    return response.content.decode()


def footer_of(html: str) -> str:
    return html[html.index("<footer") : html.index("</footer>")]


def has_privacy_link(html: str) -> bool:
    return 'href="/privacy/"' in html or f'href="{privacy_url()}"' in html


def reply_token(invitation: Invitation) -> str:
    reply_url, _unsubscribe = issue_reply_link(invitation=invitation)
    return reply_url.rstrip("/").rsplit("/", 1)[1]


# --- The two pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["privacy", "accessibility"])
@pytest.mark.parametrize("role", [None, "facilitator", "admin"])
def test_both_pages_open_for_anyone_and_link_to_each_other(client, world, name, role):
    if role:
        client.force_login(world.user(role))

    response = client.get(reverse(name))

    assert response.status_code == 200
    footer = footer_of(html_of(response))
    assert 'href="/privacy/"' in footer and 'href="/accessibility/"' in footer
    assert ROUTES_BY_NAME[name].status_for("anonymous") == OK


def test_the_privacy_notice_says_plainly_when_the_council_has_not_given_its_details(client):
    html = html_of(client.get(reverse("privacy")))

    assert "The council running this site has not yet given its details here." in html
    # Which settings to set is for an administrator only.
    assert "PRIVACY_CONTROLLER" not in html and 'id="privacy-settings"' not in html


def test_an_administrator_is_told_which_settings_to_set(client, world, settings):
    settings.PRIVACY_CONTROLLER = "Millbrook City Council, Town Hall, Millbrook MB1 1AA"
    client.force_login(world.user("admin"))

    html = html_of(client.get(reverse("privacy")))

    assert "The council running this site has not yet given its details here." in html
    settings_note = html[html.index('id="privacy-settings"') :]
    assert "<code>PRIVACY_CONTACT</code>" in settings_note and "<code>PRIVACY_DPO</code>" in settings_note
    assert "<code>PRIVACY_CONTROLLER</code>" not in settings_note  # that one is set
    assert "Millbrook City Council, Town Hall, Millbrook MB1 1AA" in html


def test_a_facilitator_is_not_shown_the_settings(client, world):
    client.force_login(world.user("facilitator"))

    html = html_of(client.get(reverse("privacy")))

    assert "has not yet given its details here" in html and "PRIVACY_DPO" not in html


def test_once_set_the_council_its_contact_and_its_officer_are_named(client, world, settings):
    settings.PRIVACY_CONTROLLER = "Millbrook City Council, Town Hall, Millbrook MB1 1AA"
    settings.PRIVACY_CONTACT = "privacy@millbrook.gov.uk, 0161 496 0000"
    settings.PRIVACY_DPO = "Data Protection Officer, dpo@millbrook.gov.uk"
    client.force_login(world.user("admin"))

    html = html_of(client.get(reverse("privacy")))

    assert "Millbrook City Council, Town Hall, Millbrook MB1 1AA" in html
    assert '<a href="mailto:privacy@millbrook.gov.uk">privacy@millbrook.gov.uk</a>, 0161 496 0000' in html
    assert '<a href="mailto:dpo@millbrook.gov.uk">dpo@millbrook.gov.uk</a>' in html
    assert "has not yet given its details" not in html and "privacy-settings" not in html


def test_what_an_administrator_typed_is_escaped(client, settings):
    settings.PRIVACY_CONTROLLER = '<script>alert("x")</script> Council'

    html = html_of(client.get(reverse("privacy")))

    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_the_notice_says_why_on_what_basis_who_sees_it_how_long_and_the_rights(client, settings):
    settings.RETENTION_NEEDS_DAYS, settings.RETENTION_CONTACTS_DAYS = 14, 1

    html = html_of(client.get(reverse("privacy")))

    for said in (
        "public task",
        "explicit consent",
        "shown only in the way the group chose to share them",
        "kept without your name",
        "GOV.UK Notify",
        "Artists see only the pictures.",
        "Nobody else.",
        "we delete it 14 days after the last workshop",
        "we delete them 1 day after the last workshop, unless you asked us to keep you in touch",
        "A programme can set its own times.",
        "Numbers for the record, such as how many people came, are kept without names.",
        "for a copy of everything we keep about you",
        "to correct it",
        "to delete it",
        "to stop using it",
    ):
        assert said in html, said
    assert ICO["phone"] in html and 'href="https://ico.org.uk/make-a-complaint/"' in html
    assert ICO["address"] in html


def test_the_privacy_notice_speaks_urdu_right_to_left_from_the_switch_cookie(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ur"

    response = client.get(reverse("privacy"))

    html = html_of(response)
    assert '<html lang="ur" dir="rtl">' in html
    assert response["Content-Language"] == "ur"
    with translation.override("ur"):
        heading = translation.gettext("How we use your information")
    assert heading != "How we use your information" and f'<h1 class="h2">{heading}</h1>' in html
    assert "bootstrap.rtl.min.css" in html
    # The ICO's name and address are English, and say so.
    assert f'<span lang="en-gb">{escape(ICO["name"])}</span>' in html


@pytest.mark.parametrize("code", ["pl", "ar", "so"])
def test_the_privacy_notice_follows_the_browser_when_there_is_no_cookie(client, code):
    html = html_of(client.get(reverse("privacy"), HTTP_ACCEPT_LANGUAGE=f"{code},en;q=0.5"))

    assert f'<html lang="{code}"' in html
    with translation.override(code):
        assert translation.gettext("Who is responsible for it") in html


def test_an_unknown_language_in_the_cookie_is_read_in_english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tlh"

    html = html_of(client.get(reverse("privacy")))

    assert '<html lang="en-gb" dir="ltr">' in html and "Who is responsible for it" in html


def test_the_language_switch_remembers_the_choice(client, settings):
    response = client.post(reverse("privacy"), {"switch_language": "bn"})

    assert response.status_code == 303 and response["Location"] == reverse("privacy")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "bn"
    assert '<html lang="bn"' in html_of(client.get(reverse("privacy")))
    # and the accessibility statement's page around it
    assert '<html lang="bn"' in html_of(client.get(reverse("accessibility")))


@pytest.mark.parametrize("code", ["xx", "", "<script>", "tlh-x-klingon' onload='x"])
def test_the_switch_ignores_a_language_we_do_not_speak(client, settings, code):
    response = client.post(reverse("privacy"), {"switch_language": code})

    assert response.status_code == 303
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_switch_keeps_only_our_own_code_for_a_language_we_speak(client, settings):
    response = client.post(reverse("privacy"), {"switch_language": "PL_pl"})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "pl"


def test_the_switch_needs_the_pages_csrf_token():
    client = Client(enforce_csrf_checks=True)

    assert client.post(reverse("privacy"), {"switch_language": "pl"}).status_code == 403
    page = client.get(reverse("privacy"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html_of(page)).group(1)
    assert (
        client.post(reverse("privacy"), {"switch_language": "pl", "csrfmiddlewaretoken": token}).status_code
        == 303
    )


def test_the_accessibility_statement_in_the_form_public_sector_sites_publish(client, settings):
    settings.PRIVACY_CONTACT = "access@millbrook.gov.uk"

    html = html_of(client.get(reverse("accessibility")))

    for said in (
        "Accessibility statement for Better Together",
        "bettertogether.example.gov.uk",
        "Web Content Accessibility Guidelines version 2.2</a> AA standard",
        "partially compliant",
        "axe-core",
        "360 pixels wide",
        "keyboard alone",
        "right to left",
        "not tagged for screen readers",
        "a native speaker has not yet checked",
        "word cloud",
        "a letter in your language",
        '<a href="mailto:access@millbrook.gov.uk">access@millbrook.gov.uk</a>',
        "Equality and Human Rights Commission (EHRC)",
        "Equality Advisory and Support Service (EASS)",
        "This statement was prepared on 1 December 2026. It was last reviewed on 1 December 2026.",
    ):
        assert said in html, said
    assert "english-only" not in html  # already in English


def test_the_accessibility_statement_stays_english_inside_a_page_in_arabic(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"

    html = html_of(client.get(reverse("accessibility")))

    assert '<html lang="ar" dir="rtl">' in html
    assert '<div class="accessibility-statement" lang="en-gb" dir="ltr">' in html
    assert "Accessibility statement for Better Together" in html
    with translation.override("ar"):
        note = translation.gettext(
            "This statement is in English. If you would like it in your language, please ask the person who "
            "invited you."
        )
    assert note.startswith(tuple("ابتثجحخدذرزسشصضطظعغفقكلمنهوي")) and note in html


def test_the_pages_cost_no_query_however_many_people_are_invited(
    client, programme, django_assert_num_queries
):
    for index in range(60):
        InvitationFactory(programme=programme, invitee__name=f"Person {index}")

    with django_assert_num_queries(0):
        assert client.get(reverse("privacy")).status_code == 200
        assert client.get(reverse("accessibility")).status_code == 200


# --- The footer of every page ------------------------------------------------------------------------------


def test_staff_and_parent_pages_link_to_both_in_their_footer(client, world, programme):
    invitation = InvitationFactory(programme=programme)
    parent_page = html_of(client.get(reverse("invitations:reply", args=[reply_token(invitation)])))
    client.force_login(world.user("facilitator"))
    staff_page = html_of(client.get(reverse("events:dashboard")))
    sign_in = html_of(Client().get(reverse("login")))

    for html in (parent_page, staff_page, sign_in):
        footer = footer_of(html)
        assert 'href="/privacy/"' in footer and 'href="/accessibility/"' in footer


# --- Every email, and every page an email links to ---------------------------------------------------------


def told_change(session: Session) -> SessionChange:
    """A change to ``session`` that was told: it was a week earlier."""
    return SessionChange.objects.create(
        session=session,
        state=ChangeState.TOLD,
        tell_at=timezone.now(),
        told_at=timezone.now(),
        was_date=session.date - timedelta(days=7),
        was_start_time=time(13, 0),
        was_end_time=time(15, 30),
        was_venue=session.venue,
        was_cancelled=False,
        new_date=session.date,
        new_start_time=session.start_time,
        new_end_time=session.end_time,
        new_venue=session.venue,
        new_cancelled=False,
    )


def list_kinds() -> list[str]:
    """Every kind the outbox carries to someone on a programme's list: the kinds whose bounce marks
    their address (docs/architecture.md, "Adding a kind of message")."""
    return [name for name, kind in kinds.KINDS.items() if kind.on_bounce is address_failed]


def one_row_of_each_kind(world, programme, *, channel: str = Channel.EMAIL) -> dict[str, Message]:
    """A row of every kind the outbox carries to someone on a list (list_kinds), to one person, each
    with its topic."""
    invitation = InvitationFactory(
        programme=programme,
        invitee__name="Amira Khan",
        invitee__email="amira@example.org",
        invitee__mobile="+447700900123",
        invitee__texts_agreed=True,
    )
    sessions = list(programme.sessions.order_by("order"))
    # The first half-day was yesterday (the thank-yous are about it), the rest are to come; it had
    # pictures shared with the people taking part, so the thank-you links to them.
    Session.objects.filter(pk=sessions[0].pk).update(date=timezone.localdate() - timedelta(days=8))
    Session.objects.filter(pk=sessions[1].pk).update(date=timezone.localdate() - timedelta(days=1))
    add_picture(sessions[1], title="Our map", visibility=Visibility.PARTICIPANTS)
    reply = save_reply(invitation=invitation, answers={sessions[2].pk: Answer.YES}, details={})
    Message.objects.all().delete()  # the reply's confirmation: rows are made below, one of each kind
    action = Action.objects.create(
        programme=programme,
        session=sessions[1],
        what="A walking bus to school",
        lead=invitation,
        status=ActionStatus.AGREED,
    )
    link = LeadLink.objects.create(action=action, invitation=invitation)
    topics = {
        MessageKind.REMINDER: {"session_id": sessions[2].pk},
        MessageKind.CONFIRMATION: {"version": reply.version},
        MessageKind.CHANGE: {"topic": told_change(sessions[2])},
        ThanksKind.THANK_YOU: {"session_id": sessions[1].pk},
        ThanksKind.MISSED_YOU: {"session_id": sessions[1].pk},
        "lead_link": {"topic": link},
    }
    rows = {}
    for name in list_kinds():
        row = new_message(
            invitation_id=invitation.pk,
            kind=name,
            channel=channel,
            scheduled_for=timezone.now(),
            **topics.get(name, {}),
        )
        row.save()
        rows[name] = Message.objects.get(pk=row.pk)
    if "lead_link" in rows:
        link.message = rows["lead_link"]
        link.save(update_fields=["message"])
    return rows


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.hrefs.append(dict(attrs)["href"])


def links_in(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.hrefs


def test_every_kind_of_email_links_to_the_privacy_notice(world, programme):
    rows = one_row_of_each_kind(world, programme)
    assert set(rows) >= {kind.value for kind in MessageKind} | {"thank_you", "missed_you", "lead_link"}

    for name, row in rows.items():
        email = kinds.kind_of(name).build(row, {})
        html = next(content for content, mimetype in email.alternatives if mimetype == "text/html")

        assert f"How we use your information:\n{SITE}/privacy/" in email.body, name
        assert f"{SITE}/privacy/" in links_in(html), name


def test_an_email_in_urdu_links_to_the_notice_in_urdu_words(world, programme):
    rows = one_row_of_each_kind(world, programme)
    Invitee.objects.update(language="ur")

    email = kinds.kind_of(MessageKind.INVITATION).build(Message.objects.get(pk=rows["invitation"].pk), {})

    with translation.override("ur"):
        said = translation.gettext("How we use your information:")
    assert said != "How we use your information:" and f"{said}\n{SITE}/privacy/" in email.body


def test_every_page_an_email_links_to_links_to_the_privacy_notice(client, world, programme):
    """Each link in each kind of email, opened as its reader would: every page of ours it opens has the
    privacy notice's link (the calendar file is not a page)."""
    rows = one_row_of_each_kind(world, programme)
    opened = set()
    for name, row in rows.items():
        email = kinds.kind_of(name).build(row, {})
        Message.objects.filter(pk=row.pk).update(state=MessageState.SENT, sent_at=timezone.now())  # it went
        html = next(content for content, mimetype in email.alternatives if mimetype == "text/html")
        for href in links_in(html):
            if not href.startswith(SITE) or href == privacy_url():
                continue
            response = client.get(urlsplit(href).path)
            assert response.status_code == 200, (name, href)
            if response["Content-Type"].startswith("text/html"):
                assert has_privacy_link(html_of(response)), (name, href)
                opened.add(urlsplit(href).path.split("/")[1])
    # The reply page (/r/…, its unsubscribe and the pictures too) and the lead's page (/a/…).
    assert opened == {"r", "a"}
    assert client.get(reverse("privacy")).status_code == 200


# --- Letters -----------------------------------------------------------------------------------------------


def test_every_letter_prints_the_notices_address_and_asks_about_needs(world, programme):
    english = InvitationFactory(programme=programme, invitee__channel=Channel.LETTER, invitee__email="")
    urdu = InvitationFactory(
        programme=programme, invitee__channel=Channel.LETTER, invitee__email="", invitee__language="ur"
    )

    html = render_letters_html(programme=programme, school=world.school, invitations=[english, urdu])

    pages = html.split('<section class="letter')[1:]
    assert len(pages) == 2
    assert privacy_address() == "bettertogether.example.gov.uk/privacy/"
    for page in pages:
        assert privacy_address() in page and "https://bettertogether.example.gov.uk/privacy/" not in page
    assert "How we use your information:" in pages[0]
    assert "delete it 30 days after the last workshop." in pages[0]
    assert "Yes, you may keep it" in pages[0] and "Keep me in touch about future programmes" in pages[0]
    with translation.override("ur"):
        assert translation.gettext("How we use your information:") in pages[1]
        assert translation.gettext("Yes, you may keep it") in pages[1]


@pytest.mark.parametrize("kind", [MessageKind.REMINDER, MessageKind.CHANGE])
def test_reminder_and_change_letters_print_it_too(world, programme, kind):
    person = InvitationFactory(programme=programme, invitee__channel=Channel.LETTER, invitee__email="")
    session = programme.sessions.get(order=1)
    extra = {"session": session} if kind == MessageKind.REMINDER else {"change": told_change(session)}

    html = render_letters_html(
        programme=programme, school=world.school, invitations=[person], kind=kind, **extra
    )

    assert f'How we use your information: <span class="nowrap" dir="ltr">{privacy_address()}</span>' in html


def test_a_programme_that_keeps_needs_longer_says_so_on_the_slip_and_the_reply_page(client, world, programme):
    programme.needs_kept_days = 1
    programme.save()
    person = InvitationFactory(programme=programme, invitee__channel=Channel.LETTER, invitee__email="")

    letter = render_letters_html(programme=programme, school=world.school, invitations=[person])
    page = html_of(client.get(reverse("invitations:reply", args=[reply_token(person)])))

    assert "delete it 1 day after the last workshop." in letter
    assert "delete it 1 day after the last workshop." in page


# --- Texts -------------------------------------------------------------------------------------------------


def test_every_kind_of_text_links_to_the_notice_in_two_gsm_parts(world, programme):
    """With a council's long address for the site, the world's names (a programme called "Better Together
    in Millbrook"), every kind in English, the reply link last."""
    rows = one_row_of_each_kind(world, programme, channel=Channel.SMS)

    for name, row in rows.items():
        text = kinds.kind_of(name).build_sms(row, {})

        assert sms_encoding(text.body) == "GSM-7", name
        assert sms_parts(text.body) <= 2, (name, len(text.body), text.body)
        assert re.search(r"Privacy: (https://)?bettertogether\.example\.gov\.uk/privacy/ ", text.body), name
        assert re.search(rf"{re.escape(SITE)}/(r|a)/[\w-]+/$", text.body), name


def test_a_text_with_room_gives_the_whole_address(world, programme, settings):
    settings.SITE_URL = "https://bt.example.org"
    rows = one_row_of_each_kind(world, programme, channel=Channel.SMS)

    text = kinds.kind_of(MessageKind.CONFIRMATION).build_sms(rows["confirmation"], {})

    assert "Privacy: https://bt.example.org/privacy/ " in text.body


def test_a_text_too_long_keeps_the_names_whole_before_the_privacy_address(world, programme):
    """A change of both day and place, with long names: two parts still; the address gives way first."""
    programme.title = "Better Together in Millbrook and Upper Hatherley"
    programme.save()
    rows = one_row_of_each_kind(world, programme, channel=Channel.SMS)
    session = programme.sessions.get(order=3)
    session.venue.name = "St Bartholomew's Church Hall, Upper Hatherley Road"
    session.venue.save()
    change = told_change(session)
    change.was_venue = VenueFactory(neighbourhood=world.neighbourhood, name="Millbrook Community Centre")
    change.save()
    row = rows[MessageKind.CHANGE]
    row.topic = change
    row.save()

    text = kinds.kind_of(MessageKind.CHANGE).build_sms(Message.objects.get(pk=row.pk), {})

    assert sms_parts(text.body) <= 2 and "/privacy/" not in text.body
    assert programme.title in text.body and "St Bartholomew's Church Hall, Upper Hatherley Road" in text.body


def test_a_text_in_urdu_says_privacy_in_urdu(world, programme):
    rows = one_row_of_each_kind(world, programme, channel=Channel.SMS)
    Invitee.objects.update(language="ur")

    text = kinds.kind_of(MessageKind.INVITATION).build_sms(Message.objects.get(pk=rows["invitation"].pk), {})

    with translation.override("ur"):
        said = translation.gettext("Privacy:")
    assert said != "Privacy:" and f"{said} {SITE}/privacy/" in text.body


# --- May we keep their needs? ---------------------------------------------------------------------------


def answers(programme) -> dict:
    return {f"session_{s.pk}": "yes" for s in programme.sessions.active()}


def needs_form_data(**extra) -> dict:
    return {
        "childcare_children": "2",
        "childcare_ages": "2, 4",
        "food_needs": "Halal, no nuts",
        "access_needs": "Step-free, please",
        "interpreter": "on",
        "interpreter_language": "Polish",
        "transport_help": "on",
        "extra_places": "1",
        **extra,
    }


def needs_of(reply: Reply) -> dict:
    return {name: getattr(reply, name) for name in NO_NEEDS}


def test_without_agreement_no_need_is_stored(programme):
    invitation = InvitationFactory(programme=programme)

    reply = save_reply(
        invitation=invitation, answers={}, details={**NEEDS, "extra_places": 2, "needs_agreed": False}
    )

    reply.refresh_from_db()
    assert needs_of(reply) == NO_NEEDS
    assert (reply.needs_agreed, reply.needs_agreed_at) == (False, None)
    assert reply.extra_places == 2  # not a need: kept


def test_details_that_do_not_say_the_need_was_agreed_store_none(programme):
    invitation = InvitationFactory(programme=programme)

    reply = save_reply(invitation=invitation, answers={}, details=NEEDS)

    reply.refresh_from_db()
    assert needs_of(reply) == NO_NEEDS and not reply.needs_agreed


def test_with_agreement_the_needs_and_when_they_agreed_are_kept(programme):
    invitation = InvitationFactory(programme=programme)
    before = timezone.now()

    reply = save_reply(invitation=invitation, answers={}, details={**NEEDS, "needs_agreed": True})

    reply.refresh_from_db()
    assert needs_of(reply) == NEEDS
    assert reply.needs_agreed and before <= reply.needs_agreed_at <= timezone.now()


def test_agreeing_again_keeps_when_they_first_agreed_and_a_no_deletes_the_needs(programme):
    invitation = InvitationFactory(programme=programme)
    first = save_reply(invitation=invitation, answers={}, details={**NEEDS, "needs_agreed": True})
    agreed_at = Reply.objects.get(pk=first.pk).needs_agreed_at

    save_reply(
        invitation=invitation, answers={}, details={**NEEDS, "food_needs": "Vegan", "needs_agreed": True}
    )
    again = Reply.objects.get(pk=first.pk)
    save_reply(invitation=invitation, answers={}, details={**NEEDS, "needs_agreed": False})
    withdrawn = Reply.objects.get(pk=first.pk)

    assert again.needs_agreed_at == agreed_at and again.food_needs == "Vegan"
    assert needs_of(withdrawn) == NO_NEEDS and (withdrawn.needs_agreed, withdrawn.needs_agreed_at) == (
        False,
        None,
    )


def test_the_reply_page_asks_before_the_needs_questions(client, programme):
    invitation = InvitationFactory(programme=programme)

    html = html_of(client.get(reverse("invitations:reply", args=[reply_token(invitation)])))

    asked = html.index("What you tell us about your needs may be about your health.")
    assert asked < html.index('name="childcare_children"') and asked < html.index('name="food_needs"')
    assert (
        "We keep it only to make the day work for you and delete it 30 days after the last workshop." in html
    )
    assert 'id="needs-privacy-link"' in html and 'href="/privacy/"' in html[asked : asked + 600]
    assert 'name="needs_agreed" value="yes"' in html and 'name="needs_agreed" value="no"' in html
    assert (
        "checked" not in html[html.index('name="needs_agreed"') : html.index("No, please don&#x27;t keep it")]
    )


def test_a_parent_who_says_no_is_saved_without_their_needs_and_no_error(client, programme):
    invitation = InvitationFactory(programme=programme)
    token = reply_token(invitation)

    response = client.post(
        reverse("invitations:reply", args=[token]),
        {**answers(programme), **needs_form_data(needs_agreed="no")},
    )

    assert response.status_code == 302
    reply = Reply.objects.get(invitation=invitation)
    assert needs_of(reply) == NO_NEEDS and not reply.needs_agreed and reply.extra_places == 1


def test_a_parent_who_says_yes_is_saved_with_their_needs(client, programme):
    invitation = InvitationFactory(programme=programme)

    response = client.post(
        reverse("invitations:reply", args=[reply_token(invitation)]),
        {**answers(programme), **needs_form_data(needs_agreed="yes")},
    )

    assert response.status_code == 302
    reply = Reply.objects.get(invitation=invitation)
    assert needs_of(reply) == NEEDS and reply.needs_agreed and reply.needs_agreed_at


def test_needs_told_without_saying_yes_or_no_are_asked_about_not_dropped(client, programme):
    invitation = InvitationFactory(programme=programme)

    response = client.post(
        reverse("invitations:reply", args=[reply_token(invitation)]),
        {**answers(programme), **needs_form_data()},
    )

    assert response.status_code == 200 and not Reply.objects.filter(invitation=invitation).exists()
    html = html_of(response)
    assert "You told us what would help you come. May we keep it? Please choose yes or no." in html
    assert 'id="needs_agreed-error"' in html and 'href="#id_needs_agreed_0"' in html
    assert 'id="id_needs_agreed_0"' in html
    assert "Halal, no nuts" in html  # what they typed is still there


def test_no_needs_and_no_answer_to_the_question_is_a_plain_reply(client, programme):
    invitation = InvitationFactory(programme=programme)

    response = client.post(reverse("invitations:reply", args=[reply_token(invitation)]), answers(programme))

    assert response.status_code == 302
    reply = Reply.objects.get(invitation=invitation)
    assert needs_of(reply) == NO_NEEDS and not reply.needs_agreed


@pytest.mark.parametrize("value", ["maybe", "YES", "1", "<b>yes</b>"])
def test_an_answer_other_than_yes_or_no_is_refused_kindly(client, programme, value):
    invitation = InvitationFactory(programme=programme)

    response = client.post(
        reverse("invitations:reply", args=[reply_token(invitation)]),
        {**answers(programme), **needs_form_data(needs_agreed=value)},
    )

    assert response.status_code == 200 and not Reply.objects.filter(invitation=invitation).exists()
    assert "Please choose yes or no." in html_of(response)


def test_the_answer_shows_again_when_they_come_back(client, programme):
    invitation = InvitationFactory(programme=programme)
    save_reply(invitation=invitation, answers={}, details={**NEEDS, "needs_agreed": True})

    html = html_of(client.get(reverse("invitations:reply", args=[reply_token(invitation)])))

    assert 'name="needs_agreed" value="yes" class="form-check-input" id="id_needs_agreed_0" checked' in html
    assert "Halal, no nuts" in html


def test_staff_record_the_same_question_from_a_slip_or_a_call(client, world, programme):
    invitation = InvitationFactory(programme=programme, invitee__organisation=world.school)
    client.force_login(world.user("coordinator"))
    url = reverse("invitations:staff_reply", args=[programme.pk, invitation.pk])
    page = html_of(client.get(url))
    assert "Did they agree we may keep their needs?" in page
    assert "Yes, they agreed we may keep their needs" in page

    asked = client.post(url, {"source": ReplySource.PAPER, **answers(programme), **needs_form_data()})
    agreed = client.post(
        url, {"source": ReplySource.PHONE, **answers(programme), **needs_form_data(needs_agreed="yes")}
    )

    assert "please say whether they agreed we may keep them" in html_of(asked)
    assert agreed.status_code == 302
    reply = Reply.objects.get(invitation=invitation)
    assert needs_of(reply) == NEEDS and reply.needs_agreed and reply.recorded_by == world.user("coordinator")


def test_staff_who_record_a_no_keep_no_needs(client, world, programme):
    invitation = InvitationFactory(programme=programme, invitee__organisation=world.school)
    client.force_login(world.user("facilitator"))

    client.post(
        reverse("invitations:staff_reply", args=[programme.pk, invitation.pk]),
        {"source": ReplySource.PHONE, **answers(programme), **needs_form_data(needs_agreed="no")},
    )

    assert needs_of(Reply.objects.get(invitation=invitation)) == NO_NEEDS


# --- Keep me in touch -------------------------------------------------------------------------------------


def test_keep_in_touch_is_off_unless_they_tick_it(client, programme):
    invitation = InvitationFactory(programme=programme)
    token = reply_token(invitation)
    page = html_of(client.get(reverse("invitations:reply", args=[token])))
    box = page[
        page.index('name="keep_in_touch"') - 20 : page.index("Keep me in touch about future programmes")
    ]

    client.post(reverse("invitations:reply", args=[token]), answers(programme))

    assert "checked" not in box
    invitee = Invitee.objects.get(pk=invitation.invitee_id)
    assert (invitee.keep_in_touch, invitee.keep_in_touch_at) == (False, None)


def test_ticking_keep_in_touch_keeps_when_they_asked_and_unticking_stops_it(client, programme):
    invitation = InvitationFactory(programme=programme)
    url = reverse("invitations:reply", args=[reply_token(invitation)])

    client.post(url, {**answers(programme), "keep_in_touch": "on"})
    asked = Invitee.objects.get(pk=invitation.invitee_id)
    shown = html_of(client.get(url))
    client.post(url, answers(programme))
    stopped = Invitee.objects.get(pk=invitation.invitee_id)

    assert asked.keep_in_touch and asked.keep_in_touch_at is not None
    assert re.search(
        r'name="keep_in_touch" id="id_keep_in_touch" class="form-check-input"[^>]* checked', shown
    )
    assert (stopped.keep_in_touch, stopped.keep_in_touch_at) == (False, None)


def test_someone_who_asked_on_another_programme_sees_it_ticked_on_a_new_invitation(client, world, programme):
    invitation = InvitationFactory(programme=programme)
    Invitee.objects.filter(pk=invitation.invitee_id).update(
        keep_in_touch=True, keep_in_touch_at=timezone.now()
    )

    html = html_of(client.get(reverse("invitations:reply", args=[reply_token(invitation)])))

    assert re.search(
        r'name="keep_in_touch" id="id_keep_in_touch" class="form-check-input"[^>]* checked', html
    )


def test_a_box_unticked_before_a_language_switch_stays_unticked(client, programme):
    invitation = InvitationFactory(programme=programme)
    Invitee.objects.filter(pk=invitation.invitee_id).update(keep_in_touch=True)
    url = reverse("invitations:reply", args=[reply_token(invitation)])

    ticked = html_of(client.get(url))
    switched = html_of(client.post(url, {**answers(programme), "switch_language": "pl"}))

    box = r'name="keep_in_touch" id="id_keep_in_touch" class="form-check-input"[^>]* checked'
    assert re.search(box, ticked)
    assert not re.search(box, switched)  # as they left it, not as we had it


def test_a_reply_that_does_not_ask_leaves_keep_in_touch_as_it_was(programme):
    invitation = InvitationFactory(programme=programme)
    Invitee.objects.filter(pk=invitation.invitee_id).update(keep_in_touch=True)

    save_reply(invitation=find_invitation(token=reply_token(invitation)), answers={}, details={})

    assert Invitee.objects.get(pk=invitation.invitee_id).keep_in_touch


def test_the_forms_details_carry_both_answers(programme):
    sessions = list(programme.sessions.active())
    data = {**answers(programme), **needs_form_data(needs_agreed="yes"), "keep_in_touch": "on"}

    details = ReplyForm(data, sessions=sessions)
    staff = RecordReplyForm({**data, "source": ReplySource.PAPER, "keep_in_touch": ""}, sessions=sessions)

    assert details.is_valid() and staff.is_valid()
    assert (details.details()["needs_agreed"], details.details()["keep_in_touch"]) == (True, True)
    assert (staff.details()["needs_agreed"], staff.details()["keep_in_touch"]) == (True, False)
