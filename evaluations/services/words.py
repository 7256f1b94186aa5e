"""One word each: recording the words people say at the end of a session, and counting them.

A word is kept as it was said (``Word.said``) and normalised for counting (``Word.normalised``), so that
"Inspiring", "inspiring!" and " INSPIRING " are one word said three times, and "hopes" counts with "hope".

Bad input gets a kind answer, raised as ``WordRefused`` (nothing saved) or, when we kept something
different from what was typed, a note on the returned word (``RecordedWord.note``):

- empty (or only punctuation) → refused;
- a sentence → we keep the first word and say so ("We kept the first word, ‘Happy’.");
- a single "word" longer than ``MAX_WORD_LENGTH`` (e.g. 500 letters) → refused, asking for one word;
- emoji → kept as said; an emoji alone counts as itself (it is what the person said); emoji stuck to a
  word are dropped for counting ("happy😊" counts as "happy");
- other scripts (Arabic, Urdu, Polish, Chinese…) → kept and counted (no plural rules: those are English);
- the same phone twice in a session → ``AlreadyGiven`` (the database's unique constraint decides, so two
  quick submissions cannot both get in).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.tokens import hash_token, new_token
from core.users import User
from evaluations.enums import WordSource, WordState
from evaluations.models import MAX_WORD_LENGTH, Word, WordLink
from evaluations.profanity import PROFANITY
from events.models import Session

# English words ending in "s" that are not plurals (or whose singular would read oddly in the cloud).
_NOT_PLURALS = frozenset(
    {
        "always",
        "does",
        "has",
        "its",
        "lens",
        "news",
        "perhaps",
        "series",
        "species",
        "thanks",
        "this",
        "was",
        "yes",
        "us",
        "plus",
        "bonus",
        "chaos",
    }
)
_ENGLISH = re.compile(r"^[a-z]+$")
# The phone page stays open for a while after the session ends: people give their word on the way out.
PHONE_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class WordCount:
    key: str  # the normalised form used for counting
    word: str  # how it was most often said (ties: the earliest)
    count: int


@dataclass(frozen=True)
class RecordedWord:
    word: Word
    note: str = ""  # a kind note when we kept something other than exactly what was typed


class WordRefused(ValueError):
    """The text cannot be kept as a word; ``str(error)`` is a kind message to show beside the field."""


class AlreadyGiven(WordRefused):
    """This phone has already given its word for the session."""


def _is_edge(char: str) -> bool:
    """Characters trimmed from the ends of a word: spaces, punctuation, symbols (emoji), controls and
    combining marks left dangling (emoji variation selectors, joiners)."""
    return unicodedata.category(char)[0] in "PSZC" or char in "\ufe0f\u200d"


def _strip_edges(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    return text[start:end]


def _singular(word: str) -> str:
    """Simple English plurals: "hopes" → "hope", "communities" → "community", "wishes" → "wish";
    not "glass", "bus", "is" or "famous"."""
    if not _ENGLISH.match(word) or len(word) <= 3 or word in _NOT_PLURALS:
        return word
    if word.endswith(("ss", "us", "is", "ous")) or not word.endswith("s"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    return word[:-1]


def display_form(text: str) -> str:
    """The word as said, tidied for showing: Unicode-normalised and without the punctuation or spaces
    around it (case kept). An emoji alone is kept."""
    text = unicodedata.normalize("NFKC", text).strip()
    return _strip_edges(text) or text


def normalise_word(text: str) -> str:
    """The form used for counting: NFKC, casefolded, trimmed, punctuation and emoji stripped at the ends,
    simple English plurals made singular. An emoji (or other symbol) alone is counted as itself.
    Returns "" when nothing countable is left."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    core = _strip_edges(text)
    if not core:
        # Nothing but symbols: an emoji alone is what the person said; punctuation alone is nothing.
        symbols = "".join(c for c in text if unicodedata.category(c) in ("So", "Sk") or c in "\ufe0f\u200d")
        return symbols[:MAX_WORD_LENGTH]
    return _singular(core)


def is_rude(normalised: str) -> bool:
    """Whether a normalised word matches the profanity list, as a whole word (so "bass" or "scrap" do
    not, but "bull-shit" does)."""
    if normalised in PROFANITY:
        return True
    return any(_singular(part) in PROFANITY for part in re.split(r"[\W_]+", normalised) if part)


