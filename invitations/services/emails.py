"""What each outbox message says: the invitation, a session reminder and the gentle nudge."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar, Event

from core import languages
from core.mail import build_email, site_domain
from core.models import Message
from core.tokens import new_token
from core.users import User
from events.models import Programme, Session

from ..enums import MessageKind
from ..models import Invitation, Invitee, Reply, ReplyToken


def issue_reply_link(*, invitation: Invitation) -> tuple[str, str]:
    """Store a new reply token for the invitation; return the reply and unsubscribe addresses."""
    token, token_hash = new_token()
    ReplyToken.objects.create(invitation=invitation, token_hash=token_hash)
    return (
        settings.SITE_URL + reverse("invitations:reply", args=[token]),
        settings.SITE_URL + reverse("invitations:unsubscribe", args=[token]),
    )


def unsubscribe_headers(unsubscribe_url: str) -> dict[str, str]:
    """The one-click unsubscribe headers of RFC 8058, and that the email was sent by a machine: every
    message to an invitee carries them."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def email_to_invitee(
    *,
    invitee: Invitee,
    template: str,
    context: dict,
    unsubscribe_url: str,
    attachments: Sequence[tuple[str, bytes | str, str]] = (),
) -> EmailMultiAlternatives:
    """An email to someone on a programme's list (core.mail.build_email), in their language, with the
    unsubscribe headers every such email carries: invitations, reminders, notices, thank-yous."""
    return build_email(
        template=template,
        context=context,
        to_name=invitee.name,
        to_address=invitee.email,
        language=invitee.language,
        headers=unsubscribe_headers(unsubscribe_url),
        attachments=attachments,
    )


def calendar_file(*, sessions: list[Session], title: str, now: datetime | None = None) -> bytes:
    """An .ics file with one event per session, in London time with its time-zone definition."""
    calendar = Calendar()
    calendar.add("prodid", "-//Better Together//bettertogether//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    stamp = now or timezone.now()
    for session in sessions:
        event = Event()
        event.add("uid", f"session-{session.pk}@{site_domain()}")
        event.add("dtstamp", stamp)
        event.add("dtstart", session.starts_at)
        event.add("dtend", session.ends_at)
        event.add("summary", f"{title}: {session.get_kind_display()}")
        if session.venue:
            event.add("location", ", ".join([session.venue.name, *session.venue.address.splitlines()]))
        if session.purpose:
            event.add("description", session.purpose)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()
    return ical


def reply_lines(reply: Reply, sessions: list[Session]) -> list[tuple[Session, str]]:
    """Each upcoming session with the person's answer to it, in words."""
    given = {answer.session_id: answer.get_answer_display() for answer in reply.answers.all()}
    return [(session, given.get(session.pk, "")) for session in sessions]


@dataclass
class ProgrammeDetails:
    """What every message about one programme shares, read once per dispatcher batch."""

    upcoming: list[Session]
    facilitators: list[User]
    # (session id, or None for the series; language) → .ics
    calendars: dict[tuple[int | None, str], bytes] = field(default_factory=dict)

    def calendar(self, *, title: str, sessions: list[Session], key: int | None, language: str = "") -> bytes:
        """The calendar file, its text (the kind of session) in ``language`` (core.languages)."""
        spoken = languages.for_person(language or None)
        if (key, spoken) not in self.calendars:
            with translation.override(spoken):
                self.calendars[key, spoken] = calendar_file(sessions=sessions, title=title)
        return self.calendars[key, spoken]


SharedDetails = dict[int, ProgrammeDetails]  # programme id → its details, for one dispatcher batch


def programme_details(programme: Programme, *, shared: SharedDetails | None = None) -> ProgrammeDetails:
    """The programme's upcoming sessions and facilitators, kept in ``shared`` (one dict per batch)."""
    if shared is not None and programme.pk in shared:
        return shared[programme.pk]
    now = timezone.now()
    details = ProgrammeDetails(
        upcoming=[
            s
            for s in programme.sessions.select_related("venue").order_by("date", "start_time")
            if s.cancelled_at is None and s.starts_at > now
        ],
        facilitators=list(programme.facilitators.all()),
    )
    if shared is not None:
        shared[programme.pk] = details
    return details


def build_message(*, message: Message, shared: SharedDetails | None = None) -> EmailMultiAlternatives:
    """The email for one outbox row, with a fresh reply link, the sessions as an .ics attachment and
    the one-click unsubscribe headers of RFC 8058. Pass the same ``shared`` dict for a batch of
    messages so that each programme's sessions, facilitators and calendar are read and built once."""
    invitation = message.recipient
    assert isinstance(invitation, Invitation)
    invitee = invitation.invitee
    programme = invitation.programme
    details = programme_details(programme, shared=shared)
    upcoming = details.upcoming
    is_reminder = message.kind == MessageKind.REMINDER
    if is_reminder:
        # sync_schedule plans every reminder for one session; other kinds cover the whole series.
        session = next((s for s in upcoming if s.pk == message.topic_id), None) or message.topic
        assert isinstance(session, Session)
        sessions = [session]
    else:
        sessions = upcoming
    reply = getattr(invitation, "reply", None)
    answers = reply_lines(reply, upcoming) if reply else []
    reply_url, unsubscribe_url = issue_reply_link(invitation=invitation)
    venues = {s.venue for s in sessions if s.venue}
    context = {
        "invitee": invitee,
        "programme": programme,
        "sessions": sessions,
        "session": sessions[0] if is_reminder else None,
        "venues": sorted(venues, key=lambda venue: venue.name),
        "facilitators": details.facilitators,
        "reply_url": reply_url,
        "unsubscribe_url": unsubscribe_url,
        "lunch": any(s.lunch for s in sessions),
        "childcare": any(s.childcare for s in sessions),
        "transport": any(s.transport_help for s in sessions),
        "reply": reply,
        "answers": answers,
    }
    return email_to_invitee(
        invitee=invitee,
        template=message.kind,
        context=context,
        unsubscribe_url=unsubscribe_url,
        attachments=[
            (
                "better-together.ics",
                details.calendar(
                    title=programme.title,
                    sessions=sessions,
                    key=message.topic_id if is_reminder else None,
                    language=invitee.language,
                ),
                "text/calendar",
            )
        ],
    )
