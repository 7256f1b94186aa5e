"""Printed letters: the PDF (a page per person, their name, code and QR), every script, safe rendering,
generation in a Celery task (run inline here), and the pages that make and download them."""

import io
import re
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pypdf
import pytest
import zxingcpp
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core import jobs, queue
from invitations.enums import LetterState, MessageKind
from invitations.models import MAX_LETTER_CHARACTERS, LetterBatch, LetterWording
from invitations.services import letters
from invitations.tasks import render_letter_chunk, render_letters
from tests.factories import InvitationFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(settings):
    # The task runs inline; a real worker is covered by the integration tests.
    settings.CELERY_TASK_ALWAYS_EAGER = True


def add_letter_people(world, names):
    return [
        InvitationFactory(
            programme=world.programme,
            invitee__name=name,
            invitee__organisation=world.school,
            invitee__channel="letter",
            invitee__email="",
        )
        for name in names
    ]


def pdf_html(world, invitations, **kwargs) -> bytes:
    html = letters.render_letters_html(
        programme=world.programme, school=world.school, invitations=invitations, **kwargs
    )
    return letters.render_pdf(html)


def page_text(pdf: bytes, page: int) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def page_image(pdf: bytes, page: int) -> Image.Image:
    result = subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return Image.open(io.BytesIO(result.stdout)).convert("L")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_reply_code_is_six_unambiguous_characters_and_kept(world):
    (invitation,) = add_letter_people(world, ["Amina Yusuf"])
    code = letters.ensure_reply_code(invitation)
    assert re.fullmatch(f"[{letters.CODE_ALPHABET}]{{6}}", code)
    assert not set(code) & set("0O1IL2Z5S8B")
    invitation.refresh_from_db()
    assert invitation.reply_code == code
    assert letters.ensure_reply_code(invitation) == code
    assert letters.grouped_code("ACD479") == "ACD 479"


def test_reply_code_collision_is_retried(world, monkeypatch):
    first, second = add_letter_people(world, ["Amina Yusuf", "Ben Carter"])
    codes = iter(["ACDEFH", "ACDEFH", "KMNPRT"])
    monkeypatch.setattr(letters, "new_reply_code", lambda: next(codes))
    assert letters.ensure_reply_code(first) == "ACDEFH"
    assert letters.ensure_reply_code(second) == "KMNPRT"


def test_letter_invitations_only_letters_of_that_school_not_opted_out(world):
    wanted, opted_out = add_letter_people(world, ["Amina Yusuf", "Ben Carter"])
    opted_out.opted_out_at = opted_out.created_at
    opted_out.save()
    InvitationFactory(programme=world.programme, invitee__organisation=world.school)  # by email
    InvitationFactory(
        programme=world.programme, invitee__organisation=world.other_school, invitee__channel="letter"
    )
    found = list(letters.letter_invitations(programme=world.programme, school=world.school))
    assert found == [wanted]


def test_pdf_for_thirty_invitees_has_a_page_each_with_name_and_code(world):
    names = [f"Parent{n:02d} Example" for n in range(1, 31)]
    invitations = add_letter_people(world, names)
    pdf = pdf_html(world, invitations)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 30
    for number, invitation in enumerate(invitations, start=1):
        invitation.refresh_from_db()
        text = _flat(page_text(pdf, number))
        assert invitation.invitee.name in text
        assert letters.grouped_code(invitation.reply_code) in text
        assert "Millbrook Primary" in text


def test_qr_on_each_page_opens_that_persons_reply_page(world, client):
    invitations = add_letter_people(world, ["Amina Yusuf", "Ben Carter", "Chloe Davies"])
    pdf = pdf_html(world, invitations)
    for number, invitation in enumerate(invitations, start=1):
        # Only QR codes: with every format on, zxing can now and then find a valid Codabar pattern inside
        # a QR code of some (random) contents (zxing-cpp #391).
        results = zxingcpp.read_barcodes(page_image(pdf, number), formats=zxingcpp.BarcodeFormat.QRCode)
        found = [(result.format.name, result.text) for result in results]
        assert len(results) == 1, f"page {number}: {found}"
        url = results[0].text
        assert url.startswith("http") and "/r/" in url
        response = client.get(urlsplit(url).path)
        assert response.status_code == 200
        assert response.context["opened"].invitation == invitation


