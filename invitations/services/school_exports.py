"""Reading a school's export of parents' contacts (issue 17, parts 5 and 6): SIMS, Arbor, Bromcom and
Wonde-style files recognised by their headers, any other file mapped column by column, the mapping
remembered per school, one person per contact, and one invitation per home.

**Recognising and mapping.** ``inspect_upload`` reads the header row: a file in our own format goes on to
csv_import as it always has; any other file needs a mapping {our field: their column} (FIELDS), which
``recognise`` suggests for the systems we know (SYSTEMS) and the team confirms. ``mapping_problems``
refuses a mapping without a name or without any contact column, and one naming a column the file does
not have; it is checked again on confirm, since the mapping comes back from the browser.
``remember_mapping`` keeps it (models.ImportMapping) per school, or per neighbourhood for a facilitator's
own files, under a hash of the file's headers (``headers_key``), so next term's export goes straight to
the preview.

**Contacts.** An export lists a contact once per child. Rows are one person when they have the contact's
own id (per school), or the same name and one of the same email, mobile, phone number or home, or the
same name and nothing else to go by (and no two phone numbers between them: two "John Smith" rows with
two numbers are two people). A cell with several addresses or numbers gives the first that works; the
others, and any that do not work, go into the person's notes. A relationship or a home language we do
not know is noted, not refused. A contact without parental responsibility, or marked "do not contact"
(a court order), is never invited.

**Households.** Contacts with the same email, the same mobile, or the same home address and surname
(case, spaces, punctuation and accents aside) are one household, and so are contacts and people the
neighbourhood already knows who share one of those. A household gets one invitation: someone of it
already on the programme's list keeps theirs; otherwise someone already known; otherwise the contact of
the first priority. The others are shown as "same home" and not invited; the one invited has the other
adults and every child (with their school) in their notes, and ``adults_at_home`` counts the adults.
A new person's school is the one of the household's youngest child (Nursery before Reception before
Year 1 …), unless the file names a school for letters; someone already known keeps theirs. An email, a
mobile or a home on the rows of more contacts than a home has adults (MAX_ADULTS) is a school's
placeholder (an office's address): it is not used for them, nor taken as a household.

The rows then go through the same checks, preview and import as any file (csv_import.check_rows and
apply_preview): every rule, permission and "already known: will update …" stays one path."""

import difflib
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.phones import uk_mobile
from core.users import User
from events.models import Organisation, Programme

from ..enums import Category
from ..models import ImportMapping, Invitee
from ..names import fold
from .csv_import import (
    MAX_NOTES,
    MAX_ROWS,
    PEOPLE_LIMIT,
    FileProblem,
    ListContext,
    Preview,
    Row,
    Table,
    TooManyRows,
    apply_preview,
    check_rows,
    language_from,
    list_context,
    own_headers,
    read_table,
    yes_or_no,
)
from .invitees import clean_email, clean_phone, written_mobile
from .listing import phone_digits

# --- What we read from a school's export --------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    key: str
    label: Promise
    help: Promise | str = ""


FIELDS: tuple[Field, ...] = (
    Field("first_name", gettext_lazy("First name"), gettext_lazy("The contact's, not the child's.")),
    Field("surname", gettext_lazy("Surname")),
    Field(
        "full_name",
        gettext_lazy("Full name"),
        gettext_lazy("Only if first name and surname are in one column."),
    ),
    Field(
        "contact_id",
        gettext_lazy("The contact's own id"),
        gettext_lazy("Helps us see the same contact under several children."),
    ),
    Field("priority", gettext_lazy("Priority"), gettext_lazy("1 is the first to contact.")),
    Field("relationship", gettext_lazy("Relationship to the child")),
    Field(
        "responsibility",
        gettext_lazy("Parental responsibility"),
        gettext_lazy("Contacts without it are never invited."),
    ),
    Field(
        "no_contact",
        gettext_lazy("Do not contact"),
        gettext_lazy("For example a court order: contacts marked so are never invited."),
    ),
    Field("email", gettext_lazy("Email address"), gettext_lazy("One or several in a cell.")),
    Field("mobile", gettext_lazy("Mobile number")),
    Field("phone", gettext_lazy("Other phone number")),
    Field("texts_agreed", gettext_lazy("Agreed to text messages")),
    Field("language", gettext_lazy("Home language")),
    Field("address", gettext_lazy("Home address")),
    Field("postcode", gettext_lazy("Postcode")),
    Field("pupil_first_name", gettext_lazy("Child's first name")),
    Field("pupil_surname", gettext_lazy("Child's surname")),
    Field("pupil_id", gettext_lazy("Child's id"), gettext_lazy("For example the UPN or admission number.")),
    Field("year", gettext_lazy("Child's year group")),
    Field(
        "organisation",
        gettext_lazy("Each child's school"),
        gettext_lazy("A column naming the school, if the file has children at several."),
    ),
    Field(
        "letters_school",
        gettext_lazy("School for letters"),
        gettext_lazy("If the file says which school a family's letter should go through."),
    ),
)
FIELD_KEYS = frozenset(f.key for f in FIELDS)
# The most adults one home counts (models.Invitee.adults_at_home).
MAX_ADULTS = 6
CONTACT_FIELDS = ("email", "mobile", "phone")


@dataclass(frozen=True)
class System:
    """A school records system whose export we know: its ``signature`` (headers every export of it has,
    normalised) and, for each of our fields, the headers it may use for it (the first one present)."""

    key: str
    name: str
    signature: frozenset[str]
    columns: dict[str, tuple[str, ...]]


