"""The text-message version of the invitations' messages (invitations.services.texts): to the person's
mobile, short enough for two GSM-7 parts in English with long names, in their language, with a reply
link that opens their reply page; and one sent end to end by the real dispatcher to the file backend."""

import re
from datetime import date, time, timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from core import outbox
from core.models import Message
from core.sms import FileSmsBackend, SmsMessage, is_gsm7, sms_encoding, sms_parts
from events.enums import ProgrammeStatus
from events.models import Session
from invitations.enums import Answer, ChangeState, Channel, MessageKind, MessageState
from invitations.models import Invitation, Reply, SessionAnswer, SessionChange
from invitations.services.replies import find_invitation
from invitations.services.schedule import new_message, sync_schedule
from invitations.services.texts import build_text, shorten
from tests.factories import InvitationFactory, VenueFactory

SITE = "https://bettertogether.example.gov.uk"  # as long as a council's address for the site
MOBILE = "+447700900123"
TITLE = "Better Together in Millbrook and Upper Hatherley"
VENUE = "St Bartholomew's Church Hall"
FIRST_NAME = "Oluwaseun"
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")


def wednesday_after(day: date) -> date:
    """The first Wednesday after ``day`` on a two-digit day of the month: the longest way to say a day."""
    day += timedelta(days=1)
    while day.weekday() != 2 or day.day < 10:
        day += timedelta(days=1)
    return day


@pytest.fixture
def programme(world, settings):
    """The world's programme, open, with long names: a title, a venue, sessions on Wednesdays at the
    longest times to say (9:30am to 12:30pm), the first in two weeks or so."""
    settings.SITE_URL = SITE
    programme = world.programme
    programme.status = ProgrammeStatus.OPEN
    programme.title = TITLE
    programme.save()
    world.venue.name = VENUE
    world.venue.save()
    day = timezone.localdate() + timedelta(days=10)
    for session in programme.sessions.order_by("order"):
        day = wednesday_after(day)
        Session.objects.filter(pk=session.pk).update(date=day, start_time=time(9, 30), end_time=time(12, 30))
    return programme


def texter(programme, *, language: str = "en", name: str = f"{FIRST_NAME} Adebayo-Okafor") -> Invitation:
    """Someone reached by text message only."""
    return InvitationFactory(
        programme=programme,
        invitee__name=name,
        invitee__email="",
        invitee__mobile=MOBILE,
        invitee__texts_agreed=True,
        invitee__channel=Channel.SMS,
        invitee__language=language,
    )


def row(invitation: Invitation, kind: str, **topic) -> Message:
    message = new_message(
        invitation_id=invitation.pk, kind=kind, channel=Channel.SMS, scheduled_for=timezone.now(), **topic
    )
    message.save()
    return message


def text_of(message: Message) -> SmsMessage:
    message = Message.objects.get(pk=message.pk)
    return build_text(message, {})


def reply_link(body: str) -> str:
    [url] = re.findall(rf"{re.escape(SITE)}/r/[\w-]+/", body)
    assert body.endswith(url)  # the link ends the text: nothing after it can be cut off
    return url


def opens_reply_page(client, body: str, invitation: Invitation) -> None:
    url = reply_link(body)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert find_invitation(token=token) == invitation
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200


def fits_in_two_gsm_parts(body: str) -> None:
    assert sms_encoding(body) == "GSM-7", [char for char in body if not is_gsm7(char)]
    assert sms_parts(body) <= 2, (len(body), body)


def first(programme) -> Session:
    return programme.sessions.select_related("venue").order_by("date").first()


def said_of(session: Session) -> str:
    return f"{session.date:%A} {session.date.day} {session.date:%b}"


# --- Each kind in English ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [MessageKind.INVITATION, MessageKind.NUDGE])
def test_an_invitation_and_a_nudge_say_what_when_where_and_the_reply_link(client, programme, kind):
    invitation = texter(programme)

    text = text_of(row(invitation, kind))

    session = first(programme)
    assert text.to == MOBILE
    assert text.reference == f"outbox-{Message.objects.get(invitation=invitation, kind=kind).pk}"
    assert text.body.startswith(f"Hello {FIRST_NAME}, ")
    assert TITLE in text.body and VENUE in text.body  # whole: nothing needed shortening
    assert f"{said_of(session)}, 9:30am, {VENUE}." in text.body
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


def test_a_reminder_gives_its_session_day_times_and_place(client, programme):
    invitation = texter(programme)
    second = programme.sessions.select_related("venue").get(order=2)

    text = text_of(row(invitation, MessageKind.REMINDER, session_id=second.pk))

    assert f"{said_of(second)}, 9:30am-12:30pm, {VENUE}." in text.body
    assert said_of(first(programme)) not in text.body
    assert "Plans changed?" in text.body
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


