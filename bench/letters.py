"""How fast a school's letters are made: 300 invitees of one school reached by letter, from
request_letters to the stored PDF (reply codes, fresh reply links and QR codes, the HTML, WeasyPrint
through the restricted fetcher, chunks merged with pypdf, the file saved), against bare WeasyPrint
rendering the same final HTML (render_letters_html for every letter) in one call, in the same run.

    .venv/bin/python bench/letters.py                       # 300 letters, 2 rounds, a worker per CPU
    .venv/bin/python bench/letters.py --letters 100 --rounds 1 --concurrency 4

Each round times the task twice: in this process (eagerly, its chunks one after another) and by a real
Celery worker (prefork, Redis broker on 127.0.0.1), whose processes share the chunks; then the bare
render. The words change before each batch, so the fingerprint does and a new PDF is made. Everything
(redis-server, the worker, a throwaway SQLite database in a temporary VAR_DIR) is removed at the end.
The best round of each counts. The last line is ``ratio letters/bare: X.XX``: the worker's pages per
second over bare WeasyPrint's.
"""

import argparse
import io
import logging
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from support import start_redis, start_worker, stop_group, tail

REPO = Path(__file__).resolve().parent.parent


def create_school_with_letter_invitees(count: int):
    """A programme with one participating school and ``count`` parents reached by letter through it."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from events import services as events_services
    from events.enums import OrganisationKind
    from events.models import Neighbourhood, Organisation, Venue
    from invitations.models import Invitation, Invitee

    neighbourhood = Neighbourhood.objects.create(name="Millbrook")
    venue = Venue.objects.create(
        neighbourhood=neighbourhood,
        name="Millbrook Community Centre",
        address="1 High Street\nMillbrook",
        capacity=40,
        step_free_access=True,
        accessible_toilet=True,
        public_transport="Bus 12 stops outside.",
    )
    school = Organisation.objects.create(
        neighbourhood=neighbourhood, name="Millbrook Primary", kind=OrganisationKind.SCHOOL
    )
    facilitator = get_user_model().objects.create_user("facilitator", first_name="Fatima")
    programme = events_services.create_programme(
        neighbourhood=neighbourhood,
        title="Better Together in Millbrook",
        key_question="What would help every child here thrive?",
        first_date=timezone.localdate() + timedelta(days=21),
        venue=venue,
        schools=[school],
        created_by=facilitator,
    )
    # A mix of scripts, as in a real school's list.
    names = [
        "Amina Yusuf",
        "Zofia Wiśniewska",
        "عائشہ خان",
        "Rahim Uddin রহিম",
        "Ioana Popescu",
        "Chloe Davies",
    ]
    invitees = Invitee.objects.bulk_create(
        Invitee(
            neighbourhood=neighbourhood,
            name=f"{names[n % len(names)]} {n:03d}",
            category="parent",
            organisation=school,
            channel="letter",
        )
        for n in range(count)
    )
    Invitation.objects.bulk_create(Invitation(programme=programme, invitee=invitee) for invitee in invitees)
    return programme, school, facilitator


def wait_for(batch_pk: int, *, timeout: float):
    """The batch once it is ready (or failed), polling the database."""
    from invitations.enums import LetterState
    from invitations.models import LetterBatch

    deadline = time.monotonic() + timeout
    while True:
        batch = LetterBatch.objects.get(pk=batch_pk)
        if batch.state in (LetterState.READY, LetterState.FAILED):
            return batch
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: batch {batch_pk} still {batch.state} after {timeout:.0f}s")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--letters", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--concurrency", type=int, default=os.cpu_count() or 2, help="worker processes (default: CPUs)"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-letters-"))
    redis = worker = None
    try:
        (work / "var").mkdir()
        redis, redis_url = start_redis(work)
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "bettertogether.settings",
                "DATABASE_URL": f"sqlite:///{work / 'var' / 'db.sqlite3'}",
                "VAR_DIR": str(work / "var"),
                "MEDIA_ROOT": str(work / "var" / "media"),
                "REDIS_URL": redis_url,
                "SECRET_KEY": "bench-only-not-a-secret",
                "DEBUG": "0",
                "LOG_LEVEL": "WARNING",
            }
        )
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        from django.conf import settings
        from django.core.management import call_command

        call_command("migrate", verbosity=0)

        import pypdf
        from weasyprint import HTML

        from invitations.enums import LetterState, MessageKind
        from invitations.models import LetterWording
        from invitations.services import letters

        programme, school, user = create_school_with_letter_invitees(args.letters)
        invitations = list(letters.letter_invitations(programme=programme, school=school))

        worker, worker_log = start_worker(work, args.concurrency, repo=REPO, loglevel="WARNING", ready=False)

        def check(batch, how: str) -> int:
            if batch.state != LetterState.READY:
                raise SystemExit(
                    f"bench: {how}: the batch ended {batch.state}: {batch.error}\n{tail(worker_log)}"
                )
            with batch.file.open("rb") as handle:
                pages = len(pypdf.PdfReader(handle).pages)
            if pages != args.letters:
                raise SystemExit(f"bench: {how}: {pages} pages for {args.letters} letters")
            return pages

        base_words = letters.letter_words(programme=programme, kind=MessageKind.INVITATION, session=None)

        def fresh_words(label: str) -> None:
            # New words each time, so the fingerprint changes and a new batch is made.
            LetterWording.objects.update_or_create(
                programme=programme, defaults={"text": f"{base_words}\n\n{label}"}
            )

        # Warm up: fonts and WeasyPrint's caches here, and every worker process (a batch of two chunks each).
        warm = letters.render_letters_html(programme=programme, school=school, invitations=invitations[:3])
        HTML(string=warm, base_url=settings.SITE_URL + "/").write_pdf()
        settings.CELERY_TASK_ALWAYS_EAGER = False
        fresh_words("warm-up")
        batch = letters.request_letters(programme=programme, school=school, user=user)
        check(wait_for(batch.pk, timeout=300), "warm-up")

        inline_times, worker_times, bare_times = [], [], []
        for round_number in range(1, args.rounds + 1):
            # The task in this process (as with CELERY_TASK_ALWAYS_EAGER): its chunks one after another.
            settings.CELERY_TASK_ALWAYS_EAGER = True
            fresh_words(f"Round {round_number}, inline.")
            started = time.perf_counter()
            batch = letters.request_letters(programme=programme, school=school, user=user)
            inline_times.append(time.perf_counter() - started)
            check(wait_for(batch.pk, timeout=5), "inline")

            # The worker: its processes share the chunks; from the request to the stored PDF.
            settings.CELERY_TASK_ALWAYS_EAGER = False
            fresh_words(f"Round {round_number}, worker.")
            started = time.perf_counter()
            batch = letters.request_letters(programme=programme, school=school, user=user)
            batch = wait_for(batch.pk, timeout=600)
            worker_times.append(time.perf_counter() - started)
            check(batch, "worker")

            # Bare WeasyPrint: the final HTML of every letter (render_letters_html), in one call.
            html = letters.render_letters_html(programme=programme, school=school, invitations=invitations)
            started = time.perf_counter()
            bare = HTML(string=html, base_url=settings.SITE_URL + "/").write_pdf()
            bare_times.append(time.perf_counter() - started)
            bare_pages = len(pypdf.PdfReader(io.BytesIO(bare)).pages)
            if bare_pages != args.letters:
                raise SystemExit(f"bench: bare: {bare_pages} pages for {args.letters} letters")
            print(
                f"round {round_number}: inline {inline_times[-1]:.2f}s, worker ({args.concurrency} processes) "
                f"{worker_times[-1]:.2f}s, bare {bare_times[-1]:.2f}s, {args.letters} pages each"
            )

        inline, parallel, bare_best = min(inline_times), min(worker_times), min(bare_times)
        n = args.letters
        print(f"bare WeasyPrint, one call: {n / bare_best:.1f} pages/s ({bare_best:.2f}s)")
        print(
            f"letters in this process: {n / inline:.1f} pages/s ({inline:.2f}s), ratio {bare_best / inline:.2f}"
        )
        print(
            f"letters by the worker: {n / parallel:.1f} pages/s ({parallel:.2f}s, {args.concurrency} processes)"
        )
        print(f"ratio letters/bare: {bare_best / parallel:.2f}")
    finally:
        stop_group(worker)
        stop_group(redis)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
