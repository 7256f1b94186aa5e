"""The one rule for "is this the same name": a name as people mean it, whatever its case, accents and
spacing. Every place that compares people's names uses it: the list's search (services.listing), likely
duplicates (services.duplicates), a walk-in whose name is someone's (evaluations' attendance), a school's
export (services.school_exports, which also drops punctuation) and a CSV row matched to someone known
(services.csv_import). Two rules would disagree at the edges ("Łukasz Ødegård" the same as
"lukasz odegard" to one and not to the other), so there is one."""

import unicodedata

# Letters that do not come apart into a base letter and an accent (NFKD leaves them whole).
_UNSPLIT = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"})


def fold(text: str) -> str:
    """A name (or any text) as it is compared: case folded, accents and other combining marks taken off
    (NFKD), the letters that carry their accent inside them folded too (ø ł đ æ œ …), white space
    collapsed. "  Zoë   ØDEGÅRD " → "zoe odegard", "Łukasz" → "lukasz", "GRÁCE OBI" → "grace obi"."""
    text = text or ""
    if text.isascii():
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_UNSPLIT)
    return " ".join(bare.split())
