"""Who came: signing people in on the day (a tap on a tablet, or a paper sheet typed in afterwards),
adding walk-ins to the programme's list, and the numbers by group against the even split.

Everyone who came is on the programme's list: a walk-in is added as an Invitee and an Invitation with
``met_on_the_day`` before they are marked arrived, so attendance is one kind of row (evaluations.Attendance).

Reading functions make a fixed, small number of queries however many people came.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.users import User
from events.enums import SessionKind
from events.models import Organisation, Programme, Session
from invitations.balance import even_split, low_groups, under_a_quarter
from invitations.enums import (
    BALANCE_GROUPS,
    GROUP_OF_CATEGORY,
    Answer,
    Category,
    Channel,
    StaffRole,
    group_label,
)
from invitations.models import Invitation, Invitee, SessionAnswer
from invitations.names import fold
from invitations.services.invitees import clean_email
from invitations.services.schedule import sync_schedule
from invitations.services.sheets import upcoming_or_kept

from ..enums import ArrivalSource, SigninState
from ..models import Attendance

MAX_NAME_LENGTH: int = Invitee._meta.get_field("name").max_length or 120
# The same walk-in submitted twice (a double tap, or two people at the door entering the same person)
# within this time is one person.
SAME_WALK_IN_WITHIN = timedelta(minutes=1)


# --- Numbers by group ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupCount:
    key: str  # "parents" | "school_staff" | "groups" (invitations.enums.BALANCE_GROUPS)
    label: str
    came: int
    aim: int  # the even split of everyone who came (total / 3, rounded)
    low: bool  # under a quarter of those who came (invitations.balance.under_a_quarter)


@dataclass(frozen=True)
class SessionNumbers:
    session: Session
    groups: list[GroupCount]
    total: int
    walk_ins: int  # of those who came, how many were added on the day rather than invited ahead

    @property
    def low(self) -> list[GroupCount]:
        return low_groups(self.groups)


def _numbers(session: Session, by_group: dict[str, int], walk_ins: int) -> SessionNumbers:
    total = sum(by_group.values())
    aim = even_split(total)
    groups = [
        GroupCount(
            key=key,
            label=group_label(key),
            came=by_group.get(key, 0),
            aim=aim,
            low=under_a_quarter(by_group.get(key, 0), total),
        )
        for key in BALANCE_GROUPS
    ]
    return SessionNumbers(session=session, groups=groups, total=total, walk_ins=walk_ins)


def _counted(attendances: QuerySet[Attendance]) -> dict[int, tuple[dict[str, int], int]]:
    """session id → (group key → people, walk-ins), from one grouped query."""
    result: dict[int, tuple[dict[str, int], int]] = {}
    rows = attendances.values(
        "session_id", "invitation__invitee__category", "invitation__met_on_the_day"
    ).annotate(people=Count("pk"))
    for row in rows:
        by_group, walk_ins = result.get(row["session_id"], ({}, 0))
        key = GROUP_OF_CATEGORY.get(row["invitation__invitee__category"])
        if key:
            by_group[key] = by_group.get(key, 0) + row["people"]
        if row["invitation__met_on_the_day"]:
            walk_ins += row["people"]
        result[row["session_id"]] = (by_group, walk_ins)
    return result


def session_numbers(*, session: Session) -> SessionNumbers:
    """How many came to one session from each group, against the even split. One query; reads only."""
    by_group, walk_ins = _counted(Attendance.objects.filter(session=session)).get(session.pk, ({}, 0))
    return _numbers(session, by_group, walk_ins)


def programme_numbers(*, programme: Programme) -> list[SessionNumbers]:
    """session_numbers for every session of the programme (cancelled ones included, with nobody), in
    order. Two queries; reads only."""
    sessions = list(programme.sessions.select_related("venue").order_by("order", "date"))
    counted = _counted(Attendance.objects.filter(session__programme=programme))
    return [_numbers(session, *counted.get(session.pk, ({}, 0))) for session in sessions]


# --- The sign-in list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """One row of the sign-in list."""

    invitation: Invitation
    name: str
    group: str  # balance group key
    group_label: str
    organisation: str
    answer: str  # their answer for this session (invitations.enums.Answer), or "" when none
    arrived: bool

    @property
    def cant_come(self) -> bool:
        return self.answer == Answer.NO


@dataclass(frozen=True)
class SigninGroup:
    key: str
    label: str
    arrived: int
    expected: int  # said they are coming


@dataclass(frozen=True)
class SigninList:
    session: Session
    people: list[Person]  # alphabetical; those who said they can't come are in `cant_come` instead
    cant_come: list[Person]
    groups: list[SigninGroup]

    @property
    def arrived(self) -> int:
        return sum(group.arrived for group in self.groups)

    @property
    def expected(self) -> int:
        return sum(group.expected for group in self.groups)


def _matches(person: Person, query: str) -> bool:
    return all(word in person.name.casefold() for word in query.casefold().split())


def signin_list(*, session: Session, query: str = "") -> SigninList:
    """Everyone on the programme's list, with their answer for this session and whether they have
    arrived, alphabetical. ``query`` keeps those whose name holds every word typed (case-insensitive,
    any script); the counts are always of everyone. Who is expected is who the "Who is coming" page
    counts as coming (invitations.services.sheets.upcoming_or_kept): someone removed from the list is
    shown with their answer but no longer expected, unless the session has started. Three queries;
    reads only."""
    invitations = list(
        Invitation.objects.filter(programme_id=session.programme_id)
        .select_related("invitee", "invitee__organisation")
        .order_by("invitee__name", "pk")
    )
    started = [session.pk] if session.starts_at <= timezone.now() else []
    answers: dict[int, str] = {}
    counted: set[int] = set()
    for invitation_id, answer, counts in (
        SessionAnswer.objects.filter(session=session, reply__invitation__programme_id=session.programme_id)
        .annotate(counts=ExpressionWrapper(upcoming_or_kept(started), output_field=BooleanField()))
        .values_list("reply__invitation_id", "answer", "counts")
    ):
        answers[invitation_id] = answer
        if counts:
            counted.add(invitation_id)
    arrived = set(Attendance.objects.filter(session=session).values_list("invitation_id", flat=True))
    people = []
    for invitation in invitations:
        invitee = invitation.invitee
        key = GROUP_OF_CATEGORY.get(invitee.category, "groups")
        people.append(
            Person(
                invitation=invitation,
                name=invitee.name,
                group=key,
                group_label=group_label(key),
                organisation=invitee.organisation.name if invitee.organisation else "",
                answer=answers.get(invitation.pk, ""),
                arrived=invitation.pk in arrived,
            )
        )
    people.sort(key=lambda person: (person.name.casefold(), person.invitation.pk))
    groups = [
        SigninGroup(
            key=key,
            label=group_label(key),
            arrived=sum(1 for person in people if person.group == key and person.arrived),
            expected=sum(
                1
                for person in people
                if person.group == key and person.answer == Answer.YES and person.invitation.pk in counted
            ),
        )
        for key in BALANCE_GROUPS
    ]
    if query.strip():
        people = [person for person in people if _matches(person, query)]
    # Someone who said they can't come but came after all is shown with the others.
    return SigninList(
        session=session,
        people=[person for person in people if not person.cant_come or person.arrived],
        cant_come=[person for person in people if person.cant_come and not person.arrived],
        groups=groups,
    )


# --- When signing in is open ---------------------------------------------------------------------------


def local_today() -> date:
    """Today in the site's own time zone (settings.TIME_ZONE), whichever zone a request has activated: a
    session's date is a day at its venue."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def signin_state(*, session: Session, today: date | None = None) -> str:
    """Where the session is for signing in (evaluations.enums.SigninState): live sign-in on the tablet
    (marking people arrived, adding walk-ins) is open on the session's own day only; before it nobody
    can have come, and after it "signed in on the day" would not be true, so who came is entered from the
    paper sheet instead."""
    if session.cancelled_at is not None:
        return SigninState.CANCELLED
    today = today or local_today()
    if today < session.date:
        return SigninState.BEFORE
    if today > session.date:
        return SigninState.AFTER
    return SigninState.OPEN