# Built from what each system's documentation and its users' guides show of its contact reports and API
# (see tests/fixtures/exports); a school's own report may name its columns differently, which is what the
# mapping page is for.
SYSTEMS: tuple[System, ...] = (
    System(
        key="sims",
        name="SIMS",
        signature=frozenset({"contact forename", "contact surname", "priority", "parental responsibility"}),
        columns={
            "first_name": ("contact forename",),
            "surname": ("contact surname",),
            "contact_id": ("contact id", "contact person id"),
            "priority": ("priority",),
            "relationship": ("relationship",),
            "responsibility": ("parental responsibility",),
            "no_contact": ("court order", "do not contact"),
            "email": ("contact email", "contact email address", "email address"),
            "mobile": ("contact mobile", "mobile"),
            "phone": ("contact telephone", "telephone", "home telephone"),
            "language": ("home language", "first language"),
            "address": ("address", "contact address"),
            "postcode": ("postcode", "contact postcode"),
            "pupil_first_name": ("forename", "legal forename", "preferred forename"),
            "pupil_surname": ("legal surname", "surname", "preferred surname"),
            "pupil_id": ("adno", "upn"),
            "year": ("year", "year group"),
        },
    ),
    System(
        key="arbor",
        name="Arbor",
        signature=frozenset({"guardian first name", "guardian last name", "legal guardian"}),
        columns={
            "first_name": ("guardian first name",),
            "surname": ("guardian last name",),
            "contact_id": ("guardian id",),
            "priority": ("emergency contact priority", "guardian priority", "priority"),
            "relationship": ("relationship to student", "relationship"),
            "responsibility": ("legal guardian",),
            "no_contact": ("court order", "do not contact"),
            "email": ("guardian email address", "email address"),
            "mobile": ("guardian mobile phone", "mobile phone"),
            "phone": ("guardian home phone", "home phone"),
            "language": ("first language", "home language"),
            "address": ("guardian address", "address"),
            "postcode": ("guardian postcode", "postcode"),
            "pupil_first_name": ("student legal first name", "student first name"),
            "pupil_surname": ("student legal last name", "student last name"),
            "pupil_id": ("upn", "student id"),
            "year": ("year group", "year"),
        },
    ),
    System(
        key="bromcom",
        name="Bromcom",
        signature=frozenset(
            {"contact forename", "contact surname", "contact priority", "parental responsibility"}
        ),
        columns={
            "first_name": ("contact forename",),
            "surname": ("contact surname",),
            "contact_id": ("contact id",),
            "priority": ("contact priority",),
            "relationship": ("relationship",),
            "responsibility": ("parental responsibility",),
            "no_contact": ("court order restricted access", "court order"),
            "email": ("contact email address", "contact email"),
            "mobile": ("contact mobile phone", "contact mobile"),
            "phone": ("contact home phone", "contact telephone"),
            "language": ("student home language", "home language"),
            "address": ("contact address",),
            "postcode": ("contact postcode",),
            "pupil_first_name": ("student legal forename", "student forename"),
            "pupil_surname": ("student legal surname", "student surname"),
            "pupil_id": ("student id", "upn"),
            "year": ("year group", "year"),
        },
    ),
    # Wonde's contacts, as its API gives them (a contact with its relationship to a student and its
    # contact details), flattened to one row per contact and student.
    System(
        key="wonde",
        name="Wonde",
        signature=frozenset({"forename", "surname", "parental_responsibility", "student_upn"}),
        columns={
            "first_name": ("forename", "legal_forename"),
            "surname": ("surname", "legal_surname"),
            "contact_id": ("id", "mis_id"),
            "priority": ("priority",),
            "relationship": ("relationship",),
            "responsibility": ("parental_responsibility",),
            "no_contact": ("court_order",),
            "email": ("email", "email_primary"),
            "mobile": ("mobile", "phone_mobile"),
            "phone": ("telephone", "phone_home", "phone"),
            "language": ("student_home_language", "home_language"),
            "address": ("address_home", "address"),
            "postcode": ("postcode",),
            "pupil_first_name": ("student_forename",),
            "pupil_surname": ("student_surname",),
            "pupil_id": ("student_upn",),
            "year": ("student_year",),
        },
    ),
)
SYSTEMS_BY_KEY = {system.key: system for system in SYSTEMS}
# For a file of no system we know: the names people give these columns, to start the mapping from.
GUESSES: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "forename", "first_name", "given name", "parent first name"),
    "surname": ("surname", "last name", "last_name", "family name", "parent surname"),
    "full_name": ("parent name", "contact name", "parent/carer", "parent or carer", "contact", "parent"),
    "contact_id": ("contact id", "parent id", "carer id"),
    "priority": ("priority", "contact priority"),
    "relationship": ("relationship", "relation", "relationship to child"),
    "responsibility": ("parental responsibility", "pr", "legal guardian", "responsibility"),
    "no_contact": ("do not contact", "no contact", "court order"),
    "email": ("email", "e-mail", "email address", "email addresses", "e-mail addresses", "emails"),
    "mobile": ("mobile", "mobile number", "mobile no.", "mobile phone", "mobiles"),
    "phone": ("phone", "telephone", "home phone", "landline"),
    "texts_agreed": ("texts agreed", "sms consent", "text consent"),
    "language": ("language", "home language", "language at home", "first language"),
    "address": ("address", "home address"),
    "postcode": ("postcode", "post code"),
    "pupil_first_name": ("child first name", "pupil forename", "child's first name"),
    "pupil_surname": ("child surname", "pupil surname", "child's surname"),
    "pupil_id": ("upn", "pupil id", "child id"),
    "year": ("year", "year group", "class", "child's year"),
    "organisation": ("school", "organisation"),
}

# --- The header row ---------------------------------------------------------------------------------


def export_headers(table: Table) -> list[str]:
    """The file's headers, normalised, with a second column of the same name told apart ("forename
    (2)"): exports often name the child's and the contact's columns alike."""
    headers: list[str] = []
    for header in table.headers:
        name, count = header, 2
        while name in headers:
            name, count = f"{header} ({count})", count + 1
        headers.append(name)
    return headers


def headers_key(headers: Iterable[str]) -> str:
    """What identifies a kind of file: a hash of its normalised headers, in any order."""
    return hashlib.sha256("\n".join(sorted({h for h in headers if h})).encode()).hexdigest()


def recognise(headers: Iterable[str]) -> System | None:
    """The records system whose export this is, from its headers; None for any other file."""
    present = set(headers)
    found = [system for system in SYSTEMS if system.signature <= present]
    if not found:
        return None
    return max(found, key=lambda system: sum(1 for names in system.columns.values() if present & set(names)))


