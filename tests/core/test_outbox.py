"""Sending the outbox to a real SMTP server on loopback."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core import outbox
from core.models import Message
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import MessageKind, MessageState
from invitations.models import ReplyToken
from invitations.services import replies
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory


@pytest.fixture
def open_programme(world):
    """The world's programme, open, with its invitations due now (first session in 10 days)."""
    programme = world.programme
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    first = programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=10)
    events_services.save_session(session=first)
    return programme


def invite(programme, **invitee):
    invitation = InvitationFactory(programme=programme, **{f"invitee__{k}": v for k, v in invitee.items()})
    sync_schedule(programme=programme)
    return invitation


def test_due_invitation_is_sent_once_with_everything_a_parent_needs(open_programme, smtp_sink, settings):
    invitation = invite(open_programme, name="Amira Khan", email="amira@example.org")

    first = outbox.dispatch_due()
    second = outbox.dispatch_due()

    assert (first.sent, second.sent) == (1, 0)
    [message] = smtp_sink.to("amira@example.org")
    assert message["Subject"] == f"You're invited: {open_programme.title}"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].strip().startswith(f"<{settings.SITE_URL}/r/")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello Amira," in text and "Hello Amira," in html
    assert open_programme.key_question in text
    assert world_venue_name(open_programme) in text and "step-free access" in text
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    calendar = attachments["better-together.ics"].get_content()
    calendar = calendar.decode() if isinstance(calendar, bytes) else calendar
    assert calendar.count("BEGIN:VEVENT") == 4
    assert "TZID=Europe/London" in calendar and "BEGIN:VTIMEZONE" in calendar
    row = Message.objects.get(invitation=invitation, kind=MessageKind.INVITATION)
    assert row.state == MessageState.SENT and row.sent_at is not None


def world_venue_name(programme):
    return programme.sessions.first().venue.name


def test_reply_link_in_the_email_finds_the_invitation_and_only_its_hash_is_stored(
    open_programme, smtp_sink, client
):
    invitation = invite(open_programme, email="link@example.org")
    outbox.dispatch_due()

    [message] = smtp_sink.to("link@example.org")
    text = message.get_body(("plain",)).get_content()
    url = next(word for word in text.split() if "/r/" in word and "unsubscribe" not in word)
    token = url.rstrip("/").rsplit("/", 1)[1]

    assert len(token) >= 43  # 32 random bytes, base64: 256 bits
    assert replies.find_invitation(token=token) == invitation
    assert not ReplyToken.objects.filter(token_hash=token).exists()
    assert client.get(url.replace("http://127.0.0.1:8000", "")).status_code == 200
    assert replies.find_invitation(token=token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_draft_programme_sends_nothing(world, smtp_sink):
    invite(world.programme, email="draft@example.org")
    Message.objects.update(scheduled_for=timezone.now() - timedelta(hours=1))

    result = outbox.dispatch_due()

    assert result.sent == 0 and smtp_sink.messages == []


def test_letters_are_recorded_not_emailed(open_programme, smtp_sink, world):
    invitation = invite(open_programme, email="", channel="letter", organisation=world.school)

    outbox.dispatch_due()

    row = Message.objects.get(invitation=invitation, kind=MessageKind.INVITATION)
    assert row.channel == "letter" and row.state == MessageState.SCHEDULED
    assert smtp_sink.messages == []


def test_temporary_failure_retries_with_growing_waits_then_succeeds(open_programme, smtp_sink):
    invitation = invite(open_programme, email="tempfail@example.org")
    smtp_sink.tempfail_left["tempfail@example.org"] = 2
    row = Message.objects.get(invitation=invitation, kind=MessageKind.INVITATION)
    waits = []

    for _ in range(3):
        outbox.dispatch_due()
        row.refresh_from_db()
        if row.retry_at:
            waits.append(row.retry_at - row.claimed_at)
            Message.objects.filter(pk=row.pk).update(retry_at=timezone.now())  # let the wait pass

    assert row.state == MessageState.SENT
    assert row.attempts == 3
    assert waits[1] > waits[0]
    assert len(smtp_sink.to("tempfail@example.org")) == 1


def test_temporary_failure_gives_up_after_five_attempts(open_programme, smtp_sink):
    invitation = invite(open_programme, email="tempfail@example.org")
    row = Message.objects.get(invitation=invitation, kind=MessageKind.INVITATION)

    for _ in range(7):
        outbox.dispatch_due()
        Message.objects.filter(pk=row.pk).update(retry_at=timezone.now())

    row.refresh_from_db()
    assert row.state == MessageState.FAILED
    assert row.attempts == 5
    assert "451" in row.last_error


def test_permanent_failure_is_failed_at_once_with_the_servers_answer(open_programme, smtp_sink):
    invitation = invite(open_programme, email="permfail@example.org")

    result = outbox.dispatch_due()

    row = Message.objects.get(invitation=invitation, kind=MessageKind.INVITATION)
    assert result.failed == 1
    assert row.state == MessageState.FAILED and row.attempts == 1
    assert "550" in row.last_error and "No such mailbox" in row.last_error


def test_one_bad_address_does_not_stop_the_others(open_programme, smtp_sink):
    invite(open_programme, email="permfail@example.org")
    invite(open_programme, email="fine@example.org")

    outbox.dispatch_due()

    assert len(smtp_sink.to("fine@example.org")) == 1


def test_unreachable_server_is_a_temporary_failure(open_programme, settings):
    invitation = invite(open_programme, email="nobody-listening@example.org")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    result = outbox.dispatch_due()

    row = Message.objects.get(invitation=invitation, kind=MessageKind.INVITATION)
    assert result.retrying == 1
    assert row.state == MessageState.SCHEDULED and row.retry_at > timezone.now()


def test_opted_out_between_scheduling_and_sending_gets_nothing(open_programme, smtp_sink):
    invitation = invite(open_programme, email="changed-mind@example.org")
    claimed = outbox.claim_due(now=timezone.now())
    replies.opt_out(invitation=invitation)

    result = outbox.DispatchResult()
    outbox.send_claimed(messages=claimed, senders=outbox.Senders(_connection()), result=result)

    assert result.sent == 0 and result.cancelled == 1
    assert smtp_sink.to("changed-mind@example.org") == []


def _connection():
    from django.core.mail import get_connection

    return get_connection()


def test_stuck_rows_are_requeued_after_the_timeout(open_programme, smtp_sink, settings):
    invitation = invite(open_programme, email="stuck@example.org")
    outbox.claim_due(now=timezone.now())  # a worker claims the row, then dies
    row = Message.objects.get(invitation=invitation, kind=MessageKind.INVITATION)
    assert row.state == MessageState.SENDING

    assert outbox.requeue_stuck(now=timezone.now()) == 0  # not yet: it may still be sending
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS + 1)
    assert outbox.requeue_stuck(now=later) == 1

    row.refresh_from_db()
    assert row.state == MessageState.SCHEDULED


