"""The one place uploaded images are checked and re-encoded.

Pillow decides what a file is from its content, never its name. Re-encoding drops every piece of
metadata (EXIF with GPS, XMP, IPTC, PNG text chunks, comments, and the colour profile too: a picture with
one is converted to sRGB first, so its colours stay right); EXIF orientation is applied first so the
picture stays the right way up. The size in pixels is read from the header and checked before anything
is decoded, so a decompression bomb never reaches memory.
"""

import io
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
# Phones save JPEGs with extra pictures inside (depth maps, previews); Pillow calls those MPO. The first
# picture is an ordinary JPEG.
JPEG_VARIANTS = {"MPO"}
# ISO base media "ftyp" brands of HEIF files: iPhones' HEIC photos and their relatives.
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
AVIF_BRANDS = {b"avif", b"avis"}
# What the header says is read before anything else; enough for the ftyp box and an SVG's first tag.
SNIFF_BYTES = 512

JPEG_QUALITY = 90
SIZES_QUALITY = 85


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int
    max_pixels: int
    max_side: int | None  # None keeps the full size (up to max_pixels)
    # "JPEG", "PNG", or "auto": PNG only when the picture really has see-through parts, JPEG otherwise.
    output_format: str = "PNG"
    # Longest side over shortest side; None for no limit.
    max_aspect: float | None = None


LOGO_LIMITS = ImageLimits(max_bytes=2 * 1024 * 1024, max_pixels=25_000_000, max_side=600)
# Artwork keeps its full size for the team's original; a long roll of paper drawn along a wall is
# welcome, a strip 20 times longer than it is wide is not a picture anyone drew.
ARTWORK_LIMITS = ImageLimits(
    max_bytes=25 * 1024 * 1024, max_pixels=40_000_000, max_side=None, output_format="auto", max_aspect=20
)


@dataclass(frozen=True)
class CleanImage:
    """A checked, re-encoded image: its bytes (as a ContentFile named image.jpg or image.png) and size."""

    content: ContentFile
    width: int
    height: int
    format: str


_strict_lock = threading.Lock()


@contextmanager
def _strict_loading() -> Iterator[None]:
    """Refuse truncated files (and oversized PNG text) while we read, whatever the process-wide setting
    says: WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES = True when it is imported, which would let a
    half-uploaded picture through padded with grey."""
    with _strict_lock:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before


def accepted_formats_text() -> str:
    return ", ".join(ACCEPTED_FORMATS.values())


