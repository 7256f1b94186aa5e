"""The image pipeline: core.images and artwork.services.uploads (save_artwork, make_sizes) and
the artwork.make_sizes task. The bad files themselves go through the real views in test_upload.py."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageDraw

from artwork.enums import ImageState
from artwork.models import Artwork
from artwork.services.uploads import make_sizes, save_artwork
from artwork.tasks import make_sizes as make_sizes_task
from core.images import ARTWORK_LIMITS, LOGO_LIMITS, clean_image, normalise_image, resized_copy

RED = (255, 0, 0)


def photo_with_gps_and_orientation(size=(600, 400), marker=RED) -> bytes:
    """A JPEG as a phone writes it: stored sideways with orientation 6 ("turn 90° clockwise to view"), a
    red square in the stored top-left corner, GPS, a camera make, XMP and a comment."""
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle([0, 0, 59, 59], fill=marker)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    buffer = io.BytesIO()
    image.save(
        buffer,
        "JPEG",
        exif=exif,
        xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>where we were</x:xmpmeta>",
        comment=b"a secret",
        quality=95,
    )
    return buffer.getvalue()


def image_bytes(size=(300, 200), colour="orange", kind="JPEG", mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, kind)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_with_chunk_before_data(kind: bytes, data: bytes, size=(40, 30)) -> bytes:
    """A small valid PNG with one extra chunk placed before its pixels."""
    plain = image_bytes(size, kind="PNG")
    ihdr_end = 8 + 25  # signature, then the 13-byte IHDR chunk with its length, type and CRC
    return plain[:ihdr_end] + png_chunk(kind, data) + plain[ihdr_end:]


def heic_header(brand: bytes = b"heic") -> bytes:
    """The start of an iPhone HEIC photo: an ISO base media ftyp box (brand heic, compatible mif1 and
    heic), then a meta box, as the camera writes them."""
    ftyp = b"ftyp" + brand + b"\x00\x00\x00\x00" + b"mif1" + b"heic"
    ftyp = struct.pack(">I", len(ftyp) + 4) + ftyp
    meta = b"meta" + b"\x00" * 4 + struct.pack(">I", 33) + b"hdlr" + b"\x00" * 8 + b"pict" + b"\x00" * 13
    meta = struct.pack(">I", len(meta) + 4) + meta
    return ftyp + meta + b"\x00" * 2000


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def assert_no_metadata(path: Path) -> None:
    with Image.open(path) as image:
        assert not image.getexif(), f"{path.name} still has EXIF"
        for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile", "photoshop"):
            assert key not in image.info, f"{path.name} still has {key}"
    raw = path.read_bytes()
    for secret in (b"PhoneMaker", b"where we were", b"a secret", b"Exif\x00\x00"):
        assert secret not in raw


def is_red(pixel) -> bool:
    r, g, b = pixel[:3]
    return r > 200 and g < 80 and b < 80


@pytest.fixture
def save(settings, django_capture_on_commit_callbacks):
    """save_artwork, committed: the sizes task queued on commit runs at once."""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    def saving(**kwargs) -> Artwork:
        with django_capture_on_commit_callbacks(execute=True):
            artwork = save_artwork(**kwargs)
        artwork.refresh_from_db()
        return artwork

    return saving


def upload_of(content: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def test_photo_with_gps_is_stored_without_any_metadata_and_the_right_way_up(world, settings, save):
    artwork = save(
        session=world.session,
        upload=upload_of(photo_with_gps_and_orientation()),
        artist=world.user("artist"),
        uploaded_by=world.user("artist"),
    )

    artwork.refresh_from_db()
    assert artwork.state == ImageState.READY
    assert (artwork.width, artwork.height) == (400, 600)
    for field in (artwork.original, artwork.display, artwork.thumbnail):
        path = Path(field.path)
        assert_no_metadata(path)
        with Image.open(path) as image:
            assert image.format == "JPEG"
            assert (
                image.width < image.height
            )  # turned upright: the stored sideways 600 × 400 became 400 × 600
            image = image.convert("RGB")
            # The marker in the stored top-left corner is top-right once turned clockwise.
            assert is_red(image.getpixel((image.width - 3, 2)))
            assert not is_red(image.getpixel((2, 2)))
            assert not is_red(image.getpixel((image.width - 3, image.height - 3)))


def test_sizes_are_at_most_2000_and_400_pixels_on_the_long_side(world, save):
    artwork = save(
        session=world.session,
        upload=upload_of(image_bytes((3000, 1200))),
        artist=None,
        uploaded_by=world.user("facilitator"),
    )

    artwork.refresh_from_db()
    with Image.open(artwork.original.path) as original:
        assert original.size == (3000, 1200)  # the original keeps its full size
    with Image.open(artwork.display.path) as display:
        assert display.size == (2000, 800)
    with Image.open(artwork.thumbnail.path) as thumbnail:
        assert thumbnail.size == (400, 160)


def test_small_picture_is_never_enlarged(world, save):
    artwork = save(
        session=world.session, upload=upload_of(image_bytes((300, 200))), artist=None, uploaded_by=None
    )

    artwork.refresh_from_db()
    with Image.open(artwork.display.path) as display, Image.open(artwork.thumbnail.path) as thumbnail:
        assert display.size == thumbnail.size == (300, 200)


def test_transparent_png_keeps_its_transparency_and_its_sizes_are_on_white(world, settings, save):
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle([0, 0, 99, 99], fill=(0, 0, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")

    artwork = save(
        session=world.session,
        upload=upload_of(buffer.getvalue(), "drawing.png"),
        artist=None,
        uploaded_by=None,
    )

    artwork.refresh_from_db()
    assert artwork.original.name.endswith(".png")
    with Image.open(artwork.original.path) as original:
        assert original.format == "PNG" and original.mode == "RGBA"
        assert original.getpixel((150, 50))[3] == 0
    with Image.open(artwork.display.path) as display:
        assert display.format == "JPEG"
        assert all(channel > 245 for channel in display.convert("RGB").getpixel((150, 50)))


def test_opaque_png_is_stored_as_jpeg(world, save):
    artwork = save(
        session=world.session,
        upload=upload_of(image_bytes((200, 100), kind="PNG", mode="RGBA"), "scan.png"),
        artist=None,
        uploaded_by=None,
    )

    assert artwork.original.name.endswith(".jpg")


def test_webp_is_accepted(world, save):
    artwork = save(
        session=world.session,
        upload=upload_of(image_bytes(kind="WEBP"), "x.webp"),
        artist=None,
        uploaded_by=None,
    )

    artwork.refresh_from_db()
    assert artwork.state == ImageState.READY


def test_repeated_upload_key_returns_the_first_artwork(world, settings, save):
    first = save(
        session=world.session,
        upload=upload_of(image_bytes()),
        artist=None,
        uploaded_by=None,
        upload_key="key-1",
    )
    again = save(
        session=world.session,
        upload=upload_of(image_bytes()),
        artist=None,
        uploaded_by=None,
        upload_key="key-1",
    )

    assert again.pk == first.pk
    assert Artwork.objects.count() == 1
    assert len(stored_files(settings.MEDIA_ROOT / "artwork" / "originals")) == 1


def test_same_upload_key_on_another_session_is_another_artwork(world, save):
    other = world.programme.sessions.get(order=2)
    save(
        session=world.session, upload=upload_of(image_bytes()), artist=None, uploaded_by=None, upload_key="k"
    )
    save(session=other, upload=upload_of(image_bytes()), artist=None, uploaded_by=None, upload_key="k")

    assert Artwork.objects.count() == 2


def test_failure_after_the_file_is_written_leaves_nothing_behind(world, settings, save):
    from tests.factories import UserFactory

    unsaved = UserFactory.build()  # saving a row that points at an unsaved user fails

    with pytest.raises(ValueError):
        save(session=world.session, upload=upload_of(image_bytes()), artist=None, uploaded_by=unsaved)

    assert Artwork.objects.count() == 0
    assert stored_files(settings.MEDIA_ROOT) == []


def test_refused_file_writes_nothing(world, settings):
    with pytest.raises(ValidationError, match="notes.jpg is not a picture we can use"):
        save_artwork(
            session=world.session,
            upload=upload_of(b"shopping list", "notes.jpg"),
            artist=None,
            uploaded_by=None,
        )

    assert Artwork.objects.count() == 0
    assert stored_files(settings.MEDIA_ROOT) == []


def test_sizes_are_queued_only_after_the_transaction_commits(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        artwork = save_artwork(
            session=world.session, upload=upload_of(image_bytes()), artist=None, uploaded_by=None
        )

    assert artwork.state == ImageState.PROCESSING
    assert len(callbacks) == 1


def test_make_sizes_twice_is_harmless(world, settings):
    artwork = save_artwork(
        session=world.session, upload=upload_of(image_bytes()), artist=None, uploaded_by=None
    )
    stale = Artwork.objects.get(pk=artwork.pk)  # a second delivery of the task, loaded before the first ran

    make_sizes(artwork=artwork)
    make_sizes(artwork=stale)  # made its own copies, found the work done, and removed them again
    make_sizes(artwork=Artwork.objects.get(pk=artwork.pk))  # already ready: nothing to do

    artwork.refresh_from_db()
    assert artwork.state == ImageState.READY
    assert [p.name for p in stored_files(settings.MEDIA_ROOT / "artwork" / "display")] == [
        Path(artwork.display.name).name
    ]
    assert [p.name for p in stored_files(settings.MEDIA_ROOT / "artwork" / "thumbnails")] == [
        Path(artwork.thumbnail.name).name
    ]


def test_unreadable_original_marks_the_artwork_failed_without_half_written_sizes(world, settings):
    artwork = save_artwork(
        session=world.session, upload=upload_of(image_bytes()), artist=None, uploaded_by=None
    )
    Path(artwork.original.path).write_bytes(b"no longer a picture")

    make_sizes(artwork=artwork)

    artwork.refresh_from_db()
    assert artwork.state == ImageState.FAILED
    assert not artwork.display and not artwork.thumbnail
    assert not (settings.MEDIA_ROOT / "artwork" / "display").exists()


def test_task_retries_a_missing_original_then_marks_it_failed(world, settings):
    artwork = save_artwork(
        session=world.session, upload=upload_of(image_bytes()), artist=None, uploaded_by=None
    )
    Path(artwork.original.path).unlink()  # the storage cannot give it back: an OSError each time

    make_sizes_task.apply(args=[artwork.pk])

    # (refresh_from_db would read the missing file again for its width and height)
    artwork = Artwork.objects.get(pk=artwork.pk)
    assert artwork.state == ImageState.FAILED
    assert stored_files(settings.MEDIA_ROOT) == []


def test_task_for_a_deleted_artwork_does_nothing(db):
    assert make_sizes_task.apply(args=[123456]).get() == "missing"


def test_heic_is_recognised_by_its_content_whatever_its_name():
    with pytest.raises(ValidationError) as caught:
        clean_image(upload_of(heic_header(), "holiday.jpg"), limits=ARTWORK_LIMITS)

    assert "holiday.jpg is an iPhone HEIC photo" in caught.value.messages[0]
    assert "JPEG, PNG or WebP" in caught.value.messages[0]
    assert "Most Compatible" in caught.value.messages[0]


def test_mif1_brand_is_heic_too():
    with pytest.raises(ValidationError, match="HEIC"):
        clean_image(upload_of(heic_header(b"mif1"), "IMG_0002.HEIC"), limits=ARTWORK_LIMITS)


def test_a_long_roll_of_paper_is_welcome_but_a_thin_strip_is_not():
    wide = clean_image(upload_of(image_bytes((2000, 200))), limits=ARTWORK_LIMITS)
    assert (wide.width, wide.height) == (2000, 200)

    with pytest.raises(ValidationError, match="a thin strip"):
        clean_image(upload_of(image_bytes((2100, 100))), limits=ARTWORK_LIMITS)


def test_large_plain_text_chunk_is_read_and_dropped():
    content = png_with_chunk_before_data(b"tEXt", b"Comment\x00" + b"x" * (3 * 1024 * 1024))

    clean = clean_image(upload_of(content, "notes.png"), limits=ARTWORK_LIMITS)

    assert clean.content.size < 10_000
    assert b"xxxxxxxx" not in clean.content.read()


def test_resized_copy_is_a_jpeg_no_larger_than_asked():
    copy = resized_copy(io.BytesIO(image_bytes((1600, 900), kind="PNG")), long_side=400)

    with Image.open(copy) as image:
        assert image.format == "JPEG" and image.size == (400, 225)


def test_logo_limits_still_shrink_to_600_and_keep_png():
    logo = normalise_image(upload_of(image_bytes((1200, 800), kind="PNG"), "logo.png"), limits=LOGO_LIMITS)

    with Image.open(logo) as image:
        assert image.format == "PNG" and image.size == (600, 400)


BOMB_SCRIPT = """
import io, resource, sys, django
django.setup()
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from core.images import ARTWORK_LIMITS, clean_image
bomb = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    clean_image(SimpleUploadedFile("mural.png", bomb), limits=ARTWORK_LIMITS)
    print("accepted")
