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
