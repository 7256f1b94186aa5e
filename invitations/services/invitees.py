"""Building a programme's invitation list: one person, a CSV file, or the neighbourhood's groups."""

import csv
import difflib
import io
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from events.enums import OrganisationKind
from events.models import Organisation, Programme

from ..enums import LANGUAGES, Category, Channel, StaffRole
from ..models import Invitation, Invitee
from .schedule import sync_schedule

MAX_ROWS = 2000
MAX_FILE_BYTES = 2 * 1024 * 1024
REQUIRED_COLUMNS = ["name", "category"]
OPTIONAL_COLUMNS = ["role", "organisation", "email", "phone", "language", "channel"]
FORMULA_STARTS = ("=", "+", "-", "@")


def schools_coordinated_by(user: AbstractBaseUser, programme: Programme) -> list[Organisation]:
    """The programme's schools this user coordinates (none for a facilitator acting as such)."""
    return list(programme.schools.filter(coordinators=user))


def runs(user: AbstractBaseUser, programme: Programme) -> bool:
    return user.has_perm("events.change_programme", programme)


def visible_invitations(*, programme: Programme, user: AbstractBaseUser) -> QuerySet[Invitation]:
    """Facilitators see the whole list; a school coordinator sees only their own school's people."""
    invitations = programme.invitations.all()
    if runs(user, programme):
        return invitations
    return invitations.filter(invitee__organisation__coordinators=user)


def _choice_lookup(choices) -> dict[str, str]:
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
    validate_email(value)
    return value.lower()


def check_person(
    cleaned: dict, *, programme: Programme, user: AbstractBaseUser, organisations: dict[str, Organisation]
) -> list[str]:
    """Rules shared by the one-person form and the CSV rows. Returns reasons, empty when all is well."""
    reasons = []
    category, organisation, channel = cleaned["category"], cleaned.get("organisation"), cleaned["channel"]
    if category == Category.SCHOOL_STAFF and not cleaned.get("staff_role"):
        reasons.append(_("School staff need a role: teacher, support staff, governor or leader."))
    if category != Category.SCHOOL_STAFF and cleaned.get("staff_role"):
        reasons.append(_("Only school staff have a role at school."))
    if channel == Channel.EMAIL and not cleaned.get("email"):
        reasons.append(_("No email address: give one, or choose a letter through school."))
    if channel == Channel.LETTER and not (organisation and organisation.kind == OrganisationKind.SCHOOL):
        reasons.append(_("Letters go through a school: name the school in the organisation column."))
    if not runs(user, programme):
        mine = schools_coordinated_by(user, programme)
        if category not in (Category.PARENT, Category.SCHOOL_STAFF):
            reasons.append(_("Schools add their own parents, carers and staff; the facilitator adds groups."))
        if organisation not in mine:
            names = ", ".join(school.name for school in mine)
            reasons.append(_("You can add people from your own school only (%(names)s).") % {"names": names})
    return reasons


def existing_invitee(programme: Programme, cleaned: dict) -> Invitee | None:
    """The same person already known in the neighbourhood: by email, or by name and organisation."""
    people = Invitee.objects.filter(neighbourhood=programme.neighbourhood)
    if cleaned.get("email"):
        return people.filter(email__iexact=cleaned["email"]).first()
    return people.filter(
        name__iexact=cleaned["name"], organisation=cleaned.get("organisation"), email=""
    ).first()


