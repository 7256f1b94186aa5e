"""How fast the reply page answers: gunicorn (2 workers) on loopback under wrk, for reply pages opened with
random valid tokens, against a bare view in the same project (same settings, same middleware) rendering a
static template of the same size, in the same run.

    .venv/bin/python bench/rsvp.py                  # a throwaway SQLite database in a temporary VAR_DIR
    .venv/bin/python bench/rsvp.py --profile 300    # then 300 reply pages in this process: time per
                                                    # request, queries per request, cProfile

The data: one open programme (an all-day and three half-days), 500 invitations each with a reply token (a
third of them already answered). The server is started with DEBUG off, ALLOWED_HOSTS=127.0.0.1 and a rate
limit too high to reach, from a settings module in the temporary directory that imports the project's
settings and adds the bare view's URL, so nothing benchmark-only is in the project. Everything is stopped
and removed at the end; every wait is bounded. The last line is ``ratio reply/bare: X.XX`` (requests per
second, reply over bare). The aim is at least 0.7, with p99 under 100 ms.
"""

import argparse
import cProfile
import os
import pstats
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from support import free_port, parents_with_reply_links, stop_group, tail

REPO = Path(__file__).resolve().parent.parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"
DEADLINE_SECONDS = 300

SETTINGS = """\
from bettertogether.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], {templates!r}]  # noqa: F405
"""
URLS = """\
from django.shortcuts import render
from django.urls import include, path


def bare(request):
    return render(request, "bench_bare.html")


urlpatterns = [path("bench/bare/", bare), path("", include("bettertogether.urls"))]
"""
WSGI = """\
import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
"""
# Each wrk thread reads the token paths once, then asks for a random one per request.
LUA = """\
local paths = {{}}
for line in io.lines("{paths}") do paths[#paths + 1] = line end
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def create_invitations(count: int) -> list[str]:
    """An open programme with the standard four sessions and ``count`` invitations; returns one reply
    token per invitation. A third have answered already, so both kinds of page are in the mix."""
    from invitations.models import Reply, SessionAnswer

    programme, invitations, tokens = parents_with_reply_links(count, first_in_days=21)
    answered = Reply.objects.bulk_create(
        Reply(invitation=invitation, food_needs="Vegetarian", childcare_children=1, childcare_ages="3")
        for invitation in invitations[::3]
    )
    sessions = list(programme.sessions.all())
    SessionAnswer.objects.bulk_create(
        SessionAnswer(reply=reply, session=session, answer="yes")
        for reply in answered
        for session in sessions
    )
    return tokens


def reply_path(token: str) -> str:
    from django.urls import reverse

    return reverse("invitations:reply", args=[token])


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 -- loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def start_gunicorn(work: Path, port: int, workers: int) -> subprocess.Popen:
    log = work / "gunicorn.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "bench_wsgi:application", "-w", str(workers)]
            + ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "--chdir", str(work)],
            cwd=work,
            env={**os.environ, "PYTHONPATH": f"{work}{os.pathsep}{REPO}"},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise SystemExit(f"bench: gunicorn exited\n{tail(log)}")
        try:
            if fetch(f"http://127.0.0.1:{port}/healthz/")[0] == 200:
                return process
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: gunicorn did not answer within 30s\n{tail(log)}")
        time.sleep(0.1)


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(url: str, *, seconds: int, threads: int, connections: int, script: Path | None = None) -> dict:
    """Run wrk and return requests per second, p99 latency (ms) and the count of non-2xx answers."""
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if not rate or not p99:
        raise SystemExit(f"bench: could not read wrk's output:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*", output)
    average = re.search(r"^\s*Latency\s+([\d.]+)(us|ms|s)", output, re.MULTILINE)
    return {
        "average": float(average.group(1)) * UNITS[average.group(2)] if average else 0.0,
        "rate": float(rate.group(1)),
        "p99": float(p99.group(1)) * UNITS[p99.group(2)],
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(0) if socket_errors else "",
        "output": output,
    }


def profile_in_process(tokens: list[str], count: int) -> None:
    """Render ``count`` reply pages through the test client in this process: time and queries per page,
    and where the time goes."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    paths = [reply_path(token) for token in tokens[:count]]
    client.get(paths[0])  # warm the template cache
    for name, urls in (("reply", paths), ("bare", ["/bench/bare/"] * count)):
        started = time.perf_counter()
        for path in urls:
            client.get(path)
        print(f"profile: {name} {1000 * (time.perf_counter() - started) / count:.2f} ms a page in-process")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(paths[1]).status_code == 200
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for path in paths:
        client.get(path)
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(
        f"profile: {count} reply pages in-process, {1000 * elapsed / count:.2f} ms each, "
        f"{len(queries)} queries per page:"
    )
    for query in queries.captured_queries:
        print(f"  {query['sql'][:160]}")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invitations", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--profile", type=int, metavar="N", default=0, help="profile N reply pages too")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if not Path(WRK).exists():
        raise SystemExit("bench: wrk is not installed (apt-get install wrk)")
    signal.alarm(DEADLINE_SECONDS)  # the whole run is bounded, whatever hangs

    work = Path(tempfile.mkdtemp(prefix="bt-bench-rsvp-"))
    server = None
    try:
        templates = work / "templates"
        templates.mkdir()
        (work / "bench_settings.py").write_text(SETTINGS.format(templates=str(templates)))
        (work / "bench_urls.py").write_text(URLS)
        (work / "bench_wsgi.py").write_text(WSGI)
        for name in ("DATABASE_URL", "REDIS_URL", "EMAIL_HOST", "SITE_URL"):
            os.environ.pop(name, None)
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "bench_settings",
                "VAR_DIR": str(work / "var"),
                "SECRET_KEY": "bench-only-not-a-secret",
                "DEBUG": "0",
                "ALLOWED_HOSTS": "127.0.0.1",
                "RATE_LIMIT_PER_MINUTE": str(10**9),
                "LOG_LEVEL": "WARNING",
            }
        )
        sys.path[:0] = [str(work), str(REPO)]
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        tokens = create_invitations(args.invitations)
        paths = [reply_path(token) for token in tokens]
        (work / "paths.txt").write_text("\n".join(paths) + "\n")
        script = work / "random_token.lua"
        script.write_text(LUA.format(paths=work / "paths.txt"))

        # The bare page: the bytes of a real reply page, as a static template (verbatim: no tags run).
        sample = Client(HTTP_HOST="127.0.0.1").get(paths[1])
        assert sample.status_code == 200, sample.status_code
        body = sample.content.decode()
        (templates / "bench_bare.html").write_text("{% verbatim %}" + body + "{% endverbatim %}")

        from django.db import connections

        connections.close_all()
        port = free_port()
        server = start_gunicorn(work, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        for path in (paths[0], paths[1], "/bench/bare/"):
            status, content = fetch(base + path)
            assert status == 200, f"{path}: {status}\n{content[:500]!r}"
        bare_size = len(fetch(base + "/bench/bare/")[1])
        reply_size = len(fetch(base + paths[1])[1])

        common = {"threads": args.threads, "connections": args.connections}
        run_wrk(base + "/", seconds=2, script=script, **common)  # warm both workers
        run_wrk(base + "/bench/bare/", seconds=2, **common)
        reply = run_wrk(base + "/", seconds=args.seconds, script=script, **common)
        bare = run_wrk(base + "/bench/bare/", seconds=args.seconds, **common)
        # One connection at a time: what one request costs, without queueing behind the others.
        alone = {"threads": 1, "connections": 1}
        reply_alone = run_wrk(base + "/", seconds=3, script=script, **alone)
        bare_alone = run_wrk(base + "/bench/bare/", seconds=3, **alone)
        for name, result in (("reply", reply), ("bare", bare)):
            if result["errors"] or result["socket_errors"]:
                print(result["output"])
                raise SystemExit(f"bench: the {name} run had errors: {result['errors']} non-2xx answers")

        setup = f"gunicorn -w {args.workers}, wrk -t{args.threads} -c{args.connections} -d{args.seconds}s"
        print(f"setup: {setup}; {args.invitations} invitations, 4 sessions, SQLite, file cache")
        print(
            f"reply pages, random valid tokens ({reply_size} bytes): "
            f"{reply['rate']:.1f} requests/s, p99 {reply['p99']:.1f} ms"
        )
        print(
            f"bare view, static template ({bare_size} bytes): "
            f"{bare['rate']:.1f} requests/s, p99 {bare['p99']:.1f} ms"
        )
        print(
            f"one request at a time: reply {reply_alone['average']:.2f} ms, "
            f"bare {bare_alone['average']:.2f} ms on average"
        )
        if args.profile:
            stop_group(server)
            server = None
            profile_in_process(tokens, min(args.profile, len(tokens)))
        print(f"ratio reply/bare: {reply['rate'] / bare['rate']:.2f}")
    finally:
        stop_group(server)
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