def suggest_mapping(headers: list[str], system: System | None) -> dict[str, str]:
    """A starting mapping: the system's columns, or the names people usually give them."""
    columns = system.columns if system is not None else GUESSES
    present = set(headers)
    mapping: dict[str, str] = {}
    for key, names in columns.items():
        column = next((name for name in names if name in present), None)
        if column is not None and column not in mapping.values():
            mapping[key] = column
    if system is None and "full_name" in mapping and {"first_name", "surname"} <= mapping.keys():
        del mapping["full_name"]
    return mapping


def looks_like_ours(table: Table) -> bool:
    """A file in our own format (or meant to be: a misspelt "category" gets its hint there)."""
    headers = own_headers(table)
    if "name" in headers or "category" in headers:
        return True
    return any(difflib.get_close_matches("category", [h for h in headers if h], n=1, cutoff=0.8))


@dataclass
class Inspection:
    """What an upload is, read from its header row."""

    table: Table
    headers: list[str]
    ours: bool
    system: System | None
    key: str

    def examples(self) -> list[tuple[str, str, str]]:
        """Each column of the file (its value for the mapping, its header as written) and the first value
        it has in the first rows, to help match them."""
        found = []
        for index, (header, raw) in enumerate(zip(self.headers, self.table.raw_headers, strict=True)):
            value = next(
                (cells[index] for _line, cells in self.table.records[:20] if cells[index].strip()), ""
            )
            found.append((header, raw or header, value.strip()[:60]))
        return found


EXPORT_LIMIT = gettext_lazy(
    "This file has more than %(max)s rows. Please split it into smaller files, for example one for each "
    "year group."
)


def inspect_upload(text: str) -> Inspection:
    """Read a file and say what it is: our own format, a system's export, or another file to map.
    FileProblem when it cannot be read or has more than csv_import.MAX_ROWS rows."""
    try:
        table = read_table(text, too_many=str(EXPORT_LIMIT))
    except TooManyRows as problem:
        header_row = Table(raw_headers=problem.headers, headers=problem.headers, records=[])
        if recognise(export_headers(header_row)) is None and looks_like_ours(header_row):
            raise FileProblem(str(PEOPLE_LIMIT) % {"max": MAX_ROWS}) from problem
        raise
    headers = export_headers(table)
    system = recognise(headers)
    return Inspection(
        table=table,
        headers=headers,
        ours=system is None and looks_like_ours(table),
        system=system,
        key=headers_key(headers),
    )


