"""Issue 18, part 6: the audit log (core.audit). Changes to people, replies, attendance, pictures' sharing
and roles are logged with the acting user, through the views with the test client (so auditlog's
middleware names the real user); erasure's redaction; the daily trim; the log page for administrators."""

import json
from datetime import timedelta

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from artwork.enums import Visibility
from artwork.models import Artwork
from core import audit
from core.tasks import trim_audit_log
from evaluations.models import Attendance
from events.enums import ProgrammeStatus
from events.models import Organisation
from invitations.models import Invitation, Invitee, Reply, SessionAnswer
from invitations.services.emails import issue_reply_link
from tests.artwork.pictures import make_artwork
from tests.factories import InvitationFactory, UserFactory

from ..invitations.test_people_edit import form_data
from ..invitations.test_views import person

Action = LogEntry.Action


def entries_about(model, **filters):
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), **filters)


def the_entry(model, pk, action):
    return entries_about(model, object_pk=str(pk), action=action).get()


@pytest.fixture
def facilitator(client, world):
    client.force_login(world.user("facilitator"))
    return world.user("facilitator")


@pytest.fixture
def open_programme(world):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    return world.programme


def every_session(programme, answer="yes") -> dict:
    return {f"session_{session.pk}": answer for session in programme.sessions.active()}


def grace(world, **invitee) -> Invitation:
    values = {"name": "Grace Obi", "email": "grace.obi@example.org", "organisation": world.school, **invitee}
    return InvitationFactory(programme=world.programme, **{f"invitee__{k}": v for k, v in values.items()})


# --- People ----------------------------------------------------------------------------------------------


def test_adding_a_person_logs_them_and_their_invitation_with_the_facilitator(client, world, facilitator):
    response = client.post(reverse("invitations:add", args=[world.programme.pk]), person(world))

    assert response.status_code == 302
    invitation = Invitation.objects.get(invitee__email="amira.khan@example.org")
    created = the_entry(Invitee, invitation.invitee_id, Action.CREATE)
    assert created.actor == facilitator and created.actor_email == facilitator.email
    assert created.remote_addr == "127.0.0.1"
    assert created.object_repr == "Amira Khan"
    assert created.changes["email"] == ["None", "amira.khan@example.org"]
    assert the_entry(Invitation, invitation.pk, Action.CREATE).actor == facilitator


def test_editing_a_person_logs_the_field_before_and_after_with_who(client, world):
    invitation = grace(world, phone="0161 496 0000")
    client.force_login(world.user("coordinator"))
    url = reverse("invitations:edit_person", args=[world.programme.pk, invitation.pk])

    response = client.post(url, form_data(invitation.invitee, phone="0161 496 0999"))

    assert response.status_code == 302
    changed = the_entry(Invitee, invitation.invitee_id, Action.UPDATE)
    assert changed.actor == world.user("coordinator")
    assert changed.changes == {"phone": ["0161 496 0000", "0161 496 0999"]}


def test_an_edit_refused_to_another_schools_coordinator_logs_nothing(client, world):
    invitation = grace(world)
    client.force_login(world.user("other_coordinator"))
    before = LogEntry.objects.count()

    response = client.post(
        reverse("invitations:edit_person", args=[world.programme.pk, invitation.pk]),
        form_data(invitation.invitee, phone="0161 496 0999"),
    )

    assert response.status_code == 403
    assert LogEntry.objects.count() == before


def test_merging_two_people_logs_the_deleted_one_with_the_facilitator(client, world, facilitator):
    kept = grace(world)
    other = grace(world, name="Grace OBI", email="g.obi@example.org")

    response = client.post(
        reverse("invitations:merge", args=[world.programme.pk, kept.pk, other.pk]),
        {"name": "keep", "email": "keep"},
    )

    assert response.status_code == 302
    assert not Invitee.objects.filter(pk=other.invitee_id).exists()
    deleted = the_entry(Invitee, other.invitee_id, Action.DELETE)
    assert deleted.actor == facilitator
    assert deleted.object_repr == "Grace OBI"
    assert deleted.changes["email"] == ["g.obi@example.org", "None"]


# --- Replies ---------------------------------------------------------------------------------------------


