"""Importing people from a CSV file: reading it (UTF-8 from Excel, commas or semicolons, the column names
people really use), a preview row by row of what importing would do, and the import itself. The rules
for each person are the one-person form's (invitees.person_problems).

A row may name a mobile number (read by core.phones.uk_mobile), the ways to reach them as a list
("email; text", "letter + sms"), whether they agreed to texts, and whether they need an interpreter.

There is one path from a file to the list: a file in our own format (KNOWN_COLUMNS) becomes rows here;
a school's export (services.school_exports) is read through its column mapping into rows of the same
shape, some already marked "not invited" (no parental responsibility, the same home as someone invited).
Both then go through ``check_rows`` (every rule, the importer's permissions, "already known: will
update …") and ``apply_preview``."""

import csv
import difflib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf.locale import LANG_INFO
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.phones import uk_mobile
from core.users import User
from events.models import Organisation, Programme

from ..enums import LANGUAGES, Category, Channel, PersonEvent, StaffRole
from ..models import Invitee, PersonChange
from ..names import fold
from .invitees import (
    FORMULA_STARTS,
    Scope,
    clean_email,
    clean_phone,
    existing_problem,
    invite_person,
    person_problems,
    scope_for,
    ways_label,
)
from .people import change_details, replan_people
from .schedule import sync_schedule

MAX_ROWS = 2000
MAX_FILE_BYTES = 2 * 1024 * 1024
REQUIRED_COLUMNS = ["name", "category"]
OPTIONAL_COLUMNS = [
    "role",
    "organisation",
    "email",
    "phone",
    "language",
    "channel",
    "mobile",
    "texts agreed",
    "interpreter",
]
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
    "channels": "channel",
    "mobile number": "mobile",
    "mobile phone": "mobile",
    "mobile phone number": "mobile",
    "text": "mobile",
    "sms": "mobile",
    "consent": "texts agreed",
    "texts_agreed": "texts agreed",
    "agreed to texts": "texts agreed",
    "agreed to text messages": "texts agreed",
    "text consent": "texts agreed",
    "sms consent": "texts agreed",
    "needs an interpreter": "interpreter",
    "interpreter needed": "interpreter",
}


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


def language_from(text: str) -> str | None:
    """The list's language for what a spreadsheet says: its code in any case, with a region or not
    ("pl", "PL", "pl-PL", "pl_PL"), its English name ("Polish") or its own ("polski", "Română"); None
    when it is none of ours."""
    text = " ".join(text.split()).lower()
    if text in LANGUAGE_LOOKUP:
        return LANGUAGE_LOOKUP[text]
    base = text.replace("_", "-").split("-")[0]
    if base in LANGUAGE_LOOKUP and len(base) in (2, 3):
        return LANGUAGE_LOOKUP[base]
    for code, _label in LANGUAGES:
        info = LANG_INFO.get(code) or LANG_INFO.get(code.split("-")[0]) or {}
        if text in {str(info.get("name_local", "")).lower(), str(info.get("name", "")).lower()}:
            return code
    return None


def languages_offered() -> str:
    return ", ".join(str(label) for _code, label in LANGUAGES)


# Each way in a channel cell: its key or label, or what people call it.
CHANNEL_LOOKUP = {
    **_choice_lookup(Channel.choices),
    "e-mail": Channel.EMAIL,
    "text": Channel.SMS,
    "texts": Channel.SMS,
    "text messages": Channel.SMS,
    "letter": Channel.LETTER,
    "letters": Channel.LETTER,
}
# Between the ways of a list: "email; text", "email, sms", "letter + sms", "email and texts".
CHANNEL_SEPARATORS = re.compile(r"\s*(?:[;,+&/]|\band\b)\s*")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


