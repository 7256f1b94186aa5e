"""Retention, done by the site (issue 18, part 3): what a programme keeps of people, until when, and
the deleting, by the daily task (``apply_retention``, task ``records.apply_retention``, run by beat) or
by a facilitator once the programme is over (``delete_personal_data_now``).

Per programme (events.models.Programme), counted from its last session (invitations.services.retention
.RetentionDates):

- **needs** (crèche children and ages, food, access, interpreter, transport) go ``needs_kept_days``
  after it (30 by default): invitations.services.retention.delete_needs;
- **contact details** go ``contacts_kept_days`` after it (365 by default), for everyone who did not ask
  to hear about future programmes (``Invitee.keep_in_touch``). A person is the neighbourhood's, shared
  by its programmes, so they are anonymised only when every programme they are on has reached its date
  (or had its data deleted), or they were taken off that programme's list or asked it for no more
  messages there. Anonymising is erasure's one function (records.services.people.erase_people), so a
  person whose time has come is left exactly as an erased person is;
- **files** that hold names go with the contact details: the letters' PDFs (invitations) and the event
  record's PDFs (records; a new one, without names, can be made). Sign-in sheets are never stored: they
  are made when printed, from what is kept.

What is kept, without names: how many came from each group, their answers, the words, the actions (the
lead reads "Someone who took part") and the pictures.

Running it twice changes nothing more: a programme's ``needs_deleted_at`` and ``contacts_deleted_at``
say it was done, and people anonymised already are left alone.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.users import User
from events.models import Programme
from invitations.models import Invitation, Invitee
from invitations.services.retention import (
    RetentionDates,
    delete_letters,
    delete_needs,
    erased,
    retention_dates,
)

from .people import delete_event_records, erase_people

# People anonymised in one transaction: short, so SQLite's one writer is never held for long.
CHUNK = 200


@dataclass(frozen=True)
class RetentionPlan:
    """What the programme page says: what will be deleted, and when (or when it was)."""

    programme: Programme
    dates: RetentionDates
    today: date
    keep_in_touch: int  # people on its list who asked to hear about future programmes

    @property
    def over(self) -> bool:
        return self.dates.over(self.today)

    @property
    def done(self) -> bool:
        return self.dates.needs_deleted_at is not None and self.dates.contacts_deleted_at is not None


def plan_for(*, programme: Programme, today: date | None = None) -> RetentionPlan:
    """The programme's retention plan (two queries)."""
    dates = retention_dates(programmes=Programme.objects.filter(pk=programme.pk))[programme.pk]
    keep = (
        Invitee.objects.filter(invitations__programme=programme, keep_in_touch=True)
        .exclude(erased())
        .distinct()
        .count()
    )
    return RetentionPlan(
        programme=programme, dates=dates, today=today or timezone.localdate(), keep_in_touch=keep
    )


@dataclass
class RetentionRun:
    """What a run deleted: the programmes whose needs and whose contact details went, how many people
    were anonymised, and how many letter and record PDFs were deleted."""

    needs: list[int] = field(default_factory=list)
    contacts: list[int] = field(default_factory=list)
    people: int = 0
    letters: int = 0
    records: int = 0

    def summary(self) -> dict[str, int]:
        return {
            "needs": len(self.needs),
            "contacts": len(self.contacts),
            "people": self.people,
            "letters": self.letters,
            "records": self.records,
        }


def people_released(*, released: set[int], among: set[int] | None = None) -> list[int]:
    """People whose contact details no programme needs any longer: on a programme of ``among`` (all of
    ``released`` when not given), not asking to stay in touch, not anonymised already, and with no
    invitation to a programme outside ``released`` that still counts them (not removed from its list,
    not asked it for no more messages). One query."""
    held = Invitation.objects.filter(
        invitee=OuterRef("pk"), opted_out_at__isnull=True, removed_at__isnull=True
    ).exclude(programme_id__in=released)
    return list(
        Invitee.objects.filter(invitations__programme_id__in=among if among is not None else released)
        .filter(keep_in_touch=False)
        .exclude(erased())
        .exclude(Exists(held))
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def _anonymise(people: list[int], *, by: User | None, note: str) -> int:
    count = 0
    for start in range(0, len(people), CHUNK):
        count += len(erase_people(invitee_ids=people[start : start + CHUNK], by=by, note=note).invitee_ids)
    return count


def _release_files(programme: Programme, run: RetentionRun, now: datetime) -> None:
    run.letters += delete_letters(programme=programme)
    run.records += delete_event_records(programme=programme)
    Programme.objects.filter(pk=programme.pk, contacts_deleted_at__isnull=True).update(
        contacts_deleted_at=now
    )


def apply_retention(*, today: date | None = None, now: datetime | None = None) -> RetentionRun:
    """The daily task's work: every programme whose needs date has come loses its needs; every one
    whose contacts date has come loses its letters and record PDFs; then everyone no programme needs
    any longer (people_released over every programme whose date has come or whose data was deleted) is
    anonymised. A few queries per programme due and per person anonymised; nothing for a programme done
    already."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    dates = retention_dates(programmes=Programme.objects.all())
    run = RetentionRun()
    needs_kept = [pk for pk, plan in dates.items() if not plan.needs_released(today)]
    for programme in Programme.objects.filter(pk__in=[pk for pk, d in dates.items() if d.needs_due(today)]):
        delete_needs(programme=programme, still_kept=needs_kept, now=now)
        run.needs.append(programme.pk)
    for programme in Programme.objects.filter(
        pk__in=[pk for pk, d in dates.items() if d.contacts_due(today)]
    ):
        _release_files(programme, run, now)
        run.contacts.append(programme.pk)
    released = {pk for pk, plan in dates.items() if plan.contacts_released(today)}
    if released:
        note = _(
            "Contact details deleted on %(date)s, at the end of the time the programmes they were on keep them."
        ) % {"date": date_format(today, "j F Y")}
        run.people = _anonymise(people_released(released=released), by=None, note=note)
    return run


def delete_personal_data_now(*, programme: Programme, by: User, now: datetime | None = None) -> RetentionRun:
    """A facilitator's "delete now" for a programme that is over (every session held), as ``by``, who
    must have records.delete_programme_data on it (PermissionDenied otherwise; a ValidationError, nothing
    deleted, for a programme with sessions still to come): its needs, letters and record PDFs, and the
    contact details of its people as the daily task would once its date has come (keep_in_touch and
    people another programme still needs are kept)."""
    if not by.has_perm("records.delete_programme_data", programme):
        raise PermissionDenied
    now = now or timezone.now()
    today = timezone.localdate(now)
    dates = retention_dates(programmes=Programme.objects.all())
    if not dates[programme.pk].over(today):
        raise ValidationError(
            _("This programme still has workshops to come: its personal data can be deleted once it is over.")
        )
    run = RetentionRun()
    needs_kept = [pk for pk, plan in dates.items() if pk != programme.pk and not plan.needs_released(today)]
    delete_needs(programme=programme, still_kept=needs_kept, now=now)
    run.needs.append(programme.pk)
    _release_files(programme, run, now)
    run.contacts.append(programme.pk)
    released = {pk for pk, plan in dates.items() if plan.contacts_released(today)} | {programme.pk}
    note = _("Contact details deleted on %(date)s by %(user)s, with the personal data of %(title)s.") % {
        "date": date_format(today, "j F Y"),
        "user": by.get_full_name() or by.get_username(),
        "title": programme.title,
    }
    run.people = _anonymise(people_released(released=released, among={programme.pk}), by=by, note=note)
    return run
