"""Artwork rows with small real images, made directly (no upload, no task), for the gallery tests."""

import io

from django.core.files.base import ContentFile
from PIL import Image

from artwork.enums import ImageState, Visibility
from artwork.models import Artwork


def jpeg(width: int = 60, height: int = 40, colour: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def make_artwork(session, *, artist=None, colour: str = "teal", **fields) -> Artwork:
    """A ready picture in ``session`` with its original, display size and thumbnail stored. Described
    and shared with everyone unless ``fields`` say otherwise."""
    values = {
        "title": "Our neighbourhood map",
        "description": "A map of the neighbourhood with the park, the library and the school.",
        "visibility": Visibility.EVERYONE,
        "state": ImageState.READY,
        **fields,
    }
    artwork = Artwork(session=session, artist=artist, uploaded_by=artist, **values)
    artwork.original.save("original.jpg", ContentFile(jpeg(120, 80, colour)), save=False)
    artwork.width, artwork.height = 120, 80
    if artwork.state == ImageState.READY:
        artwork.display.save("display.jpg", ContentFile(jpeg(90, 60, colour)), save=False)
        artwork.thumbnail.save("thumbnail.jpg", ContentFile(jpeg(60, 40, colour)), save=False)
    artwork.save()
    return artwork