def test_a_reply_typed_in_by_staff_is_logged_with_them(client, world, open_programme, facilitator):
    invitation = grace(world)
    session = world.session

    response = client.post(
        reverse("invitations:staff_reply", args=[open_programme.pk, invitation.pk]),
        {"source": "paper", **every_session(open_programme), "food_needs": "Halal", "needs_agreed": "yes"},
    )

    assert response.status_code == 302
    reply = Reply.objects.get(invitation=invitation)
    # Made, then filled in: both with the facilitator.
    assert the_entry(Reply, reply.pk, Action.CREATE).actor == facilitator
    filled = the_entry(Reply, reply.pk, Action.UPDATE)
    assert filled.actor == facilitator
    assert filled.changes["food_needs"] == ["", "Halal"]
    assert filled.changes["source"] == ["web", "paper"]
    answer = reply.answers.get(session=session)
    assert the_entry(SessionAnswer, answer.pk, Action.CREATE).actor == facilitator


def test_a_parents_own_reply_is_logged_with_no_user_and_no_address(client, world, open_programme):
    invitation = grace(world)
    reply_url, _unsubscribe = issue_reply_link(invitation=invitation)
    token = reply_url.rstrip("/").rsplit("/", 1)[1]

    response = client.post(reverse("invitations:reply", args=[token]), every_session(open_programme, "no"))

    assert response.status_code == 302
    created = the_entry(Reply, Reply.objects.get(invitation=invitation).pk, Action.CREATE)
    assert created.actor is None and created.actor_email is None
    assert created.remote_addr is None  # a parent's address is not kept


# --- Attendance ------------------------------------------------------------------------------------------


def test_arriving_and_taking_it_back_are_logged_with_the_facilitator(client, world, facilitator):
    session = world.session
    for moved in world.programme.sessions.all():  # signing in is for the session's own day
        moved.date -= session.date - timezone.localdate()
        moved.save()
    invitation = grace(world)
    arrive = reverse("evaluations:arrive", args=[session.pk, invitation.pk])

    assert client.post(arrive).status_code == 302
    attendance = Attendance.objects.get(invitation=invitation)
    assert client.post(reverse("evaluations:unarrive", args=[session.pk, invitation.pk])).status_code == 302

    assert the_entry(Attendance, attendance.pk, Action.CREATE).actor == facilitator
    taken_back = the_entry(Attendance, attendance.pk, Action.DELETE)
    assert taken_back.actor == facilitator
    assert taken_back.changes["invitation"] == [str(invitation.pk), "None"]


def test_a_paper_sheet_typed_in_is_one_entry_with_who_and_what_it_did(client, world, facilitator):
    from tests.evaluations.test_signin_views import move_series, paper_data

    move_series(world, first_on=timezone.localdate() - timedelta(days=1))
    session = world.session
    came, away = grace(world), grace(world, name="Joy Adeyemi", email="joy@example.org")
    before = LogEntry.objects.count()

    response = client.post(
        reverse("evaluations:paper_sheet", args=[session.pk]), paper_data(world, [came], [came, away])
    )

    assert response.status_code == 302
    # bulk_create sends auditlog nothing: the view's own entry says it, on the session.
    entry = LogEntry.objects.order_by("-pk").first()
    assert LogEntry.objects.count() == before + 1
    assert entry.content_type == ContentType.objects.get_for_model(session)
    assert entry.object_pk == str(session.pk) and entry.action == Action.UPDATE
    assert entry.actor == facilitator
    assert entry.changes == {
        "attendance from a paper sheet": ["", "1 signed in, 0 taken off, 0 new to the list"]
    }


def test_a_paper_sheet_with_errors_logs_nothing(client, world, facilitator):
    from tests.evaluations.test_signin_views import paper_data

    came = grace(world)  # weeks before the day: refused
    before = LogEntry.objects.count()

    response = client.post(
        reverse("evaluations:paper_sheet", args=[world.session.pk]), paper_data(world, [came], [came])
    )

    assert response.status_code == 200
    assert LogEntry.objects.count() == before


# --- A picture's sharing ---------------------------------------------------------------------------------


def picture_form(**changes) -> dict:
    return {
        "title": "Our map",
        "description": "The park, the library and the school.",
        "themes": "",
        "visibility": Visibility.TEAM,
        **changes,
    }


def test_sharing_a_picture_with_everyone_is_logged_with_who(client, world, facilitator):
    artwork = make_artwork(world.session, visibility=Visibility.TEAM, description="The park")

    client.post(
        reverse("artwork:edit", args=[artwork.pk]),
        picture_form(visibility=Visibility.EVERYONE, shows_people="on", people_agreed="on"),
    )

    changed = the_entry(Artwork, artwork.pk, Action.UPDATE)
    assert changed.actor == facilitator
    assert changed.changes == {
        "visibility": ["team", "everyone"],
        "shows_people": ["False", "True"],
        "people_agreed": ["False", "True"],
    }