def _day(session: Session) -> str:
    return date_format(session.date, "l j F Y")


def _check_live(session: Session, today: date | None) -> None:
    """Refuse live sign-in outside the session's day, with what to do instead."""
    state = signin_state(session=session, today=today)
    if state == SigninState.CANCELLED:
        raise ValidationError(_("This session was cancelled, so nobody can be signed in to it."))
    if state == SigninState.BEFORE:
        raise ValidationError(
            _("Signing in opens on the day of the session: %(day)s.") % {"day": _day(session)}
        )
    if state == SigninState.AFTER:
        raise ValidationError(
            _(
                "This session was on %(day)s, so signing in on the day has closed. To record who came, "
                "enter the paper sheet."
            )
            % {"day": _day(session)}
        )


def _check_happened(session: Session, today: date | None) -> None:
    """Refuse a paper sheet for a session that is cancelled or has not happened yet."""
    state = signin_state(session=session, today=today)
    if state == SigninState.CANCELLED:
        raise ValidationError(_("This session was cancelled, so nobody can be signed in to it."))
    if state == SigninState.BEFORE:
        raise ValidationError(
            _("A paper sheet can be entered from the day of the session: %(day)s.") % {"day": _day(session)}
        )


# --- Marking people arrived ----------------------------------------------------------------------------


