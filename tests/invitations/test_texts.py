"""The text-message version of the invitations' messages (invitations.services.texts): to the person's
mobile, short enough for two GSM-7 parts in English with long names, in their language, with a reply
link that opens their reply page; and one sent end to end by the real dispatcher to the file backend."""

import re
from datetime import date, time, timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from core import outbox
from core.models import Message
from core.public import privacy_address, privacy_url
from core.sms import FileSmsBackend, SmsMessage, is_gsm7, sms_encoding, sms_parts
from events.enums import ProgrammeStatus
from events.models import Session
from invitations.enums import Answer, ChangeState, Channel, MessageKind, MessageState
from invitations.models import Invitation, Reply, SessionAnswer, SessionChange
from invitations.services.replies import find_invitation
from invitations.services.schedule import new_message, sync_schedule
from invitations.services.texts import SHORTER, build_text, render_text, shorten
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
    [url] = re.findall(rf"{re.escape(settings.SITE_URL)}/r/[\w-]+/", body)
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
    assert f"{TITLE} on {was.day} {was:%b}, 1pm has moved to {said_of(session)}, 9:30am." in text.body
    assert VENUE not in text.body  # the same place: only what changed is said
    assert "Can you still come?" in text.body
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


def test_a_change_notice_to_someone_who_could_not_come_asks_if_they_can_now(client, programme):
    invitation = texter(programme)
    session = first(programme)
    answered(invitation, session, Answer.NO)

    text = text_of(row(invitation, MessageKind.CHANGE, topic=told_change(session)))

    assert "Can you come now?" in text.body
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


def test_a_new_date_and_place_at_once_say_the_new_place_with_the_names_whole(client, programme, world):
    invitation = texter(programme)
    session = first(programme)
    answered(invitation, session, Answer.CHANGED)
    old_place = VenueFactory(neighbourhood=world.neighbourhood, name="Millbrook Community Centre")

    change = told_change(session, was_venue=old_place)

    text = text_of(row(invitation, MessageKind.CHANGE, topic=change))

    was = change.was_date
    assert (
        f"{TITLE} on {was.day} {was:%b}, 1pm has moved to {said_of(session)}, 9:30am, {VENUE}." in text.body
    )
    assert "Millbrook Community Centre" not in text.body  # where it was is not needed to find it
    assert privacy_address() in text.body
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

    assert f"good news: {TITLE} is back on: {said_of(session)}, 9:30am, {VENUE}." in text.body
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

    assert "Better Together: parents..." in text.body
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
    assert "Hello" not in text.body and "has moved" not in text.body
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


def test_in_somali_a_text_is_gsm7_and_its_names_are_shortened_as_in_english_to_fit(programme):
    invitation = texter(programme, language="so")

    text = text_of(row(invitation, MessageKind.INVITATION))

    assert text.body.startswith(
        f"Salaan {FIRST_NAME}, waxaa lagugu martiqaaday Better Together in Millbrook..., "
    )
    assert sms_encoding(text.body) == "GSM-7" and text.parts == sms_parts(text.body) == 2


# --- When nothing fits -----------------------------------------------------------------------------------

# A council's address for the site far longer than most: its reply link alone is more than half a part.
VERY_LONG_SITE = (
    "https://bettertogether-families-schools-and-community-groups"
    ".millbrook-and-upper-hatherley-borough-council.gov.uk"
)
LONG_SITE = "https://bettertogether-families-and-schools.millbrook-and-upper-hatherley-borough-council.gov.uk"
LONGER_TITLE = (
    "Better Together: parents, carers, schools, nurseries and groups of Millbrook and Upper Hatherley"
)
LONGER_VENUE = "The Upper Hatherley and Millbrook Family and Community Centre (the old library)"


def invitation_text(*, site: str, language: str, name: str, title: str, venue: str) -> str:
    context = {
        "name": name,
        "title": title,
        "venue": venue,
        "day": date(2026, 9, 16),
        "time": time(9, 30),
        "url": f"{site}/r/{'A' * 43}/",
        "privacy_url": f"{site}/privacy/",
    }
    return render_text(template="invitation", context=context, language=language)


