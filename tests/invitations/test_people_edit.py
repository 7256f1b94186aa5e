"""Issue 17, part 1: editing a person on a programme's list (every programme they are on sees it), their
history (edits, the Fix page, an import's updates) and undoing a line of it (services.people)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import Message
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import Category, Channel, MessageKind, MessageState, PersonEvent
from invitations.models import Invitation, Invitee, PersonChange
from invitations.services import csv_import, people
from invitations.services.invitees import update_contact
from invitations.services.schedule import sync_schedule
from tests.events.test_forms import field_error
from tests.factories import InvitationFactory, InviteeFactory

BOUNCE = "550 5.1.1 <amira@example.org>: No such user"


def amira(world, **invitee) -> Invitation:
    """A parent at the coordinator's school, reached by email, with her messages planned."""
    defaults = {"name": "Amira Khan", "email": "amira@example.org", "organisation": world.school}
    invitation = InvitationFactory(
        programme=world.programme,
        **{f"invitee__{key}": value for key, value in {**defaults, **invitee}.items()},
    )
    sync_schedule(programme=world.programme)
    return invitation


def edit_url(invitation: Invitation) -> str:
    return reverse("invitations:edit_person", args=[invitation.programme_id, invitation.pk])


def history_url(invitation: Invitation) -> str:
    return reverse("invitations:person_history", args=[invitation.programme_id, invitation.pk])


def undo_url(invitation: Invitation, change: PersonChange) -> str:
    return reverse("invitations:undo_change", args=[invitation.programme_id, invitation.pk, change.pk])


def form_data(invitee: Invitee, **changes) -> dict:
    """What the edit page posts: every field as it is now, then ``changes`` (None unticks a box)."""
    data = {
        "name": invitee.name,
        "category": invitee.category,
        "staff_role": invitee.staff_role,
        "organisation": invitee.organisation_id or "",
        "email": invitee.email,
        "mobile": invitee.mobile,
        "phone": invitee.phone,
        "language": invitee.language,
        "channel": invitee.channel,
        "address": invitee.address,
        "notes": invitee.notes,
    }
    data.update(
        {flag: "on" for flag in ("texts_agreed", "interpreter", "texts_too") if getattr(invitee, flag)}
    )
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def signed_in(client, world, role="facilitator"):
    client.force_login(world.user(role))
    return client


def rows(invitation: Invitation, **filters) -> list[tuple[str, str, str]]:
    return sorted(
        Message.objects.filter(invitation=invitation, **filters).values_list("kind", "channel", "state")
    )


# --- Editing each field through the page -------------------------------------------------------------------


EDITS = [
    ({"name": "  Amira   Khan-Rahmanova "}, {"name": "Amira Khan-Rahmanova"}),
    (
        {"category": "school_staff", "staff_role": "teacher"},
        {"category": "school_staff", "staff_role": "teacher"},
    ),
    ({"organisation": "group"}, {"organisation": "group"}),
    ({"email": "Amira.Khan@Example.org"}, {"email": "amira.khan@example.org"}),
    ({"mobile": "07700 900456", "texts_agreed": "on"}, {"mobile": "+447700900456", "texts_agreed": True}),
    ({"phone": "0161 496 0000"}, {"phone": "0161 496 0000"}),
    ({"language": "pl"}, {"language": "pl"}),
    ({"channel": "letter"}, {"channel": "letter"}),
    (
        {"channel": "sms", "mobile": "07700 900456", "texts_agreed": "on"},
        {"channel": "sms", "mobile": "+447700900456", "texts_agreed": True},
    ),
    (
        {"mobile": "07700 900456", "texts_agreed": "on", "texts_too": "on"},
        {"mobile": "+447700900456", "texts_agreed": True, "texts_too": True},
    ),
    ({"interpreter": "on"}, {"interpreter": True}),
    ({"address": "3 Mill  Lane,\n Millbrook  M1 2AB"}, {"address": "3 Mill Lane, Millbrook M1 2AB"}),
    ({"notes": "  Prefers a phone call after 3pm.\n"}, {"notes": "Prefers a phone call after 3pm."}),
]


