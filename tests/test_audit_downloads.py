"""Issue 18, part 6: every view that hands out personal data (the list CSV, the sheets and their CSVs,
letters, the call list, the sign-in sheet, who came, the words, the event record) writes one entry in
the audit log per download, with the user who asked, what it was and what it was about; a HEAD, a refusal
or a "not found" writes none; and the list CSV's logging is one INSERT whatever the number of rows."""

from dataclasses import dataclass

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.enums import ProgrammeStatus
from invitations.enums import LetterState
from invitations.models import LetterBatch
from invitations.services.replies import save_reply
from records.enums import RecordState
from records.models import EventRecord
from tests.factories import InvitationFactory

ACCESS = LogEntry.Action.ACCESS


def downloads():
    return LogEntry.objects.filter(action=ACCESS)


@pytest.fixture
def people(world):
    """Two parents at the coordinator's school: one coming with an access need, one reached by letter."""
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    coming = InvitationFactory(
        programme=world.programme, invitee__name="Grace Obi", invitee__organisation=world.school
    )
    save_reply(
        invitation=coming,
        answers={session.pk: "yes" for session in world.programme.sessions.active()},
        details={"access_needs": "Step-free way in", "needs_agreed": True},
    )
    by_letter = InvitationFactory(
        programme=world.programme,
        invitee__name="Joy Adeyemi",
        invitee__organisation=world.school,
        invitee__channel="letter",
        invitee__email="",
    )
    return coming, by_letter


def _letter_batch(world, people):
    batch = LetterBatch.objects.create(
        programme=world.programme,
        school=world.school,
        fingerprint="x",
        state=LetterState.READY,
        pages_total=1,
    )
    batch.file.save("letters.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"))
    return reverse("invitations:letter_download", args=[world.programme.pk, batch.pk]), batch


def _event_record(world, people):
    record = EventRecord.objects.create(
        programme=world.programme, session=world.session, fingerprint="x", state=RecordState.READY
    )
    record.file.save("record.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"))
    return reverse("records:record_download", args=[record.pk]), record


@dataclass(frozen=True)
class Download:
    what: str
    url: object  # (world, people) -> (url, the object the entry is about)


def session_sheet(kind: str, csv: bool = False):
    def url(world, people):
        name = "invitations:sheet_csv" if csv else "invitations:sheet"
        return reverse(name, args=[world.programme.pk, world.session.pk, kind]), world.session

    return url


def programme_page(name: str):
    def url(world, people):
        return reverse(name, args=[world.programme.pk]), world.programme

    return url


DOWNLOADS = [
    Download("list CSV", programme_page("invitations:list_csv")),
    Download("access needs sheet", session_sheet("access")),
    Download("access needs sheet (CSV)", session_sheet("access", csv=True)),
    Download("crèche sheet", session_sheet("creche")),
    Download("catering sheet (CSV)", session_sheet("catering", csv=True)),
    Download("transport sheet (CSV)", session_sheet("transport", csv=True)),
    Download("interpreters sheet", session_sheet("interpreters")),
    Download("letters", _letter_batch),
    Download(
        "one letter",
        lambda w, p: (reverse("invitations:letter_one", args=[w.programme.pk, p[1].pk]), p[1]),
    ),
    Download("call list", programme_page("invitations:not_reached")),
    Download("call list CSV", programme_page("invitations:not_reached_csv")),
    Download(
        "sign-in sheet", lambda w, p: (reverse("evaluations:signin_sheet", args=[w.session.pk]), w.session)
    ),
    Download("attendance CSV", programme_page("evaluations:attendance_csv")),
    Download("words CSV", programme_page("evaluations:words_csv")),
    Download("event record", _event_record),
]


@pytest.mark.parametrize("download", DOWNLOADS, ids=[download.what for download in DOWNLOADS])
def test_each_download_is_logged_once_with_who_what_and_about_what(client, world, people, download):
    url, about = download.url(world, people)
    facilitator = world.user("facilitator")
    client.force_login(facilitator)
    before = timezone.now()

    response = client.get(url)

    assert response.status_code == 200, url
    entry = downloads().get()
    assert entry.actor == facilitator and entry.actor_email == facilitator.email
    assert entry.additional_data["download"] == download.what
    assert entry.content_type == ContentType.objects.get_for_model(about)
    assert entry.object_pk == str(about.pk)
    assert entry.object_repr == str(about)
    assert entry.timestamp >= before
    assert entry.remote_addr == "127.0.0.1"


