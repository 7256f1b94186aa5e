"""After each session, a thank-you (records.services.thanks): who gets which, what it says, and when
nothing goes. Rows are planned by the kinds' prepare and sent by the real dispatcher to the SMTP sink."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape

from actions.models import Action
from artwork.enums import Visibility
from core import outbox
from core.models import Message
from evaluations.enums import ArrivalSource, WordSource
from evaluations.models import Attendance
from evaluations.services.attendance import mark_arrived
from evaluations.services.words import add_word
from events.enums import ProgrammeStatus
from events.models import DEFAULT_THANK_YOU_WORDS, Programme, Session
from invitations.enums import Answer, MessageState
from invitations.models import Reply, SessionAnswer
from invitations.services.replies import find_invitation, opt_out
from invitations.services.schedule import send_time
from records.enums import MessageKind
from records.services.thanks import THANKS_WINDOW, plan_thanks, still_wanted
from tests.events.test_forms import programme_edit_form as edit_form
from tests.factories import InvitationFactory

from .helpers import add_picture

KINDS = [kind.value for kind in MessageKind]
OUR_WORDS = str(DEFAULT_THANK_YOU_WORDS)


# --- The world: a programme whose first half-day was yesterday -------------------------------------------


@pytest.fixture
def programme(world) -> Programme:
    """The world's programme, open: the all-day a fortnight ago, the first half-day yesterday (it ended at
    noon), the next half-days in 10 and 24 days."""
    programme = world.programme
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    today = timezone.localdate()
    days = [today - timedelta(days=15), today - timedelta(days=1), today + timedelta(days=10)]
    days.append(today + timedelta(days=24))
    for session, day in zip(programme.sessions.order_by("order"), days, strict=True):
        Session.objects.filter(pk=session.pk).update(date=day)
    return programme


@pytest.fixture
def half_day(programme) -> Session:
    return programme.sessions.get(order=2)


@pytest.fixture
def next_half_day(programme) -> Session:
    return programme.sessions.get(order=3)


def person(session, name, *, came=False, answer=None, **invitee):
    """Someone on the programme's list (by email unless told), who came to ``session`` or answered it."""
    address = invitee.pop("email", f"{name.split()[0].lower()}@example.org")
    invitation = InvitationFactory(
        programme=session.programme,
        invitee__name=name,
        invitee__email=address,
        **{f"invitee__{key}": value for key, value in invitee.items()},
    )
    if came:
        Attendance.objects.create(session=session, invitation=invitation)
    if answer:
        reply = Reply.objects.create(invitation=invitation)
        SessionAnswer.objects.create(reply=reply, session=session, answer=answer)
    return invitation


def planned(session) -> dict[str, str]:
    """Name → kind of the thank-you rows waiting to go for ``session``."""
    return {
        row.recipient.invitee.name: row.kind
        for row in Message.objects.filter(session=session, kind__in=KINDS, state=MessageState.SCHEDULED)
    }


def morning_comes() -> None:
    """Nine o'clock the next day: every thank-you row planned is due."""
    Message.objects.filter(kind__in=KINDS, state=MessageState.SCHEDULED).update(
        scheduled_for=timezone.now() - timedelta(minutes=1)
    )


def send_thanks() -> outbox.DispatchResult:
    plan_thanks()
    morning_comes()
    return outbox.dispatch_due()


def thanks_to(sink, address: str) -> list:
    """The thank-yous and "we missed you"s the sink received for ``address`` (not other kinds of mail)."""
    return [
        message
        for message in sink.to(address)
        if message["Subject"].startswith(("Thank you for coming", "We missed you"))
    ]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def reply_link(text: str) -> str:
    return next(
        word
        for word in text.split()
        if "/r/" in word and "unsubscribe" not in word and "pictures" not in word
    )


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


# --- Who gets which --------------------------------------------------------------------------------------


