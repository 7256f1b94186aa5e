"""Building a programme's invitation list: one person, a CSV file, or the neighbourhood's groups."""

import csv
import difflib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from bettertogether.users import User
from events.enums import OrganisationKind
from events.models import Organisation, Programme

from ..enums import BALANCE_GROUPS, LANGUAGES, Category, Channel, StaffRole
from ..models import Invitation, Invitee
from .schedule import sync_schedule

MAX_ROWS = 2000
MAX_FILE_BYTES = 2 * 1024 * 1024
REQUIRED_COLUMNS = ["name", "category"]
OPTIONAL_COLUMNS = ["role", "organisation", "email", "phone", "language", "channel"]
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# Other names people give the same columns in their own spreadsheets.
COLUMN_ALIASES = {
    "full name": "name",
    "staff role": "role",
    "staff_role": "role",
    "role at school": "role",
    "organization": "organisation",
    "school": "organisation",
    "e-mail": "email",
    "email address": "email",
    "telephone": "phone",
    "phone number": "phone",
    "preferred language": "language",
    "how we reach them": "channel",
}
FORMULA_STARTS = ("=", "+", "-", "@")
MAX_EMAIL_LENGTH = 254  # the longest address a mail server (and the database column) accepts


def schools_coordinated_by(user: User, programme: Programme) -> list[Organisation]:
    """The programme's schools this user coordinates (none for a facilitator acting as such)."""
    return list(programme.schools.filter(coordinators=user))


def runs(user: User, programme: Programme) -> bool:
    return user.has_perm("events.change_programme", programme)


def visible_invitations(*, programme: Programme, user: User) -> QuerySet[Invitation]:
    """Facilitators see the whole list; a school coordinator sees only their own school's people."""
    invitations = programme.invitations.all()
    if runs(user, programme):
        return invitations
    return invitations.filter(invitee__organisation__coordinators=user)


def share_of(count: int, total: int) -> int:
    """``count`` as a whole percentage of ``total`` (0 when there is nobody)."""
    return round(100 * count / total) if total else 0


def under_a_quarter(count: int, total: int) -> bool:
    """The balance warning, for the list and for those coming alike: a group under a quarter of the whole.
    Nobody at all is not "out of balance"."""
    return bool(total) and count * 4 < total


@dataclass(frozen=True)
class BalanceGroup:
    key: str
    label: str
    count: int
    share: int  # per cent of the list, rounded
    low: bool  # under a quarter of the list


@dataclass(frozen=True)
class Balance:
    total: int
    groups: list[BalanceGroup]
    opted_out: int

    @property
    def low(self) -> list[BalanceGroup]:
        return [group for group in self.groups if group.low]

    @property
    def aim(self) -> int:
        """About a third of the list from each group."""
        return round(self.total / len(self.groups)) if self.groups else 0


def list_balance(*, programme: Programme) -> Balance:
    """How the programme's whole list divides between parents, school staff and groups, against the even
    split it aims for. People who asked not to be contacted are not counted. One query."""
    rows = (
        programme.invitations.order_by()
        .values_list("invitee__category")
        .annotate(
            staying=Count("pk", filter=Q(opted_out_at__isnull=True)),
            out=Count("pk", filter=Q(opted_out_at__isnull=False)),
        )
    )
    counts = {category: staying for category, staying, _out in rows}
    opted_out = sum(out for _category, _staying, out in rows)
    total = sum(counts.values())
    groups = []
    for key, (label, categories) in BALANCE_GROUPS.items():
        count = sum(counts.get(category, 0) for category in categories)
        groups.append(
            BalanceGroup(
                key=key,
                label=str(label),
                count=count,
                share=share_of(count, total),
                low=under_a_quarter(count, total),
            )
        )
    return Balance(total=total, groups=groups, opted_out=opted_out)


def _choice_lookup(choices: Iterable[tuple[str, object]]) -> dict[str, str]:
    """Accept a choice by its key or its label, in any case: "parent", "Parent or carer"."""
    lookup = {}
    for key, label in choices:
        lookup[key.lower()] = key
        lookup[str(label).lower()] = key
        lookup[key.replace("_", " ").lower()] = key
    return lookup


