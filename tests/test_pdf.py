"""The PDF rendering every app shares (letters, sign-in sheets, event records)."""

import io
import re
from pathlib import Path

import pypdf
import pytest

from core.pdf import render_pdf

PDF_TEMPLATES = [
    "templates/letters/letters.html",
    "templates/evaluations/pdf/signin_sheet.html",
    "templates/records/pdf/record.html",
]
ROOT = Path(__file__).resolve().parent.parent


def font_names(pdf: bytes) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def body_font_stack(template: str) -> str:
    css = (ROOT / template).read_text()
    return re.search(r"font-family:\s*([^;]+);", css).group(1)


@pytest.mark.parametrize("template", PDF_TEMPLATES)
def test_pdf_fonts_never_name_an_emoji_font(template):
    # Naming "Noto Color Emoji" in the stack makes Pango draw every digit with it ("1 1  N o v e m b e r").
    assert "emoji" not in body_font_stack(template).lower()


@pytest.mark.parametrize("template", PDF_TEMPLATES)
def test_digits_are_drawn_with_the_text_font(template):
    html = f"<p style='font-family: {body_font_stack(template)}'>Wednesday 11 November 2026, 9:30am</p>"

    names = font_names(render_pdf(html))

    assert names == {name for name in names if "Noto-Sans" in name and "Emoji" not in name}, names
