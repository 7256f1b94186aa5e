"""Saying what a picture shows, its themes and who may see it: the services and the edit page, with bad
input tested as carefully as good."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from artwork.enums import Visibility
from artwork.models import Artwork, Theme
from artwork.services.gallery import describe_artwork
from artwork.services.themes import parse_themes, programme_theme_names, set_themes, theme_key

from .pictures import make_artwork

# --- Themes ----------------------------------------------------------------------------------------------


def test_parse_themes_tidies_and_keeps_each_theme_once():
    assert parse_themes(" Play  space, play space ,Reading;  feeling listened to\nPLAY SPACE,, ") == [
        "Play space",
        "Reading",
        "feeling listened to",
    ]


def test_parse_themes_of_nothing_is_no_themes():
    assert parse_themes("") == []
    assert parse_themes(" , ;\n ") == []


def test_parse_themes_refuses_more_than_twelve():
    with pytest.raises(ValidationError) as error:
        parse_themes(", ".join(f"theme {n}" for n in range(100)))

    assert "at most 12 themes (you gave 100)" in error.value.messages[0]


def test_parse_themes_refuses_a_theme_too_long_and_names_it():
    with pytest.raises(ValidationError) as error:
        parse_themes("short, " + "x" * 500)

    assert error.value.messages == [
        f"“{'x' * 40}…” is too long for a theme: please keep each one to 60 characters."
    ]


def test_parse_themes_accepts_twelve_themes_of_sixty_characters():
    names = [f"{n:02d}" + "y" * 58 for n in range(12)]

    assert parse_themes(",".join(names)) == names


def test_theme_key_ignores_case_and_spacing():
    assert theme_key("  Play \t Space ") == theme_key("play space") == "play space"


def test_differently_written_themes_are_one_theme_across_pictures(world):
    first = make_artwork(world.session)
    second = make_artwork(world.session)

    set_themes(artwork=first, names=["Play  space"])
    set_themes(artwork=second, names=["play space"])

    theme = Theme.objects.get()
    assert theme.name == "Play space"  # the first spelling stays
    assert list(second.themes.all()) == [theme]
    assert programme_theme_names(programme=world.programme) == ["Play space"]


def test_themes_are_kept_per_programme(world):
    from events import services as events_services

    elsewhere = events_services.create_programme(
        neighbourhood=world.other_neighbourhood,
        title="Elsewhere",
        key_question="?",
        first_date=world.session.date,
        venue=None,
        created_by=world.user("other_facilitator"),
    )
    set_themes(artwork=make_artwork(elsewhere.sessions.first()), names=["Secret plans"])

    assert programme_theme_names(programme=world.programme) == []


# --- describe_artwork ----------------------------------------------------------------------------------


def describe(artwork, **changes):
    values = {
        "title": "Our map",
        "description": "The park, the library and the school, joined by safe paths.",
        "themes": ["Play space"],
        "shows_people": False,
        "people_agreed": False,
        "visibility": Visibility.PARTICIPANTS,
        "by": None,
        **changes,
    }
    return describe_artwork(artwork=artwork, **values)


def test_describe_artwork_saves_the_words_themes_and_visibility(world):
    artwork = make_artwork(
        world.session, artist=world.user("artist"), description="", visibility=Visibility.TEAM
    )

    describe(artwork, by=world.user("artist"))

    artwork.refresh_from_db()
    assert artwork.description == "The park, the library and the school, joined by safe paths."
    assert artwork.visibility == Visibility.PARTICIPANTS
    assert [theme.name for theme in artwork.themes.all()] == ["Play space"]


@pytest.mark.parametrize("role", ["coordinator", "other_facilitator"])
def test_describe_artwork_refuses_someone_who_may_not_change_it(world, role):
    artwork = make_artwork(world.session, description="Before")

    with pytest.raises(PermissionDenied):
        describe(artwork, by=world.user(role))

    artwork.refresh_from_db()
    assert artwork.description == "Before"


def test_describe_artwork_refuses_sharing_people_who_have_not_agreed(world):
    artwork = make_artwork(world.session, description="", visibility=Visibility.TEAM)

    with pytest.raises(ValidationError) as error:
        describe(artwork, shows_people=True, people_agreed=False, visibility=Visibility.EVERYONE)

    assert "visibility" in error.value.message_dict
    artwork.refresh_from_db()
    assert artwork.description == "" and artwork.visibility == Visibility.TEAM


def test_describe_artwork_keeps_people_who_have_not_agreed_with_the_team(world):
    artwork = make_artwork(world.session)

    describe(artwork, shows_people=True, people_agreed=False, visibility=Visibility.TEAM)

    artwork.refresh_from_db()
    assert artwork.visibility == Visibility.TEAM


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "   \n "}, "description"),
        ({"description": "x" * 5000}, "description"),
        ({"title": "t" * 121}, "title"),
        ({"themes": [f"t{n}" for n in range(100)]}, "themes"),
        ({"themes": ["x" * 500]}, "themes"),
        ({"visibility": "the whole world"}, "visibility"),
    ],
)
def test_describe_artwork_refuses_bad_input_and_saves_nothing(world, changes, field):
    artwork = make_artwork(world.session, description="Before", title="Before")

    with pytest.raises(ValidationError) as error:
        describe(artwork, **changes)

    assert field in error.value.message_dict
    artwork.refresh_from_db()
    assert artwork.description == "Before" and artwork.title == "Before"
    assert not Theme.objects.exists()


# --- The edit page -------------------------------------------------------------------------------------


def edit_url(artwork) -> str:
    return reverse("artwork:edit", args=[artwork.pk])


def form_data(**changes) -> dict:
    return {
        "title": "Our map",
        "description": "The park, the library and the school, joined by safe paths.",
        "themes": "Play  space, reading",
        "visibility": Visibility.PARTICIPANTS,
        **changes,
    }


def test_edit_page_suggests_the_programmes_themes(client, world):
    set_themes(artwork=make_artwork(world.session), names=["Play space", "Feeling listened to"])
    artwork = make_artwork(world.session, artist=world.user("artist"), description="")
    client.force_login(world.user("artist"))

    html = client.get(edit_url(artwork)).content.decode()

    assert "read out to people who cannot see the picture" in html
    assert "At most 2,000 characters" in html
    assert 'data-theme="Play space"' in html and 'data-theme="Feeling listened to"' in html
    assert 'maxlength="2000"' in html


def test_edit_page_starts_from_what_was_said_before(client, world):
    artwork = make_artwork(
        world.session,
        title="Our map",
        description="The park & the library",
        shows_people=True,
        people_agreed=True,
        visibility=Visibility.PARTICIPANTS,
    )
    set_themes(artwork=artwork, names=["Play space", "Reading"])
    client.force_login(world.user("facilitator"))

    form = client.get(edit_url(artwork)).context["form"]

    assert form["title"].value() == "Our map"
    assert form["description"].value() == "The park & the library"
    assert form["themes"].value() == "Play space, Reading"
    assert form["shows_people"].value() and form["people_agreed"].value()
    assert form["visibility"].value() == Visibility.PARTICIPANTS


def test_editing_saves_and_goes_back_to_the_gallery(client, world):
    artwork = make_artwork(world.session, artist=world.user("artist"), description="")
    client.force_login(world.user("artist"))

    response = client.post(edit_url(artwork), form_data())

    assert response.status_code == 302
    assert response["Location"].endswith(f"#artwork-{artwork.pk}")
    artwork.refresh_from_db()
    assert artwork.description.startswith("The park")
    assert sorted(theme.name for theme in artwork.themes.all()) == ["Play space", "reading"]


def errors_beside(html: str, field: str) -> str:
    """The error crispy forms shows after ``field``'s input, before the next field begins."""
    start = html.index(f'name="{field}"')
    rest = html[start:]
    feedback = rest.index("invalid-feedback")
    others = [f'name="{name}"' for name in ("title", "description", "themes", "shows_people", "visibility")]
    assert not any(other in rest[:feedback] for other in others if other != f'name="{field}"'), field
    return rest[feedback : feedback + 500]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"description": ""}, "description", "Please say what the picture shows"),
        ({"description": "  "}, "description", "Please say what the picture shows"),
        ({"description": "d" * 5000}, "description", "at most 2000 characters"),
        ({"themes": ", ".join(f"t{n}" for n in range(100))}, "themes", "at most 12 themes (you gave 100)"),
        ({"themes": "x" * 500}, "themes", "is too long for a theme"),
        (
            {"shows_people": "on", "visibility": Visibility.EVERYONE},
            "visibility",
            "have not agreed to it being shared",
        ),
        ({"visibility": "world"}, "visibility", "Select a valid choice"),
    ],
)
def test_editing_with_bad_input_shows_the_error_beside_the_field_and_saves_nothing(
    client, world, changes, field, message
):
    artwork = make_artwork(world.session, artist=world.user("artist"), description="Before")
    client.force_login(world.user("facilitator"))

    response = client.post(edit_url(artwork), form_data(**changes))

    assert response.status_code == 200
    html = response.content.decode()
    assert message in errors_beside(html, field)
    artwork.refresh_from_db()
    assert artwork.description == "Before"
    assert not Theme.objects.exists()


def test_sharing_people_who_agreed_is_allowed(client, world):
    artwork = make_artwork(world.session, description="")
    client.force_login(world.user("facilitator"))

    client.post(edit_url(artwork), form_data(shows_people="on", people_agreed="on", visibility="everyone"))

    artwork.refresh_from_db()
    assert artwork.visibility == Visibility.EVERYONE
    assert artwork.shows_people and artwork.people_agreed


@pytest.mark.parametrize("role", ["coordinator", "other_facilitator", "other_coordinator"])
def test_editing_is_refused_to_those_who_may_not_change_it(client, world, role):
    artwork = make_artwork(world.session, description="Before")
    client.force_login(world.user(role))

    assert client.post(edit_url(artwork), form_data()).status_code == 403
    assert Artwork.objects.get(pk=artwork.pk).description == "Before"