def _check_on_list(session: Session, invitation: Invitation) -> None:
    if invitation.programme_id != session.programme_id:
        raise ValidationError(_("This person is not on this programme's list."))


def mark_arrived(
    *,
    session: Session,
    invitation: Invitation,
    by: User | None,
    source: str = ArrivalSource.ON_THE_DAY,
    today: date | None = None,
) -> tuple[Attendance, bool]:
    """Record that someone on the programme's list came to the session. Idempotent: marking them twice
    (two taps, two tablets) keeps one row and returns it with ``created`` False.

    Signed in on the day (``source`` ON_THE_DAY) only on the session's day (``today``, by default today
    in settings.TIME_ZONE); from a paper sheet (PAPER) from that day on. Raises ValidationError, and
    records nothing, outside those days, for a cancelled session or for an invitation to another
    programme."""
    if source == ArrivalSource.PAPER:
        _check_happened(session, today)
    else:
        _check_live(session, today)
    _check_on_list(session, invitation)
    try:
        with transaction.atomic():
            return Attendance.objects.get_or_create(
                session=session, invitation=invitation, defaults={"source": source, "recorded_by": by}
            )
    except IntegrityError:
        # Another tablet marked them in between our look and our insert: theirs is the row.
        return Attendance.objects.get(session=session, invitation=invitation), False


def unmark_arrived(*, session: Session, invitation: Invitation, by: User | None = None) -> bool:
    """Undo a mark (a mis-tap): deletes their attendance at this session. Returns whether there was one.
    Raises ValidationError for an invitation to another programme."""
    _check_on_list(session, invitation)
    deleted, _counts = Attendance.objects.filter(session=session, invitation=invitation).delete()
    return bool(deleted)


# --- Walk-ins ------------------------------------------------------------------------------------------


def check_walk_in(
    *,
    session: Session,
    name: str,
    category: str,
    organisation: Organisation | None,
    email: str,
    staff_role: str = "",
) -> dict:
    """Clean one walk-in's details, or raise ValidationError with a message per field. Returns the
    cleaned values (name stripped, email lower-cased)."""
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("Please write their name.")
    elif len(name) > MAX_NAME_LENGTH:
        errors["name"] = _("That name is longer than %(max)s letters. Please shorten it.") % {
            "max": MAX_NAME_LENGTH
        }
    if category not in Category.values:
        errors["category"] = _("Choose which group they belong to.")
    if staff_role and staff_role not in StaffRole.values:
        errors["staff_role"] = _("Choose a role from the list.")
    elif staff_role and category != Category.SCHOOL_STAFF:
        errors["staff_role"] = _("Only school staff have a role at school. Leave this empty.")
    if organisation is not None and organisation.neighbourhood_id != session.programme.neighbourhood_id:
        errors["organisation"] = _("Choose an organisation in this neighbourhood.")
    email = (email or "").strip()
    if email:
        try:
            email = clean_email(email)
        except ValidationError as error:
            errors["email"] = error.messages[0]
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "category": category,
        "organisation": organisation,
        "email": email,
        "staff_role": staff_role,
    }


