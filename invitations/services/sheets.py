"""What the facilitator needs to know before the day: who is coming from each group, against the even
split, and the sheets for each session (catering, crèche, access, interpreters, transport).

Everything here only reads. Each function makes a fixed, small number of queries however long the list is.

How answers are counted:

- "Coming" and "not sure yet" count places: the person, plus anyone they said they would bring (extra
  places), in the person's own group. "Can't come" and "no reply" count people.
- "Not sure yet" is never added to "coming": it is shown beside it, so the facilitator can plan for the
  likely number and know the most there could be.
- Someone who replied but gave no answer for a session counts as "no reply" for that session.
- Someone who asked us to stop messages has not necessarily changed their plans: their answers count.
  Only if they never replied are they left out (not "waiting for a reply"). Cancelled sessions are not shown.
- Someone removed from the list (services.people) will not be told anything more, and is no longer
  expected: they are left out of every session still to come (its counts and its sheets) and of the
  programme's totals, which are of the list. Their answer to a session that has started stays in its
  counts and sheets: it is part of what happened (upcoming_or_kept).
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Programme, Session

from ..balance import even_split, low_groups, share_of, under_a_quarter
from ..enums import BALANCE_GROUPS, GROUP_OF_CATEGORY, Answer, group_label
from ..models import Invitee, Reply, SessionAnswer

# --- Numbers by group ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupAnswers:
    """One group's answers for one session."""

    key: str
    label: str
    coming: int  # places: people who said yes and the people they bring
    not_sure: int  # places, likewise
    cant: int  # people
    no_reply: int  # people
    share: int  # per cent of those coming, rounded
    low: bool  # under a quarter of those coming
    # places: people who said "Coming" before the session moved and have not answered since
    date_changed: int = 0


@dataclass(frozen=True)
class SessionAttendance:
    session: Session
    groups: list[GroupAnswers]

    @property
    def coming(self) -> int:
        return sum(group.coming for group in self.groups)

    @property
    def not_sure(self) -> int:
        return sum(group.not_sure for group in self.groups)

    @property
    def date_changed(self) -> int:
        return sum(group.date_changed for group in self.groups)

    @property
    def cant(self) -> int:
        return sum(group.cant for group in self.groups)

    @property
    def no_reply(self) -> int:
        return sum(group.no_reply for group in self.groups)

    @property
    def aim(self) -> int:
        """An even split of those coming: about a third from each group."""
        return even_split(self.coming)

    @property
    def low(self) -> list[GroupAnswers]:
        return low_groups(self.groups)


@dataclass(frozen=True)
class GroupTotal:
    """One group across the whole programme."""

    key: str
    label: str
    invited: int  # people on the list, less those who asked for no messages and never replied
    replied: int  # people
    no_reply: int  # people
    coming: int  # places: people coming to at least one session, and the people they bring
    share: int  # per cent of those coming, rounded
    low: bool


@dataclass(frozen=True)
class ProgrammeTotal:
    groups: list[GroupTotal]

    @property
    def invited(self) -> int:
        return sum(group.invited for group in self.groups)

    @property
    def replied(self) -> int:
        return sum(group.replied for group in self.groups)

    @property
    def no_reply(self) -> int:
        return sum(group.no_reply for group in self.groups)

    @property
    def coming(self) -> int:
        return sum(group.coming for group in self.groups)

    @property
    def aim(self) -> int:
        return even_split(self.coming)

    @property
    def low(self) -> list[GroupTotal]:
        return low_groups(self.groups)


@dataclass(frozen=True)
class Attendance:
    sessions: list[SessionAttendance]
    total: ProgrammeTotal


