"""The catalogues: every language the site offers (settings.LANGUAGES) has one, every parent-facing message
in it is translated and not fuzzy, keeps its placeholders, and msgfmt accepts it. A language added to
settings is picked up here with no change to the tests."""

import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings

from tests.catalogues import translations

ROOT = Path(__file__).resolve().parent.parent

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_language_offered_has_a_catalogue(code):
    assert translations.path_of(code).exists(), f"settings.LANGUAGES offers {code} but it has no catalogue"


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_parent_facing_message_is_translated_with_its_placeholders(code):
    assert translations.problems(code) == []


@pytest.mark.parametrize("code", LANGUAGES)
def test_msgfmt_accepts_the_catalogue(code, tmp_path):
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt (Debian's gettext) is needed to compile the catalogues"
    result = subprocess.run(
        [msgfmt, "--check", "-o", str(tmp_path / "django.mo"), str(translations.path_of(code))],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_catalogue_says_who_drafted_it_and_that_it_awaits_a_check(code):
    header = translations.catalogue(code).metadata
    assert "native speaker" in header.get("Last-Translator", "")
    assert header.get("Language") == code


def test_the_catalogues_compiled_are_the_ones_the_site_reads():
    """The .mo files exist (scripts/compile_translations.sh ran) and match the .po files."""
    for code in LANGUAGES:
        po = translations.path_of(code)
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} is missing: run scripts/compile_translations.sh"
        assert mo.stat().st_mtime >= po.stat().st_mtime, f"{mo} is older than {po}"


def broken_copy(code: str, tmp_path: Path, change) -> Path:
    """A copy of a catalogue with one parent-facing, translated entry changed by ``change``."""
    catalogue = translations.catalogue(code)
    entry = next(
        e
        for e in catalogue
        if translations.parent_facing(e) and not e.msgid_plural and "%(" in e.msgid and e.msgstr
    )
    change(entry)
    path = tmp_path / "django.po"
    catalogue.save(str(path))
    return path, entry.msgid


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda entry: setattr(entry, "msgstr", entry.msgstr.replace("%(", "%[", 1)), "placeholders"),
        (lambda entry: setattr(entry, "msgstr", entry.msgstr.replace(")s", ")d", 1)), "placeholders"),
        (lambda entry: setattr(entry, "msgstr", ""), "not translated"),
        (lambda entry: entry.flags.append("fuzzy"), "fuzzy"),
    ],
    ids=["placeholder lost", "placeholder mistyped", "emptied", "marked fuzzy"],
)
def test_a_broken_translation_is_reported_naming_it(tmp_path, change, said):
    path, msgid = broken_copy(LANGUAGES[0], tmp_path, change)

    found = translations.problems(LANGUAGES[0], path)

    assert len(found) == 1
    assert said in found[0] and repr(msgid) in found[0]


def test_parent_facing_covers_the_pages_emails_and_letters():
    """Every email and letter template, and the reply page, are in the scope the check enforces."""
    entries = [e for e in translations.catalogue(LANGUAGES[0]) if translations.parent_facing(e)]
    places = {path for e in entries for path, _line in e.occurrences}
    for template in (ROOT / "templates" / "emails").glob("*"):
        staff_only = not translations.is_parent_facing(f"templates/emails/{template.name}")
        if "translate" in template.read_text() and not staff_only:
            assert f"templates/emails/{template.name}" in places, template
    assert "templates/invitations/reply_form.html" in places
    # A colleague's invitation is staff mail, in English; a parent's invitation is not.
    assert not translations.is_parent_facing("templates/emails/staff_invite_body.txt")
    assert translations.is_parent_facing("templates/emails/invitation_body.txt")
    assert "templates/letters/_slip.html" in places
    assert isinstance(entries[0], polib.POEntry)