CATEGORY_LOOKUP = {
    **_choice_lookup(Category.choices),
    "carer": Category.PARENT,
    "staff": Category.SCHOOL_STAFF,
}
ROLE_LOOKUP = _choice_lookup(StaffRole.choices)
LANGUAGE_LOOKUP = _choice_lookup(LANGUAGES)
CHANNEL_LOOKUP = {**_choice_lookup(Channel.choices), "letter": Channel.LETTER}


@dataclass
class Row:
    line: int
    values: dict[str, str]
    status: str = "add"  # add, already, error
    reasons: list[str] = field(default_factory=list)
    invitee: Invitee | None = None
    cleaned: dict = field(default_factory=dict)

    def refuse(self, reason: str) -> None:
        self.status = "error"
        self.reasons.append(reason)


@dataclass
class Preview:
    rows: list[Row] = field(default_factory=list)
    file_error: str = ""
    ignored_columns: list[str] = field(default_factory=list)  # columns we don't use, left as they are

    @property
    def to_add(self) -> list[Row]:
        return [row for row in self.rows if row.status == "add"]

    @property
    def already(self) -> list[Row]:
        return [row for row in self.rows if row.status == "already"]

    @property
    def errors(self) -> list[Row]:
        return [row for row in self.rows if row.status == "error"]


