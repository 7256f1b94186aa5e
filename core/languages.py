"""Which language a page, an email or a letter is in.

- Staff pages are in English (LANGUAGE_CODE); their words stay translatable.
- A page someone opens from their link (a reply link, a lead's link, the one-word phone page) is in the
  language we have for that person, when the site speaks it (settings.LANGUAGES); the language switch on
  the reply page changes what we have for them. A page that knows no person (an unknown link, the phone
  page) goes by the switch's cookie, then the browser's preferred languages: only a first guess.
- Emails and letters are in the person's language (core.mail.build_email, the letters' templates).

A language the site does not speak (Tigrinya, say, recorded so that an interpreter is booked) is read in
English. Codes are matched loosely: "pl-PL", "PL" and "pl" are all Polish; "en" is British English.
"""

from collections.abc import Callable
from typing import Literal, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

# The pages opened from a link rather than by signing in: reply links (/r/), the phone page for one word
# (/w/) and a lead's update link (/a/); and the privacy notice and accessibility statement (core.public),
# which every page, email, letter and text links to.
PUBLIC_PREFIXES = ("/r/", "/w/", "/a/", "/privacy/", "/accessibility/")


def offered() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def spoken(code: str | None) -> str | None:
    """The site's language for ``code`` ("pl-PL" → "pl", "en" → "en-gb"), or None if it is not spoken."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    codes = offered()
    if code in codes:
        return code
    base = code.split("-")[0]
    for candidate in codes:
        if candidate == base or candidate.split("-")[0] == base:
            return candidate
    return None


def for_person(code: str | None) -> str:
    """The language to write to someone whose recorded language is ``code``: it, or English."""
    return spoken(code) or settings.LANGUAGE_CODE


def is_public(request: HttpRequest) -> bool:
    return request.path_info.startswith(PUBLIC_PREFIXES)


def remember(response: HttpResponse, code: str) -> None:
    """Keep ``code`` (a language the site speaks) in the language switch's cookie, which the middleware
    reads on the public pages: what every language switch (the reply page, the privacy notice) sets."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=cast(Literal["Lax", "Strict", "None"], settings.LANGUAGE_COOKIE_SAMESITE),
    )


def use(request: HttpRequest, code: str) -> None:
    """Write the rest of this request in ``code`` (a language the site speaks)."""
    translation.activate(code)
    request.LANGUAGE_CODE = translation.get_language()


class PageLanguageMiddleware:
    """English for staff pages; for pages opened from a link, the switch's cookie or the browser's first
    choice (the view then turns to the person's own language once it knows who they are)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        public = is_public(request)
        if public:
            # get_language_from_request reads the cookie, then Accept-Language; an unknown or hand-edited
            # cookie falls through to the browser and then to English, never to an error.
            use(request, spoken(translation.get_language_from_request(request)) or settings.LANGUAGE_CODE)
        else:
            use(request, settings.LANGUAGE_CODE)
        response = self.get_response(request)
        if public:
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", translation.get_language())
        translation.deactivate()
        return response


def switch_choices() -> list[tuple[str, str, bool]]:
    """The language switch: each language the site speaks, named in itself ("Polski", "اردو"), and
    whether it is the one in use."""
    current = translation.get_language()
    return [(code, translation.get_language_info(code)["name_local"], code == current) for code in offered()]