def test_a_confirmation_lists_the_days_they_are_coming(client, programme):
    invitation = texter(programme)
    sessions = list(programme.sessions.order_by("date"))
    reply = Reply.objects.create(invitation=invitation)
    for session, answer in zip(sessions, [Answer.YES, Answer.NO, Answer.YES, Answer.YES], strict=True):
        SessionAnswer.objects.create(reply=reply, session=session, answer=answer)

    text = text_of(row(invitation, MessageKind.CONFIRMATION, version=reply.version))

    coming = ", ".join(f"{s.date.day} {s.date:%b}" for s in (sessions[0], sessions[2], sessions[3]))
    assert f"You're coming on: {coming}." in text.body
    assert f"{sessions[1].date.day} {sessions[1].date:%b}" not in text.body.split("coming on:")[1]
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


def told_change(session: Session, **facts) -> SessionChange:
    """A change to ``session`` that was told: it was a week earlier at 1pm, unless ``facts`` say else."""
    was = {
        "was_date": session.date - timedelta(days=7),
        "was_start_time": time(13, 0),
        "was_end_time": time(15, 30),
        "was_venue": session.venue,
        "was_cancelled": False,
        **facts,
    }
    return SessionChange.objects.create(
        session=session,
        state=ChangeState.TOLD,
        tell_at=timezone.now(),
        told_at=timezone.now(),
        new_date=session.date,
        new_start_time=session.start_time,
        new_end_time=session.end_time,
        new_venue=session.venue,
        new_cancelled=session.cancelled_at is not None,
        **was,
    )


def answered(invitation: Invitation, session: Session, answer: str) -> None:
    reply, _made = Reply.objects.get_or_create(invitation=invitation)
    SessionAnswer.objects.create(reply=reply, session=session, answer=answer)


def test_a_change_notice_of_a_new_date_says_before_and_now_and_asks_again(client, programme):
    invitation = texter(programme)
    session = first(programme)
    answered(invitation, session, Answer.CHANGED)
    change = told_change(session)

    text = text_of(row(invitation, MessageKind.CHANGE, topic=change))

    was = change.was_date
    assert f"Before: {was:%A} {was.day} {was:%b}, 1pm. Now: {said_of(session)}, 9:30am, {VENUE}." in text.body
    assert "Can you still come?" in text.body
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


def test_a_change_notice_to_someone_who_could_not_come_asks_if_the_new_time_suits(client, programme):
    invitation = texter(programme)
    session = first(programme)
    answered(invitation, session, Answer.NO)

    text = text_of(row(invitation, MessageKind.CHANGE, topic=told_change(session)))

    assert "Does the new time suit you better?" in text.body
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


def test_a_new_date_and_place_at_once_still_fits_by_shortening_the_title(client, programme, world):
    invitation = texter(programme)
    session = first(programme)
    answered(invitation, session, Answer.CHANGED)
    old_place = VenueFactory(neighbourhood=world.neighbourhood, name="Millbrook Community Centre")

    text = text_of(row(invitation, MessageKind.CHANGE, topic=told_change(session, was_venue=old_place)))

    assert "Better Together in Millbrook..." in text.body and TITLE not in text.body
    assert "1pm, Millbrook Community Centre. Now:" in text.body and VENUE in text.body
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


def test_a_cancelled_session_is_said_kindly_with_the_day_it_was(client, programme):
    invitation = texter(programme)
    session = first(programme)
    Session.objects.filter(pk=session.pk).update(cancelled_at=timezone.now())
    session.refresh_from_db()
    change = told_change(session, was_date=session.date, was_start_time=session.start_time)

    text = text_of(row(invitation, MessageKind.CHANGE, topic=change))

    assert (
        f"we're sorry: a {TITLE} get-together is cancelled. It was: {said_of(session)}, 9:30am." in text.body
    )
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


def test_a_session_back_on_says_when_and_where(client, programme):
    invitation = texter(programme)
    session = first(programme)
    change = told_change(
        session,
        was_date=session.date,
        was_start_time=time(9, 30),
        was_end_time=time(12, 30),
        was_cancelled=True,
    )

    text = text_of(row(invitation, MessageKind.CHANGE, topic=change))

    assert f"is back on. When and where: {said_of(session)}, 9:30am-12:30pm, {VENUE}." in text.body
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


# --- Long and odd names --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [MessageKind.INVITATION, MessageKind.NUDGE, MessageKind.REMINDER])
def test_names_too_long_for_two_parts_are_shortened_and_the_link_kept(client, programme, world, kind):
    long_title = "Better Together: parents, carers, schools, nurseries and groups of " + "Millbrook " * 9
    programme.title = long_title[:160]
    programme.save()
    world.venue.name = "The Upper Hatherley and Millbrook Family and Community Centre (the old library)"
    world.venue.save()
    invitation = texter(programme, name="Christabel-Oluwaseun Montgomery-Fitzwilliam")

    topic = {"session_id": first(programme).pk} if kind == MessageKind.REMINDER else {}
    text = text_of(row(invitation, kind, **topic))

    assert "Better Together: parents, carers..." in text.body
    assert "The Upper Hatherley..." in text.body
    assert "…" not in text.body
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


def test_shortening_cuts_after_a_word_and_never_on_and():
    assert shorten(TITLE, 40) == "Better Together in Millbrook..."
    assert shorten(TITLE, 60) == TITLE
    assert shorten("Supercalifragilisticexpialidocious", 20) == "Supercalifragilis..."
    assert len(shorten("a " * 100, 40)) <= 40


