"""How soon a parent's confirmation email arrives after they reply: replies POSTed to gunicorn on loopback
(each with a real reply token and the CSRF token from the GET before it), through a real Celery worker on
Redis, to an SMTP sink on loopback; the time from each POST to its confirmation in the sink, against the
beat's interval (OUTBOX_DISPATCH_EVERY_SECONDS, 120 s), which is how long a confirmation could wait if
nothing but beat sent it.

    .venv/bin/python bench/latency.py                   # 100 replies, 4 at a time; throwaway SQLite
    .venv/bin/python bench/latency.py --at-once 1       # one reply at a time
    DATABASE_URL=postgres://bt@127.0.0.1:5432/postgres .venv/bin/python bench/latency.py
                                                        # a throwaway database created on that server

Everything (redis-server, the sink, the worker, beat, gunicorn) runs on 127.0.0.1 and is stopped at the
end; every wait is bounded. The last line is ``ratio p95/beat: X.XX`` (aim: p95 at most 30 s, a ratio
well under 0.25).
"""

import argparse
import http.client
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from support import (
    bench_database,
    free_port,
    parents_with_reply_links,
    start_redis,
    stop_group,
    tail,
    wait_until,
)

REPO = Path(__file__).resolve().parent.parent
BEAT_EVERY_SECONDS = 120  # the setting's default, set explicitly for the worker and beat
DEADLINE_SECONDS = 600  # the whole run, whatever hangs
ARRIVAL_TIMEOUT_SECONDS = 180  # after the last POST: past a beat tick, so a lost quick run still shows
HTTP_TIMEOUT_SECONDS = 30
# What the thank-you page can say about the confirmation, as the bench tells them apart.
PROMISES = (("in a minute or two", "on its way"), ("We have sent you an email", "already sent"))


class ArrivalSink:
    """An aiosmtpd handler that notes when each message arrived (time.monotonic), by recipient, and its
    Message-ID, and nothing else."""

    def __init__(self):
        self.lock = threading.Lock()
        self.arrived: dict[str, list[float]] = {}
        self.ids: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        content = envelope.original_content or envelope.content
        match = re.search(rb"^Message-ID: *(<[^>]*>)", content, re.MULTILINE | re.IGNORECASE)
        with self.lock:
            for address in envelope.rcpt_tos:
                self.arrived.setdefault(address.lower(), []).append(now)
            self.ids.append(match.group(1) if match else b"")
        return "250 Message accepted"

    def count(self) -> int:
        with self.lock:
            return len(self.ids)


def create_invitations(count: int) -> list[tuple[str, str]]:
    """An open programme (the standard four sessions, the first five weeks away, so nothing else is due)
    with ``count`` parents reached by email; returns (address, reply token) for each."""
    from invitations.services.schedule import sync_schedule

    programme, invitations, tokens = parents_with_reply_links(count, first_in_days=35)
    sync_schedule(programme=programme)
    return [(invitation.invitee.email, token) for invitation, token in zip(invitations, tokens, strict=True)]


def spawn(command: list[str], *, cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop_group reaches its children
        )


