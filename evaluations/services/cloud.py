"""The word cloud, drawn on the server: our own small layout rather than the ``wordcloud`` package (which
needs numpy and matplotlib, and draws a bitmap).

Words are sized by how often they were said and placed, biggest first, along an Archimedean spiral from
the centre, each where its box overlaps none already placed. Boxes come from Pillow's measurements of the
Noto font for the word's script, so the SVG (drawn by the browser with the same Noto families) and the
PNG (drawn by Pillow) match. Nothing random: the same counts always give the same picture.

Scripts without an installed Noto font (Chinese, Japanese, Korean and emoji on a machine without
``fonts-noto-cjk`` / ``fonts-noto-color-emoji``) are measured generously (one em per character) so they
still never overlap; the browser draws them with its own fonts, Pillow draws them as best it can.
"""

from __future__ import annotations

import io
import math
import unicodedata
import zlib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from .words import WordCount

FONT_DIR = Path(getattr(settings, "WORD_CLOUD_FONT_DIR", "/usr/share/fonts/truetype/noto"))
# Other places fonts for Chinese/Japanese/Korean are found when installed (fonts-noto-cjk).
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)

MIN_SIZE = 16
MAX_SIZE = 88
PADDING = 4
READABLE = 13  # the smallest size a word is drawn at when many words shrink to fit
TARGET_AREA = 0.5 * 960 * 560  # about a screen  # the area the words' boxes may take, all together
WIDTH = 480  # the smallest canvas: a few words are drawn large; the canvas grows to fit many
HEIGHT = 480
# Dark colours that all have at least 7:1 contrast on white.
COLOURS = ("#1a4a6e", "#7a1f1f", "#1d5631", "#4b2a63", "#6b3a0c", "#263340", "#0c5454")

# (first code point, last code point, font file stem, CSS family) per script; Latin, Greek and Cyrillic
# fall through to Noto Sans.
_SCRIPTS: tuple[tuple[int, int, str, str], ...] = (
    (0x0590, 0x05FF, "NotoSansHebrew", "Noto Sans Hebrew"),
    (0x0600, 0x06FF, "NotoNaskhArabic", "Noto Naskh Arabic"),
    (0x0750, 0x077F, "NotoNaskhArabic", "Noto Naskh Arabic"),
    (0x08A0, 0x08FF, "NotoNaskhArabic", "Noto Naskh Arabic"),
    (0xFB50, 0xFDFF, "NotoNaskhArabic", "Noto Naskh Arabic"),
    (0xFE70, 0xFEFF, "NotoNaskhArabic", "Noto Naskh Arabic"),
    (0x0900, 0x097F, "NotoSansDevanagari", "Noto Sans Devanagari"),
    (0x0980, 0x09FF, "NotoSansBengali", "Noto Sans Bengali"),
    (0x0A00, 0x0A7F, "NotoSansGurmukhi", "Noto Sans Gurmukhi"),
    (0x0A80, 0x0AFF, "NotoSansGujarati", "Noto Sans Gujarati"),
    (0x0B80, 0x0BFF, "NotoSansTamil", "Noto Sans Tamil"),
    (0x0C00, 0x0C7F, "NotoSansTelugu", "Noto Sans Telugu"),
    (0x0C80, 0x0CFF, "NotoSansKannada", "Noto Sans Kannada"),
    (0x0D00, 0x0D7F, "NotoSansMalayalam", "Noto Sans Malayalam"),
    (0x0D80, 0x0DFF, "NotoSansSinhala", "Noto Sans Sinhala"),
    (0x0E00, 0x0E7F, "NotoSansThai", "Noto Sans Thai"),
    (0x0E80, 0x0EFF, "NotoSansLao", "Noto Sans Lao"),
    (0x1000, 0x109F, "NotoSansMyanmar", "Noto Sans Myanmar"),
    (0x10A0, 0x10FF, "NotoSansGeorgian", "Noto Sans Georgian"),
    (0x0530, 0x058F, "NotoSansArmenian", "Noto Sans Armenian"),
    (0x1200, 0x139F, "NotoSansEthiopic", "Noto Sans Ethiopic"),
    (0x1780, 0x17FF, "NotoSansKhmer", "Noto Sans Khmer"),
)
# Letters Urdu uses that Arabic does not (Persian shares some): such words are drawn in Nastaliq, as Urdu
# is written.
_URDU_LETTERS = frozenset("ٹڈڑںےۓھیک")
_CJK = "Noto Sans CJK SC"
_EMOJI = "Noto Color Emoji"