@pytest.mark.parametrize(("changes", "expected"), EDITS, ids=lambda value: ",".join(value))
def test_each_field_is_saved_and_is_a_line_of_history(client, world, changes, expected):
    invitation = amira(world)
    if changes.get("organisation") == "group":
        changes = {**changes, "organisation": world.group.pk}
        expected = {**expected, "organisation": world.group.pk}
    signed_in(client, world)

    response = client.post(edit_url(invitation), form_data(invitation.invitee, **changes))

    assert response.status_code == 302, response.context["form"].errors
    assert response.url == reverse("invitations:list", args=[world.programme.pk])
    person = Invitee.objects.get(pk=invitation.invitee_id)
    assert {name: people.stored_value(person, name) for name in expected} == expected
    line = PersonChange.objects.get(invitee=person)
    assert (line.event, line.by, line.programme) == (
        PersonEvent.EDITED,
        world.user("facilitator"),
        world.programme,
    )
    assert set(line.fields) == set(expected)
    assert all(line.fields[name][1] == value for name, value in expected.items())


def test_the_page_is_prefilled_and_says_every_programme_they_are_on_sees_the_change(client, world):
    invitation = amira(world, mobile="+447700900123", texts_agreed=True, address="3 Mill Lane")
    other = events_services.create_programme(
        neighbourhood=world.neighbourhood,
        title="Summer get-togethers",
        key_question="?",
        first_date=timezone.localdate() + timedelta(days=90),
        venue=world.venue,
        created_by=world.user("facilitator"),
    )
    InvitationFactory(programme=other, invitee=invitation.invitee)
    signed_in(client, world)

    response = client.get(edit_url(invitation))

    form = response.context["form"]
    assert form["name"].value() == "Amira Khan"
    assert form["mobile"].value() == "07700 900123"
    assert form["address"].value() == "3 Mill Lane"
    assert form["organisation"].value() == world.school.pk
    html = response.content.decode()
    assert "a change on every programme they are on" in html
    assert "Summer get-togethers" in html


def test_nothing_changed_writes_no_line(client, world):
    invitation = amira(world)
    signed_in(client, world)

    response = client.post(edit_url(invitation), form_data(invitation.invitee), follow=True)

    assert "Nothing was changed." in response.content.decode()
    assert not PersonChange.objects.exists()


def test_someone_met_on_the_day_keeps_no_messages(client, world):
    invitation = amira(world, email="", channel=Channel.NONE)
    signed_in(client, world)

    response = client.post(edit_url(invitation), form_data(invitation.invitee, name="Amira K."))

    assert response.status_code == 302
    person = Invitee.objects.get(pk=invitation.invitee_id)
    assert (person.name, person.channel) == ("Amira K.", Channel.NONE)


# --- Bad input ------------------------------------------------------------------------------------------


def test_an_email_someone_else_has_is_refused_beside_the_field(client, world):
    invitation = amira(world)
    InviteeFactory(neighbourhood=world.neighbourhood, email="grace@example.org")
    signed_in(client, world)

    response = client.post(
        edit_url(invitation), form_data(invitation.invitee, email="Grace@Example.org", name="A K")
    )

    assert response.status_code == 200
    assert "Someone else in this neighbourhood has this email address" in field_error(response, "email")
    person = Invitee.objects.get(pk=invitation.invitee_id)
    assert (person.email, person.name) == ("amira@example.org", "Amira Khan")
    assert not PersonChange.objects.exists()