def request(port: int, method: str, path: str, *, body: str = "", headers: dict | None = None):
    """One request on its own connection; returns (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_SECONDS)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode(errors="replace")
    finally:
        connection.close()


def reply(port: int, token: str) -> tuple[float, float, str]:
    """Open the reply page like a phone would, answer "coming" to every session, and follow the redirect
    to the thank-you page. Returns when the POST was sent (time.monotonic), how long it took to answer,
    and what the thank-you page said about the email."""
    path = f"/r/{token}/"
    status, headers, page = request(port, "GET", path)
    if status != 200:
        raise SystemExit(f"bench: GET {path} answered {status}\n{page[:500]}")
    cookie = next(
        (
            value.split(";", 1)[0]
            for name, value in headers
            if name.lower() == "set-cookie" and "csrftoken=" in value
        ),
        None,
    )
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    sessions = sorted(set(re.findall(r'name="(session_\d+)"', page)))
    if not cookie or not csrf or not sessions:
        raise SystemExit(f"bench: the reply page has no CSRF cookie, token or sessions\n{page[:500]}")
    body = urlencode({"csrfmiddlewaretoken": csrf.group(1), **dict.fromkeys(sessions, "yes")})
    posted = time.monotonic()
    status, headers, text = request(
        port,
        "POST",
        path,
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    answered = time.monotonic() - posted
    location = next((value for name, value in headers if name.lower() == "location"), "")
    if status != 302 or not location.endswith("/thanks/"):
        raise SystemExit(f"bench: POST {path} answered {status} {location}\n{text[:500]}")
    status, _headers, thanks = request(port, "GET", location, headers={"Cookie": cookie})
    if status != 200:
        raise SystemExit(f"bench: GET {location} answered {status}\n{thanks[:500]}")
    said = next((said for words, said in PROMISES if words in thanks), "no email")
    return posted, answered, said


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``share`` of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def worker_runs(log: Path, task: str) -> list[int]:
    """The 'sent' figure of each finished run of ``task``, from the worker's log."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return [
        int(n) for n in re.findall(rf"{re.escape(task)}\[[^]]*\] succeeded in [\d.]+s: {{'sent': (\d+)", text)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replies", type=int, default=100)
    parser.add_argument("--at-once", type=int, default=4, help="replies in flight at a time (default 4)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and its logs")
    args = parser.parse_args()
    signal.alarm(DEADLINE_SECONDS)  # the whole run is bounded, whatever hangs

    work = Path(tempfile.mkdtemp(prefix="bt-bench-latency-"))
    redis = worker = beat = server = controller = None
    drop_database = None
    try:
        from aiosmtpd.controller import Controller

        redis, redis_url = start_redis(work)
        sink = ArrivalSink()
        controller = Controller(sink, hostname="127.0.0.1", port=free_port())
        controller.start()

        database_url, drop_database = bench_database(work)
        port = free_port()
        for name in ("EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "SITE_URL"):
            os.environ.pop(name, None)
        os.environ.update(
            {
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
                "ALLOWED_HOSTS": "127.0.0.1",
                "SITE_URL": f"http://127.0.0.1:{port}",
                "RATE_LIMIT_PER_MINUTE": str(10**9),
                "OUTBOX_DISPATCH_EVERY_SECONDS": str(BEAT_EVERY_SECONDS),
                "LOG_LEVEL": "WARNING",
            }
        )
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        people = create_invitations(args.replies)
        connections.close_all()

        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        celery = [sys.executable, "-m", "celery", "-A", "bettertogether"]
        worker_log, beat_log, web_log = work / "worker.log", work / "beat.log", work / "gunicorn.log"
        worker = spawn(
            [*celery, "worker", "--pool", "prefork", "--concurrency", str(args.concurrency)]
            + ["--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=work,
            env=env,
            log=worker_log,
        )
        beat = spawn(
            [*celery, "beat", "--loglevel", "INFO", "--schedule", str(work / "beat-schedule")],
            cwd=work,
            env=env,
            log=beat_log,
        )
        server = spawn(
            [sys.executable, "-m", "gunicorn", "bettertogether.wsgi:application"]
            + ["-w", str(args.web_workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=REPO,
            env=env,
            log=web_log,
        )
        wait_until(
            lambda: worker.poll() is not None or " ready." in worker_log.read_text(errors="replace"),
            timeout=60,
            what="for the worker",
            logs=lambda: tail(worker_log),
        )

        def healthy() -> bool:
            if server.poll() is not None:
                return True
            try:
                return request(port, "GET", "/healthz/")[0] == 200
            except OSError:
                return False

        wait_until(healthy, timeout=30, what="for gunicorn", logs=lambda: tail(web_log))
        for name, process, log in (("worker", worker, worker_log), ("gunicorn", server, web_log)):
            if process.poll() is not None:
                raise SystemExit(f"bench: {name} exited\n{tail(log)}")

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.at_once) as pool:
            answers = list(pool.map(lambda person: reply(port, person[1]), people))
        posting_seconds = time.monotonic() - started
        wait_until(
            lambda: sink.count() >= len(people),
            timeout=ARRIVAL_TIMEOUT_SECONDS,
            what=f"for {len(people)} confirmations (got {sink.count()})",
            logs=lambda: tail(worker_log),
        )
        time.sleep(1.0)  # anything sent twice would arrive by now

        latencies = []
        for (address, _token), (posted, _answered, _said) in zip(people, answers, strict=True):
            [arrived, *again] = sink.arrived[address]
            assert not again, f"{address} got {1 + len(again)} confirmations"
            latencies.append(arrived - posted)
        post_times = [answered for _posted, answered, _said in answers]
        said = {words: sum(1 for answer in answers if answer[2] == words) for _, words in PROMISES}
        quick, beat_runs = (
            worker_runs(worker_log, "core.send_due_now"),
            worker_runs(worker_log, "core.dispatch_outbox"),
        )
        engine = "PostgreSQL" if drop_database else "SQLite"
        p50, p95 = percentile(latencies, 0.50), percentile(latencies, 0.95)
        print(
            f"setup: {engine}; gunicorn -w {args.web_workers}; Celery prefork, concurrency {args.concurrency}, "
            f"on Redis; beat every {BEAT_EVERY_SECONDS}s; SMTP sink; all on 127.0.0.1"
        )
        print(
            f"{len(people)} replies, {args.at_once} at a time (GET the page, then POST the answer), "
            f"posted in {posting_seconds:.1f}s; POST answered in p50 {1000 * percentile(post_times, 0.5):.0f} ms, "
            f"p95 {1000 * percentile(post_times, 0.95):.0f} ms"
        )
        print(
            f"sink: {sink.count()} messages, {len(set(sink.ids))} distinct Message-IDs, "
            f"{sum(1 for v in sink.arrived.values() if len(v) > 1)} people with more than one"
        )
        print(
            f"worker: {len(quick)} quick runs (core.send_due_now) sent {sum(quick)}, "
            f"{sum(1 for sent in quick if sent == 0)} of them empty; "
            f"{len(beat_runs)} beat runs (core.dispatch_outbox) sent {sum(beat_runs)}"
        )
        print(
            "thank-you pages said the email was: "
            + ", ".join(f"{words} {count}" for words, count in said.items())
            + f", nothing {len(answers) - sum(said.values())}"
        )
        print(
            f"POST to confirmation in the sink: p50 {p50:.2f}s, p95 {p95:.2f}s, max {max(latencies):.2f}s, "
            f"mean {statistics.fmean(latencies):.2f}s"
        )
        print(f"ratio p95/beat: {p95 / BEAT_EVERY_SECONDS:.2f}")
    finally:
        stop_group(server)
        stop_group(beat)
        stop_group(worker)
        if controller is not None:
            controller.stop()
        stop_group(redis)
        if drop_database is not None:
            from django.db import connections

            connections.close_all()
            drop_database()
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