def decode_upload(data: bytes) -> str:
    """UTF-8, with or without the byte-order mark Excel adds. Anything else is refused with a hint."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(
            _("This file is too large. Please keep it under 2 MB (about %(rows)s people).")
            % {"rows": MAX_ROWS}
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            _(
                "This file isn't saved as UTF-8, so names with accents or other alphabets would come out wrong. "
                "In Excel, choose File › Save As › “CSV UTF-8 (Comma delimited)” and upload it again."
            )
        ) from error


def clean_email(value: str) -> str:
    """A bare address only: no display name, no second address, nothing that could add a header."""
    if any(ch in value for ch in "<>,;\"'\r\n\t ") or value.count("@") != 1:
        raise ValidationError(_("“%(value)s” is not a single email address.") % {"value": value[:80]})
    if len(value) > MAX_EMAIL_LENGTH:
        raise ValidationError(_("This email address is too long to be real. Please check it."))
    try:
        validate_email(value)
    except ValidationError as error:
        raise ValidationError(
            _("“%(value)s” doesn't look like an email address.") % {"value": value[:80]}
        ) from error
    return value.lower()


def clean_phone(value: str) -> str:
    """Digits, spaces, brackets, dashes and a leading plus: what people write phone numbers with."""
    if len(value) > 32 or (value and not all(ch.isdigit() or ch in "+ ()-" for ch in value)):
        raise ValidationError(_("“%(value)s” doesn't look like a phone number.") % {"value": value[:40]})
    return value


@dataclass(frozen=True)
class Scope:
    """What one user may add to one programme, worked out once rather than for every row of a file."""

    runs: bool
    schools: tuple[Organisation, ...] = ()


def scope_for(*, user: User, programme: Programme) -> Scope:
    if runs(user, programme):
        return Scope(runs=True)
    return Scope(runs=False, schools=tuple(schools_coordinated_by(user, programme)))


def person_problems(cleaned: dict, *, scope: Scope) -> list[tuple[str, str]]:
    """What is wrong with one person's details, as (field, reason) pairs so a form can show each
    reason beside its field. Shared by the one-person form and the CSV rows; empty when all is well."""
    problems = []
    category, organisation, channel = cleaned["category"], cleaned.get("organisation"), cleaned["channel"]
    if category == Category.SCHOOL_STAFF and not cleaned.get("staff_role"):
        problems.append(
            ("staff_role", _("School staff need a role: teacher, support staff, governor or leader."))
        )
    if category != Category.SCHOOL_STAFF and cleaned.get("staff_role"):
        problems.append(("staff_role", _("Only school staff have a role at school.")))
    if channel == Channel.EMAIL and not cleaned.get("email"):
        problems.append(("email", _("No email address: give one, or choose a letter through school.")))
    if channel == Channel.LETTER and not (organisation and organisation.kind == OrganisationKind.SCHOOL):
        problems.append(
            ("organisation", _("Letters go through a school, so the organisation must be their school."))
        )
    if not scope.runs:
        if category not in (Category.PARENT, Category.SCHOOL_STAFF):
            problems.append(
                (
                    "category",
                    _("Schools add their own parents, carers and staff; the facilitator adds groups."),
                )
            )
        if organisation not in scope.schools:
            names = ", ".join(school.name for school in scope.schools)
            problems.append(
                (
                    "organisation",
                    _("You can add people from your own school only (%(names)s).") % {"names": names},
                )
            )
    return problems


def check_person(
    cleaned: dict,
    *,
    programme: Programme,
    user: User,
    organisations: dict[str, Organisation] | None = None,
    scope: Scope | None = None,
) -> list[str]:
    """Rules shared by the one-person form and the CSV rows. Returns reasons, empty when all is well."""
    scope = scope or scope_for(user=user, programme=programme)
    return [reason for _field, reason in person_problems(cleaned, scope=scope)]


def existing_problem(invitee: Invitee | None, *, scope: Scope) -> str:
    """A school coordinator may not invite, through an email address, someone the neighbourhood already
    knows through another organisation: they would not see that person on their list afterwards."""
    if invitee is None or scope.runs or invitee.organisation_id in {school.pk for school in scope.schools}:
        return ""
    return _(
        "Someone with this email address is already known through another organisation. "
        "Please ask the facilitator to invite them."
    )


def existing_invitee(programme: Programme, cleaned: dict) -> Invitee | None:
    """The same person already known in the neighbourhood: by email, or by name and organisation."""
    people = Invitee.objects.filter(neighbourhood=programme.neighbourhood)
    if cleaned.get("email"):
        return people.filter(email__iexact=cleaned["email"]).first()
    return people.filter(
        name__iexact=cleaned["name"], organisation=cleaned.get("organisation"), email=""
    ).first()


class KnownPeople:
    """existing_invitee for a whole file: the neighbourhood's people loaded once, not one query a row."""

    def __init__(self, programme: Programme):
        self.by_email: dict[str, Invitee] = {}
        self.by_name: dict[tuple[str, int | None], Invitee] = {}
        for person in Invitee.objects.filter(neighbourhood=programme.neighbourhood).order_by("pk"):
            if person.email:
                self.by_email.setdefault(person.email.lower(), person)
            else:
                self.by_name.setdefault((person.name.lower(), person.organisation_id), person)

    def find(self, cleaned: dict) -> Invitee | None:
        if cleaned.get("email"):
            return self.by_email.get(cleaned["email"].lower())
        organisation = cleaned.get("organisation")
        return self.by_name.get((cleaned["name"].lower(), organisation.pk if organisation else None))


