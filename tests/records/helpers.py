"""Building a session's record in tests: pictures with real display files, people who came, words,
actions with leads and updates. Rows are made directly, so these tests read what the other apps store."""

import html
import io
import re
import subprocess
from dataclasses import dataclass

from django.core.files.base import ContentFile
from PIL import Image

from actions.models import Action, ActionUpdate
from artwork.enums import ImageState
from artwork.models import Artwork, Theme
from evaluations.models import Attendance, Word
from evaluations.services.words import normalise_word
from tests.factories import InvitationFactory

COLOURS = ["teal", "orange", "purple", "navy", "olive", "maroon"]


def jpeg(colour: str = "teal", size: tuple[int, int] = (400, 300)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def theme(programme, name: str) -> Theme:
    found, _created = Theme.objects.get_or_create(
        programme=programme, key=" ".join(name.lower().split()), defaults={"name": name}
    )
    return found


def add_picture(
    session,
    *,
    title: str = "",
    description: str = "",
    themes: tuple[str, ...] = (),
    artist=None,
    state: str = ImageState.READY,
    colour: str = "teal",
    size: tuple[int, int] = (400, 300),
    **fields,
) -> Artwork:
    content = jpeg(colour, size)
    artwork = Artwork(
        session=session,
        title=title,
        description=description,
        artist=artist,
        state=state,
        uploaded_by=artist,
        **fields,
    )
    artwork.original.save("original.jpg", ContentFile(content), save=False)
    if state == ImageState.READY:
        artwork.display.save("display.jpg", ContentFile(content), save=False)
        artwork.thumbnail.save("thumbnail.jpg", ContentFile(content), save=False)
    artwork.width, artwork.height = size
    artwork.save()
    artwork.themes.set([theme(session.programme, name) for name in themes])
    return artwork


def add_people(session, counts: dict[str, int], *, walk_ins: int = 0) -> list:
    """``counts``: invitee category → how many came."""
    invitations = []
    for category, count in counts.items():
        for _index in range(count):
            invitation = InvitationFactory(programme=session.programme, invitee__category=category)
            Attendance.objects.create(session=session, invitation=invitation)
            invitations.append(invitation)
    for _index in range(walk_ins):
        invitation = InvitationFactory(
            programme=session.programme, invitee__category="community", met_on_the_day=True
        )
        Attendance.objects.create(session=session, invitation=invitation)
        invitations.append(invitation)
    return invitations


def add_words(session, words: list[str]) -> list[Word]:
    return [
        Word.objects.create(session=session, said=word, normalised=normalise_word(word)) for word in words
    ]


def add_action(programme, *, what: str, lead=None, status: str = "idea", updates: tuple[str, ...] = ()):
    action = Action.objects.create(programme=programme, what=what, lead=lead, status=status)
    for text in updates:
        ActionUpdate.objects.create(action=action, text=text, status_before=status, status_after=status)
    return action


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, every page, with whitespace flattened."""
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


class RecordingFetcher:
    """Wraps the restricted fetcher and remembers every address WeasyPrint asked for."""

    def __init__(self):
        from core.pdf import url_fetcher

        self.fetcher = url_fetcher()
        self.asked: list[str] = []
        original = self.fetcher.fetch

        def fetch(url, headers=None):
            self.asked.append(url)
            return original(url, headers)

        self.fetcher.fetch = fetch


@dataclass(frozen=True)
class PdfWord:
    """A word of a PDF page and where it is, in points from the page's top left (pdftotext -bbox)."""

    text: str
    left: float
    top: float
    right: float
    bottom: float


def pdf_words(pdf: bytes) -> list[list[PdfWord]]:
    """Every page's words with their boxes."""
    result = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True)
    pages = []
    for page in result.stdout.decode().split("<page ")[1:]:
        pages.append(
            [
                PdfWord(html.unescape(text), float(left), float(top), float(right), float(bottom))
                for left, top, right, bottom, text in WORD.findall(page)
            ]
        )
    return pages


WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def word(words: list[PdfWord], text: str, *, below: PdfWord | None = None) -> PdfWord:
    """The first word that reads ``text`` (below ``below``, if given)."""
    return next(w for w in words if w.text == text and (below is None or w.top > below.top))


def on_the_line_of(words: list[PdfWord], first: PdfWord) -> list[PdfWord]:
    """The words on the same line as ``first``, left to right."""
    return sorted((w for w in words if abs(w.top - first.top) < 1.5), key=lambda w: w.left)