# --- The mapping ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """How to read a school's export: the mapping {our field: their column, normalised}, the school the
    file is from (None: the file names each child's school, or a facilitator's file of several), and
    the system it came from ("" for another file)."""

    mapping: dict[str, str]
    school: Organisation | None = None
    system: str = ""

    @property
    def system_name(self) -> str:
        system = SYSTEMS_BY_KEY.get(self.system)
        return system.name if system else ""


def mapping_problems(mapping: dict, headers: list[str], *, school: Organisation | None) -> list[str]:
    """Why a mapping cannot be used to read a file with these headers, in words; empty when it can."""
    problems = []
    unknown = [key for key in mapping if key not in FIELD_KEYS]
    if unknown:
        problems.append(
            _("The mapping names fields we don't have: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    missing = [column for column in mapping.values() if column not in headers]
    if missing:
        problems.append(
            _("The file has no column called %(columns)s.")
            % {"columns": ", ".join(f"“{column}”" for column in missing)}
        )
    used: dict[str, str] = {}
    for key, column in mapping.items():
        if column in used and key in FIELD_KEYS and used[column] in FIELD_KEYS:
            problems.append(
                _(
                    "The column “%(column)s” is chosen for both “%(one)s” and “%(other)s”: choose it for one only."
                )
                % {"column": column, "one": label_of(used[column]), "other": label_of(key)}
            )
        used.setdefault(column, key)
    has_parts = "first_name" in mapping or "surname" in mapping
    if "full_name" in mapping and has_parts:
        problems.append(_("Choose either the full name, or the first name and surname: not both."))
    elif "full_name" not in mapping and not ("first_name" in mapping and "surname" in mapping):
        problems.append(
            _(
                "Without the contact's name we cannot invite anyone: choose the column with their first "
                "name and the one with their surname (or the one with their full name)."
            )
        )
    if not any(key in mapping for key in CONTACT_FIELDS):
        problems.append(
            _(
                "Without an email address, a mobile or a phone number we could not reach anyone, nor tell "
                "the same parent under two children: choose at least one of those columns."
            )
        )
    if school is None and "organisation" not in mapping:
        problems.append(
            _("Say which school the file is from, or choose the column that names each child's school.")
        )
    return problems


def label_of(key: str) -> str:
    return next((str(f.label) for f in FIELDS if f.key == key), key)


def saved_mapping(*, programme: Programme, school: Organisation | None, key: str) -> ImportMapping | None:
    """The mapping remembered for files with these headers from this school (or, with no school, the
    neighbourhood's own), if any."""
    return (
        ImportMapping.objects.filter(
            neighbourhood=programme.neighbourhood, organisation=school, headers_key=key
        )
        .order_by("-updated_at")
        .first()
    )


def remember_mapping(*, programme: Programme, key: str, reading: Reading, user: User) -> ImportMapping:
    """Keep a confirmed mapping for the next file with the same headers from the same school.
    Side effect: creates or updates one models.ImportMapping."""
    mapping, _created = ImportMapping.objects.update_or_create(
        neighbourhood=programme.neighbourhood,
        organisation=reading.school,
        headers_key=key,
        defaults={"system": reading.system, "mapping": reading.mapping, "updated_by": user},
    )
    return mapping


# --- Reading the cells -------------------------------------------------------------------------------

# What splits several addresses in one cell; numbers have spaces of their own, so only these split them.
EMAIL_SPLIT = re.compile(r"[\s;,/|]+")
NUMBER_SPLIT = re.compile(r"[;,/|\n]+|\s+or\s+")
MOBILE_IN_TEXT = re.compile(r"(?:\+44\s?\(?0?\)?|0044\s?|0)\s?7(?:[\s-]?\d){9}")
PRIORITY = re.compile(r"\d+")
YEAR_NUMBER = re.compile(r"^(?:year|yr|y)?\s*(\d{1,2})$")
RESPONSIBLE = {"parental responsibility", "legal guardian", "pr", "has parental responsibility"}
NO_CONTACT_WORDS = ("do not contact", "no contact", "not to be contacted", "no communication")

# Relationships as systems and people write them (words, and the short codes some exports use), read
# into plain words for the notes. Anything else is kept as the file says it.
RELATIONSHIPS: dict[str, Promise] = {}
for _words, _label in (
    (("mother", "mum", "pam", "parent (mother)"), gettext_lazy("mother")),
    (("father", "dad", "paf", "parent (father)"), gettext_lazy("father")),
    (("parent",), gettext_lazy("parent")),
    (("carer", "car", "main carer"), gettext_lazy("carer")),
    (("guardian", "legal guardian", "gua"), gettext_lazy("guardian")),
    (("step-mother", "stepmother", "step mother", "stm"), gettext_lazy("step-mother")),
    (("step-father", "stepfather", "step father", "stf"), gettext_lazy("step-father")),
    (("step-parent", "stepparent", "step parent"), gettext_lazy("step-parent")),
    (
        ("foster carer", "foster mother", "foster father", "foster parent", "foc", "fom", "fof"),
        gettext_lazy("foster carer"),
    ),
    (("grandmother", "grandma", "grm"), gettext_lazy("grandmother")),
    (("grandfather", "grandad", "grandpa", "grf"), gettext_lazy("grandfather")),
    (("grandparent",), gettext_lazy("grandparent")),
    (("aunt", "aun"), gettext_lazy("aunt")),
    (("uncle", "unc"), gettext_lazy("uncle")),
    (("sister", "sis"), gettext_lazy("sister")),
    (("brother", "bro"), gettext_lazy("brother")),
    (
        ("other relative", "relative", "rel", "oth", "other family member", "fam"),
        gettext_lazy("other relative"),
    ),
    (("family friend", "friend", "fri"), gettext_lazy("family friend")),
    (("childminder", "chm"), gettext_lazy("childminder")),
    (("social worker", "swr"), gettext_lazy("social worker")),
):
    for _word in _words:
        RELATIONSHIPS[_word] = _label
# Three-letter language codes (ISO 639-2) that exports use, for the languages we write in.
LANGUAGE_CODES = {
    "eng": "en",
    "ara": "ar",
    "ben": "bn",
    "chi": "zh-hans",
    "zho": "zh-hans",
    "guj": "gu",
    "pan": "pa",
    "pol": "pl",
    "por": "pt",
    "ron": "ro",
    "rum": "ro",
    "som": "so",
    "tir": "ti",
    "tur": "tr",
    "ukr": "uk",
    "urd": "ur",
}
LANGUAGE_NAMES = {"panjabi": "pa", "bangla": "bn", "mandarin": "zh-hans", "cantonese": "zh-hans"}


def plain_key(text: str) -> str:
    """A name or address compared as people mean it: the one rule for a name (invitations.names.fold:
    no case, accents or extra spaces, "Ødegård" is "odegard"), then no punctuation: "O'Brien" is
    "obrien", "12 Hill Rd." is "12 hill rd"."""
    letters = re.sub(r"['’`.]", "", fold(text))
    return " ".join(re.sub(r"[^\w]+", " ", letters).split())


def home_key(address: str) -> str:
    """An address as one string of letters and digits: "12 Hill Rd, M1 1AA" → "12hillrdm11aa"."""
    return plain_key(address).replace(" ", "")


def year_rank(text: str) -> int | None:
    """Where a year group comes, youngest first: Nursery (N1, N2) before Reception before Year 1 …;
    None when it says nothing we can read."""
    value = " ".join(text.lower().replace("-", " ").split())
    if not value:
        return None
    if value in ("n1", "fs1 n1", "nursery 1", "pre school", "preschool"):
        return -2
    if value in ("n", "n2", "nur", "nursery", "nursery 2", "fs1"):
        return -1
    if value in ("r", "rec", "reception", "year r", "yr r", "yr", "fs2", "f2", "foundation"):
        return 0
    match = YEAR_NUMBER.match(value)
    return int(match.group(1)) if match else None


def split_emails(text: str) -> tuple[list[str], list[str]]:
    """The addresses that work, in order, and what else the cell had ("a@x.org b@y" → [a@x.org], [b@y])."""
    good, bad = [], []
    for token in EMAIL_SPLIT.split(text):
        token = token.strip("<>()\"'")
        if not token:
            continue
        try:
            address = clean_email(token)
        except ValidationError:
            bad.append(token[:80])
        else:
            if address not in good:
                good.append(address)
    return good, bad


def split_numbers(text: str) -> tuple[list[str], list[str], list[str]]:
    """The UK mobiles in a cell (E.164, in order), the other phone numbers, and what is neither."""
    mobiles: list[str] = []
    phones: list[str] = []
    bad: list[str] = []
    for token in NUMBER_SPLIT.split(text):
        token = token.strip()
        if not token:
            continue
        try:
            found = [uk_mobile(token)]
        except ValidationError:
            found = []
            for part in MOBILE_IN_TEXT.findall(token):
                try:
                    found.append(uk_mobile(part))
                except ValidationError:
                    continue
            if not found:
                try:
                    phones.append(clean_phone(token))
                except ValidationError:
                    bad.append(token[:40])
                continue
        mobiles.extend(number for number in found if number not in mobiles)
    return mobiles, phones, bad


def responsibility_from(text: str) -> bool | None:
    value = " ".join(text.lower().split())
    if not value:
        return None
    if value in RESPONSIBLE:
        return True
    return yes_or_no(value)


def no_contact_from(text: str) -> bool:
    value = " ".join(text.lower().split())
    return bool(value) and (yes_or_no(value) is True or any(words in value for words in NO_CONTACT_WORDS))


def language_of(text: str) -> str | None:
    value = " ".join(text.split()).lower()
    if not value:
        return None
    return language_from(value) or LANGUAGE_CODES.get(value) or LANGUAGE_NAMES.get(value)


@dataclass
class Child:
    name: str
    year: str
    rank: int | None
    school: str
    id: str = ""

    def words(self) -> str:
        details = ", ".join(part for part in (self.year, self.school) if part)
        return f"{self.name} ({details})" if details and self.name else self.name or details

    def same_as(self, other: "Child") -> bool:
        if self.id and other.id:
            return (self.id, self.school) == (other.id, other.school)
        return (plain_key(self.name), self.school) == (plain_key(other.name), other.school)


@dataclass
class Contact:
    """One person of the file, however many children they are listed under."""

    lines: list[int]
    name: str
    surname: str
    school: str  # the school of the first row they are on
    emails: list[str] = field(default_factory=list)
    bad_emails: list[str] = field(default_factory=list)
    mobiles: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    bad_numbers: list[str] = field(default_factory=list)
    language: str | None = None
    unknown_languages: list[str] = field(default_factory=list)
    address: str = ""
    relationships: list[str] = field(default_factory=list)
    unknown_relationships: list[str] = field(default_factory=list)
    responsibility: bool | None = None
    responsibility_said: list[str] = field(default_factory=list)
    no_contact: bool = False
    priority: int | None = None
    texts_agreed: bool | None = None
    letters_school: str = ""
    # Addresses and numbers so many contacts share that they are a school's placeholder (build_rows).
    shared: list[str] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)
    keys: set = field(default_factory=set)

    @property
    def line(self) -> int:
        return self.lines[0]

    @property
    def name_key(self) -> str:
        return plain_key(self.name)

    @property
    def phone_numbers(self) -> set[str]:
        """Their phone numbers as digits, however written ("0161 496 0000" is "+44 161 496 0000")."""
        return {digits for phone in self.phones if (digits := phone_digits(phone))}

    @property
    def home(self) -> str:
        return home_key(self.address) if self.address else ""

    def home_keys(self) -> set[tuple]:
        """What makes two people one household: an email, a mobile, or the home and surname."""
        keys: set[tuple] = {("email", email) for email in self.emails}
        keys |= {("mobile", mobile) for mobile in self.mobiles}
        if self.home and self.surname:
            keys.add(("home", plain_key(self.surname), self.home))
        return keys

    def why_not_invited(self, *, responsibility_read: bool) -> str:
        if self.no_contact:
            return _("marked “do not contact”")
        if responsibility_read and self.responsibility is not True:
            if self.responsibility_said:
                return _("no parental responsibility (the file says “%(said)s”)") % {
                    "said": self.responsibility_said[0]
                }
            return _("no parental responsibility")
        return ""

    def merge(self, other: "Contact") -> None:
        """Take in the same contact's row under another child."""
        self.lines += other.lines
        for name in ("emails", "bad_emails", "mobiles", "phones", "bad_numbers", "unknown_languages"):
            values = getattr(self, name)
            values.extend(value for value in getattr(other, name) if value not in values)
        for name in ("relationships", "unknown_relationships", "responsibility_said"):
            values = getattr(self, name)
            values.extend(value for value in getattr(other, name) if value not in values)
        self.language = self.language or other.language
        self.address = self.address or other.address
        # Parental responsibility for any of their children; "do not contact" for any of them stops all.
        if other.responsibility is True:
            self.responsibility = True
        elif self.responsibility is None:
            self.responsibility = other.responsibility
        self.no_contact = self.no_contact or other.no_contact
        if other.priority is not None and (self.priority is None or other.priority < self.priority):
            self.priority = other.priority
        self.texts_agreed = self.texts_agreed if self.texts_agreed is not None else other.texts_agreed
        self.letters_school = self.letters_school or other.letters_school
        for child in other.children:
            if not any(child.same_as(mine) for mine in self.children):
                self.children.append(child)
        self.keys |= other.keys