def test_the_morning_after_those_who_came_are_thanked_and_those_who_said_coming_are_missed(world, half_day):
    person(half_day, "Amira Khan", came=True)
    person(half_day, "Tom Reid", came=True, answer=Answer.YES)
    person(half_day, "Bea Lowe", answer=Answer.YES)
    person(half_day, "Carl Ode", answer=Answer.NO)
    person(half_day, "Dina Moss", answer=Answer.MAYBE)
    person(half_day, "Ed Gray")  # invited, never replied, did not come
    opted_out = person(half_day, "Fay Holt", came=True)
    opt_out(invitation=opted_out)
    person(half_day, "Gus Webb", came=True, email="", channel="letter", organisation=world.school)
    person(half_day, "Hal Nye", answer=Answer.YES, email="", channel="letter", organisation=world.school)
    person(half_day, "Ivy Dunn", came=True, email="", channel="none")

    plan_thanks()

    assert planned(half_day) == {
        "Amira Khan": MessageKind.THANK_YOU,
        "Tom Reid": MessageKind.THANK_YOU,
        "Bea Lowe": MessageKind.MISSED_YOU,
    }
    nine_next_morning = send_time(half_day.date + timedelta(days=1))
    rows = Message.objects.filter(session=half_day, kind__in=KINDS)
    assert {row.scheduled_for for row in rows} == {nine_next_morning}
    assert timezone.localtime(nine_next_morning).hour == 9
    assert {row.channel for row in rows} == {"email"}


def test_nothing_is_planned_before_the_session_has_ended(programme, next_half_day):
    person(next_half_day, "Amira Khan", answer=Answer.YES)

    plan_thanks(now=next_half_day.starts_at + timedelta(minutes=30))

    assert planned(next_half_day) == {}


def test_planning_twice_keeps_one_row_each_and_sends_one_email_each(half_day, smtp_sink):
    person(half_day, "Amira Khan", came=True)
    person(half_day, "Bea Lowe", answer=Answer.YES)

    plan_thanks()
    plan_thanks()
    send_thanks()
    outbox.dispatch_due()

    assert Message.objects.filter(session=half_day, kind__in=KINDS).count() == 2
    assert len(thanks_to(smtp_sink, "amira@example.org")) == 1
    assert len(thanks_to(smtp_sink, "bea@example.org")) == 1


# --- What the thank-you says -----------------------------------------------------------------------------


def test_the_thank_you_has_the_words_the_decisions_the_pictures_and_the_next_session(
    world, half_day, next_half_day, smtp_sink, client
):
    amira = person(half_day, "Amira Khan", came=True)
    lead = person(half_day, "Rosa Delgado", came=True)
    for word in ["Hopeful", "hopeful", "Together", "together!", "Heard", "Brave", "Tired", "Warm"]:
        add_word(session=half_day, text=word, source=WordSource.TYPED)
    add_word(session=half_day, text="Unapproved", source=WordSource.PHONE, phone_hash="a-phone")
    Action.objects.create(
        programme=half_day.programme, session=half_day, what="A walking bus to school", lead=lead
    )
    Action.objects.create(programme=half_day.programme, session=half_day, what="A homework club")
    Action.objects.create(programme=half_day.programme, session=None, what="Something from elsewhere")
    add_picture(
        half_day, title="The big map", description="Where families meet", visibility=Visibility.PARTICIPANTS
    )

    send_thanks()

    [message] = thanks_to(smtp_sink, "amira@example.org")
    day = date_format(half_day.date, "l j F")
    assert message["Subject"] == f"Thank you for coming on {day}"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = text_of(message), html_of(message)
    for body in (text, html):
        assert "Hello Amira," in body
        assert (escape(OUR_WORDS) if body is html else OUR_WORDS) in body
        assert "Hopeful" in body and "Together" in body
        assert "Unapproved" not in body
        assert "A walking bus to school (Rosa leads this)" in body
        assert "Delgado" not in body  # first names only
        assert "A homework club (we still need someone to lead this)" in body
        assert "Something from elsewhere" not in body
        assert date_format(next_half_day.date, "l j F") in body
        assert next_half_day.venue.name in body
        assert "Can you come? Please let us know here:" in body
    # The five words said most, most first: "Tired" and "Warm" (said once, later) are not among them.
    assert "Hopeful, Together, Brave, Heard, Tired\n" in text
    assert "Warm" not in text and "Warm" not in html
    # The reply link opens this person's reply page.
    url = reply_link(text)
    assert find_invitation(token=path_of(url).strip("/").split("/")[1]) == amira
    assert client.get(path_of(url)).status_code == 200
    # The pictures link opens the pictures shared with participants, no account needed.
    pictures = next(word for word in text.split() if word.endswith("/pictures/"))
    page = client.get(path_of(pictures))
    assert page.status_code == 200 and "Where families meet" in page.content.decode()
    assert f'href="{pictures}"' in html
    # The next session goes in the diary.
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    calendar = attachments["better-together.ics"]
    assert (calendar.decode() if isinstance(calendar, bytes) else calendar).count("BEGIN:VEVENT") == 1


