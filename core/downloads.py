"""The files the site hands over: CSV downloads, PDFs, pictures and calendar files.

Every ``Content-Disposition`` is written here, by Django's own ``content_disposition_header``, so quoting
and names outside ASCII come out right whatever a programme or a person is called. CSV cells go through
csvsafe (never a formula, a BOM for Excel).
"""

from collections.abc import Iterable
from typing import IO, TypeVar

from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header

from .csvsafe import csv_text

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

Response = TypeVar("Response", bound=HttpResponseBase)


def attachment(response: Response, filename: str = "", *, inline: bool = False) -> Response:
    """Name the file ``response`` carries: a download (``attachment``), or ``inline`` for one the browser
    shows itself (a sign-in sheet to print, a picture). ``inline`` with no name is a bare ``inline``, so
    that a stored file's own name never shows."""
    response["Content-Disposition"] = content_disposition_header(not inline, filename) or "inline"
    return response


def file_response(
    content: bytes | str | IO[bytes], *, filename: str = "", content_type: str, inline: bool = False
) -> HttpResponse | FileResponse:
    """A file to hand over: bytes or text made now, or an open file (streamed, and closed afterwards)."""
    response: HttpResponse | FileResponse
    if isinstance(content, bytes | str):
        response = HttpResponse(content, content_type=content_type)
    else:
        response = FileResponse(content, content_type=content_type)
    return attachment(response, filename, inline=inline)


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[object]]) -> HttpResponse:
    """A CSV download of ``header`` and ``rows``. Never kept in a shared or browser cache: every CSV
    here is about people."""
    response = HttpResponse(csv_text(header, rows), content_type=CSV_CONTENT_TYPE)
    patch_cache_control(response, private=True, no_store=True)
    return attachment(response, filename)


def csv_text_response(filename: str, text: str) -> HttpResponse:
    """A CSV download of a file a service has already written with csvsafe.csv_text."""
    response = HttpResponse(text, content_type=CSV_CONTENT_TYPE)
    patch_cache_control(response, private=True, no_store=True)
    return attachment(response, filename)
