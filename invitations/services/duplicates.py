"""People who may be on a programme's list twice: the same email, the same mobile, or the same name at
the same organisation (accents, case and spacing aside, invitations.names.fold: "Grace  OBI" is
"gráce obi", "Łukasz Ødegård" is "lukasz odegard").

One ``values()`` query reads the list and the pairs are found by grouping in Python, so the cost at 2,000
people is that query's, never a query per person. Merging a pair is services.merge.
"""

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from django.utils.translation import gettext_lazy as _

from core.users import User
from events.models import Programme

from ..enums import PersonEvent
from ..names import fold
from .invitees import visible_invitations

# Why two people look alike, in the order the page gives the reasons.
REASONS = {
    "email": _("the same email address"),
    "mobile": _("the same mobile number"),
    "name": _("the same name at the same organisation"),
}
# A number or address shared by more people than this is a shared one (a school office's), not one
# person entered twice: its pairs would flood the page, so they are left out.
MAX_SHARING = 6


def normalise_email(email: str) -> str:
    return (email or "").strip().casefold()


@dataclass(frozen=True)
class ListedPerson:
    """One side of a likely pair: what the duplicates page shows of them."""

    invitation_id: int
    invitee_id: int
    name: str
    category: str
    organisation: str
    email: str
    mobile: str
    phone: str


@dataclass(frozen=True)
class LikelyDuplicate:
    first: ListedPerson  # the one added first (the lower invitation id): kept by default
    second: ListedPerson
    reasons: tuple[str, ...]  # keys of REASONS

    @property
    def people(self) -> tuple[ListedPerson, ListedPerson]:
        return (self.first, self.second)

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASONS[reason]) for reason in self.reasons]


FIELDS = (
    "pk",
    "invitee_id",
    "invitee__name",
    "invitee__category",
    "invitee__organisation_id",
    "invitee__organisation__name",
    "invitee__email",
    "invitee__mobile",
    "invitee__phone",
)


def likely_duplicates(*, programme: Programme, user: User) -> list[LikelyDuplicate]:
    """Pairs of people on the programme's list (not removed from it) who look like one person, among
    those this user may see: the programme's facilitators see every pair; a school coordinator only
    pairs where both are their school's people (services.invitees.visible_invitations). Most likely
    first (likelihood). One query for the people (and the permission check visible_invitations makes)."""
    rows = list(
        visible_invitations(programme=programme, user=user)
        .filter(removed_at__isnull=True)
        # Two people erased (services.retention) are both "Someone who took part": not a pair.
        .exclude(invitee__history__event=PersonEvent.ERASED)
        .order_by("pk")
        .values(*FIELDS)
    )
    people: dict[int, ListedPerson] = {}
    groups: dict[tuple, list[int]] = defaultdict(list)
    for row in rows:
        if row["pk"] in people:  # a coordinator of two of the person's organisations: listed once
            continue
        person = ListedPerson(
            invitation_id=row["pk"],
            invitee_id=row["invitee_id"],
            name=row["invitee__name"],
            category=row["invitee__category"],
            organisation=row["invitee__organisation__name"] or "",
            email=row["invitee__email"],
            mobile=row["invitee__mobile"],
            phone=row["invitee__phone"],
        )
        people[person.invitation_id] = person
        if email := normalise_email(row["invitee__email"]):
            groups[("email", email)].append(person.invitation_id)
        if row["invitee__mobile"]:
            groups[("mobile", row["invitee__mobile"])].append(person.invitation_id)
        if name := fold(row["invitee__name"]):
            groups[("name", name, row["invitee__organisation_id"])].append(person.invitation_id)
    reasons: dict[tuple[int, int], list[str]] = defaultdict(list)
    for key, members in groups.items():
        if len(members) < 2 or (key[0] != "name" and len(members) > MAX_SHARING):
            continue
        for pair in combinations(sorted(members), 2):
            if key[0] not in reasons[pair]:
                reasons[pair].append(key[0])
    pairs = [
        LikelyDuplicate(
            first=people[first],
            second=people[second],
            reasons=tuple(reason for reason in REASONS if reason in found),
        )
        for (first, second), found in reasons.items()
    ]
    pairs.sort(key=likelihood)
    return pairs


def likelihood(pair: "LikelyDuplicate") -> tuple:
    """Most likely first: the same email or mobile; then the same name where one of the two has neither
    (a walk-in written down at the door, a letter-only parent added twice); last the same name where both
    have their own addresses, often two people of one name (a school of 400 children has several). Then
    by name."""
    if "email" in pair.reasons or "mobile" in pair.reasons:
        strength = 0
    elif any(not (person.email or person.mobile) for person in (pair.first, pair.second)):
        strength = 1
    else:
        strength = 2
    return (strength, fold(pair.first.name), pair.first.invitation_id, pair.second.invitation_id)


def people_in_pairs(pairs: list[LikelyDuplicate]) -> int:
    """How many people the pairs are about ("3 people may be on the list twice")."""
    return len({person.invitation_id for pair in pairs for person in (pair.first, pair.second)})
