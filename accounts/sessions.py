"""Staff sessions end after SESSION_IDLE_HOURS without a request.

SESSION_COOKIE_AGE is that long (settings.py), and a session is saved again, which pushes its end (in the
database and in the cookie) that far ahead, at most once every REFRESH_EVERY while it is in use. That is
what SESSION_SAVE_EVERY_REQUEST would do, without writing to the database on every page: on SQLite every
write waits for the one writer's lock, which parents' replies need. So the idle time allowed is between
SESSION_IDLE_HOURS less REFRESH_EVERY and SESSION_IDLE_HOURS.

A session on a shared computer (the sign-in page's box: ``set_expiry(0)``) ends when the browser closes,
and after the same idle time on the server.
"""

import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponseBase

# When the session was last saved for being in use (seconds since the epoch).
SEEN_KEY = "_accounts_seen"
REFRESH_EVERY = 5 * 60


def mark_seen(request: HttpRequest, **kwargs: Any) -> None:
    request.session[SEEN_KEY] = int(time.time())


def stamp_on_sign_in() -> None:
    """A new session starts as seen (so its first pages need no extra write)."""
    user_logged_in.connect(mark_seen, dispatch_uid="accounts.sessions.mark_seen")


class IdleTimeoutMiddleware:
    """After SessionMiddleware and AuthenticationMiddleware: a signed-in session in use is saved again
    (its end pushed SESSION_COOKIE_AGE ahead) once REFRESH_EVERY has passed since it last was."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # A request that never read the session (a static file, a parent's page) costs nothing here.
        if session is None or not session.accessed or session.is_empty():
            return response
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        seen = session.get(SEEN_KEY)
        now = int(time.time())
        if not isinstance(seen, int) or now - seen >= REFRESH_EVERY:
            session[SEEN_KEY] = now
        return response
