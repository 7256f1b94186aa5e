"""Replies: finding an invitation from the token in a link, recording an answer (online, or on
someone's behalf from a paper slip or a phone call), and someone asking not to be contacted again."""

import hmac
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.translation import gettext as _

from core import languages
from core.models import Message
from core.outbox import send_soon
from core.tokens import hash_token
from core.users import User
from events.models import Session

from ..enums import GIVEN_ANSWERS, LANGUAGES, MessageKind, MessageState, ReplySource
from ..models import Invitation, Invitee, Reply, ReplyToken, SessionAnswer
from .schedule import new_message, sync_schedule


def find_invitation(*, token: str) -> Invitation | None:
    """The invitation a reply link belongs to, or None for an unknown or altered token."""
    if not token or len(token) > 100:
        return None
    token_hash = hash_token(token)
    found = (
        ReplyToken.objects.filter(token_hash=token_hash)
        # Everything the reply pages show about the person in this one query (the greeting needs the
        # organisation; the earlier answer, if any, is the reply).
        .select_related("invitation__invitee__organisation", "invitation__programme", "invitation__reply")
        .first()
    )
    # The lookup is by hash; the comparison is repeated in constant time on principle.
    if found is None or not hmac.compare_digest(found.token_hash, token_hash):
        return None
    return found.invitation


@transaction.atomic
def recorded_language(code: str) -> str | None:
    """The code of the list's language (enums.LANGUAGES) for a language the site speaks ("en-gb" → "en",
    "pl" → "pl"), or None when the list has no such language."""
    base = code.split("-")[0]
    return next((value for value, _label in LANGUAGES if value.split("-")[0] == base), None)


def choose_language(*, invitation: Invitation, code: str) -> bool:
    """Remember the language someone chose on their reply page (a code the site speaks), for their
    pages, emails and letters. False, and nothing changed, for a code we do not offer."""
    spoken = languages.spoken(code)
    recorded = recorded_language(spoken) if spoken else None
    if recorded is None:
        return False
    Invitee.objects.filter(pk=invitation.invitee_id).update(language=recorded)
    invitation.invitee.language = recorded
    return True


def opt_out(*, invitation: Invitation) -> int:
    """Stop every further message about this programme to this person. Returns how many were stopped.
    Messages already being sent finish; the dispatcher checks again before each send."""
    if invitation.opted_out_at is None:
        invitation.opted_out_at = timezone.now()
        invitation.save(update_fields=["opted_out_at"])
    return Message.objects.filter(invitation=invitation, state=MessageState.SCHEDULED).update(
        state=MessageState.CANCELLED
    )


REPLY_DETAILS = (
    "childcare_children",
    "childcare_ages",
    "food_needs",
    "access_needs",
    "interpreter_language",
    "transport_help",
    "extra_places",
)
# What would help someone come that may be about their health (issue 18): kept only when they agreed
# (Reply.needs_agreed, asked on the reply page and the slip), and deleted after the programme.
NEEDS = (
    "childcare_children",
    "childcare_ages",
    "food_needs",
    "access_needs",
    "interpreter_language",
    "transport_help",
)


def gives_needs(details: Mapping[str, Any]) -> bool:
    """Whether ``details`` (save_reply's, or a reply form's cleaned data) tell us of any need."""
    values = [details.get(name) for name in (*NEEDS, "interpreter")]
    return any(value.strip() if isinstance(value, str) else value for value in values)


def parse_ages(text: str, *, children: int) -> str:
    """ "2, 4" → "2, 4". Ages are whole years from 0 to 17, one per child at most; anything else is
    refused with a message for the person filling in the form."""
    # Commas as people type them: the Latin one, the Arabic and Urdu "،", the Bengali and Devanagari "।".
    for comma in (";", "،", "؛", "।", " and "):
        text = text.replace(comma, ",")
    parts = [part.strip() for part in text.split(",") if part.strip()]
    ages = []
    for part in parts:
        if not part.isdigit() or not 0 <= int(part) <= 17:
            raise ValidationError(
                _("“%(age)s” isn't an age we understand. Please write ages in years, like 2, 4.")
                % {"age": part[:20]}
            )
        ages.append(int(part))
    if len(ages) > children:
        raise ValidationError(_("You gave more ages than children. Please check the number of children."))
    return ", ".join(str(age) for age in ages)


