"""Retention done by the site (issue 18, part 3): the daily task deletes a programme's needs
``needs_kept_days`` after its last session and the contact details of people no programme needs
``contacts_kept_days`` after it, with the letters' and the record's PDFs; it keeps the counts; a second
run changes nothing. The programme page says what goes and when; a facilitator can delete a finished
programme's data now; the edit form refuses periods of 0 or 100,000 days."""

import os
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from actions.models import Action
from bettertogether.celery import app as celery_app
from evaluations.models import Word
from events.models import Programme
from invitations.enums import LetterState, PersonEvent
from invitations.models import Invitee, LetterBatch, Reply, ReplyToken
from invitations.services.emails import issue_reply_link
from invitations.services.retention import SOMEONE
from records.enums import RecordState
from records.models import EventRecord
from records.services import retention
from records.tasks import apply_retention as apply_retention_task
from tests.factories import InvitationFactory
from tests.records.helpers import add_action, add_words

from .privacy_helpers import NEEDS, also_on, counts, held_programme, person_on


def needs_of(invitation):
    reply = Reply.objects.get(invitation=invitation)
    return {name: getattr(reply, name) for name in NEEDS if name != "needs_agreed"}


NO_NEEDS = {
    "childcare_children": 0,
    "childcare_ages": "",
    "food_needs": "",
    "access_needs": "",
    "interpreter_language": "",
    "transport_help": False,
}


# --- Needs ----------------------------------------------------------------------------------------------


def test_the_task_deletes_needs_31_days_after_the_last_session_and_keeps_the_counts(world):
    programme = held_programme(world, days_ago=31)
    amira = person_on(programme, name="Amira Khan", email="amira@example.org", interpreter=True)
    staff = person_on(programme, category="school_staff", staff_role="teacher", came=False)
    add_words(programme.sessions.get(order=1), ["hopeful", "together"])
    action = add_action(programme, what="A play street on Saturdays", lead=amira)
    before = counts(programme)

    run = retention.apply_retention()

    assert run.needs == [programme.pk]
    assert needs_of(amira) == NO_NEEDS and needs_of(staff) == NO_NEEDS
    programme.refresh_from_db()
    assert programme.needs_deleted_at is not None
    assert programme.contacts_deleted_at is None  # contact details are kept for 365 days
    person = Invitee.objects.get(pk=amira.invitee_id)
    assert person.interpreter is False
    assert person.name == "Amira Khan" and person.email == "amira@example.org"
    assert counts(programme) == before
    assert Reply.objects.get(invitation=amira).needs_agreed is True  # what they agreed to is kept
    assert Word.objects.filter(session__programme=programme).count() == 2
    assert Action.objects.get(pk=action.pk).lead_id == amira.pk


def test_at_29_days_the_task_deletes_nothing(world):
    programme = held_programme(world, days_ago=29)
    amira = person_on(programme, interpreter=True)

    run = retention.apply_retention()

    assert run.summary() == {"needs": 0, "contacts": 0, "people": 0, "letters": 0, "records": 0}
    assert needs_of(amira)["food_needs"] == NEEDS["food_needs"]
    assert Invitee.objects.get(pk=amira.invitee_id).interpreter is True
    programme.refresh_from_db()
    assert programme.needs_deleted_at is None


def test_needs_go_on_the_day_the_period_ends(world):
    programme = held_programme(world, days_ago=30)
    amira = person_on(programme)

    retention.apply_retention()

    assert needs_of(amira) == NO_NEEDS


def test_a_programmes_own_period_counts_not_the_default(world):
    short = held_programme(world, days_ago=8, title="Kept a week", needs_kept_days=7)
    long = held_programme(world, days_ago=8, title="Kept a year", needs_kept_days=365)
    first, second = person_on(short), person_on(long)

    retention.apply_retention()

    assert needs_of(first) == NO_NEEDS
    assert needs_of(second)["access_needs"] == NEEDS["access_needs"]


def test_a_cancelled_session_after_the_last_one_held_does_not_count(world):
    programme = held_programme(world, days_ago=31)
    later = programme.sessions.create(
        kind="half_day",
        order=3,
        date=timezone.localdate() + timedelta(days=10),
        start_time="09:30",
        end_time="12:00",
        cancelled_at=timezone.now(),
    )
    amira = person_on(programme, needs={**NEEDS})
    assert later.is_cancelled

    retention.apply_retention()

    assert needs_of(amira) == NO_NEEDS


