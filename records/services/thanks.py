"""After each session, a thank-you: the morning after, everyone who came gets a short email with the
facilitator's words (or ours), the words the room chose, what the group decided (after a half-day), a
link to the pictures shared with participants and the next session with their reply link. Those who said
they were coming but did not come get a kind "we missed you" with the same news.

Two outbox kinds (records.enums.MessageKind), registered in RecordsConfig.ready (``register_kinds``):

- rows are made by ``plan_thanks``, the kinds' ``prepare``, which runs at the start of every beat
  dispatch: for each session that ended within THANKS_WINDOW, one row per person (the unique constraint
  on Message keeps it to one per person, kind and session), due at 9am local time the next day;
- ``still_wanted`` asks the same question again just before sending (the switch, a cancelled session,
  an opt-out, a late sign-in), and ``build_thanks`` makes the email in the person's language.

Only people we reach by email, with an address, get either: people reached by a letter through school,
or met on the day without contact details, get nothing (a letter the day after would arrive too late to
be a thank-you). Nobody who opted out; nothing for a cancelled session, a programme still being planned
or one whose facilitator switched the thank-you off (Programme.send_thank_you).
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from actions.models import Action
from artwork.enums import Visibility
from artwork.models import Artwork
from core.enums import MessageState
from core.kinds import Kind, register
from core.models import Message
from core.sms import SmsMessage
from evaluations.services.words import WordCount, count_words
from events.enums import ProgrammeStatus, SessionKind
from events.models import DEFAULT_THANK_YOU_WORDS, Session
from invitations.enums import Answer
from invitations.models import Invitation, SessionAnswer
from invitations.services.delivery import address_failed
from invitations.services.emails import email_to_invitee, issue_reply_link, programme_details
from invitations.services.schedule import local_day, new_message, send_time
from invitations.services.texts import text_to_invitee, when

from ..enums import MessageKind

# How long after a session ends its thank-you may still be made and sent. Rows are made as soon as the
# session is over and go the next morning, so two days leave room for a beat that was down for a while,
# while a programme whose thank-you is switched on late (or that is opened again after being planned)
# never thanks people for a session of weeks ago: past this, nothing is made, and a row not yet sent is
# cancelled.
THANKS_WINDOW = timedelta(days=2)
# The words the room chose: the few said most, as the email lists them.
TOP_WORDS = 5
KINDS = (MessageKind.THANK_YOU, MessageKind.MISSED_YOU)
# The programme states whose thank-yous may go: not one still being planned.
SENDING_STATUSES = (ProgrammeStatus.OPEN, ProgrammeStatus.FINISHED)


# --- Who gets which, and when -------------------------------------------------------------------------


def in_window(session: Session, now: datetime) -> bool:
    """Whether the session has ended, at most THANKS_WINDOW before ``now``."""
    return now - THANKS_WINDOW < session.ends_at <= now


def session_wants_thanks(session: Session) -> bool:
    """The session took place (not cancelled) in a programme that is not being planned and whose
    facilitator has left the thank-you switched on. Reads the session's programme (select it)."""
    programme = session.programme
    return session.cancelled_at is None and programme.send_thank_you and programme.status in SENDING_STATUSES


def who_to_thank(
    *, session: Session, invitation_ids: Collection[int] | None = None
) -> dict[int, tuple[str, str]]:
    """Invitation id → (the kind of message they get after ``session``, the channel it goes on), of
    those in ``invitation_ids`` if given: a thank-you for everyone who came (an Attendance), "we missed
    you" for everyone whose reply said they were coming but who did not come. By the first of their
    ways that we send (Invitee.sent_way: a letter would come too late), to people who have not opted
    out and are still on the list (not removed). Three queries; reads only."""
    reachable = Invitation.objects.filter(
        programme=session.programme_id, opted_out_at__isnull=True, removed_at__isnull=True
    )
    if invitation_ids is not None:
        reachable = reachable.filter(pk__in=invitation_ids)
    came = set(reachable.filter(attendances__session=session).values_list("pk", flat=True))
    said_yes = set(
        reachable.filter(reply__answers__session=session, reply__answers__answer=Answer.YES).values_list(
            "pk", flat=True
        )
    )
    ways = {
        invitation.pk: invitation.invitee.sent_way
        for invitation in reachable.filter(pk__in=came | said_yes).select_related("invitee__organisation")
    }
    wanted = {
        pk: (MessageKind.THANK_YOU.value if pk in came else MessageKind.MISSED_YOU.value, way)
        for pk, way in ways.items()
        if way is not None
    }
    return wanted


def thanks_send_time(session: Session) -> datetime:
    """9am local time on the day after the session."""
    return send_time(session.date + timedelta(days=1))


