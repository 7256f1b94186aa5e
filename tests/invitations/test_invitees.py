"""The list-building services on their own: reading a CSV file, one person's rules, the balance."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from invitations.enums import Category, Channel
from invitations.models import Invitation, Invitee
from invitations.services import csv_import, invitees
from tests.factories import InvitationFactory, InviteeFactory, OrganisationFactory

HEADER = "name,category,role,organisation,email,phone,language,channel\n"


def preview(world, text: str, role: str = "facilitator") -> csv_import.Preview:
    return csv_import.preview_csv(programme=world.programme, text=text, user=world.user(role))


def test_decode_upload_accepts_utf8_with_and_without_bom():
    assert csv_import.decode_upload("\ufeffname\nZoé".encode()) == "name\nZoé"
    assert csv_import.decode_upload("name\nZoé".encode()) == "name\nZoé"


def test_decode_upload_refuses_another_encoding():
    with pytest.raises(ValidationError, match="isn't saved as UTF-8"):
        csv_import.decode_upload("name\nZoé".encode("cp1252"))


def test_decode_upload_refuses_a_file_over_2_mb():
    with pytest.raises(ValidationError, match="too large"):
        csv_import.decode_upload(b"x" * (csv_import.MAX_FILE_BYTES + 1))


@pytest.mark.parametrize(
    "value",
    [
        "Evil <a@b.com>",
        "a@b.com, c@d.com",
        "a@b.com c@d.com",
        "a@b.com\nBcc: c@d.com",
        "a@b.com\r",
        '"a"@b.com',
        "a@b@c.com",
        "nobody",
    ],
)
def test_clean_email_refuses_anything_but_one_bare_address(value):
    with pytest.raises(ValidationError, match="not a single email address"):
        invitees.clean_email(value)


def test_clean_email_refuses_an_address_too_long_for_a_mail_server():
    with pytest.raises(ValidationError, match="too long"):
        invitees.clean_email("a" * 64 + "@" + "b" * 190 + ".example.org")


def test_clean_email_refuses_what_is_not_an_address():
    with pytest.raises(ValidationError, match="doesn't look like an email address"):
        invitees.clean_email("amira@example")


def test_clean_email_lowercases():
    assert invitees.clean_email("Amira.Khan@Example.ORG") == "amira.khan@example.org"


def test_preview_accepts_labels_and_other_column_names(world):
    result = preview(
        world,
        "Full Name,Category,Staff Role,School,E-mail,Preferred language,How we reach them\n"
        "Helen Carter,School staff,Support staff,millbrook primary,H.Carter@example.org,polish,Email\n",
    )

    [row] = result.rows
    assert row.status == "add", row.reasons
    assert row.cleaned["category"] == Category.SCHOOL_STAFF
    assert row.cleaned["staff_role"] == "support_staff"
    assert row.cleaned["organisation"] == world.school
    assert row.cleaned["email"] == "h.carter@example.org"
    assert row.cleaned["language"] == "pl"


def test_preview_reads_a_file_separated_by_semicolons(world):
    result = preview(world, "name;category;organisation\nAmira Khan;parent;Millbrook Primary\n")

    assert [row.status for row in result.rows] == ["add"]
    assert result.rows[0].cleaned["channel"] == Channel.LETTER  # no email: a letter through school


def test_preview_skips_blank_lines_and_keeps_line_numbers(world):
    result = preview(
        world,
        HEADER + "Amira Khan,parent,,Millbrook Primary,a@example.org,,,\n,,,,,,,\n\nBad,alien,,,,,,\n,,,\n",
    )

    assert [(row.line, row.status) for row in result.rows] == [(2, "add"), (5, "error")]


def test_preview_refuses_a_column_named_twice(world):
    result = preview(world, "name,category,email,email\nAmira,parent,a@example.org,b@example.org\n")

    assert "These columns appear more than once: “email”." in result.file_error
    assert result.rows == []


def test_preview_refuses_a_file_the_csv_reader_cannot_read(world):
    result = preview(world, HEADER + '"' + "x" * 200_000 + '",parent,,,,,,\n')

    assert "We couldn't read this file as a CSV" in result.file_error


def test_preview_stops_reading_after_the_row_limit(world):
    rows = "".join(f"Person {n},parent,,Millbrook Primary,p{n}@example.org,,,\n" for n in range(10_000))

    with CaptureQueriesContext(connection) as queries:
        result = preview(world, HEADER + rows)

    assert "more than 2000 people" in result.file_error
    assert result.rows == []
    assert len(queries) == 0  # refused before a single row is looked up


def test_preview_query_count_does_not_grow_with_rows(world):
    def queries_for(count: int) -> int:
        rows = "".join(f"Person {n},parent,,Millbrook Primary,p{n}@example.org,,,\n" for n in range(count))
        with CaptureQueriesContext(connection) as queries:
            assert len(preview(world, HEADER + rows, role="coordinator").to_add) == count
        return len(queries)

    assert queries_for(1) == queries_for(50)


def test_preview_refuses_a_phone_number_with_letters(world):
    result = preview(world, HEADER + "Amira Khan,parent,,Millbrook Primary,a@example.org,call me,,\n")

    assert "“call me” doesn't look like a phone number." in result.rows[0].reasons


def test_preview_refuses_an_unknown_organisation_language_role_and_channel(world):
    result = preview(
        world, HEADER + "Amira Khan,school staff,cook,Nowhere School,a@example.org,,Klingon,pigeon\n"
    )

    reasons = " ".join(result.rows[0].reasons)
    assert "There is no organisation called “Nowhere School”" in reasons
    assert "Unknown role “cook”" in reasons
    assert "Unknown language “Klingon”" in reasons
    assert "Unknown channel “pigeon”" in reasons


def test_preview_reuses_someone_already_known_in_the_neighbourhood(world):
    known = InviteeFactory(
        neighbourhood=world.neighbourhood, organisation=world.school, email="amira@example.org"
    )

    result = preview(world, HEADER + "Amira K,parent,,Millbrook Primary,AMIRA@example.org,,,\n")

    assert result.rows[0].status == "add"
    assert result.rows[0].invitee == known


def test_preview_marks_someone_already_invited(world):
    InvitationFactory(
        programme=world.programme,
        invitee__name="Shabana Begum",
        invitee__email="",
        invitee__organisation=world.school,
        invitee__channel=Channel.LETTER,
    )

    result = preview(world, HEADER + "shabana  begum,parent,,Millbrook Primary,,,,letter\n")

    assert result.rows[0].status == "already"


def test_coordinator_cannot_import_an_email_known_at_another_organisation(world):
    InviteeFactory(neighbourhood=world.neighbourhood, organisation=world.group, email="jo@example.org")

    result = preview(
        world, HEADER + "Jo Bell,parent,,Millbrook Primary,jo@example.org,,,\n", role="coordinator"
    )

    assert result.rows[0].status == "error"
    assert "ask the facilitator" in result.rows[0].reasons[0]


def test_import_csv_adds_every_valid_row_in_one_go(world):
    text = HEADER + "Amira Khan,parent,,Millbrook Primary,a@example.org,,,\nBad,alien,,,,,,\n"

    result = csv_import.import_csv(programme=world.programme, text=text, user=world.user("facilitator"))

    assert len(result.to_add) == 1 and len(result.errors) == 1
    assert list(world.programme.invitations.values_list("invitee__name", flat=True)) == ["Amira Khan"]
    assert world.programme.invitations.get().messages.exists()


def test_import_csv_saves_nothing_when_the_file_is_refused(world):
    before = (Invitee.objects.count(), Invitation.objects.count())

    result = csv_import.import_csv(
        programme=world.programme, text="name,catagory\nAmira,parent\n", user=world.user("facilitator")
    )

    assert result.file_error
    assert (Invitee.objects.count(), Invitation.objects.count()) == before


def test_person_problems_name_the_field_at_fault(world):
    scope = invitees.scope_for(user=world.user("coordinator"), programme=world.programme)
    person = {
        "name": "Jo Bell",
        "category": Category.GROUP_WORKER,
        "staff_role": "teacher",
        "organisation": world.group,
        "email": "",
        "channel": Channel.LETTER,
    }

    fields = [field for field, _reason in invitees.person_problems(person, scope=scope)]

    assert fields == ["staff_role", "organisation", "category", "organisation"]


def test_check_person_still_returns_reasons(world):
    person = {
        "name": "A",
        "category": Category.PARENT,
        "organisation": world.school,
        "channel": Channel.EMAIL,
    }

    reasons = invitees.check_person(person, programme=world.programme, user=world.user("facilitator"))

    assert reasons == ["No email address: give one, or choose a letter through school."]


def test_invite_organisations_twice_invites_each_group_once(world):
    OrganisationFactory(
        neighbourhood=world.neighbourhood, name="Food Pantry", contact_email="food@example.org"
    )
    facilitator = world.user("facilitator")

    first = invitees.invite_organisations(programme=world.programme, user=facilitator)
    second = invitees.invite_organisations(programme=world.programme, user=facilitator)

    assert (first, second) == (2, 0)
    assert world.programme.invitations.count() == 2


def test_list_balance_counts_the_three_groups_without_those_who_opted_out(world):
    for category, how_many in [(Category.PARENT, 5), (Category.SCHOOL_STAFF, 3), (Category.COMMUNITY, 1)]:
        for _ in range(how_many):
            InvitationFactory(programme=world.programme, invitee__category=category)
    InvitationFactory(programme=world.programme, invitee__category=Category.GROUP_WORKER)
    InvitationFactory(
        programme=world.programme, invitee__category=Category.GROUP_WORKER, opted_out_at=timezone.now()
    )

    balance = invitees.list_balance(programme=world.programme)

    assert balance.total == 10 and balance.opted_out == 1
    assert [(g.key, g.count, g.share, g.low) for g in balance.groups] == [
        ("parents", 5, 50, False),
        ("school_staff", 3, 30, False),
        ("groups", 2, 20, True),
    ]
    assert balance.aim == 3


def test_list_balance_of_an_empty_list_warns_of_nothing(world):
    balance = invitees.list_balance(programme=world.programme)

    assert balance.total == 0 and balance.low == []
