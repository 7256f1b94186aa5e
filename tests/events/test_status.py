"""Honest status: the home page, the programme page and the invitation list say what the outbox did."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events import services
from events.enums import ProgrammeStatus
from invitations.enums import Channel, MessageKind, MessageState
from invitations.services.schedule import new_message
from tests.factories import InvitationFactory, InviteeFactory


def at_nine(day) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=ZoneInfo(settings.TIME_ZONE))


def set_status(programme, status) -> None:
    programme.status = status
    programme.save(update_fields=["status"])


def add_message(
    programme, *, state, channel=Channel.EMAIL, kind=MessageKind.INVITATION, when=None, session=None
):
    extra = {"channel": channel, "email": ""} if channel == Channel.LETTER else {}
    invitee = InviteeFactory(neighbourhood=programme.neighbourhood, **extra)
    invitation = InvitationFactory(programme=programme, invitee=invitee)
    message = new_message(
        invitation_id=invitation.pk,
        kind=kind,
        channel=channel,
        scheduled_for=when or timezone.now() - timedelta(hours=1),
        session_id=session.pk if session else None,
    )
    message.state = state
    if state == MessageState.SENT:
        message.sent_at = timezone.now()
    if state == MessageState.FAILED:
        message.last_error = "550 no such mailbox"
    message.save()
    return invitation, message


def invitations_went(programme) -> None:
    """Invitations were due today: two sent, one failed."""
    first = programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=programme.invitation_lead_days)
    first.save()
    set_status(programme, ProgrammeStatus.OPEN)
    add_message(programme, state=MessageState.SENT)
    add_message(programme, state=MessageState.SENT)
    add_message(programme, state=MessageState.FAILED)


def page(client, world, name, *args) -> str:
    client.force_login(world.user("facilitator"))
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def test_planning_programme_says_nothing_is_sent_and_no_countdown(client, world):
    for name, args in [("events:dashboard", []), ("events:programme_detail", [world.programme.pk])]:
        html = page(client, world, name, *args)
        assert "Nothing is sent while this programme is being planned." in html
        assert "Invitations go out" not in html
        assert "text-danger" not in html


def test_programme_page_links_the_edit_page_while_planning(client, world):
    html = page(client, world, "events:programme_detail", world.programme.pk)
    edit_url = reverse("events:programme_update", args=[world.programme.pk])
    assert f'Open it on the <a href="{edit_url}">Edit programme</a> page' in html


def test_open_programme_after_the_invitations_went_counts_them_without_red(client, world):
    invitations_went(world.programme)
    list_url = reverse("invitations:list", args=[world.programme.pk])

    for name, args in [("events:dashboard", []), ("events:programme_detail", [world.programme.pk])]:
        html = page(client, world, name, *args)
        assert "Invitations: 2 of 3 sent, 1 failed" in html
        assert f'<a href="{list_url}#failed">see why</a>' in html
        assert "Invitations go out" not in html
        assert "text-danger" not in html
        assert "countdown-close" not in html

    html = page(client, world, "invitations:list", world.programme.pk)
    assert "Invitations: 2 of 3 sent, 1 failed" in html
    assert 'id="failed"' in html
    assert "550 no such mailbox" in html


def test_letter_rows_not_yet_printed_are_counted(client, world):
    invitations_went(world.programme)
    add_message(world.programme, state=MessageState.SCHEDULED, channel=Channel.LETTER)

    html = page(client, world, "events:programme_detail", world.programme.pk)

    assert "Invitations: 2 of 4 sent, 1 failed" in html
    assert "1 by letter not yet printed" in html


def test_the_next_message_is_named(client, world):
    invitations_went(world.programme)
    first = world.programme.sessions.get(order=1)
    later = world.programme.sessions.get(order=2)
    reminder_day = first.date - timedelta(days=world.programme.reminder_lead_days)
    add_message(
        world.programme,
        state=MessageState.SCHEDULED,
        kind=MessageKind.REMINDER,
        when=at_nine(reminder_day),
        session=first,
    )
    add_message(
        world.programme,
        state=MessageState.SCHEDULED,
        kind=MessageKind.REMINDER,
        when=at_nine(later.date - timedelta(days=3)),
        session=later,
    )

    html = page(client, world, "events:programme_detail", world.programme.pk)

    assert f"Next: reminders for the all-day workshop on {reminder_day:%-d %b} at 9am" in html


def test_red_while_invitations_are_due_and_not_sent(client, world):
    first = world.programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=25)  # invitations due in 4 days
    first.save()
    set_status(world.programme, ProgrammeStatus.OPEN)
    add_message(world.programme, state=MessageState.SCHEDULED, when=timezone.now() + timedelta(days=4))

    html = page(client, world, "events:programme_detail", world.programme.pk)

    assert 'class="text-danger fw-semibold">Invitations go out in 4 days' in html


def test_finished_programme_has_no_countdown(client, world):
    set_status(world.programme, ProgrammeStatus.FINISHED)

    for name, args in [("events:dashboard", []), ("events:programme_detail", [world.programme.pk])]:
        html = page(client, world, name, *args)
        assert "This programme has finished, so nothing more will be sent." in html
        assert "Invitations go out" not in html
        assert "Invitations should have gone out" not in html


def test_status_edit_form_says_what_opening_does(client, world):
    html = page(client, world, "events:programme_update", world.programme.pk)

    assert (
        "Open: invitations, reminders and letters go out on their dates. Being planned: nothing is sent."
        in html
    )


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("events:dashboard"))
    assert response.status_code == 200
    return len(queries)


def test_dashboard_status_queries_do_not_grow_with_programmes(client, world):
    def sent_with_a_reminder_to_go(programme) -> None:
        invitations_went(programme)
        add_message(programme, state=MessageState.SCHEDULED, channel=Channel.LETTER)
        session = programme.sessions.get(order=2)
        add_message(
            programme,
            state=MessageState.SCHEDULED,
            kind=MessageKind.REMINDER,
            when=at_nine(session.date),
            session=session,
        )

    client.force_login(world.user("facilitator"))
    sent_with_a_reminder_to_go(world.programme)
    one = count_queries(client)

    for number in range(4):
        programme = services.create_programme(
            neighbourhood=world.neighbourhood,
            title=f"Extra programme {number}",
            key_question="?",
            first_date=timezone.localdate() + timedelta(days=21),
            created_by=world.user("facilitator"),
        )
        sent_with_a_reminder_to_go(programme)

    html = client.get(reverse("events:dashboard")).content.decode()
    assert html.count("Invitations: 2 of 4 sent, 1 failed") == 5
    assert html.count("Next: reminders for the half-day workshop") == 5

    assert count_queries(client) == one
