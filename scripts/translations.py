"""The translation catalogues (locale/<code>/LC_MESSAGES/django.po): what parents see must be translated.

    .venv/bin/python scripts/translations.py todo pl     # the parent-facing messages Polish still lacks
    .venv/bin/python scripts/translations.py check       # every language: none missing, none fuzzy,
                                                         # every placeholder kept (what the tests check)

A message is parent-facing when it appears in one of PARENT_FACING's files (its "#:" lines say where):
the pages opened from a link, the emails, the letters. Staff pages stay in English; their messages are in
the catalogues too, and may be translated, but need not be.
"""

import re
import sys
from fnmatch import fnmatch
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"

PARENT_FACING = [
    "templates/base.html",
    "templates/404.html",
    "templates/403_csrf.html",
    "templates/429.html",
    "templates/emails/*",
    "templates/sms/*",
    "templates/letters/*",
    "templates/invitations/_public_base.html",
    # The privacy notice and its language switch; of the accessibility statement (English), only the
    # line that says so.
    "templates/core/privacy.html",
    "templates/core/_language_switch.html",
    "templates/core/_english_only.html",
    "templates/invitations/_contact.html",
    "templates/invitations/_language_switch.html",
    "templates/invitations/reply.html",
    "templates/invitations/reply_form.html",
    "templates/invitations/reply_field.html",
    "templates/invitations/_needs_consent.html",
    "templates/invitations/_keep_in_touch.html",
    "templates/invitations/reply_thanks.html",
    "templates/invitations/unsubscribe.html",
    "templates/invitations/finished.html",
    "templates/artwork/shared_gallery.html",
    "templates/artwork/_viewer.html",
    "templates/artwork/_theme_filter.html",
    "templates/evaluations/_words_public_base.html",
    "templates/evaluations/words_phone*.html",
    "templates/evaluations/words_code.html",
    "templates/actions/lead_*.html",
    "core/calendar_words.py",
    "events/templatetags/friendly.py",
    "events/enums.py",
    "invitations/questions.py",
    "invitations/services/wording.py",
    # Files whose messages are partly for parents (the reply form, the answers, what a session provides,
    # the letters' words, the one-word and lead forms): all their messages are translated.
    "events/models.py",
    "invitations/forms.py",
    "invitations/enums.py",
    "invitations/services/replies.py",
    "invitations/services/letters.py",
    "actions/forms.py",
    "actions/services/links.py",
    "evaluations/forms.py",
    "evaluations/services/words.py",
    "evaluations/views/words.py",
]

# Emails to staff (a colleague's invitation, a password reset) are in English, as staff pages are.
STAFF_ONLY = [
    "templates/emails/staff_invite_*",
    "templates/emails/password_reset_*",
]

# %(name)s, %s, %d, {{ name }} and {name}: what a translation must keep, each as often as the original.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{\{ *[a-z_.|:\"' ]+ *\}\}|\{[a-z_]+\}")


def languages() -> list[str]:
    return sorted(path.name for path in LOCALE.iterdir() if (path / "LC_MESSAGES" / "django.po").exists())


def path_of(code: str) -> Path:
    return LOCALE / code / "LC_MESSAGES" / "django.po"


def catalogue(code: str, path: Path | None = None) -> polib.POFile:
    return polib.pofile(str(path or path_of(code)))


def is_parent_facing(path: str) -> bool:
    return any(fnmatch(path, pattern) for pattern in PARENT_FACING) and not any(
        fnmatch(path, pattern) for pattern in STAFF_ONLY
    )


def parent_facing(entry: polib.POEntry) -> bool:
    return any(is_parent_facing(path) for path, _line in entry.occurrences)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def problems(code: str, path: Path | None = None) -> list[str]:
    """Everything wrong with one language's parent-facing messages, one line each (``path``: another
    copy of its catalogue to read)."""
    found = []
    for entry in catalogue(code, path):
        if entry.obsolete or not parent_facing(entry):
            continue
        where = entry.occurrences[0][0] if entry.occurrences else "?"
        if "fuzzy" in entry.flags:
            found.append(f"{code}: fuzzy ({where}): {entry.msgid!r}")
            continue
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not all(text.strip() for text in translations):
            found.append(f"{code}: not translated ({where}): {entry.msgid!r}")
            continue
        originals = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
        wanted = placeholders(originals[-1])
        for text in translations:
            if placeholders(text) != wanted and not (
                entry.msgid_plural and placeholders(text) == placeholders(originals[0])
            ):
                found.append(
                    f"{code}: placeholders {placeholders(text)} instead of {wanted} ({where}): {entry.msgid!r}"
                )
                break
    return found


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "todo":
        for entry in catalogue(argv[2]):
            if (
                parent_facing(entry)
                and not entry.obsolete
                and (not entry.translated() or "fuzzy" in entry.flags)
            ):
                print(entry.msgid if not entry.msgid_plural else f"{entry.msgid} | {entry.msgid_plural}")
        return 0
    if len(argv) == 2 and argv[1] == "check":
        found = [line for code in languages() for line in problems(code)]
        print("\n".join(found) or "Every parent-facing message is translated, with its placeholders.")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
