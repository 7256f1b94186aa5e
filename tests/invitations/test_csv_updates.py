"""Issue 17, part 4: the CSV import says what it will change about someone already known, and changes it
on confirm, within the importer's permissions. Before, a row matching someone known said "will add" and
threw the file's phone number and language away."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core.models import Message
from events import services as event_services
from invitations.enums import Channel, MessageState, PersonEvent
from invitations.models import Invitee, PersonChange
from invitations.services import csv_import, school_exports
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory, InviteeFactory

pytestmark = pytest.mark.django_db
HEADER = "name,category,organisation,email,phone,language,mobile,texts agreed\n"


def known(world, **fields):
    defaults = {
        "neighbourhood": world.neighbourhood,
        "name": "Grace Obi",
        "email": "grace@example.org",
        "organisation": world.school,
        "language": "en",
    }
    return InviteeFactory(**{**defaults, **fields})


def row_for(world, line: str, role: str = "facilitator") -> csv_import.Row:
    [row] = csv_import.preview_csv(programme=world.programme, text=HEADER + line, user=world.user(role)).rows
    return row


def line(world, *, phone="", language="", mobile="", agreed="") -> str:
    return f"Grace Obi,parent,{world.school.name},grace@example.org,{phone},{language},{mobile},{agreed}\n"


def test_someone_known_but_not_invited_will_be_added_and_updated(world):
    grace = known(world, phone="")
    row = row_for(world, line(world, phone="0161 496 0000", language="Urdu"))

    assert row.status == "add" and row.invitee == grace
    assert row.update_words == "phone, language"

    result = csv_import.import_csv(
        programme=world.programme,
        text=HEADER + line(world, phone="0161 496 0000", language="Urdu"),
        user=world.user("facilitator"),
    )
    grace.refresh_from_db()
    assert (grace.phone, grace.language) == ("0161 496 0000", "ur")
    assert world.programme.invitations.filter(invitee=grace).count() == 1
    assert len(result.updating) == 1


def test_someone_already_invited_is_updated_and_not_invited_twice(world):
    grace = known(world)
    InvitationFactory(programme=world.programme, invitee=grace)
    row = row_for(world, line(world, mobile="07700 900123", agreed="yes"))

    assert row.status == "already"
    assert row.update_words == "mobile, agreement to texts"
    csv_import.import_csv(
        programme=world.programme,
        text=HEADER + line(world, mobile="07700 900123", agreed="yes"),
        user=world.user("facilitator"),
    )
    grace.refresh_from_db()
    assert (grace.mobile, grace.texts_agreed) == ("+447700900123", True)
    assert world.programme.invitations.filter(invitee=grace).count() == 1


def test_empty_cells_never_blank_what_we_have_and_the_same_details_are_no_change(world):
    known(world, phone="0161 496 0000", language="ur")
    row = row_for(world, line(world, language="Urdu"))

    assert row.updates == {}
    assert row.update_words == ""


def test_a_new_mobile_clears_the_not_working_mark(world):
    grace = known(world, mobile="+447700900111", mobile_failed="Not a mobile", texts_agreed=True)
    csv_import.import_csv(
        programme=world.programme,
        text=HEADER + line(world, mobile="07700 900123"),
        user=world.user("facilitator"),
    )
    grace.refresh_from_db()
    assert (grace.mobile, grace.mobile_failed) == ("+447700900123", "")
    assert grace.contact_changed_at is not None


def test_an_update_that_would_break_a_rule_is_refused_beside_the_row(world):
    grace = known(
        world, channel=Channel.SMS, mobile="+447700900123", texts_agreed=True, email="grace@example.org"
    )
    row = row_for(world, line(world, agreed="no"))

    assert row.status == "error"
    assert any("agreed" in reason for reason in row.reasons)
    csv_import.import_csv(
        programme=world.programme, text=HEADER + line(world, agreed="no"), user=world.user("facilitator")
    )
    grace.refresh_from_db()
    assert grace.texts_agreed is True


def test_a_coordinator_cannot_change_someone_of_another_organisation(world):
    other = known(world, organisation=world.other_school, phone="")
    InvitationFactory(programme=world.programme, invitee=other)
    text = f"Grace Obi,parent,{world.school.name},grace@example.org,0161 496 0000,,,\n"

    row = row_for(world, text, role="coordinator")
    csv_import.import_csv(programme=world.programme, text=HEADER + text, user=world.user("coordinator"))

    assert row.updates == {}
    other.refresh_from_db()
    assert other.phone == ""
    assert Invitee.objects.filter(email="grace@example.org").count() == 1


# --- Someone known by the one rule for names (invitations.names.fold) --------------------------------


@pytest.mark.parametrize(
    ("known_as", "written"), [("Łukasz Ødegård", "lukasz odegard"), ("Grace Obi", "GRÁCE OBI")]
)
def test_a_row_without_email_finds_someone_known_by_the_one_rule_for_names(world, known_as, written):
    person = known(world, name=known_as, email="", channel=Channel.LETTER, phone="")
    text = f"{written},parent,{world.school.name},,0161 496 0000,,,\n"

    row = row_for(world, text)
    csv_import.import_csv(programme=world.programme, text=HEADER + text, user=world.user("facilitator"))

    assert (row.status, row.invitee, row.update_words) == ("add", person, "phone")
    assert Invitee.objects.count() == 1
    person.refresh_from_db()
    assert person.phone == "0161 496 0000"


def test_the_same_name_twice_in_a_file_is_the_same_person_by_the_one_rule(world):
    text = f"Łukasz Ødegård,parent,{world.school.name},,,,,\nLUKASZ ODEGARD,parent,{world.school.name},,,,,\n"

    first, second = csv_import.preview_csv(
        programme=world.programme, text=HEADER + text, user=world.user("facilitator")
    ).rows

    assert first.status == "add"
    assert (second.status, second.reasons) == ("error", ["The same person is on line 2."])


# --- Through the one path of a change of details (services.people.change_details) --------------------


def test_a_change_made_since_the_preview_is_kept(world):
    """The preview read Grace before a bounce marked her email as not working and her reply asked to
    keep in touch; confirming the file changes only what the file says."""
    grace = known(world, phone="")
    InvitationFactory(programme=world.programme, invitee=grace)
    preview = csv_import.preview_csv(
        programme=world.programme,
        text=HEADER + line(world, phone="0161 496 0000"),
        user=world.user("facilitator"),
    )
    Invitee.objects.filter(pk=grace.pk).update(
        email_failed="550 5.1.1 no such user", keep_in_touch=True, keep_in_touch_at=timezone.now()
    )

    with transaction.atomic():
        csv_import.apply_preview(programme=world.programme, user=world.user("facilitator"), preview=preview)

    grace.refresh_from_db()
    assert grace.phone == "0161 496 0000"
    assert grace.email_failed == "550 5.1.1 no such user" and grace.keep_in_touch is True


def test_a_new_mobile_puts_back_the_way_a_bounce_moved_them_from(world):
    grace = known(
        world,
        email="",
        mobile="+447700900111",
        mobile_failed="Not a mobile",
        texts_agreed=True,
        channel=Channel.LETTER,
        fell_back_from=Channel.SMS,
    )
    text = f"Grace Obi,parent,{world.school.name},,,,07700 900123,yes\n"

    csv_import.import_csv(programme=world.programme, text=HEADER + text, user=world.user("facilitator"))

    grace.refresh_from_db()
    assert (grace.mobile, grace.mobile_failed) == ("+447700900123", "")
    assert (grace.channel, grace.fell_back_from) == (Channel.SMS, "")


def test_an_update_is_one_line_of_history_and_re_plans_their_other_programmes(world):
    """Grace's texts bounced, so she was moved to letters. A file with her new mobile puts her back on
    texts (as fixing it by hand does), writes one line of her history, and re-plans her messages on
    every programme she is on, not only the one the file was imported into."""
    grace = known(
        world,
        email="",
        mobile="+447700900111",
        mobile_failed="Not a mobile",
        texts_agreed=True,
        channel=Channel.LETTER,
        fell_back_from=Channel.SMS,
    )
    InvitationFactory(programme=world.programme, invitee=grace)
    other = event_services.create_programme(
        neighbourhood=world.neighbourhood,
        title="Better Together again",
        key_question="What would help?",
        first_date=timezone.localdate() + timedelta(days=60),
        venue=world.venue,
        schools=[world.school],
        created_by=world.user("facilitator"),
    )
    elsewhere = InvitationFactory(programme=other, invitee=grace)
    sync_schedule(programme=other)

    def channels_planned(invitation) -> set[str]:
        rows = Message.objects.filter(invitation=invitation, state=MessageState.SCHEDULED)
        return set(rows.values_list("channel", flat=True))

    assert channels_planned(elsewhere) == {Channel.LETTER}
    text = f"Grace Obi,parent,{world.school.name},,,,07700 900123,yes\n"

    csv_import.import_csv(programme=world.programme, text=HEADER + text, user=world.user("facilitator"))

    grace.refresh_from_db()
    assert (grace.mobile, grace.mobile_failed, grace.channel, grace.fell_back_from) == (
        "+447700900123",
        "",
        Channel.SMS,
        "",
    )
    [entry] = PersonChange.objects.filter(invitee=grace)
    assert (entry.event, entry.by, entry.programme) == (
        PersonEvent.IMPORTED,
        world.user("facilitator"),
        world.programme,
    )
    assert entry.fields["mobile"] == ["+447700900111", "+447700900123"]
    assert entry.fields["fell_back_from"] == [Channel.SMS, ""]
    assert channels_planned(elsewhere) == {Channel.SMS}


def test_an_update_that_can_no_longer_be_made_is_a_row_with_its_reason_and_the_rest_goes_on(world):
    """Between the preview and the confirm, someone else was given the email the file gives Grace (a
    school's export may give an email to someone known without one): her row is refused with the reason,
    nothing of it is changed, and the other rows are imported."""
    grace = known(world, email="", channel=Channel.LETTER, phone="")
    text = "Name,Email,Mobile\nGrace Obi,grace@example.org,\nAda Obi,ada@example.org,\n"
    reading = school_exports.Reading(
        mapping={"full_name": "name", "email": "email", "mobile": "mobile"}, school=world.school
    )
    preview = school_exports.preview_export(
        programme=world.programme, text=text, user=world.user("facilitator"), reading=reading
    )
    assert [row.status for row in preview.rows] == ["add", "add"]
    InviteeFactory(neighbourhood=world.neighbourhood, name="Someone Else", email="grace@example.org")

    with transaction.atomic():
        csv_import.apply_preview(programme=world.programme, user=world.user("facilitator"), preview=preview)

    row = preview.rows[0]
    assert row.status == "error" and "Each person needs their own" in " ".join(row.reasons)
    grace.refresh_from_db()
    assert grace.email == "" and not grace.history.exists()
    assert set(world.programme.invitations.values_list("invitee__name", flat=True)) == {"Ada Obi"}
