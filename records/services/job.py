"""The record's PDF as a job of the one PDF lifecycle (core.jobs): asked for by the team, made by the
``records.render_record`` task, handed back until something printed on it changes."""

from django.contrib.auth.models import AbstractBaseUser, User
from django.utils.translation import gettext as _

from core import jobs
from events.models import Programme, Session

from ..enums import RecordState
from ..models import EventRecord
from .contents import record_for
from .pdf import page_count, render_pdf, render_record_html

RENDER_TASK = "records.render_record"


def request_record(
    *, programme: Programme, session: Session | None = None, user: AbstractBaseUser | None = None
) -> EventRecord:
    """The PDF of a session's (or, without ``session``, the programme's) record: the newest one if nothing
    printed on it has changed and it is ready or still being made; otherwise a new one, queued, with the
    task that renders it enqueued once the transaction commits. One still waiting or being made after
    PDF_JOB_STUCK_AFTER_SECONDS is given up (failed) and replaced. Requests for one programme are taken
    one at a time (core.jobs.reuse_or_create locks the programme), so two clicks make one PDF."""
    if session is not None and session.programme_id != programme.pk:
        raise ValueError("That session belongs to another programme.")
    current = record_for(programme=programme, session=session).fingerprint
    return jobs.reuse_or_create(
        model=EventRecord,
        scope={"programme": programme, "session": session},
        fingerprint=current,
        lock=programme,
        task_name=RENDER_TASK,
        stuck_error=_("Making the record took far too long, so it was stopped. Please try again."),
        defaults={"requested_by": user if isinstance(user, User) else None},
    )


def newest_record(*, programme: Programme, session: Session | None) -> EventRecord | None:
    return (
        EventRecord.objects.filter(programme=programme, session=session)
        .order_by("-created_at", "-pk")
        .first()
    )


def render_record(*, record: EventRecord) -> EventRecord:
    """Make a queued record's PDF and store it: rendering → ready, or failed with a plain message.
    Claims the record first, so a task delivered twice renders once. The data is gathered afresh, and the
    fingerprint saved is that of what was printed. Nothing half-written is kept: the file is stored only
    once the whole PDF is made, and only while the record is still this renderer's."""
    if not jobs.claim(job=record):
        record.refresh_from_db()
        return record
    try:
        data = record_for(programme=record.programme, session=record.session)
        pdf = render_pdf(render_record_html(record=data))
        _store(record=record, pdf=pdf, pages=page_count(pdf), fingerprint=data.fingerprint)
    except BaseException:
        mark_failed(record=record)
        raise
    record.refresh_from_db()
    return record


def _store(*, record: EventRecord, pdf: bytes, pages: int, fingerprint: str) -> None:
    """Store the PDF and mark the record ready; then remove the older PDFs it replaces. RuntimeError,
    keeping no file, when the record stopped being made meanwhile (given up as stuck)."""
    stored = jobs.store(job=record, name="record.pdf", content=pdf, pages=pages, fingerprint=fingerprint)
    if not stored:
        raise RuntimeError("The record stopped being made before it was stored.")
    _remove_older(record=record)


def _remove_older(*, record: EventRecord) -> None:
    """Earlier PDFs of the same record, finished before this one, are out of date (a new one is only made
    when something printed changed): remove them, rows and files, so a programme's pictures are not kept
    on disk over and over. Those still being made are left to finish."""
    older = EventRecord.objects.filter(
        programme_id=record.programme_id,
        session=record.session,
        state__in=[RecordState.READY, RecordState.FAILED],
        pk__lt=record.pk,
    )
    for name in older.exclude(file="").values_list("file", flat=True):
        record.file.storage.delete(name)
    older.delete()


def mark_failed(*, record: EventRecord) -> None:
    """Mark a record that could not be made as failed, with a plain message (unless it is no longer this
    renderer's: given up meanwhile). A record waiting or being made has no file yet: none is left."""
    jobs.mark_failed(
        job=record,
        error=_("The record could not be made. Please try again, or ask the facilitator for help."),
    )
