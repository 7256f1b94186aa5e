"""The two pages every page links to, open to anyone without signing in: the privacy notice (how we use
people's information, who is responsible for it, how long it is kept and their rights) and the
accessibility statement (the form UK public-sector sites publish).

They know no model: what they say comes from settings (the council's details, the default retention
periods), so they live on the floor. The privacy notice speaks the parent's language (core.languages:
the switch's cookie, then the browser); the accessibility statement is in English, its page around it in
their language. ``privacy_url`` is the notice's address for emails, letters and texts.
"""

from datetime import date
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from . import languages

# When the accessibility statement was prepared and last reviewed (its own words say so).
STATEMENT_PREPARED = date(2026, 12, 1)

# The Information Commissioner's Office, where anyone may complain about how their data is used.
ICO = {
    "name": "Information Commissioner's Office",
    "website": "https://ico.org.uk/make-a-complaint/",
    "website_text": "ico.org.uk",
    "phone": "0303 123 1113",
    "address": "Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF",
}

# Who the council is, as an administrator sets it (settings, from the environment): the notice names the
# settings still unset to a signed-in administrator.
CONTROLLER_SETTINGS = ("PRIVACY_CONTROLLER", "PRIVACY_CONTACT", "PRIVACY_DPO")


def privacy_url() -> str:
    """The privacy notice's full address, for emails and texts: SITE_URL + "/privacy/"."""
    return settings.SITE_URL + reverse("privacy")


def privacy_address() -> str:
    """The notice's address as people type it from paper: without "https://"."""
    parts = urlsplit(privacy_url())
    return parts.netloc + parts.path


def unset_controller_settings() -> list[str]:
    return [name for name in CONTROLLER_SETTINGS if not str(getattr(settings, name, "")).strip()]


def _switch_language(request: HttpRequest, to: str) -> HttpResponse:
    """The language switch's POST: remember a language the site speaks in the switch's cookie (what the
    reply page's switch sets too), then show the page again. Anything else is ignored."""
    response = redirect(to)
    response.status_code = 303
    code = languages.spoken(request.POST.get("switch_language"))
    if code:
        languages.remember(response, code)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy notice, for anyone; a POST is only its language switch."""
    if request.method == "POST":
        return _switch_language(request, "privacy")
    unset = unset_controller_settings()
    return render(
        request,
        "core/privacy.html",
        {
            "controller": settings.PRIVACY_CONTROLLER.strip(),
            "contact": settings.PRIVACY_CONTACT.strip(),
            "dpo": settings.PRIVACY_DPO.strip(),
            "unset": unset,
            # Only someone who can change them is told which settings are missing.
            "show_settings": bool(unset) and request.user.is_staff,
            "needs_days": settings.RETENTION_NEEDS_DAYS,
            "contacts_days": settings.RETENTION_CONTACTS_DAYS,
            "ico": ICO,
            "language_switch": languages.switch_choices(),
        },
    )


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement, for anyone."""
    return render(
        request,
        "core/accessibility.html",
        {
            "site_address": urlsplit(settings.SITE_URL).netloc,
            "contact": settings.PRIVACY_CONTACT.strip(),
            "controller": settings.PRIVACY_CONTROLLER.strip(),
            "prepared": STATEMENT_PREPARED,
        },
    )
