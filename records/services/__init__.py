"""The event record: everything a session (or a whole programme) left behind — the pictures and what each
shows, the themes, who came in numbers per group, the one-word summary and, for a programme, the actions
and who leads them — gathered into plain data (``contents``), shown on a page, and printed to a PDF by
WeasyPrint through the restricted fetcher of core.pdf (``pdf``) in a Celery task, as a job of the one PDF
lifecycle of core.jobs (``job``).

It is the team's record: every picture the team may see is in it, except those still being prepared or
that could not be prepared."""

from .contents import (
    ActionLine,
    Picture,
    PictureGroup,
    Record,
    ThemeCount,
    action_lines,
    fingerprint,
    programme_record,
    record_for,
    record_pictures,
    session_record,
    theme_counts,
)
from .job import mark_failed, newest_record, render_record, request_record
from .pdf import (
    cloud_image,
    file_name,
    page_count,
    page_counter_css,
    render_pdf,
    render_record_html,
    url_fetcher,
)

__all__ = [
    "ActionLine",
    "Picture",
    "PictureGroup",
    "Record",
    "ThemeCount",
    "action_lines",
    "cloud_image",
    "file_name",
    "fingerprint",
    "mark_failed",
    "newest_record",
    "page_count",
    "page_counter_css",
    "programme_record",
    "record_for",
    "record_pictures",
    "render_pdf",
    "render_record",
    "render_record_html",
    "request_record",
    "session_record",
    "theme_counts",
    "url_fetcher",
]
