"""Who may plan and follow actions: the programme's facilitators manage them; the programme's coordinators
and artists may read them. Leads update their own action from an emailed link, without an account."""

import rules

from events.rules import (
    admin,
    coordinates_school_in_programme,
    is_artist_in_programme,
    runs_programme,
    signed_in,
)

# All on a programme.
rules.add_perm("actions.manage_actions", signed_in & (admin | runs_programme))
rules.add_perm(
    "actions.view_actions",
    signed_in & (admin | runs_programme | coordinates_school_in_programme | is_artist_in_programme),
)
