"""The invitations' kinds of message, as the outbox (core.outbox) carries them: how each is built, when
one is still wanted, and that they wait while their programme is being planned.

Registered once at start-up (InvitationsConfig.ready). Rows are made by the schedule (invitations,
reminders, nudges) and by replies (confirmations), with schedule.new_message.
"""

from datetime import datetime
from typing import Any

from django.core.mail import EmailMessage
from django.db.models import Q

from core.kinds import Kind, register
from core.models import Message
from events.enums import ProgrammeStatus
from events.models import Session

from ..enums import Answer, ChangeState, MessageKind
from ..models import Invitation
from .changes import build_notice, tell_due_changes
from .delivery import address_failed
from .emails import build_message
from .schedule import sync_all_schedules
from .texts import build_text


def still_wanted(message: Message, now: datetime) -> bool:
    """Read again just before sending, because the person may have opted out, been removed from the list
    or replied, or the session moved or been cancelled, since the row was claimed."""
    invitation = (
        Invitation.objects.filter(
            pk=message.recipient_id,
            opted_out_at__isnull=True,
            removed_at__isnull=True,
            programme__status=ProgrammeStatus.OPEN,
        )
        .select_related("reply", "invitee__organisation")
        .first()
    )
    # Only on a way that still reaches them: agreed to texts, no word that the address does not work.
    if invitation is None or message.channel not in invitation.invitee.channels:
        return False
    reply = getattr(invitation, "reply", None)
    if message.kind in (MessageKind.INVITATION, MessageKind.NUDGE):
        # Nobody is invited, or asked whether they can come, once they have replied or come to a session
        # (as schedule.plan_for: Attendance is reached by its relation's name, never imported).
        return (
            reply is None
            and not invitation.met_on_the_day
            and not Invitation.objects.filter(pk=invitation.pk, attendances__isnull=False).exists()
        )
    if message.kind == MessageKind.CONFIRMATION:
        return reply is not None and reply.version == message.version
    if message.kind == MessageKind.CHANGE:
        # Told once, as it was told (SessionChange keeps what it said): only opting out (or removal) stops it.
        return True
    if message.topic_id:
        session = (
            Session.objects.filter(pk=message.topic_id).only("date", "start_time", "cancelled_at").first()
        )
        if session is None:
            return False
        said_no = reply is not None and reply.answers.filter(session=session.pk, answer=Answer.NO).exists()
        return session.cancelled_at is None and session.starts_at > now and not said_no
    return True


def _build(message: Message, shared: dict[Any, Any]) -> EmailMessage:
    if message.kind == MessageKind.CHANGE:
        return build_notice(message=message)
    return build_message(message=message, shared=shared)


def _prepare(now: datetime) -> None:
    # Changes first: telling one brings its programme's schedule in line (a notice stands in for a
    # reminder that was due), and the reminders it replaces must not go in this same run.
    tell_due_changes(now=now)
    sync_all_schedules()


def register_kinds() -> None:
    # Only open programmes send; a programme being planned keeps its rows waiting, unclaimed.
    open_programme = Q(invitation__programme__status=ProgrammeStatus.OPEN)
    # A reminder about a session with a change waiting to be told waits for it: the notice may stand in
    # for it, and a reminder must never arrive with one date and the notice after it with another.
    no_change_waiting = ~Q(session__changes__state=ChangeState.WAITING)
    register(
        *(
            Kind(
                name=kind.value,
                label=kind.label,
                build=_build,
                still_wanted=still_wanted,
                ready=open_programme & no_change_waiting if kind == MessageKind.REMINDER else open_programme,
                prepare=_prepare,
                on_bounce=address_failed,
                build_sms=build_text,
            )
            for kind in MessageKind
        )
    )