def test_page_is_not_blank(world):
    invitations = add_letter_people(world, ["Amina Yusuf"])
    image = page_image(pdf_html(world, invitations), 1)
    dark = sum(image.histogram()[:128])
    assert dark > 0.01 * image.width * image.height


def test_urdu_and_polish_names_come_out_unchanged(world):
    invitations = add_letter_people(world, ["Zofia Wiśniewska", "عائشہ خان"])
    pdf = pdf_html(world, invitations)
    text = page_text(pdf, 1) + page_text(pdf, 2)
    assert "Zofia Wiśniewska" in text
    assert "عائشہ خان" in text


def test_words_of_the_longest_allowed_letter_render(world):
    (invitation,) = add_letter_people(world, ["Amina Yusuf"])
    words = ("We would love to see you there. " * 400)[:MAX_LETTER_CHARACTERS]
    pdf = pdf_html(world, [invitation], words=words)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 1
    assert "We would love to see you there." in page_text(pdf, 1)


class RecordingFetcher:
    """Wraps the restricted fetcher and remembers every address WeasyPrint asked for."""

    def __init__(self):
        self.fetcher = letters.url_fetcher()
        self.asked: list[str] = []
        original = self.fetcher.fetch

        def fetch(url, headers=None):
            self.asked.append(url)
            return original(url, headers)

        self.fetcher.fetch = fetch


HOSTILE = '<img src="file:///etc/passwd"><style>body{display:none}</style><b>bold</b>'


def test_html_in_words_and_name_is_escaped_and_never_fetched(world):
    (invitation,) = add_letter_people(world, [f"Amina {HOSTILE}"])
    html = letters.render_letters_html(
        programme=world.programme, school=world.school, invitations=[invitation], words=f"Hello {HOSTILE}"
    )
    recorder = RecordingFetcher()
    pdf = letters.render_pdf(html, fetcher=recorder.fetcher)
    assert not [url for url in recorder.asked if url.startswith("file:") or "passwd" in url]
    text = _flat(page_text(pdf, 1))
    assert _flat('<img src="file:///etc/passwd">') in text
    assert "<style>body{display:none}</style><b>bold</b>" in text


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/",
        "https://example.org/logo.png",
        "http://127.0.0.1:8000/media/../../../../etc/passwd",
        "http://127.0.0.1:8000/media/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "http://127.0.0.1:8000/static/../settings.py",
        "ftp://127.0.0.1/x",
    ],
)
def test_fetcher_refuses(settings, url):
    settings.SITE_URL = "http://127.0.0.1:8000"
    with pytest.raises(Exception):  # noqa: B017 - WeasyPrint only needs it to raise
        letters.url_fetcher().fetch(url)


def test_fetcher_serves_media_and_static_and_data(settings, tmp_path):
    settings.SITE_URL = "http://127.0.0.1:8000"
    (tmp_path / "media").mkdir(exist_ok=True)
    (tmp_path / "media" / "logo.png").write_bytes(b"png!")
    settings.MEDIA_ROOT = tmp_path / "media"
    fetcher = letters.url_fetcher()
    assert fetcher.fetch("http://127.0.0.1:8000/media/logo.png").read() == b"png!"
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    assert b"{" in fetcher.fetch("http://127.0.0.1:8000/static/css/site.css").read()