class Groups:
    """Union-find over anything hashable: which things end up together."""

    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, item: Any) -> Any:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def join(self, one: Any, other: Any) -> None:
        self.parent[self.find(one)] = self.find(other)


def _join_by_name_alone(rows: list[Contact]) -> None:
    """With nothing else to go by (no email, mobile, home or contact id), rows of one name are one
    person by their name alone, unless their phone numbers say otherwise: when the rows of that name
    have no number at all, or one number between them, they are one person ("John Smith" under two
    children); with two numbers, two people, each row joining only the rows with its number (the phone
    keys read_contacts gave), and one with no number left on its own, as it could be either."""
    bare: dict[str, list[Contact]] = {}
    for contact in rows:
        nothing_else = not (contact.emails or contact.mobiles or contact.home)
        if contact.name_key and nothing_else and not any(key[0] == "id" for key in contact.keys):
            bare.setdefault(contact.name_key, []).append(contact)
    for name_key, contacts in bare.items():
        numbers = {number for contact in contacts for number in contact.phone_numbers}
        if len(numbers) <= 1:
            for contact in contacts:
                contact.keys.add(("name", name_key))


def read_contacts(table: Table, reading: Reading) -> list[Contact]:
    """One Contact per person of the export, in the order they first appear (see the module's note)."""
    headers = export_headers(table)
    index = {header: position for position, header in enumerate(headers)}
    columns = {key: index[column] for key, column in reading.mapping.items() if column in index}
    fixed_school = reading.school.name if reading.school is not None else ""

    rows: list[Contact] = []
    for line, cells in table.records:

        def cell(key: str, cells: list[str] = cells) -> str:
            return cells[columns[key]].strip() if key in columns else ""

        if "full_name" in columns:
            name = " ".join(cell("full_name").split())
            surname = name.split()[-1] if name else ""
        else:
            surname = " ".join(cell("surname").split())
            name = " ".join(f"{cell('first_name')} {surname}".split())
        contact = Contact(
            lines=[line], name=name, surname=surname, school=cell("organisation") or fixed_school
        )
        contact.emails, contact.bad_emails = split_emails(cell("email"))
        mobiles, phones, bad = split_numbers(cell("mobile"))
        contact.mobiles = mobiles
        contact.bad_numbers = bad
        other_mobiles, other_phones, other_bad = split_numbers(cell("phone"))
        contact.phones = other_phones + phones
        contact.mobiles += [number for number in other_mobiles if number not in contact.mobiles]
        contact.bad_numbers += other_bad
        said = cell("language")
        contact.language = language_of(said)
        if said and contact.language is None:
            contact.unknown_languages = [said[:40]]
        address = ", ".join(part.strip() for part in re.split(r"[\r\n]+", cell("address")) if part.strip())
        postcode = " ".join(cell("postcode").split())
        if postcode and plain_key(postcode) not in plain_key(address):
            address = f"{address}, {postcode}" if address else postcode
        contact.address = address[:300]
        relationship = " ".join(cell("relationship").split())
        if relationship:
            known = RELATIONSHIPS.get(relationship.lower())
            if known is not None:
                contact.relationships = [str(known)]
            else:
                contact.unknown_relationships = [relationship[:40]]
        if "responsibility" in columns:
            contact.responsibility = responsibility_from(cell("responsibility"))
            if contact.responsibility is None and cell("responsibility"):
                contact.responsibility_said = [cell("responsibility")[:20]]
        contact.no_contact = no_contact_from(cell("no_contact"))
        priority = PRIORITY.search(cell("priority"))
        contact.priority = int(priority.group()) if priority else None
        contact.texts_agreed = yes_or_no(cell("texts_agreed")) if cell("texts_agreed") else None
        contact.letters_school = cell("letters_school")
        pupil = " ".join(f"{cell('pupil_first_name')} {cell('pupil_surname')}".split())
        year = " ".join(cell("year").split())
        if pupil or year or cell("pupil_id"):
            contact.children = [
                Child(name=pupil, year=year, rank=year_rank(year), school=contact.school, id=cell("pupil_id"))
            ]
        # What says two rows are the same person: their own id at one school, or their name with an
        # email, a mobile, a phone number or a home they share.
        name_key = contact.name_key
        if cell("contact_id"):
            contact.keys.add(("id", plain_key(contact.school), cell("contact_id")))
        if name_key:
            contact.keys |= {("name", name_key, key) for key in contact.home_keys() if key[0] != "home"}
            contact.keys |= {("name", name_key, "phone", number) for number in contact.phone_numbers}
            if contact.home:
                contact.keys.add(("name", name_key, "home", contact.home))
        rows.append(contact)
    _join_by_name_alone(rows)

    groups = Groups()
    for position, contact in enumerate(rows):
        groups.find(position)
        for key in contact.keys:
            groups.join(position, key)
    people: dict = {}
    for position, contact in enumerate(rows):
        root = groups.find(position)
        if root in people:
            people[root].merge(contact)
        else:
            people[root] = contact
    return list(people.values())


