"""One lifecycle for every PDF the site makes in the background (a school's letters, an event record).

A job is a row: asked for by a request, rendered by a task, stored, or marked failed.

    request → reuse_or_create(...)   the newest job of the same document that prints the same thing
                                     (its fingerprint) and is queued, being made or ready; otherwise a new
                                     one, queued, its task enqueued once the transaction commits. First,
                                     release_stuck(...) gives up jobs a dead worker left behind.
    task    → claim(job=...)         queued → rendering, for one renderer only (a conditional UPDATE)
            → store(job=..., ...)    the file, only while the job is still that renderer's → ready
            → mark_failed(job=...)   → failed, with a plain message

A job given up as stuck is failed, never handed back again: the next request makes a fresh one, and the
renderer that was thought dead, should it finish after all, stores nothing (``store`` refuses it).
"""

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .queue import enqueue_on_commit


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RENDERING = "rendering", _("Being made")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be made")


WAITING = (JobState.QUEUED, JobState.RENDERING)
# A job in one of these states is handed back for the same fingerprint rather than made again.
REUSABLE = (JobState.QUEUED, JobState.RENDERING, JobState.READY)


def _random_pdf_name(instance: "PdfJob", filename: str) -> str:
    return f"pdf/{secrets.token_hex(16)}.pdf"


class PdfJob(models.Model):
    """One PDF made in the background. ``fingerprint`` is a hash of everything it prints: when that no
    longer matches, the PDF is out of date and the next request makes a fresh one.

    Concrete models add what the PDF is of, and override ``file`` to say where it is kept."""

    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    file = models.FileField(upload_to=_random_pdf_name, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the renderer now making it claimed it: how long it has been at it, and whose it is (store).
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    @property
    def is_waiting(self) -> bool:
        return self.state in WAITING


J = TypeVar("J", bound=PdfJob)


def stuck_after() -> timedelta:
    """How long a job may wait or be made before it is given up (settings.PDF_JOB_STUCK_AFTER_SECONDS)."""
    return timedelta(seconds=settings.PDF_JOB_STUCK_AFTER_SECONDS)


def release_stuck(*, jobs: QuerySet[J], error: str, now: datetime | None = None) -> int:
    """Give up the ``jobs`` that have been queued since, or rendering since they were claimed, longer
    ago than ``stuck_after()``: they are marked failed with ``error``. Returns how many."""
    now = now or timezone.now()
    cutoff = now - stuck_after()
    return jobs.filter(
        Q(state=JobState.QUEUED, created_at__lt=cutoff)
        | Q(state=JobState.RENDERING, claimed_at__lt=cutoff)
        # Claimed before claims were timed: as old as the job itself.
        | Q(state=JobState.RENDERING, claimed_at__isnull=True, created_at__lt=cutoff)
    ).update(state=JobState.FAILED, finished_at=now, error=error)


def reuse_or_create(
    *,
    model: type[J],
    scope: Mapping[str, Any],
    fingerprint: str,
    lock: models.Model,
    task_name: str,
    stuck_error: str,
    defaults: Mapping[str, Any] | None = None,
) -> J:
    """The job for one document — the ``model`` rows matching ``scope`` (its programme, school, kind…):
    stuck ones are given up first (release_stuck, with ``stuck_error``); then the newest is handed back
    if it has ``fingerprint`` and is queued, being made or ready. Otherwise a new job is created from
    ``scope``, ``defaults`` and ``fingerprint``, and the task ``task_name`` is enqueued with its pk once
    the transaction commits.

    Requests are taken one at a time per ``lock`` row (e.g. the programme), so two clicks at once make
    one job: PostgreSQL waits on the row lock (SELECT … FOR UPDATE); SQLite has no row locks, but its
    transactions begin IMMEDIATE (settings), which takes the database's write lock at once."""
    jobs = model._default_manager.filter(**scope)
    with transaction.atomic():
        list(type(lock)._default_manager.select_for_update().filter(pk=lock.pk).values_list("pk", flat=True))
        release_stuck(jobs=jobs, error=stuck_error)
        newest = jobs.order_by("-created_at", "-pk").first()
        if newest is not None and newest.fingerprint == fingerprint and newest.state in REUSABLE:
            return newest
        job = model._default_manager.create(**scope, **(defaults or {}), fingerprint=fingerprint)
        enqueue_on_commit(task_name, job.pk)
    return job


def claim(*, job: PdfJob) -> bool:
    """Take a queued job for rendering (queued → rendering, timed): True for exactly one caller, however
    many tasks were delivered for it; False when it is no longer queued. ``job`` is updated in place."""
    claimed = (
        type(job)
        ._default_manager.filter(pk=job.pk, state=JobState.QUEUED)
        .update(state=JobState.RENDERING, claimed_at=timezone.now())
    )
    job.refresh_from_db(fields=["state", "claimed_at"])
    return bool(claimed)


def while_claimed(*, job: J) -> QuerySet[J]:
    """The job's row while it is still rendering under the claim ``job`` was loaded (or claimed) with:
    for conditional updates by its renderer (none happens once it was given up or claimed again)."""
    return type(job)._default_manager.filter(pk=job.pk, state=JobState.RENDERING, claimed_at=job.claimed_at)


def store(*, job: PdfJob, name: str, content: bytes, **fields: Any) -> bool:
    """Save ``content`` as the job's file and mark it ready (with ``fields`` updated too) — only if it is
    still rendering under this renderer's claim. Returns False, keeping no file, when it is not (it was
    given up as stuck meanwhile, or failed): a late renderer never overwrites a newer one's work."""
    if not while_claimed(job=job).exists():
        return False  # nothing written for a job that is no longer ours
    previous = job.file.name
    job.file.save(name, ContentFile(content), save=False)
    stored = job.file.name
    try:
        updated = while_claimed(job=job).update(
            file=stored, state=JobState.READY, finished_at=timezone.now(), error="", **fields
        )
    except BaseException:
        job.file.storage.delete(stored)
        job.file.name = previous
        raise
    if not updated:  # given up between the check and now: the file would belong to nothing
        job.file.storage.delete(stored)
        job.file.name = previous
        return False
    job.refresh_from_db()
    return True


def mark_failed(*, job: PdfJob, error: str) -> bool:
    """Mark a job that could not be made as failed, with ``error`` (plain words, shown to the person who
    asked) — unless it is no longer waiting under the claim ``job`` has (already given up, or claimed
    again by another renderer, or ready). Returns whether it was marked."""
    marked = (
        type(job)
        ._default_manager.filter(pk=job.pk, state__in=WAITING, claimed_at=job.claimed_at)
        .update(state=JobState.FAILED, finished_at=timezone.now(), error=error)
    )
    return bool(marked)