def test_someone_coming_next_time_is_told_so(half_day, next_half_day, smtp_sink):
    amira = person(half_day, "Amira Khan", came=True)
    SessionAnswer.objects.create(
        reply=Reply.objects.create(invitation=amira), session=next_half_day, answer=Answer.YES
    )

    send_thanks()

    [message] = thanks_to(smtp_sink, "amira@example.org")
    assert "You told us you are coming. If your plans change, let us know here:" in text_of(message)
    assert "Update my reply" in html_of(message)


def test_the_facilitators_own_words_replace_ours_as_typed(programme, half_day, smtp_sink):
    programme.thank_you_words = "It was wonderful to have you with us.\n\nFish & chips next time!"
    programme.save()
    person(half_day, "Amira Khan", came=True)

    send_thanks()

    [message] = thanks_to(smtp_sink, "amira@example.org")
    text, html = text_of(message), html_of(message)
    assert "It was wonderful to have you with us.\n\nFish & chips next time!" in text
    assert "<p>It was wonderful to have you with us.</p>" in html and "Fish &amp; chips next time!" in html
    assert "voice matters" not in text and "voice matters" not in html


def test_what_did_not_happen_is_left_out_and_the_last_session_closes_kindly(programme, half_day, smtp_sink):
    Session.objects.filter(programme=programme, order__gt=2).update(cancelled_at=timezone.now())
    add_picture(half_day, title="Team only", description="Kept for the team", visibility=Visibility.TEAM)
    person(half_day, "Amira Khan", came=True)

    send_thanks()

    [message] = thanks_to(smtp_sink, "amira@example.org")
    for body in (text_of(message), html_of(message)):
        assert "said one word" not in body
        assert "What the group decided" not in body
        assert "pictures" not in body
        assert "We meet next" not in body
        assert "That was the last workshop in this series. Thank you for being part of it." in body
    assert not list(message.iter_attachments())


def test_the_all_day_thank_you_has_no_decisions(programme, smtp_sink):
    all_day = programme.sessions.get(order=1)
    Session.objects.filter(pk=all_day.pk).update(date=timezone.localdate() - timedelta(days=1))
    Session.objects.filter(programme=programme, order=2).update(date=timezone.localdate() + timedelta(days=3))
    all_day.refresh_from_db()
    person(all_day, "Amira Khan", came=True)
    Action.objects.create(programme=programme, session=all_day, what="An idea from the all-day")

    send_thanks()

    [message] = thanks_to(smtp_sink, "amira@example.org")
    assert "An idea from the all-day" not in text_of(message)
    assert "What the group decided" not in text_of(message)


def test_we_missed_you_says_what_happened_and_when_we_meet_next(half_day, next_half_day, smtp_sink, client):
    bea = person(half_day, "Bea Lowe", answer=Answer.YES)
    add_word(session=half_day, text="Hopeful", source=WordSource.TYPED)
    Action.objects.create(programme=half_day.programme, session=half_day, what="A walking bus to school")

    send_thanks()

    [message] = thanks_to(smtp_sink, "bea@example.org")
    assert message["Subject"] == f"We missed you on {date_format(half_day.date, 'l j F')}"
    text, html = text_of(message), html_of(message)
    for body in (text, html):
        assert "Hello Bea," in body
        assert "We missed you at the workshop on" in body
        assert "Thank you for coming" not in body
        assert "voice matters" not in body
        assert "Hopeful" in body and "A walking bus to school" in body
        assert date_format(next_half_day.date, "l j F") in body
    url = reply_link(text)
    assert find_invitation(token=path_of(url).strip("/").split("/")[1]) == bea
    assert client.get(path_of(url)).status_code == 200


# --- When nothing goes -----------------------------------------------------------------------------------


def test_nothing_is_planned_when_the_thank_you_is_switched_off(programme, half_day):
    programme.send_thank_you = False
    programme.save()
    person(half_day, "Amira Khan", came=True)
    person(half_day, "Bea Lowe", answer=Answer.YES)

    plan_thanks()

    assert not Message.objects.filter(kind__in=KINDS).exists()


