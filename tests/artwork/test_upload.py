"""The upload page (artwork:upload, the plain form that works without JavaScript) and the one-file JSON
endpoint upload.js calls (artwork:upload_file): every bad file from the issue goes through the real
views, and after each nothing half-written is left on disk or in the database."""

import io
import resource
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from artwork.enums import ImageState
from artwork.models import Artwork
from tests.factories import UserFactory

from .test_pipeline import (
    heic_header,
    image_bytes,
    photo_with_gps_and_orientation,
    png_chunk,
    png_with_chunk_before_data,
    stored_files,
)

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def artist_client(client, world):
    client.force_login(world.user("artist"))
    return client


def page_url(world) -> str:
    return reverse("artwork:upload", args=[world.session.pk])


def one_url(world) -> str:
    return reverse("artwork:upload_file", args=[world.session.pk])


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def noisy_jpeg(size=(400, 300)) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def png_bomb(side: int = 20000) -> bytes:
    """A 1-bit PNG of side × side pixels, all black, compressed to well under a megabyte: decoded it
    would take side² bytes (400 MB), and three times that as RGB."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")
    )


def strip_png(width: int = 1, height: int = 100000) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 128).save(buffer, "PNG")
    return buffer.getvalue()


def text_of(response) -> str:
    return response.content.decode().replace("\xa0", " ").replace("&#x27;", "'").replace("&nbsp;", " ")


def assert_nothing_left(settings) -> None:
    assert Artwork.objects.count() == 0
    assert stored_files(settings.MEDIA_ROOT) == []


def test_page_offers_the_files_the_camera_and_who_drew_them(artist_client, world):
    response = artist_client.get(page_url(world))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="images" multiple accept="image/jpeg,image/png,image/webp"' in html
    assert 'capture="environment"' in html
    assert response.context["form"]["artist"].value() == world.user("artist").pk
    assert 'src="/static/js/upload.js"' in html


def test_facilitator_is_not_preselected_as_the_artist(client, world):
    client.force_login(world.user("facilitator"))

    response = client.get(page_url(world))

    assert response.context["form"]["artist"].value() is None


def test_plain_form_saves_a_photo_and_says_so(artist_client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = artist_client.post(
            page_url(world),
            {"images": [upload("IMG_0001.jpg", photo_with_gps_and_orientation())], "artist": ""},
        )

    assert response.status_code == 200
    assert response.context["saved"] == ["IMG_0001.jpg"]
    assert "Say what each picture shows" in response.content.decode()
    artwork = Artwork.objects.get()
    assert artwork.state == ImageState.READY
    assert artwork.uploaded_by == world.user("artist")
    assert artwork.artist is None


def test_plain_form_records_who_drew_it(artist_client, world):
    artist = world.user("artist")

    artist_client.post(page_url(world), {"images": [upload("a.jpg", image_bytes())], "artist": artist.pk})

    assert Artwork.objects.get().artist == artist


def test_plain_form_without_files_asks_for_one(artist_client, world):
    response = artist_client.post(page_url(world), {"artist": ""})

    assert "Please choose at least one picture." in response.content.decode()
    assert Artwork.objects.count() == 0


def test_someone_not_drawing_at_the_session_cannot_be_named_as_its_artist(client, world, settings):
    client.force_login(world.user("facilitator"))

    response = client.post(
        one_url(world), {"image": upload("a.jpg", image_bytes()), "artist": world.user("coordinator").pk}
    )

    assert response.status_code == 400
    assert_nothing_left(settings)


BAD_FILES = [
    (
        "notes.jpg",
        lambda: b"Shopping list: milk, eggs, bread.\n" * 20,
        "notes.jpg is not a picture we can use",
    ),
    ("half.jpg", lambda: noisy_jpeg()[:3000], "half.jpg seems to be damaged or incomplete"),
    ("strip.png", strip_png, "strip.png is 1 × 100000 pixels: a thin strip"),
    (
        "drawing.svg",
        lambda: (
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)'
            b"</script><circle r='5'/></svg>"
        ),
        "drawing.svg is not a picture we can use: it is a drawing file (SVG)",
    ),
    (
        "chatty.png",
        lambda: png_with_chunk_before_data(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"x" * (40 * MB))),
        "chatty.png carries too much hidden text",
    ),
    ("IMG_0001.HEIC", heic_header, "IMG_0001.HEIC is an iPhone HEIC photo"),
    (
        "huge.jpg",
        lambda: b"\xff\xd8\xff" + b"\x00" * (60 * MB),
        "huge.jpg is 60.0 MB. Please choose an image smaller than 25.0 MB.",
    ),
]


@pytest.mark.parametrize(("name", "make", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_gets_a_named_message_from_the_endpoint_and_nothing_is_kept(
    artist_client, world, settings, name, make, message
):
    response = artist_client.post(one_url(world), {"image": upload(name, make()), "upload_key": "k1"})

    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert message in response.json()["message"].replace("\xa0", " ")
    assert_nothing_left(settings)


@pytest.mark.parametrize(("name", "make", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_gets_a_named_message_from_the_plain_form_and_nothing_is_kept(
    artist_client, world, settings, name, make, message
):
    response = artist_client.post(page_url(world), {"images": [upload(name, make())], "artist": ""})

    assert response.status_code == 200
    assert [message in refusal.replace("\xa0", " ") for refusal in response.context["refused"]] == [True]
    assert message in text_of(response)
    assert_nothing_left(settings)


def test_heic_message_says_which_formats_work(artist_client, world):
    response = artist_client.post(
        one_url(world), {"image": upload("IMG_0001.HEIC", heic_header(), "image/heic")}
    )

    text = response.json()["message"]
    assert "JPEG, PNG or WebP" in text and "Most Compatible" in text


@pytest.mark.parametrize(
    ("side", "message"),
    [
        # Over 2 × Image.MAX_IMAGE_PIXELS: Pillow itself refuses it while reading the header.
        (20000, "mural.png has far too many pixels"),
        # Under Pillow's limit but over our 40 megapixels: our own check of the header refuses it.
        (8000, "mural.png is 8000 × 8000 pixels, which is too large"),
    ],
)
def test_decompression_bomb_is_refused_from_its_header_with_memory_bounded(
    artist_client, world, settings, side, message
):
    bomb = png_bomb(side)
    assert len(bomb) < MB
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux

    response = artist_client.post(one_url(world), {"image": upload("mural.png", bomb, "image/png")})

    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert grown_mb < 100, f"the process grew by {grown_mb:.0f} MB"
    assert_nothing_left(settings)


def test_sixty_megabytes_are_not_all_kept_while_the_request_is_read(rf, world):
    from artwork.views.upload import CappedUploadHandler

    handler = CappedUploadHandler(limit=25 * MB)
    handler.new_file("image", "huge.jpg", "image/jpeg", 60 * MB)
    chunk = b"\x00" * MB
    for start in range(0, 60 * MB, MB):
        handler.receive_data_chunk(chunk, start)
    kept = handler.file_complete(60 * MB)

    assert kept.size == 60 * MB  # its true size, for the message
    assert kept.file.tell() <= 26 * MB  # but no more than the limit (and a chunk) was written
    kept.close()


def test_large_plain_text_chunk_is_dropped_and_the_picture_kept(artist_client, world):
    content = png_with_chunk_before_data(b"tEXt", b"Comment\x00" + b"x" * (5 * MB))

    response = artist_client.post(one_url(world), {"image": upload("notes.png", content, "image/png")})

    assert response.status_code == 201
    artwork = Artwork.objects.get()
    with open(artwork.original.path, "rb") as stored:
        assert b"xxxx" not in stored.read()


def test_ten_files_two_bad_saves_eight_and_names_the_two(
    artist_client, world, settings, django_capture_on_commit_callbacks
):
    files = [upload(f"drawing-{n}.jpg", image_bytes(colour=(20 * n, 100, 150))) for n in range(8)]
    files.insert(3, upload("notes.jpg", b"not a picture at all"))
    files.insert(7, upload("IMG_0002.HEIC", heic_header()))

    with django_capture_on_commit_callbacks(execute=True):
        response = artist_client.post(page_url(world), {"images": files, "artist": ""})

    assert response.status_code == 200
    assert sorted(response.context["saved"]) == [f"drawing-{n}.jpg" for n in range(8)]
    refused = response.context["refused"]
    assert len(refused) == 2
    assert refused[0].startswith("notes.jpg is not a picture we can use")
    assert refused[1].startswith("IMG_0002.HEIC is an iPhone HEIC photo")
    html = response.content.decode()
    assert "8 pictures saved:" in html and "2 pictures could not be used:" in html
    assert Artwork.objects.filter(state=ImageState.READY).count() == 8
    assert len(stored_files(settings.MEDIA_ROOT / "artwork" / "originals")) == 8
    assert len(stored_files(settings.MEDIA_ROOT / "artwork" / "thumbnails")) == 8


def test_endpoint_saves_one_file_and_answers_json(artist_client, world):
    response = artist_client.post(
        one_url(world), {"image": upload("a.jpg", image_bytes()), "upload_key": "k1", "artist": ""}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["ok"] is True and body["message"] == "a.jpg is saved."
    assert Artwork.objects.get().pk == body["id"]


def test_retry_with_the_same_upload_key_saves_the_picture_once(artist_client, world, settings):
    first = artist_client.post(one_url(world), {"image": upload("a.jpg", image_bytes()), "upload_key": "abc"})
    again = artist_client.post(one_url(world), {"image": upload("a.jpg", image_bytes()), "upload_key": "abc"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Artwork.objects.count() == 1
    assert len(stored_files(settings.MEDIA_ROOT / "artwork" / "originals")) == 1


def test_an_upload_key_is_the_uploaders_own(client, world, settings):
    """Two artists' phones that happen to send the same key each keep their own picture."""
    second_artist = UserFactory(username="second_artist")
    world.session.artists.add(second_artist)
    client.force_login(world.user("artist"))
    theirs = client.post(
        one_url(world), {"image": upload("river.jpg", image_bytes((300, 200))), "upload_key": "k1"}
    )
    client.force_login(second_artist)

    mine = client.post(
        one_url(world), {"image": upload("park.jpg", image_bytes((240, 320))), "upload_key": "k1"}
    )

    assert mine.json()["ok"] is True and mine.json()["name"] == "park.jpg"
    assert mine.json()["id"] != theirs.json()["id"]
    first, second = Artwork.objects.get(pk=theirs.json()["id"]), Artwork.objects.get(pk=mine.json()["id"])
    assert (first.uploaded_by, first.original_name, first.width) == (world.user("artist"), "river.jpg", 300)
    assert (second.uploaded_by, second.original_name, second.width) == (second_artist, "park.jpg", 240)
    assert len(stored_files(settings.MEDIA_ROOT / "artwork" / "originals")) == 2