# --- Households ---------------------------------------------------------------------------------------


class KnownHomes:
    """The neighbourhood's people by what makes a household (email, mobile, home and surname), and by
    name, from the people csv_import.KnownPeople loaded once for the whole file."""

    def __init__(self, people: list[Invitee]):
        self.by_key: dict[tuple, list[Invitee]] = {}
        self.by_name: dict[tuple[str, int | None], list[Invitee]] = {}
        for person in people:
            keys: set[tuple] = set()
            if person.email:
                keys.add(("email", person.email.lower()))
            if person.mobile:
                keys.add(("mobile", person.mobile))
            if person.address and person.name.split():
                keys.add(("home", plain_key(person.name.split()[-1]), home_key(person.address)))
            for key in keys:
                self.by_key.setdefault(key, []).append(person)
            self.by_name.setdefault((plain_key(person.name), person.organisation_id), []).append(person)

    def sharing(self, keys: set[tuple]) -> list[Invitee]:
        """The people known by any of these household keys (Contact.home_keys)."""
        found: list[Invitee] = []
        for key in sorted(keys):
            found.extend(person for person in self.by_key.get(key, []) if person not in found)
        return found

    def same_person(self, contact: Contact, organisations: dict[str, Organisation]) -> Invitee | None:
        """Someone known who is this contact: the same name, and an email, mobile or home they share; or
        with no email, the same name at the same school (csv_import.KnownPeople's rule)."""
        for person in self.sharing(contact.home_keys()):
            if plain_key(person.name) == contact.name_key:
                return person
        school = organisations.get(contact.school.lower())
        for person in self.by_name.get((contact.name_key, school.pk if school else None), []):
            if not person.email:
                return person
        return None


@dataclass
class Member:
    row: Row
    name: str
    role: str  # "invited" (this row invites the household), "same home", "known" (someone already known)

    def words(self) -> str:
        """ "Grace Obi (invited)": who they are in the household, as the preview says it."""
        if self.role == "known":
            if self.row.status == "add":
                what = _("already known: invited for this home")
            elif self.row.status == "error":
                what = _("already known; has a problem: see line %(line)s") % {"line": self.row.line}
            else:
                what = _("already on the list")
        elif self.role == "same home":
            what = _("same home")
        elif self.row.status == "error":
            what = _("has a problem: see line %(line)s") % {"line": self.row.line}
        elif self.row.status == "already":
            what = _("already invited")
        else:
            what = _("invited")
        return f"{self.name} ({what})"


@dataclass
class Household:
    surname: str
    members: list[Member]

    def words(self) -> str:
        """ "Obi household: Grace Obi (invited), Daniel Obi (same home)" """
        return _("%(surname)s household: %(members)s") % {
            "surname": self.surname,
            "members": ", ".join(member.words() for member in self.members),
        }


def _youngest_school(children: list[Child], allowed: set[str] | None) -> str:
    """The school of the youngest child whose year we know (then of any child): letters go there."""
    candidates = [child for child in children if child.school]
    if allowed is not None and any(child.school.lower() in allowed for child in candidates):
        candidates = [child for child in candidates if child.school.lower() in allowed]
    if not candidates:
        return ""
    return min(candidates, key=lambda child: (child.rank is None, child.rank or 0)).school


def _household_notes(
    chosen: Contact | None, others: list[Contact], children: list[Child], known: list[Invitee]
) -> str:
    """What the school's file says that has no field of its own, for the one invited: the contact
    ``chosen`` (their relationship, their other addresses and numbers), or with None someone already
    known who is not in the file (only what it says of their home)."""
    lines = []
    if chosen is not None and (chosen.relationships or chosen.unknown_relationships):
        words = chosen.relationships + [f"“{said}”" for said in chosen.unknown_relationships]
        lines.append(_("Relationship to the children: %(words)s.") % {"words": ", ".join(words)})
    if children:
        lines.append(
            _("Children: %(children)s.") % {"children": "; ".join(child.words() for child in children)}
        )
    for other in others:
        details = [*other.relationships, *[f"“{said}”" for said in other.unknown_relationships]]
        details += other.emails[:1] + [written_mobile(number) for number in other.mobiles[:1]]
        lines.append(
            _("Also at home: %(name)s%(details)s.")
            % {"name": other.name, "details": f" ({', '.join(details)})" if details else ""}
        )
    for person in known:
        lines.append(_("Also at home: %(name)s (already known).") % {"name": person.name})
    if chosen is not None:
        lines += _own_notes(chosen)
    return "\n".join(lines)[:MAX_NOTES]


