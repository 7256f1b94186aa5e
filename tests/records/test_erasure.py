"""Erasure (issue 18, part 5): from the same search, a person is erased after a confirmation page. Their
details and needs go, their replies and attendance stay only as anonymous counts, their scheduled messages
are cancelled, every link stops working, and the history keeps "Erased on <date> by <user>" without the
personal data. Afterwards no table holds their name, email or phone."""

from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from actions.models import Action, ActionUpdate, LeadLink
from actions.services.links import find_lead_link, issue_printed_link
from core.enums import MessageState
from core.models import Message
from invitations.enums import LetterState, PersonEvent
from invitations.models import Invitee, LetterBatch, Reply, ReplyToken
from invitations.services.emails import issue_reply_link
from invitations.services.people import edit_person
from invitations.services.retention import SOMEONE
from invitations.services.schedule import sync_schedule
from invitations.services.sheets import attendance
from records.enums import RecordState
from records.models import EventRecord
from records.services.people import erase_person
from tests.factories import InvitationFactory
from tests.records.helpers import add_action, add_picture

from .privacy_helpers import also_on, counts, held_programme, person_on

NAME = "Amira Khan-Rahmanova"
EMAIL = "amira.khan@millbrook-community-partnership.org.uk"
OLD_EMAIL = "amira.k@oldmail.example.org"
PHONE = "0161 496 0000"
MOBILE = "+447700900123"
SECRETS = (NAME, EMAIL, OLD_EMAIL, PHONE, MOBILE)

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)  # EmailField is a CharField


