"""The event record: what its PDF says (pictures and what they show, themes, who came, the words, actions
and their leads), safe rendering (images only from MEDIA, through the restricted fetcher), its
fingerprint, and the task that makes it (one render for two clicks, failure leaves no file)."""

import io
import time
import unicodedata
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image

from artwork.enums import ImageState
from records import services
from records.enums import RecordState
from records.models import EventRecord
from records.services import job as record_job
from records.services import pdf as record_pdf
from records.tasks import render_record
from tests.factories import InvitationFactory

from .helpers import (
    COLOURS,
    RecordingFetcher,
    add_action,
    add_people,
    add_picture,
    add_words,
    pdf_text,
)

pytestmark = pytest.mark.django_db

POLISH = "Wdzięczność"
URDU = "شکریہ"


@pytest.fixture(autouse=True)
def _eager(settings):
    # The task runs inline; a real worker is covered by the integration tests.
    settings.CELERY_TASK_ALWAYS_EAGER = True


def _visible(text: str) -> str:
    """pdftotext wraps right-to-left runs in embedding marks: drop them (and other format characters)."""
    return "".join(char for char in text if unicodedata.category(char) != "Cf")


def session_pdf(session, fetcher=None) -> bytes:
    record = services.session_record(session=session)
    return services.render_pdf(services.render_record_html(record=record), fetcher=fetcher)


def programme_pdf(programme, fetcher=None) -> bytes:
    record = services.programme_record(programme=programme)
    return services.render_pdf(services.render_record_html(record=record), fetcher=fetcher)