def _own_notes(contact: Contact) -> list[str]:
    """The contact's other addresses and numbers, what was not one, and a home language we lack."""
    lines = []
    if contact.emails[1:]:
        lines.append(_("Other email addresses: %(emails)s.") % {"emails": ", ".join(contact.emails[1:])})
    if contact.bad_emails:
        lines.append(
            _("Not email addresses, left out: %(values)s.")
            % {"values": ", ".join(f"“{value}”" for value in contact.bad_emails)}
        )
    if contact.mobiles[1:]:
        lines.append(
            _("Other mobile numbers: %(numbers)s.")
            % {"numbers": ", ".join(written_mobile(number) for number in contact.mobiles[1:])}
        )
    if contact.phones[1:]:
        lines.append(_("Other phone numbers: %(numbers)s.") % {"numbers": ", ".join(contact.phones[1:])})
    if contact.bad_numbers:
        lines.append(
            _("Not phone numbers, left out: %(values)s.")
            % {"values": ", ".join(f"“{value}”" for value in contact.bad_numbers)}
        )
    if contact.shared:
        lines.append(
            _("Shared by many contacts in the school's file, so left out: %(values)s.")
            % {"values": ", ".join(contact.shared)}
        )
    if contact.unknown_languages:
        lines.append(
            _("Home language in the school's file: %(language)s.")
            % {"language": contact.unknown_languages[0]}
        )
    return lines


def _remarks(contact: Contact, crowded: set[tuple] | frozenset[tuple] = frozenset()) -> list[str]:
    """What the preview says it did with a contact's cells, short of refusing them."""
    remarks = []
    for value in contact.shared:
        remarks.append(
            _(
                "“%(value)s” is on the rows of more contacts than one home has adults (an office's address?): "
                "not used for them, nor taken as one household"
            )
            % {"value": value}
        )
    if any(key[0] == "home" for key in contact.home_keys() & crowded):
        remarks.append(
            _(
                "more contacts than one home has adults share this address and surname: not taken as one household"
            )
        )
    if len(contact.lines) > 1:
        remarks.append(
            _("on the file %(count)s times (once for each child): one person") % {"count": len(contact.lines)}
        )
    if contact.emails[1:]:
        remarks.append(
            _("%(count)s email addresses: the first is used, the others kept in the notes")
            % {"count": len(contact.emails)}
        )
    for value in contact.bad_emails:
        remarks.append(_("“%(value)s” is not an email address: kept in the notes") % {"value": value})
    if contact.mobiles[1:]:
        remarks.append(
            _("%(count)s mobile numbers: the first is used, the others kept in the notes")
            % {"count": len(contact.mobiles)}
        )
    for value in contact.bad_numbers:
        remarks.append(_("“%(value)s” is not a phone number: kept in the notes") % {"value": value})
    for value in contact.unknown_relationships:
        remarks.append(
            _("the relationship “%(value)s” is not one we know: kept in the notes") % {"value": value}
        )
    for value in contact.unknown_languages:
        remarks.append(
            _("the home language “%(value)s” is not one we write in: English, and kept in the notes")
            % {"value": value}
        )
    return remarks


def _values(contact: Contact, *, school: str = "") -> dict[str, str]:
    """A contact as a row of our own format (csv_import), as the preview shows and checks it."""
    agreed = contact.texts_agreed
    return {
        "name": contact.name,
        "category": Category.PARENT.value,
        "organisation": school or contact.school,
        "email": contact.emails[0] if contact.emails else "",
        "mobile": written_mobile(contact.mobiles[0]) if contact.mobiles else "",
        "phone": contact.phones[0][:32] if contact.phones else "",
        "language": contact.language or "",
        "texts agreed": "" if agreed is None else ("yes" if agreed else "no"),
        "address": contact.address,
    }


