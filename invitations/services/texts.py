"""The text-message (SMS) version of each message to someone on a programme's list: the invitation, a
session reminder, the gentle nudge, the reply confirmation and a change notice here; the thank-you and
"we missed you" (records) and a lead's update link (actions) through ``text_to_invitee`` too.

A text says the essentials in one short paragraph: what, when (day and time), where, and the link. It is
rendered from ``templates/sms/<kind>.txt`` (autoescape off: plain text) in the person's language, its
whitespace collapsed, and typographic quotes and dashes anyone typed made plain, as GOV.UK Notify does
before it counts parts. In English it fits in two parts of GSM-7 (306 septets): when names people typed
(a long programme title, a venue, an action) would make it longer, they are shortened, as far as that
makes it fit. A text in another script goes as UCS-2 (as Polish does, for its letters) and takes more
parts, as that language needs; nothing is shortened for it.

There is no unsubscribe header in a text: it ends with the reply link, whose page can stop messages.
Every text gives the privacy notice's address (``privacy_url``, SITE_URL + "/privacy/"), before that link.
"""

from collections.abc import Mapping
from datetime import date, time
from typing import Any

from django.conf import settings
from django.utils import translation

from core import languages
from core.delivery import reference_of
from core.mail import render_plain
from core.models import Message
from core.public import privacy_address, privacy_url
from core.sms import SmsMessage, sms_encoding, sms_parts
from events.models import Session

from ..enums import Answer, MessageKind
from ..models import Invitation, Invitee, SessionAnswer, SessionChange
from .changes import describe
from .emails import SharedDetails, issue_reply_link, programme_details

# The most a text may take in GSM-7 before the names in it are shortened.
MAX_PARTS = 2
# The names people typed that a text too long may shorten, one after another in this order until it
# fits, and how short each may become (characters). The person's name goes last. At these, the fullest
# text (a change notice: templates/sms/change.txt) still fits with the bare privacy address.
SHORTER = {"venue": 24, "what": 48, "title": 32, "name": 24}
# Words a shortened name does not end on ("Millbrook and..."), and what it does not end with.
JOINING_WORDS = frozenset(
    {"a", "and", "&", "at", "for", "in", "of", "on", "or", "the", "to", "with", "-", "+"}
)
PUNCTUATION = " ,.;:-'\"(/&+"
# What GOV.UK Notify replaces before counting a text's parts: typed quotes, dashes and invisible spaces.
NOTIFY_REPLACES = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00a0": " ",
        "\t": " ",
        "\u180e": "",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\u2060": "",
        "\ufeff": "",
    }
)


def plain_text(text: str) -> str:
    """One paragraph: whitespace collapsed, typed quotes and dashes made plain (as Notify does)."""
    return " ".join(text.translate(NOTIFY_REPLACES).split())


def shorten(text: str, limit: int) -> str:
    """``text`` cut after a word to at most ``limit`` characters, with "..." (GSM-7, unlike "…"):
    "Better Together in Millbrook and Upper Hatherley" → "Better Together in Millbrook..."."""
    text = plain_text(text)
    if len(text) <= limit:
        return text
    words = text[: limit - 2].split(" ")[:-1] or [text[: limit - 3]]  # the last word may be cut
    while len(words) > 1 and (words[-1].lower() in JOINING_WORDS or not words[-1].strip(PUNCTUATION)):
        words.pop()
    return " ".join(words).rstrip(PUNCTUATION) + "..."


def too_long(body: str) -> bool:
    return sms_encoding(body) == "GSM-7" and sms_parts(body) > MAX_PARTS


def _shortened(template: str, context: Mapping[str, Any], *, shorten_names: bool) -> str:
    """The text as it is, or (``shorten_names``) with the names in SHORTER shortened one by one until it
    fits MAX_PARTS of GSM-7 (or all of them are)."""
    body = plain_text(render_plain(f"sms/{template}.txt", dict(context)))
    shorter = dict(context)
    for key, limit in SHORTER.items() if shorten_names else ():
        if not too_long(body):
            break
        if key in shorter and len(str(shorter[key])) > limit:
            shorter[key] = shorten(str(shorter[key]), limit)
            # "Millbrook..." at the end of a sentence: one full stop is enough.
            body = plain_text(render_plain(f"sms/{template}.txt", shorter)).replace("....", "...")
    return body


def render_text(*, template: str, context: Mapping[str, Any], language: str) -> str:
    """``templates/sms/<template>.txt`` in ``language`` (core.languages), as one plain paragraph.

    When the text would not fit in MAX_PARTS of GSM-7, the privacy notice's address (``privacy_url``)
    gives way first: written without "https://" (core.public.privacy_address), then, in English, left
    out (the reply page the text links to links to it), so that the names people typed stay whole when
    they can. Only then are the names in SHORTER shortened one by one, with the privacy address again if
    it fits. If nothing fits (a language that says more: it is not held to two parts), the text is the
    try that takes the fewest parts, the first of those: names whole and the full address when
    shortening would not save a part."""
    spoken = languages.for_person(language)
    url = str(context.get("privacy_url") or "")
    shorter = [url]
    if url:
        shorter = [privacy_address(), *([""] if spoken == settings.LANGUAGE_CODE else [])]
    tries = [(False, address) for address in dict.fromkeys([url, *shorter])]
    tries += [(True, address) for address in shorter]
    bodies = []
    with translation.override(spoken):
        for shorten_names, address in tries:
            body = _shortened(template, {**context, "privacy_url": address}, shorten_names=shorten_names)
            if not too_long(body):
                return body
            bodies.append(body)
    return min(bodies, key=sms_parts)


