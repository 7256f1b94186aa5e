"""The record printed: one HTML document (cover, pictures, themes, who came, the words, the actions) for
WeasyPrint through the restricted fetcher of core.pdf, and the friendly name of the downloaded file."""

import base64
import io
import re

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.pdf import render_pdf, url_fetcher  # noqa: F401 (tests use them from records.services)
from evaluations.services.cloud import cloud_png

from ..models import EventRecord
from .contents import Record


def render_record_html(*, record: Record) -> str:
    """The record as one HTML document for WeasyPrint: a cover, the pictures, themes, who came, the words
    and (for a programme) the actions. Everything typed by people is escaped."""
    return render_to_string(
        "records/pdf/record.html",
        {
            "record": record,
            "programme": record.programme,
            "made_on": timezone.localdate(),
            "page_of": page_counter_css(),
            "cloud": cloud_image(record=record),
        },
    )


def _css_string(text: str) -> str:
    # Inside <style>, nothing is unescaped by HTML: only CSS escapes, and no "<" that could end the element.
    escaped = "".join(f"\\{ord(char):x} " if char in '\\"<>\n' else char for char in text)
    return f'"{escaped}"'


def page_counter_css() -> SafeString:
    """The footer's "Page 3 of 12", translated, as a CSS ``content`` value with the page counters."""
    text = _("Page %(page)s of %(pages)s")
    parts = re.split(r"(%\(page\)s|%\(pages\)s)", text)
    values = []
    for part in parts:
        if part == "%(page)s":
            values.append("counter(page)")
        elif part == "%(pages)s":
            values.append("counter(pages)")
        elif part:
            values.append(_css_string(part))
    return mark_safe(" ".join(values))  # noqa: S308 - built from escaped strings and two keywords


def file_name(*, record: EventRecord) -> str:
    """A friendly name for the downloaded PDF: better-together-millbrook-all-day-2026-12-01.pdf."""
    place = slugify(record.programme.neighbourhood.name) or "programme"
    if record.session is not None:
        kind = record.session.kind.replace("_", "-")
        return f"better-together-{place}-{kind}-{record.session.date.isoformat()}.pdf"
    first = record.programme.sessions.order_by("date").values_list("date", flat=True).first()
    when = f"-{first.isoformat()}" if first else ""
    return f"better-together-{place}-programme{when}.pdf"


def cloud_image(*, record: "Record") -> str:
    """The record's word cloud as a PNG data: address, for the PDF, or "" without words. Not the SVG:
    WeasyPrint's SVG text is neither shaped nor laid out right to left, so an Urdu or Arabic word would
    print back to front and unjoined; Pillow (with raqm) draws them properly."""
    if not record.words:
        return ""
    png = cloud_png(record.words, title=record.cloud_title)
    return f"data:image/png;base64,{base64.b64encode(png).decode()}"


def page_count(pdf: bytes) -> int:
    """How many pages a PDF has."""
    # pypdf is what the tests read PDFs with too; WeasyPrint's own document would need a second layout.
    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
