"""Every parent in their own language: for each language the site offers, an invitee who reads it gets the
invitation email, the reply page, the thank-you page and a letter in it, with no English sentence left
(names and addresses aside), lang and dir set; the language switch; the CSV's language column; the letter's
words per language and bilingual letters."""

import html
import io
import re
import shutil
import subprocess
from datetime import timedelta

import pypdf
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from core import outbox
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import Channel
from invitations.models import MAX_LETTER_CHARACTERS, Invitee, LetterWording
from invitations.services import letters, wording
from invitations.services.csv_import import language_from
from invitations.services.emails import issue_reply_link
from invitations.services.schedule import sync_schedule
from tests.catalogues import translations
from tests.factories import InvitationFactory

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
RTL = {code for code in LANGUAGES if translation.get_language_info(code)["bidi"]}
TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    return " ".join(html.unescape(TAG.sub(" ", text)).split())


def english_left(text: str, code: str) -> list[str]:
    """The English sentences of parent-facing messages (three words or more between placeholders) found
    in ``text``: none should be, once it is written in ``code``."""
    seen = plain(text)
    found = []
    for entry in translations.catalogue(code):
        if not translations.parent_facing(entry):
            continue
        translated = " ".join([entry.msgstr, *entry.msgstr_plural.values()])
        for source in filter(None, [entry.msgid, entry.msgid_plural]):
            for fragment in translations.PLACEHOLDER.split(source):
                fragment = " ".join(fragment.split()).strip(" .,:;")
                if len(fragment.split()) >= 3 and fragment not in translated and fragment in seen:
                    found.append(fragment)
    return sorted(set(found))


@pytest.fixture
def programme(world):
    programme = world.programme
    first = programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=10)  # the invitations are due now
    events_services.save_session(session=first)
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    return programme


def reader(programme, world, code: str, channel=Channel.EMAIL):
    return InvitationFactory(
        programme=programme,
        invitee__name="Amira Khan",
        invitee__email="amira@example.org" if channel == Channel.EMAIL else "",
        invitee__channel=channel,
        invitee__language=code,
        invitee__organisation=world.school,
    )


def token_of(invitation) -> str:
    reply_url, _ = issue_reply_link(invitation=invitation)
    return reply_url.rstrip("/").rsplit("/", 1)[1]


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_invitation_email_is_in_their_language(programme, world, smtp_sink, code):
    reader(programme, world, code)
    sync_schedule(programme=programme)

    assert outbox.dispatch_due().sent == 1

    [email] = smtp_sink.to("amira@example.org")
    text = email.get_body(("plain",)).get_content()
    body = email.get_body(("html",)).get_content()
    assert english_left(email["Subject"] + " " + text, code) == []
    assert english_left(body, code) == []
    assert f'lang="{code}"' in body
    assert ('dir="rtl"' in body) == (code in RTL)


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_reply_page_and_the_thank_you_page_are_in_their_language(client, programme, world, code):
    invitation = reader(programme, world, code)
    token = token_of(invitation)

    page = client.get(reverse("invitations:reply", args=[token]))

    content = page.content.decode()
    assert f'<html lang="{code}" dir="{"rtl" if code in RTL else "ltr"}">' in content
    assert english_left(content, code) == []
    assert page["Content-Language"] == code
    answers = {f"session_{s.pk}": "yes" for s in programme.sessions.active()}
    thanks = client.post(reverse("invitations:reply", args=[token]), answers, follow=True).content.decode()
    assert f'lang="{code}"' in thanks
    assert english_left(thanks, code) == []


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_letter_is_in_their_language(programme, world, code):
    invitation = reader(programme, world, code, channel=Channel.LETTER)

    page = letters.render_letters_html(programme=programme, school=world.school, invitations=[invitation])

    assert f'lang="{code}" dir="{"rtl" if code in RTL else "ltr"}"' in page
    body = page[page.index("<body>") :]
    assert english_left(body, code) == []


def test_staff_pages_stay_in_english_whatever_the_browser_asks(client, world):
    client.force_login(world.user("facilitator"))

    page = client.get(reverse("events:dashboard"), HTTP_ACCEPT_LANGUAGE="pl")

    assert '<html lang="en-gb" dir="ltr">' in page.content.decode()


def test_a_person_with_a_language_we_do_not_print_reads_english(client, programme, world):
    invitation = reader(programme, world, "ti")  # Tigrinya: recorded for the interpreter

    page = client.get(reverse("invitations:reply", args=[token_of(invitation)]), HTTP_ACCEPT_LANGUAGE="pl")

    assert '<html lang="en-gb"' in page.content.decode()


# The language switch ---------------------------------------------------------------------------------


