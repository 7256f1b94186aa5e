"""What people outside the team may see: the participants' gallery from a reply link and the public page.
Pictures kept for the team, not yet described, not ready, or showing people who have not agreed never
show there, and guessing an image's address does not get round that."""

import re

import pytest
from django.urls import reverse

from artwork.enums import ImageState, Visibility
from artwork.services.themes import set_themes
from events import services as events_services
from invitations.services.emails import issue_reply_link
from invitations.services.replies import save_reply
from tests.factories import InvitationFactory

from .pictures import make_artwork


def token_for(invitation) -> str:
    reply_url, _unsubscribe = issue_reply_link(invitation=invitation)
    return reply_url.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def token(world):
    return token_for(InvitationFactory(programme=world.programme))


def alts(html: str) -> list[str]:
    return re.findall(r'<img src="[^"]+" alt="([^"]*)" loading="lazy">', html)


def participant_gallery(client, token, **params):
    return client.get(reverse("artwork:participant_gallery", args=[token]), params)


def public_gallery(client, world, **params):
    return client.get(reverse("artwork:public_gallery", args=[world.programme.pk]), params)


# Every kind of picture that must stay with the team, whatever its visibility says.
HIDDEN = {
    "team only": {"visibility": Visibility.TEAM},
    "not described": {"description": "", "visibility": Visibility.EVERYONE},
    "people who did not agree": {
        "shows_people": True,
        "people_agreed": False,
        "visibility": Visibility.EVERYONE,
    },
    "being prepared": {"state": ImageState.PROCESSING, "visibility": Visibility.EVERYONE},
    "failed": {"state": ImageState.FAILED, "visibility": Visibility.EVERYONE},
}


@pytest.fixture
def pictures(world):
    made = {
        "everyone": make_artwork(world.session, description="For everyone", visibility=Visibility.EVERYONE),
        "participants": make_artwork(
            world.session, description="For people taking part", visibility=Visibility.PARTICIPANTS
        ),
        "agreed": make_artwork(
            world.session,
            description="People who agreed",
            shows_people=True,
            people_agreed=True,
            visibility=Visibility.EVERYONE,
        ),
    }
    for name, fields in HIDDEN.items():
        made[name] = make_artwork(world.session, **{"description": f"Hidden: {name}", **fields})
    return made


def test_participants_see_pictures_shared_with_them_and_with_everyone(client, world, token, pictures):
    response = participant_gallery(client, token)

    assert response.status_code == 200
    assert alts(response.content.decode()) == ["For everyone", "For people taking part", "People who agreed"]


def test_everyone_sees_only_pictures_shared_with_everyone(client, world, pictures):
    response = public_gallery(client, world)

    assert response.status_code == 200
    assert alts(response.content.decode()) == ["For everyone", "People who agreed"]
    assert "Hidden" not in response.content.decode()


def test_the_participants_gallery_is_a_private_token_page(client, token, pictures):
    response = participant_gallery(client, token)

    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]


@pytest.mark.parametrize("bad", ["not-a-token", "x" * 500, "%00"])
def test_an_unknown_token_is_not_found(client, pictures, bad):
    response = client.get(f"/r/{bad}/pictures/")

    assert response.status_code == 404
    assert "Hidden" not in response.content.decode()


def test_the_shared_galleries_filter_by_theme_without_leaking_team_themes(client, world, token, pictures):
    set_themes(artwork=pictures["everyone"], names=["Play space"])
    set_themes(artwork=pictures["team only"], names=["Secret plans"])

    html = public_gallery(client, world, theme="play space").content.decode()

    assert alts(html) == ["For everyone"]
    assert "Secret plans" not in html
    assert "Secret plans" not in participant_gallery(client, token).content.decode()


def test_the_shared_gallery_of_an_unknown_programme_is_not_found(client, db):
    assert client.get(reverse("artwork:public_gallery", args=[999999])).status_code == 404


# --- Guessing image addresses ------------------------------------------------------------------------


def public_image(client, artwork, size="display"):
    return client.get(reverse("artwork:public_image", args=[artwork.pk, size]))


def participant_image(client, token, artwork, size="display"):
    return client.get(reverse("artwork:participant_image", args=[token, artwork.pk, size]))


@pytest.mark.parametrize("hidden", list(HIDDEN))
def test_guessing_the_image_of_a_hidden_picture_finds_nothing(client, token, pictures, hidden):
    for size in ("display", "thumbnail", "original"):
        assert public_image(client, pictures[hidden], size).status_code == 404, size
        assert participant_image(client, token, pictures[hidden], size).status_code == 404, size


def test_a_picture_for_people_taking_part_is_not_public(client, token, pictures):
    assert public_image(client, pictures["participants"]).status_code == 404
    assert participant_image(client, token, pictures["participants"]).status_code == 200