@dataclass(frozen=True)
class PlacedWord:
    key: str
    word: str
    count: int
    size: int
    family: str  # the CSS font family list for the SVG
    font_path: str  # the font Pillow measures and draws with ("" when none is installed for the script)
    colour: str
    x: float  # the centre of the word's box, in the cloud's own coordinates
    baseline: float
    box: tuple[float, float, float, float]  # left, top, right, bottom (padding included)


@dataclass(frozen=True)
class Cloud:
    width: int
    height: int
    words: tuple[PlacedWord, ...]


def _font_file(stem: str) -> str:
    for suffix in ("-Bold.ttf", "-Regular.ttf"):
        path = FONT_DIR / f"{stem}{suffix}"
        if path.exists():
            return str(path)
    return ""


@lru_cache(maxsize=1)
def _cjk_font() -> str:
    return next((path for path in CJK_FONTS if Path(path).exists()), "")


def _script_font(word: str) -> tuple[str, str]:
    """(font file, CSS family list) for the word's first letter's script."""
    for char in word:
        point = ord(char)
        category = unicodedata.category(char)
        if category[0] == "L":
            for first, last, stem, family in _SCRIPTS:
                if first <= point <= last:
                    if stem == "NotoNaskhArabic" and any(c in _URDU_LETTERS for c in word):
                        stem, family = "NotoNastaliqUrdu", "Noto Nastaliq Urdu"
                    return _font_file(stem), f"'{family}', 'Noto Sans', sans-serif"
            if 0x2E80 <= point <= 0x9FFF or 0xAC00 <= point <= 0xD7AF or 0xF900 <= point <= 0xFAFF:
                return _cjk_font(), f"'{_CJK}', 'Noto Sans', sans-serif"
            break
        if category == "So":
            return "", f"'{_EMOJI}', 'Noto Sans Symbols 2', sans-serif"
    return _font_file("NotoSans"), "'Noto Sans', sans-serif"


@lru_cache(maxsize=512)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _measure(word: str, path: str, size: int) -> tuple[float, float, float]:
    """(width, ascent, descent) of the word at ``size``."""
    if not path:
        return size * 1.05 * len(word), size * 0.95, size * 0.25
    font = _font(path, size)
    ascent, descent = font.getmetrics()
    return font.getlength(word), float(ascent), float(descent)


def _size(count: int, smallest: int, largest: int) -> int:
    if largest == smallest:
        return (MIN_SIZE + MAX_SIZE) // 2 if largest > 1 else 40
    share = math.sqrt((count - smallest) / (largest - smallest))
    return round(MIN_SIZE + share * (MAX_SIZE - MIN_SIZE))


Box = tuple[float, float, float, float]