def test_the_switch_changes_the_language_keeps_what_was_typed_and_is_remembered(
    client, programme, world, smtp_sink
):
    invitation = reader(programme, world, "en")
    token = token_of(invitation)
    first = programme.sessions.get(order=1)
    url = reverse("invitations:reply", args=[token])
    assert "Polski" in client.get(url).content.decode()

    page = client.post(
        url, {f"session_{first.pk}": "yes", "food_needs": "No nuts, please", "switch_language": "pl"}
    )

    content = page.content.decode()
    assert '<html lang="pl"' in content
    assert "No nuts, please" in content
    assert 'value="yes" checked' in content
    assert Invitee.objects.get(pk=invitation.invitee_id).language == "pl"
    assert page.cookies[settings.LANGUAGE_COOKIE_NAME].value == "pl"
    assert not invitation.__class__.objects.filter(pk=invitation.pk, reply__isnull=False).exists()
    sync_schedule(programme=programme)
    outbox.dispatch_due()
    [email] = smtp_sink.to("amira@example.org")
    assert english_left(email.get_body(("plain",)).get_content(), "pl") == []


@pytest.mark.parametrize("asked", ["xx", "", "../../etc", "pl" * 40])
def test_a_switch_to_a_language_we_do_not_offer_is_english_and_no_error(client, programme, world, asked):
    invitation = reader(programme, world, "en")

    page = client.post(reverse("invitations:reply", args=[token_of(invitation)]), {"switch_language": asked})

    assert page.status_code == 200
    assert '<html lang="en-gb"' in page.content.decode()
    assert Invitee.objects.get(pk=invitation.invitee_id).language == "en"


@pytest.mark.parametrize("cookie", ["xx", "pl\x00", "<script>", "ur"])
def test_a_hand_edited_cookie_on_a_page_with_no_person_is_english_or_a_language_we_offer(db, client, cookie):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie

    page = client.get("/r/not-a-real-token/")

    assert page.status_code == 404
    expected = "ur" if cookie == "ur" else "en-gb"
    assert page["Content-Language"] == expected


# The CSV's language column ---------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["Polish", "polski", "PL", "pl-PL", "pl_PL", " Polski "])
def test_a_spreadsheet_may_write_polish_in_many_ways(written):
    assert language_from(written) == "pl"


def test_an_unknown_language_is_refused_beside_its_row_naming_those_offered(client, world):
    client.force_login(world.user("facilitator"))
    csv = "name,category,email,language\nAmira Khan,parent,amira@example.org,xx\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = client.post(
        reverse("invitations:import", args=[world.programme.pk]),
        {"file": SimpleUploadedFile("list.csv", csv.encode(), content_type="text/csv")},
    ).content.decode()

    assert "Unknown language “xx”" in page
    assert "Polish" in page and "Somali" in page


# The letter's words in each language, and bilingual letters ------------------------------------------


def test_each_language_has_our_words_until_its_own_are_saved_and_english_changes_are_flagged(world):
    programme, user = world.programme, world.user("facilitator")
    ours = wording.letter_text(programme=programme, language="pl")
    assert ours != wording.letter_text(programme=programme, language="en-gb")

    wording.save_wording(programme=programme, text="Zapraszamy serdecznie.", user=user, language="pl")
    assert wording.letter_text(programme=programme, language="pl") == "Zapraszamy serdecznie."
    wording.save_wording(programme=programme, text="Please come along.", user=user)

    assert LetterWording.objects.get(programme=programme, language="pl").english_changed
    page_languages = {entry.code: entry for entry in wording.languages_of_letters(programme=programme)}
    assert page_languages["pl"].english_changed and not page_languages["en-gb"].english_changed
    wording.save_wording(programme=programme, text="Zapraszamy!", user=user, language="pl")
    assert not LetterWording.objects.get(programme=programme, language="pl").english_changed


def test_letter_words_of_50_kb_in_any_language_are_refused_beside_the_field(client, world):
    client.force_login(world.user("facilitator"))
    url = reverse("invitations:letter_wording", args=[world.programme.pk])

    page = client.post(url, {"language": "ur", "text": "خوش آمدید " * 5000})

    assert page.status_code == 200
    assert "The letter is too long" in page.content.decode()
    assert len("خوش آمدید " * 5000) > MAX_LETTER_CHARACTERS
    assert not LetterWording.objects.exists()


def test_the_words_page_writes_a_language_right_to_left_and_saves_it(client, world):
    client.force_login(world.user("facilitator"))
    url = reverse("invitations:letter_wording", args=[world.programme.pk])

    page = client.get(url, {"language": "ar"}).content.decode()
    assert 'lang="ar" dir="rtl"' in page
    client.post(url, {"language": "ar", "text": "أهلاً بكم"})

    assert LetterWording.objects.get(language="ar").text == "أهلاً بكم"