def channels_from(text: str) -> tuple[str, bool]:
    """The main way and whether texts go as well, from a channel cell: one way, or email or a letter
    with texts ("email; sms"). ValidationError with a plain reason otherwise."""
    written = " ".join(text.split()).lower()
    ways = []
    for part in CHANNEL_SEPARATORS.split(written):
        if part:
            way = CHANNEL_LOOKUP.get(part)
            if way is None:
                raise ValidationError(
                    _(
                        "Unknown channel “%(value)s”. Use email, text or letter, or texts as well as "
                        "email or a letter, for example “email; text”."
                    )
                    % {"value": text[:40]}
                )
            ways.append(way)
    if not ways:
        raise ValidationError(
            _("Unknown channel “%(value)s”. Use email, text or letter.") % {"value": text[:40]}
        )
    if Channel.NONE in ways and len(set(ways)) > 1:
        raise ValidationError(_("“None” means no messages at all, so it cannot go with another way."))
    if Channel.EMAIL in ways and Channel.LETTER in ways:
        raise ValidationError(
            _(
                "Choose email or a letter, not both: a letter goes home to people we do not email. "
                "Texts can go as well as either, for example “email; text”."
            )
        )
    main = next(way for way in (Channel.EMAIL, Channel.LETTER, Channel.SMS, Channel.NONE) if way in ways)
    return main, Channel.SMS in ways and main != Channel.SMS


def yes_or_no(text: str) -> bool | None:
    """yes/no, y/n, true/false, 1/0 in any case; None for anything else."""
    value = text.strip().lower()
    return True if value in YES else False if value in NO else None


# What a row may change about someone already known, and the column that says it: only what the file
# fills in (an empty cell never blanks what we have). Field → (column, what the preview calls it). The
# email only for someone known without one (a school's export finds them by name at their school): an
# address we have is how we know them, never changed by a file.
UPDATABLE = {
    "email": ("email", gettext_lazy("email address")),
    "phone": ("phone", gettext_lazy("phone")),
    "mobile": ("mobile", gettext_lazy("mobile")),
    "texts_agreed": ("texts agreed", gettext_lazy("agreement to texts")),
    "language": ("language", gettext_lazy("language")),
    "interpreter": ("interpreter", gettext_lazy("interpreter")),
    "channel": ("channel", gettext_lazy("how we reach them")),
    "texts_too": ("channel", gettext_lazy("texts as well")),
    # Only a school's export fills these in (services.school_exports): they are not columns of our format.
    "address": ("address", gettext_lazy("home address")),
    "notes": ("notes", gettext_lazy("notes")),
    "adults_at_home": ("adults at home", gettext_lazy("adults at home")),
}
# What a school's export may change about someone known who represents a home the file names without
# naming them (services.school_exports): what the file says of their home, not their own details.
HOME_FIELDS = ("notes", "adults_at_home")
MAX_NOTES = 2000


@dataclass
class Row:
    line: int
    values: dict[str, str]
    # add, already, error; "skip" for a contact of a school's export who is not invited (no parental
    # responsibility, "do not contact", the same home as someone invited): ``reasons`` says why.
    status: str = "add"
    reasons: list[str] = field(default_factory=list)
    invitee: Invitee | None = None
    cleaned: dict = field(default_factory=dict)
    # For someone already known: field → the file's value, where it differs from what we have.
    updates: dict = field(default_factory=dict)
    # What a school's export noted about the row without refusing it (a second address kept in the
    # notes, a relationship we do not know), and the lines of the file it gathers (one per child).
    remarks: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    # Set by services.school_exports, which decides who a contact is (households): ``invitee`` is then
    # taken as it is, not looked up again; ``for_home`` says the row invites someone already known for
    # the contact's home, changing only what the file says of that home (HOME_FIELDS).
    decided: bool = False
    for_home: bool = False

    @property
    def update_words(self) -> str:
        """ "phone, language": what importing will change about someone known; "" for nothing."""
        return ", ".join(dict.fromkeys(str(UPDATABLE[name][1]) for name in self.updates))

    def refuse(self, reason: str) -> None:
        self.status = "error"
        self.reasons.append(reason)

    @property
    def ways(self) -> str:
        """How they would be reached ("Email and texts"); empty for a row with a problem."""
        if self.status == "error" or not self.cleaned.get("channel"):
            return ""
        return ways_label(self.cleaned["channel"], self.cleaned["texts_too"])