def test_the_same_email_in_another_neighbourhood_is_fine(client, world):
    invitation = amira(world)
    InviteeFactory(neighbourhood=world.other_neighbourhood, email="grace@example.org")
    signed_in(client, world)

    response = client.post(edit_url(invitation), form_data(invitation.invitee, email="grace@example.org"))

    assert response.status_code == 302
    assert Invitee.objects.get(pk=invitation.invitee_id).email == "grace@example.org"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"email": "amira@example"}, "email", "doesn't look like an email address"),
        ({"email": "a@x.org, b@y.org"}, "email", "is not a single email address"),
        ({"email": ""}, "email", "No email address"),
        ({"mobile": "020 7946 0000"}, "mobile", "landline"),
        ({"channel": "sms", "mobile": "07700 900456"}, "texts_agreed", "agreed"),
        ({"texts_too": "on"}, "mobile", "No mobile number"),
        ({"category": "school_staff"}, "staff_role", "School staff need a role"),
        ({"staff_role": "teacher"}, "staff_role", "Only school staff"),
        ({"channel": "letter", "organisation": ""}, "organisation", "Letters go through a school"),
        ({"channel": "none"}, "channel", "Please choose email, text message or a letter"),
        ({"name": "=HYPERLINK(1)"}, "name", "formula"),
        ({"name": ""}, "name", "Please give their name."),
        ({"notes": "x" * 2001}, "notes", "at most 2000"),
        ({"language": "xx"}, "language", "Select a valid choice"),
    ],
)
def test_bad_details_are_refused_beside_their_field_and_nothing_changes(client, world, changes, field, words):
    invitation = amira(world)
    signed_in(client, world)
    before = people.snapshot(invitation.invitee)

    response = client.post(edit_url(invitation), form_data(invitation.invitee, **changes))

    assert response.status_code == 200
    assert words in field_error(response, field)
    assert people.snapshot(Invitee.objects.get(pk=invitation.invitee_id)) == before
    assert not PersonChange.objects.exists()


def test_a_coordinator_cannot_open_or_change_another_schools_person(client, world):
    world.programme.schools.add(world.other_school)
    theirs = amira(world, organisation=world.other_school)
    signed_in(client, world, "coordinator")
    before = people.snapshot(theirs.invitee)

    assert client.get(edit_url(theirs)).status_code == 403
    assert client.post(edit_url(theirs), form_data(theirs.invitee, name="Someone Else")).status_code == 403
    assert client.get(history_url(theirs)).status_code == 403
    with pytest.raises(PermissionDenied):
        people.edit_person(invitation=theirs, details={"name": "Someone Else"}, by=world.user("coordinator"))
    assert people.snapshot(Invitee.objects.get(pk=theirs.invitee_id)) == before
    assert not PersonChange.objects.exists()


def test_a_coordinator_edits_their_own_schools_person_but_may_not_pick_another_school(client, world):
    world.programme.schools.add(world.other_school)
    mine = amira(world)
    signed_in(client, world, "coordinator")

    response = client.post(edit_url(mine), form_data(mine.invitee, organisation=world.other_school.pk))

    assert response.status_code == 200
    assert "Please choose one of the organisations in the list." in field_error(response, "organisation")
    assert Invitee.objects.get(pk=mine.invitee_id).organisation == world.school
    # The service refuses it too, whatever the form offers.
    with pytest.raises(ValidationError) as raised:
        people.edit_person(
            invitation=mine, details={"organisation": world.other_school}, by=world.user("coordinator")
        )
    assert "your own school only" in raised.value.message_dict["organisation"][0]
    # ... and a group for a parent: schools add parents, carers and staff.
    with pytest.raises(ValidationError) as raised:
        people.edit_person(
            invitation=mine, details={"category": Category.COMMUNITY}, by=world.user("coordinator")
        )
    assert list(raised.value.message_dict) == ["category"]
    assert Invitee.objects.get(pk=mine.invitee_id).organisation == world.school
    # What they may do: correct the details of their own school's parent.
    response = client.post(edit_url(mine), form_data(mine.invitee, phone="0161 496 0000"))
    assert response.status_code == 302
    assert Invitee.objects.get(pk=mine.invitee_id).phone == "0161 496 0000"