def pdf_pages(html_text: str) -> list[str]:
    pdf = letters.render_pdf(html_text)
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def test_a_bilingual_letter_is_two_pages_home_language_first_with_the_slip(programme, world):
    polish = reader(programme, world, "pl", channel=Channel.LETTER)
    english = InvitationFactory(
        programme=programme, invitee__name="Ben Jones", invitee__channel=Channel.LETTER, invitee__email=""
    )

    pages = pdf_pages(
        letters.render_letters_html(
            programme=programme, school=world.school, invitations=[polish, english], bilingual=True
        )
    )

    assert len(pages) == 4
    code = letters.grouped_code(type(polish).objects.get(pk=polish.pk).reply_code)
    assert code.replace(" ", "") in pages[0].replace(" ", "")  # the slip, on the Polish page
    assert code.replace(" ", "") not in pages[1].replace(" ", "")
    assert "Dear" in pages[1] and "Dear" not in pages[0]
    assert "Ben Jones" in pages[2] and pages[3].strip() == ""


def ink_columns(png: bytes, row_band: tuple[float, float]) -> tuple[float, float]:
    """The leftmost and rightmost dark pixel, as fractions of the width, in a band of rows."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    top, bottom = int(row_band[0] * height), int(row_band[1] * height)
    xs = [x for y in range(top, bottom, 2) for x in range(0, width, 2) if image.getpixel((x, y)) < 128]
    assert xs, "no ink in that band: the page is blank there"
    return min(xs) / width, max(xs) / width


@pytest.mark.parametrize("code", sorted(RTL))
def test_urdu_and_arabic_letters_are_right_to_left_on_the_page(programme, world, code, tmp_path):
    invitation = reader(programme, world, code, channel=Channel.LETTER)
    pdf = letters.render_pdf(
        letters.render_letters_html(programme=programme, school=world.school, invitations=[invitation])
    )
    (tmp_path / "letter.pdf").write_bytes(pdf)
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm
    subprocess.run(
        [pdftoppm, "-r", "50", "-png", "-singlefile", str(tmp_path / "letter.pdf"), str(tmp_path / "p")],
        check=True,
    )
    png = (tmp_path / "p.png").read_bytes()
    # The greeting is a short line under the heading: right to left, it ends at the right margin and
    # leaves the left half of the page empty.
    words = subprocess.run(
        ["pdftotext", "-bbox", str(tmp_path / "letter.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r'<page width="([\d.]+)".*?<word xMin="([\d.]+)"[^>]*>Amira', words, re.S)
    assert match, words[:2000]
    page_width, name_x = float(match.group(1)), float(match.group(2))
    assert name_x > page_width / 2, "the name in the greeting should sit on the right"
    left, right = ink_columns(png, (0.02, 0.98))
    assert right > 0.85 and left < 0.15  # ink across the page: not blank


# Text in one direction inside text in the other --------------------------------------------------------


def test_a_latin_name_and_a_phone_number_keep_their_direction_inside_urdu(client, programme, world):
    world.school.parent_contact_name = "Sam Okafor"
    world.school.parent_contact_phone = "0161 496 0000"
    world.school.save()
    invitation = reader(programme, world, "ur")

    page = client.get(reverse("invitations:reply", args=[token_of(invitation)])).content.decode()

    assert "<bdi>Amira</bdi>" in page  # the greeting: a Latin name set apart inside Urdu
    # The key question, as the facilitator typed it (here in English), reads in its own direction.
    assert f'dir="auto">{programme.key_question}</p>' in page
    assert 'dir="ltr">0161 496 0000</a>' in page  # digits in groups read left to right
    html_letter = letters.render_letters_html(
        programme=programme, school=world.school, invitations=[invitation]
    )
    assert '<span class="nowrap" dir="ltr">0161 496 0000</span>' in html_letter
    assert re.search(r'<bdi class="code" dir="ltr">[A-Z0-9]{3} [A-Z0-9]{3}</bdi>', html_letter)


def test_times_inside_arabic_text_are_24_hour_digits(programme, world):
    invitation = reader(programme, world, "ar", channel=Channel.LETTER)

    html_letter = letters.render_letters_html(
        programme=programme, school=world.school, invitations=[invitation]
    )

    assert "09:30" in html_letter and "9:30am" not in html_letter


def test_an_interpreter_language_typed_in_the_parents_own_script_is_kept(client, programme, world):
    invitation = reader(programme, world, "ar")
    answers = {f"session_{s.pk}": "yes" for s in programme.sessions.active()}

    client.post(
        reverse("invitations:reply", args=[token_of(invitation)]),
        {**answers, "interpreter": "on", "interpreter_language": "العربية السودانية", "needs_agreed": "yes"},
    )

    invitation.refresh_from_db()
    assert invitation.reply.interpreter_language == "العربية السودانية"


def test_the_calendar_file_in_an_email_speaks_their_language(programme, world, smtp_sink):
    reader(programme, world, "pl")
    sync_schedule(programme=programme)
    outbox.dispatch_due()

    [email] = smtp_sink.to("amira@example.org")
    [ics] = [part for part in email.iter_attachments() if part.get_content_type() == "text/calendar"]
    calendar = ics.get_content()
    calendar = calendar.decode() if isinstance(calendar, bytes) else calendar
    with translation.override("pl"):
        kind = str(programme.sessions.get(order=1).get_kind_display())
    assert kind in calendar.replace("\r\n ", "")
    assert "All-day workshop" not in calendar