def build_rows(
    contacts: list[Contact], *, reading: Reading, context: ListContext
) -> tuple[list[Row], list[Household]]:
    """The rows of a school's export for csv_import.check_rows, and its households: who of each
    household is invited (the rest marked "skip", "same home"), with their notes and adults at home;
    contacts never to be invited marked "skip" with the reason."""
    homes = KnownHomes(context.known.people)
    allowed = None if context.scope.runs else {school.name.lower() for school in context.scope.schools}
    responsibility_read = "responsibility" in reading.mapping
    rows_by_contact: dict[int, Row] = {}
    households: list[Household] = []

    # Households: the invitable contacts, joined by what they share with each other and with people the
    # neighbourhood knows (so two homes of the file that meet in one known person are one).
    invitable = []
    for contact in contacts:
        reason = contact.why_not_invited(responsibility_read=responsibility_read)
        if reason:
            rows_by_contact[id(contact)] = Row(
                line=contact.line,
                values=_values(contact),
                status="skip",
                reasons=[reason],
                lines=contact.lines,
            )
        elif not contact.name:
            rows_by_contact[id(contact)] = Row(
                line=contact.line, values=_values(contact), lines=contact.lines
            )
        else:
            invitable.append(contact)
    # An email, a mobile or a home on the rows of more contacts than a home has adults is a school's
    # placeholder (an office address, "none@none.com"), not a household.
    shared = Counter(key for contact in invitable for key in contact.home_keys())
    crowded = {key for key, count in shared.items() if count > MAX_ADULTS}
    for contact in invitable:
        for key in sorted(contact.home_keys() & crowded):
            if key[0] == "email":
                contact.emails.remove(key[1])
                contact.shared.append(key[1])
            elif key[0] == "mobile":
                contact.mobiles.remove(key[1])
                contact.shared.append(written_mobile(key[1]))
    keys = {position: contact.home_keys() - crowded for position, contact in enumerate(invitable)}
    groups = Groups()
    same: dict[int, Invitee | None] = {}
    for position, contact in enumerate(invitable):
        groups.find(("contact", position))
        for key in keys[position]:
            groups.join(("contact", position), key)
        same[position] = homes.same_person(contact, context.organisations)
        for person in [*homes.sharing(keys[position]), *_present(same[position])]:
            groups.join(("contact", position), ("known", person.pk))
    together: dict = {}
    for position in range(len(invitable)):
        together.setdefault(groups.find(("contact", position)), []).append(position)

    for positions in together.values():
        members = sorted(
            positions,
            key=lambda p: (invitable[p].priority is None, invitable[p].priority or 0, invitable[p].line),
        )
        known: list[Invitee] = []
        for position in members:
            for person in [*_present(same[position]), *homes.sharing(keys[position])]:
                if person not in known:
                    known.append(person)
        listed = [person for person in known if person.pk in context.invited]
        # Who invites the household: someone of it already on this programme's list; else someone
        # already known (the contact who is them, by priority; else the first known); else the contact
        # of the first priority.
        anchor: Invitee | None = None
        chosen = members[0]
        if listed:
            anchor = next((same[p] for p in members if same[p] in listed), listed[0])
        elif known:
            anchor = next((same[p] for p in members if same[p] is not None), known[0])
        mine = [p for p in members if anchor is not None and same[p] == anchor]
        if mine:
            chosen = mine[0]
        contact = invitable[chosen]
        others = [invitable[p] for p in members if p != chosen]
        children: list[Child] = []
        for position in members:
            for child in invitable[position].children:
                if not any(child.same_as(kept) for kept in children):
                    children.append(child)
        outside = [
            person for person in known if person != anchor and not any(same[p] == person for p in members)
        ]
        adults = min(MAX_ADULTS, len(members) + (1 if anchor is not None and not mine else 0) + len(outside))
        if anchor is not None and not mine:
            # Someone known who is not in the file stands for the home: every contact of it is "also at home".
            notes = _household_notes(None, [invitable[p] for p in members], children, outside)
        else:
            notes = _household_notes(contact, others, children, outside)
        # Someone known keeps their school; a new person's letters go through the file's school for
        # letters, else the youngest child's school.
        school = contact.letters_school or _youngest_school(children, allowed) or contact.school
        values = _values(contact, school=school)
        values.update(notes=notes, **{"adults at home": str(adults) if adults > 1 else ""})
        row = Row(
            line=contact.line,
            values=values,
            lines=contact.lines,
            remarks=_remarks(contact, crowded),
            decided=True,
        )
        if anchor is not None and listed and not mine:
            # The household is on the list through someone the file does not name: nobody new.
            row.status = "skip"
            row.invitee = anchor
            row.reasons = [_same_home_reason(anchor, context)]
            row.cleaned = {"notes": notes, "adults_at_home": adults}
        elif anchor is not None and not mine:
            row.invitee = anchor
            row.for_home = True
            row.remarks.append(
                _("the same home as %(name)s, already known: %(name)s is invited for this home")
                % {"name": anchor.name if _visible(anchor, context) else _("someone already known")}
            )
        else:
            row.invitee = anchor
        rows_by_contact[id(contact)] = row
        household = Household(
            surname=contact.surname or contact.name, members=[Member(row, contact.name, "invited")]
        )
        if anchor is not None and not mine:
            household.members = [
                Member(
                    row,
                    anchor.name if _visible(anchor, context) else str(_("someone already known")),
                    "known",
                ),
                Member(row, contact.name, "same home"),
            ]
        for other in others:
            other_row = Row(
                line=other.line,
                values=_values(other),
                status="skip",
                reasons=[
                    _("same home as %(name)s (line %(line)s)") % {"name": contact.name, "line": contact.line}
                ],
                lines=other.lines,
                remarks=_remarks(other, crowded),
            )
            rows_by_contact[id(other)] = other_row
            household.members.append(Member(other_row, other.name, "same home"))
        if len(household.members) > 1:
            households.append(household)

    rows = [rows_by_contact[id(contact)] for contact in contacts]
    return sorted(rows, key=lambda row: row.line), households


def _present(person: Invitee | None) -> list[Invitee]:
    return [person] if person is not None else []


def _visible(person: Invitee, context: ListContext) -> bool:
    """Whether the importer may see this person (a coordinator: their own schools' people only)."""
    return context.scope.runs or person.organisation_id in {school.pk for school in context.scope.schools}


def _same_home_reason(anchor: Invitee, context: ListContext) -> str:
    if _visible(anchor, context):
        return _("the same home as %(name)s, who is already on the list") % {"name": anchor.name}
    return _("someone from the same home is already on the list, through another school")


# --- Preview and import -------------------------------------------------------------------------------


def preview_export(*, programme: Programme, text: str, user: User, reading: Reading) -> Preview:
    """Read a school's export through its mapping and say what importing it would do: one row per
    contact (not per child), households, who is not invited and why. Saves nothing. A mapping that
    cannot read the file gives the preview a file_error saying why."""
    preview = Preview(system=reading.system_name)
    try:
        table = read_table(text, too_many=str(EXPORT_LIMIT))
    except FileProblem as problem:
        preview.file_error = str(problem)
        return preview
    problems = mapping_problems(reading.mapping, export_headers(table), school=reading.school)
    if problems:
        preview.file_error = " ".join(problems)
        return preview
    if not table.records:
        preview.file_error = _("There is nobody in this file: only the header row.")
        return preview
    preview.file_rows = len(table.records)
    used = set(reading.mapping.values())
    preview.ignored_columns = [
        raw or header
        for header, raw in zip(export_headers(table), table.raw_headers, strict=True)
        if header and header not in used
    ]
    context = list_context(programme=programme, user=user)
    rows, preview.households = build_rows(read_contacts(table, reading), reading=reading, context=context)
    check_rows(rows, context=context, preview=preview)
    return preview


@transaction.atomic
def import_export(*, programme: Programme, text: str, user: User, reading: Reading) -> Preview:
    """Check the export again with the same mapping and import it as csv_import.import_csv does: add
    the rows marked "add", make the changes said about people known (and the homes named), all in one
    transaction, then bring the schedule in line once."""
    preview = preview_export(programme=programme, text=text, user=user, reading=reading)
    apply_preview(programme=programme, user=user, preview=preview)
    return preview
