"""One person's data (issue 18, parts 4 and 5): finding them across every programme, handing them all we
hold about them (subject access), and erasing them.

It lives here, in records, because a person's data is spread over every app: their details, invitations,
messages, replies and history (invitations), their attendance (evaluations), the actions they lead and
their links (actions), pictures (artwork) and the record's PDFs (records). ``records`` is the lowest app
that may import all of them (docs/architecture.md).

**Who may.** An administrator for anyone; a neighbourhood's facilitators for its people; a school's
coordinators for their own school's people (records.rules: ``records.find_people`` for the search,
``records.access_person`` and ``records.erase_person`` on the Invitee). The search shows only people the
user may open (``Invitee.objects.visible_to``, which agrees with the rules).

**What we hold** (``subject_access``) is plain data: the page shows it, the PDF prints it
(``render_subject_access_pdf``, core.pdf, synchronously: one person's few pages take well under a
second) and the JSON is it (``subject_access_json``). Tokens and reply codes are never in it: they are
keys, not information about the person. Words said at the end of a session and pictures drawn at one
are kept without anyone's name, and the export says so.

**Erasure** (``erase_people``) is the one way a person's details go, whether a facilitator erases them
or a programme's retention period ends (records.services.retention): invitations.services.retention
.anonymise_people does the invitations' part (details, needs, messages, reply links, letters, history),
and this module the rest: an action lead's links stop working, their full name is taken out of the
words of actions, updates and pictures of their programmes, and the event records' PDFs of those
programmes, which print who leads each action, are deleted (a new one can be made, without the name).
Their answers, attendance and the actions they lead stay, as anonymous counts: the lead now reads
"Someone who took part".
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model, Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actions.enums import UpdateSource
from actions.models import Action, ActionUpdate, LeadLink
from artwork.models import Artwork
from core import audit
from core.models import Message
from core.pdf import render_pdf
from core.users import User
from evaluations.models import Attendance
from events.models import Programme
from invitations.enums import Channel, PersonEvent
from invitations.models import Invitation, Invitee, Reply, SessionAnswer
from invitations.names import fold
from invitations.services.listing import matcher
from invitations.services.people import history
from invitations.services.retention import SOMEONE, Anonymised, anonymise_people, erased

from ..models import EventRecord

# The most people one search lists: a search matching more asks for more of the name or address.
MAX_FOUND = 50
# A name shorter than this is not looked for inside the words of actions and pictures ("Al" would
# change "all"); the lead, the list and every other place still lose it.
MIN_SCRUBBED_NAME = 4


# --- Finding someone ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    invitee: Invitee
    programmes: list[Programme]


@dataclass(frozen=True)
class Search:
    text: str
    people: list[Found]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.people)


def find_people(*, user: User, text: str) -> Search:
    """People ``user`` may open (Invitee.objects.visible_to) found by ``text`` as the invitation list's
    search finds them (invitations.services.listing: name and email word by word, accents and case
    aside, or a phone or mobile number however it is written), across every programme and person of
    the neighbourhood; people already erased are left out. The first MAX_FOUND by name, with the
    programmes each is on. Three queries however many people the neighbourhood has."""
    text = " ".join(text.split())[:200]
    if not text:
        return Search(text="", people=[], total=0)
    found = matcher(text)
    rows = (
        Invitee.objects.visible_to(user)
        .exclude(erased())
        .order_by()
        .values_list("pk", "name", "email", "mobile", "phone")
    )
    matched = sorted(
        {(fold(name), pk) for pk, name, email, mobile, phone in rows if found(name, email, mobile, phone)}
    )
    shown = [pk for _name, pk in matched[:MAX_FOUND]]
    people = (
        Invitee.objects.filter(pk__in=shown)
        .select_related("neighbourhood", "organisation")
        .prefetch_related(
            Prefetch(
                "invitations",
                queryset=Invitation.objects.select_related("programme").order_by(
                    "programme__created_at", "pk"
                ),
            )
        )
    )
    by_pk = {person.pk: person for person in people}
    return Search(
        text=text,
        people=[
            Found(
                invitee=by_pk[pk],
                programmes=[invitation.programme for invitation in by_pk[pk].invitations.all()],
            )
            for pk in shown
            if pk in by_pk
        ],
        total=len(matched),
    )


# --- All we hold about them -----------------------------------------------------------------------------

WORDS_NOTE = gettext_lazy(
    "The one word people say at the end of a session is kept without the name of whoever said it (only "
    "their group, when the team noted it), so we cannot tell which words were this person's."
)
PICTURES_NOTE = gettext_lazy(
    "Pictures drawn at the sessions are kept with the session they were drawn at, not with the names of "
    "the people in them or of the people whose ideas they show."
)


def _label(value: Any) -> Any:
    return str(value) if value is not None else None


def _details(person: Invitee) -> dict[str, Any]:
    return {
        "name": person.name,
        "neighbourhood": person.neighbourhood.name,
        "group": _label(person.get_category_display()),
        "role_at_school": _label(person.get_staff_role_display()) if person.staff_role else "",
        "organisation": person.organisation.name if person.organisation else "",
        "email": person.email,
        "email_not_working": person.email_failed,
        "mobile": person.mobile,
        "mobile_not_working": person.mobile_failed,
        "agreed_to_text_messages": person.texts_agreed,
        "phone": person.phone,
        "home_address": person.address,
        "notes": person.notes,
        "adults_at_home": person.adults_at_home,
        "preferred_language": _label(person.get_language_display()),
        "needs_an_interpreter": person.interpreter,
        "how_we_reach_them": _label(Channel(person.channel).label) if person.channel else "",
        "text_messages_as_well": person.texts_too,
        "keep_in_touch_about_future_programmes": person.keep_in_touch,
        "keep_in_touch_since": person.keep_in_touch_at,
        "added_on": person.created_at,
    }


def _message(message: Message) -> dict[str, Any]:
    return {
        "what": message.get_kind_display(),
        "way": _label(message.get_channel_display()),
        "state": _label(message.get_state_display()),
        "planned_for": message.scheduled_for,
        "sent_at": message.sent_at,
        "delivery": _label(message.get_delivery_display()) if message.delivery else "",
        "delivery_at": message.delivery_at,
    }


def _reply(invitation: Invitation, answers: list[SessionAnswer]) -> dict[str, Any] | None:
    reply = getattr(invitation, "reply", None)
    if reply is None:
        return None
    return {
        "how_we_heard": _label(reply.get_source_display()),
        "first_replied": reply.created_at,
        "last_changed": reply.updated_at,
        "answers": [
            {
                "session": _label(answer.session.get_kind_display()),
                "date": answer.session.date,
                "answer": _label(answer.get_answer_display()),
            }
            for answer in answers
        ],
        "agreed_we_may_keep_their_needs": reply.needs_agreed,
        "agreed_on": reply.needs_agreed_at,
        "children_for_the_creche": reply.childcare_children,
        "their_ages": reply.childcare_ages,
        "food_needs": reply.food_needs,
        "access_needs": reply.access_needs,
        "interpreter_language": reply.interpreter_language,
        "help_with_transport": reply.transport_help,
        "bringing_someone_else": reply.extra_places,
    }


def _action(action: Action, links: list[LeadLink]) -> dict[str, Any]:
    return {
        "what": action.what,
        "why": action.why,
        "status": _label(action.get_status_display()),
        "by_when": action.due,
        "first_step": action.first_step,
        "who_helps": action.helpers,
        "their_updates": [
            {"text": update.text, "at": update.created_at}
            for update in action.updates.all()
            if update.source == UpdateSource.LEAD
        ],
        "update_links": [
            {"made": link.created_at, "switched_off": link.revoked_at, "sent": link.sent_at} for link in links
        ],
    }


def subject_access(*, invitee: Invitee) -> dict[str, Any]:
    """Everything we hold about one person, as plain data (names, labels, dates): their details; on
    each programme their place on the list, every message planned or sent to them (what, which way, its
    state, when; never its link), their reply with its answers and needs, the sessions they came to and
    the actions they lead (with their own updates and when their links were made); their history. And
    what we hold without their name (words, pictures). About nine queries, however many programmes."""
    person = Invitee.objects.select_related("neighbourhood", "organisation").get(pk=invitee.pk)
    invitations = list(
        Invitation.objects.filter(invitee=person)
        .select_related("programme__neighbourhood", "reply")
        .order_by("programme__created_at", "pk")
    )
    ids = [invitation.pk for invitation in invitations]
    messages: dict[int, list[Message]] = {}
    for message in Message.objects.filter(invitation__in=ids).order_by("scheduled_for", "pk"):
        messages.setdefault(message.recipient_id, []).append(message)
    answers: dict[int, list[SessionAnswer]] = {}
    for answer in (
        SessionAnswer.objects.filter(reply__invitation__in=ids)
        .select_related("session", "reply")
        .order_by("session__date", "session__start_time", "pk")
    ):
        answers.setdefault(answer.reply.invitation_id, []).append(answer)
    came: dict[int, list[Attendance]] = {}
    for attendance in (
        Attendance.objects.filter(invitation__in=ids).select_related("session").order_by("session__date")
    ):
        came.setdefault(attendance.invitation_id, []).append(attendance)
    led: dict[int, list[Action]] = {}
    for action in (
        Action.objects.filter(lead__in=ids)
        .prefetch_related(Prefetch("updates", queryset=ActionUpdate.objects.order_by("created_at", "pk")))
        .order_by("created_at", "pk")
    ):
        led.setdefault(action.lead_id, []).append(action)  # type: ignore[arg-type]
    links: dict[tuple[int, int], list[LeadLink]] = {}
    for link in LeadLink.objects.filter(invitation__in=ids).select_related("message").order_by("created_at"):
        links.setdefault((link.action_id, link.invitation_id), []).append(link)

    lines = history(invitee=person)
    return {
        "made_at": timezone.now(),
        "person": _details(person),
        "erased": any(line.change.event == PersonEvent.ERASED for line in lines),
        "programmes": [
            {
                "title": invitation.programme.title,
                "neighbourhood": invitation.programme.neighbourhood.name,
                "added_to_the_list": invitation.created_at,
                "met_on_the_day": invitation.met_on_the_day,
                "asked_for_no_more_messages": invitation.opted_out_at,
                "removed_from_the_list": invitation.removed_at,
                "messages": [_message(message) for message in messages.get(invitation.pk, [])],
                "reply": _reply(invitation, answers.get(invitation.pk, [])),
                "came_to": [
                    {
                        "session": _label(attendance.session.get_kind_display()),
                        "date": attendance.session.date,
                        "signed_in_at": attendance.arrived_at,
                        "how": _label(attendance.get_source_display()),
                    }
                    for attendance in came.get(invitation.pk, [])
                ],
                "actions_they_lead": [
                    _action(action, links.get((action.pk, invitation.pk), []))
                    for action in led.get(invitation.pk, [])
                ],
            }
            for invitation in invitations
        ],
        "history": [
            {
                "what": _label(line.change.get_event_display()),
                "when": line.change.at,
                "by": (line.change.by.get_full_name() or line.change.by.username) if line.change.by else "",
                "programme": line.change.programme.title if line.change.programme else "",
                "note": line.change.note,
                "changes": [
                    {"field": field.label, "before": field.before, "after": field.after}
                    for field in line.fields
                ],
            }
            for line in lines
        ],
        "words": str(WORDS_NOTE),
        "pictures": str(PICTURES_NOTE),
    }


def subject_access_json(*, invitee: Invitee) -> str:
    """``subject_access`` as JSON (dates in ISO 8601), indented to be read."""
    return json.dumps(subject_access(invitee=invitee), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def render_subject_access_pdf(*, invitee: Invitee) -> bytes:
    """``subject_access`` as a readable PDF (templates/records/pdf/person.html, through core.pdf's
    restricted fetcher)."""
    return render_pdf(render_to_string("records/pdf/person.html", {"data": subject_access(invitee=invitee)}))


def export_file_name(*, invitee: Invitee, extension: str) -> str:
    """The downloaded file's name: no name of the person in it (it may be saved on a shared drive)."""
    return f"better-together-person-{invitee.pk}-{timezone.localdate().isoformat()}.{extension}"


