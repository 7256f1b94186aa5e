"""What one person's change costs the schedule: re-planning one invitation (a reply, a new person, an
address fixed, a bounce) against re-planning the whole programme, at 50 and at 2,000 people, in the
same run.

    .venv/bin/python bench/replan.py        # a throwaway SQLite database in a temporary VAR_DIR

For each size: one open programme (the standard four sessions, the first in 30 days) with that many
parents reached by email, their schedule made; then the median of 20 runs of
``sync_schedule(programme=…)`` (everyone) and of ``sync_schedule(programme=…, only=[one])`` (one
person), with the queries each makes. The last line is ``ratio one@2000/one@50: X.XX``: a person's
re-plan should cost the same at 2,000 as at 50 (a ratio near 1).
"""

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from support import parents_with_reply_links

REPO = Path(__file__).resolve().parent.parent
RUNS = 20


def timed(call) -> tuple[float, int]:
    """Median seconds of RUNS calls, and the queries of one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as queries:
        call()
    return statistics.median(times), len(queries)


def clear() -> None:
    """Nothing left of the last size's data (in the order its protected relations need)."""
    from django.contrib.auth import get_user_model

    from core.models import Message
    from events.models import Neighbourhood, Organisation, Programme, Venue
    from invitations.models import Invitee

    for model in (Message, Programme, Invitee, Venue, Organisation, Neighbourhood, get_user_model()):
        model.objects.all().delete()


def measure(size: int) -> tuple[float, int, float, int]:
    from invitations.services.schedule import sync_schedule

    programme, invitations, _tokens = parents_with_reply_links(size, first_in_days=30)
    sync_schedule(programme=programme)
    one = invitations[size // 2].pk
    everyone_s, everyone_q = timed(lambda: sync_schedule(programme=programme))
    one_s, one_q = timed(lambda: sync_schedule(programme=programme, only=[one]))
    return everyone_s, everyone_q, one_s, one_q


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-replan-"))
    try:
        os.environ.update({"VAR_DIR": str(work), "DJANGO_SETTINGS_MODULE": "bettertogether.settings"})
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        results = {}
        for size in (50, 2000):
            clear()
            results[size] = measure(size)
            everyone_s, everyone_q, one_s, one_q = results[size]
            print(
                f"{size:>5} people: everyone {everyone_s * 1000:7.1f} ms ({everyone_q} queries), "
                f"one person {one_s * 1000:6.2f} ms ({one_q} queries)"
            )
        print(f"ratio one@2000/one@50: {results[2000][2] / results[50][2]:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