def test_changing_only_a_pictures_words_is_not_a_sharing_change(client, world, facilitator):
    artwork = make_artwork(world.session, visibility=Visibility.TEAM, description="The park")

    response = client.post(reverse("artwork:edit", args=[artwork.pk]), picture_form(title="A new title"))

    assert response.status_code == 302
    assert not entries_about(Artwork, object_pk=str(artwork.pk), action=Action.UPDATE).exists()


# --- Roles -----------------------------------------------------------------------------------------------


def test_removing_a_coordinator_is_logged_with_the_facilitator(client, world, facilitator):
    coordinator = world.user("coordinator")

    response = client.post(reverse("accounts:remove_coordinator", args=[world.school.pk, coordinator.pk]))

    assert response.status_code == 302
    removed = entries_about(Organisation, object_pk=str(world.school.pk), action=Action.UPDATE).latest()
    assert removed.actor == facilitator
    assert removed.changes == {
        "coordinators": {"type": "m2m", "operation": "delete", "objects": ["coordinator"]}
    }


def test_making_someone_an_administrator_is_logged_but_signing_in_is_not(world):
    user = world.user("coordinator")
    admin = world.user("admin")
    before = entries_about(type(user), object_pk=str(user.pk)).count()

    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    with set_actor(admin):
        user.is_superuser = True
        user.save()

    entries = entries_about(type(user), object_pk=str(user.pk))
    assert entries.count() == before + 1
    assert entries.latest().changes == {"is_superuser": ["False", "True"]}
    assert entries.latest().actor == admin


# --- Erasure: redact -------------------------------------------------------------------------------------

NAME, EMAIL, PHONE = "Zoë Ñíguez-Obi", "zoe.niguez@example.org", "07700 900777"


def every_entry_text() -> str:
    """Every text an entry holds, JSON included, as one string."""
    return json.dumps(
        list(
            LogEntry.objects.values(
                "object_repr", "changes_text", "changes", "serialized_data", "additional_data", "object_pk"
            )
        ),
        ensure_ascii=False,
    )


@pytest.fixture
def zoe_logged(client, world, open_programme, facilitator):
    """Zoë added, her phone corrected, a reply typed in, her letter downloaded and the list CSV searched
    for her: the log holds her name, email and phone in every kind of entry."""
    client.post(
        reverse("invitations:add", args=[world.programme.pk]),
        person(world, name=NAME, email=EMAIL, phone="07700 900000"),
    )
    invitation = Invitation.objects.get(invitee__email=EMAIL)
    client.post(
        reverse("invitations:edit_person", args=[world.programme.pk, invitation.pk]),
        form_data(invitation.invitee, phone=PHONE),
    )
    client.post(
        reverse("invitations:staff_reply", args=[open_programme.pk, invitation.pk]),
        {"source": "phone", **every_session(open_programme), "access_needs": "Ramp", "needs_agreed": "yes"},
    )
    request = RequestFactory().get("/", {"q": NAME})
    request.user = facilitator
    audit.record_download(request=request, what=audit.Download.LETTER, obj=invitation, detail=EMAIL)
    audit.record_download(
        request=request, what=audit.Download.LIST_CSV, obj=world.programme, detail=f"q={NAME}"
    )
    return invitation


def test_redact_leaves_no_personal_value_in_any_entry(world, zoe_logged, facilitator):
    invitation = Invitation.objects.get(pk=zoe_logged.pk)
    reply = invitation.reply
    text = every_entry_text()
    assert NAME in text and EMAIL in text and PHONE in text  # what there was to take out
    own = [
        *entries_about(Invitee, object_pk=str(invitation.invitee_id)).values_list(
            "pk", "action", "actor_id", "timestamp"
        ),
        *entries_about(Invitation, object_pk=str(invitation.pk)).values_list(
            "pk", "action", "actor_id", "timestamp"
        ),
        *entries_about(Reply, object_pk=str(reply.pk)).values_list("pk", "action", "actor_id", "timestamp"),
    ]

    changed = audit.redact(
        instances=[invitation.invitee, invitation, reply, *reply.answers.all()], values=[NAME, EMAIL, PHONE]
    )

    text = every_entry_text()
    for value in (NAME, EMAIL, PHONE, "Ramp", "07700 900000", "Zoë", "zoe.niguez"):
        assert value.casefold() not in text.casefold(), value
    assert changed >= len(own)
    # What happened, by whom and when, stays.
    assert sorted(
        LogEntry.objects.filter(pk__in=[pk for pk, *_rest in own]).values_list(
            "pk", "action", "actor_id", "timestamp"
        )
    ) == sorted(own)
    edited = the_entry(Invitee, invitation.invitee_id, Action.UPDATE)
    assert edited.changes == {"phone": [audit.ERASED, audit.ERASED]}
    assert edited.object_repr == audit.ERASED
    download = LogEntry.objects.filter(action=Action.ACCESS, additional_data__download="list CSV").get()
    assert download.additional_data == {"download": "list CSV", "detail": f"q={audit.ERASED}"}