def _refusal_for_other_formats(head: bytes, name: str) -> ValidationError | None:
    """A clearer message for the files people most often try that we cannot use, judged by content."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        compatible = {head[i : i + 4] for i in range(16, min(len(head), 64), 4)}
        if brand in HEIF_BRANDS or (brand not in AVIF_BRANDS and compatible & HEIF_BRANDS):
            return ValidationError(
                _(
                    "%(name)s is an iPhone HEIC photo, which we cannot use yet. Please choose a JPEG, "
                    "PNG or WebP — on an iPhone, Settings › Camera › Formats › Most Compatible saves "
                    "photos as JPEG."
                )
                % {"name": name},
                code="heic",
            )
        if brand in AVIF_BRANDS:
            return ValidationError(
                _("%(name)s is an AVIF picture, which we cannot use yet. Please choose a %(formats)s image.")
                % {"name": name, "formats": accepted_formats_text()},
                code="avif",
            )
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in text:
        return ValidationError(
            _(
                "%(name)s is not a picture we can use: it is a drawing file (SVG), which can carry code. "
                "Please save it as a PNG or JPEG and choose that."
            )
            % {"name": name},
            code="svg",
        )
    return None


def _too_much_text(error: Exception) -> bool:
    # Pillow refuses PNG text chunks that would grow past MAX_TEXT_CHUNK or MAX_TEXT_MEMORY unpacked.
    return isinstance(error, ValueError) and "MAX_TEXT" in str(error)


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert a picture with an embedded colour profile to plain sRGB, so the profile can be dropped."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode
        )
        return converted if converted is not None else image
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A broken profile: the colours as they are are better than refusing the picture.
        return image


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        with_alpha = image if image.mode in ("RGBA", "LA") else image.convert("RGBA")
        return with_alpha.getchannel("A").getextrema() != (255, 255)
    return False


def clean_image(upload: UploadedFile | IO[bytes], *, limits: ImageLimits, name: str = "") -> CleanImage:
    """Check an uploaded image and return a clean re-encoded copy with its size, or raise ValidationError
    with a message that names the file.

    Refuses files over ``limits.max_bytes`` (from ``upload.size``, before reading it), anything that is
    not a JPEG, PNG or WebP by content (with a clearer message for HEIC, AVIF and SVG), images over
    ``limits.max_pixels`` or stretched beyond ``limits.max_aspect`` (checked from the header, before
    decoding), and truncated or broken files. Applies the EXIF orientation, shrinks to
    ``limits.max_side`` if set, and re-encodes without any metadata.
    """
    name = name or getattr(upload, "name", "") or _("the file")
    size = getattr(upload, "size", None)
    if size is not None and size > limits.max_bytes:
        raise ValidationError(
            _("%(name)s is %(size)s. Please choose an image smaller than %(limit)s.")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limits.max_bytes)},
            code="too_big",
        )
    not_an_image = ValidationError(
        _("%(name)s is not a picture we can use. Please choose a %(formats)s image.")
        % {"name": name, "formats": accepted_formats_text()},
        code="not_an_image",
    )
    damaged = ValidationError(
        _("%(name)s seems to be damaged or incomplete. Please try another copy.") % {"name": name},
        code="damaged",
    )
    too_much_text = ValidationError(
        _(
            "%(name)s carries too much hidden text besides the picture to be read safely. Please save it "
            "again from a drawing or photo app and try that copy."
        )
        % {"name": name},
        code="too_much_text",
    )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if not head:
        raise not_an_image
    try:
        with _strict_loading():
            image = Image.open(upload)
    except Image.DecompressionBombError as error:
        raise ValidationError(
            _("%(name)s has far too many pixels. Please use an image of at most %(megapixels)s megapixels.")
            % {"name": name, "megapixels": limits.max_pixels // 1_000_000},
            code="too_many_pixels",
        ) from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        if _too_much_text(error):
            raise too_much_text from error
        raise (_refusal_for_other_formats(head, name) or not_an_image) from error
    with image:
        if image.format not in ACCEPTED_FORMATS and image.format not in JPEG_VARIANTS:
            raise _refusal_for_other_formats(head, name) or not_an_image
        width, height = image.size
        if width * height > limits.max_pixels:
            raise ValidationError(
                _(
                    "%(name)s is %(width)s × %(height)s pixels, which is too large. Please use an image of "
                    "at most %(megapixels)s megapixels."
                )
                % {
                    "name": name,
                    "width": width,
                    "height": height,
                    "megapixels": limits.max_pixels // 1_000_000,
                },
                code="too_many_pixels",
            )
        if limits.max_aspect and max(width, height) > limits.max_aspect * max(1, min(width, height)):
            raise ValidationError(
                _(
                    "%(name)s is %(width)s × %(height)s pixels: a thin strip rather than a picture. Please "
                    "crop it so it is no more than %(aspect)s times longer than it is wide."
                )
                % {"name": name, "width": width, "height": height, "aspect": limits.max_aspect},
                code="bad_shape",
            )
        try:
            with _strict_loading():
                image.load()
            ImageOps.exif_transpose(image, in_place=True)
            picture: Image.Image = image
            if limits.max_side:
                picture.thumbnail((limits.max_side, limits.max_side))
            output_format = limits.output_format
            if output_format == "auto":
                output_format = "PNG" if _has_transparency(picture) else "JPEG"
            if output_format == "JPEG":
                picture = _to_srgb(picture)
                if picture.mode not in ("RGB", "L"):
                    picture = picture.convert("RGB")
            else:
                if picture.mode not in ("RGB", "RGBA", "L", "LA") or "transparency" in picture.info:
                    picture = picture.convert("RGBA")
                picture = _to_srgb(picture)
            # Nothing of the original's metadata may travel with the picture: Pillow writes some of it
            # (the colour profile, PNG text, EXIF) from .info when it saves.
            picture.info = {}
            buffer = io.BytesIO()
            if output_format == "JPEG":
                picture.save(buffer, format="JPEG", quality=JPEG_QUALITY)
            else:
                picture.save(buffer, format=output_format)
        except (ValueError, OSError, SyntaxError, Image.DecompressionBombError) as error:
            if _too_much_text(error):
                raise too_much_text from error
            raise damaged from error
        extension = "jpg" if output_format == "JPEG" else output_format.lower()
        return CleanImage(
            content=ContentFile(buffer.getvalue(), name=f"image.{extension}"),
            width=picture.width,
            height=picture.height,
            format=output_format,
        )


def normalise_image(upload: UploadedFile, *, limits: ImageLimits) -> ContentFile:
    """Check an uploaded image and return a clean re-encoded copy, or raise ValidationError.

    See ``clean_image``: the same checks, returning only the re-encoded file.
    """
    return clean_image(upload, limits=limits).content


def _flatten(image: Image.Image) -> Image.Image:
    """RGB (or L) for JPEG: see-through parts become white, as on paper."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def resized_copies(source: IO[bytes], *, long_sides: Sequence[int], name: str = "image") -> list[ContentFile]:
    """JPEG copies of a stored image, each at most ``long_sides[i]`` pixels on its long side (never
    enlarged), largest first; each smaller copy is made from the one before, which looks the same and is
    much quicker than starting again from the full size. Raises ValidationError if the image cannot be
    read (broken or truncated; ``source`` should be in memory, so an OSError here is the picture's fault,
    not the storage's). Writes nothing: the caller stores the copies.

    A JPEG is decoded straight at a reduced scale when that still leaves at least the first copy's size
    (libjpeg's DCT scaling, Pillow's "draft"), which saves most of the decoding of a big photo.
    """
    sides = sorted(long_sides, reverse=True)
    copies: list[ContentFile] = []
    try:
        with _strict_loading():
            opened = Image.open(source)
        with opened as image:
            if image.width * image.height > ARTWORK_LIMITS.max_pixels * 2:
                raise ValidationError(_("%(name)s is too large to resize.") % {"name": name}, code="too_big")
            first = sides[0]
            scale = min(1.0, first / max(image.size))
            if image.format == "JPEG" and scale < 1.0:
                image.draft("RGB", (max(1, round(image.width * scale)), max(1, round(image.height * scale))))
            with _strict_loading():
                image.load()
            ImageOps.exif_transpose(image, in_place=True)
            current = _flatten(image)
            for side in sides:
                current.thumbnail((side, side))
                current.info = {}
                buffer = io.BytesIO()
                current.save(buffer, format="JPEG", quality=SIZES_QUALITY)
                copies.append(ContentFile(buffer.getvalue(), name=f"{name}-{side}.jpg"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValidationError(
            _("%(name)s could not be read to make smaller copies.") % {"name": name}, code="unreadable"
        ) from error
    # Keep the caller's order.
    by_side = dict(zip(sides, copies, strict=True))
    return [by_side[side] for side in long_sides]


def resized_copy(source: IO[bytes], *, long_side: int, name: str = "image") -> ContentFile:
    """One JPEG copy of a stored image at most ``long_side`` pixels on its long side (see resized_copies)."""
    return resized_copies(source, long_sides=[long_side], name=name)[0]
