"""The event record (artwork, who came in numbers, words, actions) is for the whole team: the programme's
facilitators, its schools' coordinators and its artists."""

import rules

from events.rules import (
    admin,
    coordinates_school_in_programme,
    is_artist_in_programme,
    runs_programme,
    signed_in,
)

# On a programme.
rules.add_perm(
    "records.view_record",
    signed_in & (admin | runs_programme | coordinates_school_in_programme | is_artist_in_programme),
)
