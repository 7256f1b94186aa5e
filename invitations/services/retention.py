"""How long we keep people's details, and how they go (issue 18, parts 3 and 5): this app's side.

Each programme keeps what people told us they need (the crèche, food, access, an interpreter, transport)
``needs_kept_days`` after its last session, and contact details ``contacts_kept_days`` after it
(events.models.Programme; defaults RETENTION_NEEDS_DAYS and RETENTION_CONTACTS_DAYS). *When* that happens
is decided above this app, where everything a person left behind can be seen: records.services.retention
(the daily task and the facilitator's "delete now") and records.services.people (erasure). This module
does what belongs to invitations:

- ``retention_dates``: each programme's last session and the two dates, for many programmes in one query.
- ``delete_needs``: a programme's replies keep their answers but lose their needs; the person's
  interpreter flag goes once no programme of theirs still keeps needs.
- ``anonymise_people``: the one way a person's details go, by erasure or by a retention period. The
  Invitee stays (the counts of what happened are counted through it: their group, their school, their
  answers, attendance and the actions they lead) but holds nothing that names or reaches them; every
  link of theirs stops working; nothing more is sent; their history keeps one line saying so.
- ``delete_letters``: the PDFs of a programme's letters (names, and the codes on reply slips).

A person is an Invitee of the neighbourhood, shared by its programmes, so their contact details go only
when no programme still needs them (records.services.retention decides).
"""

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email import policy
from email.parser import BytesParser
from functools import reduce
from pathlib import Path

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.mailbox import mailbox_dir
from core.models import Message
from core.providers import outbox_pk
from core.sms import SMS_FILE_NAME, FileSmsBackend, sms_dir
from core.users import User
from events.models import Programme

from ..enums import MessageState, PersonEvent
from ..models import Invitation, Invitee, LetterBatch, PersonChange, Reply, ReplyToken

# What an anonymised person is called wherever their name was shown: the list, the sheets, an action's
# lead. Stored in the site's language (staff pages are English).
SOMEONE = gettext_lazy("Someone who took part")

# A reply's needs, as they are when nobody said anything (services.replies.NEEDS).
NO_NEEDS = {
    "childcare_children": 0,
    "childcare_ages": "",
    "food_needs": "",
    "access_needs": "",
    "interpreter_language": "",
    "transport_help": False,
}
# Everything of an Invitee that names them, reaches them or says something about them, as it is once
# they are gone. What stays: their group (category, role at school), their organisation, their
# language and adults at home (counted on the sheets), and when they were added.
NO_DETAILS = {
    "email": "",
    "phone": "",
    "mobile": "",
    "address": "",
    "notes": "",
    "email_failed": "",
    "mobile_failed": "",
    "fell_back_from": "",
    "texts_agreed": False,
    "texts_too": False,
    "interpreter": False,
    "keep_in_touch": False,
    "keep_in_touch_at": None,
}


# --- The dates ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionDates:
    """A programme's retention, as its fields and its sessions say. ``last`` is the last session held
    (not cancelled; the last of all when every one was cancelled); None without sessions, when nothing
    is due."""

    programme_id: int
    last: date | None
    needs_kept_days: int
    contacts_kept_days: int
    needs_deleted_at: datetime | None
    contacts_deleted_at: datetime | None

    @property
    def needs_on(self) -> date | None:
        return self.last + timedelta(days=self.needs_kept_days) if self.last else None

    @property
    def contacts_on(self) -> date | None:
        return self.last + timedelta(days=self.contacts_kept_days) if self.last else None

    def over(self, today: date) -> bool:
        """Every session has been held (the last one was before today)."""
        return self.last is not None and self.last < today

    def needs_due(self, today: date) -> bool:
        return self.needs_deleted_at is None and self.needs_on is not None and self.needs_on <= today

    def contacts_due(self, today: date) -> bool:
        return self.contacts_deleted_at is None and self.contacts_on is not None and self.contacts_on <= today

    def needs_released(self, today: date) -> bool:
        """Its needs are gone or may go: nothing of it holds a person's needs any longer."""
        return self.needs_deleted_at is not None or self.needs_due(today)

    def contacts_released(self, today: date) -> bool:
        """Its contact details are gone or may go: it no longer holds anyone's details."""
        return self.contacts_deleted_at is not None or self.contacts_due(today)


