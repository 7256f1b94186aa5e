"""When a session people were told about changes, they hear of it: its new date, times or place, that it is
cancelled, or that it is back on.

- Who is told (``audience``): everyone on the list who has heard of the programme (their invitation went,
  or its letter was due; they replied, came, or were met on the day), has not opted out, and can be
  reached (email, or a letter their school prints). Not those who said they can't come to that session —
  unless its day or times changed, because the new ones might suit them (they are told gently, and their
  answer stays theirs). A cancelled session is news only to those who might have come.
- When: an edit opens a change that waits ``CHANGE_NOTICE_WAIT_SECONDS`` (settings); every further edit
  in that time starts the wait again and folds into the same change, and a session changed back to what
  people were told makes no notice at all. The beat's dispatcher tells changes whose wait is over
  (``tell_due_changes``, through this app's Kind.prepare); "Tell them now" on the session page tells at
  once (``tell``), and the notices go in seconds (core.outbox.send_soon).
- Telling a change makes one outbox row per person (kind "change", topic the change): emails go,
  letters wait for the school (the letters page lists them). Answers "Coming" to a session that moved
  (or came back) become "Not sure yet (date changed)" until the person answers again. A notice made once
  the session's reminder was due stands in for that reminder (schedule.plan_for).
- Never while a reminder about the session is being sent: the change waits for the next run, so a
  reminder with the old date can never arrive after the notice.
- A programme still being planned sends nothing and queues nothing.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.enums import Delivery
from core.mail import render_plain
from core.models import Message
from core.outbox import send_soon
from core.public import privacy_url
from core.sms import sms_parts
from events.changes import Facts, Listener, Telling, listen
from events.enums import ProgrammeStatus
from events.models import Session, Venue

from ..enums import Answer, ChangeState, Channel, MessageKind, MessageState
from ..models import Invitation, SessionAnswer, SessionChange
from .emails import email_to_invitee, issue_reply_link
from .schedule import new_message, sync_schedule


def wait() -> timedelta:
    return timedelta(seconds=settings.CHANGE_NOTICE_WAIT_SECONDS)


def heard_of_programme(*, session: Session, now: datetime) -> set[int]:
    """Ids of the programme's invitations whose person has heard of it (see the module's docstring)."""
    invitations = session.programme.invitations
    heard = set(
        invitations.filter(reply__isnull=False).values_list("pk", flat=True)
        | invitations.filter(met_on_the_day=True).values_list("pk", flat=True)
    )
    heard |= set(invitations.filter(attendances__isnull=False).values_list("pk", flat=True))
    # As schedule.has_gone, in SQL: an email or text sent or being sent; a letter once it was due.
    heard |= set(
        Message.objects.filter(
            Q(channel__in=(Channel.EMAIL, Channel.SMS), state__in=(MessageState.SENDING, MessageState.SENT))
            | Q(channel=Channel.LETTER, state=MessageState.SCHEDULED, scheduled_for__lte=now)
            | Q(channel=Channel.LETTER, state=MessageState.SENT),
            invitation__programme=session.programme_id,
            kind__in=(MessageKind.INVITATION, MessageKind.REMINDER, MessageKind.CHANGE),
        )
        .exclude(delivery=Delivery.PERMANENT_FAILURE)
        .values_list("recipient_id", flat=True)
    )
    return heard


@dataclass
class Audience:
    """Who would be told of one change, by channel, with their answers for the session."""

    email: list[Invitation] = field(default_factory=list)
    text: list[Invitation] = field(default_factory=list)
    letter: list[Invitation] = field(default_factory=list)
    unreachable: list[Invitation] = field(default_factory=list)
    answers: dict[int, str] = field(default_factory=dict)  # invitation id → answer for the session

    @property
    def told(self) -> list[Invitation]:
        """Everyone told, once each (someone with email and texts is in both lists)."""
        return list(
            {invitation.pk: invitation for invitation in self.email + self.text + self.letter}.values()
        )

    def by_channel(self) -> tuple[tuple[str, list[Invitation]], ...]:
        return ((Channel.EMAIL, self.email), (Channel.SMS, self.text), (Channel.LETTER, self.letter))

    def count_answering(self, answer: str) -> int:
        return sum(1 for invitation in self.told if self.answers.get(invitation.pk) == answer)


def audience(*, session: Session, before: Facts, after: Facts, now: datetime | None = None) -> Audience:
    """Who would be told if the session changed from ``before`` to ``after`` (nobody, for a programme
    being planned, or when the session was and is over)."""
    now = now or timezone.now()
    programme = session.programme
    result = Audience()
    if programme.status != ProgrammeStatus.OPEN or before == after:
        return result
    tz = timezone.get_current_timezone()
    if (
        max(
            datetime.combine(before.date, before.start_time, tzinfo=tz),
            datetime.combine(after.date, after.start_time, tzinfo=tz),
        )
        <= now
    ):
        return result
    result.answers = dict(
        SessionAnswer.objects.filter(session=session, reply__invitation__programme=programme).values_list(
            "reply__invitation_id", "answer"
        )
    )
    # A new day or new times might suit someone who could not come; a cancelled session, or one back on
    # the day they could not manage, is no news to them.
    tell_those_who_cannot = before.moved(after) and not after.cancelled
    heard = heard_of_programme(session=session, now=now)
    people = (
        programme.invitations.filter(pk__in=heard, opted_out_at__isnull=True, removed_at__isnull=True)
        .select_related("invitee", "invitee__organisation")
        .order_by("invitee__name", "pk")
    )
    for invitation in people:
        if result.answers.get(invitation.pk) == Answer.NO and not tell_those_who_cannot:
            continue
        channels = invitation.invitee.channels
        for channel, told in result.by_channel():
            if channel in channels:
                told.append(invitation)
        if not channels:
            result.unreachable.append(invitation)
    return result


def asks_again(before: Facts, after: Facts) -> bool:
    """Whether people who said "Coming" are asked again: the day or times changed, or it is back on."""
    return not after.cancelled and (before.moved(after) or before.cancelled)


# Recording a change (events.changes calls this in the transaction that saves the session) ---------------


def note_change(*, session: Session, before: Facts, now: datetime | None = None) -> SessionChange | None:
    """Open a change (or fold this edit into the one waiting) and start its wait again. Returns it, or
    None when there is nobody to tell (a programme being planned; nobody has heard of it yet)."""
    now = now or timezone.now()
    if session.programme.status != ProgrammeStatus.OPEN:
        return None
    waiting = (
        SessionChange.objects.select_for_update().filter(session=session, state=ChangeState.WAITING).first()
    )
    if waiting is not None:
        waiting.tell_at = now + wait()
        if waiting.before == Facts.of(session):
            # Changed back to what people were told before anyone heard: nothing to say.
            waiting.state = ChangeState.WITHDRAWN
        waiting.save(update_fields=["tell_at", "state"])
        return waiting
    if not audience(session=session, before=before, after=Facts.of(session), now=now).told:
        return None
    return SessionChange.objects.create(
        session=session,
        was_date=before.date,
        was_start_time=before.start_time,
        was_end_time=before.end_time,
        was_venue_id=before.venue_id,
        was_cancelled=before.cancelled,
        tell_at=now + wait(),
    )


def waiting_change(*, session: Session) -> SessionChange | None:
    return SessionChange.objects.filter(session=session, state=ChangeState.WAITING).first()


# Telling it ----------------------------------------------------------------------------------------------


@transaction.atomic
def tell(*, change: SessionChange, now: datetime | None = None) -> list[Message]:
    """Tell of a waiting change now: one notice per person told, answers "Coming" asked again, the
    schedule brought in line. Returns the email rows made (for send_soon). Nothing when it is no longer
    waiting (told already, withdrawn); put off to the next run while a reminder about the session is
    being sent."""
    now = now or timezone.now()
    waiting = (
        SessionChange.objects.select_for_update().filter(pk=change.pk, state=ChangeState.WAITING).first()
    )
    if waiting is None:
        return []
    change = waiting
    session = Session.objects.select_related("programme").get(pk=change.session_id)
    if Message.objects.filter(
        session=session, kind=MessageKind.REMINDER, state=MessageState.SENDING
    ).exists():
        change.tell_at = now
        change.save(update_fields=["tell_at"])
        return []
    before, after = change.before, Facts.of(session)
    people = audience(session=session, before=before, after=after, now=now)
    if not people.told:
        change.state = ChangeState.WITHDRAWN
        change.save(update_fields=["state"])
        return []
    change.state, change.told_at = ChangeState.TOLD, now
    change.new_date, change.new_start_time, change.new_end_time = after.date, after.start_time, after.end_time
    change.new_venue_id, change.new_cancelled = after.venue_id, after.cancelled
    change.save()
    Message.objects.bulk_create(
        [
            new_message(
                invitation_id=invitation.pk,
                kind=MessageKind.CHANGE,
                channel=channel,
                scheduled_for=timezone.now(),  # due at once (``now`` may be a run's moment)
                topic=change,
            )
            for channel, invitations in people.by_channel()
            for invitation in invitations
        ],
        ignore_conflicts=True,
    )
    if asks_again(before, after):
        SessionAnswer.objects.filter(session=session, answer=Answer.YES).update(answer=Answer.CHANGED)
    sync_schedule(programme=session.programme, now=now)
    return list(Message.objects.filter(session_change=change, channel__in=(Channel.EMAIL, Channel.SMS)))


def tell_now(*, change: SessionChange) -> bool:
    """ "Tell them now": tell the change and have its emails sent in seconds. False when it was put off
    (a reminder about the session is being sent: the next run tells it)."""
    with transaction.atomic():
        rows = tell(change=change)
        send_soon(*rows)
        change.refresh_from_db(fields=["state"])
    return change.state != ChangeState.WAITING


def tell_due_changes(*, now: datetime | None = None) -> int:
    """Tell every change whose wait is over (the beat's dispatcher runs this first). Returns how many."""
    now = now or timezone.now()
    told = 0
    for change in SessionChange.objects.filter(state=ChangeState.WAITING, tell_at__lte=now):
        told += bool(tell(change=change, now=now))
    return told


@dataclass
class ToldChange:
    """A change that was told, and what became of its notices (the session's page)."""

    change: SessionChange
    sent: int = 0
    to_go: int = 0
    failed: int = 0
    letters_to_print: int = 0
    letters_printed: int = 0


def told_changes(*, session: Session, limit: int = 3) -> list[ToldChange]:
    """The session's latest told changes, newest first, with their notices counted (two queries)."""
    changes = list(session.changes.filter(state=ChangeState.TOLD).order_by("-told_at", "-pk")[:limit])
    told = {change.pk: ToldChange(change=change) for change in changes}
    rows = Message.objects.filter(session_change__in=changes).values_list("topic_id", "channel", "state")
    for change_id, channel, state in rows:
        entry = told[change_id]
        if channel == Channel.LETTER:
            if state == MessageState.SENT:
                entry.letters_printed += 1
            elif state == MessageState.SCHEDULED:
                entry.letters_to_print += 1
        elif state == MessageState.SENT:
            entry.sent += 1
        elif state == MessageState.FAILED:
            entry.failed += 1
        elif state in (MessageState.SCHEDULED, MessageState.SENDING):
            entry.to_go += 1
    return list(told.values())


# What the facilitator is shown before saving (events.changes.preview) ------------------------------------


def describe(*, before: Facts, after: Facts) -> dict:
    """The template context that says what changed: the old and new facts with their venues."""
    venues = Venue.objects.in_bulk([pk for pk in (before.venue_id, after.venue_id) if pk])
    return {
        "was": {"facts": before, "venue": venues.get(before.venue_id) if before.venue_id else None},
        "now": {"facts": after, "venue": venues.get(after.venue_id) if after.venue_id else None},
        "moved": before.moved(after),
        "place_changed": before.venue_id != after.venue_id,
        "cancelled": after.cancelled and not before.cancelled,
        "reinstated": before.cancelled and not after.cancelled,
    }


def preview(*, session: Session, before: Facts, after: Facts) -> Telling:
    people = audience(session=session, before=before, after=after)
    if not people.told and not people.unreachable:
        return Telling(count=0)
    minutes = max(1, round(wait().total_seconds() / 60))
    lines = [
        ngettext(
            "%(count)s person will be told.",
            "%(count)s people will be told.",
            len(people.told),
        )
        % {"count": len(people.told)}
    ]
    if people.email:
        lines.append(
            ngettext(
                "%(count)s by email, about %(minutes)s minutes after you save (in case you change anything "
                "else), or at once if you choose “Tell them now”.",
                "%(count)s by email, about %(minutes)s minutes after you save (in case you change anything "
                "else), or at once if you choose “Tell them now”.",
                len(people.email),
            )
            % {"count": len(people.email), "minutes": minutes}
        )
    if people.text:
        lines.append(
            ngettext(
                "%(count)s by text message, at the same time (texts go between 9am and 7pm).",
                "%(count)s by text message, at the same time (texts go between 9am and 7pm).",
                len(people.text),
            )
            % {"count": len(people.text)}
        )
    if people.letter:
        lines.append(
            ngettext(
                "%(count)s by letter: their school prints it from the letters page.",
                "%(count)s by letter: their schools print them from the letters page.",
                len(people.letter),
            )
            % {"count": len(people.letter)}
        )
    if asks_again(before, after) and (coming := people.count_answering(Answer.YES)):
        lines.append(
            ngettext(
                "%(count)s person said they were coming: they will be asked if they still can, and show "
                "as “not sure yet (date changed)” until they answer.",
                "%(count)s people said they were coming: they will be asked if they still can, and show "
                "as “not sure yet (date changed)” until they answer.",
                coming,
            )
            % {"count": coming}
        )
    if cannot := people.count_answering(Answer.NO):
        lines.append(
            ngettext(
                "%(count)s person who said they couldn't come will hear of the new date, in case it suits "
                "them better.",
                "%(count)s people who said they couldn't come will hear of the new date, in case it suits "
                "them better.",
                cannot,
            )
            % {"count": cannot}
        )
    if people.unreachable:
        lines.append(
            _("We have no way to reach %(names)s: please tell them yourself.")
            % {"names": ", ".join(invitation.invitee.name for invitation in people.unreachable)}
        )
    subject = body = ""
    if people.told:
        sample = people.told[0]
        context = notice_context(
            invitation=sample,
            session=session,
            facts=describe(before=before, after=after),
            answer=people.answers.get(sample.pk, ""),
            reply_url=_("(their own link to change their answer)"),
            unsubscribe_url=_("(their own link to stop our messages)"),
        )
        subject = " ".join(render_plain("emails/change_subject.txt", context).split())
        body = render_plain("emails/change_body.txt", context).strip()
    text = ""
    if people.text:
        # texts builds on this module (what a notice says): asked here only, when a sample is wanted.
        from .texts import notice_text_context, render_text

        sample = people.text[0]
        text = render_text(
            template="change",
            context={
                "name": sample.invitee.greeting_name,
                # As the text will be sent (texts.text_to_invitee): its parts are counted with it.
                "privacy_url": privacy_url(),
                **notice_text_context(
                    facts=describe(before=before, after=after),
                    answer=people.answers.get(sample.pk, ""),
                    title=session.programme.title,
                    url=settings.SITE_URL + "/r/…",
                ),
            },
            language=settings.LANGUAGE_CODE,
        )
    return Telling(
        count=len(people.told) + len(people.unreachable),
        lines=lines,
        subject=subject,
        body=body,
        text=text,
        text_parts=sms_parts(text),
    )


def notice_context(
    *,
    invitation: Invitation,
    session: Session,
    facts: dict,
    answer: str,
    reply_url: str,
    unsubscribe_url: str = "",
) -> dict:
    """What a change notice (email or letter) says to one person."""
    now = timezone.now()
    others = [
        s
        for s in session.programme.sessions.select_related("venue").order_by("date", "start_time")
        if s.pk != session.pk and s.cancelled_at is None and s.starts_at > now
    ]
    return {
        **facts,
        "invitee": invitation.invitee,
        "programme": session.programme,
        "session": session,
        "kind": session.get_kind_display(),
        "said_coming": answer in (Answer.YES, Answer.CHANGED),
        "said_no": answer == Answer.NO,
        "others": others,
        "reply_url": reply_url,
        "unsubscribe_url": unsubscribe_url,
    }


def build_notice(*, message: Message) -> EmailMultiAlternatives:
    """The email of one change notice, saying what the change said when it was told."""
    invitation, change = message.recipient, message.topic
    assert isinstance(invitation, Invitation) and isinstance(change, SessionChange)
    after = change.after
    assert after is not None, "only a change that was told has notices"
    answer = (
        SessionAnswer.objects.filter(reply__invitation=invitation, session=change.session_id)
        .values_list("answer", flat=True)
        .first()
    )
    reply_url, unsubscribe_url = issue_reply_link(invitation=invitation)
    context = notice_context(
        invitation=invitation,
        session=change.session,
        facts=describe(before=change.before, after=after),
        answer=answer or "",
        reply_url=reply_url,
        unsubscribe_url=unsubscribe_url,
    )
    return email_to_invitee(
        invitee=invitation.invitee, template="change", context=context, unsubscribe_url=unsubscribe_url
    )


def _record(*, session: Session, before: Facts) -> None:
    note_change(session=session, before=before)


def register_listener() -> None:
    listen("invitations", Listener(preview=preview, record=_record))
