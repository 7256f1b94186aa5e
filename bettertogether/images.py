"""The one place uploaded images are checked and re-encoded.

Pillow decides what a file is from its content, never its name. Re-encoding drops every piece of
metadata (GPS included) and anything hidden in the file; EXIF orientation is applied first so the
picture stays the right way up.
"""

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int
    max_pixels: int
    max_side: int
    output_format: str = "PNG"


LOGO_LIMITS = ImageLimits(max_bytes=2 * 1024 * 1024, max_pixels=25_000_000, max_side=600)


def accepted_formats_text() -> str:
    return ", ".join(ACCEPTED_FORMATS.values())


def normalise_image(upload: UploadedFile, *, limits: ImageLimits) -> ContentFile:
    """Check an uploaded image and return a clean re-encoded copy, or raise ValidationError.

    Refuses files over ``limits.max_bytes``, anything that is not a JPEG, PNG or WebP by content,
    images over ``limits.max_pixels`` (checked from the header, before decoding, so a decompression
    bomb never reaches memory) and truncated or broken files. Shrinks to ``limits.max_side``.
    """
    name = upload.name or _("the file")
    if upload.size is not None and upload.size > limits.max_bytes:
        raise ValidationError(
            _("%(name)s is %(size)s. Please choose an image smaller than %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limits.max_bytes)},
            code="too_big",
        )
    not_an_image = ValidationError(
        _("%(name)s is not a picture we can use. Please choose a %(formats)s image.")
        % {"name": name, "formats": accepted_formats_text()},
        code="not_an_image",
    )
    upload.seek(0)
    try:
        image = Image.open(upload)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        raise not_an_image from error
    if image.format not in ACCEPTED_FORMATS:
        raise not_an_image
    width, height = image.size
    if width * height > limits.max_pixels:
        raise ValidationError(
            _("%(name)s is %(width)s × %(height)s pixels, which is too large. Please use a smaller image.")
            % {"name": name, "width": width, "height": height},
            code="too_many_pixels",
        )
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
        image.thumbnail((limits.max_side, limits.max_side))
        if limits.output_format == "JPEG":
            image = image.convert("RGB")
        elif image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        buffer = io.BytesIO()
        image.save(buffer, format=limits.output_format)
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as error:
        raise ValidationError(
            _("%(name)s seems to be damaged or incomplete. Please try another copy.") % {"name": name},
            code="damaged",
        ) from error
    extension = "jpg" if limits.output_format == "JPEG" else limits.output_format.lower()
    return ContentFile(buffer.getvalue(), name=f"image.{extension}")