def test_a_retry_with_an_upload_key_someone_else_used_too_saves_once(client, world, settings):
    second_artist = UserFactory(username="second_artist")
    world.session.artists.add(second_artist)
    client.force_login(world.user("artist"))
    client.post(one_url(world), {"image": upload("river.jpg", image_bytes()), "upload_key": "k1"})
    client.force_login(second_artist)
    first = client.post(one_url(world), {"image": upload("park.jpg", image_bytes()), "upload_key": "k1"})

    again = client.post(one_url(world), {"image": upload("park.jpg", image_bytes()), "upload_key": "k1"})

    assert (first.status_code, again.status_code) == (201, 200)  # new for them, then the same again
    assert again.json()["id"] == first.json()["id"]
    assert Artwork.objects.filter(uploaded_by=second_artist).count() == 1
    assert Artwork.objects.count() == 2


def test_endpoint_without_a_file_says_so(artist_client, world):
    response = artist_client.post(one_url(world), {"upload_key": "x"})

    assert response.status_code == 400
    assert "No picture arrived" in response.json()["message"]


def test_artist_of_another_session_may_not_upload_here(client, world, settings):
    other_artist = UserFactory(username="other_artist")
    world.programme.sessions.get(order=2).artists.add(other_artist)
    client.force_login(other_artist)

    page = client.get(page_url(world))
    plain = client.post(page_url(world), {"images": [upload("a.jpg", image_bytes())]})
    one = client.post(one_url(world), {"image": upload("a.jpg", image_bytes()), "upload_key": "k"})

    assert (page.status_code, plain.status_code, one.status_code) == (403, 403, 403)
    assert_nothing_left(settings)


def test_coordinator_may_not_upload(client, world, settings):
    client.force_login(world.user("coordinator"))

    response = client.post(one_url(world), {"image": upload("a.jpg", image_bytes())})

    assert response.status_code == 403
    assert_nothing_left(settings)


def test_signed_out_upload_is_sent_to_sign_in(client, world, settings):
    response = client.post(one_url(world), {"image": upload("a.jpg", image_bytes())})

    assert response.status_code == 302 and "login" in response["Location"]
    assert_nothing_left(settings)


def test_endpoint_checks_the_csrf_token(world, settings):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("artist"))

    response = client.post(one_url(world), {"image": upload("a.jpg", image_bytes())})

    assert response.status_code == 403
    assert_nothing_left(settings)