def _recent_same_walk_in(session: Session, cleaned: dict) -> Invitation | None:
    since = timezone.now() - SAME_WALK_IN_WITHIN
    attendance = (
        Attendance.objects.filter(
            session=session,
            arrived_at__gte=since,
            invitation__met_on_the_day=True,
            invitation__invitee__name__iexact=cleaned["name"],
            invitation__invitee__organisation=cleaned["organisation"],
        )
        .select_related("invitation")
        .first()
    )
    return attendance.invitation if attendance else None


def _walk_in_invitation(*, session: Session, cleaned: dict, by: User | None) -> tuple[Invitation, bool]:
    """The walk-in's invitation to the programme: an existing one when they are known, else a new one.
    Returns (invitation, whether anything was added to the list)."""
    programme = session.programme
    invitee = None
    if cleaned["email"]:
        # The neighbourhood already knows this address (one person per address): the same person.
        invitee = Invitee.objects.filter(
            neighbourhood_id=programme.neighbourhood_id, email__iexact=cleaned["email"]
        ).first()
    else:
        same = _recent_same_walk_in(session, cleaned)
        if same is not None:
            return same, False
    if invitee is None:
        invitee = Invitee.objects.create(
            neighbourhood_id=programme.neighbourhood_id,
            name=cleaned["name"],
            category=cleaned["category"],
            staff_role=cleaned["staff_role"],
            organisation=cleaned["organisation"],
            email=cleaned["email"],
            channel=Channel.EMAIL if cleaned["email"] else Channel.NONE,
            added_by=by,
        )
    invitation, created = Invitation.objects.get_or_create(
        programme=programme, invitee=invitee, defaults={"added_by": by, "met_on_the_day": True}
    )
    return invitation, created


@transaction.atomic
def add_walk_in(
    *,
    session: Session,
    name: str,
    category: str,
    organisation: Organisation | None = None,
    email: str = "",
    by: User | None,
    staff_role: str = "",
    source: str = ArrivalSource.ON_THE_DAY,
    today: date | None = None,
) -> Invitation:
    """Add someone who came without being on the list, and mark them arrived.

    They join the programme's list (an Invitee, channel EMAIL when they gave an address, else NONE, and
    an Invitation with ``met_on_the_day``); the schedule is synced, so someone with an email gets
    reminders of the sessions still to come (never an invitation, and never one for this session, which
    has started or is about to: invitations.services.schedule plans reminders only for sessions not yet
    started, and only those due after the person was added), someone without gets nothing.
    An email the neighbourhood already knows reuses that person (and their invitation, if they were
    invited after all). The same name and organisation entered again within a minute is the same walk-in.
    Raises ValidationError (per field) for bad details; and, as mark_arrived, outside the session's day
    (from the paper sheet: before it) or for a cancelled session. Nothing is saved then."""
    if source == ArrivalSource.PAPER:
        _check_happened(session, today)
    else:
        _check_live(session, today)
    cleaned = check_walk_in(
        session=session,
        name=name,
        category=category,
        organisation=organisation,
        email=email,
        staff_role=staff_role,
    )
    invitation, added = _walk_in_invitation(session=session, cleaned=cleaned, by=by)
    mark_arrived(session=session, invitation=invitation, by=by, source=source, today=today)
    if added:
        sync_schedule(programme=session.programme, only=[invitation.pk])
    return invitation


# --- A walk-in who may be known already: "Is this Grace Obi from Millbrook Primary?" -------------------


@dataclass(frozen=True)
class WalkInMatch:
    """Someone the neighbourhood knows whose name is the walk-in's (accents, case and spaces aside)."""

    invitee: Invitee
    invitation: Invitation | None  # their invitation to this programme, when they are on its list
    arrived: bool  # signed in to this session already

    @property
    def organisation(self) -> str:
        organisation = self.invitee.organisation
        return organisation.name if organisation is not None else ""


def _same_name(session: Session, name: str) -> list[int]:
    """The ids of the neighbourhood's people with this name (invitations.names.fold, the one rule for a
    name: "Grace  OBI" is "gráce obi", "Łukasz Ødegård" is "lukasz odegard"). One query of names,
    compared here: the neighbourhood's few thousand names cost less than a query per spelling."""
    wanted = fold(name)
    if not wanted:
        return []
    people = Invitee.objects.filter(neighbourhood_id=session.programme.neighbourhood_id).values_list(
        "pk", "name"
    )
    return [pk for pk, their_name in people if fold(their_name) == wanted]