def attendance(*, programme: Programme) -> Attendance:
    """Per active session, each group's answers (coming / can't / not sure / no reply) against the even
    split, and the programme's total: who is coming to at least one session. Someone who asked not to be
    contacted has stopped our messages, not their plans: their answers count, but if they never replied
    they are not counted as waiting for a reply. Three queries."""
    sessions = list(programme.sessions.active().select_related("venue").order_by("order", "date", "pk"))
    now = timezone.now()
    started = [session.pk for session in sessions if session.starts_at <= now]
    yes_to_a_session = Exists(
        SessionAnswer.objects.filter(
            reply__invitation=OuterRef("pk"),
            answer=Answer.YES,
            session__programme=programme,
            session__cancelled_at__isnull=True,
        )
    )
    people = (
        programme.invitations.filter(
            Q(opted_out_at__isnull=True) | Q(reply__isnull=False), removed_at__isnull=True
        )
        .order_by()
        .values_list("invitee__category")
        .annotate(
            invited=Count("pk"),
            replied=Count("reply"),
            coming=Count("pk", filter=yes_to_a_session),
            brought=Sum("reply__extra_places", filter=yes_to_a_session, default=0),
        )
    )
    invited: Counter[str] = Counter()
    replied: Counter[str] = Counter()
    coming: Counter[str] = Counter()
    for category, invited_count, replied_count, coming_count, brought in people:
        group = GROUP_OF_CATEGORY.get(category)
        if group:
            invited[group] += invited_count
            replied[group] += replied_count
            coming[group] += coming_count + brought

    answers = (
        SessionAnswer.objects.filter(
            upcoming_or_kept(started),
            session__in=[session.pk for session in sessions],
            reply__invitation__programme=programme,
        )
        .order_by()
        .values_list("session_id", "reply__invitation__invitee__category", "answer")
        .annotate(
            people=Count("pk"),
            brought=Sum("reply__extra_places", default=0),
            removed=Count("pk", filter=Q(reply__invitation__removed_at__isnull=False)),
        )
    )
    # (session id, group, answer) -> people, and the places they bring
    answered: Counter[tuple[int, str, str]] = Counter()
    brought_by: Counter[tuple[int, str, str]] = Counter()
    # (session id, group) -> people removed since who answered for a session that has started: they are
    # not in ``invited`` (the list), so they are added back to know who gave no reply.
    removed_answered: Counter[tuple[int, str]] = Counter()
    for session_id, category, answer, people_count, brought, removed in answers:
        group = GROUP_OF_CATEGORY.get(category)
        if group:
            answered[session_id, group, answer] += people_count
            brought_by[session_id, group, answer] += brought
            removed_answered[session_id, group] += removed

    per_session = []
    for session in sessions:
        counts = {}
        for key in BALANCE_GROUPS:
            people_by_answer = {answer: answered[session.pk, key, answer] for answer in Answer.values}
            counts[key] = {
                "coming": people_by_answer[Answer.YES] + brought_by[session.pk, key, Answer.YES],
                "not_sure": people_by_answer[Answer.MAYBE] + brought_by[session.pk, key, Answer.MAYBE],
                "date_changed": people_by_answer[Answer.CHANGED]
                + brought_by[session.pk, key, Answer.CHANGED],
                "cant": people_by_answer[Answer.NO],
                "no_reply": invited[key] + removed_answered[session.pk, key] - sum(people_by_answer.values()),
            }
        total = sum(count["coming"] for count in counts.values())
        per_session.append(
            SessionAttendance(
                session=session,
                groups=[
                    GroupAnswers(
                        key=key,
                        label=group_label(key),
                        share=share_of(count["coming"], total),
                        low=under_a_quarter(count["coming"], total),
                        **count,
                    )
                    for key, count in counts.items()
                ],
            )
        )

    total_coming = sum(coming.values())
    return Attendance(
        sessions=per_session,
        total=ProgrammeTotal(
            groups=[
                GroupTotal(
                    key=key,
                    label=group_label(key),
                    invited=invited[key],
                    replied=replied[key],
                    no_reply=invited[key] - replied[key],
                    coming=coming[key],
                    share=share_of(coming[key], total_coming),
                    low=under_a_quarter(coming[key], total_coming),
                )
                for key in BALANCE_GROUPS
            ]
        ),
    )


# --- The sheets for the day ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Someone who said they are coming to a session, or are not sure yet (perhaps because it moved
    after they said they were coming), with their reply."""

    invitee: Invitee
    reply: Reply
    answer: str

    @property
    def name(self) -> str:
        return self.invitee.name

    @property
    def group(self) -> str:
        return self.invitee.balance_group_label

    @property
    def organisation(self) -> str:
        return self.invitee.organisation.name if self.invitee.organisation else ""

    @property
    def sure(self) -> bool:
        return self.answer == Answer.YES

    @property
    def answer_label(self) -> str:
        return str(Answer(self.answer).label)

    @property
    def places(self) -> int:
        """Themselves and anyone they are bringing."""
        return 1 + self.reply.extra_places


def upcoming_or_kept(started: list[int]) -> Q:
    """Which answers count (of SessionAnswer): those of people on the list, and for the sessions that
    have ``started`` (ids), those of people removed since too: what happened keeps them."""
    return Q(reply__invitation__removed_at__isnull=True) | Q(session__in=started)


def _people(*, session: Session) -> list[Person]:
    """Everyone who said yes or "not sure" to this session, or said yes before it moved (including anyone who has since asked us to
    stop messages: they may still come; not someone removed from the list, unless the session has
    started: upcoming_or_kept). One query."""
    started = [session.pk] if session.starts_at <= timezone.now() else []
    answers = (
        SessionAnswer.objects.filter(
            upcoming_or_kept(started),
            session=session,
            answer__in=[Answer.YES, Answer.MAYBE, Answer.CHANGED],
            reply__invitation__programme_id=session.programme_id,
        )
        .select_related("reply__invitation__invitee__organisation")
        .order_by("reply__invitation__invitee__name", "pk")
    )
    return [
        Person(invitee=answer.reply.invitation.invitee, reply=answer.reply, answer=answer.answer)
        for answer in answers
    ]


def _places(people: list[Person], *, sure: bool) -> int:
    return sum(person.places for person in people if person.sure == sure)


@dataclass(frozen=True)
class CateringSheet:
    session: Session
    people: list[Person]  # everyone coming or not sure, for the CSV
    food: list[Person]  # those who told us about food needs
    coming: int  # places
    not_sure: int  # places
    children: int  # children in the crèche, coming: not counted in `coming`

    @property
    def meal(self) -> str:
        """The food to plan: "lunch" on the all-day, "refreshments" on a half-day, "" when there is none."""
        if self.session.lunch:
            return "lunch"
        return "refreshments" if self.session.refreshments else ""


def catering(*, session: Session) -> CateringSheet:
    """How many to feed at this session (lunch on the all-day, refreshments on a half-day), counting the
    people coming and those they bring, and everyone's food needs by name. One query."""
    people = _people(session=session)
    return CateringSheet(
        session=session,
        people=people,
        food=[person for person in people if person.reply.food_needs.strip()],
        coming=_places(people, sure=True),
        not_sure=_places(people, sure=False),
        children=sum(person.reply.childcare_children for person in people if person.sure),
    )