def clean_word(text: str) -> tuple[str, str]:
    """Check one word as typed. Returns (the word to keep as said, a note when it is not exactly what was
    typed). Raises ``WordRefused`` with a kind message for empty or over-long input."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        raise WordRefused(_("Please type one word first."))
    parts = text.split()
    first = parts[0]
    if len(first) > MAX_WORD_LENGTH:
        raise WordRefused(
            _("That is longer than a word. Please give just one word (up to %(max)s letters).")
            % {"max": MAX_WORD_LENGTH}
        )
    if not normalise_word(first):
        if len(parts) > 1:
            raise WordRefused(_("Please start with a word, not a mark like ‘%(mark)s’.") % {"mark": first})
        raise WordRefused(_("Please type a word: letters in any language, or an emoji."))
    note = ""
    if len(parts) > 1:
        note = _("We kept the first word, ‘%(word)s’.") % {"word": display_form(first)}
    return first, note


def add_word(
    *,
    session: Session,
    text: str,
    group: str = "",
    source: str,
    phone_hash: str = "",
    by: User | None = None,
) -> RecordedWord:
    """Save one word for ``session``. Facilitators' typed words are shown at once (they heard it); words
    from phones wait for approval, and those on the profanity list are held back.

    Side effects: creates a ``Word``. Raises ``WordRefused`` (nothing saved) for bad input, and
    ``AlreadyGiven`` when this phone (``phone_hash``) already gave a word for the session."""
    said, note = clean_word(text)
    normalised = normalise_word(said)
    if source == WordSource.PHONE:
        state = WordState.HELD if is_rude(normalised) else WordState.WAITING
    else:
        state = WordState.SHOWN
    try:
        with transaction.atomic():
            word = Word.objects.create(
                session=session,
                said=said,
                normalised=normalised,
                group=group,
                source=source,
                state=state,
                phone_hash=phone_hash,
                recorded_by=by,
            )
    except IntegrityError as error:
        if phone_hash and Word.objects.filter(session=session, phone_hash=phone_hash).exists():
            raise AlreadyGiven(_("You’ve already given your word — thank you!")) from error
        raise
    return RecordedWord(word=word, note=note)


def decide_word(*, word: Word, approve: bool) -> Word:
    """The facilitator's decision on a phone word: shown, or not shown. Side effect: saves the state."""
    word.state = WordState.SHOWN if approve else WordState.REJECTED
    word.save(update_fields=["state"])
    return word


def remove_word(*, word: Word) -> None:
    """Undo a word typed by mistake. Side effect: deletes it."""
    word.delete()


def tally(rows: Iterable[tuple[str, str]]) -> list[WordCount]:
    """Count (normalised, said) pairs given in the order they were said."""
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    first_seen: dict[tuple[str, str], int] = {}
    for index, (key, said) in enumerate(rows):
        if not key:
            continue
        form = display_form(said)
        counts[key] += 1
        forms[key][form] += 1
        first_seen.setdefault((key, form), index)
    result = []
    for key, count in counts.items():
        word = min(forms[key].items(), key=lambda item: (-item[1], first_seen[(key, item[0])]))[0]
        result.append(WordCount(key=key, word=word, count=count))
    result.sort(key=lambda wc: (-wc.count, wc.word.casefold(), wc.word))
    return result


def count_words(*, sessions: Iterable[Session] | QuerySet[Session]) -> list[WordCount]:
    """The SHOWN words of ``sessions`` (a queryset or list of sessions), counted by normalised form,
    most said first, then alphabetically. One query."""
    rows = (
        Word.objects.shown()
        .filter(session__in=sessions)
        .order_by("created_at", "pk")
        .values_list("normalised", "said")
    )
    return tally(rows)


# --- The phone page's links --------------------------------------------------------------------------------


def issue_word_link(*, session: Session) -> str:
    """A fresh link to ``session``'s phone page, for the QR code on the room's screen; returns its token.
    Only the token's hash is kept, so the address exists only where it is shown (and on the phones that
    scan it). Earlier links keep working until the phone page closes (phone_closed).

    Side effect: creates a ``WordLink``."""
    token, token_hash = new_token()
    WordLink.objects.create(session=session, token_hash=token_hash)
    return token


def find_word_link(*, token: str) -> WordLink | None:
    """The word link a token opens, with its session and programme, or None for an unknown or altered
    token."""
    if not token or len(token) > 100:
        return None
    found: WordLink | None = (
        WordLink.objects.select_related("session__programme").filter(token_hash=hash_token(token)).first()
    )
    return found


def phone_closed(session: Session, now: datetime | None = None) -> bool:
    """A session's phone page closes an hour after it ends, or when the session is cancelled."""
    now = now or timezone.now()
    return session.is_cancelled or now > session.ends_at + PHONE_GRACE
