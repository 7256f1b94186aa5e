"""A small rate limit per client address: a fixed one-minute window counted in Django's cache.

Used on the pages opened with a token (reply links), so that nobody can try token after token. The cache
is Redis in production, where the count is shared by every web process and ``incr`` is atomic; the
embedded default's file cache is good enough for one small site. If the cache is down, requests are let
through: a parent's reply matters more than the limit.
"""

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60

View = Callable[..., HttpResponseBase]


def client_address(request: HttpRequest) -> str:
    """The address the request came from. Behind our own reverse proxy (BEHIND_PROXY=1) that is the last
    X-Forwarded-For hop, the one the proxy added; earlier hops are whatever the client chose to send.
    IPv6 addresses count per /64, the block one household or phone is usually given."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if hops:
            address = hops[-1]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped:  # ::ffff:192.0.2.1 is the IPv4 address 192.0.2.1
            return str(parsed.ipv4_mapped)
        return f"{ipaddress.ip_network(f'{parsed}/64', strict=False).network_address}/64"
    return str(parsed)


def hit(*, scope: str, address: str, limit: int, now: float | None = None) -> int:
    """Count one request from ``address``; return 0 if it is allowed, otherwise the seconds until the
    window ends (for Retry-After)."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = f"ratelimit:{scope}:{address}:{window}"
    try:
        try:
            count = cache.incr(key)
        except ValueError:  # the first request of this window (incr() needs the key to exist)
            # add() does nothing if another request has just added it; then count that one too.
            count = 1 if cache.add(key, 1, timeout=WINDOW_SECONDS * 2) else cache.incr(key)
    except Exception:  # noqa: BLE001 -- an unreachable cache must not stop anyone replying
        logger.warning("rate limit: cache unavailable, letting the request through", exc_info=True)
        return 0
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    response = HttpResponse(
        render_to_string("429.html", {"retry_after": retry_after}, request=request), status=429
    )
    response["Retry-After"] = str(retry_after)
    return response


def rate_limit(scope: str, *, factor: int = 1) -> Callable[[View], View]:
    """Allow each client address at most ``factor`` × settings.RATE_LIMIT_PER_MINUTE requests a minute to
    the views sharing ``scope``; after that a kind 429 page with Retry-After. A limit of 0 turns it off.
    A factor above 1 suits pages a whole room opens at once from behind one address (the venue's Wi-Fi)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            limit = settings.RATE_LIMIT_PER_MINUTE * factor
            if limit > 0:
                retry_after = hit(scope=scope, address=client_address(request), limit=limit)
                if retry_after:
                    return too_many_requests(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