except ValidationError as error:
    print(error.messages[0])
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.mark.parametrize("side", [20000, 8000])
def test_decompression_bomb_costs_a_fresh_process_almost_no_memory(tmp_path, side):
    """Measured in a process of its own, so nothing earlier in the test run hides the peak."""
    import os
    import subprocess
    import sys

    from .test_upload import png_bomb

    bomb = tmp_path / "mural.png"
    bomb.write_bytes(png_bomb(side))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bettertogether.settings", "VAR_DIR": str(tmp_path)}

    result = subprocess.run(
        [sys.executable, "-c", BOMB_SCRIPT, str(bomb)], capture_output=True, text=True, env=env, timeout=60
    )

    message, grown_mb = result.stdout.strip().splitlines()
    assert message.startswith("mural.png ") and "too" in message
    assert int(grown_mb) < 50, f"the bomb cost {grown_mb} MB"


def test_colour_profile_is_applied_then_dropped(world, save):
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 30, 30)).save(buffer, "JPEG", icc_profile=srgb)
    assert Image.open(io.BytesIO(buffer.getvalue())).info.get("icc_profile")

    artwork = save(session=world.session, upload=upload_of(buffer.getvalue()), artist=None, uploaded_by=None)

    for field in (artwork.original, artwork.display, artwork.thumbnail):
        assert_no_metadata(Path(field.path))
    with Image.open(artwork.original.path) as original:
        red, green, blue = original.convert("RGB").getpixel((60, 40))
        assert red > 170 and green < 70 and blue < 70  # the colour survived the conversion


def test_truncated_upload_is_refused_even_after_weasyprint_relaxed_pillow(world, settings):
    import weasyprint  # noqa: F401  (importing it sets ImageFile.LOAD_TRUNCATED_IMAGES = True)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 60).convert("RGB").save(buffer, "JPEG")

    with pytest.raises(ValidationError, match="half.jpg seems to be damaged or incomplete"):
        save_artwork(
            session=world.session,
            upload=upload_of(buffer.getvalue()[:3000], "half.jpg"),
            artist=None,
            uploaded_by=None,
        )

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # put back as it was
    assert stored_files(settings.MEDIA_ROOT) == []


def test_truncated_original_marks_the_artwork_failed_at_once(world, settings):
    artwork = save_artwork(
        session=world.session, upload=upload_of(noisy_original()), artist=None, uploaded_by=None
    )
    path = Path(artwork.original.path)
    path.write_bytes(path.read_bytes()[:3000])

    make_sizes_task.apply(args=[artwork.pk])

    artwork = Artwork.objects.get(pk=artwork.pk)
    assert artwork.state == ImageState.FAILED
    assert not (settings.MEDIA_ROOT / "artwork" / "display").exists()


def noisy_original() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 60).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()