def test_a_forged_invitation_of_another_programme_is_not_found(client, world):
    invitation = amira(world)
    other = InvitationFactory(programme__neighbourhood=world.neighbourhood, invitee=invitation.invitee)
    signed_in(client, world)

    assert (
        client.get(reverse("invitations:edit_person", args=[world.programme.pk, other.pk])).status_code == 404
    )
    response = client.post(
        reverse("invitations:edit_person", args=[world.programme.pk, other.pk]),
        form_data(invitation.invitee, name="Forged"),
    )
    assert response.status_code == 404
    assert (
        client.get(reverse("invitations:person_history", args=[world.programme.pk, 999999])).status_code
        == 404
    )
    assert Invitee.objects.get(pk=invitation.invitee_id).name == "Amira Khan"


def test_posts_without_a_csrf_token_are_refused(world):
    invitation = amira(world)
    _person, line = people.edit_person(
        invitation=invitation, details={"name": "Amira K"}, by=world.user("facilitator")
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("facilitator"))

    assert client.post(edit_url(invitation), form_data(invitation.invitee, name="Changed")).status_code == 403
    assert client.post(undo_url(invitation, line)).status_code == 403
    assert Invitee.objects.get(pk=invitation.invitee_id).name == "Amira K"
    assert PersonChange.objects.get(pk=line.pk).undone_at is None


# --- A change of address: the Fix page's rules, and that person's messages re-planned only ---------------


def bounced(world) -> Invitation:
    """Amira's email bounced: she was moved to a letter through school (services.delivery)."""
    invitation = amira(world)
    Invitee.objects.filter(pk=invitation.invitee_id).update(
        channel=Channel.LETTER, email_failed=BOUNCE, fell_back_from=Channel.EMAIL
    )
    sync_schedule(programme=world.programme)
    invitation.invitee.refresh_from_db()
    return invitation


def test_a_new_email_clears_the_mark_and_brings_back_email_as_the_fix_page_does(client, world):
    invitation = bounced(world)
    assert ("invitation", "letter", "scheduled") in rows(invitation)
    signed_in(client, world)

    response = client.post(
        edit_url(invitation), form_data(invitation.invitee, email="amira.khan@example.org")
    )

    assert response.status_code == 302
    person = Invitee.objects.get(pk=invitation.invitee_id)
    assert (person.email, person.email_failed) == ("amira.khan@example.org", "")
    assert (person.channel, person.fell_back_from) == (Channel.EMAIL, "")
    assert person.contact_changed_at is not None
    assert not Message.objects.filter(
        invitation=invitation, channel=Channel.LETTER, state=MessageState.SCHEDULED
    ).exists()
    assert Message.objects.filter(
        invitation=invitation,
        channel=Channel.EMAIL,
        kind=MessageKind.INVITATION,
        state=MessageState.SCHEDULED,
    ).exists()
    line = PersonChange.objects.get(invitee=person)
    assert line.fields == {
        "email": ["amira@example.org", "amira.khan@example.org"],
        "email_failed": [BOUNCE, ""],
        "channel": ["letter", "email"],
        "fell_back_from": ["email", ""],
    }


def test_a_new_email_changes_the_person_on_every_programme_and_re_plans_each(world):
    invitation = amira(world, channel=Channel.LETTER, email="")
    other = events_services.create_programme(
        neighbourhood=world.neighbourhood,
        title="Summer get-togethers",
        key_question="?",
        first_date=timezone.localdate() + timedelta(days=90),
        venue=world.venue,
        schools=[world.school],
        created_by=world.user("facilitator"),
    )
    second = InvitationFactory(programme=other, invitee=invitation.invitee)
    sync_schedule(programme=other)
    assert {channel for _kind, channel, _state in rows(second, state=MessageState.SCHEDULED)} == {"letter"}

    people.edit_person(
        invitation=invitation,
        details={"email": "amira@example.org", "channel": Channel.EMAIL},
        by=world.user("facilitator"),
    )

    for each in (invitation, second):
        assert {channel for _kind, channel, _state in rows(each, state=MessageState.SCHEDULED)} == {"email"}


