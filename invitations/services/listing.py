"""The invitation list as the team works with it at school size: search, filters, pages of 50 and the
counts of the whole list (issue 17, part 7). Everything here only reads.

Who is on the list: the people this user may see (services.invitees.visible_invitations: the whole
list for the programme's facilitators, their own school's people for a school coordinator), less those
removed from the list (``Invitation.removed_at``), who are shown only when asked for (``removed``), and
with a session that has started, when they answered for it: what happened keeps them, as on the "Who is
coming" page (services.sheets.upcoming_or_kept).

**Search** finds people by name, email or phone. Names match without regard to case or accents (the one
rule of invitations.names.fold), word by word, in any order ("zoe odegard" finds "Zoë Ødegård", "obi
grace" finds "Grace Obi"). A search of digits alone is a phone number, compared digit by digit with
the mobile and the phone as UK numbers are written: "07700 900123", "+44 7700 900123" and "7700900123"
all find the mobile "+447700900123", and part of a number finds it too.

**Replies** (``reply``). For the whole programme, over its sessions still on (not cancelled), each
person is in one of these, the first that holds:

- *coming*: they said "Coming" to at least one session;
- *not sure yet* (``maybe``): "Not sure yet" to at least one;
- *not sure yet, date changed* (``changed``): they had said "Coming" to a session that has moved since,
  and have not answered again (enums.Answer.CHANGED) for at least one;
- *can't come* (``cant``): they replied, and none of the above: "Can't come" to every session they
  answered;
- *no reply yet* (``none``): no reply, and they have not asked us to stop messages (someone who asked
  us to stop and never replied is not waiting for an answer, as on the "Who is coming" page).

With a ``session`` (one of the programme's sessions still on), the answer is the one given for that
session: coming, not sure yet, date changed or can't come; *no reply* for that session is having given
no answer for it (replied or not), less those who asked us to stop and never replied. Two more choices
match the "Who is coming" page's columns: *replied* (``replied``: a reply at all, or with a session an
answer for it) and *invited* (``invited``: replied, or not asked us to stop: everyone that page counts as
invited). So each of that page's numbers of people leads to exactly the people behind it; where it
counts places (the people coming and those they bring), the list says how many they bring.

**Delivery problems** (``problem``) are what the list itself shows of a person: their email or mobile
marked as not working (``Invitee.email_failed``, ``mobile_failed``, set by services.delivery), a message
that could not be sent (its outbox row failed), a message the provider said was not delivered, and no
way left to reach them (``Invitee.channels`` empty: the one rule of which ways work, also the call
list's "No way to reach them", services.reach).

**Needs** (``need``) come from the reply: the crèche (children to look after), food, access, help
getting there; an interpreter as the call list reads it (services.reach.interpreter_language): asked for
in the reply, or marked on the person.

Costs: the same queries however long the list: one count and one page of 50 (with its messages and
answers for those 50 only), one query for the whole list's counts; a search or the "no way left" filter
read one narrow query of the list first (names and numbers, or the ways) and keep the matching ids.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Page, Paginator
from django.db.models import (
    CharField,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from core.enums import Delivery
from core.kinds import kind_label
from core.models import Message
from core.users import User
from events.models import Organisation, Programme, Session

from ..enums import BALANCE_GROUPS, Answer, Channel, MessageKind, MessageState
from ..models import Invitation, Reply, SessionAnswer
from ..names import fold
from .invitees import may_change_programme, visible_invitations

PAGE_SIZE = 50

# The choices of each filter, as (value, label): the form offers these and nothing else.
REPLIES = [
    ("coming", _("Coming")),
    ("maybe", _("Not sure yet")),
    ("changed", _("Not sure yet (date changed)")),
    ("cant", _("Can't come")),
    ("none", _("No reply yet")),
    ("replied", _("Replied")),
    ("invited", _("Replied, or still to reply")),
]
PROBLEMS = [
    ("any", _("Any of these")),
    ("email", _("Email address marked as not working")),
    ("mobile", _("Mobile number marked as not working")),
    ("failed", _("A message could not be sent")),
    ("undelivered", _("A message was not delivered")),
    ("no_way", _("No way left to reach them")),
]
NEEDS = [
    ("any", _("Any of these")),
    ("creche", _("Crèche")),
    ("food", _("Food")),
    ("access", _("Access")),
    ("interpreter", _("Interpreter")),
    ("transport", _("Help getting there")),
]
GROUPS = [(key, label) for key, (label, _categories) in BALANCE_GROUPS.items()]
CHANNELS = Channel.choices


@dataclass(frozen=True)
class Filters:
    """What the list is narrowed to. Empty values mean "everyone". The values are checked by the form
    (forms.ListFilterForm) against what this user may choose; the queries here hold anyway (a school
    or session not theirs matches nobody)."""

    search: str = ""
    organisation: int | None = None
    group: str = ""
    channel: str = ""
    reply: str = ""
    session: int | None = None
    problem: str = ""
    language: str = ""
    need: str = ""
    removed: bool = False

    @property
    def narrowed(self) -> bool:
        """Any filter chosen, "removed" included."""
        return self != Filters()

    def params(self) -> dict[str, str]:
        """The filters as the list page's GET parameters (forms.ListFilterForm's names), chosen ones only."""
        values = {
            "q": self.search,
            "school": self.organisation,
            "group": self.group,
            "channel": self.channel,
            "reply": self.reply,
            "session": self.session,
            "problem": self.problem,
            "language": self.language,
            "need": self.need,
            "removed": "1" if self.removed else "",
        }
        return {name: str(value) for name, value in values.items() if value not in ("", None)}

    def query(self, **extra: object) -> str:
        """A query string carrying the filters (and ``extra``, such as a page): "q=obi&reply=none"."""
        return urlencode({**self.params(), **{k: v for k, v in extra.items() if v not in ("", None)}})


# --- Search ---------------------------------------------------------------------------------------------

_PHONE_LIKE = re.compile(r"[\d\s+()./-]+")
MIN_PHONE_DIGITS = 3


def phone_digits(text: str) -> str:
    """The digits of a UK number after its country code or trunk zero, for comparing numbers however
    they were written: "07700 900123", "+44 (0)7700 900123", "0044 7700 900123" and "447700900123"
    (as core.phones.uk_mobile reads them) → "7700900123"."""
    digits = "".join(ch for ch in text if ch.isdigit())
    international = text.strip().startswith("+") or digits.startswith("00")
    if international:
        digits = digits.lstrip("0")
    if digits.startswith("44") and (international or len(digits) == 12):
        digits = digits[2:]
    return digits.removeprefix("0")


def is_phone_search(search: str) -> bool:
    """Digits (and what people write between them) only, enough of them to mean a number."""
    return bool(_PHONE_LIKE.fullmatch(search)) and len(phone_digits(search)) >= MIN_PHONE_DIGITS


def matcher(search: str) -> Callable[[str, str, str, str], bool]:
    """Whether someone is found by ``search`` (this module's docstring), as a test of their name, email,
    mobile and phone, the search read once for a whole list."""
    search = " ".join(search.split())
    if not search:
        return lambda name, email, mobile, phone: True
    if is_phone_search(search):
        wanted = phone_digits(search)
        return lambda name, email, mobile, phone: any(
            wanted in phone_digits(number) for number in (mobile, phone) if number
        )
    words = fold(search).split()

    def by_words(name: str, email: str, mobile: str, phone: str) -> bool:
        text = f"{fold(name)}\n{fold(email)}"  # a word never spans the two: it has no white space
        return all(word in text for word in words)

    return by_words


def search_matches(search: str, *, name: str, email: str, mobile: str, phone: str) -> bool:
    """Whether one person is found by ``search`` (the rules in this module's docstring)."""
    return matcher(search)(name, email, mobile, phone)


def _found(invitations: QuerySet[Invitation], search: str) -> list[int]:
    found = matcher(search)
    rows = invitations.order_by().values_list(
        "pk", "invitee__name", "invitee__email", "invitee__mobile", "invitee__phone"
    )
    return [pk for pk, name, email, mobile, phone in rows if found(name, email, mobile, phone)]


# --- Replies, problems and needs as conditions -------------------------------------------------------


def _answered(programme: Programme, answers: Iterable[str] | None, session: int | None) -> Exists:
    """An answer (of ``answers``, or any) for ``session``, or for any of the programme's sessions still on."""
    rows = SessionAnswer.objects.filter(reply__invitation=OuterRef("pk"))
    if answers is not None:
        rows = rows.filter(answer__in=list(answers))
    if session is not None:
        rows = rows.filter(session_id=session, session__programme=programme)
    else:
        rows = rows.filter(session__programme=programme, session__cancelled_at__isnull=True)
    return Exists(rows)


REPLIED = Q(reply__isnull=False)
# The "Who is coming" page's invited: everyone but those who asked for no messages and never replied.
INVITED = Q(reply__isnull=False) | Q(opted_out_at__isnull=True)


def _partition(*, coming: Q, maybe: Q, changed: Q, replied: Q = REPLIED) -> dict[str, Q]:
    """The replies for the whole programme (this module's docstring), from whether someone said "Coming",
    "Not sure yet" or had "date changed" for at least one session still on: one rule for the list's
    filter (reply_condition) and for its counts (list_counts)."""
    return {
        "coming": coming,
        "maybe": ~coming & maybe,
        "changed": ~coming & ~maybe & changed,
        "cant": replied & ~coming & ~maybe & ~changed,
        "none": ~replied & Q(opted_out_at__isnull=True),
        "replied": replied,
        "invited": replied | Q(opted_out_at__isnull=True),
    }


def reply_condition(programme: Programme, reply: str, session: int | None = None) -> Q:
    """Who ``reply`` means, for the whole programme or one ``session`` (this module's docstring)."""
    if session is not None:
        by_answer = {
            "coming": Answer.YES,
            "maybe": Answer.MAYBE,
            "changed": Answer.CHANGED,
            "cant": Answer.NO,
        }
        if reply in by_answer:
            return Q(_answered(programme, [by_answer[reply]], session))
        if reply == "none":
            return ~Q(_answered(programme, None, session)) & INVITED
        if reply == "replied":
            return Q(_answered(programme, None, session))
    parts = _partition(
        coming=Q(_answered(programme, [Answer.YES], None)),
        maybe=Q(_answered(programme, [Answer.MAYBE], None)),
        changed=Q(_answered(programme, [Answer.CHANGED], None)),
    )
    return parts.get(reply, Q())


def _messages(**conditions: object) -> Exists:
    return Exists(Message.objects.filter(invitation=OuterRef("pk"), **conditions))


def problem_condition(problem: str) -> Q:
    """Who has ``problem`` among what the database says directly (not "no way left": _no_way)."""
    conditions = {
        "email": ~Q(invitee__email_failed=""),
        "mobile": ~Q(invitee__mobile_failed=""),
        "failed": Q(_messages(state=MessageState.FAILED)),
        "undelivered": Q(
            _messages(
                state=MessageState.SENT, delivery__in=[Delivery.PERMANENT_FAILURE, Delivery.TEMPORARY_FAILURE]
            )
        ),
    }
    if problem == "any":
        return conditions["email"] | conditions["mobile"] | conditions["failed"] | conditions["undelivered"]
    return conditions.get(problem, Q())


def _no_way(invitations: QuerySet[Invitation]) -> list[int]:
    """The ids of those with no way left to reach them, as Invitee.channels says of each (it needs the
    person's ways and whether their organisation is a school: one narrow query)."""
    people = (
        invitations.order_by()
        .select_related("invitee__organisation")
        .only(
            "pk",
            "programme",  # a programme's own invitations are given it: without it, a query each
            "invitee__channel",
            "invitee__email",
            "invitee__email_failed",
            "invitee__mobile",
            "invitee__mobile_failed",
            "invitee__texts_agreed",
            "invitee__texts_too",
            "invitee__organisation",
            "invitee__organisation__kind",
        )
    )
    return [invitation.pk for invitation in people if not invitation.invitee.channels]


def need_condition(need: str) -> Q:
    has_text = r"\S"
    conditions = {
        "creche": Q(reply__childcare_children__gt=0),
        "food": Q(reply__food_needs__regex=has_text),
        "access": Q(reply__access_needs__regex=has_text),
        "interpreter": Q(reply__interpreter_language__regex=has_text) | Q(invitee__interpreter=True),
        "transport": Q(reply__transport_help=True),
    }
    if need == "any":
        combined = Q(pk__in=[])
        for condition in conditions.values():
            combined |= condition
        return combined
    return conditions.get(need, Q())


# --- The list ---------------------------------------------------------------------------------------


def base_list(
    *, programme: Programme, user: User, removed: bool = False, session: Session | None = None
) -> QuerySet[Invitation]:
    """Who this user sees on the list: on it, or (``removed``) only those removed from it. For the
    replies to a ``session`` that has started, also those removed since who answered for it: the "Who
    is coming" page keeps their answers in its counts (services.sheets.upcoming_or_kept), so each of
    its numbers leads to exactly the people behind it."""
    invitations = visible_invitations(programme=programme, user=user)
    if removed:
        return invitations.filter(removed_at__isnull=False)
    if session is not None and session.starts_at <= timezone.now():
        return invitations.filter(Q(removed_at__isnull=True) | Q(_answered(programme, None, session.pk)))
    return invitations.filter(removed_at__isnull=True)  # Invitation.objects.on_list()


def matching(*, programme: Programme, user: User, filters: Filters) -> QuerySet[Invitation]:
    """The invitations this user sees that match ``filters``, by name (then id, so pages are stable)."""
    session = None
    if filters.session is not None:
        session = programme.sessions.active().filter(pk=filters.session).first()
        if session is None:  # the replies for a session that is not one of the programme's still on
            return base_list(programme=programme, user=user).none()
    invitations = base_list(programme=programme, user=user, removed=filters.removed, session=session)
    if filters.organisation is not None:
        invitations = invitations.filter(invitee__organisation_id=filters.organisation)
    if filters.group in BALANCE_GROUPS:
        invitations = invitations.filter(invitee__category__in=BALANCE_GROUPS[filters.group][1])
    if filters.channel:
        invitations = invitations.filter(invitee__channel=filters.channel)
    if filters.language:
        invitations = invitations.filter(invitee__language=filters.language)
    if filters.reply:
        invitations = invitations.filter(reply_condition(programme, filters.reply, filters.session))
    if filters.need:
        invitations = invitations.filter(need_condition(filters.need))
    if filters.problem == "no_way":
        invitations = invitations.filter(pk__in=_no_way(invitations))
    elif filters.problem == "any":
        invitations = invitations.filter(problem_condition("any") | Q(pk__in=_no_way(invitations)))
    elif filters.problem:
        invitations = invitations.filter(problem_condition(filters.problem))
    if filters.search.strip():
        invitations = invitations.filter(pk__in=_found(invitations, filters.search))
    return invitations.order_by("invitee__name", "pk")


def with_what_the_list_shows(invitations: QuerySet[Invitation]) -> QuerySet[Invitation]:
    """Everything a row of the list shows, loaded for the rows taken (a page): no query per person."""
    return invitations.select_related("invitee__organisation", "reply").prefetch_related(
        Prefetch(
            "messages", queryset=Message.objects.prefetch_related("topic").order_by("scheduled_for", "pk")
        ),
        Prefetch(
            "reply__answers",
            queryset=SessionAnswer.objects.select_related("session").order_by(
                "session__date", "session__start_time"
            ),
        ),
    )


@dataclass(frozen=True)
class ListPage:
    """One page of the matching people, and how many match in all."""

    page: Page
    matching: int  # people matching the filters, on every page
    bringing: int  # the places they bring besides themselves (their replies' extra places)

    @property
    def invitations(self) -> list[Invitation]:
        return list(self.page.object_list)

    @property
    def first(self) -> int:
        return self.page.start_index()

    @property
    def last(self) -> int:
        return self.page.end_index()


def list_page(*, invitations: QuerySet[Invitation], number: str | int | None) -> ListPage:
    """Page ``number`` of ``invitations`` (PAGE_SIZE a page), the rows loaded with what the list shows.
    A number that is not one gives the first page, one past the end the last (Paginator.get_page).
    Two queries besides the page's own: how many match and bring (one), and nothing per person."""
    totals = invitations.order_by().aggregate(
        people=Count("pk"), brought=Sum("reply__extra_places", default=0)
    )
    paginator = Paginator(with_what_the_list_shows(invitations), PAGE_SIZE)
    paginator.count = totals["people"]  # already counted: Paginator would count again
    return ListPage(page=paginator.get_page(number), matching=totals["people"], bringing=totals["brought"])


@dataclass(frozen=True)
class ListCounts:
    """The whole list this user sees, counted (one query): on the list, by reply, who asked us to stop
    messages, and who was removed from the list."""

    on_list: int = 0
    coming: int = 0
    maybe: int = 0
    changed: int = 0
    cant: int = 0
    no_reply: int = 0
    opted_out: int = 0
    removed: int = 0

    def replies(self) -> list[tuple[str, str, int]]:
        """(filter value, label, how many) for each reply, in the order the filter offers them."""
        counts = {
            "coming": self.coming,
            "maybe": self.maybe,
            "changed": self.changed,
            "cant": self.cant,
            "none": self.no_reply,
        }
        return [(value, str(label), counts[value]) for value, label in REPLIES if value in counts]


def list_counts(*, programme: Programme, user: User) -> ListCounts:
    """How the whole list this user sees divides by reply (the rules above), in one query: whether each
    person said "Coming", "Not sure yet" or "date changed" is worked out once, then counted."""
    on_list = Q(removed_at__isnull=True)
    parts = _partition(
        coming=Q(said_yes=True),
        maybe=Q(said_maybe=True),
        changed=Q(said_changed=True),
        replied=Q(replied=True),
    )
    counts = (
        visible_invitations(programme=programme, user=user)
        .order_by()
        .annotate(
            said_yes=_answered(programme, [Answer.YES], None),
            said_maybe=_answered(programme, [Answer.MAYBE], None),
            said_changed=_answered(programme, [Answer.CHANGED], None),
            replied=Exists(Reply.objects.filter(invitation=OuterRef("pk"))),
        )
        .aggregate(
            on_list=Count("pk", filter=on_list),
            opted_out=Count("pk", filter=on_list & Q(opted_out_at__isnull=False)),
            removed=Count("pk", filter=Q(removed_at__isnull=False)),
            coming=Count("pk", filter=on_list & parts["coming"]),
            maybe=Count("pk", filter=on_list & parts["maybe"]),
            changed=Count("pk", filter=on_list & parts["changed"]),
            cant=Count("pk", filter=on_list & parts["cant"]),
            no_reply=Count("pk", filter=on_list & parts["none"]),
        )
    )
    return ListCounts(**counts)


def failed_messages(
    *, programme: Programme, user: User, limit: int = 20
) -> tuple[int, list[tuple[str, Message]]]:
    """The messages to people on the list this user sees that could not be sent: how many, and the first
    ``limit`` (the person's name and the message), for "see why". Three queries at most."""
    rows = Message.objects.filter(
        invitation__in=base_list(programme=programme, user=user).values("pk"), state=MessageState.FAILED
    )
    total = rows.count()
    if not total:
        return 0, []
    messages = list(rows.prefetch_related("topic").order_by("-updated_at", "pk")[:limit])
    names = dict(
        Invitation.objects.filter(pk__in={message.recipient_id for message in messages}).values_list(
            "pk", "invitee__name"
        )
    )
    return total, [(names.get(message.recipient_id, ""), message) for message in messages]


# --- The CSV -------------------------------------------------------------------------------------------

CSV_FIELDS = (
    "pk",
    "opted_out",
    "invitee__name",
    "invitee__category",
    "invitee__staff_role",
    "invitee__organisation__name",
    "invitee__email",
    "invitee__phone",
    "invitee__language",
    "invitee__channel",
    "invitee__texts_too",
    "invitee__mobile",
    "invitee__texts_agreed",
    "invitee__interpreter",
    # What not_working needs (services.delivery's marks) and Invitee.channels with it.
    "invitee__email_failed",
    "invitee__mobile_failed",
    "invitee__fell_back_from",
    "invitee__organisation_id",
    "invitee__organisation__kind",
)


class MessageRow(NamedTuple):
    """What the list says of one message, read with values() rather than as a model: the same attributes
    (and display methods) as core.models.Message, so the same words describe it (invitation_tags)."""

    kind: str
    channel: str
    state: str
    scheduled_for: datetime
    sent_at: datetime | None
    retry_at: datetime | None
    last_error: str
    delivery: str
    delivery_said: str
    topic_id: int | None
    topic: Session | None = None

    def get_kind_display(self) -> str:
        return kind_label(self.kind)

    def get_delivery_display(self) -> str:
        return str(Delivery(self.delivery).label) if self.delivery in Delivery.values else self.delivery


TIMES = ("scheduled_for", "sent_at", "retry_at")
# The times as text (an ISO time: SQLite's own, or PostgreSQL's in UTC), not a datetime made for each row:
# at 2,000 people most of the work of the CSV's messages column was that. Messages.row reads them.
_AS_READ = {f"read_{name}": Cast(name, output_field=CharField()) for name in TIMES}


def _to_minute(value: str | datetime | None) -> str | datetime | None:
    """A sent or retry time to the minute, the most the list's words say of it ("sent 3 Mar 2027, 09:05"),
    so that the messages sent in the same minute are described once."""
    if isinstance(value, str):
        return value[:16]
    return value.replace(second=0, microsecond=0) if value is not None else None


def _as_datetime(value: str | datetime | None) -> datetime | None:
    """A time read as text (``_AS_READ``), as the aware datetime it is."""
    if isinstance(value, str):
        moment = parse_datetime(value if len(value) > 16 else f"{value}:00")
        if moment is None:
            raise ValueError(f"not a time: {value!r}")
        value = moment
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)  # how the database keeps it: in UTC
    return value


@dataclass(frozen=True)
class Messages:
    """Everyone's messages for the CSV, read in one query: by invitation id, each message as a key (what
    decides its words), in the order they go; ``row`` makes the MessageRow of a key, once per key."""

    by_invitation: dict[int, tuple[tuple, ...]]
    sessions: dict[int, Session]

    def row(self, key: tuple) -> MessageRow:
        kind, channel, state, scheduled_for, sent_at, retry_at, *rest, topic_id = key
        return MessageRow._make(
            (
                kind,
                channel,
                state,
                _as_datetime(scheduled_for),
                _as_datetime(sent_at),
                _as_datetime(retry_at),
                *rest,
                topic_id,
                # A reminder is about a session (a change notice's topic is the change: not needed here).
                self.sessions.get(topic_id) if kind == MessageKind.REMINDER else None,
            )
        )


def csv_rows(invitations: QuerySet[Invitation]) -> Iterable[dict]:
    """The people of ``invitations`` as dicts of CSV_FIELDS (no model instances), in the list's order.
    ``opted_out`` is when they asked for no more messages, as text ("" when they did not): only whether
    they did is written."""
    return invitations.annotate(opted_out=Cast("opted_out_at", output_field=CharField())).values(*CSV_FIELDS)


# What most rows have none of: read in a query of their own for the rows that do (sent, failed, retried…).
PLAIN = Q(sent_at__isnull=True, retry_at__isnull=True, last_error="", delivery="", delivery_said="")
NOTHING_MORE = (None, None, "", "", "")


def _in_order(row: tuple) -> tuple:
    """A message row (recipient, pk, kind, channel, state, time as read, topic) by when it goes, then pk.
    The time as read (text) sorts as the time itself: ISO times in UTC, and where two are the same to
    the second, the one without a fraction ("…:00" or "…:00+00") sorts before the one with ("…:00.5")."""
    return row[5], row[1]


def messages_of(*, programme: Programme, invitations: QuerySet[Invitation]) -> Messages:
    """The messages of everyone in ``invitations`` (Messages), in three queries however many: the
    programme's sessions (what reminders are about), every message's kind, channel, state and time, and
    what more the rows that have more say (when sent, the error, what the provider said)."""
    sessions = {session.pk: session for session in Session.objects.filter(programme=programme)}
    # Their rows by the outbox's own index (recipient type and id), without joining the list again.
    theirs = Message.objects.filter(
        recipient_type=ContentType.objects.get_for_model(Invitation),
        recipient_id__in=invitations.order_by().values("pk"),
    )
    more = {
        pk: (_to_minute(sent_at), _to_minute(retry_at), *said)
        for pk, sent_at, retry_at, *said in theirs.exclude(PLAIN)
        .annotate(**_AS_READ)
        .order_by()
        .values_list("pk", "read_sent_at", "read_retry_at", "last_error", "delivery", "delivery_said")
    }
    rows = (
        theirs.annotate(read_scheduled_for=_AS_READ["read_scheduled_for"])
        .order_by("recipient_id")  # each person's few are put in order here: cheaper than in the database
        .values_list("recipient_id", "pk", "kind", "channel", "state", "read_scheduled_for", "topic_id")
    )
    by_invitation: dict[int, tuple[tuple, ...]] = {}
    for recipient_id, messages in groupby(rows, key=itemgetter(0)):
        by_invitation[recipient_id] = tuple(
            (kind, channel, state, scheduled_for, *more.get(pk, NOTHING_MORE), topic_id)
            # The order they go in, as on the page: by time, then as they were made.
            for _recipient_id, pk, kind, channel, state, scheduled_for, topic_id in sorted(
                messages, key=_in_order
            )
        )
    return Messages(by_invitation=by_invitation, sessions=sessions)


# --- What this user may choose -----------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    """The organisations and sessions this user may narrow the list to (one query each)."""

    organisations: list[Organisation] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)


def filter_choices(*, programme: Programme, user: User) -> Choices:
    """The programme's facilitators choose among every organisation in the neighbourhood; a coordinator
    among the schools of theirs taking part. The sessions are the programme's sessions still on."""
    if may_change_programme(user, programme):
        organisations = list(programme.neighbourhood.organisations.order_by("name"))
    else:
        organisations = list(programme.schools.filter(coordinators=user).order_by("name"))
    sessions = list(programme.sessions.active().order_by("date", "start_time", "pk"))
    return Choices(organisations=organisations, sessions=sessions)