def test_an_interpreter_still_needed_by_a_later_programme_is_kept(world):
    programme = held_programme(world, days_ago=31)
    amira = person_on(programme, interpreter=True)
    also_on(world.programme, amira)  # the world's programme is still to come

    retention.apply_retention()

    assert needs_of(amira) == NO_NEEDS  # this programme's reply
    assert Invitee.objects.get(pk=amira.invitee_id).interpreter is True  # the person, for the next one


def test_a_programme_with_no_sessions_is_never_due(world):
    programme = Programme.objects.create(
        neighbourhood=world.neighbourhood, title="No dates", key_question="?"
    )
    invitation = InvitationFactory(programme=programme, invitee__neighbourhood=world.neighbourhood)
    Reply.objects.create(invitation=invitation, food_needs="Vegan", needs_agreed=True)

    run = retention.apply_retention(today=timezone.localdate() + timedelta(days=5000))

    assert run.needs == run.contacts == [world.programme.pk]  # the world's, whose dates have long passed
    assert Reply.objects.get(invitation=invitation).food_needs == "Vegan"
    assert Invitee.objects.get(pk=invitation.invitee_id).name != str(SOMEONE)


# --- Contact details ------------------------------------------------------------------------------------


def test_contacts_go_366_days_after_the_last_session(world):
    programme = held_programme(world, days_ago=366)
    amira = person_on(
        programme, name="Amira Khan", email="amira@example.org", phone="0161 496 0000", mobile="+447700900123"
    )
    token_url, _ = issue_reply_link(invitation=amira)
    before = counts(programme)

    run = retention.apply_retention()

    person = Invitee.objects.get(pk=amira.invitee_id)
    assert run.contacts == [programme.pk] and run.people == 1
    assert person.name == str(SOMEONE)
    assert (person.email, person.phone, person.mobile, person.address, person.notes) == ("", "", "", "", "")
    assert person.category == "parent"  # the group they are counted in stays
    assert not ReplyToken.objects.filter(invitation=amira).exists()
    assert counts(programme) == before
    line = person.history.get(event=PersonEvent.ERASED)
    assert line.by is None and "Contact details deleted on" in line.note
    programme.refresh_from_db()
    assert programme.contacts_deleted_at is not None and programme.needs_deleted_at is not None


def test_at_364_days_contacts_are_kept(world):
    programme = held_programme(world, days_ago=364)
    amira = person_on(programme, name="Amira Khan", email="amira@example.org")

    run = retention.apply_retention()

    assert run.contacts == [] and run.people == 0
    assert run.needs == [programme.pk]  # its needs went long ago
    person = Invitee.objects.get(pk=amira.invitee_id)
    assert (person.name, person.email) == ("Amira Khan", "amira@example.org")


def test_people_who_asked_to_stay_in_touch_keep_their_contact_details(world):
    programme = held_programme(world, days_ago=366)
    staying = person_on(programme, name="Grace Obi", email="grace@example.org", keep_in_touch=True)
    going = person_on(programme, name="Joy Mensah", email="joy@example.org")

    retention.apply_retention()

    kept = Invitee.objects.get(pk=staying.invitee_id)
    assert (kept.name, kept.email, kept.keep_in_touch) == ("Grace Obi", "grace@example.org", True)
    assert needs_of(staying) == NO_NEEDS  # their needs still go
    assert Invitee.objects.get(pk=going.invitee_id).name == str(SOMEONE)


def test_a_person_on_a_second_later_programme_is_kept_until_it_is_done_with_them(world):
    old = held_programme(world, days_ago=400)
    amira = person_on(old, name="Amira Khan", email="amira@example.org")
    only_old = person_on(old, name="Joy Mensah", email="joy@example.org")
    also_on(world.programme, amira)  # the world's programme is still to come

    retention.apply_retention()

    assert Invitee.objects.get(pk=amira.invitee_id).name == "Amira Khan"
    assert Invitee.objects.get(pk=only_old.invitee_id).name == str(SOMEONE)
    old.refresh_from_db()
    assert old.contacts_deleted_at is not None

    # Once the later programme's time has come too, the next run deletes them.
    world.programme.sessions.update(date=timezone.localdate() - timedelta(days=400))
    run = retention.apply_retention()

    assert run.people == 1
    assert Invitee.objects.get(pk=amira.invitee_id).name == str(SOMEONE)