# --- Erasure --------------------------------------------------------------------------------------------


def _scrub_pattern(names: list[str]) -> re.Pattern[str] | None:
    kept = sorted({name.strip() for name in names if len(name.strip()) >= MIN_SCRUBBED_NAME}, key=len)
    if not kept:
        return None
    return re.compile("|".join(re.escape(name) for name in reversed(kept)), re.IGNORECASE)


def _scrub(model: type, rows: Q, fields: tuple[str, ...], names: list[str], pattern: re.Pattern[str]) -> int:
    """Put "someone who took part" for each of ``names`` in ``fields`` of ``model``'s ``rows``."""
    contains = Q()
    for name in names:
        for field in fields:
            contains |= Q(**{f"{field}__icontains": name})
    changed = 0
    someone = str(SOMEONE).lower()
    for row in model.objects.filter(rows).filter(contains).only("pk", *fields):  # type: ignore[attr-defined]
        for field in fields:
            setattr(row, field, pattern.sub(someone, getattr(row, field)))
        row.save(update_fields=list(fields))
        changed += 1
    return changed


def _delete_event_records(*, programme_ids: list[int]) -> int:
    count = 0
    for record in EventRecord.objects.filter(programme_id__in=programme_ids):
        if record.file:
            record.file.delete(save=False)
        record.delete()
        count += 1
    return count