def test_redact_leaves_other_peoples_entries_as_they_were(client, world, zoe_logged):
    other = grace(world)
    theirs = list(entries_about(Invitee, object_pk=str(other.invitee_id)).values("changes", "object_repr"))

    audit.redact(instances=[zoe_logged.invitee], values=[NAME, EMAIL])

    assert (
        list(entries_about(Invitee, object_pk=str(other.invitee_id)).values("changes", "object_repr"))
        == theirs
    )
    assert "grace.obi@example.org" in every_entry_text()


def test_redact_refuses_an_instance_already_deleted(world):
    invitee = grace(world).invitee
    invitee.delete()

    with pytest.raises(ValueError, match="collect the instances before deleting"):
        audit.redact(instances=[invitee])


def test_redact_ignores_values_too_short_to_be_a_persons(world, zoe_logged):
    before = every_entry_text()

    assert audit.redact(instances=[], values=["", "  ", "Zo", "e"]) == 0

    assert every_entry_text() == before


def test_redact_of_a_deleted_person_takes_the_values_of_the_deletion_entry(world):
    invitation = grace(world, phone="0161 496 1234")
    invitee = invitation.invitee
    kept = Invitee.objects.get(pk=invitee.pk)  # a copy keeps its pk after the delete
    invitee.delete()

    audit.redact(instances=[kept, invitation])

    deleted = the_entry(Invitee, kept.pk, Action.DELETE)
    assert "0161 496 1234" not in json.dumps(deleted.changes)
    assert deleted.changes["phone"] == [audit.ERASED, audit.ERASED]


# --- Retention: the daily trim ---------------------------------------------------------------------------


def entry_at(when, what="list CSV"):
    request = RequestFactory().get("/")
    request.user = UserFactory(username="someone")
    entry = audit.record_download(request=request, what=what)
    LogEntry.objects.filter(pk=entry.pk).update(timestamp=when)
    return entry


def test_trim_deletes_what_is_older_than_the_setting_and_keeps_the_rest(db, settings):
    settings.AUDIT_KEEP_DAYS = 10
    now = timezone.now()
    old = entry_at(now - timedelta(days=10, minutes=1))
    kept = entry_at(now - timedelta(days=9, hours=23))

    assert audit.trim_log(now=now) == 1

    assert not LogEntry.objects.filter(pk=old.pk).exists()
    assert LogEntry.objects.filter(pk=kept.pk).exists()


def test_the_default_keeps_two_years(db, settings):
    assert settings.AUDIT_KEEP_DAYS == 730
    now = timezone.now()
    old = entry_at(now - timedelta(days=731))
    kept = entry_at(now - timedelta(days=729))

    assert trim_audit_log() == 1  # the task beat runs

    assert list(LogEntry.objects.filter(pk__in=[old.pk, kept.pk]).values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.parametrize("days", [0, -5, 100_000, "30"])
def test_a_keep_setting_out_of_range_is_refused_and_deletes_nothing(db, settings, days):
    settings.AUDIT_KEEP_DAYS = days
    entry_at(timezone.now() - timedelta(days=4000))

    with pytest.raises(ImproperlyConfigured, match="from 1 to 3650"):
        audit.trim_log()
    with pytest.raises(SystemCheckError, match="core.E101"):
        call_command("check")

    assert LogEntry.objects.filter(action=Action.ACCESS).count() == 1


def test_beat_trims_the_log_once_a_day(settings):
    from celery import current_app
    from celery.schedules import crontab

    entry = settings.CELERY_BEAT_SCHEDULE["trim-audit-log"]
    assert entry["task"] == "core.trim_audit_log" and "core.trim_audit_log" in current_app.tasks
    assert isinstance(entry["schedule"], crontab)
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {40})
    assert entry["schedule"].day_of_week == set(range(7))


# --- The log page ----------------------------------------------------------------------------------------

LOG = reverse("audit:log")


@pytest.mark.parametrize(
    "role, status",
    [("admin", 200), ("facilitator", 403), ("other_facilitator", 403), ("coordinator", 403), ("artist", 403)],
)
def test_the_log_is_for_administrators_only(client, world, role, status):
    client.force_login(world.user(role))

    assert client.get(LOG).status_code == status