@transaction.atomic
def save_reply(
    *,
    invitation: Invitation,
    answers: dict[int, str],
    details: dict,
    source: str = ReplySource.WEB,
    recorded_by: User | None = None,
) -> Reply:
    """Save someone's answer (per session, and what would help them come), replacing any earlier one.

    ``details`` are the answers to the optional questions (REPLY_DETAILS), whether they agreed we may
    keep their needs (``needs_agreed``) and, when asked, whether to keep them in touch about future
    programmes (``keep_in_touch``: True or False; left out, it is not changed). Needs (NEEDS) are kept
    only with ``needs_agreed``: without it they are not stored, and an earlier reply's needs are deleted.

    ``answers`` maps session ids of this programme to yes / no / maybe; a session of another programme,
    or a cancelled one, is refused. A session that is over and not in ``answers`` keeps the answer given
    before (the reply page asks only about the sessions still to come); any other session left out loses
    its answer. Queues a confirmation email for people reached by email (the worker is asked to send it
    once this commits), and brings the schedule in line (no reminder for a session they can't come to,
    no nudge).
    Two submissions at once are serialised by locking the invitation row: the later one wins whole.
    """
    Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
    sessions = list(invitation.programme.sessions.active().only("pk", "date", "end_time"))
    if not set(answers) <= {session.pk for session in sessions}:
        raise ValidationError(_("That answer is for a session that isn't part of this programme."))
    if any(answer not in GIVEN_ANSWERS for answer in answers.values()):
        raise ValidationError(_("Please choose coming, can't come or not sure for each session."))
    reply, created = Reply.objects.get_or_create(invitation=invitation)
    if not created:
        answers = {**_answers_kept(reply=reply, sessions=sessions, answers=answers), **answers}
    agreed = bool(details.get("needs_agreed"))
    for name in REPLY_DETAILS:
        field = Reply._meta.get_field(name)
        assert isinstance(field, Field)  # REPLY_DETAILS are Reply's own columns, never relations
        kept = agreed or name not in NEEDS
        setattr(reply, name, details.get(name, field.get_default()) if kept else field.get_default())
    # When they first agreed, kept while they still agree; saying no takes it back.
    if agreed and not reply.needs_agreed:
        reply.needs_agreed_at = timezone.now()
    elif not agreed:
        reply.needs_agreed_at = None
    reply.needs_agreed = agreed
    if details.get("keep_in_touch") is not None:
        _keep_in_touch(invitation=invitation, keep=bool(details["keep_in_touch"]))
    reply.source, reply.recorded_by = source, recorded_by
    reply.version += 1
    reply.full_clean(exclude=["invitation", "recorded_by"])
    reply.save()
    SessionAnswer.objects.filter(reply=reply).exclude(session_id__in=answers).delete()
    for session_id, answer in answers.items():
        SessionAnswer.objects.update_or_create(
            reply=reply, session_id=session_id, defaults={"answer": answer}
        )
    _queue_confirmation(invitation=invitation, reply=reply)
    invitation.reply = reply
    sync_schedule(programme=invitation.programme, only=[invitation.pk])
    return reply


def _keep_in_touch(*, invitation: Invitation, keep: bool) -> None:
    """ "Keep me in touch about future programmes": their contact details then outlive the programme's
    retention period. Changed only when it changes (the time says when they asked)."""
    changed = {"keep_in_touch": keep, "keep_in_touch_at": timezone.now() if keep else None}
    updated = Invitee.objects.filter(pk=invitation.invitee_id, keep_in_touch=not keep).update(**changed)
    if updated and Invitation.invitee.is_cached(invitation):
        for name, value in changed.items():
            setattr(invitation.invitee, name, value)


def _answers_kept(*, reply: Reply, sessions: list[Session], answers: dict[int, str]) -> dict[int, str]:
    """The earlier answers of ``reply`` for the (active) sessions that are over and not in ``answers``."""
    now = timezone.now()
    over = {session.pk for session in sessions if session.ends_at <= now} - set(answers)
    if not over:
        return {}
    return dict(reply.answers.filter(session_id__in=over).values_list("session_id", "answer"))


def confirmation_of(*, invitation: Invitation, reply: Reply) -> Message | None:
    """The email confirming this version of the reply (its state says whether it has gone), or None when
    none was queued: they are reached by letter, have no address, opted out or were removed."""
    return (
        Message.objects.filter(invitation=invitation, kind=MessageKind.CONFIRMATION, version=reply.version)
        .only("pk", "state")
        .first()
    )


def _queue_confirmation(*, invitation: Invitation, reply: Reply) -> None:
    """One confirmation per change; a newer answer replaces a confirmation that has not gone yet. The
    worker is asked to send it as soon as the reply is committed (core.outbox.send_soon)."""
    invitee = invitation.invitee
    Message.objects.filter(
        invitation=invitation, kind=MessageKind.CONFIRMATION, state=MessageState.SCHEDULED
    ).update(state=MessageState.CANCELLED)
    # By email or text: a letter would arrive long after the answer it confirms.
    way = invitee.sent_way
    if way is None or invitation.opted_out_at or invitation.removed_at:
        return
    confirmation = new_message(
        invitation_id=invitation.pk,
        kind=MessageKind.CONFIRMATION,
        version=reply.version,
        channel=way,
        scheduled_for=timezone.now(),
    )
    confirmation.save()
    send_soon(confirmation)  # in seconds, once the reply is committed: not at the next beat