@dataclass
class Preview:
    rows: list[Row] = field(default_factory=list)
    file_error: str = ""
    ignored_columns: list[str] = field(default_factory=list)  # columns we don't use, left as they are
    # A school's export (services.school_exports): the system it came from, how many rows the file had
    # (one per contact and child), and the households it found (two people or more at one home).
    system: str = ""
    file_rows: int = 0
    households: list = field(default_factory=list)

    @property
    def to_add(self) -> list[Row]:
        return [row for row in self.rows if row.status == "add"]

    @property
    def skipped(self) -> list[Row]:
        """Contacts of a school's export who will not be invited, each with its reason."""
        return [row for row in self.rows if row.status == "skip"]

    @property
    def already(self) -> list[Row]:
        return [row for row in self.rows if row.status == "already"]

    @property
    def errors(self) -> list[Row]:
        return [row for row in self.rows if row.status == "error"]

    @property
    def updating(self) -> list[Row]:
        """Rows about someone known whose details the file changes."""
        return [row for row in self.rows if row.status != "error" and row.updates]


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


class KnownPeople:
    """existing_invitee for a whole file: the neighbourhood's people loaded once, not one query a row.
    A name is compared as every name is (invitations.names.fold: "GRÁCE OBI" is "Grace Obi")."""

    def __init__(self, programme: Programme):
        self.by_email: dict[str, Invitee] = {}
        self.by_name: dict[tuple[str, int | None], Invitee] = {}
        people = Invitee.objects.filter(neighbourhood=programme.neighbourhood).select_related("organisation")
        self.people: list[Invitee] = list(people.order_by("pk"))
        for person in self.people:
            if person.email:
                self.by_email.setdefault(person.email.lower(), person)
            else:
                self.by_name.setdefault((fold(person.name), person.organisation_id), person)

    def email_taken(self, email: str, invitee: Invitee) -> bool:
        """Whether ``email`` is someone else's in the neighbourhood (one email per person)."""
        owner = self.by_email.get(email.lower())
        return owner is not None and owner.pk != invitee.pk

    def find(self, cleaned: dict) -> Invitee | None:
        if cleaned.get("email"):
            return self.by_email.get(cleaned["email"].lower())
        organisation = cleaned.get("organisation")
        return self.by_name.get((fold(cleaned["name"]), organisation.pk if organisation else None))


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
        language = language_from(values["language"])
        if language is None:
            row.refuse(
                _("Unknown language “%(value)s”. Use one of: %(languages)s.")
                % {"value": values["language"][:40], "languages": languages_offered()}
            )
    mobile = values.get("mobile", "").strip()
    if mobile:
        try:
            mobile = uk_mobile(mobile)
        except ValidationError as error:
            row.refuse(
                _("The mobile number “%(value)s” can't be used: %(reason)s")
                % {"value": mobile[:40], "reason": error.messages[0]}
            )
            mobile = ""
    agreed = None
    if values.get("texts agreed", "").strip():
        agreed = yes_or_no(values["texts agreed"])
        if agreed is None:
            row.refuse(
                _("In “texts agreed”, “%(value)s” is not yes or no.") % {"value": values["texts agreed"][:40]}
            )
    interpreter = False
    if values.get("interpreter", "").strip():
        answer = yes_or_no(values["interpreter"])
        if answer is None:
            row.refuse(
                _("In “interpreter”, “%(value)s” is not yes or no.") % {"value": values["interpreter"][:40]}
            )
        interpreter = bool(answer)
    channel: str | None
    texts_too = False
    if values.get("channel", "").strip():
        try:
            channel, texts_too = channels_from(values["channel"])
        except ValidationError as error:
            row.refuse(error.messages[0])
            channel = None
        # Schools export only the contacts who agreed to texts: a list naming texts means they did.
        if agreed is None:
            agreed = bool(mobile) and (channel == Channel.SMS or texts_too)
    else:
        channel = Channel.EMAIL if email else Channel.SMS if mobile and agreed else Channel.LETTER
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
        "mobile": mobile,
        "texts_agreed": bool(agreed),
        "phone": phone,
        "language": language or "en",
        "interpreter": interpreter,
        "channel": channel,
        "texts_too": texts_too,
        # Only from a school's export (never columns of our own format).
        "address": " ".join(values.get("address", "").split())[:300],
        "notes": values.get("notes", "").strip()[:MAX_NOTES],
        "adults_at_home": int(values.get("adults at home") or 1),
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