def sessions_ended_lately(*, now: datetime) -> list[Session]:
    """Every session that ended within THANKS_WINDOW of ``now``, with its programme — cancelled ones and
    those of programmes that send nothing too, so that their rows can be cancelled. One query."""
    candidates = Session.objects.filter(
        date__gte=local_day(now - THANKS_WINDOW), date__lte=local_day(now)
    ).select_related("programme")
    return [session for session in candidates if in_window(session, now)]


@transaction.atomic
def plan_thanks(*, now: datetime | None = None) -> int:
    """Bring the thank-you rows of the sessions that ended lately in line with who came and who said they
    were coming: make the missing ones (due at 9am the next day), cancel scheduled ones no longer wanted
    (the switch turned off, the session cancelled, an opt-out, a late sign-in turning a "we missed you"
    into a thank-you) and bring back cancelled ones wanted again. Rows being sent or sent are never
    touched. Sessions that ended more than THANKS_WINDOW ago are left alone. Returns how many rows
    changed. The kinds' ``prepare``: run at the start of every beat dispatch."""
    now = now or timezone.now()
    sessions = sessions_ended_lately(now=now)
    if not sessions:
        return 0
    wanted: dict[tuple[int, int, str, str], Session] = {}
    for session in sessions:
        if session_wants_thanks(session):
            for invitation_id, (kind, channel) in who_to_thank(session=session).items():
                wanted[(session.pk, invitation_id, kind, channel)] = session
    existing = {
        (row.topic_id, row.recipient_id, row.kind, row.channel): row
        for row in Message.objects.filter(session__in=sessions, kind__in=KINDS).only(
            "pk", "topic_id", "recipient_id", "kind", "state", "channel"
        )
    }
    unwanted = [
        row.pk for key, row in existing.items() if key not in wanted and row.state == MessageState.SCHEDULED
    ]
    again = [row.pk for key, row in existing.items() if key in wanted and row.state == MessageState.CANCELLED]
    changed = 0
    # Conditional: a dispatcher may have claimed a row since we read it.
    if unwanted:
        changed += Message.objects.filter(pk__in=unwanted, state=MessageState.SCHEDULED).update(
            state=MessageState.CANCELLED
        )
    if again:
        changed += Message.objects.filter(pk__in=again, state=MessageState.CANCELLED).update(
            state=MessageState.SCHEDULED
        )
    new_rows = [
        new_message(
            invitation_id=invitation_id,
            kind=kind,
            channel=channel,
            scheduled_for=thanks_send_time(session),
            session_id=session.pk,
        )
        for (session_id, invitation_id, kind, channel), session in wanted.items()
        if (session_id, invitation_id, kind, channel) not in existing
    ]
    # Another dispatcher's prepare may be making the same rows: the unique constraint keeps one of each.
    Message.objects.bulk_create(new_rows, ignore_conflicts=True)
    return changed + len(new_rows)


def still_wanted(message: Message, now: datetime) -> bool:
    """Asked just before sending: the session is still one to thank for (not cancelled, the switch still
    on, the programme not being planned, ended within THANKS_WINDOW), and the person still gets this kind
    — not opted out, still by email, and for "we missed you" still not signed in (someone signed in late
    gets the thank-you instead)."""
    session = Session.objects.select_related("programme").filter(pk=message.topic_id).first()
    if session is None or not session_wants_thanks(session) or not in_window(session, now):
        return False
    kinds = who_to_thank(session=session, invitation_ids=[message.recipient_id])
    return kinds.get(message.recipient_id) == (message.kind, message.channel)


# --- What the email says ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionLine:
    what: str
    lead: str  # the lead's first name, "" when nobody leads it yet


@dataclass(frozen=True)
class SessionNews:
    """What happened at a session, as the thank-you tells it: the same for everyone, read once a batch."""

    words: list[WordCount]
    actions: list[ActionLine]
    has_pictures: bool


def session_news(*, session: Session) -> SessionNews:
    """The words the room chose (the TOP_WORDS said most, shown ones only), the actions raised at the
    session with who leads them (first names; half-days only: the all-day explores, the half-days plan),
    and whether any of its pictures are shared with the people taking part. Three queries; reads only."""
    actions: list[ActionLine] = []
    if session.kind == SessionKind.HALF_DAY:
        actions = [
            ActionLine(what=action.what, lead=action.lead.invitee.first_name if action.lead else "")
            for action in Action.objects.filter(session=session)
            .select_related("lead__invitee")
            .order_by("created_at", "pk")
        ]
    return SessionNews(
        words=count_words(sessions=[session])[:TOP_WORDS],
        actions=actions,
        has_pictures=Artwork.objects.filter(session=session)
        .beyond_the_team(Visibility.PARTICIPANTS)
        .exists(),
    )


def _news(session: Session, shared: dict[Any, Any]) -> SessionNews:
    key = ("records.session_news", session.pk)
    if key not in shared:
        shared[key] = session_news(session=session)
    news: SessionNews = shared[key]
    return news