def walk_in_matches(
    *,
    session: Session,
    name: str,
    category: str = "",
    organisation: Organisation | None = None,
    email: str = "",
    staff_role: str = "",
) -> list[WalkInMatch]:
    """Whom to ask about before adding this walk-in ("Is this Grace Obi from Millbrook Primary?"): the
    people on the programme's list or in its neighbourhood with the walk-in's name, those on the list
    first. Empty when there is nothing to ask: nobody has the name, the email given is someone's already
    (add_walk_in signs that person in), or the same walk-in was added a moment ago (a double tap: the
    same person). Four queries at most; reads only."""
    name = " ".join((name or "").split())
    cleaned = {"name": name, "organisation": organisation}
    if (
        email
        and Invitee.objects.filter(
            neighbourhood_id=session.programme.neighbourhood_id, email__iexact=email
        ).exists()
    ):
        return []
    if not email and _recent_same_walk_in(session, cleaned) is not None:
        return []
    ids = _same_name(session, name)
    if not ids:
        return []
    people = Invitee.objects.filter(pk__in=ids).select_related("organisation")
    invitations = {
        invitation.invitee_id: invitation
        for invitation in Invitation.objects.filter(programme_id=session.programme_id, invitee_id__in=ids)
    }
    arrived = set(
        Attendance.objects.filter(session=session, invitation__invitee_id__in=ids).values_list(
            "invitation__invitee_id", flat=True
        )
    )
    matches = [
        WalkInMatch(invitee=person, invitation=invitations.get(person.pk), arrived=person.pk in arrived)
        for person in people
    ]
    matches.sort(
        key=lambda match: (match.invitation is None, match.organisation.casefold(), match.invitee.pk)
    )
    return matches


@transaction.atomic
def sign_in_known_person(
    *, session: Session, invitee_id: int, name: str, by: User | None, today: date | None = None
) -> Invitation:
    """ "Yes, sign them in": the walk-in is someone the neighbourhood knows (one of walk_in_matches for
    ``name``), so no new person is made. Someone on the programme's list is marked arrived; someone
    known in the neighbourhood but not on this programme joins its list as walk-ins do (met on the day,
    their messages planned: reminders only) and is marked arrived. Idempotent, as mark_arrived: a double
    tap signs them in once. Raises ValidationError, nothing saved, outside the session's day (as
    mark_arrived) or for an id that is not someone with that name in the neighbourhood."""
    _check_live(session, today)
    if invitee_id not in _same_name(session, name):
        raise ValidationError(
            _("That person is not someone of this name in the neighbourhood. Please try again.")
        )
    invitation, added = Invitation.objects.get_or_create(
        programme_id=session.programme_id,
        invitee_id=invitee_id,
        defaults={"added_by": by, "met_on_the_day": True},
    )
    mark_arrived(session=session, invitation=invitation, by=by, today=today)
    if added:
        sync_schedule(programme=session.programme, only=[invitation.pk])
    signed_in: Invitation = Invitation.objects.select_related("invitee").get(pk=invitation.pk)
    return signed_in


# --- A paper sheet typed in afterwards -----------------------------------------------------------------


class PaperRowErrors(ValidationError):
    """Some walk-in rows of a paper sheet are wrong: ``rows`` maps each bad row's index to its error."""

    def __init__(self, rows: dict[int, ValidationError]):
        super().__init__(_("Some of the new people's details need a look."))
        self.rows = rows


@dataclass(frozen=True)
class PaperResult:
    marked: int
    unmarked: int
    walk_ins: int