class _Mask:
    """Where boxes are already placed, at ``CELL`` px a cell: one Python int per row of cells, a bit per
    cell. Testing a box is one AND per row it covers (on ints of a few hundred bytes, done in C), however
    many words are placed. Boxes are rounded outwards, so two boxes that overlap at all are seen to."""

    CELL = 2
    SIZE = (3200, 2200)  # cells: room for a cloud 6400 × 4400 px around the centre

    def __init__(self) -> None:
        self.rows = [0] * self.SIZE[1]
        self.ox, self.oy = self.SIZE[0] // 2, self.SIZE[1] // 2

    def _cells(self, box: Box) -> tuple[int, int, int, int]:
        left, top, right, bottom = box
        return (
            math.floor(left / self.CELL) + self.ox,
            math.floor(top / self.CELL) + self.oy,
            math.ceil(right / self.CELL) + self.ox,
            math.ceil(bottom / self.CELL) + self.oy,
        )

    @staticmethod
    def _span(left: int, right: int) -> int:
        """The bits of the cells from ``left`` up to (not including) ``right``."""
        return ((1 << (right - left)) - 1) << left

    def free(self, box: Box) -> bool:
        left, top, right, bottom = self._cells(box)
        if left < 0 or top < 0 or right > self.SIZE[0] or bottom > self.SIZE[1]:
            return False
        span = self._span(left, right)
        # A plain loop: it stops at the first row in the way, and is quicker here than all() or any().
        for row in self.rows[top:bottom]:  # noqa: SIM110
            if row & span:
                return False
        return True

    def add(self, box: Box) -> None:
        left, top, right, bottom = self._cells(box)
        span = self._span(left, right)
        for y in range(top, bottom):
            self.rows[y] |= span


