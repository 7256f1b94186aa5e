"""The event record (artwork, who came in numbers, words, actions) is for the whole team: the programme's
facilitators, its schools' coordinators and its artists."""

import rules

from events.rules import (
    admin,
    coordinates_school_in_programme,
    is_artist_in_programme,
    is_facilitator,
    runs_programme,
    signed_in,
)
from invitations.rules import coordinates_invitees_organisation, facilitates_invitees_neighbourhood

# On a programme.
rules.add_perm(
    "records.view_record",
    signed_in & (admin | runs_programme | coordinates_school_in_programme | is_artist_in_programme),
)


# --- One person's data, and a programme's retention (issue 18; services/people.py, services/retention.py) -
# Finding a person across every programme: administrators, facilitators (their neighbourhoods' people)
# and school coordinators (their own school's people); the search lists only people they may open
# (Invitee.objects.visible_to, which agrees with the rule below).


@rules.predicate
def is_coordinator(user) -> bool:
    return user.coordinated_organisations.exists()


rules.add_perm("records.find_people", signed_in & (admin | is_facilitator | is_coordinator))
# All we hold about one person (subject access), and erasing them: checked on the Invitee. The
# neighbourhood's facilitators; the coordinators of the person's school (another school's person: 403).
looks_after_the_person = signed_in & (
    admin | facilitates_invitees_neighbourhood | coordinates_invitees_organisation
)
rules.add_perm("records.access_person", looks_after_the_person)
rules.add_perm("records.erase_person", looks_after_the_person)
# Deleting a finished programme's personal data now, rather than on its retention dates: its facilitators.
rules.add_perm("records.delete_programme_data", signed_in & (admin | runs_programme))