def test_shared_images_come_in_display_and_thumbnail_sizes_but_never_the_original(client, token, pictures):
    shared = pictures["everyone"]
    for size in ("display", "thumbnail"):
        response = public_image(client, shared, size)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert "private" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert participant_image(client, token, shared, size).status_code == 200

    assert public_image(client, shared, "original").status_code == 404
    assert participant_image(client, token, shared, "original").status_code == 404


def test_a_participant_token_opens_no_picture_of_another_programme(client, world, token, pictures):
    other = events_services.create_programme(
        neighbourhood=world.other_neighbourhood,
        title="Elsewhere",
        key_question="?",
        first_date=world.session.date,
        venue=None,
        created_by=world.user("other_facilitator"),
    )
    theirs = make_artwork(other.sessions.first(), description="Elsewhere", visibility=Visibility.PARTICIPANTS)
    their_token = token_for(InvitationFactory(programme=other))

    assert participant_image(client, token, theirs).status_code == 404
    assert participant_image(client, their_token, pictures["participants"]).status_code == 404
    assert participant_image(client, their_token, theirs).status_code == 200
    assert "Elsewhere" not in participant_gallery(client, token).content.decode()


def test_a_participant_image_with_an_unknown_token_is_not_found(client, pictures):
    response = client.get(
        reverse("artwork:participant_image", args=["made-up", pictures["everyone"].pk, "display"])
    )

    assert response.status_code == 404
    assert response["Referrer-Policy"] == "same-origin"


def test_a_picture_stops_showing_as_soon_as_it_is_kept_for_the_team(client, world, token, pictures):
    shared = pictures["everyone"]
    shared.visibility = Visibility.TEAM
    shared.save()

    assert public_image(client, shared).status_code == 404
    assert participant_image(client, token, shared).status_code == 404
    assert "For everyone" not in public_gallery(client, world).content.decode()


def test_gallery_images_work_for_the_token_holder(client, token, pictures):
    html = participant_gallery(client, token).content.decode()
    sources = re.findall(r'<img src="([^"]+)" alt=', html)

    assert sources
    for source in sources:
        assert source.startswith(f"/r/{token}/pictures/")
        assert client.get(source).status_code == 200


@pytest.mark.parametrize("where", ["public", "participants"])
def test_shared_gallery_query_count_does_not_grow_with_the_pictures(
    client, world, token, where, django_assert_num_queries
):
    def open_gallery():
        if where == "public":
            return public_gallery(client, world)
        return participant_gallery(client, token)

    def add(count):
        for number in range(count):
            artwork = make_artwork(world.session, artist=world.user("artist"), description=f"Shared {number}")
            set_themes(artwork=artwork, names=[f"Theme {number}"])

    add(1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        open_gallery()
    add(19)
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(alts(open_gallery().content.decode())) == 20


# --- The link on the reply thank-you page ---------------------------------------------------------------


def thanks_page(client, world, token):
    from invitations.services.replies import find_invitation

    save_reply(invitation=find_invitation(token=token), answers={world.session.pk: "yes"}, details={})
    return client.get(reverse("invitations:reply_thanks", args=[token])).content.decode()


def test_thank_you_page_links_to_the_pictures_once_there_are_some(client, world, token, pictures):
    html = thanks_page(client, world, token)

    assert "See the pictures from the workshops" in html
    assert reverse("artwork:participant_gallery", args=[token]) in html


@pytest.mark.parametrize("hidden", list(HIDDEN))
def test_thank_you_page_has_no_link_when_nothing_is_shared(client, world, token, hidden):
    make_artwork(world.session, **{"description": "Hidden", **HIDDEN[hidden]})

    assert "See the pictures from the workshops" not in thanks_page(client, world, token)


def test_the_participants_gallery_stays_open_after_the_programme_has_finished(client, world, token, pictures):
    from events.enums import ProgrammeStatus

    world.programme.status = ProgrammeStatus.FINISHED
    world.programme.save()

    response = participant_gallery(client, token)

    assert response.status_code == 200
    assert "For people taking part" in response.content.decode()


def test_the_participants_gallery_is_rate_limited(client, settings, token):
    settings.RATE_LIMIT_PER_MINUTE = 2

    statuses = [participant_gallery(client, token).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_participant_images_have_a_larger_allowance_of_their_own(client, settings, token, pictures):
    settings.RATE_LIMIT_PER_MINUTE = 1
    shared = pictures["everyone"]

    statuses = [participant_image(client, token, shared, "thumbnail").status_code for _ in range(11)]

    assert statuses == [200] * 10 + [429]
    assert participant_gallery(client, token).status_code == 200  # counted apart from the pages


def test_the_finished_page_of_a_reply_link_leads_to_the_pictures(client, world, token, pictures):
    from events.enums import ProgrammeStatus

    world.programme.status = ProgrammeStatus.FINISHED
    world.programme.save()

    response = client.get(reverse("invitations:reply", args=[token]))

    assert response.status_code == 410
    assert reverse("artwork:participant_gallery", args=[token]) in response.content.decode()
