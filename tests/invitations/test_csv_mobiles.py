"""A CSV file's mobile numbers, its lists of ways ("email; text"), agreement to texts and interpreters.

Bad input first: each bad number or list gets a reason in its row, and the row is never added."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import Message
from invitations.enums import Channel, MessageKind
from invitations.models import Invitee
from invitations.services import csv_import

HEADER = "name,category,organisation,email,mobile,channel,texts agreed,interpreter\n"
SCHOOL = "Millbrook Primary"


def preview(world, text: str, role: str = "facilitator") -> csv_import.Preview:
    return csv_import.preview_csv(programme=world.programme, text=text, user=world.user(role))


def one_row(world, *, email="", mobile="", channel="", agreed="", interpreter="", organisation=SCHOOL):
    result = preview(
        world,
        HEADER + f'Amira Khan,parent,{organisation},{email},"{mobile}","{channel}",{agreed},{interpreter}\n',
    )
    [row] = result.rows
    return row


# --- Mobile numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mobile", "why"),
    [
        ("07700 900 12", "too short"),
        ("+44 20 7946 0000", "looks like a landline"),
        ("0800 123 4567", "freephone or service number"),
        ("07700 9OO123", "only digits"),
        ("call me on 07700 900123", "only digits"),
    ],
)
def test_a_bad_mobile_refuses_the_row_saying_which_and_why(world, mobile, why):
    row = one_row(world, email="amira@example.org", mobile=mobile)

    assert row.status == "error"
    [reason] = row.reasons
    assert f"The mobile number “{mobile}” can't be used" in reason
    assert why in reason


def test_a_row_with_a_bad_mobile_is_not_added(world):
    text = HEADER + f"Amira Khan,parent,{SCHOOL},amira@example.org,07700 900 12,email,,\n"

    result = csv_import.import_csv(programme=world.programme, text=text, user=world.user("facilitator"))

    assert [row.status for row in result.rows] == ["error"]
    assert not Invitee.objects.filter(name="Amira Khan").exists()


@pytest.mark.parametrize("mobile", ["07700 900123", "+447700900123", "447700900123", "07700-900-123"])
def test_a_good_mobile_is_kept_as_e164(world, mobile):
    row = one_row(world, mobile=mobile, channel="text")

    assert row.status == "add", row.reasons
    assert row.cleaned["mobile"] == "+447700900123"


def test_mobile_column_is_found_under_the_names_schools_use(world):
    for header in ["Mobile Number", "mobile phone", "SMS", "Text"]:
        result = preview(
            world, f"name,category,organisation,{header},channel\nAmira,parent,{SCHOOL},07700 900123,sms\n"
        )

        assert result.file_error == "", header
        assert result.rows[0].cleaned["mobile"] == "+447700900123", header


# --- The list of ways ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "main", "texts_too"),
    [
        ("email", Channel.EMAIL, False),
        ("text", Channel.SMS, False),
        ("sms", Channel.SMS, False),
        ("Text message", Channel.SMS, False),
        ("letter", Channel.LETTER, False),
        ("email; sms", Channel.EMAIL, True),
        ("email, text", Channel.EMAIL, True),
        ("letter + sms", Channel.LETTER, True),
        ("SMS; Email", Channel.EMAIL, True),
        ("Email and texts", Channel.EMAIL, True),
        ("Letter through school and texts", Channel.LETTER, True),
        ("text; sms", Channel.SMS, False),
    ],
)
def test_a_channel_list_gives_the_main_way_and_texts_as_well(world, channel, main, texts_too):
    row = one_row(world, email="amira@example.org", mobile="07700 900123", channel=channel)

    assert row.status == "add", row.reasons
    assert (row.cleaned["channel"], row.cleaned["texts_too"]) == (main, texts_too)


@pytest.mark.parametrize("channel", ["email; letter", "letter, email", "email + letter + sms"])
def test_email_and_a_letter_together_are_refused_with_a_plain_reason(world, channel):
    row = one_row(world, email="amira@example.org", mobile="07700 900123", channel=channel)

    assert row.status == "error"
    assert row.reasons == [
        "Choose email or a letter, not both: a letter goes home to people we do not email. "
        "Texts can go as well as either, for example “email; text”."
    ]


@pytest.mark.parametrize("channel", ["pigeon", "email; pigeon", ";"])
def test_an_unknown_way_is_refused(world, channel):
    row = one_row(world, email="amira@example.org", channel=channel)

    assert row.status == "error"
    assert f"Unknown channel “{channel}”" in row.reasons[0]


@pytest.mark.parametrize("channel", ["sms", "text", "email; sms"])
def test_texts_without_a_mobile_are_refused(world, channel):
    row = one_row(world, email="amira@example.org", channel=channel)

    assert row.status == "error"
    assert row.reasons == ["No mobile number: text messages need one."]


def test_texts_someone_did_not_agree_to_are_refused(world):
    row = one_row(world, mobile="07700 900123", channel="sms", agreed="no")

    assert row.status == "error"
    assert row.reasons == ["Text messages go only to people who have agreed to get them."]


# --- Agreement to texts, and the way chosen when the file names none ---------------------------------------


def test_a_list_naming_texts_means_they_agreed(world):
    assert one_row(world, mobile="07700 900123", channel="letter + sms").cleaned["texts_agreed"] is True
    assert one_row(world, mobile="07700 900123", channel="text").cleaned["texts_agreed"] is True


def test_a_mobile_without_texts_in_the_list_is_not_agreement(world):
    row = one_row(world, email="amira@example.org", mobile="07700 900123", channel="email")

    assert row.status == "add"
    assert row.cleaned["texts_agreed"] is False and row.cleaned["texts_too"] is False


@pytest.mark.parametrize(
    ("written", "agreed"),
    [
        ("yes", True),
        ("Y", True),
        ("TRUE", True),
        ("1", True),
        ("no", False),
        ("n", False),
        ("False", False),
        ("0", False),
    ],
)
def test_texts_agreed_reads_yes_and_no_as_spreadsheets_write_them(world, written, agreed):
    row = one_row(world, email="amira@example.org", mobile="07700 900123", channel="email", agreed=written)

    assert row.status == "add", row.reasons
    assert row.cleaned["texts_agreed"] is agreed


def test_texts_agreed_that_is_neither_yes_nor_no_is_refused(world):
    row = one_row(world, email="amira@example.org", mobile="07700 900123", agreed="maybe")

    assert row.status == "error"
    assert row.reasons == ["In “texts agreed”, “maybe” is not yes or no."]


def test_consent_column_is_texts_agreed(world):
    result = preview(
        world, f"name,category,organisation,mobile,consent\nAmira,parent,{SCHOOL},07700 900123,yes\n"
    )

    assert result.rows[0].cleaned["texts_agreed"] is True


@pytest.mark.parametrize(
    ("email", "mobile", "agreed", "main"),
    [
        ("amira@example.org", "07700 900123", "yes", Channel.EMAIL),
        ("", "07700 900123", "yes", Channel.SMS),
        ("", "07700 900123", "", Channel.LETTER),  # a number alone is not agreement to texts
        ("", "07700 900123", "no", Channel.LETTER),
        ("", "", "", Channel.LETTER),
    ],
)
def test_without_a_channel_email_comes_first_then_texts_then_a_letter(world, email, mobile, agreed, main):
    row = one_row(world, email=email, mobile=mobile, agreed=agreed)

    assert row.status == "add", row.reasons
    assert row.cleaned["channel"] == main and row.cleaned["texts_too"] is False


def test_interpreter_is_read_as_yes_or_no(world):
    assert one_row(world, interpreter="yes").cleaned["interpreter"] is True
    assert one_row(world, interpreter="").cleaned["interpreter"] is False
    row = one_row(world, interpreter="Polish")
    assert row.status == "error"
    assert row.reasons == ["In “interpreter”, “Polish” is not yes or no."]


# --- Importing ------------------------------------------------------------------------------------------------


def test_import_keeps_the_number_consent_ways_and_interpreter_and_plans_texts(world):
    text = (
        HEADER
        + f"Amira Khan,parent,{SCHOOL},,07700 900123,text,,yes\n"
        + f'Tomasz Nowak,parent,{SCHOOL},,+44 7700 900456,"letter + sms",,\n'
    )

    result = csv_import.import_csv(programme=world.programme, text=text, user=world.user("coordinator"))

    assert [row.status for row in result.rows] == ["add", "add"]
    amira = Invitee.objects.get(name="Amira Khan")
    assert (amira.mobile, amira.channel, amira.texts_too, amira.texts_agreed, amira.interpreter) == (
        "+447700900123",
        Channel.SMS,
        False,
        True,
        True,
    )
    tomasz = Invitee.objects.get(name="Tomasz Nowak")
    assert (tomasz.channel, tomasz.texts_too, tomasz.texts_agreed) == (Channel.LETTER, True, True)
    invitations = Message.objects.filter(kind=MessageKind.INVITATION)
    assert set(invitations.filter(invitation__invitee=amira).values_list("channel", flat=True)) == {"sms"}
    assert set(invitations.filter(invitation__invitee=tomasz).values_list("channel", flat=True)) == {
        "letter",
        "sms",
    }


def test_preview_page_shows_the_number_as_people_write_it_and_the_ways(client, world):
    client.force_login(world.user("facilitator"))
    text = HEADER + f'Amira Khan,parent,{SCHOOL},amira@example.org,+447700900123,"email; sms",,\n'

    response = client.post(
        reverse("invitations:import", args=[world.programme.pk]),
        {"file": SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")},
    )

    html = response.content.decode()
    assert "07700 900123" in html and "Email and texts" in html and "agreed to texts" in html


def test_import_page_explains_the_new_columns_and_the_default_consent(client, world):
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("invitations:import", args=[world.programme.pk])).content.decode()

    for column in ["mobile", "texts agreed", "interpreter"]:
        assert f"<code>{column}</code>" in html
    assert "<code>email; text</code>" in html
    assert "has only the parents who agreed to them" in html