def pages(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_session_record_says_what_each_picture_shows_who_came_and_the_words(world):
    session = world.session
    add_picture(
        session,
        title="Our park",
        description="The park by the school, with swings the children love.",
        themes=("Play space", "Safety"),
        artist=world.user("artist"),
    )
    add_picture(
        session, title="Walking to school", description="Children walking together.", themes=("Safety",)
    )
    add_people(session, {"parent": 6, "school_staff": 2, "group_worker": 4}, walk_ins=1)
    add_words(session, ["Hopeful", "hopeful!", POLISH, URDU])

    text = _visible(pdf_text(session_pdf(session)))

    assert "Better Together in Millbrook" in text
    assert "What would help every child here thrive?" in text
    assert "In Millbrook" in text
    assert "The park by the school, with swings the children love." in text
    assert "Children walking together." in text
    assert "Themes: Play space, Safety" in text
    assert "Safety 2" in text and "Play space 1" in text  # the themes with their counts
    assert "13 people came (1 of them walked in on the day)" in text
    assert "Parents and carers 6 4 Fine" in text
    assert "School staff 2 4 Fewer than a quarter" in text
    assert "Local groups and agencies 5 4 Fine" in text  # the walk-in is a community member
    assert "Hopeful 2" in text
    assert f"{POLISH} 1" in text
    assert URDU in text  # unchanged: the same letters, in the same order


def test_words_in_other_scripts_come_out_unchanged(world):
    add_words(world.session, [POLISH, URDU, "Zażółć"])
    text = _visible(pdf_text(session_pdf(world.session)))
    for word in (POLISH, URDU, "Zażółć"):
        assert unicodedata.normalize("NFC", word) in unicodedata.normalize("NFC", text)


def test_undescribed_picture_is_listed_as_not_described_yet(world):
    add_picture(world.session, title="Half-finished map")
    text = pdf_text(session_pdf(world.session))
    assert "Half-finished map" in text
    assert "Not described yet." in text


def test_pictures_being_prepared_or_that_failed_are_left_out(world):
    add_picture(world.session, title="Ready one", description="Ready and described.")
    add_picture(
        world.session, title="Still coming", description="Being prepared.", state=ImageState.PROCESSING
    )
    add_picture(world.session, title="Broken one", description="Failed.", state=ImageState.FAILED)
    record = services.session_record(session=world.session)
    assert [picture.title for picture in record.pictures] == ["Ready one"]
    text = pdf_text(session_pdf(world.session))
    assert "Ready one" in text
    assert "Still coming" not in text and "Broken one" not in text


def test_team_only_pictures_are_in_the_teams_record_with_a_note(world):
    add_picture(world.session, title="Faces", description="Three parents at the table.", shows_people=True)
    text = pdf_text(session_pdf(world.session))
    assert "Three parents at the table." in text
    assert "have not agreed to it being shared beyond the team" in text


def test_images_are_fetched_only_from_media_through_the_restricted_fetcher(world):
    pictures = [
        add_picture(world.session, title=f"Picture {index}", description="Words.", colour=colour)
        for index, colour in enumerate(COLOURS[:3])
    ]
    recorder = RecordingFetcher()
    session_pdf(world.session, fetcher=recorder.fetcher)
    fetched = [url for url in recorder.asked if not url.startswith("data:")]
    assert fetched, "the pictures were not fetched at all"
    assert all(url.startswith(settings.SITE_URL + settings.MEDIA_URL) for url in fetched)
    assert sorted(fetched) == sorted(settings.SITE_URL + picture.display.url for picture in pictures)


def test_the_printed_image_is_the_display_size_picture(world):
    add_picture(world.session, title="Red", description="All red.", colour="red", size=(800, 600))
    pdf = session_pdf(world.session)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    images = [image for page in reader.pages for image in page.images]
    big = [image for image in images if image.image.size == (800, 600)]
    assert len({image.name for image in big}) == 1  # pypdf may list one image once per use
    assert big[0].image.convert("RGB").getpixel((400, 300))[0] > 200


def test_a_picture_whose_file_is_missing_does_not_break_the_record(world):
    gone = add_picture(world.session, title="Lost", description="The café on the corner.")
    add_picture(world.session, title="Kept", description="The library steps.")
    Path(gone.display.path).unlink()
    recorder = RecordingFetcher()
    pdf = session_pdf(world.session, fetcher=recorder.fetcher)
    text = pdf_text(pdf)
    assert "This picture could not be included" in text
    assert "The café on the corner." in text and "The library steps." in text
    assert not [url for url in recorder.asked if gone.display.name in url]


def test_a_picture_whose_file_is_not_an_image_does_not_break_the_record(world):
    broken = add_picture(world.session, title="Garbled", description="The bus stop.")
    Path(broken.display.path).write_bytes(b"not a picture at all")
    add_picture(world.session, title="Kept", description="The library steps.")
    pdf = session_pdf(world.session)
    text = pdf_text(pdf)
    assert "The bus stop." in text and "The library steps." in text


HOSTILE = '<img src="file:///etc/passwd"><img src="https://example.org/x.png"><b>bold</b>'


def test_text_typed_by_people_is_escaped_and_never_fetched(world):
    add_picture(world.session, title=f"Map {HOSTILE}", description=f"Shows {HOSTILE}", themes=(HOSTILE[:50],))
    lead = InvitationFactory(programme=world.programme, invitee__name=f"Amina {HOSTILE}")
    add_action(world.programme, what=f"Do {HOSTILE}"[:200], lead=lead, status="agreed", updates=(HOSTILE,))
    recorder = RecordingFetcher()
    text = pdf_text(programme_pdf(world.programme, fetcher=recorder.fetcher))
    assert not [url for url in recorder.asked if "passwd" in url or "example.org" in url]
    assert '<img src="file:///etc/passwd">' in text


def test_programme_record_has_every_session_and_the_actions_with_their_leads(world):
    all_day = world.session
    half_day = world.programme.sessions.get(order=2)
    add_picture(all_day, title="Map", description="A map of the neighbourhood.", themes=("Play space",))
    add_picture(half_day, title="Plan", description="Our plan for the field.", themes=("Play space",))
    add_people(all_day, {"parent": 3, "school_staff": 3, "group_worker": 3})
    add_people(half_day, {"parent": 2, "school_staff": 1})
    add_words(all_day, ["Together"])
    add_words(half_day, ["together", "Ready"])
    zofia = InvitationFactory(
        programme=world.programme, invitee__name="Zofia Wiśniewska", invitee__category="parent"
    )
    teacher = InvitationFactory(
        programme=world.programme, invitee__name="Mr Okafor", invitee__category="school_staff"
    )
    add_action(
        world.programme,
        what="Open the school field on Saturdays",
        lead=zofia,
        status="under_way",
        updates=("Asked the head.", "The head said yes for June."),
    )
    add_action(world.programme, what="A walking bus", lead=teacher, status="agreed")
    add_action(world.programme, what="A community fridge")

    text = pdf_text(programme_pdf(world.programme))

    assert "A map of the neighbourhood." in text and "Our plan for the field." in text
    assert "Play space 2" in text
    assert "Half-day workshop" in text
    assert "Together 2" in text and "Ready 1" in text
    assert "Open the school field on Saturdays" in text
    assert "Under way · Led by Zofia Wiśniewska (Parents and carers)" in text
    assert "The head said yes for June." in text
    assert "Asked the head." not in text  # only the latest news
    assert "Agreed · Led by Mr Okafor (School staff)" in text
    assert "Idea · Nobody leads it yet" in text
    assert "Parents and carers 1 School staff 1 Local groups and agencies 0 Nobody yet 1" in text


def test_an_empty_record_says_so_kindly(world):
    text = pdf_text(session_pdf(world.session))
    assert "No pictures have been added yet." in text
    assert "Nobody has been signed in yet" in text
    assert "No words have been collected yet." in text
    programme_text = pdf_text(programme_pdf(world.programme))
    assert "No actions have been agreed yet." in programme_text


def test_cancelled_sessions_are_left_out_of_the_programme_record(world):
    cancelled = world.programme.sessions.get(order=4)
    cancelled.cancelled_at = timezone.now()
    cancelled.save()
    record = services.programme_record(programme=world.programme)
    assert cancelled not in record.sessions
    assert [numbers.session for numbers in record.numbers] == record.sessions


def test_every_page_is_numbered(world):
    for index in range(4):
        add_picture(world.session, title=f"Picture {index}", description="Words.", size=(800, 1000))
    pdf = session_pdf(world.session)
    count = pages(pdf)
    assert count > 2
    assert f"Page {count} of {count}" in pdf_text(pdf)


# The fingerprint -------------------------------------------------------------------------------------


def test_fingerprint_changes_when_a_description_changes(world):
    artwork = add_picture(world.session, title="Map", description="The park.")
    before = services.session_record(session=world.session).fingerprint
    assert services.session_record(session=world.session).fingerprint == before
    artwork.description = "The park and the library."
    artwork.save()
    assert services.session_record(session=world.session).fingerprint != before


@pytest.mark.parametrize("change", ["theme", "word", "person", "picture_not_ready"])
def test_fingerprint_changes_with_anything_printed(world, change):
    artwork = add_picture(world.session, title="Map", description="The park.")
    before = services.session_record(session=world.session).fingerprint
    if change == "theme":
        from tests.records.helpers import theme

        artwork.themes.add(theme(world.programme, "Safety"))
    elif change == "word":
        add_words(world.session, ["Hope"])
    elif change == "person":
        add_people(world.session, {"parent": 1})
    else:
        artwork.state = ImageState.PROCESSING
        artwork.save()
    assert services.session_record(session=world.session).fingerprint != before


def test_programme_fingerprint_changes_with_an_update_on_an_action(world):
    action = add_action(world.programme, what="A walking bus")
    before = services.programme_record(programme=world.programme).fingerprint
    from actions.models import ActionUpdate

    ActionUpdate.objects.create(
        action=action, text="Three families signed up.", status_before="idea", status_after="idea"
    )
    assert services.programme_record(programme=world.programme).fingerprint != before


# Requests and the task ---------------------------------------------------------------------------------


def test_two_requests_make_one_render(world, django_capture_on_commit_callbacks):
    add_picture(world.session, title="Map", description="The park.")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = services.request_record(programme=world.programme, session=world.session)
    with django_capture_on_commit_callbacks(execute=True) as more:
        second = services.request_record(programme=world.programme, session=world.session)
    assert first.pk == second.pk
    assert len(callbacks) == 1 and len(more) == 0
    first.refresh_from_db()
    assert first.state == RecordState.READY and first.pages >= 2
    assert EventRecord.objects.count() == 1
    assert "The park." in pdf_text(first.file.read())


def test_a_change_makes_a_fresh_record_and_removes_the_old_one(world, django_capture_on_commit_callbacks):
    artwork = add_picture(world.session, title="Map", description="The park.")
    with django_capture_on_commit_callbacks(execute=True):
        first = services.request_record(programme=world.programme, session=world.session)
    first.refresh_from_db()
    first_path = Path(first.file.path)
    assert first_path.exists()
    artwork.description = "The park and the library."
    artwork.save()
    with django_capture_on_commit_callbacks(execute=True):
        second = services.request_record(programme=world.programme, session=world.session)
    assert second.pk != first.pk
    second.refresh_from_db()
    assert "The park and the library." in pdf_text(second.file.read())
    assert not EventRecord.objects.filter(pk=first.pk).exists()
    assert not first_path.exists()
    assert len(list(Path(settings.MEDIA_ROOT, "records").rglob("*.pdf"))) == 1


def test_the_programme_record_does_not_remove_session_records(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        one = services.request_record(programme=world.programme, session=world.session)
    add_words(world.session, ["Hope"])
    with django_capture_on_commit_callbacks(execute=True):
        services.request_record(programme=world.programme)
    assert EventRecord.objects.filter(pk=one.pk, state=RecordState.READY).exists()


def test_session_and_programme_records_are_apart(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        one = services.request_record(programme=world.programme, session=world.session)
        whole = services.request_record(programme=world.programme)
    assert one.pk != whole.pk and whole.session is None


def test_a_session_of_another_programme_is_refused(world):
    from tests.factories import SessionFactory

    elsewhere = SessionFactory()
    with pytest.raises(ValueError):
        services.request_record(programme=world.programme, session=elsewhere)


def test_a_record_delivered_twice_renders_once(world):
    record = EventRecord.objects.create(programme=world.programme, session=world.session, fingerprint="x")
    assert render_record(record.pk) == RecordState.READY
    first_file = EventRecord.objects.get(pk=record.pk).file.name
    assert render_record(record.pk) == RecordState.READY
    assert EventRecord.objects.get(pk=record.pk).file.name == first_file
    assert len(list((Path(settings.MEDIA_ROOT) / "records" / str(world.programme.pk)).iterdir())) == 1


def test_the_task_for_a_missing_record_does_nothing(world):
    assert render_record(987654) == "missing"


def test_the_task_failing_leaves_failed_and_no_file(world):
    add_picture(world.session, title="Map", description="The park.")
    # Where the records' files go is taken by a file: storing the PDF fails, as on a full or broken disk.
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    (media / "records").write_bytes(b"in the way")
    record = EventRecord.objects.create(programme=world.programme, session=world.session, fingerprint="x")
    render_record.delay(record.pk)
    record.refresh_from_db()
    assert record.state == RecordState.FAILED
    assert not record.file
    assert "could not be made" in record.error
    assert record.finished_at is not None
    assert (media / "records").read_bytes() == b"in the way"
    assert not [path for path in media.rglob("*.pdf")]


def test_a_failed_record_is_made_again_on_the_next_request(world, django_capture_on_commit_callbacks):
    failed = EventRecord.objects.create(
        programme=world.programme, session=world.session, state=RecordState.FAILED, fingerprint="x"
    )
    failed.fingerprint = services.session_record(session=world.session).fingerprint
    failed.save()
    with django_capture_on_commit_callbacks(execute=True):
        fresh = services.request_record(programme=world.programme, session=world.session)
    assert fresh.pk != failed.pk
    fresh.refresh_from_db()
    assert fresh.state == RecordState.READY


def test_a_stuck_record_is_given_up_and_replaced(world, django_capture_on_commit_callbacks):
    current = services.session_record(session=world.session).fingerprint
    stuck = EventRecord.objects.create(
        programme=world.programme, session=world.session, fingerprint=current, state=RecordState.RENDERING
    )
    EventRecord.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=False):
        fresh = services.request_record(programme=world.programme, session=world.session)
    assert fresh.pk != stuck.pk
    stuck.refresh_from_db()
    assert stuck.state == RecordState.FAILED and "too long" in stuck.error


def test_a_recent_record_being_made_is_not_given_up(world):
    current = services.session_record(session=world.session).fingerprint
    making = EventRecord.objects.create(
        programme=world.programme, session=world.session, fingerprint=current, state=RecordState.RENDERING
    )
    assert services.request_record(programme=world.programme, session=world.session).pk == making.pk


def test_a_late_render_of_a_given_up_record_keeps_no_file(world):
    record = EventRecord.objects.create(
        programme=world.programme, session=world.session, fingerprint="x", state=RecordState.FAILED
    )
    with pytest.raises(RuntimeError):
        record_job._store(record=record, pdf=b"%PDF-1.7\n%%EOF\n", pages=1, fingerprint="y")
    record.refresh_from_db()
    assert record.state == RecordState.FAILED and not record.file
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.pdf"))
    # And the task, delivered late, leaves it alone.
    assert render_record(record.pk) == RecordState.FAILED


def test_file_names_are_friendly(world):
    session = world.session
    record = EventRecord(programme=world.programme, session=session)
    assert (
        services.file_name(record=record)
        == f"better-together-millbrook-all-day-{session.date.isoformat()}.pdf"
    )
    whole = EventRecord(programme=world.programme)
    assert (
        services.file_name(record=whole)
        == f"better-together-millbrook-programme-{session.date.isoformat()}.pdf"
    )


def test_page_counter_css_escapes_quotes_and_angle_brackets():
    value = str(record_pdf._css_string('a"b<c\\'))
    assert '"' not in value[1:-1] and "<" not in value and "\\22 " in value and "\\3c " in value


# A big record -------------------------------------------------------------------------------------------


def _photo_like(width: int, height: int) -> bytes:
    """A JPEG about as big on disk as a display-size photo of a drawing on paper: lines and shapes in
    colour over paper with a little grain."""
    from PIL import ImageDraw

    paper = Image.merge("RGB", [Image.effect_noise((width, height), 12).point(lambda v: 215 + v // 8)] * 3)
    draw = ImageDraw.Draw(paper)
    for index in range(120):
        x, y = (index * 397) % width, (index * 211) % height
        colour = ["#0b5563", "#c2410c", "#6d28d9", "#15803d"][index % 4]
        draw.line((x, y, (x + 300) % width, (y + 170) % height), fill=colour, width=6)
        draw.ellipse((x, y, x + 90, y + 60), outline=colour, width=4)
    buffer = io.BytesIO()
    paper.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def test_a_record_of_sixty_pictures_renders(world, capsys):
    from django.core.files.base import ContentFile

    photo = _photo_like(2000, 1500)
    for index in range(60):
        artwork = add_picture(
            world.session,
            title=f"Picture {index + 1}",
            description=f"Picture {index + 1}: the key points people raised at table {index % 8 + 1}. " * 4,
            themes=(f"Theme {index % 7}",),
        )
        artwork.display.save("display.jpg", ContentFile(photo), save=False)
        artwork.width, artwork.height = 2000, 1500
        artwork.save()
    add_people(world.session, {"parent": 9, "school_staff": 8, "group_worker": 8})
    add_words(world.session, [f"word{index % 30}" for index in range(25)])

    started = time.perf_counter()
    record = services.session_record(session=world.session)
    gathered = time.perf_counter()
    pdf = services.render_pdf(services.render_record_html(record=record))
    finished = time.perf_counter()

    count = pages(pdf)
    text = pdf_text(pdf)
    assert "Picture 60: the key points" in text
    assert count >= 30  # a picture with its words is at most two to a page
    with capsys.disabled():
        print(
            f"\n60-picture record: {count} pages, {len(pdf) / 1e6:.1f} MB, gathered in "
            f"{gathered - started:.2f} s, rendered in {finished - gathered:.2f} s"
        )
