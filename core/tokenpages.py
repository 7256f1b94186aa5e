"""Pages opened from a link that carries an unguessable token instead of a login: reply links, the
one-word page on people's phones, an action lead's update link, the pictures a reply link opens.

Every such page is rate-limited per client address, never cached or indexed, and sent with
``Referrer-Policy: same-origin``: the token in the address is never sent to another site, while our own
forms still carry the Origin and Referer that Django's stock CSRF check compares (a ``no-referrer``
page makes browsers post with ``Origin: null`` and no Referer, which that check rightly refuses).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from . import languages
from .ratelimit import View, rate_limit

Response = TypeVar("Response", bound=HttpResponseBase)

REFERRER_POLICY = "same-origin"


def private(response: Response) -> Response:
    """Pages opened with a token: never cached, never indexed, and the token never leaves the site as a
    referrer."""
    # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
    add_never_cache_headers(response)
    response["Referrer-Policy"] = REFERRER_POLICY
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _private_answers(view: View) -> View:
    """Every answer private, a 404 raised by the view too (rendered here, so it gets the headers)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            response = render(request, "404.html", status=404)
        return private(response)

    return wrapped


def guard_token_page(view: View, *, scope: str, csrf: bool = True, factor: int = 1) -> View:
    """Wrap a token page's view: rate limit under ``scope`` (``factor`` × the usual limit; see
    rate_limit), private headers on every answer, errors too, and Django's own CSRF check on POSTs unless
    ``csrf`` is off (a one-click unsubscribe, posted by mail programs)."""
    page = _private_answers(rate_limit(scope, factor=factor)(view))
    if not csrf:
        return csrf_exempt(page)
    # The site-wide CsrfViewMiddleware checks first; csrf_protect (the same check, done once) keeps the
    # page protected wherever it is called without that middleware.
    return csrf_protect(page)


def link_page(
    find: Callable[[str], Any],
    *,
    scope: str,
    csrf: bool = True,
    factor: int = 1,
    language_of: Callable[[Any], str | None] | None = None,
) -> Callable[[Callable[..., HttpResponseBase]], View]:
    """Decorate the view of a page opened with a token: ``find(token)`` gives what the link opens, and the
    view is called as ``view(request, found, token, **rest of the URL)``. An unknown or altered token gets
    a plain 404 that says nothing about anything; every answer is guarded as by guard_token_page.
    ``language_of(found)``, when given, is the recorded language of the person the link is for: the page
    is written in it (core.languages)."""

    def decorator(view: Callable[..., HttpResponseBase]) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponseBase:
            found = find(token)
            if found is None:
                raise Http404
            if language_of is not None:
                languages.use(request, languages.for_person(language_of(found)))
            return view(request, found, token, **kwargs)

        return guard_token_page(wrapped, scope=scope, csrf=csrf, factor=factor)

    return decorator