def text_to_invitee(
    *, invitee: Invitee, template: str, context: Mapping[str, Any], message: Message
) -> SmsMessage:
    """The text for outbox row ``message`` to someone on a programme's list, to their mobile, in their
    language, greeting them by name (``name`` in the template; a group's contact is "everyone at …"),
    with the privacy notice's address (``privacy_url``: every text links to it). Nothing is sent here."""
    with translation.override(languages.for_person(invitee.language)):
        name = str(invitee.greeting_name)
    context = {"name": name, "privacy_url": privacy_url(), **context}
    body = render_text(template=template, context=context, language=invitee.language)
    return SmsMessage(to=invitee.mobile, body=body, reference=reference_of(message))


def when(session: Session | None) -> dict[str, Any]:
    """What a text says of a session: its day, start and end times and the venue's name."""
    if session is None:
        return {}
    return {
        "day": session.date,
        "time": session.start_time,
        "end": session.end_time,
        "venue": session.venue.name if session.venue else "",
    }


def build_message_text(*, message: Message, shared: SharedDetails | None = None) -> SmsMessage:
    """The text of an invitation, a reminder, a nudge or a reply confirmation, with a fresh reply link
    (side effect: a new ReplyToken). An invitation and a nudge tell of the first session still to come;
    a reminder of its own; a confirmation lists the days they said they are coming."""
    invitation = message.recipient
    assert isinstance(invitation, Invitation)
    details = programme_details(invitation.programme, shared=shared)
    if message.kind == MessageKind.REMINDER:
        session = next((s for s in details.upcoming if s.pk == message.topic_id), None) or message.topic
        assert isinstance(session, Session)
    else:
        session = details.upcoming[0] if details.upcoming else None
    coming: list[date] = []
    if message.kind == MessageKind.CONFIRMATION:
        yes = set(
            SessionAnswer.objects.filter(reply__invitation=invitation, answer=Answer.YES).values_list(
                "session_id", flat=True
            )
        )
        coming = [s.date for s in details.upcoming if s.pk in yes]
    reply_url, _unsubscribe = issue_reply_link(invitation=invitation)
    context = {"title": invitation.programme.title, "coming": coming, "url": reply_url, **when(session)}
    return text_to_invitee(
        invitee=invitation.invitee, template=message.kind, context=context, message=message
    )


def notice_text_context(*, facts: dict, answer: str, title: str, url: str) -> dict[str, Any]:
    """What a change notice's text says (``facts``: changes.describe of what it told)."""
    was, now = facts["was"], facts["now"]

    def side(facts_of: dict) -> tuple[date, time, time, str]:
        told = facts_of["facts"]
        return told.date, told.start_time, told.end_time, facts_of["venue"].name if facts_of["venue"] else ""

    day, start, end, venue = side(now)
    was_day, was_time, _was_end, was_venue = side(was)
    return {
        "title": title,
        "url": url,
        "day": day,
        "time": start,
        "end": end,
        "venue": venue,
        "was_day": was_day,
        "was_time": was_time,
        "was_venue": was_venue,
        "moved": facts["moved"],
        "place_changed": facts["place_changed"],
        "cancelled": facts["cancelled"],
        "reinstated": facts["reinstated"],
        "said_coming": answer in (Answer.YES, Answer.CHANGED),
        "said_no": answer == Answer.NO,
    }


def build_notice_text(*, message: Message) -> SmsMessage:
    """The text of one change notice, saying what the change said when it was told, with a fresh reply
    link (side effect: a new ReplyToken)."""
    invitation, change = message.recipient, message.topic
    assert isinstance(invitation, Invitation) and isinstance(change, SessionChange)
    after = change.after
    assert after is not None, "only a change that was told has notices"
    answer = (
        SessionAnswer.objects.filter(reply__invitation=invitation, session=change.session_id)
        .values_list("answer", flat=True)
        .first()
    )
    reply_url, _unsubscribe = issue_reply_link(invitation=invitation)
    context = notice_text_context(
        facts=describe(before=change.before, after=after),
        answer=answer or "",
        title=invitation.programme.title,
        url=reply_url,
    )
    return text_to_invitee(invitee=invitation.invitee, template="change", context=context, message=message)


def build_text(message: Message, shared: dict[Any, Any]) -> SmsMessage:
    """The invitations' Kind.build_sms: the text for one outbox row on the SMS channel."""
    if message.kind == MessageKind.CHANGE:
        return build_notice_text(message=message)
    return build_message_text(message=message, shared=shared)
