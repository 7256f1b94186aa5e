"""Who may run the day: signing people in and collecting words is the programme's facilitators' work.
Coordinators and artists may see the word cloud; who came, person by person, stays with the facilitators."""

import rules

from events.rules import (
    admin,
    coordinates_school_in_programme,
    is_artist_in_programme,
    runs_programme,
    signed_in,
)

# All on a programme.
rules.add_perm("evaluations.run_the_day", signed_in & (admin | runs_programme))
rules.add_perm("evaluations.view_attendance", signed_in & (admin | runs_programme))
rules.add_perm(
    "evaluations.view_words",
    signed_in & (admin | runs_programme | coordinates_school_in_programme | is_artist_in_programme),
)