def test_a_row_read_by_two_dispatchers_is_claimed_by_one(open_programme):
    for _ in range(3):
        invite(open_programme)
    candidates = list(Message.objects.due(timezone.now()).values_list("pk", flat=True))

    first = outbox.claim(candidates, now=timezone.now())
    second = outbox.claim(candidates, now=timezone.now())

    assert len(first) == 3 and second == []


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_never_send_twice(open_programme, smtp_sink):
    for number in range(40):
        InvitationFactory(programme=open_programme, invitee__email=f"racer{number}@example.org")
    sync_schedule(programme=open_programme)

    def run():
        outbox.dispatch_due(batch_size=5)
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    recipients = [m["To"] for m in smtp_sink.messages if "racer" in m["To"]]
    assert len(recipients) == 40
    assert len(set(recipients)) == 40


def test_a_batch_slower_than_the_sweeper_timeout_is_not_sent_twice(open_programme, smtp_sink, settings):
    for number in range(3):
        invite(open_programme, email=f"slow{number}@example.org")
    long_ago = timezone.now() - timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS + 1)
    batch = outbox.claim_due(now=long_ago)  # worker A claimed these a while ago and is still sending
    result = outbox.DispatchResult()
    outbox.send_claimed(messages=batch[:1], senders=outbox.Senders(_connection()), result=result)

    outbox.dispatch_due()  # worker B: its sweeper sees A's remaining rows as stuck
    outbox.send_claimed(
        messages=batch[1:], senders=outbox.Senders(_connection()), result=result
    )  # A carries on

    recipients = [m["To"] for m in smtp_sink.messages]
    assert len(recipients) == len(set(recipients)) == 3


def test_a_dispatcher_that_loses_a_race_for_one_batch_claims_the_next(open_programme, monkeypatch):
    for _ in range(4):
        invite(open_programme)
    real_claim = outbox.claim
    raced = []

    def rival_wins_first(candidates, *, now):
        if not raced:  # another dispatcher takes this first batch just before us
            raced.append(real_claim(candidates, now=now))
            return []
        return real_claim(candidates, now=now)

    monkeypatch.setattr(outbox, "claim", rival_wins_first)

    claimed = outbox.claim_due(now=timezone.now(), limit=2)

    assert len(raced[0]) == 2 and len(claimed) == 2
    assert not {m.pk for m in raced[0]} & {m.pk for m in claimed}
