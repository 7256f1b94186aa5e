"""How fast the outbox sends texts: 2,000 due invitations by text, sent by a real Celery worker (prefork,
two processes, Redis broker) through GOV.UK Notify's official client to the fake Notify on loopback
(tests/notify.py), against the bare client (one NotificationsAPIClient, so one HTTP session) posting the
same 2,000 texts with send_sms_notification in a loop, in the same run.

    .venv/bin/python bench/sms.py                 # a throwaway SQLite database in a temporary VAR_DIR
    DATABASE_URL=postgres://bt@127.0.0.1:5432/postgres .venv/bin/python bench/sms.py
                                                  # a throwaway database created on that server
    .venv/bin/python bench/sms.py --profile 300   # then dispatch_due in this process over 300 more:
                                                  # time per step, queries, cProfile

Everything (redis-server, the fake Notify, the worker) runs on 127.0.0.1 and is stopped at the end. The
worker texts in any hour (SMS_HOURS=0-24). The last line is ``ratio sms/bare: X.XX``.
"""

import argparse
import cProfile
import os
import pstats
import re
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from support import StepTimer, bench_database, start_redis, start_worker, stop_group, tail, wait_until

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.notify, and the project itself

from tests.notify import API_KEY, SMS_TEMPLATE_ID, FakeNotify, start_fake_notify  # noqa: E402

DEADLINE_SECONDS = 600


def mobile(prefix: int, n: int) -> str:
    # 07700 900xxx is Ofcom's range for drama; beyond it the numbers only ever reach the fake on loopback.
    return f"+4477009{prefix}{n:05d}" if prefix else f"+4477009{n:05d}"


