"""The words of a programme's invitation letter: our own friendly default, the check the editor shows
(reading ease and worker-speak), and saving what the facilitator wrote.

The words are plain text. HTML or CSS typed into them is kept exactly as typed and is only ever shown
escaped. The PDF adds the greeting, the person's name, the dates and venue and the reply slip, so the
words say none of those."""

from dataclasses import dataclass, field

import textstat
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core import languages
from core.users import User
from events.models import Programme
from events.services import signing_name

from ..models import MAX_LETTER_CHARACTERS, LetterWording
from ..plain_words import find_worker_speak

# Flesch reading ease: 60 or more is plain English that most people read easily.
READING_EASE_TARGET = 60.0


@dataclass(frozen=True)
class WordingCheck:
    reading_ease: float
    target: float = READING_EASE_TARGET
    meets_target: bool = False
    terms: list[tuple[str, str]] = field(default_factory=list)  # (the term as written, a plainer word)
    too_long: bool = False

    @property
    def passes(self) -> bool:
        return self.meets_target and not self.terms and not self.too_long

    def as_json(self) -> dict:
        return {
            "reading_ease": self.reading_ease,
            "target": self.target,
            "meets_target": self.meets_target,
            "terms": [{"term": term, "plainer": plainer} for term, plainer in self.terms],
            "too_long": self.too_long,
        }


def default_letter_text(*, programme: Programme) -> str:
    """Our own friendly words for a programme's letter, in plain paragraphs separated by a blank line,
    signed by a named person: the programme's contact, or its facilitator (events.services.signing_name).
    The programme's key question is included when it is itself free of worker-speak. No side effects."""
    question = " ".join(programme.key_question.split())
    paragraphs = [
        _(
            "We would love you to come and join us. We are bringing together parents and carers, school "
            "staff and local groups. We will all be in the same room, and we will all be equals."
        ),
        _(
            "Why get together? Children do best when the people around them know each other and pull the "
            "same way. Parents, teachers and local groups each see a different part of a child's life. When "
            "we share what we see, we can do much more for our children than any of us can do alone."
        ),
    ]
    if question and not find_worker_speak(question):
        paragraphs.append(
            _("We will start with one big question: “%(question)s” We want to hear what you think.")
            % {"question": question}
        )
    paragraphs += [
        _(
            "How will it work? The first day is a full day, with lunch. Then we meet a few more times, for "
            "half a day each. There are no long talks to sit through. We talk in small groups, share ideas "
            "and draw them. Artists will draw what we say as we go. Then we pick a few things to do, and "
            "plan how to do them together."
        ),
        _(
            "There is a lot that is good about where we live: the people, the places, and the groups that "
            "already help. We want to find these good things and make the most of them."
        ),
        _(
            "We all have something to learn from each other. You know your child and your street better "
            "than anyone. Your ideas count just as much as anyone else's."
        ),
        _(
            "The day is relaxed and friendly, but it has a clear aim: to agree what we can do together to "
            "make life better for our children."
        ),
        _(
            "Everyone is welcome. You do not need to know anything or get ready. If you need help with "
            "child care, travel or anything else so that you can come, tell us when you reply and we will do "
            "our best to help."
        ),
    ]
    name = signing_name(programme=programme)
    paragraphs.append(
        _("We hope to see you there. With warm wishes, %(name)s") % {"name": name}
        if name
        else _("We hope to see you there. With warm wishes, the Better Together team")
    )
    return "\n\n".join(paragraphs)


def check_wording(*, text: str) -> WordingCheck:
    """How easy the words are to read (Flesch reading ease, English) against the target, and every
    worker-speak term in them with a plainer word. Words over the letter's limit are marked too long and
    only the part within the limit is checked. No side effects."""
    too_long = len(text) > MAX_LETTER_CHARACTERS
    text = text[:MAX_LETTER_CHARACTERS]
    if not text.strip():
        # textstat scores an empty text as the easiest possible; nothing written is no pass.
        return WordingCheck(reading_ease=0.0, too_long=too_long)
    reading_ease = round(float(textstat.flesch_reading_ease(text)), 1)
    return WordingCheck(
        reading_ease=reading_ease,
        meets_target=reading_ease >= READING_EASE_TARGET,
        terms=find_worker_speak(text),
        too_long=too_long,
    )


def saved_wording(*, programme: Programme, language: str = settings.LANGUAGE_CODE) -> LetterWording | None:
    return LetterWording.objects.filter(programme=programme, language=language).first()


def letter_text(*, programme: Programme, language: str = settings.LANGUAGE_CODE) -> str:
    """The words to print in the programme's letters in ``language`` (a language the site speaks): the
    ones saved for it, or our own default written in it."""
    wording = saved_wording(programme=programme, language=language)
    if wording is not None and wording.text.strip():
        return wording.text
    with translation.override(language):
        return default_letter_text(programme=programme)


@dataclass(frozen=True)
class LanguageWords:
    """One language's letter words as the editor lists them."""

    code: str
    name: str  # in itself: "Polski"
    saved: LetterWording | None

    @property
    def english_changed(self) -> bool:
        return self.saved is not None and self.saved.english_changed


def languages_of_letters(*, programme: Programme) -> list[LanguageWords]:
    """Every language a letter can be printed in, with the words saved for it (one query)."""
    saved = {wording.language: wording for wording in LetterWording.objects.filter(programme=programme)}
    return [
        LanguageWords(
            code=code, name=translation.get_language_info(code)["name_local"], saved=saved.get(code)
        )
        for code in languages.offered()
    ]


def check_length(text: str) -> None:
    """Refuse words longer than a letter can hold, saying how long they are."""
    if len(text) > MAX_LETTER_CHARACTERS:
        raise ValidationError(
            _(
                "The letter is too long: it has %(count)s characters and can have at most %(limit)s. "
                "Please make it shorter."
            ),
            code="max_length",
            params={"count": f"{len(text):,}", "limit": f"{MAX_LETTER_CHARACTERS:,}"},
        )


@transaction.atomic
def save_wording(
    *, programme: Programme, text: str, user: User, language: str = settings.LANGUAGE_CODE
) -> LetterWording:
    """Store the words of the programme's letter in ``language`` exactly as typed (line endings made
    \\n), replacing any saved before. Worker-speak and a low score do not stop saving: the check is
    advice. Saving new English words marks every other language's saved words "check: the English has
    changed"; saving a language's words clears its mark. Raises ValidationError if the words are empty
    or longer than MAX_LETTER_CHARACTERS, or the language is not one we print (nothing is saved)."""
    if language not in languages.offered():
        raise ValidationError(_("We cannot print letters in that language."), code="language")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ValidationError(_("Please write the words of the letter."), code="required")
    check_length(text)
    before = saved_wording(programme=programme, language=language)
    wording, _created = LetterWording.objects.update_or_create(
        programme=programme,
        language=language,
        defaults={"text": text, "updated_by": user, "english_changed": False},
    )
    if language == settings.LANGUAGE_CODE and (before is None or before.text != text):
        LetterWording.objects.filter(programme=programme).exclude(language=language).update(
            english_changed=True
        )
    return wording