def _clean_row(row: Row, *, organisations: dict[str, Organisation]) -> None:
    values = row.values
    for column in ["name", "organisation", "email"]:
        if values.get(column, "").startswith(FORMULA_STARTS):
            row.refuse(
                _(
                    "The %(column)s starts with “%(char)s”, which spreadsheets treat as a formula. Please check it."
                )
                % {"column": column, "char": values[column][0]}
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
    role = ""
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
    language = "en"
    if values.get("language", "").strip():
        language = LANGUAGE_LOOKUP.get(values["language"].strip().lower())
        if language is None:
            row.refuse(_("Unknown language “%(value)s”.") % {"value": values["language"][:40]})
    channel = Channel.EMAIL if email else Channel.LETTER
    if values.get("channel", "").strip():
        channel = CHANNEL_LOOKUP.get(values["channel"].strip().lower())
        if channel is None:
            row.refuse(
                _("Unknown channel “%(value)s”. Use email or letter.") % {"value": values["channel"][:40]}
            )
    phone = values.get("phone", "").strip()
    if len(phone) > 32 or (phone and not all(ch.isdigit() or ch in "+ ()-" for ch in phone)):
        row.refuse(_("“%(value)s” doesn't look like a phone number.") % {"value": phone[:40]})
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


def preview_csv(*, programme: Programme, text: str, user: AbstractBaseUser) -> Preview:
    """Read a CSV and say, row by row, what importing it would do. Saves nothing."""
    preview = Preview()
    reader = csv.DictReader(io.StringIO(text))
    headers = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [column for column in REQUIRED_COLUMNS if column not in headers]
    if missing:
        known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
        hints = []
        for column in missing:
            close = difflib.get_close_matches(column, headers, n=1)
            hints.append(
                _("“%(column)s” (is “%(close)s” meant to be it?)") % {"column": column, "close": close[0]}
                if close
                else f"“{column}”"
            )
        preview.file_error = _(
            "The first row must name the columns. Missing: %(missing)s. The columns we know are: %(known)s."
        ) % {"missing": ", ".join(hints), "known": ", ".join(known)}
        return preview
    reader.fieldnames = headers
    organisations = {org.name.lower(): org for org in programme.neighbourhood.organisations.all()}
    invited = set(programme.invitations.values_list("invitee_id", flat=True))
    seen: dict[tuple, int] = {}
    for number, values in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            return Preview(
                file_error=_("This file has more than %(max)s people. Please split it into smaller files.")
                % {"max": MAX_ROWS}
            )
        values = {key: (value or "") for key, value in values.items() if key}
        if not any(value.strip() for value in values.values()):
            continue  # blank lines at the end of a spreadsheet
        row = Row(line=number, values=values)
        _clean_row(row, organisations=organisations)
        if row.status != "error":
            for reason in check_person(
                row.cleaned, programme=programme, user=user, organisations=organisations
            ):
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
                seen[key] = number
        if row.status != "error":
            row.invitee = existing_invitee(programme, row.cleaned)
            if row.invitee and row.invitee.pk in invited:
                row.status = "already"
        preview.rows.append(row)
    if not preview.rows and not preview.file_error:
        preview.file_error = _("There is nobody in this file: only the header row.")
    return preview


@transaction.atomic
def import_csv(*, programme: Programme, text: str, user: AbstractBaseUser) -> Preview:
    """Check the file again and add every row marked "add", all in one transaction."""
    preview = preview_csv(programme=programme, text=text, user=user)
    if not preview.file_error:
        for row in preview.to_add:
            _invite(programme=programme, user=user, invitee=row.invitee, cleaned=row.cleaned)
        sync_schedule(programme=programme)
    return preview


def _invite(
    *, programme: Programme, user: AbstractBaseUser, invitee: Invitee | None, cleaned: dict
) -> Invitation:
    if invitee is None:
        invitee = Invitee.objects.create(neighbourhood=programme.neighbourhood, added_by=user, **cleaned)
    return Invitation.objects.create(programme=programme, invitee=invitee, added_by=user)


@transaction.atomic
def add_invitation(*, programme: Programme, user: AbstractBaseUser, cleaned: dict) -> Invitation:
    """Invite one person (already validated by the form, which uses check_person) and schedule their messages."""
    invitation = _invite(
        programme=programme, user=user, invitee=existing_invitee(programme, cleaned), cleaned=cleaned
    )
    sync_schedule(programme=programme)
    return invitation


@transaction.atomic
def invite_organisations(*, programme: Programme, user: AbstractBaseUser) -> int:
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
