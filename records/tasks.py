from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from . import services
from .models import EventRecord

# A record with sixty pictures takes seconds; a job running far past that is stuck.
RECORD_SOFT_TIME_LIMIT = 300


@shared_task(
    name="records.render_record",
    ignore_result=True,
    soft_time_limit=RECORD_SOFT_TIME_LIMIT,
    time_limit=RECORD_SOFT_TIME_LIMIT + 30,
)
def render_record(record_pk: int) -> str:
    """Make and store the PDF of one event record: rendering → ready, or failed with a plain message
    (also when the soft time limit is reached, leaving no file). A record no longer queued is left alone."""
    record = (
        EventRecord.objects.select_related("programme__neighbourhood", "session").filter(pk=record_pk).first()
    )
    if record is None:
        return "missing"
    try:
        record = services.render_record(record=record)
    except SoftTimeLimitExceeded:
        return "timed out"  # render_record has marked it failed and removed any file
    return record.state


@shared_task(name="records.apply_retention", ignore_result=True)
def apply_retention() -> dict[str, int]:
    """Run daily by beat: every programme whose retention dates have come loses its needs, then its
    letters, record PDFs and the contact details of people no other programme needs
    (services.retention.apply_retention). Running it again the same day changes nothing more."""
    from .services.retention import apply_retention as run

    return run().summary()