def test_typed_curly_quotes_and_dashes_do_not_turn_a_text_into_ucs2(client, programme, world):
    world.venue.name = "St Anne\u2019s Hall \u2013 \u201cthe big room\u201d"
    world.venue.save()
    invitation = texter(programme)

    text = text_of(row(invitation, MessageKind.INVITATION))

    assert 'St Anne\'s Hall - "the big room"' in text.body
    fits_in_two_gsm_parts(text.body)


def test_a_group_contact_is_greeted_as_everyone_there(programme, world):
    invitation = texter(programme, name=world.group.name)
    invitation.invitee.organisation = world.group
    invitation.invitee.save()

    text = text_of(row(invitation, MessageKind.INVITATION))

    assert text.body.startswith("Hello everyone at Tenants")  # a long greeting is shortened last
    fits_in_two_gsm_parts(text.body)


# --- Other languages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", [MessageKind.INVITATION, MessageKind.REMINDER, MessageKind.NUDGE, MessageKind.CONFIRMATION]
)
def test_in_urdu_a_text_is_in_urdu_and_its_ucs2_parts_are_counted(client, programme, kind):
    invitation = texter(programme, language="ur")
    topic = {"session_id": first(programme).pk} if kind == MessageKind.REMINDER else {}

    text = text_of(row(invitation, kind, **topic))

    assert len(ARABIC_SCRIPT.findall(text.body)) > 40  # Urdu words, not a name or two
    assert "Hello" not in text.body and "Tell us" not in text.body
    assert sms_encoding(text.body) == "UCS-2"
    assert text.parts == sms_parts(text.body) == -(-len(text.body) // 67)
    opens_reply_page(client, text.body, invitation)


def test_a_change_notice_in_urdu_is_in_urdu(client, programme):
    invitation = texter(programme, language="ur")
    session = first(programme)

    text = text_of(row(invitation, MessageKind.CHANGE, topic=told_change(session)))

    assert len(ARABIC_SCRIPT.findall(text.body)) > 30
    assert "Before:" not in text.body
    opens_reply_page(client, text.body, invitation)


def test_a_thousand_characters_of_urdu_take_fifteen_parts():
    urdu = ("آپ سب کو خوش آمدید، ہم مل کر بہتر محلہ بنائیں گے۔ " * 30)[:1000]
    text = SmsMessage(to=MOBILE, body=urdu, reference="outbox-1")

    assert len(urdu) == 1000 and sms_encoding(urdu) == "UCS-2"
    assert text.parts == sms_parts(urdu) == 15  # 67 to a part: 14 full parts and 62 left over


def test_in_polish_a_text_is_polish_and_its_letters_make_it_ucs2(client, programme):
    invitation = texter(programme, language="pl")

    text = text_of(row(invitation, MessageKind.INVITATION))

    assert text.body.startswith(f"Dzień dobry, {FIRST_NAME}, zapraszamy")
    # ń, ł, ę, ś are not in the GSM-7 alphabet: a Polish text goes as UCS-2 and takes more parts.
    assert not is_gsm7("ńłęś") and sms_encoding(text.body) == "UCS-2"
    assert text.parts == sms_parts(text.body) == -(-len(text.body) // 67) > 2
    opens_reply_page(client, text.body, invitation)


def test_in_somali_a_text_is_gsm7_and_names_stay_whole_when_shortening_would_not_fit_it(programme):
    invitation = texter(programme, language="so")

    text = text_of(row(invitation, MessageKind.INVITATION))

    # Somali says more than English: shortening the names would not bring it to two parts, so it
    # keeps them whole and takes a third.
    assert text.body.startswith(f"Salaan {FIRST_NAME}, waxaa lagugu martiqaaday {TITLE}, ")
    assert VENUE in text.body
    assert sms_encoding(text.body) == "GSM-7" and text.parts == sms_parts(text.body) > 2


# --- Sent end to end -------------------------------------------------------------------------------------


def test_an_invitation_by_text_is_sent_by_the_dispatcher_to_the_file_backend(
    client, programme, settings, tmp_path
):
    settings.SMS_BACKEND = "core.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_HOURS = (0, 24)  # any time of day is texting time in this test
    invitation = texter(programme)
    sync_schedule(programme=programme)

    result = outbox.dispatch_due()
    again = outbox.dispatch_due()

    row = Message.objects.get(invitation=invitation, kind=MessageKind.INVITATION)
    assert row.channel == Channel.SMS
    assert (result.sent, again.sent) == (1, 0)
    [sent] = FileSmsBackend().list_sent()
    assert sent.to == MOBILE and sent.reference == f"outbox-{row.pk}"
    assert sent.body.startswith(f"Hello {FIRST_NAME}, you're invited to {TITLE}")
    assert sent.encoding == "GSM-7" and sent.parts == sms_parts(sent.body) <= 2
    assert row.state == MessageState.SENT and row.provider == "file" and row.provider_id == sent.id
    opens_reply_page(client, sent.body, invitation)