@transaction.atomic
def enter_paper_sheet(
    *,
    session: Session,
    present: set[int],
    by: User | None,
    shown: set[int] | None = None,
    walk_ins: list[dict] | tuple = (),
    today: date | None = None,
) -> PaperResult:
    """Make the session's attendance match a paper sign-in sheet, in one transaction.

    ``present``: invitation ids ticked on the sheet, marked arrived (source PAPER) unless already.
    ``shown``: the invitation ids the form listed; any of them not ticked is unmarked (the sheet says they
    did not come). Left out, nobody is unmarked. ``walk_ins``: dicts of add_walk_in's details (name,
    category, and optionally organisation, email, staff_role), each added as a walk-in.
    Raises ValidationError, saving nothing, for a cancelled session or one whose day has not come yet
    (``today``, by default today in settings.TIME_ZONE), an id not on this programme's list, or a bad
    walk-in (PaperRowErrors, with each bad row's index and its errors)."""
    _check_happened(session, today)
    on_list = set(
        Invitation.objects.filter(
            programme_id=session.programme_id, pk__in=set(present) | set(shown or ())
        ).values_list("pk", flat=True)
    )
    if (set(present) | set(shown or ())) - on_list:
        raise ValidationError(_("Someone on this sheet is not on this programme's list."))
    row_errors = {}
    cleaned_rows = []
    for index, row in enumerate(walk_ins):
        try:
            cleaned_rows.append(
                check_walk_in(
                    session=session,
                    name=row.get("name", ""),
                    category=row.get("category", ""),
                    organisation=row.get("organisation"),
                    email=row.get("email", ""),
                    staff_role=row.get("staff_role", ""),
                )
            )
        except ValidationError as error:
            row_errors[index] = error
    if row_errors:
        raise PaperRowErrors(row_errors)
    already = set(Attendance.objects.filter(session=session).values_list("invitation_id", flat=True))
    to_mark = set(present) - already
    Attendance.objects.bulk_create(
        [
            Attendance(session=session, invitation_id=pk, source=ArrivalSource.PAPER, recorded_by=by)
            for pk in sorted(to_mark)
        ],
        ignore_conflicts=True,
    )
    to_unmark = (set(shown or ()) - set(present)) & already
    if to_unmark:
        Attendance.objects.filter(session=session, invitation_id__in=to_unmark).delete()
    for cleaned in cleaned_rows:
        add_walk_in(session=session, by=by, source=ArrivalSource.PAPER, today=today, **cleaned)
    return PaperResult(marked=len(to_mark), unmarked=len(to_unmark), walk_ins=len(cleaned_rows))


# --- Following up --------------------------------------------------------------------------------------


def all_day_session(programme: Programme) -> Session | None:
    return (
        programme.sessions.filter(kind=SessionKind.ALL_DAY, cancelled_at__isnull=True)
        .order_by("date", "start_time")
        .first()
    )


def half_days_since(programme: Programme, all_day: Session, today: date | None = None) -> list[Session]:
    """The half-days after the all-day that have taken place (up to and including today)."""
    today = today or timezone.localdate()
    return list(
        programme.sessions.filter(
            kind=SessionKind.HALF_DAY, cancelled_at__isnull=True, date__gt=all_day.date, date__lte=today
        ).order_by("date")
    )


def not_back_since_all_day(*, programme: Programme, today: date | None = None) -> list[Invitation]:
    """People who came to the all-day but to none of the half-days that have taken place since, so the
    facilitator can follow them up personally: a list of people to contact, so not those removed from
    the list or who asked us to stop messages (as every such list: invitations.services.people). Empty
    until a half-day has taken place. Alphabetical, with invitee and organisation loaded. Reads only."""
    all_day = all_day_session(programme)
    if all_day is None:
        return []
    since = half_days_since(programme, all_day, today)
    if not since:
        return []
    came_back = Attendance.objects.filter(session__in=since).values("invitation_id")
    return list(
        Invitation.objects.filter(
            programme=programme,
            attendances__session=all_day,
            removed_at__isnull=True,
            opted_out_at__isnull=True,
        )
        .exclude(pk__in=came_back)
        .select_related("invitee", "invitee__organisation")
        .order_by("invitee__name", "pk")
    )


def attendance_rows(*, programme: Programme) -> list[list[str]]:
    """One row per person per session they came to, for the CSV: name, group, organisation, session,
    how recorded, time (local). One query; reads only."""
    attendances = (
        Attendance.objects.filter(session__programme=programme)
        .select_related("session", "invitation__invitee__organisation")
        .order_by("session__order", "session__date", "invitation__invitee__name", "pk")
    )
    rows = []
    for attendance in attendances:
        invitee = attendance.invitation.invitee
        key = GROUP_OF_CATEGORY.get(invitee.category, "groups")
        rows.append(
            [
                invitee.name,
                group_label(key),
                invitee.organisation.name if invitee.organisation else "",
                str(attendance.session),
                attendance.get_source_display(),
                timezone.localtime(attendance.arrived_at).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    return rows
