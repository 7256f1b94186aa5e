"""The one PDF job lifecycle (core.jobs): reuse or create under a lock, claim once, store only while still
the claimer's, give up stuck jobs, mark failed. The concrete job here is an event record; the letters'
own cases are in tests/invitations/test_letters.py."""

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core import jobs, queue
from core.jobs import JobState
from records.models import EventRecord

pytestmark = pytest.mark.django_db

TASK = "records.render_record"
STUCK = "Taken far too long."
PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple]:
    """The tasks enqueued (by name, with their arguments) instead of being run."""
    calls: list[tuple] = []
    monkeypatch.setattr(queue, "enqueue", lambda name, *args: calls.append((name, *args)))
    return calls


def make_job(world, **fields) -> EventRecord:
    return EventRecord.objects.create(
        programme=world.programme, session=world.session, **{"fingerprint": "abc", **fields}
    )


def ask(world, fingerprint: str = "abc") -> EventRecord:
    return jobs.reuse_or_create(
        model=EventRecord,
        scope={"programme": world.programme, "session": world.session},
        fingerprint=fingerprint,
        lock=world.programme,
        task_name=TASK,
        stuck_error=STUCK,
    )


def age(job, **times: timedelta) -> None:
    """Move the job's times into the past: ``created_at=timedelta(minutes=11)`` is eleven minutes ago."""
    now = timezone.now()
    type(job).objects.filter(pk=job.pk).update(**{name: now - ago for name, ago in times.items()})
    job.refresh_from_db()


def pdfs() -> list[Path]:
    return [path.resolve() for path in Path(settings.MEDIA_ROOT).rglob("*.pdf")]


# reuse_or_create ------------------------------------------------------------------------------------


