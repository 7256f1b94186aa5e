"""Who may do what with artwork. Artists upload to sessions they are assigned to and edit their own
pictures; the programme's facilitators manage everything; school coordinators and the programme's artists
view the team's gallery. What people outside the team see is decided by ArtworkQuerySet.beyond_the_team."""

import rules

from events.rules import (
    admin,
    coordinates_school_in_programme,
    is_artist_in_programme,
    runs_programme,
    signed_in,
)


@rules.predicate
def is_artist_on_session(user, session) -> bool:
    return session.artists.filter(pk=user.pk).exists()


@rules.predicate
def runs_sessions_programme(user, session) -> bool:
    return runs_programme(user, session.programme)


@rules.predicate
def runs_artworks_programme(user, artwork) -> bool:
    return runs_programme(user, artwork.session.programme)


@rules.predicate
def made_it(user, artwork) -> bool:
    return artwork.artist_id == user.pk or artwork.uploaded_by_id == user.pk


@rules.predicate
def on_artworks_team(user, artwork) -> bool:
    programme = artwork.session.programme
    return (
        runs_programme(user, programme)
        or coordinates_school_in_programme(user, programme)
        or is_artist_in_programme(user, programme)
    )


# On a session.
rules.add_perm("artwork.add_artwork", signed_in & (admin | runs_sessions_programme | is_artist_on_session))
# On a programme: the team's gallery, and arranging it (order, pins).
rules.add_perm(
    "artwork.view_gallery",
    signed_in & (admin | runs_programme | coordinates_school_in_programme | is_artist_in_programme),
)
rules.add_perm("artwork.arrange_gallery", signed_in & (admin | runs_programme))
# On an artwork.
rules.add_perm("artwork.view_artwork", signed_in & (admin | on_artworks_team))
rules.add_perm("artwork.change_artwork", signed_in & (admin | runs_artworks_programme | made_it))
rules.add_perm("artwork.delete_artwork", signed_in & (admin | runs_artworks_programme | made_it))