def test_one_persons_edit_costs_the_same_queries_at_5_and_at_60_people(world):
    def timed_edit(count: int) -> int:
        for _ in range(count - world.programme.invitations.count()):
            InvitationFactory(programme=world.programme)
        sync_schedule(programme=world.programme)
        target = amira(world, name=f"Person {count}", email=f"person{count}@example.org")
        others = list(world.programme.invitations.exclude(pk=target.pk)[:1])
        Message.objects.filter(invitation=others[0]).update(state=MessageState.CANCELLED)  # out of line
        with CaptureQueriesContext(connection) as queries:
            people.edit_person(
                invitation=target,
                details={"email": f"new{count}@example.org", "phone": "0161 496 0000"},
                by=world.user("facilitator"),
            )
        # Only that person was re-planned: the other's rows wait for the next full sync.
        assert not Message.objects.filter(invitation=others[0], state=MessageState.SCHEDULED).exists()
        return len(queries)

    few = timed_edit(5)
    many = timed_edit(60)

    assert world.programme.invitations.count() >= 60
    assert many == few


# --- The history ----------------------------------------------------------------------------------------


def test_the_fix_page_writes_a_line(client, world):
    invitation = bounced(world)
    signed_in(client, world, "coordinator")

    response = client.post(
        reverse("invitations:fix_contact", args=[invitation.invitee_id]),
        {"email": "amira.khan@example.org", "mobile": ""},
    )

    assert response.status_code == 302
    line = PersonChange.objects.get(invitee=invitation.invitee)
    assert (line.event, line.by) == (PersonEvent.EDITED, world.user("coordinator"))
    assert line.fields["email"] == ["amira@example.org", "amira.khan@example.org"]


def test_an_imports_updates_are_a_line(world):
    invitation = amira(world, name="Grace Obi", email="grace@example.org", phone="")
    text = (
        "name,category,organisation,email,phone,language\n"
        f"Grace Obi,parent,{world.school.name},grace@example.org,0161 496 0000,Urdu\n"
    )

    csv_import.import_csv(programme=world.programme, text=text, user=world.user("facilitator"))

    line = PersonChange.objects.get(invitee=invitation.invitee)
    assert (line.event, line.by, line.programme) == (
        PersonEvent.IMPORTED,
        world.user("facilitator"),
        world.programme,
    )
    assert line.fields == {"phone": ["", "0161 496 0000"], "language": ["en", "ur"]}
    # An import that changes nothing writes nothing.
    csv_import.import_csv(programme=world.programme, text=text, user=world.user("facilitator"))
    assert PersonChange.objects.filter(invitee=invitation.invitee).count() == 1


def test_a_line_keeps_only_what_changed(world):
    invitation = amira(world)
    record = {"invitee": invitation.invitee, "event": PersonEvent.IMPORTED, "by": None}

    assert people.record_change(**record, fields={"mobile_failed": ["", ""]}) is None
    line = people.record_change(**record, fields={"phone": ["", "0161 496 0000"], "mobile_failed": ["", ""]})

    assert line.fields == {"phone": ["", "0161 496 0000"]}
    removal = people.record_change(
        invitee=invitation.invitee, event=PersonEvent.REMOVED, by=world.user("admin")
    )
    assert removal.fields == {} and removal.by == world.user("admin")