@pytest.mark.parametrize("how", ["removed", "opted_out"])
def test_a_later_programme_they_left_does_not_keep_them(world, how):
    old = held_programme(world, days_ago=400)
    amira = person_on(old, name="Amira Khan", email="amira@example.org")
    now = timezone.now()
    also_on(world.programme, amira, **({"removed_at": now} if how == "removed" else {"opted_out_at": now}))

    retention.apply_retention()

    assert Invitee.objects.get(pk=amira.invitee_id).name == str(SOMEONE)


def test_a_person_of_another_neighbourhood_is_not_touched(world):
    programme = held_programme(world, days_ago=400)
    person_on(programme)
    elsewhere = InvitationFactory(invitee__name="Someone Else Entirely", invitee__email="else@example.org")

    retention.apply_retention()

    assert Invitee.objects.get(pk=elsewhere.invitee_id).name == "Someone Else Entirely"


def test_the_letters_and_the_records_pdfs_are_deleted_with_the_contact_details(world, settings):
    programme = held_programme(world, days_ago=366)
    amira = person_on(programme, name="Amira Khan", email="amira@example.org")
    batch = LetterBatch.objects.create(
        programme=programme, school=world.school, fingerprint="x", state=LetterState.READY, printed=[amira.pk]
    )
    batch.file.save("letters.pdf", ContentFile(b"%PDF-1.7\nAmira Khan\n%%EOF\n"))
    record = EventRecord.objects.create(programme=programme, fingerprint="y", state=RecordState.READY)
    record.file.save("record.pdf", ContentFile(b"%PDF-1.7\nled by Amira Khan\n%%EOF\n"))
    letter_path, record_path = batch.file.path, record.file.path
    other = EventRecord.objects.create(programme=world.programme, fingerprint="z", state=RecordState.READY)
    other.file.save("record.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"))

    run = retention.apply_retention()

    assert (run.letters, run.records) == (1, 1)
    assert not LetterBatch.objects.filter(pk=batch.pk).exists()
    assert not EventRecord.objects.filter(pk=record.pk).exists()
    assert not os.path.exists(letter_path) and not os.path.exists(record_path)
    assert os.path.exists(other.file.path)  # another programme's record is not touched


def test_a_second_run_changes_nothing(world, django_assert_max_num_queries):
    programme = held_programme(world, days_ago=366)
    people = [person_on(programme, name=f"Parent {index} Example") for index in range(3)]
    retention.apply_retention()
    lines = list(
        Invitee.objects.filter(pk__in=[p.invitee_id for p in people])
        .values_list("pk", "name", "history__event", "history__note")
        .order_by("pk", "history__pk")
    )
    programme.refresh_from_db()
    deleted = (programme.needs_deleted_at, programme.contacts_deleted_at)

    with django_assert_max_num_queries(4):
        run = retention.apply_retention()

    assert run.summary() == {"needs": 0, "contacts": 0, "people": 0, "letters": 0, "records": 0}
    programme.refresh_from_db()
    assert (programme.needs_deleted_at, programme.contacts_deleted_at) == deleted
    assert (
        list(
            Invitee.objects.filter(pk__in=[p.invitee_id for p in people])
            .values_list("pk", "name", "history__event", "history__note")
            .order_by("pk", "history__pk")
        )
        == lines
    )


def test_the_daily_task_is_in_beats_schedule_and_runs(world, settings):
    programme = held_programme(world, days_ago=31)
    amira = person_on(programme)

    assert settings.CELERY_BEAT_SCHEDULE["apply-retention"]["task"] == "records.apply_retention"
    assert "records.apply_retention" in celery_app.tasks
    summary = apply_retention_task()

    assert summary["needs"] == 1
    assert needs_of(amira) == NO_NEEDS


def test_a_run_with_nothing_left_to_delete_costs_the_same_at_200_people_as_at_5(world):
    programme = held_programme(world, days_ago=400)
    for index in range(5):
        person_on(programme, came=False, name=f"Small {index}", keep_in_touch=True)
    retention.apply_retention()  # done with the programme: everyone on it asked to stay in touch
    with CaptureQueriesContext(connection) as small:
        run = retention.apply_retention()
    for _index in range(195):
        InvitationFactory(
            programme=programme, invitee__neighbourhood=world.neighbourhood, invitee__keep_in_touch=True
        )
    with CaptureQueriesContext(connection) as large:
        retention.apply_retention()

    assert run.people == 0
    assert len(large) == len(small) <= 3


