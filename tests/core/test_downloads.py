"""The files the site hands over (core.downloads): one way to name them, CSV cells never formulas."""

import csv
import io

import pytest
from django.http import HttpResponse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from core.csvsafe import csv_text
from core.downloads import attachment, csv_response, csv_text_response, file_response


def test_a_csv_download_opens_in_excel_with_no_formula_and_is_never_cached():
    response = csv_response("who-came.csv", ["Name", "Word"], [["=HYPERLINK(1)", "hopeful"], ["Ana", None]])

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="who-came.csv"'
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    text = response.content.decode()
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [
        ["Name", "Word"],
        ["'=HYPERLINK(1)", "hopeful"],
        ["Ana", ""],
    ]


def test_a_csv_a_service_wrote_is_handed_over_the_same_way():
    response = csv_text_response("actions.csv", "\ufeffWhat\r\nWalking bus\r\n")

    assert response["Content-Disposition"] == 'attachment; filename="actions.csv"'
    assert "no-store" in response["Cache-Control"]
    assert response.content.decode() == "\ufeffWhat\r\nWalking bus\r\n"


def test_a_name_with_quotes_or_outside_ascii_is_written_safely():
    quoted = attachment(HttpResponse(), 'say "hi".csv')
    polish = attachment(HttpResponse(), "Żółw.pdf")

    assert quoted["Content-Disposition"] == 'attachment; filename="say \\"hi\\".csv"'
    assert polish["Content-Disposition"] == "attachment; filename*=utf-8''%C5%BB%C3%B3%C5%82w.pdf"


def test_a_file_shown_inline_without_a_name_never_shows_its_stored_name(tmp_path):
    stored = tmp_path / "artwork-originals-secret-name.png"
    stored.write_bytes(b"\x89PNG")

    response = file_response(stored.open("rb"), content_type="image/png", inline=True)

    assert response["Content-Disposition"] == "inline"
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == b"\x89PNG"


def test_bytes_made_now_are_a_named_download_or_inline():
    pdf = file_response(b"%PDF-1.7", filename="letter-amina.pdf", content_type="application/pdf")
    sheet = file_response(b"%PDF-1.7", filename="sign-in.pdf", content_type="application/pdf", inline=True)

    assert pdf["Content-Disposition"] == 'attachment; filename="letter-amina.pdf"'
    assert sheet["Content-Disposition"] == 'inline; filename="sign-in.pdf"'
    assert pdf.content == b"%PDF-1.7"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 7700 900123", "'+44 7700 900123"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        (-5, "'-5"),  # not text: made text first, then looked at
        (mark_safe("=1"), "'=1"),  # a str of another class
        (gettext_lazy("yes"), "yes"),  # a translation not yet made
        (3, "3"),
        ("", ""),
        (None, ""),
        ("Grace = Obi", "Grace = Obi"),  # only the first character counts
    ],
)
def test_each_cell_that_starts_like_a_formula_is_written_as_text(cell, written):
    text = csv_text(["Cell"], [[cell]])

    assert list(csv.reader(io.StringIO(text[1:]))) == [["Cell"], [written]]
