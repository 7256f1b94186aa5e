"""An artist uploads three pictures from the session page, says what one shows, and the gallery shows them
with their words as alternative text; axe on every page on the way and on the open viewer. Also the
viewer by keyboard alone. The image task runs inline here."""

import io

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from artwork.enums import ImageState
from artwork.models import Artwork
from tests.artwork.pictures import make_artwork

from .conftest import assert_accessible, sign_in


@pytest.fixture(autouse=True)
def _eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def picture(tmp_path, name: str, colour: str):
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def thumbnail_alts(page) -> list[str]:
    return page.locator("a.gallery-thumb img").evaluate_all("images => images.map(image => image.alt)")


def test_artist_uploads_three_pictures_and_describes_one(page, live_server, world, tmp_path):
    artist = world.user("artist")
    artist.first_name, artist.last_name = "Sam", "Okafor"
    artist.save()
    files = [picture(tmp_path, f"{name}.jpg", name) for name in ("teal", "orange", "purple")]
    sign_in(page, live_server, artist)

    page.goto(live_server.url + reverse("events:session_detail", args=[world.session.pk]))
    expect(page.get_by_role("heading", name="Pictures")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Add pictures").click()
    expect(page.get_by_role("heading", name="Add pictures", level=1)).to_be_visible()
    assert_accessible(page)
    page.locator("#id_images").set_input_files(files)
    # With JavaScript each file is sent as soon as it is chosen, with its progress shown.
    expect(page.locator("#upload-summary")).to_contain_text("3 saved", timeout=30_000)
    page.get_by_role("link", name="Say what each picture shows").first.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Pictures from session 1")
    expect(page.locator("a.gallery-thumb img")).to_have_count(3, timeout=20_000)
    assert Artwork.objects.filter(session=world.session, state=ImageState.READY).count() == 3
    assert thumbnail_alts(page) == ["Picture by Sam Okafor, not described yet"] * 3
    expect(page.get_by_text("Say what this shows")).to_have_count(3)
    assert_accessible(page)

    page.get_by_role("link", name="Say what it shows").first.click()
    expect(page.get_by_role("heading", name="Say what the picture shows")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Title").fill("Where children play")
    page.get_by_label("What it shows").fill(
        "The park, the school field and the library garden, joined by safe paths."
    )
    page.get_by_label("Themes").fill("Play  space, safe streets")
    page.get_by_label("People taking part").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Saved. Thank you for saying what the picture shows.")).to_be_visible()
    described = "The park, the school field and the library garden, joined by safe paths."
    assert thumbnail_alts(page) == [described] + ["Picture by Sam Okafor, not described yet"] * 2
    expect(page.get_by_role("link", name="Play space")).to_be_visible()
    assert_accessible(page)

    # The viewer: the picture large, its words as a visible caption.
    page.locator("a.gallery-thumb").first.click()
    viewer = page.get_by_role("dialog", name="Where children play")
    expect(viewer).to_be_visible()
    expect(viewer.locator("figcaption")).to_have_text(described)
    expect(viewer.get_by_role("button", name="Close the picture")).to_be_focused()
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()

    # Without the viewer: the picture's own page.
    first = Artwork.objects.get(description=described)
    page.goto(live_server.url + reverse("artwork:detail", args=[first.pk]))
    expect(page.get_by_role("img", name=described)).to_be_visible()
    assert_accessible(page)


def test_the_viewer_works_with_the_keyboard_alone(page, live_server, world):
    for number, colour in enumerate(("teal", "orange", "purple"), start=1):
        make_artwork(
            world.session,
            title=f"Picture {number}",
            description=f"What picture {number} shows",
            colour=colour,
        )
    sign_in(page, live_server, world.user("coordinator"))
    page.goto(live_server.url + reverse("artwork:session_gallery", args=[world.session.pk]))
    thumbs = page.locator("a.gallery-thumb")

    thumbs.first.focus()
    page.keyboard.press("Enter")

    viewer = page.get_by_role("dialog")
    expect(viewer).to_be_visible()
    expect(viewer.get_by_role("heading", name="Picture 1")).to_be_visible()
    expect(viewer.get_by_role("button", name="Previous picture")).to_be_disabled()
    expect(page.locator("#viewer-position")).to_have_text("Picture 1 of 3")
    focused = page.evaluate("document.activeElement.closest('dialog') !== null")
    assert focused, "focus moved into the viewer"

    page.keyboard.press("ArrowRight")
    expect(viewer.get_by_role("heading", name="Picture 2")).to_be_visible()
    expect(viewer.locator("figcaption")).to_have_text("What picture 2 shows")
    expect(viewer.get_by_role("img", name="What picture 2 shows")).to_be_visible()

    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # already the last: stays there
    expect(viewer.get_by_role("heading", name="Picture 3")).to_be_visible()
    expect(viewer.get_by_role("button", name="Next picture")).to_be_disabled()
    page.keyboard.press("ArrowLeft")
    expect(viewer.get_by_role("heading", name="Picture 2")).to_be_visible()

    # The buttons work from the keyboard too, and the focus stays visible on them.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('dialog') !== null")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"

    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    # Focus comes back to the thumbnail of the picture shown last.
    expect(thumbs.nth(1)).to_be_focused()


def test_suggested_themes_can_be_added_with_a_click(page, live_server, world):
    from artwork.services.themes import set_themes

    set_themes(artwork=make_artwork(world.session), names=["Play space", "Safe streets"])
    artwork = make_artwork(world.session, artist=world.user("artist"), description="")
    sign_in(page, live_server, world.user("artist"))
    page.goto(live_server.url + reverse("artwork:edit", args=[artwork.pk]))
    themes = page.get_by_label("Themes")
    themes.fill("reading")

    page.get_by_role("button", name="Add “Play space”").click()
    page.get_by_role("button", name="Add “Play space”").click()  # only once

    expect(themes).to_have_value("reading, Play space")
    assert_accessible(page)

    # Sharing a picture of people who have not agreed is refused beside the field.
    page.get_by_label("What it shows").fill("Three parents at the table, laughing.")
    page.get_by_label("People can be recognised in it").check()
    page.get_by_label("Everyone").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("have not agreed to it being shared", exact=False).first).to_be_visible()
    assert_accessible(page)
    artwork.refresh_from_db()
    assert artwork.description == ""
