"""Real parts on loopback for the integration tests: redis-server, a Celery worker and beat, an SMTP sink.

Each part is started by its fixture and always stopped, even when the test fails. The worker and beat
are separate process groups, so a test can kill -9 the worker (pool children included) and start
another while beat keeps ticking. Every wait has a deadline and fails with the logs' last lines.

Tests that use the worker need ``@pytest.mark.django_db(transaction=True)``: the worker is another
process and only sees committed rows. Start it (``celery_worker.start()``) after the data is set up.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.smtp import Sink, free_port, start_sink

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
# How often beat runs the dispatcher, the first retry wait and the sweeper's timeout, for the worker.
DISPATCH_EVERY_SECONDS = 2
STUCK_AFTER_SECONDS = 5
WORKER_PROCESSES = 2  # prefork pool size


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path} was never written)"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


def wait_for(condition: Callable, *, timeout: float, failure: Callable[[], str], interval: float = 0.05):
    """Poll ``condition`` until it returns something truthy (returned), or fail the test at the deadline
    with ``failure()``: a message that should say what was expected and show the logs."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s: {failure()}", pytrace=False)
        time.sleep(interval)


def stop_group(process: subprocess.Popen | None, *, grace: float = 10.0) -> None:
    """Stop a process started with start_new_session=True, and everything in its group."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # the pool children too, if the parent has gone
    process.wait(timeout=grace)


class RedisServer:
    """A throwaway redis-server on loopback: no persistence, so a restart loses every queued task."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = directory / "redis.log"
        self.process: subprocess.Popen | None = None
        self._log: IO | None = None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(
            lambda: self.process.poll() is not None or self.ping(),
            timeout=15,
            failure=lambda: f"redis-server did not answer PING on {self.url}\n{tail(self.log_path)}",
        )
        if self.process.poll() is not None:
            pytest.fail(f"redis-server exited ({self.process.returncode})\n{tail(self.log_path)}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as client:
                client.sendall(b"PING\r\n")
                return client.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        stop_group(self.process)
        if self._log:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        """Stop and start again on the same port, empty."""
        self.stop()
        self.start()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis")
    server.directory.mkdir()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server on loopback (tests/smtp.py) on a port fixed before any worker starts; the
    port is on ``sink.port``. The test process's own mail settings point at it too."""
    controller, sink = start_sink(free_port())
    sink.port = controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    controller.stop()


def database_url() -> str:
    """The URL of the database this test uses (the test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = quote(db["HOST"] or "localhost", safe="")
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"
    raise NotImplementedError(f"no URL for {db['ENGINE']}")


class CeleryProcesses:
    """A real Celery worker (prefork, WORKER_PROCESSES processes) and beat, sharing the test's database and Redis.

    They read their settings from ``env``: a test may add to it before ``start()`` (GOV.UK Notify's
    settings, SMS_HOURS). The caller's own EMAIL_, OUTBOX_, NOTIFY_ and SMS_ variables are left out."""

    def __init__(self, *, directory: Path, redis: RedisServer, sink: Sink):
        self.processes = WORKER_PROCESSES
        self.directory = directory
        self.redis = redis
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.workers_started = 0
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("EMAIL_", "OUTBOX_", "NOTIFY_", "SMS_"))
            },
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "bettertogether.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis.url,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(sink.port),
            "EMAIL_USE_TLS": "0",
            "EMAIL_USE_SSL": "0",
            "EMAIL_TIMEOUT": "10",
            "SITE_URL": settings.SITE_URL,
            "OUTBOX_DISPATCH_EVERY_SECONDS": str(DISPATCH_EVERY_SECONDS),
            "OUTBOX_RETRY_BASE_SECONDS": "1",
            "OUTBOX_STUCK_AFTER_SECONDS": str(STUCK_AFTER_SECONDS),
            "VAR_DIR": str(directory / "var"),
            "SECRET_KEY": "integration-tests-only-not-a-secret",
            "DEBUG": "0",
            "LOG_LEVEL": "INFO",
        }

    @property
    def worker_log(self) -> Path:
        return self.directory / f"worker-{self.workers_started}.log"

    @property
    def beat_log(self) -> Path:
        return self.directory / "beat.log"

    def logs(self, lines: int = 30) -> str:
        return (
            f"--- worker log ({self.worker_log.name}):\n{tail(self.worker_log, lines)}\n"
            f"--- beat log:\n{tail(self.beat_log, lines)}\n"
            f"--- redis log:\n{tail(self.redis.log_path, 10)}"
        )

    def _spawn(self, args: list[str], log: Path) -> subprocess.Popen:
        with log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "bettertogether", *args],
                cwd=self.directory,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killpg reaches the pool children
            )

    def start(self) -> None:
        """Start beat and a worker; return once the worker is consuming."""
        if self.beat is None:
            self.beat = self._spawn(
                ["beat", "--loglevel", "INFO", "--schedule", str(self.directory / "beat-schedule")],
                self.beat_log,
            )
        self.start_worker()

    def start_worker(self) -> None:
        self.workers_started += 1
        self.worker = self._spawn(
            [
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                str(self.processes),
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"integration{self.workers_started}@%h",
            ],
            self.worker_log,
        )
        worker, log = self.worker, self.worker_log
        wait_for(
            lambda: worker.poll() is not None or " ready." in log.read_text(errors="replace"),
            timeout=60,
            failure=lambda: f"the Celery worker did not get ready\n{self.logs()}",
            interval=0.1,
        )
        if worker.poll() is not None:
            pytest.fail(f"the Celery worker exited ({worker.returncode})\n{self.logs()}", pytrace=False)

    def kill_worker(self) -> None:
        """kill -9 the worker and its pool processes, mid-whatever they are doing."""
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=10)

    def restart_worker(self) -> None:
        self.kill_worker()
        self.start_worker()

    def dispatch_runs(self) -> int:
        """How many dispatcher runs the current worker has finished."""
        text = self.worker_log.read_text(errors="replace") if self.worker_log.exists() else ""
        return sum(1 for line in text.splitlines() if "core.dispatch_outbox[" in line and "succeeded" in line)

    def results(self, key: str) -> int:
        """The sum of one figure (sent, requeued...) over every dispatcher run of every worker so far."""
        total = 0
        for log in self.directory.glob("worker-*.log"):
            total += sum(int(n) for n in re.findall(rf"'{key}': (\d+)", log.read_text(errors="replace")))
        return total

    def stop(self) -> None:
        stop_group(self.worker)
        stop_group(self.beat)


@pytest.fixture
def celery_worker(transactional_db, redis_server, smtp_sink, tmp_path):
    """Beat and a worker pointed at this test's database, Redis and SMTP sink. Not started: call
    ``.start()`` once the test's rows are committed. Always stopped, before the database is flushed."""
    directory = tmp_path / "celery"
    directory.mkdir()
    processes = CeleryProcesses(directory=directory, redis=redis_server, sink=smtp_sink)
    yield processes
    processes.stop()