def retention_dates(*, programmes: QuerySet[Programme]) -> dict[int, RetentionDates]:
    """{programme id: RetentionDates} for ``programmes``, in one query."""
    rows = (
        programmes.order_by()
        .annotate(
            last_held=Max("sessions__date", filter=Q(sessions__cancelled_at__isnull=True)),
            last_any=Max("sessions__date"),
        )
        .values_list(
            "pk",
            "last_held",
            "last_any",
            "needs_kept_days",
            "contacts_kept_days",
            "needs_deleted_at",
            "contacts_deleted_at",
        )
    )
    return {
        pk: RetentionDates(
            programme_id=pk,
            last=last_held or last_any,
            needs_kept_days=needs_days,
            contacts_kept_days=contacts_days,
            needs_deleted_at=needs_deleted_at,
            contacts_deleted_at=contacts_deleted_at,
        )
        for pk, last_held, last_any, needs_days, contacts_days, needs_deleted_at, contacts_deleted_at in rows
    }


# --- Needs ----------------------------------------------------------------------------------------------


def erased() -> Exists:
    """Whether an Invitee (the outer row) has been anonymised: their history has an ERASED line."""
    return Exists(PersonChange.objects.filter(invitee=OuterRef("pk"), event=PersonEvent.ERASED))


def _forget_in_history(*, invitee_ids: Iterable[int], names: set[str]) -> None:
    """Take the fields ``names`` out of the history lines of these people (their values said what the
    field said). A line left with no field is no longer one that can be undone."""
    lines = PersonChange.objects.filter(invitee_id__in=list(invitee_ids)).filter(
        reduce(operator.or_, (Q(fields__has_key=name) for name in names))
    )
    for line in lines.only("pk", "fields"):
        line.fields = {name: pair for name, pair in line.fields.items() if name not in names}
        line.save(update_fields=["fields"])


@transaction.atomic
def delete_needs(*, programme: Programme, still_kept: Iterable[int], now: datetime | None = None) -> int:
    """Delete what the programme's replies said people need (NO_NEEDS); their answers, the places they
    bring and whether they agreed stay, so the counts of who came and who answered do not change. The
    person's "needs an interpreter" (an Invitee's, shared by programmes) goes too, with its lines of
    history, unless they are on a programme of ``still_kept`` (programme ids whose needs are still
    kept). Sets ``needs_deleted_at``. Returns how many replies held needs. Running it again changes
    nothing more."""
    now = now or timezone.now()
    replies = Reply.objects.filter(invitation__programme=programme)
    held = replies.exclude(**NO_NEEDS).update(**NO_NEEDS)
    needed_elsewhere = Invitation.objects.filter(
        invitee=OuterRef("pk"), programme_id__in=[pk for pk in still_kept if pk != programme.pk]
    )
    people = list(
        Invitee.objects.filter(invitations__programme=programme, interpreter=True)
        .exclude(Exists(needed_elsewhere))
        .values_list("pk", flat=True)
    )
    if people:
        Invitee.objects.filter(pk__in=people).update(interpreter=False)
        _forget_in_history(invitee_ids=people, names={"interpreter"})
    Programme.objects.filter(pk=programme.pk, needs_deleted_at__isnull=True).update(needs_deleted_at=now)
    return held


# --- Letters --------------------------------------------------------------------------------------------


def _delete_batches(batches: Iterable[LetterBatch]) -> int:
    count = 0
    for batch in batches:
        if batch.file:
            batch.file.delete(save=False)
        batch.delete()
        count += 1
    return count


def delete_letters(*, programme: Programme) -> int:
    """Delete every PDF of the programme's letters, and its row (a new one can be made from what is
    left). Returns how many."""
    return _delete_batches(LetterBatch.objects.filter(programme=programme))


# --- A person's details ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anonymised:
    """Who ``anonymise_people`` anonymised (people already anonymised are left out) and their rows, for
    what the apps above this one hold of them (records.services.people)."""

    invitee_ids: list[int]
    invitation_ids: list[int]
    programme_ids: list[int]
    message_ids: list[int]


def _kept_copy_rows(path: Path) -> int | None:
    """The outbox row a kept email's Message-ID names (core.mailbox), None for any other file."""
    if path.name.startswith(".") or path.suffix != ".eml" or path.is_symlink() or not path.is_file():
        return None
    with path.open("rb") as file:
        headers = BytesParser(policy=policy.default).parse(file, headersonly=True)
    return outbox_pk(str(headers["Message-ID"] or ""))


def delete_kept_copies(*, message_ids: Iterable[int]) -> int:
    """The embedded default keeps a copy of every email under var/mail (core.mailbox) and of every text
    under var/sms (core.sms.FileSmsBackend), readable from the site in DEBUG. Delete the copies of these
    outbox rows. Production sends through a provider and keeps none: nothing is found. Returns how many
    files were deleted."""
    wanted = set(message_ids)
    if not wanted:
        return 0
    deleted = 0
    folder = mailbox_dir()
    if folder.is_dir():
        for path in folder.iterdir():
            try:
                row = _kept_copy_rows(path)
            except OSError:
                continue
            if row in wanted:
                path.unlink(missing_ok=True)
                deleted += 1
    texts = FileSmsBackend(file_path=sms_dir())
    for text in texts.list_sent():
        if outbox_pk(text.reference) in wanted and SMS_FILE_NAME.fullmatch(text.name):
            (texts.folder / text.name).unlink(missing_ok=True)
            deleted += 1
    return deleted