def test_school_logo_on_the_letter_and_a_broken_logo_is_left_out(world):
    (invitation,) = add_letter_people(world, ["Amina Yusuf"])
    world.school.logo.save("logo.png", ContentFile(b"not an image at all"))
    html = letters.render_letters_html(
        programme=world.programme, school=world.school, invitations=[invitation]
    )
    assert "data:image" not in html
    assert len(pypdf.PdfReader(io.BytesIO(letters.render_pdf(html))).pages) == 1
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "teal").save(buffer, "PNG")
    world.school.logo.save("logo.png", ContentFile(buffer.getvalue()))
    html = letters.render_letters_html(
        programme=world.programme, school=world.school, invitations=[invitation]
    )
    assert "data:image/png;base64," in html


def test_reminder_letter_names_its_session(world):
    invitations = add_letter_people(world, ["Amina Yusuf"])
    session = world.session
    pdf = pdf_html(world, invitations, kind=MessageKind.REMINDER, session=session)
    text = _flat(page_text(pdf, 1))
    assert "reminder" in text.lower()
    assert session.date.strftime("%-d") in text


def test_request_letters_makes_a_ready_pdf(world, django_capture_on_commit_callbacks):
    add_letter_people(world, ["Amina Yusuf", "Ben Carter"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        batch = letters.request_letters(
            programme=world.programme, school=world.school, user=world.user("coordinator")
        )
    assert len(callbacks) == 1
    batch.refresh_from_db()
    assert batch.state == LetterState.READY
    assert batch.pages_total == batch.pages_done == 2
    with batch.file.open("rb") as handle:
        assert len(pypdf.PdfReader(handle).pages) == 2


def test_big_batch_is_rendered_in_chunks_and_merged_in_order(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(letters, "CHUNK_PAGES", 2)
    invitations = add_letter_people(world, [f"Parent{n} Example" for n in range(1, 6)])
    with django_capture_on_commit_callbacks(execute=True):
        batch = letters.request_letters(programme=world.programme, school=world.school)
    batch.refresh_from_db()
    assert batch.state == LetterState.READY
    assert batch.pages_done == batch.pages_total == 5
    with batch.file.open("rb") as handle:
        pdf = handle.read()
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 5
    for number, invitation in enumerate(invitations, start=1):
        assert invitation.invitee.name in page_text(pdf, number)
    parts = batch.file.storage.listdir(f"letters/{world.programme.pk}/parts")[1]
    assert parts == []


def test_no_letter_invitees_clear_message_no_batch(world, client):
    InvitationFactory(programme=world.programme, invitee__organisation=world.school)  # by email
    with pytest.raises(letters.NoLetterInvitees):
        letters.request_letters(programme=world.programme, school=world.school)
    client.force_login(world.user("coordinator"))
    response = client.post(
        reverse("invitations:letters", args=[world.programme.pk]), {"school": world.school.pk}, follow=True
    )
    assert "Nobody from Millbrook Primary is reached by letter" in response.content.decode()
    assert not LetterBatch.objects.exists()


def test_same_batch_when_nothing_changed_fresh_after_words_or_list_change(world):
    add_letter_people(world, ["Amina Yusuf"])
    first = letters.request_letters(programme=world.programme, school=world.school)
    assert letters.request_letters(programme=world.programme, school=world.school) == first

    LetterWording.objects.create(programme=world.programme, text="New friendly words.")
    second = letters.request_letters(programme=world.programme, school=world.school)
    assert second != first
    assert letters.request_letters(programme=world.programme, school=world.school) == second

    add_letter_people(world, ["Ben Carter"])
    third = letters.request_letters(programme=world.programme, school=world.school)
    assert third not in (first, second)
    assert third.pages_total == 2


def test_failed_render_is_marked_failed_with_a_plain_message(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    add_letter_people(world, ["Amina Yusuf"])

    def broken(html, **kwargs):
        raise RuntimeError("cairo exploded")

    monkeypatch.setattr(letters, "render_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        batch = letters.request_letters(programme=world.programme, school=world.school)
    batch.refresh_from_db()
    assert batch.state == LetterState.FAILED
    assert "cairo" not in batch.error and batch.error


def test_coordinator_makes_and_downloads_their_schools_letters(
    world, client, django_capture_on_commit_callbacks
):
    add_letter_people(world, ["Amina Yusuf", "Ben Carter"])
    client.force_login(world.user("coordinator"))
    page = client.get(reverse("invitations:letters", args=[world.programme.pk]))
    assert "Millbrook Primary" in page.content.decode()
    assert "St Anne" not in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("invitations:letters", args=[world.programme.pk]), {"school": world.school.pk}
        )
    batch = LetterBatch.objects.get()
    assert response.url == reverse("invitations:letter_batch", args=[world.programme.pk, batch.pk])
    status = client.get(response.url)
    assert 'id="download-link"' in status.content.decode()
    download = client.get(reverse("invitations:letter_download", args=[world.programme.pk, batch.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert len(pypdf.PdfReader(io.BytesIO(b"".join(download.streaming_content))).pages) == 2


def test_batch_page_checks_for_progress_while_waiting_without_reloading(world, client):
    batch = LetterBatch.objects.create(programme=world.programme, school=world.school, fingerprint="x")
    client.force_login(world.user("coordinator"))
    content = client.get(reverse("invitations:letter_batch", args=[world.programme.pk, batch.pk])).content
    # A timed reload would fail WCAG 2.2.1 (axe: meta-refresh); the status region updates itself instead.
    assert b"http-equiv" not in content
    assert b'data-waiting="true"' in content and b"js/progress.js" in content
    assert b"Check again" in content
    assert b"download-link" not in content


def test_coordinator_cannot_post_or_open_another_schools_letters(world, client):
    world.programme.schools.add(world.other_school)
    add_letter_people(world, ["Amina Yusuf"])
    client.force_login(world.user("other_coordinator"))
    url = reverse("invitations:letters", args=[world.programme.pk])
    assert client.post(url, {"school": world.school.pk}).status_code == 403
    batch = letters.request_letters(programme=world.programme, school=world.school)
    for name in ("invitations:letter_batch", "invitations:letter_download"):
        assert client.get(reverse(name, args=[world.programme.pk, batch.pk])).status_code == 403
    invitation = batch.programme.invitations.get()
    one = reverse("invitations:letter_one", args=[world.programme.pk, invitation.pk])
    assert client.get(one).status_code == 403


def test_one_persons_letter_is_a_single_page(world, client):
    invitation, _other = add_letter_people(world, ["Amina Yusuf", "Ben Carter"])
    client.force_login(world.user("facilitator"))
    response = client.get(reverse("invitations:letter_one", args=[world.programme.pk, invitation.pk]))
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1
    assert "Amina Yusuf" in page_text(pdf, 1)


def test_letters_page_query_count_does_not_grow_with_the_list(world, client, django_assert_max_num_queries):
    client.force_login(world.user("facilitator"))
    url = reverse("invitations:letters", args=[world.programme.pk])
    add_letter_people(world, ["Amina Yusuf"])
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add_letter_people(world, [f"Parent{n} Example" for n in range(20)])
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200


# The job's lifecycle (core.jobs): stuck batches, two clicks at once, late renderers ------------------


def _left_rendering(batch, *, claimed_minutes_ago: int) -> None:
    """As a worker that claimed the batch and was killed leaves it: rendering, claimed long ago."""
    LetterBatch.objects.filter(pk=batch.pk).update(
        state=LetterState.RENDERING, claimed_at=timezone.now() - timedelta(minutes=claimed_minutes_ago)
    )


def test_a_batch_left_rendering_by_a_killed_worker_is_made_again_after_the_stuck_timeout(
    world, client, settings, django_capture_on_commit_callbacks
):
    settings.PDF_JOB_STUCK_AFTER_SECONDS = 600
    add_letter_people(world, ["Amina Yusuf", "Ben Carter"])
    with django_capture_on_commit_callbacks(execute=False):  # the worker never gets to it
        stuck = letters.request_letters(programme=world.programme, school=world.school)
    _left_rendering(stuck, claimed_minutes_ago=9)

    # Before the timeout it is still being made, as far as anyone can tell: handed back as it is.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert letters.request_letters(programme=world.programme, school=world.school) == stuck
    assert callbacks == []
    stuck.refresh_from_db()
    assert stuck.state == LetterState.RENDERING and not stuck.file

    # After it, the next click gives it up and makes the letters again.
    _left_rendering(stuck, claimed_minutes_ago=11)
    client.force_login(world.user("coordinator"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("invitations:letters", args=[world.programme.pk]), {"school": world.school.pk}
        )
    fresh = LetterBatch.objects.exclude(pk=stuck.pk).get()
    assert response.url == reverse("invitations:letter_batch", args=[world.programme.pk, fresh.pk])
    assert len(callbacks) == 1
    fresh.refresh_from_db()
    assert fresh.state == LetterState.READY
    with fresh.file.open("rb") as handle:
        assert len(pypdf.PdfReader(handle).pages) == 2
    stuck.refresh_from_db()
    assert stuck.state == LetterState.FAILED and "too long" in stuck.error and not stuck.file
    assert letters.request_letters(programme=world.programme, school=world.school) == fresh


def test_a_renderer_finishing_after_its_batch_was_given_up_stores_nothing(
    world, settings, django_capture_on_commit_callbacks
):
    settings.PDF_JOB_STUCK_AFTER_SECONDS = 600
    add_letter_people(world, ["Amina Yusuf"])
    with django_capture_on_commit_callbacks(execute=False):
        slow = letters.request_letters(programme=world.programme, school=world.school)
    assert jobs.claim(job=slow)  # its renderer is still at it, only very slowly
    _left_rendering(slow, claimed_minutes_ago=11)
    slow.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        fresh = letters.request_letters(programme=world.programme, school=world.school)
    fresh.refresh_from_db()
    assert fresh.state == LetterState.READY

    assert letters._store(batch=slow, pdf=b"%PDF-1.7\n%%EOF\n", pages=1) is False

    slow.refresh_from_db()
    assert slow.state == LetterState.FAILED and not slow.file
    assert [path.name for path in Path(settings.MEDIA_ROOT).rglob("*.pdf")] == [Path(fresh.file.name).name]


def test_chunks_of_a_big_batch_given_up_as_stuck_do_nothing_when_they_come(
    world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PDF_JOB_STUCK_AFTER_SECONDS = 600
    monkeypatch.setattr(letters, "CHUNK_PAGES", 2)
    add_letter_people(world, [f"Parent{n} Example" for n in range(1, 6)])
    with django_capture_on_commit_callbacks(execute=False):
        batch = letters.request_letters(programme=world.programme, school=world.school)
    held: list[tuple] = []  # the chunk tasks, held back as if the worker were far behind
    monkeypatch.setattr(letters, "enqueue", lambda name, *args: held.append((name, *args)))
    render_letters(batch.pk)
    assert [name for name, *_args in held] == [letters.CHUNK_TASK] * 3
    _left_rendering(batch, claimed_minutes_ago=11)
    with django_capture_on_commit_callbacks(execute=False):
        fresh = letters.request_letters(programme=world.programme, school=world.school)
    assert fresh != batch

    for _name, *args in held:
        assert render_letter_chunk(*args) == LetterState.FAILED

    batch.refresh_from_db()
    assert batch.state == LetterState.FAILED and not batch.file and batch.pages_done == 0
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.pdf"))


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_make_one_batch(world, monkeypatch):
    add_letter_people(world, ["Amina Yusuf", "Ben Carter"])
    enqueued: list[tuple] = []
    monkeypatch.setattr(queue, "enqueue", lambda name, *args: enqueued.append((name, *args)))
    create = LetterBatch._default_manager.create

    def slow_create(**fields):  # widen the gap between looking for a batch and making one
        time.sleep(0.3)
        return create(**fields)

    monkeypatch.setattr(LetterBatch._default_manager, "create", slow_create)
    start = threading.Barrier(2)
    found, errors = [], []

    def click():
        try:
            start.wait()
            found.append(letters.request_letters(programme=world.programme, school=world.school).pk)
        except Exception as error:  # noqa: BLE001 -- collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    batch = LetterBatch.objects.get()
    assert found == [batch.pk, batch.pk]
    assert enqueued == [(letters.RENDER_TASK, batch.pk)]


# The slip asks what the reply page asks, and the letter still fits its page ---------------------------


def batch_pdf(world, client, django_capture_on_commit_callbacks) -> bytes:
    """The school's letters as the coordinator makes and downloads them."""
    client.force_login(world.user("coordinator"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("invitations:letters", args=[world.programme.pk]), {"school": world.school.pk})
    batch = LetterBatch.objects.get()
    download = client.get(reverse("invitations:letter_download", args=[world.programme.pk, batch.pk]))
    return b"".join(download.streaming_content)


def test_the_slip_asks_every_question_of_the_reply_page_in_its_words(
    world, client, django_capture_on_commit_callbacks
):
    from invitations.forms import DETAIL_FIELDS, ReplyForm

    add_letter_people(world, ["Amina Yusuf"])

    pdf = batch_pdf(world, client, django_capture_on_commit_callbacks)

    text = _flat(page_text(pdf, 1))
    slip = text[text.index("Cut here") :]
    for name in DETAIL_FIELDS:  # crèche and ages, food, access, interpreter and language, transport, bringing
        assert _flat(str(ReplyForm.base_fields[name].label)) in slip, name
    assert "Is there anything that would help you come?" in slip


def test_without_a_creche_the_slip_does_not_offer_one(world, client, django_capture_on_commit_callbacks):
    world.programme.sessions.update(childcare=False)
    add_letter_people(world, ["Amina Yusuf"])

    text = _flat(page_text(batch_pdf(world, client, django_capture_on_commit_callbacks), 1))

    assert "crèche" not in text
    assert "Is there anything we should know about food?" in text


def test_a_one_person_batch_with_the_default_words_is_one_page(
    world, client, django_capture_on_commit_callbacks
):
    add_letter_people(world, ["Amina Yusuf"])

    pdf = batch_pdf(world, client, django_capture_on_commit_callbacks)

    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1
    text = _flat(page_text(pdf, 1))
    assert "With warm wishes" in text and "How many people are you bringing with you?" in text


def test_a_long_school_name_a_long_contact_and_every_session_still_fit_one_page(
    world, client, django_capture_on_commit_callbacks
):
    school = world.school
    school.name = (
        "The Federation of St Mary and St John's Church of England Voluntary Aided Primary School and "
        "Nursery, Millbrook"
    )
    school.parent_contact_name = "Mrs Shabana Rahman-Whitfield, our family support worker"
    school.parent_contact_phone = "+44 161 496 0000"
    school.parent_contact_email = "family.support@stmaryandstjohns-federation.example.sch.uk"
    school.save()
    last = world.programme.sessions.order_by("-date").first()
    for weeks in (2, 4):  # two half-days added after the standard four
        SessionFactory(
            programme=world.programme,
            order=4 + weeks // 2,
            venue=world.venue,
            date=last.date + timedelta(weeks=weeks),
        )
    add_letter_people(world, ["Amina Yusuf-Okonkwo", "Ben Carter"])

    pdf = batch_pdf(world, client, django_capture_on_commit_callbacks)

    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 2  # one page each
    for page in (1, 2):
        text = _flat(page_text(pdf, page))
        assert "Federation of St Mary" in text and "Mrs Shabana Rahman-Whitfield" in text
        assert text.count("9:30am") == 2 * 6  # every session in the letter and on the slip
        assert "How many people are you bringing with you?" in text