def test_the_access_sheet_is_logged_with_the_user_who_downloaded_it(client, world, people):
    """What issue 18 asks in so many words: two people download it; each entry names the right one."""
    url = reverse("invitations:sheet_csv", args=[world.programme.pk, world.session.pk, "access"])
    for role in ("admin", "facilitator"):
        client.force_login(world.user(role))
        assert "Step-free way in" in client.get(url).content.decode()

    assert [(entry.actor.username, entry.additional_data["download"]) for entry in downloads()] == [
        ("facilitator", "access needs sheet (CSV)"),
        ("admin", "access needs sheet (CSV)"),
    ]


def test_the_list_csv_logs_its_filters(client, world, people):
    client.force_login(world.user("facilitator"))

    client.get(reverse("invitations:list_csv", args=[world.programme.pk]), {"reply": "coming", "q": "Grace"})

    assert downloads().get().additional_data["detail"] == "reply=coming&q=Grace"


@pytest.mark.parametrize(
    "download",
    [DOWNLOADS[0], DOWNLOADS[2], DOWNLOADS[7], DOWNLOADS[10], DOWNLOADS[11], DOWNLOADS[14]],
    ids=lambda download: download.what,
)
def test_a_head_request_hands_out_nothing_and_logs_nothing(client, world, people, download):
    url, _about = download.url(world, people)
    client.force_login(world.user("facilitator"))

    assert client.head(url).status_code == 200

    assert not downloads().exists()


@pytest.mark.parametrize(
    "role, url",
    [
        (
            "coordinator",
            lambda w: reverse("invitations:sheet", args=[w.programme.pk, w.session.pk, "access"]),
        ),
        ("other_facilitator", lambda w: reverse("invitations:list_csv", args=[w.programme.pk])),
        ("coordinator", lambda w: reverse("evaluations:signin_sheet", args=[w.session.pk])),
        ("artist", lambda w: reverse("evaluations:attendance_csv", args=[w.programme.pk])),
        ("anonymous", lambda w: reverse("invitations:not_reached_csv", args=[w.programme.pk])),
    ],
)
def test_a_refused_download_logs_nothing(client, world, people, role, url):
    if role != "anonymous":
        client.force_login(world.user(role))

    assert client.get(url(world)).status_code in (302, 403)

    assert not downloads().exists()


@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("invitations:sheet", args=[w.programme.pk, w.session.pk, "nonsense"]),
        lambda w: reverse("invitations:sheet_csv", args=[w.programme.pk, 999_999, "access"]),
        lambda w: reverse(
            "records:record_download",
            args=[EventRecord.objects.create(programme=w.programme, fingerprint="x").pk],
        ),
        lambda w: reverse("invitations:letter_one", args=[w.programme.pk, 999_999]),
    ],
)
def test_nothing_found_logs_nothing(client, world, people, url):
    client.force_login(world.user("facilitator"))

    assert client.get(url(world)).status_code == 404

    assert not downloads().exists()


def test_a_coordinators_call_list_of_their_school_is_logged_as_theirs(client, world, people):
    client.force_login(world.user("coordinator"))

    response = client.get(reverse("invitations:not_reached_csv", args=[world.programme.pk]))

    assert response.status_code == 200
    entry = downloads().get()
    assert entry.actor == world.user("coordinator")
    rows = len(response.content.decode("utf-8-sig").strip().splitlines()) - 1
    assert entry.additional_data["detail"] == f"Millbrook Primary, {rows} rows"


def test_the_list_csv_costs_one_insert_for_the_log_whatever_its_length(client, world):
    client.force_login(world.user("facilitator"))
    url = reverse("invitations:list_csv", args=[world.programme.pk])

    def measure(extra: int) -> tuple[int, int]:
        for number in range(extra):
            InvitationFactory(programme=world.programme, invitee__name=f"Parent {number} of {extra}")
        client.get(url)  # warm the caches (content types, the session)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        log_writes = [q for q in captured if "auditlog_logentry" in q["sql"]]
        return len(captured), len(log_writes)

    small, small_writes = measure(5)
    large, large_writes = measure(120)

    assert small_writes == large_writes == 1
    assert large == small
    assert downloads().count() == 4
