"""An artist on a phone-sized screen adds three pictures through the enhanced upload page. The first
request for one of them reaches the server but its answer is lost (the connection drops), so the page
sends it again with the same upload_key: all three end up saved exactly once. Axe on the page after."""

import io

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from artwork.enums import ImageState
from artwork.models import Artwork

from .conftest import PHONE, assert_accessible, sign_in


@pytest.fixture(autouse=True)
def _eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def jpeg(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def test_artist_uploads_three_pictures_on_a_phone_through_a_dropped_connection(phone, live_server, world):
    session = world.session
    sign_in(phone, live_server, world.user("artist"))
    one_url = reverse("artwork:upload_file", args=[session.pk])
    dropped = []

    def lose_the_first_answer(route):
        body = route.request.post_data_buffer or b""
        if b'filename="circle.jpg"' in body and not dropped:
            route.fetch()  # the server gets it and saves it...
            dropped.append(True)
            route.abort("connectionreset")  # ...but the answer never comes back
        else:
            route.continue_()

    phone.route(f"**{one_url}", lose_the_first_answer)
    phone.goto(live_server.url + reverse("artwork:upload", args=[session.pk]))
    expect(phone.get_by_role("heading", name="Add pictures", level=1)).to_be_visible()
    expect(phone.get_by_text("On a laptop you can also drag pictures here.")).to_be_visible()
    expect(phone.get_by_role("button", name="Add the pictures")).to_be_hidden()

    phone.get_by_label("Choose pictures").set_input_files(
        [
            {"name": "tree.jpg", "mimeType": "image/jpeg", "buffer": jpeg("green")},
            {"name": "circle.jpg", "mimeType": "image/jpeg", "buffer": jpeg("orange")},
            {"name": "river.jpg", "mimeType": "image/jpeg", "buffer": jpeg("blue")},
        ]
    )

    expect(phone.locator("#upload-summary")).to_have_text(
        "Finished: 3 saved, 0 could not be used.", timeout=20_000
    )
    for name in ("tree.jpg", "circle.jpg", "river.jpg"):
        expect(phone.locator("#upload-list").get_by_text(f"{name} is saved.", exact=True)).to_be_visible()
        expect(phone.get_by_role("progressbar", name=f"Sending {name}")).to_have_attribute("value", "100")
    expect(phone.locator("#upload-announcer")).to_have_text("Finished: 3 saved, 0 could not be used.")
    link = phone.get_by_role("link", name="Say what each picture shows")
    expect(link).to_be_visible()
    assert dropped == [True]
    names = sorted(Artwork.objects.filter(session=session).values_list("original_name", flat=True))
    assert names == ["circle.jpg", "river.jpg", "tree.jpg"]
    assert set(Artwork.objects.values_list("state", flat=True)) == {ImageState.READY}
    # Touch-sized: the file choosers and the next step are at least 44 px tall.
    for control in (phone.get_by_label("Choose pictures"), phone.get_by_label("Or take a photo"), link):
        assert control.bounding_box()["height"] >= 44
    assert_accessible(phone)


def test_a_refused_file_is_named_and_not_retried(phone, live_server, world):
    session = world.session
    sign_in(phone, live_server, world.user("artist"))
    one_url = reverse("artwork:upload_file", args=[session.pk])
    requests = []
    phone.on("request", lambda request: requests.append(request) if one_url in request.url else None)
    phone.goto(live_server.url + reverse("artwork:upload", args=[session.pk]))

    phone.get_by_label("Choose pictures").set_input_files(
        [{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"a shopping list, not a picture"}]
    )

    expect(phone.locator("#upload-summary")).to_have_text(
        "Finished: 0 saved, 1 could not be used.", timeout=20_000
    )
    expect(phone.locator("#upload-list")).to_contain_text("notes.jpg is not a picture we can use")
    expect(phone.get_by_role("link", name="Say what each picture shows")).to_be_hidden()
    assert len(requests) == 1
    assert not Artwork.objects.exists()
    assert_accessible(phone)


def test_without_the_script_the_plain_form_saves_the_good_and_names_the_bad(browser, live_server, world):
    # upload.js never arrives (blocked), so the page works as it does without JavaScript; the browser's
    # JavaScript stays on only so that axe can run.
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.route("**/js/upload.js", lambda route: route.abort())
    sign_in(page, live_server, world.user("artist"))
    page.goto(live_server.url + reverse("artwork:upload", args=[world.session.pk]))

    page.get_by_label("Choose pictures").set_input_files(
        [
            {"name": "tree.jpg", "mimeType": "image/jpeg", "buffer": jpeg("green")},
            {"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"a shopping list, not a picture"},
        ]
    )
    page.get_by_role("button", name="Add the pictures").click()

    expect(page.get_by_role("heading", name="What happened to your pictures")).to_be_visible()
    expect(page.get_by_text("1 picture saved:")).to_be_visible()
    expect(page.get_by_text("notes.jpg is not a picture we can use", exact=False)).to_be_visible()
    expect(page.get_by_role("link", name="Say what each picture shows")).to_be_visible()
    assert list(Artwork.objects.values_list("original_name", flat=True)) == ["tree.jpg"]
    assert_accessible(page)
    context.close()
