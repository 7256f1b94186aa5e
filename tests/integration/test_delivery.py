"""Beat, a real Celery worker on Redis and an SMTP sink: every due message arrives once, as it should."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from core.mail import site_domain
from core.models import Message
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import MessageKind, MessageState
from invitations.models import Invitation
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory

from .conftest import DISPATCH_EVERY_SECONDS, wait_for

INVITED = ["amira@example.org", "ben@example.org", "chloe@example.org"]
REMINDED = "dev@example.org"


def open_programme(programme, *, first_in_days: int):
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    first = programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=first_in_days)
    events_services.save_session(session=first)
    return programme


def invitations_due_now(world) -> list[Invitation]:
    """Three people just added to a programme whose first session is 10 days away: with the 21-day
    lead their invitations are due now; their reminders and nudge are still to come."""
    programme = open_programme(world.programme, first_in_days=10)
    invitations = [
        InvitationFactory(
            programme=programme, invitee__email=email, invitee__name=email.split("@")[0].title()
        )
        for email in INVITED
    ]
    sync_schedule(programme=programme)
    return invitations


def reminder_due_now(world) -> Message:
    """Someone invited weeks ago to a programme starting in two days: the invitation and nudge went
    long ago, so the only message due is the first session's reminder."""
    programme = events_services.create_programme(
        neighbourhood=world.neighbourhood,
        title="Better Together, second round",
        key_question="How do we keep going together?",
        first_date=timezone.localdate() + timedelta(days=2),
        venue=world.venue,
        created_by=world.user("facilitator"),
    )
    open_programme(programme, first_in_days=2)
    invitation = InvitationFactory(programme=programme, invitee__email=REMINDED, invitee__name="Dev Patel")
    Invitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - timedelta(days=25))
    sync_schedule(programme=programme)
    already_sent = Message.objects.filter(
        invitation=invitation, kind__in=[MessageKind.INVITATION, MessageKind.NUDGE]
    )
    assert already_sent.count() == 2
    already_sent.update(state=MessageState.SENT, sent_at=timezone.now() - timedelta(days=5), attempts=1)
    return Message.objects.get(invitation=invitation, kind=MessageKind.REMINDER, session__order=1)


def parts(message) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


def calendar_of(message) -> str:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "better-together.ics"
    content = attachment.get_content()
    return content.decode() if isinstance(content, bytes) else content


@pytest.mark.django_db(transaction=True)
def test_beat_sends_every_due_message_exactly_once_with_headers_and_calendar(world, celery_worker, smtp_sink):
    invitations = invitations_due_now(world)
    reminder = reminder_due_now(world)
    due = list(Message.objects.due(timezone.now()))
    assert len(due) == 4
    future = list(Message.objects.filter(state=MessageState.SCHEDULED).exclude(pk__in=[m.pk for m in due]))
    assert future and all(m.scheduled_for > timezone.now() for m in future)

    celery_worker.start()  # nothing calls the dispatcher: beat does, every 2 seconds
    wait_for(
        lambda: len(smtp_sink.messages) >= len(due),
        timeout=60,
        failure=lambda: f"{len(smtp_sink.messages)} of {len(due)} messages arrived\n{celery_worker.logs()}",
    )
    # Let beat run the dispatcher at least twice more: nothing more may arrive.
    runs = celery_worker.dispatch_runs()
    wait_for(
        lambda: celery_worker.dispatch_runs() >= runs + 2,
        timeout=10 * DISPATCH_EVERY_SECONDS,
        failure=lambda: f"beat stopped running the dispatcher\n{celery_worker.logs()}",
    )
    time.sleep(0.5)

    received = {address: smtp_sink.to(address) for address in [*INVITED, REMINDED]}
    assert {address: len(messages) for address, messages in received.items()} == dict.fromkeys(received, 1)
    assert len(smtp_sink.messages) == len(due)

    rows = {m.pk: m for m in Message.objects.filter(pk__in=[m.pk for m in due])}
    assert all(row.state == MessageState.SENT and row.sent_at and row.attempts == 1 for row in rows.values())
    for invitation, address in zip(invitations, INVITED, strict=True):
        [message] = received[address]
        row = Message.objects.get(invitation=invitation, kind=MessageKind.INVITATION)
        assert message["Message-ID"] == f"<outbox-{row.pk}@{site_domain()}>"
        assert message["Subject"] == f"You're invited: {world.programme.title}"
        assert calendar_of(message).count("BEGIN:VEVENT") == 4  # the whole series

    [message] = received[REMINDED]
    assert message["Message-ID"] == f"<outbox-{reminder.pk}@{site_domain()}>"
    assert message["Subject"].startswith("See you on ")
    assert calendar_of(message).count("BEGIN:VEVENT") == 1  # just the session it reminds them of

    for message in smtp_sink.messages:
        assert message["List-Unsubscribe"].strip().startswith(f"<{settings.SITE_URL}/r/")
        assert message["List-Unsubscribe"].strip().endswith("/unsubscribe/>")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert parts(message)[:4] == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html"]
        assert "BEGIN:VTIMEZONE" in calendar_of(message)

    # Everything scheduled for later is still waiting, untouched.
    for row in future:
        row.refresh_from_db()
        assert row.state == MessageState.SCHEDULED and row.sent_at is None and row.attempts == 0
