"""When a session people were told about changes, they hear of it (invitations.services.changes): through
the session's pages as a facilitator uses them, and the outbox's real dispatcher with an SMTP sink."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core import outbox
from core.models import Message
from events.enums import ProgrammeStatus
from invitations.enums import Answer, ChangeState, Channel, MessageKind, MessageState
from invitations.models import Invitation, SessionAnswer, SessionChange
from invitations.services import changes, replies
from invitations.services.schedule import sync_schedule
from tests.events.test_forms import session_form
from tests.factories import InvitationFactory, InviteeFactory, VenueFactory


def person(programme, name, *, channel=Channel.EMAIL, organisation=None, email=None):
    invitee = InviteeFactory(
        neighbourhood=programme.neighbourhood,
        name=name,
        channel=channel,
        email="" if channel != Channel.EMAIL else (email or f"{name.split()[0].lower()}@example.org"),
        organisation=organisation,
    )
    return InvitationFactory(programme=programme, invitee=invitee)


@pytest.fixture
def told(world, smtp_sink):
    """An open programme whose invitations have gone: the all-day in ten days (so they were due), with
    Ama coming to everything, Bilal not coming to the second session, Chen by letter, Dee opted out, Eve
    not replied. The sink has the invitations; it is emptied before the test."""
    programme = world.programme
    today = timezone.localdate()
    for offset, session in zip((10, 24, 38, 52), programme.sessions.order_by("order"), strict=True):
        session.date = today + timedelta(days=offset)
        session.save()
    people = {
        "ama": person(programme, "Ama Owusu"),
        "bilal": person(programme, "Bilal Khan"),
        "chen": person(programme, "Chen Li", channel=Channel.LETTER, organisation=world.school),
        "dee": person(programme, "Dee Jones"),
        "eve": person(programme, "Eve Adams"),
    }
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    sync_schedule(programme=programme)
    outbox.dispatch_due()
    sessions = list(programme.sessions.order_by("order"))
    replies.save_reply(invitation=people["ama"], answers={s.pk: Answer.YES for s in sessions}, details={})
    replies.save_reply(
        invitation=people["bilal"],
        answers={s.pk: (Answer.NO if s.order == 2 else Answer.YES) for s in sessions},
        details={},
    )
    replies.opt_out(invitation=people["dee"])
    outbox.dispatch_due()
    smtp_sink.messages.clear()
    return people


@pytest.fixture
def facilitator(client, world):
    client.force_login(world.user("facilitator"))
    return client


def second(world):
    return world.programme.sessions.get(order=2)


def notices(sink):
    return [m for m in sink.messages if m["Subject"] and "get-together" in m["Subject"]]


def recipients(messages) -> set[str]:
    return {message["To"].addresses[0].addr_spec for message in messages}


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def tell_due(minutes: int = 11) -> None:
    changes.tell_due_changes(now=timezone.now() + timedelta(minutes=minutes))


# The form warns before it saves ---------------------------------------------------------------------------


def test_moving_a_session_shows_who_will_be_told_before_anything_is_saved(facilitator, world, told):
    session = second(world)
    new_date = session.date + timedelta(days=7)

    response = facilitator.post(
        reverse("events:session_update", args=[session.pk]), session_form(session, date=new_date.isoformat())
    )

    assert response.status_code == 200
    page = response.content.decode()
    # Ama, Bilal (a new date might suit him), Eve by email; Chen by letter; Dee opted out.
    assert "4 people will be told." in page
    assert "3 by email" in page
    assert "1 by letter" in page
    assert "1 person said they were coming" in page
    assert "1 person who said they couldn" in page
    assert "Save and tell them" in page
    assert new_date.strftime("%-d %B") in page  # in the "what changes" list and the sample email
    session.refresh_from_db()
    assert session.date != new_date
    assert not SessionChange.objects.exists()
    assert "What the text message will say" not in page  # nobody is told by text


def test_the_confirmation_shows_the_text_people_reached_by_text_will_read(facilitator, world, told):
    from invitations.models import Invitee

    Invitee.objects.filter(name="Eve Adams").update(mobile="+447700900123", texts_agreed=True, texts_too=True)
    session = second(world)
    new_date = session.date + timedelta(days=7)

    response = facilitator.post(
        reverse("events:session_update", args=[session.pk]), session_form(session, date=new_date.isoformat())
    )

    page = response.content.decode()
    assert "4 people will be told." in page  # Eve once, though by email and by text
    assert "1 by text message" in page
    assert "What the text message will say" in page
    text = page.split("What the text message will say")[1]
    assert "Hello Eve, " in text and "has moved to" in text
    assert "/privacy/" in text  # as the text will be sent, so its parts are counted right
    assert new_date.strftime("%-d %b") in text
    assert "text-message parts in English" in text


def test_confirming_saves_and_a_notice_waits_then_goes_once_with_old_and_new(
    facilitator, world, told, smtp_sink
):
    session = second(world)
    old_date, new_date = session.date, session.date + timedelta(days=7)

    response = facilitator.post(
        reverse("events:session_update", args=[session.pk]),
        session_form(session, date=new_date.isoformat(), confirmed="1"),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("events:session_update", args=[session.pk])
    change = SessionChange.objects.get()
    assert change.state == ChangeState.WAITING
    page = facilitator.get(response["Location"]).content.decode()
    assert "Tell them now" in page
    outbox.dispatch_due()  # beat runs before the wait is over: nothing yet
    assert notices(smtp_sink) == []

    tell_due()
    outbox.dispatch_due()
    outbox.dispatch_due()

    sent = notices(smtp_sink)
    assert recipients(sent) == {"ama@example.org", "bilal@example.org", "eve@example.org"}
    ama = text_of(next(m for m in sent if "ama@" in m["To"]))
    assert old_date.strftime("%A %-d %B") in ama and new_date.strftime("%A %-d %B") in ama
    assert "Before:" in ama and "Now:" in ama
    assert "You told us you were coming. Can you still come?" in ama
    bilal = text_of(next(m for m in sent if "bilal@" in m["To"]))
    assert "You told us you couldn't come before" in bilal
    letter = Message.objects.get(kind=MessageKind.CHANGE, channel=Channel.LETTER)
    assert letter.recipient == told["chen"] and letter.state == MessageState.SCHEDULED
    assert not Message.objects.filter(kind=MessageKind.CHANGE, invitation=told["dee"]).exists()
    assert SessionAnswer.objects.get(reply__invitation=told["ama"], session=session).answer == Answer.CHANGED
    assert SessionAnswer.objects.get(reply__invitation=told["bilal"], session=session).answer == Answer.NO


def test_two_moves_within_the_wait_make_one_notice_with_the_final_date(facilitator, world, told, smtp_sink):
    session = second(world)
    url = reverse("events:session_update", args=[session.pk])
    first_move, final = session.date + timedelta(days=1), session.date + timedelta(days=2)
    facilitator.post(url, session_form(session, date=first_move.isoformat(), confirmed="1"))
    session.refresh_from_db()
    facilitator.post(url, session_form(session, date=final.isoformat(), confirmed="1"))

    tell_due()
    outbox.dispatch_due()

    [to_ama] = [m for m in notices(smtp_sink) if "ama@" in m["To"]]
    assert final.strftime("%A %-d %B") in text_of(to_ama)
    assert first_move.strftime("%A %-d %B") not in text_of(to_ama)
    assert SessionChange.objects.count() == 1


def test_moved_and_moved_back_before_the_notice_sends_nothing(facilitator, world, told, smtp_sink):
    session = second(world)
    url = reverse("events:session_update", args=[session.pk])
    original = session.date
    facilitator.post(
        url, session_form(session, date=(original + timedelta(days=3)).isoformat(), confirmed="1")
    )
    session.refresh_from_db()
    facilitator.post(url, session_form(session, date=original.isoformat(), confirmed="1"))

    tell_due()
    outbox.dispatch_due()

    assert notices(smtp_sink) == []
    assert SessionChange.objects.get().state == ChangeState.WITHDRAWN
    assert SessionAnswer.objects.get(reply__invitation=told["ama"], session=session).answer == Answer.YES


def test_a_change_to_the_purpose_only_tells_nobody_and_asks_nothing(facilitator, world, told):
    session = second(world)

    response = facilitator.post(
        reverse("events:session_update", args=[session.pk]), session_form(session, purpose="Something new")
    )

    assert response.status_code == 302
    assert not SessionChange.objects.exists()


@pytest.mark.parametrize(
    ("date", "message"),
    [("past", "That date has passed"), ("before_all_day", "Half-days come after the all-day")],
)
def test_a_move_to_the_past_or_before_the_all_day_is_refused_beside_the_field(
    facilitator, world, told, smtp_sink, date, message
):
    session = second(world)
    all_day = world.programme.sessions.get(order=1)
    bad = timezone.localdate() - timedelta(days=1) if date == "past" else all_day.date - timedelta(days=1)

    response = facilitator.post(
        reverse("events:session_update", args=[session.pk]),
        session_form(session, date=bad.isoformat(), confirmed="1"),
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    session.refresh_from_db()
    assert session.date != bad
    tell_due()
    outbox.dispatch_due()
    assert not SessionChange.objects.exists()
    assert notices(smtp_sink) == []


def test_go_back_shows_the_form_with_what_they_typed(facilitator, world, told):
    session = second(world)
    new_date = session.date + timedelta(days=7)

    response = facilitator.post(
        reverse("events:session_update", args=[session.pk]),
        session_form(session, date=new_date.isoformat(), back="1"),
    )

    assert response.status_code == 200
    assert f'value="{new_date.isoformat()}"' in response.content.decode()
    session.refresh_from_db()
    assert session.date != new_date


# Cancelling, and undoing it -----------------------------------------------------------------------------


def test_cancelling_asks_first_then_tells_and_reinstating_tells_again_in_order(
    facilitator, world, told, smtp_sink
):
    session = second(world)
    cancel = reverse("events:session_cancel", args=[session.pk])

    page = facilitator.get(cancel).content.decode()
    assert "Yes, cancel the session" in page and "3 people will be told." in page  # not Bilal: he can't come
    session.refresh_from_db()
    assert session.cancelled_at is None

    facilitator.post(cancel)
    tell_due()
    outbox.dispatch_due()
    session.refresh_from_db()
    assert session.is_cancelled
    cancelled = notices(smtp_sink)
    assert recipients(cancelled) == {"ama@example.org", "eve@example.org"}
    assert all(m["Subject"].startswith("Cancelled:") for m in cancelled)
    smtp_sink.messages.clear()

    reinstate = reverse("events:session_reinstate", args=[session.pk])
    assert "Yes, put it back on" in facilitator.get(reinstate).content.decode()
    facilitator.post(reinstate)
    changes.tell_due_changes(now=timezone.now() + timedelta(days=1))
    outbox.dispatch_due()

    session.refresh_from_db()
    assert session.cancelled_at is None
    back_on = notices(smtp_sink)
    assert recipients(back_on) == {"ama@example.org", "eve@example.org"}
    assert all(m["Subject"].startswith("Back on:") for m in back_on)
    told_changes = list(SessionChange.objects.order_by("told_at"))
    assert [(c.before.cancelled, c.after.cancelled) for c in told_changes] == [(False, True), (True, False)]
    assert SessionAnswer.objects.get(reply__invitation=told["ama"], session=session).answer == Answer.CHANGED


def test_a_session_that_is_over_cannot_be_put_back_on(facilitator, world, told):
    session = second(world)
    facilitator.post(reverse("events:session_cancel", args=[session.pk]))
    type(session).objects.filter(pk=session.pk).update(date=timezone.localdate() - timedelta(days=1))

    response = facilitator.post(reverse("events:session_reinstate", args=[session.pk]), follow=True)

    assert "cannot be put back on" in response.content.decode()
    session.refresh_from_db()
    assert session.is_cancelled


# Who is never told ----------------------------------------------------------------------------------------


def test_a_programme_being_planned_sends_nothing_and_queues_nothing(facilitator, world, told, smtp_sink):
    programme = world.programme
    programme.status = ProgrammeStatus.DRAFT
    programme.save()
    session = second(world)
    before = Message.objects.count()

    response = facilitator.post(
        reverse("events:session_update", args=[session.pk]),
        session_form(session, date=(session.date + timedelta(days=7)).isoformat()),
    )

    assert response.status_code == 302  # no warning: nobody will be told
    assert not SessionChange.objects.exists()
    assert Message.objects.count() == before


def test_a_change_before_anyone_was_told_sends_nothing(facilitator, world):
    programme = world.programme  # invitations due in two weeks: nobody has heard yet
    person(programme, "Ama Owusu")
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    sync_schedule(programme=programme)
    session = second(world)

    response = facilitator.post(
        reverse("events:session_update", args=[session.pk]),
        session_form(session, date=(session.date + timedelta(days=7)).isoformat()),
    )

    assert response.status_code == 302
    assert not SessionChange.objects.exists()


def test_someone_removed_from_the_list_or_opted_out_after_the_change_hears_nothing(world, told, smtp_sink):
    session = second(world)
    session.date += timedelta(days=7)
    from events import services as events_services

    events_services.save_session(session=session)
    Invitation.objects.filter(pk=told["eve"].pk).delete()
    changes.tell(change=SessionChange.objects.get())
    replies.opt_out(invitation=told["ama"])
    outbox.dispatch_due()

    assert recipients(notices(smtp_sink)) == {"bilal@example.org"}


# Reminders and notices --------------------------------------------------------------------------------


def test_a_reminder_being_sent_holds_the_notice_until_it_has_gone(world, told):
    session = second(world)
    session.date += timedelta(days=7)
    from events import services as events_services

    events_services.save_session(session=session)
    change = SessionChange.objects.get()
    reminder = Message.objects.filter(session=session, kind=MessageKind.REMINDER).first()
    Message.objects.filter(pk=reminder.pk).update(state=MessageState.SENDING)

    assert changes.tell(change=change) == []
    change.refresh_from_db()
    assert change.state == ChangeState.WAITING

    Message.objects.filter(pk=reminder.pk).update(state=MessageState.SENT)
    assert changes.tell(change=change)
    change.refresh_from_db()
    assert change.state == ChangeState.TOLD


def test_a_session_moved_into_its_reminder_window_is_told_once_and_the_notice_stands_in(
    world, told, smtp_sink, facilitator
):
    all_day = world.programme.sessions.get(order=1)
    soon = timezone.localdate() + timedelta(days=2)  # inside its three-day reminder window
    facilitator.post(
        reverse("events:session_update", args=[all_day.pk]),
        session_form(all_day, date=soon.isoformat(), confirmed="1"),
    )

    outbox.dispatch_due()  # the reminder is due now, but waits for the change to be told
    assert [m for m in smtp_sink.messages if "See you" in m["Subject"]] == []
    tell_due()
    outbox.dispatch_due()

    to_ama = smtp_sink.to("ama@example.org")
    assert len(to_ama) == 1 and "New date" in to_ama[0]["Subject"]
    assert soon.strftime("%A %-d %B") in to_ama[0]["Subject"]
    reminder = Message.objects.get(invitation=told["ama"], session=all_day, kind=MessageKind.REMINDER)
    assert reminder.state == MessageState.CANCELLED


def test_a_session_moved_into_its_window_without_a_notice_is_reminded_at_the_next_run(world, smtp_sink):
    """The bug that started it: someone added after the invitation date was sent their invitation, then
    the session moved into its reminder window; the reminder was cancelled as if the invitation had yet
    to go."""
    programme = world.programme
    today = timezone.localdate()
    for offset, session in zip((10, 24, 38, 52), programme.sessions.order_by("order"), strict=True):
        session.date = today + timedelta(days=offset)
        session.save()
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    ama = person(programme, "Ama Owusu")
    sync_schedule(programme=programme)
    outbox.dispatch_due()
    assert len(smtp_sink.to("ama@example.org")) == 1  # the invitation
    all_day = programme.sessions.get(order=1)
    # Moved, and nobody told (the change told nobody: as when it was withdrawn).
    SessionChange.objects.create(
        session=all_day,
        state=ChangeState.WITHDRAWN,
        was_date=all_day.date,
        was_start_time=all_day.start_time,
        was_end_time=all_day.end_time,
        tell_at=timezone.now(),
    )
    type(all_day).objects.filter(pk=all_day.pk).update(date=today + timedelta(days=2))

    sync_schedule(programme=programme)
    outbox.dispatch_due()

    reminder = Message.objects.get(invitation=ama, session=all_day, kind=MessageKind.REMINDER)
    assert reminder.state == MessageState.SENT
    [sent] = [m for m in smtp_sink.to("ama@example.org") if "See you" in m["Subject"]]
    assert (today + timedelta(days=2)).strftime("%A %-d %B") in sent["Subject"]


# Tell them now, and who may ----------------------------------------------------------------------------


def test_tell_them_now_tells_at_once(facilitator, world, told, smtp_sink):
    session = second(world)
    facilitator.post(
        reverse("events:session_update", args=[session.pk]),
        session_form(session, date=(session.date + timedelta(days=7)).isoformat(), confirmed="1"),
    )
    change = SessionChange.objects.get()

    response = facilitator.post(reverse("invitations:tell_change", args=[change.pk]), follow=True)

    assert "the emails are on their way" in response.content.decode()
    change.refresh_from_db()
    assert change.state == ChangeState.TOLD
    assert Message.objects.filter(session_change=change, channel=Channel.EMAIL).count() == 3
    outbox.dispatch_due()
    assert len(notices(smtp_sink)) == 3


@pytest.mark.parametrize("role", ["other_facilitator", "coordinator", "artist"])
def test_only_the_programmes_facilitators_can_tell_a_change(client, world, told, role):
    session = second(world)
    session.date += timedelta(days=7)
    from events import services as events_services

    events_services.save_session(session=session)
    change = SessionChange.objects.get()
    client.force_login(world.user(role))

    assert client.post(reverse("invitations:tell_change", args=[change.pk])).status_code == 403
    assert client.get(reverse("events:session_cancel", args=[session.pk])).status_code == 403
    assert client.post(reverse("events:session_reinstate", args=[session.pk])).status_code == 403
    change.refresh_from_db()
    assert change.state == ChangeState.WAITING


def test_telling_a_change_is_a_post(facilitator, world, told):
    session = second(world)
    session.date += timedelta(days=7)
    from events import services as events_services

    events_services.save_session(session=session)
    change = SessionChange.objects.get()

    assert facilitator.get(reverse("invitations:tell_change", args=[change.pk])).status_code == 405
    assert facilitator.post(reverse("invitations:tell_change", args=[change.pk + 999])).status_code == 404


# Asked again ---------------------------------------------------------------------------------------------


def test_someone_asked_again_sees_the_session_unanswered_and_the_sheets_count_them_apart(
    facilitator, world, told
):
    session = second(world)
    facilitator.post(
        reverse("events:session_update", args=[session.pk]),
        session_form(session, date=(session.date + timedelta(days=7)).isoformat(), confirmed="1"),
    )
    changes.tell(change=SessionChange.objects.get())

    sheets = facilitator.get(reverse("invitations:sheets", args=[world.programme.pk])).content.decode()
    assert "Not sure yet (date changed)" in sheets
    listing = facilitator.get(reverse("invitations:list", args=[world.programme.pk])).content.decode()
    assert "Not sure yet (date changed)" in listing

    reply_url, _unsubscribe = __import__(
        "invitations.services.emails", fromlist=["issue_reply_link"]
    ).issue_reply_link(invitation=told["ama"])
    page = facilitator.get(reply_url.removeprefix("http://testserver")).content.decode()
    assert "This has changed since you told us you were coming" in page
    assert f'name="session_{session.pk}"' in page
    assert f'name="session_{session.pk}" id="id_session_{session.pk}_0" value="yes" checked' not in page


def test_no_one_can_give_the_date_changed_answer_themselves(world, told):
    session = second(world)
    with pytest.raises(Exception, match="Please choose coming"):
        replies.save_reply(invitation=told["eve"], answers={session.pk: Answer.CHANGED}, details={})


def test_a_venue_change_tells_but_does_not_ask_again(facilitator, world, told, smtp_sink):
    session = second(world)
    new_venue = VenueFactory(neighbourhood=world.neighbourhood, name="The Library")
    facilitator.post(
        reverse("events:session_update", args=[session.pk]),
        session_form(session, venue=new_venue.pk, confirmed="1"),
    )
    tell_due()
    outbox.dispatch_due()

    sent = notices(smtp_sink)
    assert recipients(sent) == {"ama@example.org", "eve@example.org"}
    assert all(m["Subject"].startswith("New place:") for m in sent)
    assert "The Library" in text_of(sent[0])
    assert SessionAnswer.objects.get(reply__invitation=told["ama"], session=session).answer == Answer.YES