# --- The programme page, and deleting now ---------------------------------------------------------------


def long_date(day) -> str:
    return date_format(day, "j F Y")


def test_the_programme_page_says_what_will_be_deleted_and_when(client, world):
    programme = held_programme(world, days_ago=2)
    person_on(programme, keep_in_touch=True)
    last = timezone.localdate() - timedelta(days=2)
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("events:programme_detail", args=[programme.pk])).content.decode()

    assert f"The last workshop: {long_date(last)}." in html
    assert (
        f"Needs: deleted on {long_date(last + timedelta(days=30))} (30 days after the last workshop)." in html
    )
    assert (
        f"Contact details: deleted on {long_date(last + timedelta(days=365))} (365 days after the last workshop)."
        in html
    )
    assert "Kept: 1 person who asked to hear about future programmes" in html
    assert reverse("records:delete_programme_data", args=[programme.pk]) in html


def test_the_programme_page_says_when_they_were_deleted(client, world):
    programme = held_programme(world, days_ago=31)
    retention.apply_retention()
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("events:programme_detail", args=[programme.pk])).content.decode()

    assert f"Needs: deleted on {long_date(timezone.localdate())}." in html
    assert "Contact details: deleted on" in html  # the date still to come


def test_a_programme_still_to_come_offers_no_delete_now(client, world):
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("events:programme_detail", args=[world.programme.pk])).content.decode()

    assert "Needs: deleted on" in html
    assert reverse("records:delete_programme_data", args=[world.programme.pk]) not in html


def test_the_programme_pages_retention_costs_the_same_at_200_people_as_at_5(client, world):
    programme = held_programme(world, days_ago=2)
    client.force_login(world.user("facilitator"))
    url = reverse("events:programme_detail", args=[programme.pk])
    for _index in range(5):
        InvitationFactory(
            programme=programme, invitee__neighbourhood=world.neighbourhood, invitee__keep_in_touch=True
        )
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for index in range(195):
        InvitationFactory(
            programme=programme,
            invitee__neighbourhood=world.neighbourhood,
            invitee__keep_in_touch=index % 2 == 0,
        )
    with CaptureQueriesContext(connection) as large:
        html = client.get(url).content.decode()

    assert len(large) == len(small)
    assert "Kept: 103 people who asked" in html


def test_a_facilitator_deletes_a_finished_programmes_personal_data_now(client, world):
    programme = held_programme(world, days_ago=3)
    amira = person_on(programme, name="Amira Khan", email="amira@example.org")
    staying = person_on(programme, name="Grace Obi", email="grace@example.org", keep_in_touch=True)
    both = person_on(programme, name="Joy Mensah", email="joy@example.org")
    also_on(world.programme, both)
    before = counts(programme)
    client.force_login(world.user("facilitator"))
    url = reverse("records:delete_programme_data", args=[programme.pk])

    page = client.get(url).content.decode()
    response = client.post(url, follow=True)

    assert "Delete the personal data now" in page and "Needs: deleted on" in page
    assert response.redirect_chain[-1][0] == programme.get_absolute_url()
    assert "the contact details of 1 person" in response.content.decode()
    assert needs_of(amira) == NO_NEEDS and needs_of(staying) == NO_NEEDS and needs_of(both) == NO_NEEDS
    assert Invitee.objects.get(pk=amira.invitee_id).name == str(SOMEONE)
    assert Invitee.objects.get(pk=staying.invitee_id).name == "Grace Obi"
    assert Invitee.objects.get(pk=both.invitee_id).name == "Joy Mensah"  # still on a programme to come
    line = Invitee.objects.get(pk=amira.invitee_id).history.get(event=PersonEvent.ERASED)
    assert line.by == world.user("facilitator") and programme.title in line.note
    programme.refresh_from_db()
    assert programme.needs_deleted_at is not None and programme.contacts_deleted_at is not None
    assert counts(programme) == before
    html = client.get(programme.get_absolute_url()).content.decode()
    assert "Delete its personal data now" not in html


