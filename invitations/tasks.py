from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from .models import LetterBatch
from .services import letters

# A school's letters take a few seconds a hundred pages; a job running far past that is stuck or abused.
LETTERS_SOFT_TIME_LIMIT = 300


@shared_task(
    name="invitations.render_letters",
    ignore_result=True,
    soft_time_limit=LETTERS_SOFT_TIME_LIMIT,
    time_limit=LETTERS_SOFT_TIME_LIMIT + 30,
)
def render_letters(batch_pk: int) -> str:
    """Make and store the PDF of one batch of letters (LetterBatch): rendering → ready, or failed with a
    plain message (also when the soft time limit is reached). A batch no longer queued is left alone."""
    batch = LetterBatch.objects.select_related("programme", "school", "session").filter(pk=batch_pk).first()
    if batch is None:
        return "missing"
    try:
        batch = letters.render_batch(batch=batch)
    except SoftTimeLimitExceeded:
        letters.mark_failed(batch=batch)
        return "timed out"
    return batch.state


@shared_task(
    name="invitations.render_letter_chunk",
    ignore_result=True,
    soft_time_limit=LETTERS_SOFT_TIME_LIMIT,
    time_limit=LETTERS_SOFT_TIME_LIMIT + 30,
)
def render_letter_chunk(batch_pk: int, index: int, count: int, invitation_ids: list[int]) -> str:
    """Render one chunk of a big batch's letters (enqueued by render_letters); the last chunk to finish
    merges the parts into the batch's PDF. A failure, or the time limit, marks the whole batch failed."""
    batch = LetterBatch.objects.select_related("programme", "school", "session").filter(pk=batch_pk).first()
    if batch is None:
        return "missing"
    try:
        batch = letters.render_chunk(batch=batch, index=index, count=count, invitation_ids=invitation_ids)
    except SoftTimeLimitExceeded:
        letters.mark_failed(batch=batch)
        return "timed out"
    return batch.state