class FileProblem(Exception):
    """A file that cannot be read at all (empty, not a CSV, too long): its message says why."""


class TooManyRows(FileProblem):
    """A file of more than MAX_ROWS rows, and its header row (normalised), which says what it is."""

    def __init__(self, message: str, *, headers: list[str]):
        super().__init__(message)
        self.headers = headers


@dataclass
class Table:
    """A CSV file's cells: its header row as written and normalised (lower case, single spaces), and
    each row that is not blank with the line it starts on, one cell per header."""

    raw_headers: list[str]
    headers: list[str]
    records: list[tuple[int, list[str]]]


def normalise_header(header: str | None) -> str:
    return " ".join((header or "").replace("\ufeff", "").split()).lower()


def read_table(text: str, *, too_many: str) -> Table:
    """Read a whole CSV (commas, semicolons or tabs). FileProblem for an empty file, one that is not a
    CSV, or one of more than MAX_ROWS rows (``too_many`` says so, with %(max)s)."""
    if not text.strip():
        raise FileProblem(_("This file is empty."))
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    records: list[tuple[int, list[str]]] = []
    try:
        raw_headers = next(reader, [])
        width = len(raw_headers)
        ended = reader.line_num
        for cells in reader:
            # A record starts on the line after the last one ended (a cell may hold line breaks).
            line, ended = ended + 1, reader.line_num
            cells = (cells + [""] * width)[:width]
            # Blank lines (often at the end of a spreadsheet) are skipped.
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
            if len(records) > MAX_ROWS:
                raise TooManyRows(
                    too_many % {"max": MAX_ROWS}, headers=[normalise_header(header) for header in raw_headers]
                )
    except csv.Error as error:
        raise FileProblem(
            _(
                "We couldn't read this file as a CSV (%(error)s). In Excel, choose File › Save As › "
                "“CSV UTF-8 (Comma delimited)” and upload it again."
            )
            % {"error": error}
        ) from error
    return Table(
        raw_headers=[(header or "").replace("\ufeff", "").strip() for header in raw_headers],
        headers=[normalise_header(header) for header in raw_headers],
        records=records,
    )


PEOPLE_LIMIT = gettext_lazy("This file has more than %(max)s people. Please split it into smaller files.")


def own_headers(table: Table) -> list[str]:
    """The file's headers read as the columns of our own format (COLUMN_ALIASES)."""
    return [COLUMN_ALIASES.get(header, header) for header in table.headers]


def preview_csv(*, programme: Programme, text: str, user: User) -> Preview:
    """Read a CSV in our own format and say, row by row, what importing it would do. Saves nothing."""
    preview = Preview()
    try:
        table = read_table(text, too_many=str(PEOPLE_LIMIT))
    except FileProblem as problem:
        preview.file_error = str(problem)
        return preview
    headers = own_headers(table)
    if not _check_headers(headers, preview):
        return preview
    if not table.records:
        preview.file_error = _("There is nobody in this file: only the header row.")
        return preview
    rows = [
        Row(
            line=line,
            values={
                header: value for header, value in zip(headers, cells, strict=True) if header in KNOWN_COLUMNS
            },
        )
        for line, cells in table.records
    ]
    check_rows(rows, context=list_context(programme=programme, user=user), preview=preview)
    return preview


