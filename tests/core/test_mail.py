"""Subjects and plain-text bodies arrive as typed; only the HTML part is escaped (core.mail.build_email).

Every kind the outbox carries goes to a real SMTP server on loopback, with ``& ' " < >`` in the programme's
title, the invitee's name, the venue's name and the school's name.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from actions.enums import ActionStatus
from actions.services import links
from core import outbox
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import Answer, MessageKind
from invitations.models import Invitation, Reply, SessionAnswer
from invitations.services.schedule import new_message, sync_schedule
from tests.actions.helpers import make_action, participant
from tests.factories import InvitationFactory

TITLE = 'Families & Schools at St Anne\'s "<Together>"'
NAME = 'O\'Hara&"Jo"<b> Smith'  # the greeting uses the first word: all of the awkward characters
VENUE = 'Tom\'s Hall & "Annexe" <Upstairs>'
SCHOOL = 'St Anne\'s & "<Friends>" School'
WHAT = 'A play street & "coffee" <morning> at Anne\'s'
ENTITIES = ["&amp;", "&#x27;", "&#39;", "&quot;", "&lt;", "&gt;"]


@pytest.fixture
def awkward(world):
    """The world's programme, open, with every name a parent might see full of awkward characters. The
    first session is in three days: its reminder goes today, and the invitation and the nudge of someone
    on the list for a month are due too."""
    programme = world.programme
    programme.title = TITLE
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    world.venue.name = VENUE
    world.venue.save()
    world.school.name = SCHOOL
    world.school.save()
    facilitator = world.user("facilitator")
    facilitator.first_name, facilitator.last_name = "Fatima", "O'Neil & Daughters"
    facilitator.save()
    first = programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=programme.reminder_lead_days)
    events_services.save_session(session=first)
    return world


def invite(programme, **invitee):
    """Someone on the list for a month, with the schedule brought up to date."""
    invitation = InvitationFactory(programme=programme, **{f"invitee__{k}": v for k, v in invitee.items()})
    Invitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - timedelta(days=30))
    sync_schedule(programme=programme)
    return invitation


def by_subject(sink, address):
    return {message["Subject"]: message for message in sink.to(address)}


def send_now(invitation, kind, **extra):
    new_message(
        invitation_id=invitation.pk, kind=kind, channel="email", scheduled_for=timezone.now(), **extra
    ).save()


def parts(message):
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def assert_plain(text: str, *lines: str) -> None:
    for line in lines:
        assert line in text.splitlines(), f"{line!r} not a line of:\n{text}"
    for entity in ENTITIES:
        assert entity not in text


def assert_escaped(html: str, *typed: str) -> None:
    for value in typed:
        escaped = (
            value.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&quot;")
            .replace("'", "&#x27;")
        )
        assert escaped in html
        assert value not in html


def test_invitation_subject_and_text_arrive_as_typed_and_html_is_escaped(awkward, smtp_sink):
    invite(awkward.programme, name=NAME, email="jo@example.org")

    outbox.dispatch_due()

    message = by_subject(smtp_sink, "jo@example.org")[f"You're invited: {TITLE}"]
    text, html = parts(message)
    assert_plain(
        text,
        'Hello O\'Hara&"Jo"<b>,',
        f"We would love you to join us for {TITLE}.",
        f"Where: {VENUE}, 1 High Street, Town",
        "Fatima O'Neil & Daughters",
    )
    assert_escaped(html, 'O\'Hara&"Jo"<b>', TITLE, VENUE, "O'Neil & Daughters")


def test_a_school_invited_as_itself_is_greeted_as_typed(awkward, smtp_sink):
    invite(
        awkward.programme,
        name=SCHOOL,
        organisation=awkward.school,
        category="school_staff",
        staff_role="leader",
        email="office@example.org",
    )

    outbox.dispatch_due()

    message = by_subject(smtp_sink, "office@example.org")[f"You're invited: {TITLE}"]
    text, html = parts(message)
    assert_plain(text, f"Hello everyone at {SCHOOL},")
    assert_escaped(html, SCHOOL)


def test_reminder_and_nudge_arrive_as_typed(awkward, smtp_sink):
    invite(awkward.programme, name=NAME, email="jo@example.org")
    session = awkward.session

    assert outbox.dispatch_due().sent == 3  # the invitation, the nudge and the first reminder

    sent = by_subject(smtp_sink, "jo@example.org")
    day = f"{session.date:%A} {session.date.day} {session.date:%B}"
    reminder = sent[f"See you on {day}?"]
    text, html = parts(reminder)
    assert_plain(
        text,
        'Hello O\'Hara&"Jo"<b>,',
        f"Just a friendly reminder that the next {TITLE} get-together is coming up soon.",
        f"Where: {VENUE}, 1 High Street, Town",
    )
    assert_escaped(html, TITLE, VENUE)
    nudge = sent[f"Can you come? {TITLE} starts soon"]
    text, html = parts(nudge)
    assert_plain(
        text,
        'Hello O\'Hara&"Jo"<b>,',
        f"Where: {VENUE}, 1 High Street, Town",
    )
    assert f"We haven't heard from you yet about {TITLE}, and" in text
    assert_escaped(html, TITLE, VENUE)


def test_confirmation_arrives_as_typed(awkward, smtp_sink):
    invitation = InvitationFactory(
        programme=awkward.programme, invitee__name=NAME, invitee__email="jo@example.org"
    )
    reply = Reply.objects.create(
        invitation=invitation, version=1, food_needs='No nuts & "no" <dairy>', access_needs="Ramp's fine"
    )
    SessionAnswer.objects.create(reply=reply, session=awkward.session, answer=Answer.YES)
    send_now(invitation, MessageKind.CONFIRMATION, version=1)

    outbox.dispatch_due()

    message = by_subject(smtp_sink, "jo@example.org")[f"Thank you for your reply: {TITLE}"]
    text, html = parts(message)
    assert_plain(
        text,
        'Hello O\'Hara&"Jo"<b>,',
        f"Thank you for letting us know about {TITLE}. This is what we have noted:",
        'Food: No nuts & "no" <dairy>',
        "Access: Ramp's fine",
    )
    assert_escaped(html, TITLE, 'No nuts & "no" <dairy>')


def test_leads_link_arrives_as_typed(awkward, smtp_sink):
    lead = participant(awkward.programme, name=NAME, email="lead@example.org")
    action = make_action(awkward, lead=lead, status=ActionStatus.AGREED, what=WHAT)
    links.schedule_lead_link(action=action)

    outbox.dispatch_due()

    message = by_subject(smtp_sink, "lead@example.org")[f"Your action: {WHAT}"]
    text, html = parts(message)
    assert_plain(
        text,
        'Hello O\'Hara&"Jo"<b>,',
        f"Thank you for leading an action from {TITLE}:",
        f"  {WHAT}",
        "Fatima O'Neil & Daughters",
    )
    assert_escaped(html, TITLE, WHAT, 'O\'Hara&"Jo"<b>')
