"""Pages opened from a link that carries an unguessable token instead of a login: reply links, the
one-word page on people's phones, an action lead's update link.

Every such page is rate-limited per client address, never cached or indexed, and sent with
``Referrer-Policy: no-referrer`` so the token never leaks to another site. Their forms keep Django's
CSRF token check, adapted for that referrer policy (TokenPageCsrfMiddleware).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.http import HttpRequest, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt

from .ratelimit import View, rate_limit

Response = TypeVar("Response", bound=HttpResponseBase)


def private(response: Response) -> Response:
    """Pages opened with a token: never cached, never indexed, and the token never leaks as a referrer."""
    # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


class TokenPageCsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF check for the forms on token pages, without the Origin and Referer checks.

    The pages are sent with ``Referrer-Policy: no-referrer`` so that the token never leaks; browsers then
    send their forms with ``Origin: null`` and no Referer, which Django's own check refuses (and over
    HTTPS it insists on a Referer). The CSRF token itself is still required and compared, a real foreign
    Origin is still refused, and the unguessable token in the address already shows that whoever posts
    holds the link."""

    # _origin_verified and _check_referer are private methods of CsrfViewMiddleware, overridden on
    # purpose; django-stubs does not declare them, hence the two targeted ignores.
    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META["HTTP_ORIGIN"] == "null":
            return True
        verified: bool = super()._origin_verified(request)  # type: ignore[misc]
        return verified

    def _check_referer(self, request: HttpRequest) -> None:
        if request.META.get("HTTP_REFERER"):
            super()._check_referer(request)  # type: ignore[misc]


# decorator_from_middleware returns a view decorator; django-stubs' return type also covers the
# with-arguments variant (a decorator factory), so narrow it here.
csrf_protect_token_page = cast(Callable[[View], View], decorator_from_middleware(TokenPageCsrfMiddleware))


def never_cache_private(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return private(view(request, *args, **kwargs))

    return wrapped


def guard_token_page(view: View, *, scope: str, csrf: bool = True, factor: int = 1) -> View:
    """Wrap a token page's view: rate limit under ``scope`` (``factor`` × the usual limit; see
    rate_limit), private headers on every answer (errors too), and TokenPageCsrfMiddleware's check on
    POSTs unless ``csrf`` is off (a one-click unsubscribe)."""
    checked = csrf_protect_token_page(view) if csrf else view
    page = never_cache_private(rate_limit(scope, factor=factor)(checked))
    # The site-wide CSRF middleware steps aside: the check above (or none) applies.
    return csrf_exempt(page)


def link_page(
    find: Callable[[str], Any], *, scope: str, csrf: bool = True, factor: int = 1
) -> Callable[[Callable[..., HttpResponseBase]], View]:
    """Decorate the view of a page opened with a token: ``find(token)`` gives what the link opens, and the
    view is called as ``view(request, found, token)``. An unknown or altered token gets a plain 404 that
    says nothing about anything; every answer is guarded as by guard_token_page."""

    def decorator(view: Callable[..., HttpResponseBase]) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, token: str) -> HttpResponseBase:
            found = find(token)
            if found is None:
                return render(request, "404.html", status=404)
            return view(request, found, token)

        return guard_token_page(wrapped, scope=scope, csrf=csrf, factor=factor)

    return decorator