def test_nothing_is_planned_for_a_cancelled_session(half_day):
    Session.objects.filter(pk=half_day.pk).update(cancelled_at=timezone.now() - timedelta(days=3))
    person(half_day, "Amira Khan", came=True)

    plan_thanks()

    assert not Message.objects.filter(kind__in=KINDS).exists()


def test_nothing_is_planned_for_a_programme_being_planned(programme, half_day):
    Programme.objects.filter(pk=programme.pk).update(status=ProgrammeStatus.DRAFT)
    person(half_day, "Amira Khan", came=True)

    plan_thanks()

    assert not Message.objects.filter(kind__in=KINDS).exists()


def test_nothing_is_planned_for_a_session_long_past(programme):
    all_day = programme.sessions.get(order=1)  # a fortnight ago
    person(all_day, "Amira Khan", came=True)
    person(all_day, "Bea Lowe", answer=Answer.YES)

    plan_thanks()

    assert not Message.objects.filter(kind__in=KINDS).exists()


def test_a_session_is_thanked_for_only_within_the_window(half_day):
    person(half_day, "Amira Khan", came=True)

    plan_thanks(now=half_day.ends_at + THANKS_WINDOW + timedelta(minutes=1))
    assert planned(half_day) == {}

    plan_thanks(now=half_day.ends_at + THANKS_WINDOW - timedelta(minutes=1))
    [row] = Message.objects.filter(session=half_day, kind__in=KINDS)
    assert still_wanted(row, half_day.ends_at + THANKS_WINDOW - timedelta(minutes=1))
    assert not still_wanted(row, half_day.ends_at + THANKS_WINDOW + timedelta(minutes=1))


def test_a_finished_programme_still_thanks_people_for_its_last_session(programme, half_day, smtp_sink):
    Session.objects.filter(programme=programme, order__gt=2).update(cancelled_at=timezone.now())
    Programme.objects.filter(pk=programme.pk).update(status=ProgrammeStatus.FINISHED)
    person(half_day, "Amira Khan", came=True)

    send_thanks()

    assert len(thanks_to(smtp_sink, "amira@example.org")) == 1


def _switch_off(programme, session, invitation):
    Programme.objects.filter(pk=programme.pk).update(send_thank_you=False)


def _cancel_session(programme, session, invitation):
    Session.objects.filter(pk=session.pk).update(cancelled_at=timezone.now())


def _opt_out(programme, session, invitation):
    opt_out(invitation=invitation)


def _by_letter(programme, session, invitation):
    invitation.invitee.channel = "letter"
    invitation.invitee.save()


@pytest.mark.parametrize("change", [_switch_off, _cancel_session, _by_letter], ids=lambda f: f.__name__)
def test_rows_made_before_a_change_are_cancelled_when_their_time_comes(
    programme, half_day, smtp_sink, change
):
    amira = person(half_day, "Amira Khan", came=True)
    person(half_day, "Bea Lowe", answer=Answer.YES)
    plan_thanks()
    morning_comes()

    change(programme, half_day, amira)
    # Without the kinds' prepare, so that the check just before sending (still_wanted) is what decides.
    result = outbox.dispatch_due(prepare=False)

    cancelled = Message.objects.filter(session=half_day, kind__in=KINDS, state=MessageState.CANCELLED)
    if change is _by_letter:
        assert result.sent == 1 and cancelled.get().recipient == amira
        assert thanks_to(smtp_sink, "amira@example.org") == []
    else:
        assert result.sent == 0 and cancelled.count() == 2 and smtp_sink.messages == []


@pytest.mark.parametrize("change", [_switch_off, _cancel_session, _opt_out], ids=lambda f: f.__name__)
def test_rows_not_yet_due_are_cancelled_at_the_next_run_after_a_change(programme, half_day, change):
    amira = person(half_day, "Amira Khan", came=True)
    plan_thanks()

    change(programme, half_day, amira)
    plan_thanks()

    assert planned(half_day) == {}
    assert Message.objects.get(session=half_day, kind__in=KINDS).state == MessageState.CANCELLED