@pytest.mark.parametrize("language", ["en", "so"])
def test_when_nothing_fits_a_text_is_the_try_that_takes_the_fewest_parts(settings, language):
    settings.SITE_URL = VERY_LONG_SITE
    name = "Christabel-Oluwaseun" if language == "en" else FIRST_NAME

    body = invitation_text(
        site=VERY_LONG_SITE, language=language, name=name, title=LONGER_TITLE, venue=LONGER_VENUE
    )

    # As it is, with the full privacy address, it takes 4 parts; nothing brings it to 2.
    assert sms_encoding(body) == "GSM-7" and sms_parts(body) == 3
    assert body.endswith(f"{VERY_LONG_SITE}/r/{'A' * 43}/")
    assert f"{VERY_LONG_SITE}/privacy/" not in body
    if language == "en":
        # Leaving the privacy address out brings it to 3; shortening the names too would not save a
        # part, so they stay whole.
        assert LONGER_TITLE in body and LONGER_VENUE in body and "privacy" not in body
    else:
        # Somali keeps the address (bare): shortening the names is what brings it to 3.
        assert "Better Together: parents..." in body and "The Upper Hatherley..." in body
        assert f"Asturnaanta: {VERY_LONG_SITE.removeprefix('https://')}/privacy/ " in body


def test_when_shortening_would_not_save_a_part_the_names_and_the_address_stay_whole(settings):
    settings.SITE_URL = LONG_SITE

    body = invitation_text(site=LONG_SITE, language="so", name=FIRST_NAME, title=TITLE, venue=VENUE)

    # Somali is not held to two parts: shortened or not, this takes three, so nothing is shortened.
    assert body.startswith(f"Salaan {FIRST_NAME}, waxaa lagugu martiqaaday {TITLE}, ")
    assert VENUE in body and f"{LONG_SITE}/privacy/" in body
    assert sms_encoding(body) == "GSM-7" and sms_parts(body) == 3


# --- Every text, with a council's address for the site --------------------------------------------------

COUNCIL_SITE = "https://bettertogether.millbrook.gov.uk"
# The longest names texts.SHORTER leaves: names never shortened further than this.
LONGEST_NAME = "Oluwatobiloba-Christabel"
LONGEST_TITLE = "Better Together: Millbrook South"
LONGEST_VENUE = "Hatherley Children's Hub"
# Names as most are.
ORDINARY_NAME, ORDINARY_TITLE, ORDINARY_VENUE = "Sarah", "Better Together in Millbrook", "Millbrook Library"
ANSWERS = {"said coming": Answer.YES, "said no": Answer.NO, "no answer": None}
# Every branch of templates/sms/change.txt: what the session was before the change.
CHANGES = ["moved", "times", "new place", "moved, new place", "cancelled"]
CHANGES += ["reinstated", "reinstated, moved", "reinstated, new place", "reinstated, moved, new place"]


def test_the_longest_names_are_those_shortening_leaves():
    assert (len(LONGEST_NAME), len(LONGEST_TITLE), len(LONGEST_VENUE)) == (
        SHORTER["name"],
        SHORTER["title"],
        SHORTER["venue"],
    )
    assert shorten(LONGEST_TITLE, SHORTER["title"]) == LONGEST_TITLE


@pytest.fixture
def council(programme, world, settings):
    """The programme on a council's site, its sessions at the longest times to say (10:45am to 12:45pm)."""
    settings.SITE_URL = COUNCIL_SITE
    programme.sessions.update(start_time=time(10, 45), end_time=time(12, 45))
    return programme


def named(programme, world, *, title: str, venue: str) -> None:
    programme.title = title
    programme.save()
    world.venue.name = venue
    world.venue.save()


def change_of(session: Session, branch: str, *, elsewhere) -> SessionChange:
    """A told change of ``session`` in ``branch``: before it, the session was a week later at 11:45am
    (moved), at 11:45am the same day (times), at ``elsewhere`` (new place), or cancelled (reinstated)."""
    facts = {"was_date": session.date, "was_start_time": session.start_time, "was_end_time": session.end_time}
    if "moved" in branch:
        facts |= {"was_date": wednesday_after(session.date), "was_start_time": time(11, 45)}
    if branch == "times":
        facts["was_start_time"] = time(11, 45)
    if "new place" in branch:
        facts["was_venue"] = elsewhere
    if "reinstated" in branch:
        facts["was_cancelled"] = True
    if branch == "cancelled":
        Session.objects.filter(pk=session.pk).update(cancelled_at=timezone.now())
        session.refresh_from_db()
    return told_change(session, **facts)


def notice(programme, world, invitation: Invitation, branch: str, answer: str | None) -> SmsMessage:
    session = first(programme)
    if answer:
        answered(invitation, session, answer)
    elsewhere = VenueFactory(neighbourhood=world.neighbourhood, name="Millbrook Community Centre, Vale Road")
    return text_of(row(invitation, MessageKind.CHANGE, topic=change_of(session, branch, elsewhere=elsewhere)))


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
@pytest.mark.parametrize("branch", CHANGES)
def test_every_change_fits_two_parts_with_the_privacy_address_and_the_longest_names(
    client, council, world, branch, answer
):
    named(council, world, title=LONGEST_TITLE, venue=LONGEST_VENUE)
    invitation = texter(council, name=f"{LONGEST_NAME} Montgomery")

    text = notice(council, world, invitation, branch, answer)

    assert text.body.startswith(f"Hello {LONGEST_NAME}, ") and LONGEST_TITLE in text.body
    if "new place" in branch or "reinstated" in branch:
        assert LONGEST_VENUE in text.body
    assert re.search(rf"Privacy: (https://)?{re.escape(privacy_address())} ", text.body)
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