def _clean_row(row: Row, *, organisations: dict[str, Organisation]) -> None:
    values = row.values
    for column in ["name", "organisation", "email"]:
        value = values.get(column, "").strip()
        if value.startswith(FORMULA_STARTS):
            row.refuse(
                _(
                    "The %(column)s starts with “%(char)s”, which spreadsheets treat as a formula. Please check it."
                )
                % {"column": column, "char": value[0]}
            )
    name = " ".join(values.get("name", "").split())
    if not name:
        row.refuse(_("The name is empty."))
    elif len(name) > 120:
        row.refuse(_("The name is longer than 120 characters."))
    category = CATEGORY_LOOKUP.get(values.get("category", "").strip().lower())
    if category is None:
        row.refuse(
            _("Unknown category “%(value)s”. Use one of: parent, school staff, group worker, community.")
            % {"value": values.get("category", "")[:40]}
        )
    role: str | None = ""
    if values.get("role", "").strip():
        role = ROLE_LOOKUP.get(values["role"].strip().lower())
        if role is None:
            row.refuse(
                _("Unknown role “%(value)s”. Use teacher, support staff, governor or leader.")
                % {"value": values["role"][:40]}
            )
    organisation = None
    if values.get("organisation", "").strip():
        organisation = organisations.get(values["organisation"].strip().lower())
        if organisation is None:
            row.refuse(
                _("There is no organisation called “%(value)s” in this neighbourhood.")
                % {"value": values["organisation"][:80]}
            )
    email = values.get("email", "").strip()
    if email:
        try:
            email = clean_email(email)
        except ValidationError as error:
            row.refuse(error.messages[0])
    language: str | None = "en"
    if values.get("language", "").strip():
        language = LANGUAGE_LOOKUP.get(values["language"].strip().lower())
        if language is None:
            row.refuse(_("Unknown language “%(value)s”.") % {"value": values["language"][:40]})
    channel: str | None = Channel.EMAIL if email else Channel.LETTER
    if values.get("channel", "").strip():
        channel = CHANNEL_LOOKUP.get(values["channel"].strip().lower())
        if channel is None:
            row.refuse(
                _("Unknown channel “%(value)s”. Use email or letter.") % {"value": values["channel"][:40]}
            )
    phone = values.get("phone", "").strip()
    try:
        phone = clean_phone(phone)
    except ValidationError as error:
        row.refuse(error.messages[0])
    row.cleaned = {
        "name": name,
        "category": category,
        "staff_role": role or "",
        "organisation": organisation,
        "email": email if isinstance(email, str) else "",
        "phone": phone,
        "language": language or "en",
        "channel": channel,
    }


def _delimiter(text: str) -> str:
    """Commas, unless the header row clearly uses semicolons or tabs (as some spreadsheet settings do)."""
    first_line = text.split("\n", 1)[0]
    if "," not in first_line:
        for candidate in (";", "\t"):
            if candidate in first_line:
                return candidate
    return ","


def _check_headers(headers: list[str], preview: Preview) -> bool:
    """Name each column we know; say which are missing, misspelled or doubled. False if the file is refused."""
    problems = []
    doubled = sorted({h for h in headers if h and headers.count(h) > 1})
    if doubled:
        problems.append(
            _("These columns appear more than once: %(columns)s.")
            % {"columns": ", ".join(f"“{h}”" for h in doubled)}
        )
    unknown = [h for h in headers if h and h not in KNOWN_COLUMNS]
    for column in REQUIRED_COLUMNS:
        if column not in headers:
            close = difflib.get_close_matches(column, unknown, n=1)
            problems.append(
                _("The “%(column)s” column is missing (is “%(close)s” meant to be it?).")
                % {"column": column, "close": close[0]}
                if close
                else _("The “%(column)s” column is missing.") % {"column": column}
            )
    for header in unknown:
        close = difflib.get_close_matches(header, KNOWN_COLUMNS, n=1, cutoff=0.75)
        if close and close[0] not in headers:
            if close[0] not in REQUIRED_COLUMNS:  # a missing required column already has its hint
                problems.append(
                    _("We don't know the column “%(header)s”: is it meant to be “%(close)s”?")
                    % {"header": header, "close": close[0]}
                )
        else:
            preview.ignored_columns.append(header)
    if problems:
        preview.file_error = " ".join(
            [
                _("Please check the first row of the file, which names the columns."),
                *problems,
                _("The columns we know are: %(known)s.") % {"known": ", ".join(KNOWN_COLUMNS)},
            ]
        )
    return not problems


