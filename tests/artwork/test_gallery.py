"""The team's galleries, the picture page, arranging (order and pins), deleting, the image files and the
panels on the session and programme pages."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from artwork.enums import ImageState, Visibility
from artwork.models import Artwork
from artwork.services import gallery
from artwork.services.themes import set_themes
from tests.factories import SessionFactory, UserFactory

from .pictures import make_artwork


def gallery_url(session) -> str:
    return reverse("artwork:session_gallery", args=[session.pk])


def signed_in(client, world, role="facilitator"):
    client.force_login(world.user(role))
    return client


def thumbnails(html: str) -> list[str]:
    """The alt text of every thumbnail in the gallery grid, in order."""
    return re.findall(r'<a class="gallery-thumb" href="[^"]+"[^>]*>\s*<img src="[^"]+" alt="([^"]*)"', html)


# --- The team's gallery --------------------------------------------------------------------------------


def test_gallery_shows_every_picture_with_its_description_as_alt_text(client, world):
    artist = world.user("artist")
    artist.first_name, artist.last_name = "Sam", "Lee"
    artist.save()
    make_artwork(world.session, artist=artist, description="Parents and teachers around one table.")
    make_artwork(world.session, artist=artist, description="", title="")

    html = signed_in(client, world).get(gallery_url(world.session)).content.decode()

    assert thumbnails(html) == [
        "Parents and teachers around one table.",
        "Picture by Sam Lee, not described yet",
    ]
    assert "Say what this shows" in html
    # Without JavaScript each thumbnail is a link to the picture's own page.
    for artwork in Artwork.objects.all():
        assert f'<a class="gallery-thumb" href="{reverse("artwork:detail", args=[artwork.pk])}"' in html


def test_gallery_flags_pictures_being_prepared_and_failed(client, world):
    make_artwork(world.session, state=ImageState.PROCESSING, title="Still coming")
    make_artwork(world.session, state=ImageState.FAILED, title="Broken")

    html = signed_in(client, world).get(gallery_url(world.session)).content.decode()

    assert "This picture is being prepared" in html
    assert "This picture could not be prepared" in html
    assert "Still coming" in html and "Broken" in html
    assert thumbnails(html) == []


def test_edit_link_shows_only_for_those_who_may_change_the_picture(client, world):
    artwork = make_artwork(world.session, artist=world.user("artist"), description="")
    edit = reverse("artwork:edit", args=[artwork.pk])

    for role, shown in [("facilitator", True), ("artist", True), ("coordinator", False)]:
        client.force_login(world.user(role))
        assert (edit in client.get(gallery_url(world.session)).content.decode()) is shown, role


def test_gallery_filters_by_theme_with_the_current_link_marked(client, world):
    park = make_artwork(world.session, description="The park")
    library = make_artwork(world.session, description="The library")
    set_themes(artwork=park, names=["Play space"])
    set_themes(artwork=library, names=["Reading"])

    html = signed_in(client, world).get(gallery_url(world.session), {"theme": "play space"}).content.decode()

    assert thumbnails(html) == ["The park"]
    assert re.search(r'href="[^"]*\?theme=play%20space" aria-current="page">Play space<', html)
    assert 'aria-current="page">All the pictures<' not in html


def test_gallery_with_an_unknown_theme_says_none_match(client, world):
    make_artwork(world.session)

    html = signed_in(client, world).get(gallery_url(world.session), {"theme": "x" * 500}).content.decode()

    assert thumbnails(html) == []
    assert "No pictures have this theme." in html


def test_programme_gallery_goes_session_by_session(client, world):
    sessions = list(world.programme.sessions.order_by("order"))
    make_artwork(sessions[1], description="Second session")
    make_artwork(sessions[0], description="First session")

    html = signed_in(client, world, "coordinator").get(
        reverse("artwork:programme_gallery", args=[world.programme.pk])
    )

    assert thumbnails(html.content.decode()) == ["First session", "Second session"]


def test_gallery_of_another_programme_is_refused(client, world):
    artwork = make_artwork(world.session)

    response = signed_in(client, world, "other_facilitator").get(gallery_url(artwork.session))

    assert response.status_code == 403


@pytest.mark.parametrize("where", ["session", "programme"])
def test_gallery_query_count_does_not_grow_with_the_pictures(client, world, where, django_assert_num_queries):
    def url():
        if where == "session":
            return gallery_url(world.session)
        return reverse("artwork:programme_gallery", args=[world.programme.pk])

    signed_in(client, world)

    def add(count):
        for number in range(count):
            artwork = make_artwork(
                world.session, artist=world.user("artist"), description=f"Picture {number}"
            )
            set_themes(artwork=artwork, names=[f"Theme {number}", "Shared"])

    add(1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url()).status_code == 200
    add(19)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url())
    assert len(thumbnails(response.content.decode())) == 20


# --- One picture -----------------------------------------------------------------------------------------


def test_detail_shows_the_picture_its_words_and_its_neighbours(client, world):
    first = make_artwork(world.session, title="First", description="One")
    second = make_artwork(world.session, title="Second", description="Two")
    third = make_artwork(world.session, title="Third", description="Three")
    set_themes(artwork=second, names=["Play space"])

    html = (
        signed_in(client, world, "coordinator")
        .get(reverse("artwork:detail", args=[second.pk]))
        .content.decode()
    )

    assert reverse("artwork:image", args=[second.pk, "display"]) in html
    assert 'alt="Two"' in html
    assert "Play space" in html
    assert f'rel="prev" href="{reverse("artwork:detail", args=[first.pk])}"' in html
    assert f'rel="next" href="{reverse("artwork:detail", args=[third.pk])}"' in html
    assert "Picture 2 of 3" in html


def test_detail_of_the_first_picture_has_no_previous_link(client, world):
    first = make_artwork(world.session)
    make_artwork(world.session)

    html = signed_in(client, world).get(reverse("artwork:detail", args=[first.pk])).content.decode()

    assert 'rel="prev"' not in html
    assert 'rel="next"' in html


# --- Arranging -------------------------------------------------------------------------------------------


def move(client, artwork, direction):
    return client.post(reverse("artwork:move", args=[artwork.pk]), {"direction": direction})


def order(session) -> list[int]:
    return list(Artwork.objects.filter(session=session).in_gallery_order().values_list("pk", flat=True))


def test_moving_a_picture_swaps_it_and_renumbers_the_session(client, world):
    a, b, c = (make_artwork(world.session) for _ in range(3))
    signed_in(client, world)

    response = move(client, c, "up")

    assert response.status_code == 302
    assert response["Location"].endswith(f"#artwork-{c.pk}")
    assert order(world.session) == [a.pk, c.pk, b.pk]
    assert sorted(Artwork.objects.values_list("position", flat=True)) == [0, 1, 2]

    move(client, a, "down")
    assert order(world.session) == [c.pk, a.pk, b.pk]


def test_moving_the_first_picture_up_changes_nothing_and_says_so(client, world):
    a, b = make_artwork(world.session), make_artwork(world.session)
    signed_in(client, world)

    response = move(client, a, "up")

    assert order(world.session) == [a.pk, b.pk]
    assert "already as early as it can go" in client.get(response["Location"]).content.decode()


def test_moving_the_last_picture_down_changes_nothing(client, world):
    a, b = make_artwork(world.session), make_artwork(world.session)
    signed_in(client, world)

    move(client, b, "down")

    assert order(world.session) == [a.pk, b.pk]


def test_moving_with_a_made_up_direction_changes_nothing(client, world):
    a, b = make_artwork(world.session), make_artwork(world.session)
    signed_in(client, world)

    response = move(client, b, "sideways")

    assert response.status_code == 302
    assert order(world.session) == [a.pk, b.pk]


def test_moving_stays_within_the_session(client, world):
    other_session = world.programme.sessions.order_by("order")[1]
    a = make_artwork(world.session)
    elsewhere = make_artwork(other_session)
    b = make_artwork(world.session)
    signed_in(client, world)

    move(client, b, "up")

    assert order(world.session) == [b.pk, a.pk]
    assert order(other_session) == [elsewhere.pk]


def test_moving_back_to_a_safe_address_only(client, world):
    make_artwork(world.session)
    b = make_artwork(world.session)
    signed_in(client, world)

    response = client.post(
        reverse("artwork:move", args=[b.pk]), {"direction": "up", "next": "https://evil.example/"}
    )

    assert response["Location"] == f"{gallery_url(world.session)}#artwork-{b.pk}"


def test_pinned_pictures_come_first_and_unpinning_puts_them_back(client, world):
    a, b, c = (make_artwork(world.session) for _ in range(3))
    signed_in(client, world)

    client.post(reverse("artwork:pin", args=[c.pk]), {"pinned": "1"})
    assert order(world.session) == [c.pk, a.pk, b.pk]

    # A pinned picture does not move below the unpinned ones.
    move(client, c, "down")
    assert order(world.session) == [c.pk, a.pk, b.pk]

    client.post(reverse("artwork:pin", args=[c.pk]), {"pinned": "0"})
    assert order(world.session) == [a.pk, b.pk, c.pk]


@pytest.mark.parametrize("role", ["other_facilitator", "artist", "coordinator"])
def test_arranging_is_refused_to_anyone_but_the_programmes_facilitators(client, world, role):
    a, b = make_artwork(world.session, artist=world.user("artist")), make_artwork(world.session)
    signed_in(client, world, role)

    assert move(client, b, "up").status_code == 403
    assert client.post(reverse("artwork:pin", args=[a.pk]), {"pinned": "1"}).status_code == 403

    assert order(world.session) == [a.pk, b.pk]
    assert not Artwork.objects.filter(pinned=True).exists()


def test_pinning_another_programmes_picture_is_refused(client, world):
    from events import services as events_services

    elsewhere = events_services.create_programme(
        neighbourhood=world.other_neighbourhood,
        title="Elsewhere",
        key_question="?",
        first_date=world.session.date,
        venue=None,
        created_by=world.user("other_facilitator"),
    )
    theirs = make_artwork(elsewhere.sessions.first())
    signed_in(client, world)  # the facilitator of the world's programme, not of this one

    assert client.post(reverse("artwork:pin", args=[theirs.pk]), {"pinned": "1"}).status_code == 403
    theirs.refresh_from_db()
    assert not theirs.pinned


# --- Deleting ------------------------------------------------------------------------------------------


def test_deleting_asks_first_then_removes_the_picture_and_its_files(
    client, world, django_capture_on_commit_callbacks
):
    artwork = make_artwork(world.session, artist=world.user("artist"))
    files = [artwork.original, artwork.display, artwork.thumbnail]
    storage = artwork.original.storage
    signed_in(client, world, "artist")
    url = reverse("artwork:delete", args=[artwork.pk])

    assert "Delete this picture?" in client.get(url).content.decode()
    assert Artwork.objects.filter(pk=artwork.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response.status_code == 302
    assert not Artwork.objects.filter(pk=artwork.pk).exists()
    assert not any(storage.exists(field.name) for field in files)


def test_deleting_is_refused_to_a_coordinator(client, world):
    artwork = make_artwork(world.session)
    signed_in(client, world, "coordinator")

    assert client.post(reverse("artwork:delete", args=[artwork.pk])).status_code == 403
    assert Artwork.objects.filter(pk=artwork.pk).exists()


def test_an_artist_may_not_delete_someone_elses_picture(client, world):
    artwork = make_artwork(world.session, artist=UserFactory())
    signed_in(client, world, "artist")

    assert client.post(reverse("artwork:delete", args=[artwork.pk])).status_code == 403


# --- The image files -------------------------------------------------------------------------------------


def image_url(artwork, size):
    return reverse("artwork:image", args=[artwork.pk, size])


@pytest.mark.parametrize("size", ["original", "display", "thumbnail"])
def test_images_come_with_private_headers_and_their_content_type(client, world, size):
    artwork = make_artwork(world.session)

    response = signed_in(client, world, "coordinator").get(image_url(artwork, size))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


@pytest.mark.parametrize("size", ["huge", "original.jpg", "..", "ORIGINAL"])
def test_an_unknown_image_size_is_not_found(client, world, size):
    artwork = make_artwork(world.session)

    assert signed_in(client, world).get(image_url(artwork, size)).status_code == 404


@pytest.mark.parametrize("state", [ImageState.PROCESSING, ImageState.FAILED])
def test_an_image_not_ready_is_not_found(client, world, state):
    artwork = make_artwork(world.session, state=state)

    assert signed_in(client, world).get(image_url(artwork, "original")).status_code == 404


@pytest.mark.parametrize(("role", "status"), [("other_facilitator", 403), ("other_coordinator", 403)])
def test_images_are_refused_outside_the_team(client, world, role, status):
    artwork = make_artwork(world.session, visibility=Visibility.EVERYONE)

    assert signed_in(client, world, role).get(image_url(artwork, "original")).status_code == status


def test_images_ask_anonymous_visitors_to_sign_in(client, world):
    artwork = make_artwork(world.session, visibility=Visibility.EVERYONE)

    response = client.get(image_url(artwork, "thumbnail"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- The panels on the session and programme pages -------------------------------------------------------


def test_session_panel_counts_and_links(client, world):
    make_artwork(world.session, description="The park")
    make_artwork(world.session, state=ImageState.PROCESSING)
    session_page = reverse("events:session_detail", args=[world.session.pk])

    artist_html = signed_in(client, world, "artist").get(session_page).content.decode()
    coordinator_html = signed_in(client, world, "coordinator").get(session_page).content.decode()

    assert "2 pictures from this session." in artist_html
    assert 'alt="The park"' in artist_html
    assert gallery_url(world.session) in artist_html
    assert reverse("artwork:upload", args=[world.session.pk]) in artist_html
    assert reverse("artwork:upload", args=[world.session.pk]) not in coordinator_html
    assert gallery_url(world.session) in coordinator_html


def test_programme_panel_counts_and_links(client, world):
    for session in world.programme.sessions.all()[:2]:
        make_artwork(session)

    html = signed_in(client, world).get(reverse("events:programme_detail", args=[world.programme.pk]))

    assert "2 pictures drawn at the workshops." in html.content.decode()
    assert reverse("artwork:programme_gallery", args=[world.programme.pk]) in html.content.decode()


@pytest.mark.parametrize("page", ["events:session_detail", "events:programme_detail"])
def test_panel_query_count_does_not_grow_with_the_pictures(client, world, page, django_assert_num_queries):
    pk = world.session.pk if page == "events:session_detail" else world.programme.pk
    signed_in(client, world)
    make_artwork(world.session)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse(page, args=[pk]))
    for _ in range(10):
        make_artwork(world.session, artist=world.user("artist"))

    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse(page, args=[pk]))


def test_team_gallery_service_orders_pinned_first_then_position(world):
    session = SessionFactory(programme=world.programme, order=9, venue=world.venue)
    late = make_artwork(session, position=5)
    early = make_artwork(session, position=1)
    pinned = make_artwork(session, position=9, pinned=True)

    assert list(gallery.team_gallery(session=session)) == [pinned, early, late]
