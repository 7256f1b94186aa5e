"""Change letters (issue 14): when a session changes, the people a school reaches by letter hear of it by a
letter the school prints. The letters page lists, for each school, the changes it still has letters to
print; making them goes through the one PDF lifecycle; downloading them marks them printed; the invitation
list says who still needs one. Through the views, with the letters made by the task run inline."""

import io
import subprocess
from datetime import timedelta

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import Message
from events import services as event_services
from events.enums import ProgrammeStatus
from events.models import Session
from invitations.enums import Answer, Channel, LetterState, MessageKind, MessageState
from invitations.models import LetterBatch, Reply, SessionAnswer, SessionChange
from invitations.services import changes, letters
from invitations.services.schedule import new_message
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def _open(programme) -> None:
    programme.status = ProgrammeStatus.OPEN
    programme.save(update_fields=["status"])


def letter_person(programme, school, name, *, answer: str = ""):
    """Someone the school reaches by letter who has heard of the programme (they replied on paper)."""
    invitation = InvitationFactory(
        programme=programme,
        invitee__name=name,
        invitee__organisation=school,
        invitee__channel=Channel.LETTER,
        invitee__email="",
    )
    reply = Reply.objects.create(invitation=invitation, source="paper")
    if answer:
        SessionAnswer.objects.create(reply=reply, session=programme.sessions.get(order=2), answer=answer)
    return invitation


def email_person(programme, school, name):
    invitation = InvitationFactory(programme=programme, invitee__name=name, invitee__organisation=school)
    Reply.objects.create(invitation=invitation, source="web")
    return invitation


def move(session: Session, *, days: int) -> SessionChange:
    """Move the session by ``days`` and tell the change at once, as "Tell them now" does."""
    session.refresh_from_db()
    session.date += timedelta(days=days)
    event_services.save_session(session=session)
    change = SessionChange.objects.get(session=session, state="waiting")
    changes.tell(change=change)
    change.refresh_from_db()
    return change


@pytest.fixture
def told(world):
    """An open programme, two of Millbrook Primary's parents reached by letter (Ama said she was coming to
    the first half-day), one by email, and that half-day moved a day later, told."""
    _open(world.programme)
    ama = letter_person(world.programme, world.school, "Ama Owusu", answer=Answer.YES)
    bilal = letter_person(world.programme, world.school, "Bilal Khan")
    email = email_person(world.programme, world.school, "Erin Email")
    session = world.programme.sessions.get(order=2)
    was = session.date
    change = move(session, days=1)
    return {"change": change, "ama": ama, "bilal": bilal, "email": email, "was": was, "session": session}


def letters_url(world):
    return reverse("invitations:letters", args=[world.programme.pk])


def make(client, world, change, django_capture_on_commit_callbacks, school=None):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            letters_url(world), {"school": (school or world.school).pk, "letter": f"change-{change.pk}"}
        )