def participant_gallery_url(reply_url: str) -> str:
    """The pictures shared with people taking part, opened with the same token as the reply link; ""
    when the reply link does not carry one (then the email says nothing about pictures)."""
    try:
        token = resolve(urlsplit(reply_url).path).kwargs.get("token", "")
    except Resolver404:
        return ""
    return settings.SITE_URL + reverse("artwork:participant_gallery", args=[token]) if token else ""


def next_session_after(*, session: Session, upcoming: list[Session]) -> Session | None:
    """The first of the programme's upcoming sessions (active, still to start) after ``session``."""
    later = [s for s in upcoming if s.pk != session.pk and s.starts_at >= session.ends_at]
    return min(later, key=lambda s: s.starts_at, default=None)


def answer_to(*, invitation: Invitation, session: Session | None) -> str | None:
    """The person's answer for ``session`` (None: no answer, or no session)."""
    if session is None:
        return None
    answer: str | None = (
        SessionAnswer.objects.filter(reply__invitation=invitation, session=session)
        .values_list("answer", flat=True)
        .first()
    )
    return answer


def build_thanks(message: Message, shared: dict[Any, Any]) -> EmailMessage:
    """The thank-you (or "we missed you") for one row, in the person's language, with a fresh reply link
    (the next session's "are you coming?" and the pictures' address both use it), the one-click
    unsubscribe headers and, when there is a next session, its calendar file. Side effect: a new
    ReplyToken."""
    invitation = Invitation.objects.select_related("invitee", "programme").get(pk=message.recipient_id)
    session = Session.objects.select_related("venue").get(pk=message.topic_id)
    invitee, programme = invitation.invitee, invitation.programme
    details = programme_details(programme, shared=shared)
    news = _news(session, shared)
    following = next_session_after(session=session, upcoming=details.upcoming)
    reply_url, unsubscribe_url = issue_reply_link(invitation=invitation)
    answer = answer_to(invitation=invitation, session=following)
    context = {
        "invitee": invitee,
        "programme": programme,
        "session": session,
        # Ours stay lazy, to be said in the person's language when the email is rendered.
        "thank_you_words": programme.thank_you_words.strip() or DEFAULT_THANK_YOU_WORDS,
        "words": [word.word for word in news.words],
        "actions": news.actions,
        "pictures_url": participant_gallery_url(reply_url) if news.has_pictures else "",
        "next_session": following,
        # For the shared partials (emails/_sessions.*): the next session, where it is.
        "sessions": [following] if following else [],
        "venues": [following.venue] if following and following.venue else [],
        "coming": answer == Answer.YES,
        "not_coming": answer == Answer.NO,
        "facilitators": details.facilitators,
        "reply_url": reply_url,
        "unsubscribe_url": unsubscribe_url,
    }
    attachments = []
    if following is not None:
        calendar = details.calendar(
            title=programme.title, sessions=[following], key=following.pk, language=invitee.language
        )
        attachments.append(("better-together.ics", calendar, "text/calendar"))
    return email_to_invitee(
        invitee=invitee,
        template=message.kind,
        context=context,
        unsubscribe_url=unsubscribe_url,
        attachments=attachments,
    )


def build_thanks_text(message: Message, shared: dict[Any, Any]) -> SmsMessage:
    """The text version of the thank-you (or "we missed you"), in the person's language: the session,
    and the next one with a fresh reply link (side effect: a new ReplyToken) when there is one; after
    the last session, no link."""
    invitation = Invitation.objects.select_related("invitee", "programme").get(pk=message.recipient_id)
    assert message.topic_id is not None, "a thank-you is always about its session"
    session = Session.objects.get(pk=message.topic_id)
    details = programme_details(invitation.programme, shared=shared)
    following = next_session_after(session=session, upcoming=details.upcoming)
    context: dict[str, Any] = {"title": invitation.programme.title, "past_day": session.date}
    if following is not None:
        answer = answer_to(invitation=invitation, session=following)
        reply_url, _unsubscribe = issue_reply_link(invitation=invitation)
        context |= {
            **when(following),
            "coming": answer == Answer.YES,
            "not_coming": answer == Answer.NO,
            "url": reply_url,
        }
    return text_to_invitee(
        invitee=invitation.invitee, template=message.kind, context=context, message=message
    )


# --- The kinds, as the outbox carries them --------------------------------------------------------------


def _prepare(now: datetime) -> None:
    plan_thanks(now=now)


def register_kinds() -> None:
    """Make the outbox carry the thank-you and "we missed you" (called from RecordsConfig.ready)."""
    # Rows of a programme being planned wait, unclaimed (plan_thanks cancels them anyway).
    not_being_planned = Q(invitation__programme__status__in=SENDING_STATUSES)
    register(
        *(
            Kind(
                name=kind.value,
                label=kind.label,
                build=build_thanks,
                build_sms=build_thanks_text,
                still_wanted=still_wanted,
                ready=not_being_planned,
                prepare=_prepare,
                on_bounce=address_failed,
            )
            for kind in KINDS
        )
    )