def test_the_log_sends_someone_signed_out_to_sign_in(client, db):
    response = client.get(LOG)

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_dpo_given_only_the_view_permission_reads_the_log(client, db):
    dpo = UserFactory(username="dpo")
    dpo.user_permissions.add(
        Permission.objects.get(codename="view_logentry", content_type__app_label="auditlog")
    )
    client.force_login(dpo)

    assert client.get(LOG).status_code == 200


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.user("admin"))
    return client


def shown(response) -> list[str]:
    return [f"{line.verb}: {line.what}" for line in response.context["lines"]]


def test_the_log_page_shows_downloads_and_changes_with_who_and_what(admin_client, world):
    facilitator = world.user("facilitator")
    request = RequestFactory().get("/", {"school": "3"})
    request.user = facilitator
    audit.record_download(request=request, what="access needs sheet", obj=world.session, detail="school=3")
    with set_actor(facilitator):
        grace(world, phone="0161 496 0000")

    response = admin_client.get(LOG)

    html = response.content.decode()
    assert shown(response)[:3] == [
        "Created: invitation",
        "Created: invitee",
        "Downloaded or printed: access needs sheet",
    ]
    # The name is Faker's: it may be "O'Sullivan", which the page escapes.
    assert escape(f"by {facilitator.get_full_name()} ({facilitator.email})") in html
    assert "Narrowed by:</span> school=3" in html
    assert "Phone:</span> 0161 496 0000" in html  # what a new row was made with, no "None →"
    assert "Grace Obi" in html
    assert 'style="' not in html and "<script>" not in html


def test_the_log_searches_by_user_what_words_and_dates(admin_client, world):
    facilitator = world.user("facilitator")
    coordinator = world.user("coordinator")
    for user, what in [
        (facilitator, "access needs sheet"),
        (coordinator, "list CSV"),
        (facilitator, "list CSV"),
    ]:
        request = RequestFactory().get("/")
        request.user = user
        audit.record_download(request=request, what=what, obj=world.programme)
    forty_days_ago = timezone.now() - timedelta(days=40)
    entry_at(forty_days_ago, what="call list")
    with set_actor(coordinator):
        grace(world)

    def found(**query):
        response = admin_client.get(LOG, query)
        assert response.status_code == 200
        return response.context["page"].paginator.count

    assert found(user="coordinator") == 3  # one download, the person and their invitation
    assert found(user=coordinator.email) == 3
    assert found(what="list CSV") == 2
    assert found(what="list CSV", user="facilitator") == 1
    assert found(what="downloads") == 4
    assert found(what="model:invitations.invitee") == 1
    assert found(about="Grace") == 2
    day = timezone.localdate(forty_days_ago)
    assert found(since=day.isoformat(), until=day.isoformat()) == 1
    assert found(since=timezone.localdate().isoformat(), what="downloads") == 3


@pytest.mark.parametrize(
    "query, field",
    [
        ({"since": "2027-03-10", "until": "2027-03-01"}, "until"),
        ({"since": "yesterday"}, "since"),
        ({"what": "everything'; DROP TABLE auditlog_logentry;--"}, "what"),
        ({"user": "x" * 151}, "user"),
    ],
)
def test_bad_searches_say_what_is_wrong_and_show_nothing(admin_client, world, query, field):
    entry_at(timezone.now())

    response = admin_client.get(LOG, query)

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert response.context["page"].paginator.count == 0
    assert LogEntry.objects.exists()


def test_the_log_page_costs_the_same_queries_at_120_entries_as_at_5(admin_client, world):
    facilitator = world.user("facilitator")

    def queries_with(count: int) -> int:
        LogEntry.objects.all().delete()
        request = RequestFactory().get("/")
        request.user = facilitator
        with set_actor(facilitator):
            for number in range(count // 2):
                grace(world, name=f"Parent {number}", email=f"parent{count}-{number}@example.org")
        for _number in range(count - 2 * (count // 2)):
            audit.record_download(request=request, what="list CSV", obj=world.programme)
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(LOG, {"page": "1"})
        assert len(response.context["lines"]) == min(count, 50)
        return len(captured)

    assert queries_with(120) == queries_with(5)


def test_the_log_pages_through_fifty_at_a_time_keeping_the_search(admin_client, world):
    for _number in range(51):
        entry_at(timezone.now())

    first = admin_client.get(LOG, {"what": "list CSV"})
    second = admin_client.get(LOG, {"what": "list CSV", "page": "2"})

    assert len(first.context["lines"]) == 50 and len(second.context["lines"]) == 1
    assert first.context["older_url"] == "?what=list+CSV&page=2"
    assert second.context["newer_url"] == "?what=list+CSV&page=1"
