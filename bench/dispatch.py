"""How fast the outbox sends: 2,000 due invitations delivered by a real Celery worker (prefork, two
processes, Redis broker) to an SMTP sink on loopback, against a bare smtplib loop sending as many
messages of the same size over one connection, in the same run.

    .venv/bin/python bench/dispatch.py              # a throwaway SQLite database in a temporary VAR_DIR
    DATABASE_URL=postgres://bt@127.0.0.1:5432/postgres .venv/bin/python bench/dispatch.py
                                                    # a throwaway database created on that server
    .venv/bin/python bench/dispatch.py --profile 300  # then dispatch_due in this process over 300 more:
                                                      # time per step, queries, cProfile

Everything (redis-server, the sink, the worker) runs on 127.0.0.1 and is stopped at the end. The last
line is ``ratio dispatch/bare: X.XX``.
"""

import argparse
import cProfile
import os
import pstats
import re
import shutil
import smtplib
import sys
import tempfile
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from support import (
    StepTimer,
    bench_database,
    free_port,
    start_redis,
    start_worker,
    stop_group,
    tail,
    wait_until,
)

REPO = Path(__file__).resolve().parent.parent
DEADLINE_SECONDS = 600


class CountingSink:
    """An aiosmtpd handler that only counts, keeps each message's size and Message-ID, and the first
    message whole, so the sink costs the same little for both runs."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.sizes: list[int] = []
        self.ids: list[bytes] = []
        self.first: bytes | None = None

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        match = re.search(rb"^Message-ID: *(<[^>]*>)", content, re.MULTILINE | re.IGNORECASE)
        with self.lock:
            self.count += 1
            self.sizes.append(len(content))
            self.ids.append(match.group(1) if match else b"")
            if self.first is None:
                self.first = content
        return "250 Message accepted"

    def reset(self) -> None:
        with self.lock:
            self.count, self.sizes, self.ids = 0, [], []


def create_due_invitations(count: int):
    """An open programme whose first session is 10 days away, and ``count`` invitations due now."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core.models import Message
    from events import services as events_services
    from events.enums import ProgrammeStatus
    from events.models import Neighbourhood, Venue
    from invitations.models import Invitation, Invitee
    from invitations.services.schedule import sync_schedule

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
    invitees = Invitee.objects.bulk_create(
        Invitee(
            neighbourhood=neighbourhood,
            name=f"Parent Number{n}",
            category="parent",
            email=f"parent{n}@example.org",
            channel="email",
        )
        for n in range(count)
    )
    Invitation.objects.bulk_create(Invitation(programme=programme, invitee=invitee) for invitee in invitees)
    sync_schedule(programme=programme)
    due = Message.objects.due(timezone.now()).count()
    assert due == count, f"{due} messages due, expected {count}"
    return programme


def bare_messages(sample: bytes, count: int):
    """``count`` messages shaped like the outbox's: text + HTML + .ics with the same contents and
    transfer encodings (8bit, as Django sends them), each built with EmailMessage as it is sent."""
    original = message_from_bytes(sample, policy=policy.default)
    text = original.get_body(("plain",)).get_content()
    html = original.get_body(("html",)).get_content()
    [attachment] = list(original.iter_attachments())
    ics = attachment.get_content()
    ics = ics.decode() if isinstance(ics, bytes) else ics

    def cte(content: str) -> str:
        return "quoted-printable" if any(len(line) > 998 for line in content.splitlines()) else "8bit"

    for n in range(count):
        message = EmailMessage()
        message["Subject"] = original["Subject"]
        message["From"] = original["From"]
        message["To"] = f"Parent Number{n} <bare{n}@example.org>"
        message["Message-ID"] = f"<bare-{n}@bench.invalid>"
        message["List-Unsubscribe"] = original["List-Unsubscribe"]
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(text, cte=cte(text))
        message.add_alternative(html, subtype="html", cte=cte(html))
        message.add_attachment(ics, subtype="calendar", filename="better-together.ics", cte=cte(ics))
        yield message


def run_bare(port: int, sample: bytes, count: int, sink: CountingSink) -> float:
    sink.reset()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        for message in bare_messages(sample, count):
            client.send_message(message)
    wait_until(lambda: sink.count >= count, timeout=60, what="for the bare messages")
    return time.perf_counter() - started


def add_due_invitations(programme, count: int, prefix: str) -> None:
    from invitations.models import Invitation, Invitee
    from invitations.services.schedule import sync_schedule

    invitees = Invitee.objects.bulk_create(
        Invitee(
            neighbourhood=programme.neighbourhood,
            name=f"{prefix.title()} Parent{n}",
            category="parent",
            email=f"{prefix}{n}@example.org",
            channel="email",
        )
        for n in range(count)
    )
    Invitation.objects.bulk_create(Invitation(programme=programme, invitee=invitee) for invitee in invitees)
    sync_schedule(programme=programme)


