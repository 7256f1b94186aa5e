"""The record's pages: the record on screen, making its PDF (the task runs inline here), watching it and
downloading it; the panels on the session and programme pages."""

import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from records.enums import RecordState
from records.models import EventRecord

from .helpers import (
    add_action,
    add_people,
    add_picture,
    add_words,
    on_the_line_of,
    pdf_text,
    pdf_words,
    word,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def test_session_record_page_shows_the_record(client, world):
    add_picture(world.session, title="Our park", description="Swings & a slide.", themes=("Play space",))
    add_picture(world.session, title="Unfinished")
    add_people(world.session, {"parent": 2, "school_staff": 1})
    add_words(world.session, ["Hopeful"])
    client.force_login(world.user("coordinator"))
    response = client.get(reverse("records:session_record", args=[world.session.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Swings &amp; a slide." in html
    assert "Not described yet." in html
    assert "Play space" in html
    assert "Hopeful" in html and "<svg" in html
    assert reverse("records:request_session_record", args=[world.session.pk]) in html
    assert "Actions and who leads them" not in html  # the programme's record has them


def test_programme_record_page_shows_actions_and_leads(client, world):
    from tests.factories import InvitationFactory

    lead = InvitationFactory(
        programme=world.programme, invitee__name="Zofia Wiśniewska", invitee__category="parent"
    )
    add_action(world.programme, what="A walking bus", lead=lead, status="agreed", updates=("Five families.",))
    client.force_login(world.user("facilitator"))
    response = client.get(reverse("records:programme_record", args=[world.programme.pk]))
    html = response.content.decode()
    assert "A walking bus" in html and "Zofia Wiśniewska" in html and "Parents and carers" in html
    assert "Five families." in html


def test_record_page_queries_do_not_grow_with_pictures(client, world):
    client.force_login(world.user("facilitator"))
    url = reverse("records:session_record", args=[world.session.pk])
    add_picture(world.session, title="One", description="One.", themes=("A",))
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for index in range(6):
        add_picture(world.session, title=f"More {index}", description="More.", themes=("A", f"B{index}"))
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(one.captured_queries)


def test_make_the_pdf_redirects_to_its_status_page(client, world):
    add_picture(world.session, title="Our park", description="Swings and a slide.")
    client.force_login(world.user("artist"))
    response = client.post(reverse("records:request_session_record", args=[world.session.pk]))
    record = EventRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("records:record_status", args=[record.pk])


def test_make_the_pdf_renders_it_once_committed(client, world, django_capture_on_commit_callbacks):
    add_picture(world.session, title="Our park", description="Swings and a slide.")
    client.force_login(world.user("facilitator"))
    url = reverse("records:request_session_record", args=[world.session.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
        client.post(url)  # a second click: the same record
    record = EventRecord.objects.get()
    assert record.state == RecordState.READY
    status = client.get(reverse("records:record_status", args=[record.pk]))
    assert "The record is ready" in status.content.decode()
    download = client.get(reverse("records:record_download", args=[record.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "private, no-store"
    expected = f"better-together-millbrook-all-day-{world.session.date.isoformat()}.pdf"
    assert download["Content-Disposition"] == f'attachment; filename="{expected}"'
    assert "Swings and a slide." in pdf_text(b"".join(download.streaming_content))
    page = client.get(reverse("records:session_record", args=[world.session.pk])).content.decode()
    assert "is up to date" in page


def test_programme_pdf_is_named_for_the_programme(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.user("facilitator"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("records:request_programme_record", args=[world.programme.pk]))
    record = EventRecord.objects.get()
    assert record.session is None
    download = client.get(reverse("records:record_download", args=[record.pk]))
    assert "better-together-millbrook-programme-" in download["Content-Disposition"]


def test_waiting_record_page_offers_to_check_again_and_cannot_be_downloaded(client, world):
    record = EventRecord.objects.create(programme=world.programme, session=world.session, fingerprint="x")
    client.force_login(world.user("facilitator"))
    page = client.get(reverse("records:record_status", args=[record.pk])).content.decode()
    assert "Check again" in page and 'data-waiting="true"' in page and "progress.js" in page
    assert client.get(reverse("records:record_download", args=[record.pk])).status_code == 404


def test_failed_record_says_so_and_offers_to_try_again(client, world):
    record = EventRecord.objects.create(
        programme=world.programme,
        session=world.session,
        fingerprint="x",
        state=RecordState.FAILED,
        error="The record could not be made.",
    )
    client.force_login(world.user("facilitator"))
    page = client.get(reverse("records:record_status", args=[record.pk])).content.decode()
    assert "could not be made" in page and "Try again" in page
    assert 'data-waiting="false"' in page and "progress.js" not in page
    assert client.get(reverse("records:record_download", args=[record.pk])).status_code == 404


def test_ready_record_whose_file_has_gone_is_not_found(client, world):
    record = EventRecord.objects.create(
        programme=world.programme,
        session=world.session,
        fingerprint="x",
        state=RecordState.READY,
        file="records/1/gone.pdf",
    )
    client.force_login(world.user("facilitator"))
    assert client.get(reverse("records:record_download", args=[record.pk])).status_code == 404


def test_another_programmes_team_cannot_see_or_make_the_record(client, world):
    record = EventRecord.objects.create(programme=world.programme, session=world.session, fingerprint="x")
    client.force_login(world.user("other_facilitator"))
    assert client.get(reverse("records:session_record", args=[world.session.pk])).status_code == 403
    assert client.post(reverse("records:request_session_record", args=[world.session.pk])).status_code == 403
    assert client.get(reverse("records:record_status", args=[record.pk])).status_code == 403
    assert EventRecord.objects.count() == 1


def test_missing_session_or_record_is_not_found(client, world):
    client.force_login(world.user("facilitator"))
    assert client.get(reverse("records:session_record", args=[999999])).status_code == 404
    assert client.get(reverse("records:record_status", args=[999999])).status_code == 404


def test_session_page_links_to_its_record(client, world):
    client.force_login(world.user("artist"))
    html = client.get(reverse("events:session_detail", args=[world.session.pk])).content.decode()
    assert "The record of this session" in html
    assert reverse("records:session_record", args=[world.session.pk]) in html


def test_programme_page_links_to_its_record(client, world):
    client.force_login(world.user("coordinator"))
    html = client.get(reverse("events:programme_detail", args=[world.programme.pk])).content.decode()
    assert reverse("records:programme_record", args=[world.programme.pk]) in html


def test_programme_record_page_queries_do_not_grow_with_actions(client, world):
    from tests.factories import InvitationFactory

    client.force_login(world.user("facilitator"))
    url = reverse("records:programme_record", args=[world.programme.pk])
    lead = InvitationFactory(programme=world.programme, invitee__category="parent")
    add_action(world.programme, what="One", lead=lead, status="agreed", updates=("Begun.",))
    add_picture(world.session, title="One", description="One.", themes=("A",))
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for index in range(5):
        other = InvitationFactory(programme=world.programme, invitee__category="school_staff")
        add_action(world.programme, what=f"More {index}", lead=other, status="agreed", updates=("a", "b"))
        add_picture(world.programme.sessions.get(order=2), title=f"More {index}", description="More.")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(one.captured_queries)


# --- How the PDF is laid out, as it comes from the download ---------------------------------------------


def download_pdf(client, world, *, session=None, django_capture_on_commit_callbacks) -> bytes:
    client.force_login(world.user("facilitator"))
    url = (
        reverse("records:request_session_record", args=[session.pk])
        if session
        else reverse("records:request_programme_record", args=[world.programme.pk])
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    record = EventRecord.objects.get(session=session)
    assert record.state == RecordState.READY
    return b"".join(client.get(reverse("records:record_download", args=[record.pk])).streaming_content)


def test_six_photos_take_three_pages_two_to_a_page_each_with_its_words(
    client, world, django_capture_on_commit_callbacks
):
    for index in range(6):
        # Photos as the artists take them, landscape and portrait: each used to get a page of its own.
        add_picture(
            world.session,
            title=f"Picture {index + 1}",
            description=f"Table {index + 1}: the park needs mending, and a crossing would make the walk safer.",
            themes=("Play", "Safety"),
            artist=world.user("artist"),
            size=(2000, 1500) if index % 3 else (1500, 2000),
        )
    add_people(world.session, {"parent": 6, "school_staff": 2, "group_worker": 4})

    pdf = download_pdf(
        client,
        world,
        session=world.session,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    pages = pdf_words(pdf)
    with_pictures = set()
    for index in range(6):
        title = [
            number for number, words in enumerate(pages, start=1) if f"Picture {index + 1}" in _text(words)
        ]
        told = [
            number for number, words in enumerate(pages, start=1) if f"Table {index + 1}:" in _text(words)
        ]
        assert len(title) == 1 and title == told, f"picture {index + 1} is apart from its words"
        with_pictures |= set(title)
    assert len(with_pictures) <= math.ceil(6 / 2)  # two pictures a page
    assert len(pages) <= 1 + 3 + 1  # the cover, the pictures, and the rest on one more page


def _text(words) -> str:
    return " ".join(w.text for w in words)


def test_who_came_numbers_line_up_under_their_headings_in_a_table_as_wide_as_its_columns(
    client, world, django_capture_on_commit_callbacks
):
    add_picture(world.session, title="Our park", description="Swings.", themes=("Play",))
    add_people(world.session, {"parent": 6, "school_staff": 2, "group_worker": 4}, walk_ins=1)
    add_words(world.session, ["Hopeful", "hopeful", "Together"])

    pdf = download_pdf(
        client,
        world,
        session=world.session,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    page = next(words for words in pdf_words(pdf) if "Who came" in _text(words))
    came, split = word(page, "Came"), word(page, "split")
    for label, numbers in (("Parents", ["6", "4"]), ("School", ["2", "4"]), ("Local", ["5", "4"])):
        row = on_the_line_of(page, word(page, label, below=came))
        digits = [w for w in row if w.text.isdigit()]
        assert [w.text for w in digits] == numbers
        assert abs(digits[0].right - came.right) < 1 and abs(digits[1].right - split.right) < 1
    # The themes' and the words' counts sit near what they count, not at the far edge of the page.
    for heading, column in (("Theme", "Pictures"), ("Word", "Times")):
        page = next(words for words in pdf_words(pdf) if heading in [w.text for w in words])
        left, right = word(page, heading), word(page, column)
        assert right.right - left.left < 100 / 25.4 * 72, f"{column} is {right.right - left.left:.0f} pt away"


def test_programme_numbers_line_up_under_each_group_even_with_a_low_group(
    client, world, django_capture_on_commit_callbacks
):
    add_people(world.session, {"parent": 6, "school_staff": 2, "group_worker": 5})
    add_people(world.programme.sessions.get(order=2), {"parent": 12, "school_staff": 10, "group_worker": 9})

    pdf = download_pdf(client, world, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)

    page = next(words for words in pdf_words(pdf) if "Who came" in _text(words))
    headings = [word(page, text) for text in ("carers", "staff", "agencies", "Everyone")]
    for first, numbers in (("All-day", ["6", "2", "5", "13"]), ("Half-day", ["12", "10", "9", "31"])):
        row = on_the_line_of(page, word(page, first, below=headings[0]))
        digits = [w for w in row if w.text.isdigit()]
        assert [w.text for w in digits] == numbers
        for number, heading in zip(digits, headings, strict=True):
            assert abs(number.right - heading.right) < 1, f"{number.text} is not under {heading.text}"
    assert "fewer than a quarter" in _text(page)  # school staff on the first day, said beside the number
