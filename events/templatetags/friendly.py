"""Dates and times the way people say them: "9:30am", "3pm", "12 noon" in English, "09:30" in the other
languages parents read; names, not usernames."""

from datetime import time

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def clock(value: time | None) -> str:
    if value is None:
        return ""
    if not (get_language() or "en").startswith("en"):
        return f"{value.hour:02d}:{value.minute:02d}"  # the 24-hour clock every other language here reads
    if value == time(12, 0):
        return _("12 noon")
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


@register.filter
def person(user) -> str:
    return user.get_full_name() or user.get_username()


@register.filter
def oneline(text: str) -> str:
    """An address kept on several lines, written on one: "12 Station Road, Millbrook, MB1 2AB"."""
    return ", ".join(line.strip() for line in str(text).splitlines() if line.strip())


@register.filter
def isolate(value) -> str:
    """A name (or anything people typed) set apart from right-to-left text around it, so that a
    Latin-script name inside Urdu or Arabic keeps its own direction: <bdi>…</bdi>. Left to right, as it
    is (HTML-escaped by the template as usual)."""
    if get_language_bidi():
        return format_html("<bdi>{}</bdi>", value)
    return value