def test_a_new_job_is_queued_and_its_task_enqueued_on_commit(
    world, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = ask(world)
    assert job.state == JobState.QUEUED and job.fingerprint == "abc"
    assert job.programme == world.programme and job.session == world.session
    assert len(callbacks) == 1 and enqueued == []  # nothing is sent before the commit
    callbacks[0]()
    assert enqueued == [(TASK, job.pk)]


@pytest.mark.parametrize("state", [JobState.QUEUED, JobState.RENDERING, JobState.READY])
def test_the_newest_job_with_the_same_fingerprint_is_handed_back(world, enqueued, state):
    existing = make_job(world, state=state, claimed_at=timezone.now())
    assert ask(world) == existing
    assert EventRecord.objects.count() == 1


def test_a_failed_job_or_another_fingerprint_makes_a_new_one(world, enqueued):
    failed = make_job(world, state=JobState.FAILED)
    fresh = ask(world)
    assert fresh != failed and fresh.state == JobState.QUEUED
    other = ask(world, fingerprint="changed")
    assert other not in (failed, fresh)
    assert ask(world, fingerprint="changed") == other


def test_only_the_newest_job_counts(world, enqueued):
    ready = make_job(world, state=JobState.READY)
    make_job(world, fingerprint="newer")
    assert ask(world) != ready  # something changed since it was made: a fresh one


def test_another_documents_job_is_never_handed_back(world, enqueued):
    whole_programme = EventRecord.objects.create(programme=world.programme, fingerprint="abc")
    assert ask(world) != whole_programme


# Stuck jobs -------------------------------------------------------------------------------------------


def test_a_stuck_job_is_handed_back_before_the_timeout_and_replaced_after_it(world, enqueued, settings):
    settings.PDF_JOB_STUCK_AFTER_SECONDS = 600
    job = make_job(world)
    assert jobs.claim(job=job)
    age(job, created_at=timedelta(minutes=30), claimed_at=timedelta(minutes=9))
    assert ask(world) == job  # still within its time: being made
    age(job, claimed_at=timedelta(minutes=11))
    fresh = ask(world)
    assert fresh != job and fresh.state == JobState.QUEUED
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error == STUCK and job.finished_at is not None


def test_release_stuck_times_queued_jobs_from_their_creation_and_rendering_ones_from_their_claim(
    world, settings
):
    settings.PDF_JOB_STUCK_AFTER_SECONDS = 60
    old_queued = make_job(world)
    new_queued = make_job(world)
    old_claim = make_job(world, state=JobState.RENDERING)
    new_claim = make_job(world, state=JobState.RENDERING)  # asked for long ago, claimed just now
    unclaimed = make_job(world, state=JobState.RENDERING)  # made before claims were timed
    ready = make_job(world, state=JobState.READY)
    age(old_queued, created_at=timedelta(minutes=2))
    age(old_claim, created_at=timedelta(minutes=3), claimed_at=timedelta(minutes=2))
    age(new_claim, created_at=timedelta(minutes=3), claimed_at=timedelta(seconds=5))
    age(unclaimed, created_at=timedelta(minutes=2))
    age(ready, created_at=timedelta(days=2))

    assert jobs.release_stuck(jobs=EventRecord.objects.all(), error=STUCK) == 3

    states = dict(EventRecord.objects.values_list("pk", "state"))
    assert {pk for pk, state in states.items() if state == JobState.FAILED} == {
        old_queued.pk,
        old_claim.pk,
        unclaimed.pk,
    }
    assert states[new_queued.pk] == JobState.QUEUED
    assert states[new_claim.pk] == JobState.RENDERING
    assert states[ready.pk] == JobState.READY


def test_the_stuck_timeout_comes_from_the_setting(settings):
    settings.PDF_JOB_STUCK_AFTER_SECONDS = 90
    assert jobs.stuck_after() == timedelta(seconds=90)


# claim, store, mark_failed ---------------------------------------------------------------------------


def test_a_job_is_claimed_once(world):
    job = make_job(world)
    again = EventRecord.objects.get(pk=job.pk)  # the same task delivered twice
    assert jobs.claim(job=job) is True
    assert job.state == JobState.RENDERING and job.claimed_at is not None
    assert jobs.claim(job=again) is False
    assert again.state == JobState.RENDERING and again.claimed_at == job.claimed_at


@pytest.mark.parametrize("state", [JobState.READY, JobState.FAILED])
def test_a_finished_job_is_not_claimed(world, state):
    job = make_job(world, state=state)
    assert jobs.claim(job=job) is False
    assert EventRecord.objects.get(pk=job.pk).state == state


def test_store_saves_the_file_and_marks_ready(world):
    job = make_job(world, error="an earlier try")
    jobs.claim(job=job)
    assert jobs.store(job=job, name="record.pdf", content=PDF, pages=1) is True
    job.refresh_from_db()
    assert job.state == JobState.READY and job.pages == 1 and job.error == ""
    assert job.finished_at is not None
    assert job.file.read() == PDF


def test_store_for_a_job_not_claimed_keeps_no_file(world):
    job = make_job(world)
    assert jobs.store(job=job, name="record.pdf", content=PDF) is False
    assert EventRecord.objects.get(pk=job.pk).state == JobState.QUEUED
    assert pdfs() == []


def test_a_late_renderer_of_a_job_given_up_as_stuck_overwrites_nothing(world, enqueued, settings):
    settings.PDF_JOB_STUCK_AFTER_SECONDS = 600
    job = make_job(world)
    jobs.claim(job=job)  # the renderer thought dead, still at it
    age(job, claimed_at=timedelta(minutes=11))
    fresh = ask(world)  # the next click gives it up and makes it again
    assert jobs.claim(job=fresh)
    assert jobs.store(job=fresh, name="record.pdf", content=PDF + b"new", pages=2)

    assert jobs.store(job=job, name="record.pdf", content=PDF + b"old", pages=1) is False
    assert jobs.mark_failed(job=job, error="late failure") is False

    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.state == JobState.FAILED and job.error == STUCK and not job.file
    assert fresh.state == JobState.READY and fresh.pages == 2 and fresh.file.read() == PDF + b"new"
    assert pdfs() == [Path(fresh.file.path).resolve()]


def test_a_job_claimed_again_is_not_touched_by_its_earlier_renderer(world):
    job = make_job(world)
    jobs.claim(job=job)
    earlier = EventRecord.objects.get(pk=job.pk)
    # Another renderer holds it now (its claim is later than the one ``earlier`` was loaded with).
    EventRecord.objects.filter(pk=job.pk).update(claimed_at=timezone.now() + timedelta(seconds=1))
    assert jobs.store(job=earlier, name="record.pdf", content=PDF) is False
    assert jobs.mark_failed(job=earlier, error="late failure") is False
    assert jobs.while_claimed(job=earlier).count() == 0
    job.refresh_from_db()
    assert job.state == JobState.RENDERING and not job.file
    assert pdfs() == []


def test_mark_failed_gives_the_plain_message_and_leaves_a_ready_job_alone(world):
    job = make_job(world)
    jobs.claim(job=job)
    assert jobs.mark_failed(job=job, error="Could not be made.") is True
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error == "Could not be made." and job.finished_at
    ready = make_job(world)
    jobs.claim(job=ready)
    jobs.store(job=ready, name="record.pdf", content=PDF)
    assert jobs.mark_failed(job=ready, error="too late") is False
    assert EventRecord.objects.get(pk=ready.pk).state == JobState.READY


def test_a_job_that_fails_before_it_is_claimed_can_be_marked_failed(world):
    job = make_job(world)
    assert jobs.mark_failed(job=job, error="Could not be made.") is True
    assert EventRecord.objects.get(pk=job.pk).state == JobState.FAILED


# Two requests at once --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_make_one_job(world, enqueued, monkeypatch):
    # Hold each request a moment between looking for a job and creating one: without the lock both would
    # find none and both would create one. (PostgreSQL: the programme's row lock; SQLite: BEGIN IMMEDIATE.)
    create = EventRecord._default_manager.create

    def slow_create(**fields):
        time.sleep(0.3)
        return create(**fields)

    monkeypatch.setattr(EventRecord._default_manager, "create", slow_create)
    start = threading.Barrier(2)
    found, errors = [], []

    def request():
        try:
            start.wait()
            found.append(ask(world).pk)
        except Exception as error:  # noqa: BLE001 -- collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert EventRecord.objects.count() == 1
    assert found == [EventRecord.objects.get().pk] * 2
    assert enqueued == [(TASK, found[0])]  # rendered once