@dataclass(frozen=True)
class CrecheRequest:
    person: Person
    children: int
    ages: list[int]
    ages_text: str  # as written, shown when the ages can't be read as numbers

    @property
    def ages_missing(self) -> int:
        return max(self.children - len(self.ages), 0) if self.ages or not self.ages_text else 0


@dataclass(frozen=True)
class CrecheSheet:
    session: Session
    requests: list[CrecheRequest]

    @property
    def children(self) -> int:
        return sum(request.children for request in self.requests if request.person.sure)

    @property
    def children_not_sure(self) -> int:
        return sum(request.children for request in self.requests if not request.person.sure)

    @property
    def ages(self) -> list[tuple[int, int]]:
        """(age, how many children) for the children coming, youngest first."""
        counts = Counter(age for request in self.requests if request.person.sure for age in request.ages)
        return sorted(counts.items())

    @property
    def ages_missing(self) -> int:
        return sum(request.ages_missing for request in self.requests if request.person.sure)


def _ages(reply: Reply) -> list[int]:
    try:
        return reply.ages
    except ValueError:  # typed in by hand (the admin) rather than through the checked forms
        return []


def creche(*, session: Session) -> CrecheSheet:
    """The children who need the crèche at this session, with their ages, per parent. One query."""
    return CrecheSheet(
        session=session,
        requests=[
            CrecheRequest(
                person=person,
                children=person.reply.childcare_children,
                ages=_ages(person.reply),
                ages_text=person.reply.childcare_ages,
            )
            for person in _people(session=session)
            if person.reply.childcare_children
        ],
    )


@dataclass(frozen=True)
class AccessSheet:
    session: Session
    people: list[Person]


def access(*, session: Session) -> AccessSheet:
    """Everyone coming (or not sure) who told us about access needs, with what they said. One query."""
    return AccessSheet(
        session=session,
        people=[person for person in _people(session=session) if person.reply.access_needs.strip()],
    )


@dataclass(frozen=True)
class Language:
    name: str
    people: list[Person]

    @property
    def coming(self) -> int:
        return sum(1 for person in self.people if person.sure)

    @property
    def not_sure(self) -> int:
        return sum(1 for person in self.people if not person.sure)


@dataclass(frozen=True)
class InterpretersSheet:
    session: Session
    languages: list[Language] = field(default_factory=list)

    @property
    def people(self) -> list[tuple[Language, Person]]:
        return [(language, person) for language in self.languages for person in language.people]


def interpreters(*, session: Session) -> InterpretersSheet:
    """Who would like an interpreter at this session, grouped by language (as people wrote it, ignoring
    case and spaces), the languages most asked for first. One query."""
    by_language: dict[str, Language] = {}
    for person in _people(session=session):
        name = " ".join(person.reply.interpreter_language.split())
        if name:
            language = by_language.setdefault(name.casefold(), Language(name=name, people=[]))
            language.people.append(person)
    languages = sorted(by_language.values(), key=lambda language: (-len(language.people), language.name))
    return InterpretersSheet(session=session, languages=languages)


@dataclass(frozen=True)
class TransportSheet:
    session: Session
    people: list[Person]

    @property
    def places(self) -> int:
        return sum(person.places for person in self.people if person.sure)


def transport(*, session: Session) -> TransportSheet:
    """Who asked for help getting to this session, with how to reach them. One query."""
    return TransportSheet(
        session=session, people=[person for person in _people(session=session) if person.reply.transport_help]
    )


# The sheets by the name used in their addresses, with their titles.
SHEETS = {
    "catering": (catering, _("Catering")),
    "creche": (creche, _("Crèche")),
    "access": (access, _("Access needs")),
    "interpreters": (interpreters, _("Interpreters")),
    "transport": (transport, _("Transport")),
}