def other_text(kind: str, *, name: str, title: str, venue: str, what: str) -> str:
    """The texts records and actions send through texts.text_to_invitee, as they call it."""
    url = f"{COUNCIL_SITE}/{'a' if kind == 'action_link' else 'r'}/{'A' * 43}/"
    following = {"day": date(2026, 9, 23), "time": time(10, 45), "end": time(12, 45), "venue": venue}
    context = {
        "thank_you": {"title": title, "past_day": date(2026, 9, 16), **following, "coming": True, "url": url},
        "missed_you": {
            "title": title,
            "past_day": date(2026, 9, 16),
            **following,
            "not_coming": True,
            "url": url,
        },
        "action_link": {"what": what, "url": url},
    }[kind]
    body = render_text(
        template=kind, context={"name": name, "privacy_url": privacy_url(), **context}, language="en"
    )
    assert body.endswith(url)  # the link ends the text
    return body


KINDS = [MessageKind.INVITATION, MessageKind.NUDGE, MessageKind.REMINDER, MessageKind.CONFIRMATION]
OTHER_KINDS = ["thank_you", "missed_you", "action_link"]


def text_of_kind(programme, invitation: Invitation, kind: str) -> SmsMessage:
    if kind == MessageKind.CONFIRMATION:
        reply = Reply.objects.create(invitation=invitation)
        for session in programme.sessions.all():
            SessionAnswer.objects.create(reply=reply, session=session, answer=Answer.YES)
        return text_of(row(invitation, kind, version=reply.version))
    topic = {"session_id": first(programme).pk} if kind == MessageKind.REMINDER else {}
    return text_of(row(invitation, kind, **topic))


LONG_NAMES = {
    "name": "Christabel-Oluwaseun Montgomery-Fitzwilliam",
    "title": "Better Together: parents, carers, schools, nurseries and groups of Millbrook and Upper Hatherley",
    "venue": "The Upper Hatherley and Millbrook Family and Community Centre (the old library)",
    "what": "Ask the council and the bus company for a later bus from Upper Hatherley to the school on club nights",
}


@pytest.mark.parametrize("kind", KINDS + [f"change: {branch}" for branch in CHANGES] + OTHER_KINDS)
def test_every_text_with_long_names_fits_two_parts_and_ends_with_its_link(client, council, world, kind):
    named(council, world, title=LONG_NAMES["title"], venue=LONG_NAMES["venue"])
    invitation = texter(council, name=LONG_NAMES["name"])

    if kind in OTHER_KINDS:
        body = other_text(kind, **LONG_NAMES)
    else:
        text = (
            notice(council, world, invitation, kind.removeprefix("change: "), Answer.YES)
            if kind.startswith("change")
            else text_of_kind(council, invitation, kind)
        )
        body = text.body
        opens_reply_page(client, body, invitation)

    assert "…" not in body
    fits_in_two_gsm_parts(body)


# The thank-you and "we missed you" (records) are left out: with a council's address for the site they
# leave out their privacy address even for ordinary names (a few characters over; trimming their wording
# changes what tests/records/test_thank_texts.py holds, so it is not done here).
@pytest.mark.parametrize("kind", KINDS + [f"change: {branch}" for branch in CHANGES] + ["action_link"])
def test_every_text_with_ordinary_names_gives_the_privacy_address_and_the_names_whole(
    client, council, world, kind
):
    named(council, world, title=ORDINARY_TITLE, venue=ORDINARY_VENUE)
    invitation = texter(council, name=f"{ORDINARY_NAME} Jones")

    if kind in OTHER_KINDS:
        body = other_text(
            kind, name=ORDINARY_NAME, title=ORDINARY_TITLE, venue=ORDINARY_VENUE, what="A later bus"
        )
    else:
        text = (
            notice(council, world, invitation, kind.removeprefix("change: "), Answer.YES)
            if kind.startswith("change")
            else text_of_kind(council, invitation, kind)
        )
        body = text.body
        opens_reply_page(client, body, invitation)

    assert privacy_address() in body
    assert body.startswith(f"Hello {ORDINARY_NAME}, ") and "..." not in body
    assert ORDINARY_TITLE in body or kind == "action_link"
    fits_in_two_gsm_parts(body)


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
