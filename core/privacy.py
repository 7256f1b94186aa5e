"""Keeping less than we could: no page of ours is kept by a browser or a proxy, and no token from a link
is written to the access log.

``NoStoreMiddleware`` sends ``Cache-Control: private, no-store`` with every page the site makes (staff
pages, sheets, CSVs, PDFs, the sign-in page) unless the view chose its own caching (a gallery picture,
kept an hour by the browser that opened it). Static files are served by WhiteNoise before it and keep
their long caching.

``ScrubbingLogger`` is gunicorn's access logger with every token in a path replaced by ``<token>``:
whatever follows ``/r/``, ``/a/`` and ``/w/``, and any later link of the same shape (a path segment of
16 or more URL-safe characters with a digit or a mixed case, as ``secrets.token_urlsafe`` makes them).
"""

import logging
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control
from django.views.debug import SafeExceptionReporterFilter
from gunicorn.glogging import Logger  # type: ignore[import-untyped]

# A token as our links carry them: long, URL-safe, not a plain word (a slug like "sign-in-sheet" stays).
TOKEN_SEGMENT = re.compile(r"(?<=/)(?=[A-Za-z0-9_-]{16,}(?:/|$|\?|\.))(?=[^/?]*[0-9A-Z_])[A-Za-z0-9_-]{16,}")


# Whatever follows our token pages' prefixes, whatever it looks like.
AFTER_TOKEN_PREFIX = re.compile(r"(?<=/r/|/a/|/w/)[^/?\s]+")


def scrub(text: str) -> str:
    """``text`` (a path, a request line) with every token replaced by ``<token>``."""
    return TOKEN_SEGMENT.sub("<token>", AFTER_TOKEN_PREFIX.sub("<token>", text))


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class ScrubbingLogger(Logger):
    """gunicorn's logger, whose access lines never hold a token (``--logger-class``)."""

    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f"):  # request line, path, query string, referer
            if isinstance(atoms.get(key), str):
                atoms[key] = scrub(atoms[key])
        return atoms


class ScrubTokens(logging.Filter):
    """A logging filter that takes tokens out of every line (Django's "Not Found: /r/…" and the rest)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


class NoPersonalDataFilter(SafeExceptionReporterFilter):
    """Error reports (an administrator's email, the debug page when DEBUG is off) carry no form values
    and no local variables, only the code's path: what people typed and the rows being handled stay out."""

    def get_post_parameters(self, request):  # type: ignore[no-untyped-def]
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        return {key: self.cleansed_substitute for key in request.POST}

    def get_traceback_frame_variables(self, request, tb_frame):  # type: ignore[no-untyped-def]
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