def test_the_history_page_says_what_changed_in_words(client, world):
    invitation = amira(world)
    people.edit_person(
        invitation=invitation,
        details={
            "channel": Channel.SMS,
            "mobile": "+447700900456",
            "texts_agreed": True,
            "organisation": world.group,
            "category": Category.GROUP_WORKER,
        },
        by=world.user("facilitator"),
    )
    signed_in(client, world)

    response = client.get(history_url(invitation))

    html = response.content.decode()
    assert "Details changed" in html
    assert "How we reach them:</span> Email" in html
    assert "Text message" in html and ">sms<" not in html
    assert "Mobile number:</span> (none)" in html and "07700 900456" in html
    assert "Organisation or school:</span> Millbrook Primary" in html and "Tenants&#x27; Association" in html
    assert "Local group or agency worker" in html
    assert "Fatima" in html
    assert "Undo this change" in html


def test_the_history_page_costs_the_same_queries_however_long_the_history(client, world):
    invitation = amira(world)
    signed_in(client, world)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(history_url(invitation)).status_code == 200
        return len(queries)

    people.edit_person(
        invitation=invitation, details={"organisation": world.group}, by=world.user("facilitator")
    )
    few = page_queries()
    for number in range(15):
        people.edit_person(
            invitation=invitation, details={"phone": f"0161 496 00{number:02d}"}, by=world.user("admin")
        )
    many = page_queries()

    assert PersonChange.objects.filter(invitee=invitation.invitee).count() == 16
    assert many == few


# --- Undo -----------------------------------------------------------------------------------------------


def test_undo_puts_the_before_values_back_and_re_plans(client, world):
    invitation = amira(world)
    _person, line = people.edit_person(
        invitation=invitation,
        details={"email": "", "channel": Channel.LETTER, "name": "Amira K"},
        by=world.user("facilitator"),
    )
    assert {channel for _k, channel, _s in rows(invitation, state=MessageState.SCHEDULED)} == {"letter"}
    signed_in(client, world, "coordinator")

    response = client.post(undo_url(invitation, line), follow=True)

    assert "Undone." in response.content.decode()
    person = Invitee.objects.get(pk=invitation.invitee_id)
    assert (person.email, person.channel, person.name) == ("amira@example.org", Channel.EMAIL, "Amira Khan")
    assert {channel for _k, channel, _s in rows(invitation, state=MessageState.SCHEDULED)} == {"email"}
    line.refresh_from_db()
    assert line.undone_at is not None
    undo = PersonChange.objects.get(invitee=person, event=PersonEvent.UNDONE)
    assert undo.by == world.user("coordinator")
    assert undo.fields["email"] == ["", "amira@example.org"]
    assert "Undid the change of" in undo.note


def test_undoing_the_fix_of_a_bounced_email_puts_back_the_mark_and_the_letter(world):
    invitation = bounced(world)
    update_contact(
        invitee=invitation.invitee,
        email="amira.khan@example.org",
        mobile="",
        texts_agreed=False,
        by=world.user("facilitator"),
    )
    line = PersonChange.objects.get(invitee=invitation.invitee)

    people.undo_change(change=line, invitation=invitation, by=world.user("facilitator"))

    person = Invitee.objects.get(pk=invitation.invitee_id)
    assert (person.email, person.email_failed) == ("amira@example.org", BOUNCE)
    assert (person.channel, person.fell_back_from) == (Channel.LETTER, Channel.EMAIL)


def test_undo_after_a_later_change_is_refused(client, world):
    invitation = amira(world)
    _person, first = people.edit_person(
        invitation=invitation, details={"email": "b@example.org"}, by=world.user("facilitator")
    )
    people.edit_person(
        invitation=invitation, details={"email": "c@example.org"}, by=world.user("facilitator")
    )
    signed_in(client, world)

    response = client.post(undo_url(invitation, first), follow=True)

    assert "email address changed again since" in response.content.decode()
    assert Invitee.objects.get(pk=invitation.invitee_id).email == "c@example.org"
    first.refresh_from_db()
    assert first.undone_at is None
    assert not PersonChange.objects.filter(event=PersonEvent.UNDONE).exists()


