"""Invented "graphic recording" pictures for the demo: a heading and a few bubbles of what people said,
drawn with Pillow, so the galleries and the event record have something to show."""

import io
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = [Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/truetype/dejavu")]
PALETTE = ["#f4a261", "#94d2bd", "#e9c46a", "#f6bd9f", "#b5d99c", "#cdb4db", "#a8dadc"]


def _font(size: int, *, bold: bool = False) -> ImageFont.ImageFont:
    names = (
        ["NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf"] if bold else ["NotoSans-Regular.ttf", "DejaVuSans.ttf"]
    )
    for folder in FONT_DIRS:
        for name in names:
            if (folder / name).is_file():
                return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    return [*lines, line] if line else lines


def drawing(*, heading: str, bubbles: list[str], seed: int, size: tuple[int, int] = (1600, 1100)) -> bytes:
    """A JPEG of a hand-made-looking record: a heading across the top, bubbles of key points joined by
    lines, in the demo's colours. The same arguments always give the same picture."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, "#fdfbf5")
    draw = ImageDraw.Draw(image)
    draw.text((60, 40), heading, font=_font(72, bold=True), fill="#264653")
    draw.line((60, 135, width - 60, 135), fill="#264653", width=6)
    text_font = _font(40)
    columns = 3
    centres = []
    for index in range(len(bubbles)):
        column, row = index % columns, index // columns
        cx = 60 + (width - 120) * (column + 0.5) / columns + rng.randint(-40, 40)
        cy = 330 + row * 360 + rng.randint(-30, 30)
        centres.append((cx, cy))
    # The joining lines first, so the bubbles sit on top of them.
    for (x1, y1), (x2, y2) in zip(centres, centres[1:], strict=False):
        draw.line((x1, y1, x2, y2), fill="#264653", width=4)
    radius_x, radius_y = 230, 140
    for index, (bubble, (cx, cy)) in enumerate(zip(bubbles, centres, strict=True)):
        colour = PALETTE[(seed + index) % len(PALETTE)]
        draw.ellipse(
            (cx - radius_x, cy - radius_y, cx + radius_x, cy + radius_y),
            fill=colour,
            outline="#264653",
            width=5,
        )
        lines = _wrap(draw, bubble, text_font, radius_x * 2 - 70)
        top = cy - len(lines) * 25
        for number, line in enumerate(lines):
            length = draw.textlength(line, font=text_font)
            draw.text((cx - length / 2, top + number * 50), line, font=text_font, fill="#1d1d1d")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()
