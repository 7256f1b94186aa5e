"""A school coordinator makes their school's letters, waits for them (the page refreshes itself) and
downloads the PDF; axe on the letters page and the batch page. The task runs inline here."""

import io

import pypdf
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import InvitationFactory

from .conftest import assert_accessible, sign_in


@pytest.fixture(autouse=True)
def _eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def test_coordinator_makes_and_downloads_their_schools_letters(page, live_server, world):
    for name in ("Amina Yusuf", "Zofia Wiśniewska", "عائشہ خان"):
        InvitationFactory(
            programme=world.programme,
            invitee__name=name,
            invitee__email="",
            invitee__channel="letter",
            invitee__organisation=world.school,
        )
    sign_in(page, live_server, world.user("coordinator"))
    page.goto(live_server.url + reverse("invitations:list", args=[world.programme.pk]))
    page.get_by_role("link", name="Print letters").click()

    expect(page.get_by_role("heading", name="Letters to print")).to_be_visible()
    expect(page.get_by_role("heading", name="Millbrook Primary")).to_be_visible()
    expect(page.get_by_text("3 letters to print.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Make the letters").click()
    expect(page.get_by_role("heading", name="Letters for Millbrook Primary")).to_be_visible()
    link = page.get_by_role("link", name="Download the letters (PDF)")
    expect(link).to_be_visible(timeout=30_000)
    assert_accessible(page)

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        assert len(pypdf.PdfReader(io.BytesIO(handle.read())).pages) == 3


def test_waiting_page_is_accessible_and_shows_the_letters_when_ready(page, live_server, world):
    from django.core.files.base import ContentFile

    from invitations.enums import LetterState
    from invitations.models import LetterBatch

    batch = LetterBatch.objects.create(
        programme=world.programme, school=world.school, fingerprint="x", pages_total=1
    )
    sign_in(page, live_server, world.user("coordinator"))
    page.goto(live_server.url + reverse("invitations:letter_batch", args=[world.programme.pk, batch.pk]))
    expect(page.get_by_text("The letters are being made.")).to_be_visible()
    assert_accessible(page)  # no timed reload (axe: meta-refresh)
    page.evaluate("window.stillTheSamePage = true")

    batch.file.save("letters.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    batch.state = LetterState.READY
    batch.save()

    # The status region fetches the page again and swaps in the download, without a reload.
    expect(page.get_by_role("link", name="Download the letters (PDF)")).to_be_visible(timeout=10_000)
    assert page.evaluate("window.stillTheSamePage === true")
