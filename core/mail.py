"""The one helper that builds an email: subject, text and HTML from templates/emails/, in a language."""

from collections.abc import Sequence
from email.utils import formataddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import translation

from . import languages


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def render_plain(name: str, context: dict[str, Any]) -> str:
    """A subject or a plain-text body: rendered with autoescape off (includes too), so "&", "'" and "<" in
    a title, a name or a venue arrive as typed. Only the HTML body is escaped."""
    return Engine.get_default().get_template(name).render(Context(context, autoescape=False))


def build_email(
    *,
    template: str,
    context: dict[str, Any],
    to_name: str,
    to_address: str,
    language: str = settings.LANGUAGE_CODE,
    headers: dict[str, str] | None = None,
    attachments: Sequence[tuple[str, bytes | str, str]] = (),
) -> EmailMultiAlternatives:
    """Render ``emails/<template>_subject.txt``, ``_body.txt`` and ``_body.html`` into one multipart
    message to one person. The subject and the text are not HTML-escaped (render_plain); the HTML is.
    Nothing is sent here."""
    # In the person's language when the site speaks it, else English (core.languages).
    with translation.override(languages.for_person(language)):
        subject = " ".join(render_plain(f"emails/{template}_subject.txt", context).split())
        text = render_plain(f"emails/{template}_body.txt", context)
        html = render_to_string(f"emails/{template}_body.html", context)
    # formataddr quotes and encodes the name, so nothing in it can add a recipient or a header.
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((to_name, to_address))],
        headers=headers or {},
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message