def delete_event_records(*, programme: Programme) -> int:
    """Delete every PDF of the programme's record (they print who leads each action): a new one can be
    made from what is kept. Returns how many."""
    return _delete_event_records(programme_ids=[programme.pk])


def _redact_audit_log(done: Anonymised, *, values: list[str]) -> int:
    """The audit log's entries about these people, their invitations, replies, answers and attendance
    lose every personal value, and any other entry naming them has it replaced (core.audit.redact)."""
    invitations = done.invitation_ids
    instances: list[Model] = [Invitee(pk=pk) for pk in done.invitee_ids]
    instances += [Invitation(pk=pk) for pk in invitations]
    instances += [
        Reply(pk=pk) for pk in Reply.objects.filter(invitation__in=invitations).values_list("pk", flat=True)
    ]
    instances += [
        SessionAnswer(pk=pk)
        for pk in SessionAnswer.objects.filter(reply__invitation__in=invitations).values_list("pk", flat=True)
    ]
    instances += [
        Attendance(pk=pk)
        for pk in Attendance.objects.filter(invitation__in=invitations).values_list("pk", flat=True)
    ]
    return audit.redact(instances=instances, values=values)


def erase_people(*, invitee_ids: list[int], by: User | None, note: str) -> Anonymised:
    """Erase these people (those not erased already), in one transaction: the one way a person's
    details go (this module's docstring). invitations.services.retention.anonymise_people, then: their
    action lead's links switched off for good (the hash of each token forgotten), their full names
    taken out of the words of their programmes' actions, updates and pictures, those programmes'
    event record PDFs deleted, and the audit log's entries about them redacted (core.audit.redact).
    Returns who was erased."""
    details = {
        pk: (name, email, phone, mobile)
        for pk, name, email, phone, mobile in Invitee.objects.filter(pk__in=invitee_ids)
        .exclude(erased())
        .values_list("pk", "name", "email", "phone", "mobile")
        .order_by("pk")
    }
    if not details:
        return Anonymised(invitee_ids=[], invitation_ids=[], programme_ids=[], message_ids=[])
    names = {pk: values[0] for pk, values in details.items()}
    with transaction.atomic():
        done = anonymise_people(invitee_ids=list(details), by=by, note=note)
        if not done.invitee_ids:
            return done
        _redact_audit_log(done, values=[value for pk in done.invitee_ids for value in details[pk] if value])
        links = LeadLink.objects.filter(invitation_id__in=done.invitation_ids)
        links.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        links.update(token_hash="")
        gone = [names[pk] for pk in done.invitee_ids]
        if pattern := _scrub_pattern(gone):
            programmes = Q(programme_id__in=done.programme_ids)
            long_names = [name for name in gone if len(name.strip()) >= MIN_SCRUBBED_NAME]
            _scrub(Action, programmes, ("what", "why", "helpers", "first_step"), long_names, pattern)
            _scrub(
                ActionUpdate, Q(action__programme_id__in=done.programme_ids), ("text",), long_names, pattern
            )
            _scrub(
                Artwork,
                Q(session__programme_id__in=done.programme_ids),
                ("title", "description", "original_name"),
                long_names,
                pattern,
            )
        _delete_event_records(programme_ids=done.programme_ids)
    return done


def _who(user: User) -> str:
    return user.get_full_name() or user.get_username()


def erase_person(*, invitee: Invitee, by: User, now: datetime | None = None) -> bool:
    """Erase one person (erase_people), as ``by``, who must have records.erase_person on them
    (PermissionDenied otherwise). Their history keeps one line, "Erased on <date> by <user>". False for
    someone erased already."""
    if not by.has_perm("records.erase_person", invitee):
        raise PermissionDenied
    when = date_format(timezone.localtime(now or timezone.now()), "j F Y")
    note = _("Erased on %(date)s by %(user)s.") % {"date": when, "user": _who(by)}
    return bool(erase_people(invitee_ids=[invitee.pk], by=by, note=note).invitee_ids)