def profile_in_process(programme, count: int) -> None:
    """Run dispatch_due in this process over ``count`` more due invitations (same sink): wall time per
    step and queries per message, then cProfile over another ``count`` for the detail."""
    from django.core.mail.backends.smtp import EmailBackend
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from core import outbox
    from core.models import Message
    from invitations.services import emails
    from invitations.services import kinds as invitation_kinds

    add_due_invitations(programme, count, "timed")
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
        timer.wrap(invitation_kinds, "build_message", "build_message (all of it)")
        invitation_kinds.register_kinds()  # the outbox's Kind rows hold still_wanted: take the timed one
        timer.wrap(emails, "issue_reply_link", "  reply token: INSERT")
        timer.wrap(emails, "calendar_file", "  .ics: icalendar")
        timer.wrap(emails, "build_email", "  templates + EmailMultiAlternatives")
        timer.wrap(EmailBackend, "send_messages", "SMTP: serialise + send")
        started = time.perf_counter()
        result = outbox.dispatch_due()
        elapsed = time.perf_counter() - started
    invitation_kinds.register_kinds()
    kinds: dict[str, int] = {}
    for query in queries.captured_queries:
        verb = query["sql"].split(None, 1)[0].upper()
        kinds[verb] = kinds.get(verb, 0) + 1
    sent = max(result.sent, 1)
    print(
        f"\nin-process dispatch_due (one process, no profiler): {result.sent} sent in {elapsed:.2f}s = "
        f"{result.sent / elapsed:.1f}/s = {1000 * elapsed / sent:.1f} ms per message; "
        f"{len(queries)} queries ({', '.join(f'{v} {k}' for k, v in kinds.items())}) = "
        f"{len(queries) / sent:.1f} per message"
    )
    accounted = sum(v for k, v in timer.seconds.items() if not k.startswith("  "))
    for step, seconds in [
        *timer.seconds.items(),
        ("other (loop, connection.open, ...)", elapsed - accounted),
    ]:
        print(f"  {step:<40} {1000 * seconds / sent:7.2f} ms/message {100 * seconds / elapsed:5.1f}%")
    # The sessions and facilitators SELECTs inside build_message are its remainder.

    add_due_invitations(programme, count, "profiled")
    profiler = cProfile.Profile()
    profiler.enable()
    outbox.dispatch_due()
    profiler.disable()
    print("\ncProfile of another dispatch_due over the same number (cumulative, our code and icalendar):")
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(r"/(invitations|bettertogether|icalendar/cal)/", 14)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--profile", type=int, metavar="N", default=0, help="profile dispatch_due over N more"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bt-bench-dispatch-"))
    redis = worker = controller = None
    drop_database = None
    try:
        from aiosmtpd.controller import Controller

        redis, redis_url = start_redis(work)
        sink = CountingSink()
        controller = Controller(sink, hostname="127.0.0.1", port=free_port())
        controller.start()

        database_url, drop_database = bench_database(work)
        env = {
            "DJANGO_SETTINGS_MODULE": "bettertogether.settings",
            "DATABASE_URL": database_url,
            "VAR_DIR": str(work / "var"),
            "REDIS_URL": redis_url,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(controller.port),
            "EMAIL_USE_TLS": "0",
            "EMAIL_USE_SSL": "0",
            "SECRET_KEY": "bench-only-not-a-secret",
            "DEBUG": "0",
            # No beat here: the bench enqueues the dispatcher itself. Nothing may be swept mid-run.
            "OUTBOX_STUCK_AFTER_SECONDS": "600",
            "LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        programme = create_due_invitations(args.messages)

        worker, worker_log = start_worker(work, args.concurrency, repo=REPO)

        from core.tasks import dispatch_outbox

        started = time.perf_counter()
        for _ in range(args.concurrency):  # one run per worker process
            dispatch_outbox.delay()
        wait_until(
            lambda: sink.count >= args.messages,
            timeout=DEADLINE_SECONDS,
            what=f"for {args.messages} messages (got {sink.count})",
            logs=lambda: tail(worker_log),
        )
        dispatch_seconds = time.perf_counter() - started
        time.sleep(0.2)
        sent, distinct = sink.count, len(set(sink.ids))
        sizes = sorted(sink.sizes)
        runs = re.findall(r"succeeded in ([\d.]+)s: (\{[^}]*\})", worker_log.read_text(errors="replace"))

        bare_seconds = run_bare(controller.port, sink.first, args.messages, sink)
        bare_sizes = sorted(sink.sizes)

        dispatch_rate = args.messages / dispatch_seconds
        bare_rate = args.messages / bare_seconds
        engine = "PostgreSQL" if drop_database else "SQLite"
        print(f"database: {engine}; worker: prefork, concurrency {args.concurrency}; broker: Redis")
        print(
            f"message size: median {sizes[len(sizes) // 2]} bytes (bare: {bare_sizes[len(bare_sizes) // 2]})"
        )
        for seconds, summary in runs:
            print(f"  worker run: {float(seconds):.2f}s {summary}")
        print(
            f"dispatch (real worker): {args.messages} messages in {dispatch_seconds:.2f}s = "
            f"{dispatch_rate:.1f} messages/s ({sent} received, {distinct} distinct)"
        )
        print(
            f"bare smtplib, one connection: {args.messages} messages in {bare_seconds:.2f}s = "
            f"{bare_rate:.1f} messages/s"
        )
        if args.profile:
            profile_in_process(programme, args.profile)
        print(f"ratio dispatch/bare: {dispatch_rate / bare_rate:.2f}")
    finally:
        stop_group(worker)
        if controller is not None:
            controller.stop()
        stop_group(redis)
        if drop_database is not None:
            from django.db import connections

            connections.close_all()
            drop_database()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
