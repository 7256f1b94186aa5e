"""Keeping less (core.privacy): pages are never stored by a browser or proxy, no token from a link reaches
a log line, and error reports carry nothing people typed."""

import logging
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.views.debug import ExceptionReporter

from core.privacy import NoPersonalDataFilter, NoStoreMiddleware, ScrubTokens, scrub
from tests.smtp import free_port

REPO = Path(__file__).resolve().parents[2]


def _no_store(response) -> bool:
    words = {word.strip() for word in response["Cache-Control"].split(",")}
    return {"private", "no-store"} <= words


def test_a_staff_page_is_never_stored(client, world):
    client.force_login(world.user("facilitator"))
    response = client.get(reverse("invitations:list", args=[world.programme.pk]))
    assert response.status_code == 200
    assert _no_store(response)


def test_the_sign_in_page_and_a_csv_are_never_stored(client, world):
    assert _no_store(client.get(reverse("login")))
    client.force_login(world.user("facilitator"))
    response = client.get(reverse("invitations:list_csv", args=[world.programme.pk]))
    assert response.status_code == 200
    assert _no_store(response)


def test_a_view_that_chose_its_own_caching_keeps_it():
    def picture(request):
        response = HttpResponse(b"jpeg")
        response["Cache-Control"] = "private, max-age=3600"
        return response

    response = NoStoreMiddleware(picture)(RequestFactory().get("/r/x/pictures/1/small/"))
    assert response["Cache-Control"] == "private, max-age=3600"
    plain = NoStoreMiddleware(lambda request: HttpResponse("hello"))(RequestFactory().get("/"))
    assert _no_store(plain)


@pytest.mark.parametrize("prefix", ["/r/", "/a/", "/w/"])
def test_scrub_takes_the_token_out_of_every_token_page(prefix):
    token = secrets.token_urlsafe(32)
    for path in (f"{prefix}{token}/", f"GET {prefix}{token}/thanks/?next=1 HTTP/1.1", f"{prefix}{token}"):
        scrubbed = scrub(path)
        assert token not in scrubbed
        assert f"{prefix}<token>" in scrubbed
    # Whatever the link holds after a token page's prefix, short or plain, is taken out too.
    assert scrub("/w/abcdefghij/") == "/w/<token>/"


def test_scrub_leaves_ordinary_paths_alone():
    for path in (
        "/programmes/12/sheets/3/sign-in-sheet/",
        "/static/css/site.css",
        "/programmes/2/invitations/?q=grace&page=2",
        "/accounts/login/?next=/programmes/",
    ):
        assert scrub(path) == path
    token = secrets.token_urlsafe(24)
    assert scrub(f"/reset/MQ/{token}/") == "/reset/MQ/<token>/"


def test_the_logging_filter_scrubs_the_message_and_its_arguments():
    token = secrets.token_urlsafe(32)
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (f"/r/{token}/",), None
    )
    assert ScrubTokens().filter(record)
    assert token not in record.getMessage()
    assert record.getMessage() == "Not Found: /r/<token>/"


def test_an_error_report_carries_no_form_values_or_local_variables(settings):
    settings.DEBUG = False
    request = RequestFactory().post("/r/x/", {"name": "Grace Obi", "email": "grace@example.org"})
    person_email = "grace@example.org"  # a local variable of the failing frame
    try:
        raise ValueError("could not save")
    except ValueError:
        reporter = ExceptionReporter(request, *sys.exc_info())
        reporter.filter = NoPersonalDataFilter()
        text = reporter.get_traceback_text()
    assert person_email in locals().values()
    assert "Grace Obi" not in text
    assert "grace@example.org" not in text
    assert "could not save" in text


def test_the_setting_names_the_filter(settings):
    assert settings.DEFAULT_EXCEPTION_REPORTER_FILTER == "core.privacy.NoPersonalDataFilter"


@pytest.mark.integration
def test_gunicorn_with_our_logger_writes_no_token(tmp_path):
    """The production command line (Dockerfile, docker-compose.yml): a real gunicorn on loopback, with
    the access log and Django's own warnings, never writes a reply link's token."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "bettertogether.settings",
    }
    env.pop("DATABASE_URL", None)
    for command in (["migrate"], ["collectstatic", "--no-input"]):
        subprocess.run([sys.executable, "manage.py", *command, "-v", "0"], cwd=REPO, env=env, check=True)
    port = free_port()
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bettertogether.wsgi:application", "-b", f"127.0.0.1:{port}"]
        + ["-w", "1", "--access-logfile", str(access), "--error-logfile", str(errors)]
        + ["--logger-class", "core.privacy.ScrubbingLogger"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "stderr.log", "wb"),  # noqa: SIM115 - closed with the process
    )
    token = secrets.token_urlsafe(32)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/r/{token}/?from=letter", timeout=5)
        assert answer.value.code == 404
    finally:
        server.terminate()
        server.wait(timeout=10)
    logged = access.read_text() + errors.read_text() + (tmp_path / "stderr.log").read_text()
    assert "/r/<token>/" in access.read_text()
    assert token not in logged