def _forget_in_admin_log(*, invitee_ids: list[int], invitation_ids: list[int]) -> None:
    """Django's admin keeps each change it makes with the object's name (``object_repr``) and what was
    changed: those of these people, their invitations and replies say nothing more."""
    types = ContentType.objects.get_for_models(Invitee, Invitation, Reply)
    reply_ids = list(Reply.objects.filter(invitation_id__in=invitation_ids).values_list("pk", flat=True))
    for model, ids in ((Invitee, invitee_ids), (Invitation, invitation_ids), (Reply, reply_ids)):
        if ids:
            LogEntry.objects.filter(content_type=types[model], object_id__in=[str(pk) for pk in ids]).update(
                object_repr=str(SOMEONE), change_message=""
            )


def anonymise_people(*, invitee_ids: Iterable[int], by: User | None, note: str) -> Anonymised:
    """Delete these people's personal details, in one transaction: the one way they go, for an erasure
    and for a programme's retention period alike. For each person not anonymised already:

    - their details: the name becomes "Someone who took part"; email, phone, mobile, home address, notes,
      what a provider said of an address, the interpreter flag, texts and "keep me in touch" all go
      (NO_DETAILS). Their group, organisation, language and adults at home stay, so counts do not move;
    - every reply of theirs loses its needs (NO_NEEDS) and keeps its answers;
    - on every programme they are treated as having asked for no more messages (``opted_out_at``), so
      nothing is planned or sent to them again, and their scheduled messages are cancelled; what a
      provider said of their messages (``last_error``, ``delivery_said``, which can quote an address)
      is blanked; the kept copies of their messages in var/mail and var/sms (the embedded default, for
      DEBUG) are deleted once this commits;
    - every reply link stops working (ReplyToken rows deleted) and the letters' reply codes go;
    - letters that printed them are deleted (delete_letters: the PDF and its row);
    - their history keeps its lines (who changed something, when) without what was changed, and gains
      one ERASED line with ``note`` and ``by``; Django's admin log forgets their names.

    Links and rows of the apps above this one (an action lead's link, the event record's PDF) are theirs
    to handle: records.services.people.erase_people does both. Returns who was anonymised."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Invitee.objects.select_for_update()
            .filter(pk__in=list(invitee_ids))
            .exclude(erased())
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            return Anonymised(invitee_ids=[], invitation_ids=[], programme_ids=[], message_ids=[])
        invitations = list(
            Invitation.objects.filter(invitee_id__in=ids).values_list("pk", "programme_id").order_by("pk")
        )
        invitation_ids = [pk for pk, _programme in invitations]
        programme_ids = sorted({programme for _pk, programme in invitations})
        message_ids = list(Message.objects.filter(invitation__in=invitation_ids).values_list("pk", flat=True))

        Invitee.objects.filter(pk__in=ids).update(name=str(SOMEONE), contact_changed_at=now, **NO_DETAILS)
        Invitation.objects.filter(pk__in=invitation_ids, opted_out_at__isnull=True).update(opted_out_at=now)
        Invitation.objects.filter(pk__in=invitation_ids).update(reply_code=None)
        ReplyToken.objects.filter(invitation_id__in=invitation_ids).delete()
        Reply.objects.filter(invitation_id__in=invitation_ids).update(**NO_NEEDS)
        Message.objects.filter(pk__in=message_ids, state=MessageState.SCHEDULED).update(
            state=MessageState.CANCELLED
        )
        Message.objects.filter(pk__in=message_ids).update(last_error="", delivery_said="")
        printed = set(invitation_ids)
        _delete_batches(
            batch
            for batch in LetterBatch.objects.filter(programme_id__in=programme_ids)
            if printed & {pk for pk in batch.printed if isinstance(pk, int)}
        )
        PersonChange.objects.filter(invitee_id__in=ids).update(fields={}, note="")
        PersonChange.objects.bulk_create(
            PersonChange(
                invitee_id=pk,
                event=PersonEvent.ERASED,
                note=note[:300],
                by=by if by is not None and by.is_authenticated else None,
                at=now,
            )
            for pk in ids
        )
        _forget_in_admin_log(invitee_ids=ids, invitation_ids=invitation_ids)
        transaction.on_commit(lambda: delete_kept_copies(message_ids=message_ids))
    return Anonymised(
        invitee_ids=ids, invitation_ids=invitation_ids, programme_ids=programme_ids, message_ids=message_ids
    )