@dataclass
class ListContext:
    """What checking a file's rows needs, loaded once for the whole file whatever its length: the
    neighbourhood's organisations by name, who is on the programme's list already, what the importer
    may add, and the people the neighbourhood knows."""

    programme: Programme
    organisations: dict[str, Organisation]
    invited: set[int]
    scope: Scope
    known: KnownPeople


def list_context(*, programme: Programme, user: User) -> ListContext:
    return ListContext(
        programme=programme,
        organisations={org.name.lower(): org for org in programme.neighbourhood.organisations.all()},
        invited=set(programme.invitations.values_list("invitee_id", flat=True)),
        scope=scope_for(user=user, programme=programme),
        known=KnownPeople(programme),
    )


HOME_KNOWN_ELSEWHERE = gettext_lazy(
    "Someone from the same home is already known through another organisation. "
    "Please ask the facilitator to invite them."
)


def check_rows(rows: list[Row], *, context: ListContext, preview: Preview) -> None:
    """Check each row still marked "add" against every rule (person_problems), the rest of the file
    (the same person twice), who is known and invited already, and what the importer may change about
    someone known; add every row to the preview. Rows marked "skip" are shown as they are, with what
    the file changes about the home they share (services.school_exports)."""
    scope = context.scope
    seen: dict[tuple, int] = {}
    for row in rows:
        if row.status == "skip":
            if row.invitee is not None and may_update(row.invitee, scope=scope):
                row.updates = changes_for(row.invitee, row, only=HOME_FIELDS)
            preview.rows.append(row)
            continue
        _clean_row(row, organisations=context.organisations)
        if row.status != "error":
            for _field, reason in person_problems(row.cleaned, scope=scope):
                row.refuse(reason)
        # The same person twice (by email, or by name at one organisation); a school's export has told
        # its contacts apart already, so only an email, which is one person's, is checked there.
        if row.status != "error" and (row.cleaned["email"] or not row.decided):
            key = (
                (row.cleaned["email"],)
                if row.cleaned["email"]
                else (fold(row.cleaned["name"]), row.cleaned["organisation"])
            )
            if key in seen:
                row.refuse(_("The same person is on line %(line)s.") % {"line": seen[key]})
            else:
                seen[key] = row.line
        if row.status != "error":
            if not row.decided:
                row.invitee = context.known.find(row.cleaned)
            if row.invitee and row.invitee.pk in context.invited:
                row.status = "already"
            elif problem := existing_problem(row.invitee, scope=scope):
                row.refuse(str(HOME_KNOWN_ELSEWHERE) if row.for_home else problem)
            if row.status != "error" and row.invitee is not None and may_update(row.invitee, scope=scope):
                row.updates = changes_for(row.invitee, row, only=HOME_FIELDS if row.for_home else None)
                for _field, reason in updated_problems(row.invitee, row.updates, scope=scope):
                    row.refuse(reason)
                if (email := row.updates.get("email")) and context.known.email_taken(email, row.invitee):
                    row.refuse(str(EMAIL_ELSEWHERE) % {"email": email, "name": row.invitee.name})
        preview.rows.append(row)


EMAIL_ELSEWHERE = gettext_lazy(
    "%(name)s is known without an email address, but %(email)s is someone else's in this neighbourhood: "
    "each person needs their own. Please check the address in your file."
)


def merged_notes(current: str, new: str) -> str:
    """The notes someone has, with what a file says of them added once (never blanking what is there)."""
    if not new or new in current:
        return current
    return f"{current}\n{new}"[:MAX_NOTES] if current else new[:MAX_NOTES]


def changes_for(invitee: Invitee, row: Row, *, only: Iterable[str] | None = None) -> dict:
    """What the row's file says about someone known that differs from what we have: only the columns
    it fills in (``only`` these fields, if given). Notes are added to, and the adults at home never
    counted down."""
    changes: dict = {}
    for name, (column, _words) in UPDATABLE.items():
        if (only is not None and name not in only) or not row.values.get(column, "").strip():
            continue
        if name == "email" and invitee.email:
            continue
        value = row.cleaned.get(name)
        if name == "notes":
            value = merged_notes(invitee.notes, value or "")
        if name == "adults_at_home" and (value or 0) <= invitee.adults_at_home:
            continue
        if value != getattr(invitee, name):
            changes[name] = value
    return changes