def test_rows_wanted_again_come_back(programme, half_day):
    person(half_day, "Amira Khan", came=True)
    plan_thanks()
    _switch_off(programme, half_day, None)
    plan_thanks()

    Programme.objects.filter(pk=programme.pk).update(send_thank_you=True)
    plan_thanks()

    assert planned(half_day) == {"Amira Khan": MessageKind.THANK_YOU}


def test_rows_wait_while_their_programme_is_being_planned(programme, half_day, smtp_sink):
    person(half_day, "Amira Khan", came=True)
    plan_thanks()
    morning_comes()

    Programme.objects.filter(pk=programme.pk).update(status=ProgrammeStatus.DRAFT)
    result = outbox.dispatch_due(prepare=False)

    assert result.sent == result.cancelled == 0 and smtp_sink.messages == []
    assert planned(half_day) == {"Amira Khan": MessageKind.THANK_YOU}


# --- A late sign-in ----------------------------------------------------------------------------------------


def test_someone_signed_in_late_is_not_sent_we_missed_you(world, half_day, smtp_sink):
    bea = person(half_day, "Bea Lowe", answer=Answer.YES)
    plan_thanks()
    morning_comes()
    assert planned(half_day) == {"Bea Lowe": MessageKind.MISSED_YOU}

    mark_arrived(session=half_day, invitation=bea, by=world.user("facilitator"), source=ArrivalSource.PAPER)
    result = outbox.dispatch_due(prepare=False)

    assert result.sent == 0 and result.cancelled == 1
    assert thanks_to(smtp_sink, "bea@example.org") == []


def test_someone_signed_in_late_gets_the_thank_you_instead(world, half_day, smtp_sink):
    bea = person(half_day, "Bea Lowe", answer=Answer.YES)
    plan_thanks()

    mark_arrived(session=half_day, invitation=bea, by=world.user("facilitator"), source=ArrivalSource.PAPER)
    send_thanks()

    [message] = thanks_to(smtp_sink, "bea@example.org")
    assert message["Subject"].startswith("Thank you for coming")
    rows = Message.objects.filter(session=half_day, kind__in=KINDS)
    assert dict(rows.values_list("kind", "state")) == {
        MessageKind.MISSED_YOU: MessageState.CANCELLED,
        MessageKind.THANK_YOU: MessageState.SENT,
    }


# --- The switch and the words on the programme's edit page --------------------------------------------------


def test_the_edit_page_shows_the_switch_on_and_our_words_in_the_box(client, world):
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("events:programme_update", args=[world.programme.pk])).content.decode()

    assert re.search(r'<input type="checkbox" name="send_thank_you"[^>]*checked', html)
    assert f'placeholder="{escape(OUR_WORDS)}"' in html
    assert "At 9am the day after each workshop" in html


def test_a_facilitator_switches_the_thank_you_off_and_writes_its_words(client, world):
    client.force_login(world.user("facilitator"))
    url = reverse("events:programme_update", args=[world.programme.pk])

    response = client.post(url, edit_form(world, thank_you_words="  Thank you, all of you!  "))

    assert response.status_code == 302
    world.programme.refresh_from_db()
    assert world.programme.send_thank_you is False  # an unticked box is not sent
    assert world.programme.thank_you_words == "Thank you, all of you!"

    client.post(url, edit_form(world, send_thank_you="on", thank_you_words=""))
    world.programme.refresh_from_db()
    assert (world.programme.send_thank_you, world.programme.thank_you_words) == (True, "")


def test_the_words_have_a_limit(client, world):
    client.force_login(world.user("facilitator"))

    response = client.post(
        reverse("events:programme_update", args=[world.programme.pk]),
        edit_form(world, send_thank_you="on", thank_you_words="Thank you! " * 100),
    )

    assert response.status_code == 200
    assert "thank_you_words" in response.context["form"].errors
    world.programme.refresh_from_db()
    assert world.programme.thank_you_words == ""


@pytest.mark.parametrize("role", ["coordinator", "other_facilitator", "artist"])
def test_only_the_programmes_facilitators_may_change_the_thank_you(client, world, role):
    client.force_login(world.user(role))

    response = client.post(
        reverse("events:programme_update", args=[world.programme.pk]),
        edit_form(world, thank_you_words="Not yours to write"),
    )

    assert response.status_code == 403
    world.programme.refresh_from_db()
    assert (world.programme.send_thank_you, world.programme.thank_you_words) == (True, "")