def test_deleting_now_is_refused_while_workshops_are_to_come(client, world):
    amira = person_on(world.programme, name="Amira Khan", email="amira@example.org", came=False)
    client.force_login(world.user("facilitator"))
    url = reverse("records:delete_programme_data", args=[world.programme.pk])

    assert "still has workshops to come" in client.get(url).content.decode()
    response = client.post(url, follow=True)

    assert "still has workshops to come" in response.content.decode()
    assert needs_of(amira)["food_needs"] == NEEDS["food_needs"]
    assert Invitee.objects.get(pk=amira.invitee_id).name == "Amira Khan"
    world.programme.refresh_from_db()
    assert world.programme.needs_deleted_at is None


@pytest.mark.parametrize("role", ["coordinator", "artist", "other_facilitator"])
def test_only_the_programmes_facilitators_may_delete_now(client, world, role):
    programme = held_programme(world, days_ago=3)
    programme.sessions.first().artists.add(world.user("artist"))
    amira = person_on(programme, name="Amira Khan", email="amira@example.org")
    client.force_login(world.user(role))

    response = client.post(reverse("records:delete_programme_data", args=[programme.pk]))

    assert response.status_code == 403
    assert Invitee.objects.get(pk=amira.invitee_id).name == "Amira Khan"
    assert needs_of(amira)["food_needs"] == NEEDS["food_needs"]


# --- The periods on the programme's edit form -----------------------------------------------------------


def edit_form(world, **changes):
    programme = world.programme
    return {
        "title": programme.title,
        "key_question": programme.key_question,
        "status": programme.status,
        "schools": [world.school.pk],
        "facilitators": [world.user("facilitator").pk],
        "invitation_lead_days": programme.invitation_lead_days,
        "reminder_lead_days": programme.reminder_lead_days,
        "needs_kept_days": 30,
        "contacts_kept_days": 365,
        **changes,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("needs_kept_days", 0, "Please keep it at least 1 day after the last workshop."),
        ("needs_kept_days", 100_000, "Please choose at most 3650 days (ten years)."),
        ("contacts_kept_days", 0, "Please keep it at least 1 day after the last workshop."),
        ("contacts_kept_days", 100_000, "Please choose at most 3650 days (ten years)."),
        ("contacts_kept_days", -5, "Please keep it at least 1 day after the last workshop."),
        ("needs_kept_days", "thirty", "Please give a whole number of days."),
    ],
)
def test_retention_periods_out_of_range_are_refused_beside_the_field(client, world, field, value, message):
    client.force_login(world.user("facilitator"))

    response = client.post(
        reverse("events:programme_update", args=[world.programme.pk]), edit_form(world, **{field: value})
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    world.programme.refresh_from_db()
    assert (world.programme.needs_kept_days, world.programme.contacts_kept_days) == (30, 365)


def test_a_council_sets_its_own_periods(client, world):
    client.force_login(world.user("facilitator"))

    response = client.post(
        reverse("events:programme_update", args=[world.programme.pk]),
        edit_form(world, needs_kept_days=14, contacts_kept_days=3650),
    )

    assert response.status_code == 302
    world.programme.refresh_from_db()
    assert (world.programme.needs_kept_days, world.programme.contacts_kept_days) == (14, 3650)


def test_empty_periods_are_the_councils_usual_ones(client, world, settings):
    settings.RETENTION_NEEDS_DAYS, settings.RETENTION_CONTACTS_DAYS = 45, 500
    world.programme.needs_kept_days = 10
    world.programme.save()
    client.force_login(world.user("facilitator"))

    client.post(
        reverse("events:programme_update", args=[world.programme.pk]),
        edit_form(world, needs_kept_days="", contacts_kept_days=""),
    )

    world.programme.refresh_from_db()
    assert (world.programme.needs_kept_days, world.programme.contacts_kept_days) == (45, 500)


def test_contact_details_cannot_go_before_the_needs(client, world):
    client.force_login(world.user("facilitator"))

    response = client.post(
        reverse("events:programme_update", args=[world.programme.pk]),
        edit_form(world, needs_kept_days=60, contacts_kept_days=30),
    )

    assert response.status_code == 200
    assert (
        "at least as long as the needs (60 days)" in response.context["form"].errors["contacts_kept_days"][0]
    )
