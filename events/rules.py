"""Who may do what with the planning data. Every view and service checks these permissions.

Roles come from relations, not flags: a facilitator facilitates neighbourhoods (and may be named on a
programme), a school coordinator coordinates their school, an artist is assigned to sessions. List pages
filter with the matching ``visible_to`` querysets in events/models.py, which must agree with these rules.
"""

import rules


@rules.predicate
def facilitates_neighbourhood(user, neighbourhood) -> bool:
    return neighbourhood.facilitators.filter(pk=user.pk).exists()


@rules.predicate
def is_facilitator(user) -> bool:
    return user.facilitated_neighbourhoods.exists()


@rules.predicate
def runs_programme(user, programme) -> bool:
    return (
        programme.facilitators.filter(pk=user.pk).exists()
        or programme.neighbourhood.facilitators.filter(pk=user.pk).exists()
    )


@rules.predicate
def coordinates_school_in_programme(user, programme) -> bool:
    return programme.schools.filter(coordinators=user).exists()


@rules.predicate
def is_artist_in_programme(user, programme) -> bool:
    return programme.sessions.filter(artists=user).exists()


@rules.predicate
def coordinates_organisation(user, organisation) -> bool:
    return organisation.coordinators.filter(pk=user.pk).exists()


@rules.predicate
def facilitates_organisations_neighbourhood(user, organisation) -> bool:
    return organisation.neighbourhood.facilitators.filter(pk=user.pk).exists()


signed_in = rules.is_authenticated
admin = rules.is_superuser

rules.add_perm("events.view_neighbourhood", signed_in & (admin | facilitates_neighbourhood))
rules.add_perm("events.change_neighbourhood", signed_in & (admin | facilitates_neighbourhood))
rules.add_perm(
    "events.view_organisation",
    signed_in & (admin | facilitates_organisations_neighbourhood | coordinates_organisation),
)
rules.add_perm("events.add_programme", signed_in & (admin | is_facilitator))
rules.add_perm(
    "events.view_programme",
    signed_in & (admin | runs_programme | coordinates_school_in_programme | is_artist_in_programme),
)
rules.add_perm("events.change_programme", signed_in & (admin | runs_programme))
