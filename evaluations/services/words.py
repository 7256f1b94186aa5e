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
  quick submissions cannot both get in);
- too many words from one connection → ``TooManyWords`` (see add_phone_word).

The phone page is opened from the QR code on the room's screen (a word link), or, for a phone that cannot
scan it, from the session's short code typed at ``/w/`` (word_code, find_session_by_code).
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from core.tokens import hash_token, new_token
from core.users import User
from evaluations.enums import WordSource, WordState
from evaluations.models import MAX_WORD_LENGTH, Word, WordLink
from evaluations.profanity import PROFANITY
from events.enums import SessionKind
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

logger = logging.getLogger(__name__)


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


class TooManyWords(WordRefused):
    """This connection has given as many words for the session as it may (add_phone_word)."""


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


def approve_waiting(*, session: Session, up_to: int | None = None) -> int:
    """Show at once every word from phones waiting for ``session``'s facilitator — those up to the word
    ``up_to`` (the newest on the facilitator's page, so that a word that arrived after they looked is not
    shown unseen), all of them when it is None. Words held back as maybe rude are left waiting, for a
    person to look at one by one. Returns how many were approved. Side effect: saves their state."""
    words = Word.objects.filter(session=session, state=WordState.WAITING)
    if up_to is not None:
        words = words.filter(pk__lte=up_to)
    return words.update(state=WordState.SHOWN)


def remove_word(*, word: Word) -> None:
    """Undo a word typed by mistake. Side effect: deletes it."""
    word.delete()


def sessions_to_compare(
    *, sessions: Iterable[Session], with_words: set[int], now: datetime
) -> tuple[Session | None, Session | None, bool]:
    """What "How the words changed" compares: (the all-day, the last half-day after it, whether any
    half-day after it has taken place). Reads nothing.

    Only sessions that have taken place count: started by ``now``, not cancelled, and with words shown
    (``with_words``: their ids). A half-day still to come has no words yet, and one that took place
    without any would only say that every word was dropped."""
    happened = sorted(
        (s for s in sessions if not s.is_cancelled and s.starts_at <= now), key=lambda s: s.starts_at
    )
    all_day = next((s for s in happened if s.kind == SessionKind.ALL_DAY and s.pk in with_words), None)
    half_days = [s for s in happened if s.kind == SessionKind.HALF_DAY]
    if all_day is not None:
        half_days = [s for s in half_days if s.starts_at > all_day.starts_at]
    with_theirs = [s for s in half_days if s.pk in with_words]
    return all_day, (with_theirs[-1] if with_theirs else None), bool(half_days)


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


def code_open_on(session: Session, now: datetime) -> bool:
    """Whether the session's short code may open its phone page at ``now``: from the start of the
    session's day (settings.TIME_ZONE) until the phone page closes (phone_closed)."""
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    return today >= session.date and not phone_closed(session, now)


# --- The short code, for phones that cannot scan the QR code -------------------------------------------
#
# The screen says "go to <site>/w and type 4821-3765". Digits, because every phone shows a number pad for
# them, whatever the language of its keyboard, and nobody mixes up O and 0 or l and 1.
#
# Why eight digits are enough: there are 10^8 codes, and a code opens its session's phone page only on the
# session's day (find_session_by_code looks at sessions of today and yesterday, for one that runs past
# midnight), so at most a handful are open at once — say 10, one per session that day across the whole
# site. The code page is rate-limited per client address (core.ratelimit, 2 × RATE_LIMIT_PER_MINUTE: 120
# tries a minute by default, room for a whole venue on one Wi-Fi), so one address guesses right about
# once in 10^8 / (10 × 120) ≈ 83,000 minutes of trying (eight weeks), while a code opens its page for less
# than a day (1,440 minutes): under a 2% chance per address, and trying all day long. A right guess only
# lets someone send words that wait for the facilitator's approval, within the limits per phone and per
# address below. Six digits would be a hundred times easier to guess; letters would be harder to type.
CODE_DIGITS = 8
_CODE_SEPARATORS = frozenset(" -.\u2010\u2011\u2012\u2013\u2014\u00a0")


def word_code(session: Session) -> str:
    """The session's short code: eight digits made from the site's secret key and the session, so nothing
    is stored (a copy of the database holds no code) and it is the same every time the screen shows it."""
    digest = salted_hmac("evaluations.word-code", str(session.pk)).digest()
    number = int.from_bytes(digest[:8], "big") % 10**CODE_DIGITS
    return f"{number:0{CODE_DIGITS}d}"


