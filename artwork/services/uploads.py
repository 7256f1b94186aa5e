"""Saving uploaded pictures and making their display size and thumbnail.

Nothing half-done is ever left behind: a file written before a failure is deleted again, and the
database row only exists once its original is on disk.
"""

import io
import logging

from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.images import ARTWORK_LIMITS, clean_image, resized_copies
from core.queue import enqueue_on_commit
from core.users import User
from events.models import Session

from ..enums import ImageState
from ..models import Artwork, display_upload_to, original_upload_to, thumbnail_upload_to

logger = logging.getLogger(__name__)

DISPLAY_SIDE = 2000
THUMBNAIL_SIDE = 400


def _delete_quietly(storage: Storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete %s after a failed save", name, exc_info=True)


def find_upload(*, session: Session, uploaded_by: User | None, upload_key: str) -> Artwork | None:
    """The artwork this person already saved to this session under ``upload_key`` (a retry whose answer
    was lost), or None. A key is the uploader's own: someone else's picture is never found by it."""
    upload_key = (upload_key or "")[:64]
    if not upload_key:
        return None
    found: Artwork | None = Artwork.objects.filter(
        session=session, uploaded_by=uploaded_by, upload_key=upload_key
    ).first()
    return found


def save_artwork(
    *,
    session: Session,
    upload: UploadedFile,
    artist: User | None,
    uploaded_by: User | None,
    upload_key: str = "",
) -> Artwork:
    """Check ``upload`` (core.images, ARTWORK_LIMITS), store its re-encoded original under a
    random name and create the Artwork in state PROCESSING; once the transaction commits, the
    ``artwork.make_sizes`` task is queued to make its display size and thumbnail.

    Raises ValidationError (with a message naming the file) for a file we cannot use; then nothing is
    written. If anything fails after the file is stored, the file is deleted again. A non-empty
    ``upload_key`` repeated by the same uploader for the same session (a retry whose answer was lost)
    returns the artwork already saved instead of making a second one (find_upload); another uploader's
    key is theirs alone, so the same key from someone else saves this picture. Permission is the
    caller's business (``artwork.add_artwork`` on the session).
    """
    upload_key = (upload_key or "")[:64]
    existing = find_upload(session=session, uploaded_by=uploaded_by, upload_key=upload_key)
    if existing is not None:
        return existing
    original_name = (upload.name or "")[-255:]
    clean = clean_image(upload, limits=ARTWORK_LIMITS, name=original_name)
    artwork = Artwork(
        session=session,
        artist=artist,
        uploaded_by=uploaded_by,
        upload_key=upload_key,
        original_name=original_name,
        state=ImageState.PROCESSING,
        width=clean.width,
        height=clean.height,
    )
    storage = Artwork._meta.get_field("original").storage
    stored = storage.save(original_upload_to(artwork, clean.content.name or "image.jpg"), clean.content)
    try:
        artwork.original.name = stored
        with transaction.atomic():
            artwork.save()
            enqueue_on_commit("artwork.make_sizes", artwork.pk)
    except IntegrityError:
        # The same uploader's retry with this upload_key won a race with us: keep theirs.
        _delete_quietly(storage, [stored])
        winner = find_upload(session=session, uploaded_by=uploaded_by, upload_key=upload_key)
        if winner is None:
            raise
        return winner
    except BaseException:
        _delete_quietly(storage, [stored])
        raise
    return artwork


def make_sizes(*, artwork: Artwork) -> Artwork:
    """Make the display size (at most 2000 px) and thumbnail (at most 400 px) of ``artwork`` from its
    stored original, store them under random names and mark it READY, in one conditional update.

    Harmless to run twice: artwork already READY is left alone, and if another run finishes first its
    files are kept and ours deleted. An original that cannot be read marks the artwork FAILED. OSError
    (the storage could not be read or written) is raised for the task to retry; nothing is left written.
    """
    if artwork.state != ImageState.PROCESSING:
        return artwork
    storage = Artwork._meta.get_field("original").storage
    # Read first, so an OSError from here on is the storage's (worth a retry) and not the picture's.
    with storage.open(artwork.original.name, "rb") as handle:
        original = handle.read()
    try:
        display, thumbnail = resized_copies(
            io.BytesIO(original),
            long_sides=[DISPLAY_SIDE, THUMBNAIL_SIDE],
            name=artwork.original_name or "image",
        )
    except ValidationError:
        logger.warning("Artwork %s: the original could not be read", artwork.pk, exc_info=True)
        return mark_failed(artwork=artwork)
    written: list[str] = []
    try:
        written.append(storage.save(display_upload_to(artwork, "display.jpg"), display))
        written.append(storage.save(thumbnail_upload_to(artwork, "thumbnail.jpg"), thumbnail))
        updated = Artwork.objects.filter(pk=artwork.pk, state=ImageState.PROCESSING).update(
            display=written[0], thumbnail=written[1], state=ImageState.READY, updated_at=timezone.now()
        )
    except BaseException:
        _delete_quietly(storage, written)
        raise
    if not updated:
        # Another run got there first (or the artwork was deleted): its files stand, ours go.
        _delete_quietly(storage, written)
    return _refreshed(artwork)


def mark_failed(*, artwork: Artwork) -> Artwork:
    """Mark artwork still PROCESSING as FAILED (its sizes could not be made); the original is kept."""
    Artwork.objects.filter(pk=artwork.pk, state=ImageState.PROCESSING).update(
        state=ImageState.FAILED, updated_at=timezone.now()
    )
    return _refreshed(artwork)


def _refreshed(artwork: Artwork) -> Artwork:
    """The artwork as stored now (or as it was, if it has been deleted meanwhile)."""
    current: Artwork | None = Artwork.objects.filter(pk=artwork.pk).first()
    return current if current is not None else artwork