def preview_csv(*, programme: Programme, text: str, user: User) -> Preview:
    """Read a CSV and say, row by row, what importing it would do. Saves nothing."""
    preview = Preview()
    if not text.strip():
        preview.file_error = _("This file is empty.")
        return preview
    reader = csv.DictReader(io.StringIO(text), delimiter=_delimiter(text))
    records = []
    try:
        raw_headers = reader.fieldnames or []
        for values in reader:
            # Blank lines (often at the end of a spreadsheet) are skipped.
            if any((value or "").strip() for key, value in values.items() if key):
                records.append((reader.line_num, values))
            if len(records) > MAX_ROWS:
                preview.file_error = _(
                    "This file has more than %(max)s people. Please split it into smaller files."
                ) % {"max": MAX_ROWS}
                return preview
    except csv.Error as error:
        preview.file_error = _(
            "We couldn't read this file as a CSV (%(error)s). In Excel, choose File › Save As › "
            "“CSV UTF-8 (Comma delimited)” and upload it again."
        ) % {"error": error}
        return preview
    headers = []
    for header in raw_headers:
        header = " ".join((header or "").replace("\ufeff", "").split()).lower()
        headers.append(COLUMN_ALIASES.get(header, header))
    if not _check_headers(headers, preview):
        return preview
    if not records:
        preview.file_error = _("There is nobody in this file: only the header row.")
        return preview

    organisations = {org.name.lower(): org for org in programme.neighbourhood.organisations.all()}
    invited = set(programme.invitations.values_list("invitee_id", flat=True))
    scope = scope_for(user=user, programme=programme)
    known = KnownPeople(programme)
    seen: dict[tuple, int] = {}
    for line, raw in records:
        values = {
            header: (value or "")
            for header, value in zip(headers, (raw.get(name) for name in raw_headers), strict=True)
            if header in KNOWN_COLUMNS
        }
        row = Row(line=line, values=values)
        _clean_row(row, organisations=organisations)
        if row.status != "error":
            for _field, reason in person_problems(row.cleaned, scope=scope):
                row.refuse(reason)
        if row.status != "error":
            key = (
                (row.cleaned["email"],)
                if row.cleaned["email"]
                else (row.cleaned["name"].lower(), row.cleaned["organisation"])
            )
            if key in seen:
                row.refuse(_("The same person is on line %(line)s.") % {"line": seen[key]})
            else:
                seen[key] = line
        if row.status != "error":
            row.invitee = known.find(row.cleaned)
            if row.invitee and row.invitee.pk in invited:
                row.status = "already"
            elif problem := existing_problem(row.invitee, scope=scope):
                row.refuse(problem)
        preview.rows.append(row)
    return preview


@transaction.atomic
def import_csv(*, programme: Programme, text: str, user: User) -> Preview:
    """Check the file again and add every row marked "add", all in one transaction."""
    preview = preview_csv(programme=programme, text=text, user=user)
    if not preview.file_error:
        for row in preview.to_add:
            _invite(programme=programme, user=user, invitee=row.invitee, cleaned=row.cleaned)
        sync_schedule(programme=programme)
    return preview


def _invite(*, programme: Programme, user: User, invitee: Invitee | None, cleaned: dict) -> Invitation:
    if invitee is None:
        invitee = Invitee.objects.create(neighbourhood=programme.neighbourhood, added_by=user, **cleaned)
    return Invitation.objects.create(programme=programme, invitee=invitee, added_by=user)


@transaction.atomic
def add_invitation(*, programme: Programme, user: User, cleaned: dict) -> Invitation:
    """Invite one person (already validated by the form, which uses check_person) and schedule their messages."""
    invitation = _invite(
        programme=programme, user=user, invitee=existing_invitee(programme, cleaned), cleaned=cleaned
    )
    sync_schedule(programme=programme)
    return invitation


@transaction.atomic
def invite_organisations(*, programme: Programme, user: User) -> int:
    """Invite every group and organisation in the neighbourhood that has a contact email, except schools
    (they invite their own staff and parents). Returns how many were newly invited."""
    organisations = programme.neighbourhood.organisations.exclude(kind=OrganisationKind.SCHOOL).exclude(
        contact_email=""
    )
    invited = set(programme.invitations.values_list("invitee_id", flat=True))
    added = 0
    for organisation in organisations:
        cleaned = {
            "name": organisation.name,
            "category": Category.GROUP_WORKER,
            "staff_role": "",
            "organisation": organisation,
            "email": organisation.contact_email.lower(),
            "phone": "",
            "language": "en",
            "channel": Channel.EMAIL,
        }
        invitee = existing_invitee(programme, cleaned)
        if invitee and invitee.pk in invited:
            continue
        _invite(programme=programme, user=user, invitee=invitee, cleaned=cleaned)
        added += 1
    sync_schedule(programme=programme)
    return added
