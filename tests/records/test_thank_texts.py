"""The text-message version of the thank-you and "we missed you" (records.services.thanks): the session,
the next one with a reply link that opens the reply page, in two GSM-7 parts in English with long names,
in the person's language; after the last session, no link."""

import re
from datetime import time, timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from core.models import Message
from core.sms import sms_encoding, sms_parts
from events.enums import ProgrammeStatus
from events.models import Session
from invitations.enums import Answer, Channel
from invitations.models import Reply, ReplyToken, SessionAnswer
from invitations.services.replies import find_invitation
from invitations.services.schedule import new_message
from records.enums import MessageKind
from records.services.thanks import build_thanks_text
from tests.factories import InvitationFactory

SITE = "https://bettertogether.example.gov.uk"
MOBILE = "+447700900456"
TITLE = "Better Together in Millbrook and Upper Hatherley"
VENUE = "St Bartholomew's Church Hall"


@pytest.fixture
def programme(world, settings):
    """Open, with long names: the all-day a fortnight ago, the first half-day yesterday, the next two in
    10 and 24 days, every one 9:30am to 12:30pm."""
    settings.SITE_URL = SITE
    programme = world.programme
    programme.status = ProgrammeStatus.OPEN
    programme.title = TITLE
    programme.save()
    world.venue.name = VENUE
    world.venue.save()
    today = timezone.localdate()
    days = [today - timedelta(days=15), today - timedelta(days=1), today + timedelta(days=10)]
    days.append(today + timedelta(days=24))
    for session, day in zip(programme.sessions.order_by("order"), days, strict=True):
        Session.objects.filter(pk=session.pk).update(date=day, start_time=time(9, 30), end_time=time(12, 30))
    return programme


def texter(programme, *, language: str = "en"):
    return InvitationFactory(
        programme=programme,
        invitee__name="Oluwaseun Adebayo-Okafor",
        invitee__email="",
        invitee__mobile=MOBILE,
        invitee__texts_agreed=True,
        invitee__channel=Channel.SMS,
        invitee__language=language,
    )


def text_for(invitation, session, kind=MessageKind.THANK_YOU):
    row = new_message(
        invitation_id=invitation.pk,
        kind=kind,
        channel=Channel.SMS,
        scheduled_for=timezone.now(),
        session_id=session.pk,
    )
    row.save()
    return build_thanks_text(Message.objects.get(pk=row.pk), {})


def said_of(day) -> str:
    return f"{day:%A} {day.day} {day:%b}"


def opens_reply_page(client, body: str, invitation) -> None:
    [url] = re.findall(rf"{re.escape(SITE)}/r/[\w-]+/", body)
    assert body.endswith(url)
    assert find_invitation(token=url.rstrip("/").rsplit("/", 1)[1]) == invitation
    assert client.get(urlsplit(url).path).status_code == 200


def fits_in_two_gsm_parts(body: str) -> None:
    assert sms_encoding(body) == "GSM-7"
    assert sms_parts(body) <= 2, (len(body), body)


def test_a_thank_you_text_names_the_day_and_asks_about_the_next_one(client, programme):
    half_day, following = programme.sessions.get(order=2), programme.sessions.get(order=3)
    invitation = texter(programme)

    text = text_for(invitation, half_day)

    assert text.to == MOBILE and text.reference.startswith("outbox-")
    assert text.body.startswith(
        f"Hello Oluwaseun, thank you for coming to {TITLE} on {said_of(half_day.date)}!"
    )
    assert f"Next time: {said_of(following.date)}, 9:30am, {VENUE}. Can you come?" in text.body
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


@pytest.mark.parametrize(
    ("answer", "asks"),
    [(Answer.YES, "See you there! Plans changed?"), (Answer.NO, "If you can come after all, tell us here:")],
)
def test_the_thank_you_text_follows_their_answer_for_the_next_session(client, programme, answer, asks):
    half_day, following = programme.sessions.get(order=2), programme.sessions.get(order=3)
    invitation = texter(programme)
    reply = Reply.objects.create(invitation=invitation)
    SessionAnswer.objects.create(reply=reply, session=following, answer=answer)

    text = text_for(invitation, half_day)

    assert asks in text.body
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


def test_we_missed_you_by_text_is_kind_and_asks_about_next_time(client, programme):
    half_day, following = programme.sessions.get(order=2), programme.sessions.get(order=3)
    invitation = texter(programme)

    text = text_for(invitation, half_day, MessageKind.MISSED_YOU)

    assert f"we missed you at {TITLE} on {said_of(half_day.date)}. We hope all is well." in text.body
    assert f"Next time: {said_of(following.date)}, 9:30am, {VENUE}." in text.body
    fits_in_two_gsm_parts(text.body)
    opens_reply_page(client, text.body, invitation)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (MessageKind.THANK_YOU, "Thank you for being part of it."),
        (MessageKind.MISSED_YOU, "We hope to see you again soon."),
    ],
)
def test_after_the_last_session_the_text_has_no_link_and_mints_no_token(programme, kind, words):
    today = timezone.localdate()
    Session.objects.filter(programme=programme, order=3).update(date=today - timedelta(days=8))
    Session.objects.filter(programme=programme, order=4).update(date=today - timedelta(days=1))
    last = programme.sessions.get(order=4)
    invitation = texter(programme)

    text = text_for(invitation, last, kind)

    assert text.body.endswith(f"That was the last workshop in this series. {words}")
    assert "/r/" not in text.body
    assert not ReplyToken.objects.filter(invitation=invitation).exists()
    fits_in_two_gsm_parts(text.body)


def test_a_thank_you_in_urdu_is_in_urdu_and_counted_as_ucs2(client, programme):
    invitation = texter(programme, language="ur")

    text = text_for(invitation, programme.sessions.get(order=2))

    assert len(re.findall(r"[\u0600-\u06ff]", text.body)) > 30
    assert "thank you" not in text.body.lower()
    assert sms_encoding(text.body) == "UCS-2" and text.parts == sms_parts(text.body) > 2
    opens_reply_page(client, text.body, invitation)
