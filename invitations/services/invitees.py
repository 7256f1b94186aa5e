"""Building a programme's invitation list: who may add whom, one person's details and the ways we reach
them, the neighbourhood's groups, how the list divides between the three groups, and fixing an address
or number that stopped working. Importing a CSV file is in csv_import.py."""

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.phones import uk_mobile
from core.users import User
from events.enums import OrganisationKind
from events.models import Organisation, Programme

from ..balance import even_split, low_groups, share_of, under_a_quarter
from ..enums import BALANCE_GROUPS, Category, Channel
from ..models import Invitation, Invitee
from .schedule import sync_schedule

FORMULA_STARTS = ("=", "+", "-", "@")
MAX_EMAIL_LENGTH = 254  # the longest address a mail server (and the database column) accepts


def schools_coordinated_by(user: User, programme: Programme) -> list[Organisation]:
    """The programme's schools this user coordinates (none for a facilitator acting as such)."""
    return list(programme.schools.filter(coordinators=user))


def may_change_programme(user: User, programme: Programme) -> bool:
    return user.has_perm("events.change_programme", programme)


def visible_invitations(*, programme: Programme, user: User) -> QuerySet[Invitation]:
    """Facilitators see the whole list; a school coordinator sees only their own school's people."""
    invitations = programme.invitations.all()
    if may_change_programme(user, programme):
        return invitations
    return invitations.filter(invitee__organisation__coordinators=user)


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
        return low_groups(self.groups)

    @property
    def aim(self) -> int:
        """About a third of the list from each group."""
        return even_split(self.total)


def list_balance(*, programme: Programme) -> Balance:
    """How the programme's whole list divides between parents, school staff and groups, against the even
    split it aims for. People who asked not to be contacted are not counted, nor those removed from the
    list (services.people). One query."""
    rows = (
        programme.invitations.on_list()
        .order_by()
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


def written_mobile(mobile: str) -> str:
    """A mobile kept as E.164 the way people in the UK write it: "+447700900123" → "07700 900123".
    Anything else is given back as it is."""
    if re.fullmatch(r"\+44\d{10}", mobile or ""):
        national = "0" + mobile[3:]
        return f"{national[:5]} {national[5:]}"
    return mobile


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
    if may_change_programme(user, programme):
        return Scope(runs=True)
    return Scope(runs=False, schools=tuple(schools_coordinated_by(user, programme)))


def ways_label(channel: str, texts_too: bool) -> str:
    """How someone is reached, in a few words: "Email", "Email and texts", "Text message"…"""
    if texts_too and channel == Channel.EMAIL:
        return _("Email and texts")
    if texts_too and channel == Channel.LETTER:
        return _("Letter through school and texts")
    return str(Channel(channel).label) if channel in Channel.values else channel


def way_problems(
    *,
    channel: str,
    texts_too: bool,
    email: str,
    mobile: str,
    texts_agreed: bool,
    organisation: Organisation | None,
) -> list[tuple[str, str]]:
    """What stops the ways someone asked for from working, as (field, reason) pairs: email needs an
    address, text messages (as their way or as well) a mobile number and their agreement, a letter their
    school. Shared by adding a person, a CSV row and fixing an address (update_contact)."""
    problems = []
    if channel == Channel.EMAIL and not email:
        problems.append(("email", _("No email address: give one, or choose a letter through school.")))
    if channel == Channel.SMS or texts_too:
        if not mobile:
            problems.append(("mobile", _("No mobile number: text messages need one.")))
        elif not texts_agreed:
            problems.append(
                ("texts_agreed", _("Text messages go only to people who have agreed to get them."))
            )
    if channel == Channel.LETTER and not (organisation and organisation.kind == OrganisationKind.SCHOOL):
        problems.append(
            ("organisation", _("Letters go through a school, so the organisation must be their school."))
        )
    return problems


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
    problems += way_problems(
        channel=channel,
        texts_too=bool(cleaned.get("texts_too")),
        email=cleaned.get("email") or "",
        mobile=cleaned.get("mobile") or "",
        texts_agreed=bool(cleaned.get("texts_agreed")),
        organisation=organisation,
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


def invite_person(*, programme: Programme, user: User, invitee: Invitee | None, cleaned: dict) -> Invitation:
    """Put one person on the programme's list: ``invitee`` if the neighbourhood knows them already,
    otherwise a new one from the ``cleaned`` details. Side effect: creates the rows (not the schedule:
    callers bring it in line once, after all their people)."""
    if invitee is None:
        invitee = Invitee.objects.create(neighbourhood=programme.neighbourhood, added_by=user, **cleaned)
    return Invitation.objects.create(programme=programme, invitee=invitee, added_by=user)


@transaction.atomic
def add_invitation(*, programme: Programme, user: User, cleaned: dict) -> Invitation:
    """Invite one person (already validated by the form, which uses check_person) and schedule their messages."""
    invitation = invite_person(
        programme=programme, user=user, invitee=existing_invitee(programme, cleaned), cleaned=cleaned
    )
    sync_schedule(programme=programme, only=[invitation.pk])
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
        invite_person(programme=programme, user=user, invitee=invitee, cleaned=cleaned)
        added += 1
    sync_schedule(programme=programme)
    return added


# --- Fixing an address or number that does not work ----------------------------------------------------

EMAIL_TAKEN = gettext_lazy(
    "Someone else in this neighbourhood has this email address. Each person needs their own."
)


def contacts_fixable(*, user: User, programme: Programme, people: list[Invitee]) -> set[int]:
    """The ids of ``people`` (on the programme's list) whose contact details ``user`` may fix, as the
    rule invitations.change_contact says of each (rules.py), in one or two queries for a whole list."""
    if user.is_superuser or programme.neighbourhood.facilitators.filter(pk=user.pk).exists():
        return {person.pk for person in people if person.neighbourhood_id == programme.neighbourhood_id}
    schools = set(Organisation.objects.filter(coordinators=user).values_list("pk", flat=True))
    return {person.pk for person in people if person.organisation_id in schools}


@transaction.atomic
def update_contact(*, invitee: Invitee, email: str, mobile: str, texts_agreed: bool, by: User) -> Invitee:
    """Change someone's email address, mobile number and agreement to texts, as ``by`` (who must have
    invitations.change_contact on them: PermissionDenied otherwise).

    A changed email clears its "not working" mark, and so does a changed mobile. Someone a bounce had
    moved to another way (``fell_back_from``) goes back to it once it works again. Texts as well are
    turned off when there is no longer a number or agreement for them. Problems are raised as a
    ValidationError by field (email, mobile, texts_agreed): a bad number, an address someone else in
    the neighbourhood has, their main way left without what it needs. Side effects: saves the person,
    writes a line of their history and re-plans their messages on every programme they are on that has
    not finished (services.people.change_details, the one path of every change of details)."""
    if not by.has_perm("invitations.change_contact", invitee):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    email = email.strip()
    if email:
        try:
            email = clean_email(email)
        except ValidationError as error:
            errors["email"] = error.messages
    mobile = mobile.strip()
    if mobile:
        try:
            mobile = uk_mobile(mobile)
        except ValidationError as error:
            errors["mobile"] = error.messages
    if errors:
        raise ValidationError(errors)
    # One path for every change of someone's details (issue 17): the checks, the rules for a changed
    # address (its mark cleared, the way a bounce took away put back), the history line, the re-plan.
    from .people import change_details  # people.py builds on this module

    changed, _line = change_details(
        invitee=invitee,
        changes={"email": email, "mobile": mobile, "texts_agreed": texts_agreed},
        by=by,
        scope=None,
    )
    return changed