def download(client, world, batch) -> bytes:
    response = client.get(reverse("invitations:letter_download", args=[world.programme.pk, batch.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def pages(pdf: bytes) -> list[str]:
    count = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return [
        " ".join(
            subprocess.run(
                ["pdftotext", "-layout", "-f", str(page), "-l", str(page), "-", "-"],
                input=pdf,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .split()
        )
        for page in range(1, count + 1)
    ]


def letter_rows(change):
    return Message.objects.filter(session_change=change, channel=Channel.LETTER)


# The letters page lists them, for the coordinator's own school only -------------------------------------


def test_the_coordinator_sees_the_change_letters_their_school_has_to_print(client, world, told):
    client.force_login(world.user("coordinator"))

    html = client.get(letters_url(world)).content.decode()

    part = html[html.index("Change letters to print") :]
    new_day = told["session"].date.strftime("%A %-d %B")
    assert f"is now on {new_day}" in part
    assert '2 letters to print — <span class="change-names">Ama Owusu, Bilal Khan</span>' in part
    assert f'value="change-{told["change"].pk}"' in part
    assert "Erin Email" not in html  # told by email: nothing for the school to print


def test_another_schools_coordinator_sees_nothing_of_it(client, world, told):
    world.programme.schools.add(world.other_school)
    client.force_login(world.user("other_coordinator"))

    response = client.get(letters_url(world))

    html = response.content.decode()
    assert response.status_code == 200 and "St Anne" in html
    assert "Change letters to print" not in html
    assert "Ama Owusu" not in html and f"change-{told['change'].pk}" not in html
    # Nor can they make them by posting for a school that is not theirs.
    forged = client.post(
        letters_url(world), {"school": world.school.pk, "letter": f"change-{told['change'].pk}"}
    )
    assert forged.status_code == 403
    assert not LetterBatch.objects.exists()


@pytest.mark.parametrize("role", ["artist", "other_facilitator"])
def test_someone_who_prints_for_no_school_of_the_programme_is_refused(client, world, told, role):
    client.force_login(world.user(role))

    assert client.get(letters_url(world)).status_code == 403
    response = client.post(
        letters_url(world), {"school": world.school.pk, "letter": f"change-{told['change'].pk}"}
    )
    assert response.status_code == 403
    assert not LetterBatch.objects.exists()


def test_each_school_sees_only_its_own_people_in_a_change(client, world):
    world.programme.schools.add(world.other_school)
    _open(world.programme)
    letter_person(world.programme, world.school, "Ama Owusu")
    letter_person(world.programme, world.other_school, "Stella Other")
    change = move(world.programme.sessions.get(order=2), days=1)
    client.force_login(world.user("facilitator"))

    html = client.get(letters_url(world)).content.decode()

    mine = html[html.index(f'id="change-letters-{world.school.pk}"') :]
    mine = mine[: mine.index("</div>")]
    theirs = html[html.index(f'id="change-letters-{world.other_school.pk}"') :]
    theirs = theirs[: theirs.index("</div>")]
    assert "Ama Owusu" in mine and "Stella Other" not in mine
    assert "Stella Other" in theirs and "Ama Owusu" not in theirs
    assert mine.count(f"change-{change.pk}") and theirs.count(f"change-{change.pk}")


# Making them: the PDF --------------------------------------------------------------------------------------


def test_making_them_gives_a_pdf_with_the_old_and_new_dates_each_name_and_reply_code(
    client, world, told, django_capture_on_commit_callbacks
):
    client.force_login(world.user("coordinator"))

    response = make(client, world, told["change"], django_capture_on_commit_callbacks)

    batch = LetterBatch.objects.get()
    assert response.url == reverse("invitations:letter_batch", args=[world.programme.pk, batch.pk])
    assert (batch.kind, batch.change, batch.session, batch.school) == (
        MessageKind.CHANGE,
        told["change"],
        told["session"],
        world.school,
    )
    assert batch.state == LetterState.READY and batch.pages_total == 2
    status = client.get(response.url).content.decode()
    assert "Downloading the letters marks them as printed" in status
    ama_page, bilal_page = pages(download(client, world, batch))  # one page each, in name order
    for page, person in ((ama_page, told["ama"]), (bilal_page, told["bilal"])):
        person.refresh_from_db()
        assert person.invitee.name in page
        assert letters.grouped_code(person.reply_code) in page
        assert "Before: " + told["was"].strftime("%A %-d %B") in page
        assert "Now: " + told["session"].date.strftime("%A %-d %B") in page
        assert "We have had to change the Better Together in Millbrook Half-day workshop." in page
        assert "Cut here and return this slip to school" in page
    # Each person's own line, as their email would say it.
    assert "You told us you were coming. Can you still come?" in ama_page
    assert "You told us you were coming" not in bilal_page
    assert "You can tell us whether you can come, or change your answer, on the slip below." in bilal_page


def test_a_cancelled_session_letter_says_sorry_and_names_the_sessions_still_going_ahead(
    client, world, django_capture_on_commit_callbacks
):
    _open(world.programme)
    letter_person(world.programme, world.school, "Ama Owusu")
    session = world.programme.sessions.get(order=2)
    day = session.date
    event_services.cancel_session(session=session)
    change = SessionChange.objects.get(session=session)
    changes.tell(change=change)
    client.force_login(world.user("coordinator"))

    make(client, world, change, django_capture_on_commit_callbacks)

    (page,) = pages(download(client, world, LetterBatch.objects.get()))
    assert "We are sorry: the Better Together in Millbrook Half-day workshop is cancelled." in page
    assert "It was going to be: " + day.strftime("%A %-d %B") in page
    assert "The other get-togethers are going ahead:" in page
    later = world.programme.sessions.active().exclude(pk=session.pk).filter(date__gt=timezone.localdate())
    for other in later:
        assert other.date.strftime("%a %-d %b") in page  # on the slip, to say whether they can come


def test_a_new_change_to_the_session_makes_a_new_pdf(client, world, told, django_capture_on_commit_callbacks):
    client.force_login(world.user("coordinator"))
    make(client, world, told["change"], django_capture_on_commit_callbacks)
    first = LetterBatch.objects.get()
    download(client, world, first)

    newer = move(told["session"], days=1)
    make(client, world, newer, django_capture_on_commit_callbacks)

    second = LetterBatch.objects.exclude(pk=first.pk).get()
    assert second.change == newer and second.fingerprint != first.fingerprint
    ama_page, _bilal_page = pages(download(client, world, second))
    assert "Now: " + told["session"].date.strftime("%A %-d %B") in ama_page
    assert told["session"].date == told["was"] + timedelta(days=2)


def test_the_fingerprint_includes_the_change(world, told):
    people = [told["ama"]]
    common = dict(words="w", invitations=people, sessions=[told["session"]], school=world.school)

    one = letters.fingerprint(**common, kind=MessageKind.CHANGE, change=told["change"])
    other_change = SessionChange(pk=told["change"].pk + 1000)

    assert one != letters.fingerprint(**common, kind=MessageKind.CHANGE, change=other_change)
    assert one != letters.fingerprint(**common, kind=MessageKind.CHANGE, change=None)
    assert one != letters.fingerprint(
        **common, kind=MessageKind.CHANGE, change=told["change"], notes={told["ama"].pk: "another line"}
    )


def test_two_clicks_make_one_batch(client, world, told, django_capture_on_commit_callbacks):
    client.force_login(world.user("coordinator"))

    with django_capture_on_commit_callbacks(execute=False):  # the worker has not started on it yet
        first = client.post(
            letters_url(world), {"school": world.school.pk, "letter": f"change-{told['change'].pk}"}
        )
    second = make(client, world, told["change"], django_capture_on_commit_callbacks)

    batch = LetterBatch.objects.get()
    assert first.url == second.url == reverse("invitations:letter_batch", args=[world.programme.pk, batch.pk])


# Downloading marks them printed ---------------------------------------------------------------------------


def test_downloading_marks_only_that_schools_letters_about_that_change_printed(
    client, world, django_capture_on_commit_callbacks
):
    world.programme.schools.add(world.other_school)
    _open(world.programme)
    ama = letter_person(world.programme, world.school, "Ama Owusu")
    bilal = letter_person(world.programme, world.school, "Bilal Khan")
    letter_person(world.programme, world.other_school, "Stella Other")
    email_person(world.programme, world.school, "Erin Email")
    change = move(world.programme.sessions.get(order=2), days=1)
    another = move(world.programme.sessions.get(order=3), days=1)
    client.force_login(world.user("coordinator"))
    make(client, world, change, django_capture_on_commit_callbacks)
    batch = LetterBatch.objects.get()
    assert batch.pages_total == 2  # Ama and Bilal: not Stella, whose school prints her own
    printed = letter_rows(change).filter(invitation__invitee__organisation=world.school)
    untouched = Message.objects.exclude(pk__in=printed.values("pk"))
    assert {row.state for row in printed} == {MessageState.SCHEDULED}
    rest = {row.pk: (row.state, row.sent_at) for row in untouched}
    # What stays as it was: the email notices, the other school's letter about this change, the letters
    # about the other change, the invitations and reminders.
    assert {row.kind for row in untouched} >= {MessageKind.CHANGE, MessageKind.REMINDER}
    assert untouched.filter(kind=MessageKind.CHANGE, channel=Channel.EMAIL).count() == 2
    assert untouched.filter(session_change=change, channel=Channel.LETTER).count() == 1
    assert untouched.filter(session_change=another, channel=Channel.LETTER).count() == 3

    before = timezone.now()
    download(client, world, batch)

    assert sorted(printed.values_list("recipient_id", flat=True)) == sorted([ama.pk, bilal.pk])
    assert {row.state for row in printed.all()} == {MessageState.SENT}
    assert all(row.sent_at >= before for row in printed.all())
    assert {row.pk: (row.state, row.sent_at) for row in untouched.all()} == rest


def test_downloading_again_changes_nothing_and_a_head_request_marks_nothing(
    client, world, told, django_capture_on_commit_callbacks
):
    client.force_login(world.user("coordinator"))
    make(client, world, told["change"], django_capture_on_commit_callbacks)
    batch = LetterBatch.objects.get()
    url = reverse("invitations:letter_download", args=[world.programme.pk, batch.pk])

    assert client.head(url).status_code == 200
    assert not letter_rows(told["change"]).filter(state=MessageState.SENT).exists()
    download(client, world, batch)
    first = dict(letter_rows(told["change"]).values_list("pk", "sent_at"))
    download(client, world, batch)

    assert dict(letter_rows(told["change"]).values_list("pk", "sent_at")) == first
    assert None not in first.values()


def test_once_downloaded_the_page_says_printed_and_asking_again_says_so(
    client, world, told, django_capture_on_commit_callbacks
):
    client.force_login(world.user("coordinator"))
    make(client, world, told["change"], django_capture_on_commit_callbacks)
    batch = LetterBatch.objects.get()
    download(client, world, batch)

    html = client.get(letters_url(world)).content.decode()
    part = html[html.index("Change letters to print") :]
    assert "all 2 letters printed, the last on" in part
    assert "letters to print —" not in part
    assert reverse("invitations:letter_batch", args=[world.programme.pk, batch.pk]) in part  # again

    again = client.post(
        letters_url(world), {"school": world.school.pk, "letter": f"change-{told['change'].pk}"}, follow=True
    )
    assert "The letters about this change for Millbrook Primary have all been printed already." in (
        again.content.decode()
    )
    assert LetterBatch.objects.count() == 1


def test_a_downloaded_invitation_batch_marks_nothing(client, world, told, django_capture_on_commit_callbacks):
    client.force_login(world.user("coordinator"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(letters_url(world), {"school": world.school.pk, "letter": "invitation"})
    batch = LetterBatch.objects.get()
    rows = dict(Message.objects.values_list("pk", "state"))

    download(client, world, batch)

    assert dict(Message.objects.values_list("pk", "state")) == rows


# Bad input ------------------------------------------------------------------------------------------------


@pytest.fixture
def other_programmes_change(world):
    """A told change to another programme's session (the same school takes part in both)."""
    programme = event_services.create_programme(
        neighbourhood=world.neighbourhood,
        title="Another programme",
        key_question="What next?",
        first_date=timezone.localdate() + timedelta(days=60),
        venue=world.venue,
        schools=[world.school],
        created_by=world.user("facilitator"),
    )
    _open(programme)
    letter_person(programme, world.school, "Ama Owusu")
    return move(programme.sessions.get(order=2), days=1)


@pytest.mark.parametrize(
    "letter",
    ["other-programme", "change-999999", "change-abc", "change-", "change-1e9", "change-" + "9" * 30],
)
def test_a_change_that_is_not_this_programmes_is_refused_clearly(
    client, world, told, other_programmes_change, letter
):
    if letter == "other-programme":
        letter = f"change-{other_programmes_change.pk}"
    client.force_login(world.user("coordinator"))

    response = client.post(letters_url(world), {"school": world.school.pk, "letter": letter}, follow=True)

    assert (
        "We could not find that change to one of this programme&#x27;s sessions." in response.content.decode()
    )
    assert not LetterBatch.objects.exists()
    assert not Message.objects.filter(state=MessageState.SENT).exists()


def test_a_change_since_replaced_by_another_is_refused_and_left_out(
    client, world, told, django_capture_on_commit_callbacks
):
    newer = move(told["session"], days=1)
    client.force_login(world.user("coordinator"))

    html = client.get(letters_url(world)).content.decode()
    response = client.post(
        letters_url(world), {"school": world.school.pk, "letter": f"change-{told['change'].pk}"}, follow=True
    )

    assert f"change-{newer.pk}" in html and f"change-{told['change'].pk}" not in html
    assert "The letters about that change are no longer needed" in response.content.decode()
    assert not LetterBatch.objects.exists()


def test_a_change_whose_day_has_passed_is_refused_and_left_out(client, world, told):
    SessionChange.objects.filter(pk=told["change"].pk).update(
        new_date=timezone.localdate() - timedelta(days=1)
    )
    client.force_login(world.user("coordinator"))

    html = client.get(letters_url(world)).content.decode()
    response = client.post(
        letters_url(world), {"school": world.school.pk, "letter": f"change-{told['change'].pk}"}, follow=True
    )

    assert "Change letters to print" not in html
    assert "The letters about that change are no longer needed" in response.content.decode()
    assert not LetterBatch.objects.exists()


def test_a_change_with_nobody_at_that_school_to_write_to_says_so(client, world):
    world.programme.schools.add(world.other_school)
    _open(world.programme)
    email_person(world.programme, world.school, "Erin Email")
    letter_person(world.programme, world.other_school, "Stella Other")
    change = move(world.programme.sessions.get(order=2), days=1)
    client.force_login(world.user("coordinator"))

    html = client.get(letters_url(world)).content.decode()
    response = client.post(
        letters_url(world), {"school": world.school.pk, "letter": f"change-{change.pk}"}, follow=True
    )

    assert "Change letters to print" not in html
    assert (
        "Nobody from Millbrook Primary is to hear of this change by letter, so there are no letters about it "
        "to print." in response.content.decode()
    )
    assert not LetterBatch.objects.exists()


def test_someone_who_asked_not_to_be_contacted_gets_no_change_letter(
    client, world, told, django_capture_on_commit_callbacks
):
    told["bilal"].opted_out_at = timezone.now()
    told["bilal"].save()
    client.force_login(world.user("coordinator"))

    html = client.get(letters_url(world)).content.decode()
    make(client, world, told["change"], django_capture_on_commit_callbacks)

    assert '1 letter to print — <span class="change-names">Ama Owusu</span>' in html
    (page,) = pages(download(client, world, LetterBatch.objects.get()))
    assert "Ama Owusu" in page and "Bilal Khan" not in page
    assert letter_rows(told["change"]).get(invitation=told["bilal"]).state == MessageState.SCHEDULED


# The invitation list says who still needs one -------------------------------------------------------------


def test_the_invitation_list_shows_who_still_needs_a_change_letter(
    client, world, told, django_capture_on_commit_callbacks
):
    client.force_login(world.user("coordinator"))
    list_url = reverse("invitations:list", args=[world.programme.pk])

    before = client.get(list_url).content.decode()
    make(client, world, told["change"], django_capture_on_commit_callbacks)
    download(client, world, LetterBatch.objects.get())
    after = client.get(list_url).content.decode()

    def row(html, name):
        start = html.index(f'<th scope="row" class="fw-normal">{name}')
        return html[start : html.index("</tr>", start)]

    assert "change letter to print" in row(before, "Ama Owusu")
    assert "change letter to print" in row(before, "Bilal Khan")
    assert "change letter to print" not in row(before, "Erin Email")
    for name in ("Ama Owusu", "Bilal Khan"):
        assert "change letter to print" not in row(after, name)
        assert "letter printed " + timezone.localdate().strftime("%-d %b %Y") in row(after, name)


def test_the_facilitator_sees_how_many_change_letters_schools_still_have_to_print(client, world, told):
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("invitations:list", args=[world.programme.pk])).content.decode()

    assert "2 letters about a changed session still to print by schools" in html


def test_the_list_and_letters_page_query_counts_do_not_grow_with_change_letters(client, world, told):
    client.force_login(world.user("facilitator"))
    urls = [reverse("invitations:list", args=[world.programme.pk]), letters_url(world)]
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as one:
            assert client.get(url).status_code == 200
        counts.append(len(one))
    Message.objects.bulk_create(
        new_message(
            invitation_id=letter_person(world.programme, world.school, f"Parent {number} Example").pk,
            kind=MessageKind.CHANGE,
            channel=Channel.LETTER,
            scheduled_for=told["change"].told_at,
            topic=told["change"],
        )
        for number in range(8)
    )

    for url, count in zip(urls, counts, strict=True):
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert response.status_code == 200 and "Parent 7 Example" in response.content.decode()
        assert len(many) == count, url
    assert letter_rows(told["change"]).filter(state=MessageState.SCHEDULED).count() == 10
