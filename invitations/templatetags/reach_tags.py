"""The call list's count where other pages link to it: the invitation list and the letters page."""

from collections import Counter
from dataclasses import dataclass, field

from django import template

from events.models import Organisation, Programme

from ..services import invitees, letters, reach

register = template.Library()


@dataclass(frozen=True)
class CallList:
    """How many people this user may see are on the programme's call list, and how many at each school."""

    total: int = 0
    by_school: dict[int, int] = field(default_factory=dict)


@register.simple_tag
def call_list(programme: Programme, user) -> CallList:
    """The call list's counts for what ``user`` sees: the whole programme for its facilitators, their
    own schools for a coordinator. The same few queries however long the list (services.reach)."""
    if invitees.may_change_programme(user, programme):
        people = reach.not_reached(programme=programme)
    else:
        people = [
            person
            for school in letters.letter_schools(programme=programme, user=user)
            for person in reach.not_reached(programme=programme, school=school)
        ]
    by_school = Counter(
        person.invitee.organisation_id for person in people if person.invitee.organisation_id is not None
    )
    return CallList(total=len(people), by_school=dict(by_school))


@register.filter
def at_school(calls: CallList, school: Organisation) -> int:
    """How many of one school's people are on the call list."""
    return calls.by_school.get(school.pk, 0)