def may_update(invitee: Invitee, *, scope: Scope) -> bool:
    """A facilitator may change anyone in the neighbourhood; a coordinator their own school's people."""
    return scope.runs or invitee.organisation_id in {school.pk for school in scope.schools}


def updated_problems(invitee: Invitee, updates: dict, *, scope: Scope) -> list[tuple[str, str]]:
    """The rules a person must keep (person_problems), for someone known once the row's changes are made."""
    if not updates:
        return []
    after = {
        "name": invitee.name,
        "category": invitee.category,
        "staff_role": invitee.staff_role,
        "organisation": invitee.organisation,
        "email": invitee.email,
        "mobile": invitee.mobile,
        "texts_agreed": invitee.texts_agreed,
        "channel": invitee.channel,
        "texts_too": invitee.texts_too,
        **updates,
    }
    return [
        (field, reason)
        for field, reason in person_problems(after, scope=scope)
        if field not in ("category", "organisation")  # who they are is not the file's to change
    ]


@transaction.atomic
def apply_updates(
    *, row: Row, programme: Programme, by: User, replan_now: bool = True
) -> PersonChange | None:
    """Make a row's changes to someone known through the one path of every change of details
    (services.people.change_details, event IMPORTED): their row locked and read again, so what changed
    since the preview (a bounce's "not working" mark, a reply's "keep in touch") stays; a new email or
    mobile clears its "not working" mark and puts back the way a bounce had moved them from; one line
    of their history; their messages re-planned on each of their programmes (``replan_now`` False: by
    the caller, for the whole file at once, as apply_preview does). The notes are added to
    what they have now, and the adults at home never counted down. Returns the line of history (None
    when nothing is left to change). ValidationError, nothing changed, when the change now breaks a
    rule (the email given to someone else since)."""
    assert row.invitee is not None
    person = Invitee.objects.select_for_update(of=("self",)).get(pk=row.invitee.pk)
    changes = dict(row.updates)
    if "notes" in changes:
        changes["notes"] = merged_notes(person.notes, row.cleaned.get("notes") or "")
    if "adults_at_home" in changes:
        changes["adults_at_home"] = max(person.adults_at_home, changes["adults_at_home"])
    row.invitee, line = change_details(
        invitee=person,
        changes=changes,
        by=by,
        scope=None,
        event=PersonEvent.IMPORTED,
        programme=programme,
        replan_now=replan_now,
    )
    return line


def apply_preview(*, programme: Programme, user: User, preview: Preview) -> None:
    """Make what a checked file says: the changes to people already known (added or already invited,
    and the homes a school's export names), then every row marked "add", then the schedule once, and
    once on each other programme of the people changed. A change that can no longer be made (someone
    else took the email meanwhile) makes its row one with a problem, with the reason, and the rest goes
    on. The caller holds the transaction."""
    if preview.file_error:
        return
    changed: list[int] = []
    for row in preview.updating:
        if row.invitee is not None:
            try:
                if apply_updates(row=row, programme=programme, by=user, replan_now=False) is not None:
                    changed.append(row.invitee.pk)
            except ValidationError as error:
                row.refuse(" ".join(error.messages))
    for row in preview.to_add:
        invite_person(programme=programme, user=user, invitee=row.invitee, cleaned=row.cleaned)
    sync_schedule(programme=programme)
    if changed:
        replan_people(invitee_ids=changed, skip=programme)


@transaction.atomic
def import_csv(*, programme: Programme, text: str, user: User) -> Preview:
    """Check the file again and add every row marked "add", and make the changes the file says about
    people already known (added or already invited), all in one transaction."""
    preview = preview_csv(programme=programme, text=text, user=user)
    apply_preview(programme=programme, user=user, preview=preview)
    return preview