def tables_holding(value: str) -> list[str]:
    """Every text column (CharField, TextField, EmailField, JSONField) of every model in the project
    that holds ``value`` anywhere in it, case aside: "app.Model.field" for each."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            column = Cast(field.name, output_field=models.TextField())
            if (
                model._default_manager.annotate(_text=column).filter(_text__icontains=value).exists()
                # SQLite keeps JSON with other characters escaped: "+" stays, so a plain search does.
            ):
                found.append(f"{model._meta.label}.{field.name}")
    return found


@pytest.fixture
def amira(world, settings, tmp_path):
    """Amira as the site comes to hold her, in as many places as it can: on a finished programme (her
    reply with needs, her attendance, an action she leads with its link and her update, a picture and a
    record naming her, a letter that printed her, messages a provider answered quoting her address, a
    copy of one in var/mail) and on the world's programme still to come (its messages planned, a reply
    link), her email corrected once (a line of history), the admin's log of a change to her, and a
    subject access download of her (the audit log)."""
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    old = held_programme(world, days_ago=40, title="Better Together last spring")
    invitation = person_on(
        old,
        name=NAME,
        email=OLD_EMAIL,
        phone=PHONE,
        mobile=MOBILE,
        texts_agreed=True,
        organisation=world.school,
        address="Flat 12, 3 Bridgewater-under-Lyme Road",
        notes=f"Call {PHONE} after 4pm",
    )
    edit_person(invitation=invitation, details={"email": EMAIL}, by=world.user("facilitator"))
    action = add_action(old, what=f"A walking bus, started by {NAME}", lead=invitation)
    action.helpers = f"{NAME} and the PTA"
    action.save()
    ActionUpdate.objects.create(
        action=action,
        text=f"{NAME} met the council",
        status_before="idea",
        status_after="idea",
        source="lead",
    )
    lead_url = issue_printed_link(action=action)
    add_picture(old.sessions.first(), title="Walking bus", description=f"{NAME}'s idea of a walking bus")
    record = EventRecord.objects.create(programme=old, fingerprint="r", state=RecordState.READY)
    record.file.save("record.pdf", ContentFile(f"%PDF-1.7\n{NAME}\n%%EOF\n".encode()))
    batch = LetterBatch.objects.create(
        programme=old, school=world.school, fingerprint="l", state=LetterState.READY, printed=[invitation.pk]
    )
    batch.file.save("letters.pdf", ContentFile(f"%PDF-1.7\n{NAME}\n%%EOF\n".encode()))
    sent = Message.objects.create(
        kind="invitation",
        recipient=invitation,
        channel="email",
        scheduled_for=timezone.now(),
        state=MessageState.FAILED,
        last_error=f"550 5.1.1 <{OLD_EMAIL}>: no such user",
        delivery_said=f"bounced: {OLD_EMAIL}",
    )
    mail = Path(settings.EMAIL_FILE_PATH)
    mail.mkdir(parents=True)
    (mail / "20260101-090000-000000-abcd1234.eml").write_text(
        f"Message-ID: <outbox-{sent.pk}@example.org>\nTo: {NAME} <{EMAIL}>\nSubject: Hello\n\nHello Amira\n"
    )
    (mail / "20260101-090000-000000-ffff0000.eml").write_text(
        "Message-ID: <outbox-999999@example.org>\nTo: someone@example.org\nSubject: Hello\n\nHello\n"
    )
    coming = also_on(world.programme, invitation)
    sync_schedule(programme=world.programme)
    reply_url, _ = issue_reply_link(invitation=coming)
    LogEntry.objects.create(
        user=world.user("admin"),
        content_type=ContentType.objects.get_for_model(Invitee),
        object_id=str(invitation.invitee_id),
        object_repr=NAME,
        action_flag=CHANGE,
        change_message=f'[{{"changed": {{"fields": ["Email"]}}}}] {EMAIL}',
    )
    return {
        "invitation": invitation,
        "coming": coming,
        "person": invitation.invitee,
        "programme": old,
        "action": action,
        "lead_url": lead_url,
        "reply_url": reply_url,
        "record": record,
        "batch": batch,
        "mail": mail,
    }


def erase(client, world, person, role="facilitator"):
    client.force_login(world.user(role))
    return client.post(reverse("records:erase_person", args=[person.pk]))


def test_the_confirmation_page_says_what_goes_and_what_stays(client, world, amira):
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("records:erase_person", args=[amira["person"].pk])).content.decode()

    assert f"Erase {NAME}?" in html
    assert "They are on 2 programmes" in html and "What stays, without their name" in html
    assert Invitee.objects.get(pk=amira["person"].pk).name == NAME  # a GET erases nothing


def test_afterwards_no_table_holds_their_name_email_or_phone(
    client, world, amira, django_capture_on_commit_callbacks
):
    client.force_login(world.user("facilitator"))
    client.get(reverse("records:person_json", args=[amira["person"].pk]))  # in the audit log, by name
    for value in SECRETS:
        assert tables_holding(value), f"the test would prove nothing: {value} is nowhere to start with"

    with django_capture_on_commit_callbacks(execute=True):
        response = erase(client, world, amira["person"])

    assert response.status_code == 302
    for value in SECRETS:
        assert tables_holding(value) == [], value
    assert tables_holding("Bridgewater-under-Lyme") == []
    # The kept copy of her email in var/mail (the embedded default) went; another's stays.
    assert sorted(path.name for path in amira["mail"].iterdir()) == ["20260101-090000-000000-ffff0000.eml"]
    # The files that printed her name went with their rows (a new record can be made).
    assert not Path(amira["record"].file.path).exists() and not EventRecord.objects.exists()
    assert not Path(amira["batch"].file.path).exists() and not LetterBatch.objects.exists()


def test_their_old_reply_link_answers_404_and_every_link_stops(client, world, amira):
    token = amira["reply_url"].rstrip("/").rsplit("/", 1)[1]
    lead_token = amira["lead_url"].rstrip("/").rsplit("/", 1)[1]
    assert client.get(reverse("invitations:reply", args=[token])).status_code == 200
    assert find_lead_link(token=lead_token) is not None

    erase(client, world, amira["person"])
    client.logout()

    assert client.get(reverse("invitations:reply", args=[token])).status_code == 404
    assert client.get(reverse("invitations:reply_thanks", args=[token])).status_code == 404
    assert client.get(reverse("invitations:unsubscribe", args=[token])).status_code == 404
    assert find_lead_link(token=lead_token) is None
    assert client.get(reverse("actions:lead_update", args=[lead_token])).status_code == 404
    assert not ReplyToken.objects.filter(invitation__invitee=amira["person"]).exists()
    assert set(LeadLink.objects.values_list("token_hash", flat=True)) == {""}
    assert not amira["person"].invitations.exclude(reply_code=None).exists()


def test_the_counts_are_unchanged(client, world, amira):
    before = counts(amira["programme"])

    erase(client, world, amira["person"])

    assert counts(amira["programme"]) == before
    reply = Reply.objects.get(invitation=amira["invitation"])
    assert (reply.food_needs, reply.access_needs, reply.childcare_children, reply.childcare_ages) == (
        "",
        "",
        0,
        "",
    )
    assert reply.answers.count() == 2  # the answers stay, as counts


def test_on_a_programme_still_to_come_replies_still_count_and_nobody_erased_is_awaited(client, world, amira):
    joy = person_on(world.programme, name="Joy Mensah", came=False)  # said she is coming
    parents = attendance(programme=world.programme).total.groups[0]

    erase(client, world, amira["person"])  # had not replied to it
    erase(client, world, joy.invitee)

    after = attendance(programme=world.programme).total.groups[0]
    assert after.key == parents.key == "parents"
    # Joy's answer still counts; Amira, whose links no longer work, is not waiting for a reply any more.
    assert (after.invited, after.replied, after.coming) == (
        parents.invited - 1,
        parents.replied,
        parents.coming,
    )
    assert after.coming == 1


def test_the_sheets_pages_show_the_same_numbers_without_the_name(client, world, amira):
    client.force_login(world.user("facilitator"))
    url = reverse("invitations:sheets", args=[amira["programme"].pk])
    before = client.get(url).context["attendance"]

    erase(client, world, amira["person"])

    after = client.get(url)
    assert after.context["attendance"] == before
    assert NAME not in after.content.decode()


def test_scheduled_messages_are_cancelled_and_nothing_more_is_planned(client, world, amira):
    coming = amira["coming"]
    assert Message.objects.filter(invitation=coming, state=MessageState.SCHEDULED).exists()

    erase(client, world, amira["person"])
    sync_schedule(programme=world.programme)

    assert not Message.objects.filter(invitation=coming, state=MessageState.SCHEDULED).exists()
    assert Message.objects.filter(invitation=coming, state=MessageState.CANCELLED).exists()
    coming.refresh_from_db()
    assert coming.opted_out_at is not None


def test_an_action_they_lead_stays_and_its_lead_shows_someone_who_took_part(client, world, amira):
    erase(client, world, amira["person"])

    action = Action.objects.get(pk=amira["action"].pk)
    assert action.lead_id == amira["invitation"].pk
    assert action.what == "A walking bus, started by someone who took part"
    assert action.helpers == "someone who took part and the PTA"
    html = client.get(reverse("actions:detail", args=[action.pk])).content.decode()
    assert str(SOMEONE) in html and NAME not in html
    record = client.get(reverse("records:programme_record", args=[amira["programme"].pk])).content.decode()
    assert str(SOMEONE) in record and NAME not in record


def test_the_history_keeps_one_line_erased_on_by_without_personal_data(client, world, amira):
    erase(client, world, amira["person"])

    lines = list(amira["person"].history.order_by("at", "pk"))
    erased = lines[-1]
    today = date_format(timezone.localdate(), "j F Y")
    assert erased.event == PersonEvent.ERASED
    assert erased.note == f"Erased on {today} by {world.user('facilitator').get_full_name()}."
    assert erased.by == world.user("facilitator")
    assert all(line.fields == {} and line.note == "" for line in lines[:-1])
    assert [line.event for line in lines[:-1]] == [PersonEvent.EDITED]
    page = client.get(reverse("records:person", args=[amira["person"].pk])).content.decode()
    assert "Their personal details have been deleted" in page and f"Erased on {today}" in page


def test_erasing_twice_changes_nothing_more(client, world, amira):
    erase(client, world, amira["person"])
    lines = amira["person"].history.count()

    response = client.post(reverse("records:erase_person", args=[amira["person"].pk]), follow=True)

    assert "had been deleted already" in response.content.decode()
    assert amira["person"].history.count() == lines
    assert not erase_person(invitee=amira["person"], by=world.user("facilitator"))


def test_an_erased_person_is_no_longer_found(client, world, amira):
    erase(client, world, amira["person"])

    found = client.get(reverse("records:find_people"), {"q": "someone who took part"}).context["search"]

    assert found.total == 0


def test_another_person_is_untouched(client, world, amira):
    joy = person_on(
        world.programme, name="Joy Mensah", email="joy@example.org", phone="0161 496 0999", came=False
    )
    token = issue_reply_link(invitation=joy)[0].rstrip("/").rsplit("/", 1)[1]

    erase(client, world, amira["person"])

    joy.invitee.refresh_from_db()
    assert (joy.invitee.name, joy.invitee.email, joy.invitee.phone) == (
        "Joy Mensah",
        "joy@example.org",
        "0161 496 0999",
    )
    assert Reply.objects.get(invitation=joy).food_needs != ""
    assert client.get(reverse("invitations:reply", args=[token])).status_code == 200
    assert not joy.invitee.history.exists()


@pytest.mark.parametrize("role", ["other_coordinator", "other_facilitator", "artist"])
def test_someone_who_does_not_look_after_them_may_not_erase_them(client, world, amira, role):
    response = erase(client, world, amira["person"], role=role)

    assert response.status_code == 403
    person = Invitee.objects.get(pk=amira["person"].pk)
    assert (person.name, person.email) == (NAME, EMAIL)
    assert not person.history.filter(event=PersonEvent.ERASED).exists()


def test_a_coordinator_erases_their_own_schools_person(client, world, amira):
    response = erase(client, world, amira["person"], role="coordinator")

    assert response.status_code == 302
    assert Invitee.objects.get(pk=amira["person"].pk).name == str(SOMEONE)


def test_a_coordinator_may_not_erase_another_schools_person(client, world):
    other = InvitationFactory(
        programme=world.programme, invitee__name="Zofia Nowak", invitee__organisation=world.other_school
    )

    assert erase(client, world, other.invitee, role="coordinator").status_code == 403
    assert Invitee.objects.get(pk=other.invitee_id).name == "Zofia Nowak"


def test_the_erasure_is_in_the_audit_log_and_redacts_it(client, world, amira):
    from auditlog.models import LogEntry as AuditEntry

    client.force_login(world.user("facilitator"))
    client.get(reverse("records:person_pdf", args=[amira["person"].pk]))

    erase(client, world, amira["person"])

    download = AuditEntry.objects.get(action=AuditEntry.Action.ACCESS)
    assert download.actor == world.user("facilitator") and NAME not in download.object_repr
    erased = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, changes__has_key="erased").get()
    assert erased.actor == world.user("facilitator")
    assert erased.object_pk == str(amira["person"].pk)