def test_undo_twice_is_refused(client, world):
    invitation = amira(world)
    _person, line = people.edit_person(
        invitation=invitation, details={"phone": "0161 496 0000"}, by=world.user("admin")
    )
    signed_in(client, world)
    client.post(undo_url(invitation, line))
    people.edit_person(invitation=invitation, details={"name": "Amira K"}, by=world.user("admin"))

    response = client.post(undo_url(invitation, line), follow=True)

    assert "This change was undone already" in response.content.decode()
    assert PersonChange.objects.filter(event=PersonEvent.UNDONE).count() == 1
    assert Invitee.objects.get(pk=invitation.invitee_id).phone == ""
    with pytest.raises(ValidationError):
        people.undo_change(change=line, invitation=invitation, by=world.user("admin"))


def test_undo_is_refused_when_the_old_email_now_belongs_to_someone_else(world):
    invitation = amira(world)
    _person, line = people.edit_person(
        invitation=invitation, details={"email": "amira.k@example.org"}, by=world.user("facilitator")
    )
    InviteeFactory(neighbourhood=world.neighbourhood, email="amira@example.org")

    with pytest.raises(ValidationError) as raised:
        people.undo_change(change=line, invitation=invitation, by=world.user("facilitator"))

    assert "Someone else in this neighbourhood has this email address" in raised.value.messages[0]
    assert Invitee.objects.get(pk=invitation.invitee_id).email == "amira.k@example.org"
    line.refresh_from_db()
    assert line.undone_at is None


def test_a_coordinator_cannot_undo_a_move_to_another_school(world):
    """A facilitator moved Amira from St Anne's to the coordinator's school: the coordinator may not
    send her back to a school that is not theirs."""
    world.programme.schools.add(world.other_school)
    invitation = amira(world, organisation=world.other_school)
    _person, line = people.edit_person(
        invitation=invitation, details={"organisation": world.school}, by=world.user("facilitator")
    )

    with pytest.raises(ValidationError) as raised:
        people.undo_change(change=line, invitation=invitation, by=world.user("coordinator"))

    assert "your own school only" in raised.value.messages[0]
    assert Invitee.objects.get(pk=invitation.invitee_id).organisation == world.school


def test_a_line_of_someone_elses_history_is_not_found(client, world):
    invitation = amira(world)
    other = InvitationFactory(programme=world.programme)
    _person, line = people.edit_person(
        invitation=other, details={"phone": "0161 496 0000"}, by=world.user("admin")
    )
    signed_in(client, world)

    assert client.post(undo_url(invitation, line)).status_code == 404
    with pytest.raises(PermissionDenied):
        people.undo_change(change=line, invitation=invitation, by=world.user("admin"))
    assert Invitee.objects.get(pk=other.invitee_id).phone == "0161 496 0000"


def test_undo_refuses_get_and_a_removal_line(client, world):
    invitation = amira(world)
    people.remove_from_list(invitation=invitation, by=world.user("facilitator"))
    line = PersonChange.objects.get(event=PersonEvent.REMOVED)
    signed_in(client, world)

    assert client.get(undo_url(invitation, line)).status_code == 405
    with pytest.raises(ValidationError) as raised:
        people.undo_change(change=line, invitation=invitation, by=world.user("facilitator"))
    assert "Only a change of someone's details" in raised.value.messages[0]


def test_a_finished_programme_is_not_re_planned(world):
    invitation = amira(world)
    row = Message.objects.filter(invitation=invitation, state=MessageState.SCHEDULED).first()
    world.programme.status = ProgrammeStatus.FINISHED
    world.programme.save()

    people.edit_person(
        invitation=invitation, details={"channel": Channel.LETTER}, by=world.user("facilitator")
    )

    row.refresh_from_db()
    assert row.state == MessageState.SCHEDULED