@lru_cache(maxsize=32)
def _layout(counts: tuple[WordCount, ...]) -> Cloud:
    if not counts:
        return Cloud(width=WIDTH, height=HEIGHT // 3, words=())
    largest = max(wc.count for wc in counts)
    smallest = min(wc.count for wc in counts)
    ordered = sorted(counts, key=lambda wc: (-wc.count, wc.word.casefold(), wc.word))
    grid = _Mask()
    placed: list[PlacedWord] = []
    fonts = {wc.key: _script_font(wc.word) for wc in ordered}
    sizes = {wc.key: _size(wc.count, smallest, largest) for wc in ordered}
    # Many words: shrink them all so the cloud stays about a screen's size, but never below READABLE.
    area = 0.0
    for wc in ordered:
        width, ascent, descent = _measure(wc.word, fonts[wc.key][0], sizes[wc.key])
        area += (width + 2 * PADDING) * (ascent + descent + 2 * PADDING)
    scale = min(1.0, math.sqrt(TARGET_AREA / area))
    last_theta = 0.0
    for wc in ordered:
        size = max(READABLE, round(sizes[wc.key] * scale))
        path, family = fonts[wc.key]
        width, ascent, descent = _measure(wc.word, path, size)
        half_w, height = width / 2 + PADDING, ascent + descent + 2 * PADDING
        # The middle fills up as words are placed, so start a couple of turns inside the last word's place.
        theta = max(0.0, last_theta - 4 * math.pi)
        while True:
            # Even steps of about 4 px along a spiral stretched sideways to fill a landscape screen.
            radius = 1.5 * theta
            cx = radius * math.cos(theta) * 1.6
            cy = radius * math.sin(theta)
            box = (cx - half_w, cy - height / 2, cx + half_w, cy + height / 2)
            if grid.free(box):
                break
            theta += max(3.0, height / 4) / max(radius * 1.3, 3.0)
            if radius > 2000:  # never in practice: the sizes are scaled to fit; stack below instead
                cx, cy = 0.0, max(p.box[3] for p in placed) + height / 2 + 1
                box = (cx - half_w, cy - height / 2, cx + half_w, cy + height / 2)
                break
        grid.add(box)
        last_theta = theta
        colour = COLOURS[zlib.crc32(wc.key.encode()) % len(COLOURS)]
        placed.append(
            PlacedWord(
                key=wc.key,
                word=wc.word,
                count=wc.count,
                size=size,
                family=family,
                font_path=path,
                colour=colour,
                x=cx,
                baseline=box[1] + PADDING + ascent,
                box=box,
            )
        )
    left = min(p.box[0] for p in placed)
    top = min(p.box[1] for p in placed)
    right = max(p.box[2] for p in placed)
    bottom = max(p.box[3] for p in placed)
    # Move everything so the cloud is centred on a canvas just bigger than it (at least WIDTH wide).
    width = max(WIDTH, math.ceil(right - left) + 2 * PADDING)
    height = max(HEIGHT // 3, math.ceil(bottom - top) + 2 * PADDING)
    dx = (width - (right - left)) / 2 - left
    dy = (height - (bottom - top)) / 2 - top
    moved = tuple(
        replace(
            p,
            x=round(p.x + dx, 1),
            baseline=round(p.baseline + dy, 1),
            box=tuple(round(v + d, 1) for v, d in zip(p.box, (dx, dy, dx, dy), strict=True)),  # type: ignore[arg-type]
        )
        for p in placed
    )
    return Cloud(width=width, height=height, words=moved)


def layout_cloud(counts: list[WordCount]) -> Cloud:
    """Place the words (see the module's docstring). Pure and cached: the same counts give the same
    ``Cloud``, so the room screen's polling costs one layout per change."""
    return _layout(tuple(counts))


def summary(counts: list[WordCount], *, title: str) -> str:
    """A sentence naming the cloud and its most-said words, for the SVG's title and screen readers."""
    if not counts:
        return _("%(title)s: no words yet.") % {"title": title}
    total = sum(wc.count for wc in counts)
    top = ", ".join(f"{wc.word} ({wc.count})" for wc in counts[:5])
    return ngettext(
        "%(title)s: %(total)s word, %(distinct)s different. Most said: %(top)s.",
        "%(title)s: %(total)s words, %(distinct)s different. Most said: %(top)s.",
        total,
    ) % {"title": title, "total": total, "distinct": len(counts), "top": top}


def cloud_svg(counts: list[WordCount], *, title: str) -> str:
    """A standalone SVG document (valid XML, with xmlns, role="img" and a <title> summarising it).
    Inline it in a page or serve it as image/svg+xml. No ids, so several can share a page."""
    cloud = layout_cloud(counts)
    label = summary(counts, title=title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {cloud.width} {cloud.height}" '
        f'width="{cloud.width}" height="{cloud.height}" role="img" aria-label={quoteattr(label)} '
        f'class="word-cloud" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(label)}</title>",
        f'<rect width="{cloud.width}" height="{cloud.height}" fill="#ffffff"/>',
    ]
    if not cloud.words:
        parts.append(
            f'<text x="{cloud.width / 2}" y="{cloud.height / 2}" text-anchor="middle" '
            f'font-family="\'Noto Sans\', sans-serif" font-size="24" fill="#263340">'
            f"{escape(_('No words yet.'))}</text>"
        )
    for word in cloud.words:
        parts.append(
            f'<text x="{word.x}" y="{word.baseline}" text-anchor="middle" font-size="{word.size}" '
            f'font-weight="bold" font-family={quoteattr(word.family)} fill="{word.colour}">'
            f"{escape(word.word)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def cloud_png(counts: list[WordCount], *, title: str) -> bytes:
    """The same cloud as a PNG image for reports, drawn by Pillow from the same layout (at twice the
    size, for print). The title is kept in the PNG's metadata."""
    scale = 2
    cloud = layout_cloud(counts)
    image = Image.new("RGB", (cloud.width * scale, cloud.height * scale), "white")
    draw = ImageDraw.Draw(image)
    fallback = _font_file("NotoSans")
    if not cloud.words:
        draw.text(
            (cloud.width * scale / 2, cloud.height * scale / 2),
            _("No words yet."),
            font=_font(fallback, 24 * scale),
            fill="#263340",
            anchor="mm",
        )
    for word in cloud.words:
        font = _font(word.font_path or fallback, word.size * scale)
        draw.text(
            (word.x * scale, word.baseline * scale), word.word, font=font, fill=word.colour, anchor="ms"
        )
    info = PngInfo()
    info.add_text("Title", title)
    info.add_text("Description", summary(counts, title=title))
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, optimize=True)
    return out.getvalue()
