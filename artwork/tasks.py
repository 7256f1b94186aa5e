from celery import Task, shared_task

from .enums import ImageState
from .models import Artwork
from .services import uploads

# Retries for a storage hiccup: quickly, a couple of times, then the artwork is marked failed.
SIZES_RETRIES = 2
SIZES_SOFT_TIME_LIMIT = 120


@shared_task(
    bind=True,
    name="artwork.make_sizes",
    ignore_result=True,
    soft_time_limit=SIZES_SOFT_TIME_LIMIT,
    time_limit=SIZES_SOFT_TIME_LIMIT + 30,
)
def make_sizes(self: Task, artwork_pk: int) -> str:
    """Make the display size and thumbnail of one artwork (uploads.make_sizes). Retries on OSError
    (storage trouble) up to SIZES_RETRIES times, then marks it failed. Running twice is harmless."""
    artwork = Artwork.objects.filter(pk=artwork_pk).first()
    if artwork is None:
        return "missing"
    try:
        artwork = uploads.make_sizes(artwork=artwork)
    except OSError as error:
        if self.request.retries >= SIZES_RETRIES:
            return uploads.mark_failed(artwork=artwork).state
        raise self.retry(exc=error, countdown=2 ** (self.request.retries + 1)) from error
    return ImageState(artwork.state).value