def show_code(code: str) -> str:
    """The code as the screen shows it, in two halves that are easy to read out: "4821-3765"."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def clean_code(text: str) -> str:
    """The code as typed, as its eight digits: spaces and dashes left out, digits of any script (Arabic,
    Devanagari…) read as the digits they are. "" when it is not eight digits and nothing else."""
    digits = []
    for char in unicodedata.normalize("NFKC", text or ""):
        value = unicodedata.decimal(char, None)
        if value is not None:
            digits.append(str(value))
        elif char not in _CODE_SEPARATORS:
            return ""
    return "".join(digits) if len(digits) == CODE_DIGITS else ""


def find_session_by_code(*, code: str, now: datetime | None = None) -> Session | None:
    """The session whose short code was typed, if its day has come: only sessions dated today or
    yesterday are looked at (the next day, a phone page open past midnight), so a code works on its
    session's day alone and a code seen early cannot be checked. Cancelled and closed sessions are found
    too, for the page to answer kindly that the time for words has passed. None otherwise."""
    code = clean_code(code)
    if not code:
        return None
    now = now or timezone.now()
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    candidates: list[Session] = list(
        Session.objects.select_related("programme")
        .filter(date__gte=today - timedelta(days=1), date__lte=today)
        .order_by("date", "start_time", "pk")
    )
    return next((s for s in candidates if constant_time_compare(word_code(s), code)), None)


# --- How many words one phone, and one connection, may give ----------------------------------------------
#
# One word per phone: the phone page gives each phone an id (signed by us, so not made up), in its form and
# then in a cookie, and the database keeps one word per id per session (AlreadyGiven). A phone that drops
# its cookie and sends the same page again is still the same phone.
#
# Per client address (core.ratelimit.client_address), per session: everyone at the venue on its Wi-Fi
# comes from one address. A typical workshop has 20–30 people (up to 30 in the design guide), so
# PHONE_WORDS_PER_ADDRESS lets a full room of 30 through with room to spare (helpers, the odd second phone):
# 40. A phone that loads the page afresh for every word looks like a new phone each time, and is stopped
# there. Words from phones without an id at all — a request that never loaded our page, a replayed post —
# are allowed UNKNOWN_PHONE_WORDS_PER_ADDRESS: 3, a handful, enough for an odd browser and none for a
# flood. Every phone word still waits for the facilitator's approval.
#
# The counts are kept in the cache (Redis in production), never in the database, and are forgotten when the
# phone page closes; if the cache is down, words are let in (a word matters more than the limit).
PHONE_WORDS_PER_ADDRESS = 40
UNKNOWN_PHONE_WORDS_PER_ADDRESS = 3
PHONE_ID_MAX_AGE = timedelta(days=2)
_PHONE_ID_SALT = "evaluations.phone-id"


def new_phone_id() -> str:
    """A fresh id for a phone: random, and signed so that the page can tell its own ids from made-up ones."""
    return signing.TimestampSigner(salt=_PHONE_ID_SALT).sign(secrets.token_urlsafe(24))


def checked_phone_id(value: str) -> str:
    """``value`` if it is an id this site gave a phone (in the last two days), else ""."""
    if not value or len(value) > 200:
        return ""
    try:
        signing.TimestampSigner(salt=_PHONE_ID_SALT).unsign(value, max_age=PHONE_ID_MAX_AGE)
    except signing.BadSignature:
        return ""
    return value


def _count_up(key: str, timeout: int) -> int:
    """Add one to a count in the cache and return it; 0 when the cache cannot be reached."""
    try:
        try:
            return cache.incr(key)
        except ValueError:  # the first of this count (incr() needs the key to exist)
            return 1 if cache.add(key, 1, timeout=timeout) else cache.incr(key)
    except Exception:  # noqa: BLE001 -- an unreachable cache must not stop anyone giving their word
        logger.warning("phone words: cache unavailable, letting the word through", exc_info=True)
        return 0


def _count_down(key: str) -> None:
    try:
        cache.decr(key)
    except Exception:  # noqa: BLE001 -- the count went with the cache: nothing to give back
        logger.warning("phone words: cache unavailable, a count was not given back", exc_info=True)


def add_phone_word(
    *,
    session: Session,
    text: str,
    phone_id: str,
    known_phone: bool,
    address: str,
    now: datetime | None = None,
) -> RecordedWord:
    """Save a word sent from a phone: it waits for approval (held back if it may be rude; see add_word).

    ``phone_id`` is the phone's id (new_phone_id; only its hash is kept); ``known_phone`` says whether the
    phone brought it (from our page or its cookie) rather than being given one now. Raises WordRefused
    for bad input (nothing counted), AlreadyGiven when this phone has given its word for the session, and
    TooManyWords when this client address has given PHONE_WORDS_PER_ADDRESS words for the session, or
    UNKNOWN_PHONE_WORDS_PER_ADDRESS from phones without an id. Side effects: creates a ``Word`` and
    counts it against the address in the cache until the phone page closes."""
    clean_word(text)
    phone_hash = hash_token(phone_id)
    if Word.objects.filter(session=session, phone_hash=phone_hash).exists():
        raise AlreadyGiven(_("You’ve already given your word — thank you!"))
    now = now or timezone.now()
    timeout = max(60, int((session.ends_at + PHONE_GRACE - now).total_seconds()) + 60)
    full = TooManyWords(
        _(
            "We’ve had lots of words from this connection already, so we can’t take any more from here. "
            "If you haven’t given yours yet, please tell the facilitator: they’ll add it for you."
        )
    )
    counted = []
    if not known_phone:
        unknown = f"phone-words:unknown:{session.pk}:{address}"
        if _count_up(unknown, timeout) > UNKNOWN_PHONE_WORDS_PER_ADDRESS:
            raise full
        counted.append(unknown)
    every = f"phone-words:{session.pk}:{address}"
    counted.append(every)
    if _count_up(every, timeout) > PHONE_WORDS_PER_ADDRESS:
        # Turned away: this one does not use up a place, so a flood without ids cannot fill the room's.
        for key in counted[:-1]:
            _count_down(key)
        raise full
    try:
        return add_word(session=session, text=text, source=WordSource.PHONE, phone_hash=phone_hash)
    except WordRefused:
        for key in counted:
            _count_down(key)
        raise
