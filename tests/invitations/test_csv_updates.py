"""Issue 17, part 4: the CSV import says what it will change about someone already known, and changes it
on confirm, within the importer's permissions. Before, a row matching someone known said "will add" and
threw the file's phone number and language away."""

import pytest

from invitations.enums import Channel
from invitations.models import Invitee
from invitations.services import csv_import
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
