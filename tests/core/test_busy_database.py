"""A busy database while the outbox is sent: waited out, never a failure, never lost, never sent twice.

For real: the test database is a file (settings: DATABASES TEST NAME), and another connection to that file
holds SQLite's write lock (BEGIN IMMEDIATE) while the dispatcher runs, as the web process does while it
records eight replies at once. The site's connection is made impatient (0.1 s instead of the settings' 20 s
timeout), so a lock held for a second is met as "database is locked", as under a long write.
"""

import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core import outbox
from core.models import Message
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import MessageKind, MessageState
from invitations.services import emails
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]

HELD_SECONDS = 1.0


class OtherWriter:
    """Another connection to the same database file, which can hold its write lock for a while."""

    def __init__(self, path: str):
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self.timers: list[threading.Timer] = []
        self.held = 0

    def hold(self, seconds: float = HELD_SECONDS) -> None:
        """Take the write lock now and let it go after ``seconds``."""
        self.db.execute("BEGIN IMMEDIATE")
        self.held += 1
        timer = threading.Timer(seconds, self.release)
        self.timers.append(timer)
        timer.start()

    def release(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    def close(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.release()
        self.db.close()


@pytest.fixture
def other_writer(transactional_db):
    # Marked sqlite: the PostgreSQL run leaves these out (tests/conftest.py); its locking is not SQLite's.
    options = connection.settings_dict["OPTIONS"]
    timeout = options.get("timeout")
    options["timeout"] = 0.1  # the site's connection gives up on a lock quickly: "database is locked"
    connection.close()  # the next query connects again, with that timeout
    path = connection.settings_dict["NAME"]
    assert path and path != ":memory:" and "mode=memory" not in str(path)
    writer = OtherWriter(str(path))
    yield writer
    writer.close()
    options["timeout"] = timeout
    connection.close()


@pytest.fixture
def due_invitations(world):
    """Two invitations of an open programme, due now (the first session is in ten days)."""
    programme = world.programme
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    first = programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=10)
    events_services.save_session(session=first)
    invitations = [
        InvitationFactory(programme=programme, invitee__email=f"busy{number}@example.org")
        for number in (1, 2)
    ]
    sync_schedule(programme=programme)
    return invitations


def invitation_rows(invitations):
    return Message.objects.filter(invitation__in=invitations, kind=MessageKind.INVITATION).order_by("pk")


def emails_to(sink, invitations):
    return [len(sink.to(invitation.invitee.email)) for invitation in invitations]


def test_a_dispatcher_started_while_the_database_is_busy_sends_once_it_is_free(
    due_invitations, smtp_sink, other_writer
):
    other_writer.hold()
    started = time.monotonic()

    result = outbox.dispatch_due()

    assert time.monotonic() - started >= HELD_SECONDS * 0.9  # it waited for the lock to go
    assert (result.sent, result.retrying, result.failed) == (2, 0, 0)
    assert emails_to(smtp_sink, due_invitations) == [1, 1]
    assert {(row.state, row.attempts) for row in invitation_rows(due_invitations)} == {(MessageState.SENT, 1)}
    assert outbox.dispatch_due().sent == 0


def test_busy_while_the_reply_link_is_stored_means_trying_again_never_failed(
    due_invitations, smtp_sink, other_writer, monkeypatch
):
    real_issue = emails.issue_reply_link

    def busy_at_the_first_link(*, invitation):
        if not other_writer.held:
            other_writer.hold()  # another process starts writing just as the link is stored
        return real_issue(invitation=invitation)

    monkeypatch.setattr(emails, "issue_reply_link", busy_at_the_first_link)

    first = outbox.dispatch_due()

    assert other_writer.held == 1
    assert first.failed == 0 and first.retrying == 1 and first.sent == 1
    assert "database is locked" in first.errors[0]
    waiting = invitation_rows(due_invitations).get(state=MessageState.SCHEDULED)
    assert waiting.retry_at and "database is locked" in waiting.last_error
    Message.objects.filter(pk=waiting.pk).update(retry_at=timezone.now())  # let its wait pass

    second = outbox.dispatch_due()

    assert (second.sent, second.failed) == (1, 0)
    assert emails_to(smtp_sink, due_invitations) == [1, 1]
    assert set(invitation_rows(due_invitations).values_list("state", flat=True)) == {MessageState.SENT}


def test_busy_just_after_the_mail_server_took_it_is_recorded_as_sent_and_never_sent_again(
    due_invitations, smtp_sink, other_writer, settings
):
    real_data = smtp_sink.handle_DATA

    async def accepted_then_busy(server, session, envelope):
        answer = await real_data(server, session, envelope)
        if not other_writer.held:
            other_writer.hold()  # the email has gone; recording that it went meets the lock
        return answer

    smtp_sink.handle_DATA = accepted_then_busy

    result = outbox.dispatch_due()

    assert other_writer.held == 1
    assert (result.sent, result.retrying, result.failed) == (2, 0, 0)
    assert set(invitation_rows(due_invitations).values_list("state", flat=True)) == {MessageState.SENT}
    # Long after, with the sweeper looking for rows left "sending": nothing goes a second time.
    settings.OUTBOX_STUCK_AFTER_SECONDS = 0
    assert outbox.dispatch_due().sent == 0
    assert emails_to(smtp_sink, due_invitations) == [1, 1]
