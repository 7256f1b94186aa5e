"""The facilitator opens a session's record, makes its PDF and downloads it; the status page shows the
PDF once it is made without being reloaded; axe on the record page and the status page. The task runs
inline here."""

import io

import pypdf
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from records import services
from records.models import EventRecord
from tests.records.helpers import add_people, add_picture, add_words, pdf_text

from .conftest import assert_accessible, sign_in


@pytest.fixture(autouse=True)
def _eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def test_facilitator_makes_and_downloads_the_session_record(page, live_server, world):
    add_picture(
        world.session,
        title="Our park",
        description="The park by the school, with swings.",
        themes=("Play space",),
        artist=world.user("artist"),
    )
    add_picture(world.session, title="Not yet described")
    add_people(world.session, {"parent": 4, "school_staff": 3, "group_worker": 3})
    add_words(world.session, ["Hopeful", "Wdzięczność", "شکریہ"])
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("events:session_detail", args=[world.session.pk]))
    page.get_by_role("link", name="The record of this session").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("The record of the all-day workshop")
    expect(page.get_by_text("The park by the school, with swings.")).to_be_visible()
    expect(page.get_by_text("Not described yet.", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Make the PDF").click()
    expect(page.get_by_role("heading", name="The record as a PDF")).to_be_visible()
    link = page.get_by_role("link", name="Download the record (PDF)")
    expect(link).to_be_visible(timeout=30_000)
    assert_accessible(page)

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert (
        download.suggested_filename
        == f"better-together-millbrook-all-day-{world.session.date.isoformat()}.pdf"
    )
    with open(download.path(), "rb") as handle:
        pdf = handle.read()
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 3
    assert "The park by the school, with swings." in pdf_text(pdf)


def test_status_page_shows_the_pdf_when_it_is_made_without_reloading(page, live_server, world):
    record = EventRecord.objects.create(programme=world.programme, session=world.session, fingerprint="x")
    sign_in(page, live_server, world.user("coordinator"))
    page.goto(live_server.url + reverse("records:record_status", args=[record.pk]))
    expect(page.get_by_role("link", name="Check again")).to_be_visible()
    assert_accessible(page)
    page.evaluate("window.__notReloaded = true")

    services.render_record(record=record)

    expect(page.get_by_role("link", name="Download the record (PDF)")).to_be_visible(timeout=10_000)
    assert page.evaluate("window.__notReloaded") is True
    assert_accessible(page)