def create_due_texts(count: int):
    """An open programme whose first session is 10 days away, and ``count`` parents reached by text
    alone whose invitations are due now."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core.models import Message
    from events import services as events_services
    from events.enums import ProgrammeStatus
    from events.models import Neighbourhood, Venue

    neighbourhood = Neighbourhood.objects.create(name="Millbrook")
    venue = Venue.objects.create(
        neighbourhood=neighbourhood,
        name="Millbrook Community Centre",
        address="1 High Street\nMillbrook",
        capacity=40,
        step_free_access=True,
    )
    facilitator = get_user_model().objects.create_user("facilitator", first_name="Fatima")
    programme = events_services.create_programme(
        neighbourhood=neighbourhood,
        title="Better Together in Millbrook",
        key_question="What would help every child here thrive?",
        first_date=timezone.localdate() + timedelta(days=10),
        venue=venue,
        created_by=facilitator,
    )
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    add_due_texts(programme, count, prefix=0)
    due = Message.objects.due(timezone.now())
    assert due.count() == count, f"{due.count()} messages due, expected {count}"
    assert set(due.values_list("channel", flat=True)) == {"sms"}
    return programme


def add_due_texts(programme, count: int, *, prefix: int) -> None:
    from invitations.models import Invitation, Invitee
    from invitations.services.schedule import sync_schedule

    invitees = Invitee.objects.bulk_create(
        Invitee(
            neighbourhood=programme.neighbourhood,
            name=f"Parent{prefix} Number{n}",
            category="parent",
            mobile=mobile(prefix, n),
            texts_agreed=True,
            channel="sms",
        )
        for n in range(count)
    )
    Invitation.objects.bulk_create(Invitation(programme=programme, invitee=invitee) for invitee in invitees)
    sync_schedule(programme=programme)


def texts_taken(state: FakeNotify) -> int:
    with state.lock:
        return len(state.notifications)


def run_bare(state: FakeNotify, bodies: list[str]) -> float:
    """The same texts posted by one NotificationsAPIClient (one HTTP session), one after another."""
    from notifications_python_client.notifications import NotificationsAPIClient

    client = NotificationsAPIClient(API_KEY, base_url=state.base_url, timeout=30)
    before = texts_taken(state)
    started = time.perf_counter()
    for n, body in enumerate(bodies):
        client.send_sms_notification(
            phone_number=mobile(9, n),
            template_id=SMS_TEMPLATE_ID,
            personalisation={"body": body},
            reference=f"bare-{n}",
        )
    seconds = time.perf_counter() - started
    assert texts_taken(state) - before == len(bodies)
    return seconds


def profile_in_process(programme, count: int) -> None:
    """Run dispatch_due in this process over ``count`` more due texts (same fake Notify): wall time per
    step and queries per text, then cProfile over another ``count`` for the detail."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from core import outbox, sms
    from core.models import Message
    from invitations.services import kinds as invitation_kinds
    from invitations.services import texts

    add_due_texts(programme, count, prefix=1)
    assert Message.objects.due(timezone.now()).count() == count
    with StepTimer() as timer, CaptureQueriesContext(connection) as queries:
        timer.wrap(invitation_kinds, "sync_all_schedules", "sync schedules (once per run)")
        timer.wrap(outbox, "requeue_stuck", "requeue stuck (once per run)")
        timer.wrap(outbox, "claim_due", "claim a batch of 50")
        timer.wrap(invitation_kinds, "still_wanted", "still_wanted: SELECT")
        timer.wrap(
            outbox,
            "_finish",
            lambda changes: "record outcome: UPDATE" if "state" in changes else "renew claim: UPDATE",
        )
        timer.wrap(invitation_kinds, "build_text", "build_text (all of it)")
        invitation_kinds.register_kinds()  # the Kind rows hold still_wanted and build_sms: the timed ones
        timer.wrap(texts, "issue_reply_link", "  reply token: INSERT")
        timer.wrap(texts, "programme_details", "  programme details: SELECTs")
        timer.wrap(texts, "render_text", "  template + parts")
        timer.wrap(sms.NotifySmsBackend, "send", "Notify client: sign + POST")
        started = time.perf_counter()
        result = outbox.dispatch_due()
        elapsed = time.perf_counter() - started
    invitation_kinds.register_kinds()
    verbs: dict[str, int] = {}
    for query in queries.captured_queries:
        verb = query["sql"].split(None, 1)[0].upper()
        verbs[verb] = verbs.get(verb, 0) + 1
    sent = max(result.sent, 1)
    print(
        f"\nin-process dispatch_due (one process, no profiler): {result.sent} sent in {elapsed:.2f}s = "
        f"{result.sent / elapsed:.1f}/s = {1000 * elapsed / sent:.1f} ms per text; "
        f"{len(queries)} queries ({', '.join(f'{v} {k}' for k, v in verbs.items())}) = "
        f"{len(queries) / sent:.1f} per text"
    )
    accounted = sum(v for k, v in timer.seconds.items() if not k.startswith("  "))
    for step, seconds in [*timer.seconds.items(), ("other (loop, prefetch, ...)", elapsed - accounted)]:
        print(f"  {step:<40} {1000 * seconds / sent:7.2f} ms/text {100 * seconds / elapsed:5.1f}%")

    add_due_texts(programme, count, prefix=2)
    profiler = cProfile.Profile()
    profiler.enable()
    outbox.dispatch_due()
    profiler.disable()
    print("\ncProfile of another dispatch_due over the same number (cumulative, our code and the client):")
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(r"/(core|invitations|notifications_python_client)/", 16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--profile", type=int, metavar="N", default=0, help="profile dispatch_due over N more"
    )
    args = parser.parse_args()
    if args.texts > 99_999:
        raise SystemExit("bench: at most 99,999 texts (the numbers have five digits to vary)")

    work = Path(tempfile.mkdtemp(prefix="bt-bench-sms-"))
    redis = worker = notify_server = None
    drop_database = None
    try:
        redis, redis_url = start_redis(work)
        notify_server, state = start_fake_notify()

        database_url, drop_database = bench_database(work)
        env = {
            "DJANGO_SETTINGS_MODULE": "bettertogether.settings",
            "DATABASE_URL": database_url,
            "VAR_DIR": str(work / "var"),
            "REDIS_URL": redis_url,
            "NOTIFY_API_KEY": API_KEY,
            "NOTIFY_BASE_URL": state.base_url,
            "NOTIFY_SMS_TEMPLATE_ID": SMS_TEMPLATE_ID,
            "SMS_BACKEND": "core.sms.NotifySmsBackend",
            "SMS_HOURS": "0-24",
            "SECRET_KEY": "bench-only-not-a-secret",
            "DEBUG": "0",
            # No beat here: the bench enqueues the dispatcher itself. Nothing may be swept mid-run.
            "OUTBOX_STUCK_AFTER_SECONDS": "600",
            "LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        programme = create_due_texts(args.texts)

        worker, worker_log = start_worker(work, args.concurrency, repo=REPO)

        from core.tasks import dispatch_outbox

        started = time.perf_counter()
        for _ in range(args.concurrency):  # one run per worker process
            dispatch_outbox.delay()
        wait_until(
            lambda: texts_taken(state) >= args.texts,
            timeout=DEADLINE_SECONDS,
            what=f"for {args.texts} texts (Notify has {texts_taken(state)})",
            logs=lambda: tail(worker_log),
        )
        sms_seconds = time.perf_counter() - started
        time.sleep(0.2)
        with state.lock:
            sent = list(state.notifications.values())
        distinct = len({n.to for n in sent})
        bodies = [n.body for n in sent]
        lengths = sorted(len(body) for body in bodies)
        runs = re.findall(r"succeeded in ([\d.]+)s: (\{[^}]*\})", worker_log.read_text(errors="replace"))

        bare_seconds = run_bare(state, bodies[: args.texts])

        sms_rate = args.texts / sms_seconds
        bare_rate = args.texts / bare_seconds
        engine = "PostgreSQL" if drop_database else "SQLite"
        print(f"database: {engine}; worker: prefork, concurrency {args.concurrency}; broker: Redis")
        print(f"text length: median {lengths[len(lengths) // 2]} characters (the bare loop sends the same)")
        for seconds, summary in runs:
            print(f"  worker run: {float(seconds):.2f}s {summary}")
        print(
            f"sms (real worker): {args.texts} texts in {sms_seconds:.2f}s = {sms_rate:.1f} texts/s "
            f"({len(sent)} taken by Notify, {distinct} distinct numbers)"
        )
        print(
            f"bare NotificationsAPIClient, one session: {args.texts} texts in {bare_seconds:.2f}s = "
            f"{bare_rate:.1f} texts/s"
        )
        if args.profile:
            profile_in_process(programme, args.profile)
        print(f"ratio sms/bare: {sms_rate / bare_rate:.2f}")
    finally:
        stop_group(worker)
        if notify_server is not None:
            notify_server.stop()
        stop_group(redis)
        if drop_database is not None:
            from django.db import connections

            connections.close_all()
            drop_database()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
