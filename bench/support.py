"""Helpers the benchmark scripts share: loopback ports, log tails, bounded waits, a Redis server and a
throwaway database of their own, and stopping what they started.

Imported as ``support`` by the scripts in this folder (run as ``python bench/<script>.py``, so this folder
is on ``sys.path``).
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (the kernel's pick; the probe socket is closed again)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of the text file at ``path`` (undecodable bytes replaced), or "" if it
    does not exist."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def stop_group(process: subprocess.Popen | None) -> None:
    """Stop a process started with ``start_new_session=True`` and its whole process group: SIGTERM, up to
    15 s to exit, then SIGKILL and up to 15 s more. Nothing to do if it is None or has already exited."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass


def wait_until(condition, *, timeout: float, what: str, logs=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out after {timeout:.0f}s {what}\n{logs()}")
        time.sleep(0.01)


def start_worker(
    work: Path, concurrency: int, *, repo: Path, loglevel: str = "INFO", ready: bool = True
) -> tuple[subprocess.Popen, Path]:
    """A real Celery worker (prefork, ``concurrency`` processes) in its own process group, logging to
    ``work/worker.log``, with the settings in os.environ; waits until it is ready (INFO logs) if asked."""
    log = work / "worker.log"
    with log.open("ab") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bettertogether", "worker", "--pool", "prefork"]
            + ["--concurrency", str(concurrency), "--loglevel", loglevel]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=work,
            env={**os.environ, "PYTHONPATH": str(repo), "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    if ready:
        wait_until(
            lambda: worker.poll() is not None or " ready." in log.read_text(errors="replace"),
            timeout=60,
            what="for the worker",
            logs=lambda: tail(log),
        )
        if worker.poll() is not None:
            raise SystemExit(f"bench: the worker exited\n{tail(log)}")
    return worker, log


def start_redis(directory: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = directory / "redis.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(directory)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pong() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as client:
                client.sendall(b"PING\r\n")
                return client.recv(16).startswith(b"+PONG")
        except OSError:
            return process.poll() is not None

    wait_until(pong, timeout=15, what="for redis-server", logs=lambda: tail(log))
    if process.poll() is not None:
        raise SystemExit(f"bench: redis-server exited\n{tail(log)}")
    return process, f"redis://127.0.0.1:{port}/0"


def throwaway_postgres(url: str) -> tuple[str, Callable[[], None]]:
    """Create an empty database next to the one DATABASE_URL names; return its URL and a dropper."""
    import psycopg

    name = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}")), drop


def bench_database(work: Path) -> tuple[str, Callable[[], None] | None]:
    """The database a bench runs on: a throwaway one beside the PostgreSQL server DATABASE_URL names (and
    the function that drops it), or, with DATABASE_URL unset, a new SQLite file under ``work``."""
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        return throwaway_postgres(database_url)
    if database_url:
        raise SystemExit("bench: DATABASE_URL must be a PostgreSQL URL, or unset for SQLite")
    return f"sqlite:///{work / 'var' / 'db.sqlite3'}", None


def parents_with_reply_links(count: int, *, first_in_days: int):
    """An open programme in Millbrook (the standard four sessions, the first ``first_in_days`` away) with
    ``count`` parents reached by email, each with a reply link. Returns (programme, invitations, tokens).
    Django must be set up first."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core.tokens import new_token
    from events import services as events_services
    from events.enums import ProgrammeStatus
    from events.models import Neighbourhood, Organisation, Venue
    from invitations.models import Invitation, Invitee, ReplyToken

    neighbourhood = Neighbourhood.objects.create(name="Millbrook")
    school = Organisation.objects.create(
        neighbourhood=neighbourhood, name="Millbrook Primary", kind="school", school_phase="primary"
    )
    venue = Venue.objects.create(
        neighbourhood=neighbourhood,
        name="Millbrook Community Centre",
        address="12 Station Road\nMillbrook\nMB1 2AB",
        capacity=40,
        step_free_access=True,
        accessible_toilet=True,
        public_transport="Bus 12 stops outside; five minutes' walk from Millbrook station.",
    )
    facilitator = get_user_model().objects.create_user("facilitator", first_name="Fatima")
    programme = events_services.create_programme(
        neighbourhood=neighbourhood,
        title="Better Together in Millbrook",
        key_question="What would help every child here thrive?",
        first_date=timezone.localdate() + timedelta(days=first_in_days),
        venue=venue,
        schools=[school],
        created_by=facilitator,
    )
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    invitees = Invitee.objects.bulk_create(
        Invitee(
            neighbourhood=neighbourhood,
            name=f"Parent Number{n}",
            category="parent",
            organisation=school,
            email=f"parent{n}@example.org",
            channel="email",
        )
        for n in range(count)
    )
    invitations = Invitation.objects.bulk_create(
        Invitation(programme=programme, invitee=invitee) for invitee in invitees
    )
    tokens, rows = [], []
    for invitation in invitations:
        token, token_hash = new_token()
        tokens.append(token)
        rows.append(ReplyToken(invitation=invitation, token_hash=token_hash))
    ReplyToken.objects.bulk_create(rows)
    return programme, invitations, tokens


class StepTimer:
    """Wall time spent in named functions, by replacing them on their modules for the duration."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._undo: list = []

    def wrap(self, owner, attribute: str, name=None) -> None:
        original = getattr(owner, attribute)

        def timed(*args, **kwargs):
            step = name(kwargs) if callable(name) else name or attribute
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - started
                self.calls[step] = self.calls.get(step, 0) + 1

        setattr(owner, attribute, timed)
        self._undo.append((owner, attribute, original))

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        for owner, attribute, original in reversed(self._undo):
            setattr(owner, attribute, original)
