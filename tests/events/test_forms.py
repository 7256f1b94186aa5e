"""Bad input through the real pages: a clear message beside the field at fault, and nothing saved."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from events.enums import ChecklistKey, SessionKind
from events.models import Organisation, Programme, Session, Venue


def field_error(response, field: str) -> str:
    """The error shown beside one field; fails if the page shows none there."""
    errors = response.context["form"].errors
    assert field in errors, f"no error beside {field}: {errors}"
    message = " ".join(errors[field])
    html = response.content.decode()
    assert f'id="error_1_id_{field}"' in html, "the error is not rendered beside its field"
    return message


@pytest.fixture
def facilitator_client(client, world):
    client.force_login(world.user("facilitator"))
    return client


def programme_form(world, **changes):
    data = {
        "neighbourhood": world.neighbourhood.pk,
        "title": "Better Together in Riverside",
        "key_question": "What would help our children thrive?",
        "first_date": (timezone.localdate() + timedelta(days=40)).isoformat(),
        "venue": world.venue.pk,
        "schools": [world.school.pk],
        "invitation_lead_days": 21,
        "reminder_lead_days": 3,
    }
    return {**data, **changes}


def test_programme_create_makes_four_sessions(facilitator_client, world):
    response = facilitator_client.post(reverse("events:programme_create"), programme_form(world))

    programme = Programme.objects.get(title="Better Together in Riverside")
    assert response.status_code == 302
    assert response.url == programme.get_absolute_url()
    assert programme.sessions.count() == 4
    assert list(programme.schools.all()) == [world.school]


def test_programme_in_the_past_is_refused(facilitator_client, world):
    before = (Programme.objects.count(), Session.objects.count())
    yesterday = timezone.localdate() - timedelta(days=1)

    response = facilitator_client.post(
        reverse("events:programme_create"), programme_form(world, first_date=yesterday.isoformat())
    )

    assert "That date has passed" in field_error(response, "first_date")
    assert (Programme.objects.count(), Session.objects.count()) == before


def test_programme_in_another_neighbourhood_is_refused(facilitator_client, world):
    before = Programme.objects.count()

    response = facilitator_client.post(
        reverse("events:programme_create"), programme_form(world, neighbourhood=world.other_neighbourhood.pk)
    )

    assert "Select a valid choice" in field_error(response, "neighbourhood")
    assert Programme.objects.count() == before


def test_programme_reminders_after_invitations(facilitator_client, world):
    response = facilitator_client.post(
        reverse("events:programme_create"),
        programme_form(world, invitation_lead_days=7, reminder_lead_days=7),
    )

    assert "Reminders must go after the invitations" in field_error(response, "reminder_lead_days")


def session_form(session, **changes):
    data = {
        "kind": session.kind,
        "date": session.date.isoformat(),
        "start_time": session.start_time.strftime("%H:%M"),
        "end_time": session.end_time.strftime("%H:%M"),
        "venue": session.venue_id or "",
        "purpose": session.purpose,
        "refreshments": "on",
        "childcare": "on",
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    ("order", "changes", "field", "message"),
    [
        (2, {"start_time": "11:00", "end_time": "10:00"}, "end_time", "must end after it starts"),
        (2, {"start_time": "09:00", "end_time": "14:30"}, "end_time", "at most five hours"),
        (1, {"start_time": "09:00", "end_time": "13:00"}, "end_time", "at least five hours"),
        (2, {"date": "SESSION1-1"}, "date", "Half-days come after the all-day"),
        (1, {"date": "SESSION3+1"}, "date", "The all-day workshop comes first"),
        (2, {"date": "PAST"}, "date", "That date has passed"),
        (2, {"date": "31/02/2030"}, "date", "Enter a valid date"),
    ],
)
def test_session_bad_input_is_refused_and_nothing_changes(
    facilitator_client, world, order, changes, field, message
):
    session = world.programme.sessions.get(order=order)
    sessions = {s.order: s for s in world.programme.sessions.all()}
    if changes.get("date") == "SESSION1-1":
        changes["date"] = (sessions[1].date - timedelta(days=1)).isoformat()
    elif changes.get("date") == "SESSION3+1":
        changes["date"] = (sessions[3].date + timedelta(days=1)).isoformat()
    elif changes.get("date") == "PAST":
        changes["date"] = (timezone.localdate() - timedelta(days=3)).isoformat()
    before = list(Session.objects.order_by("pk").values())

    response = facilitator_client.post(
        reverse("events:session_update", args=[session.pk]), session_form(session, **changes)
    )

    assert response.status_code == 200
    assert message in field_error(response, field)
    assert list(Session.objects.order_by("pk").values()) == before


def test_session_move_renumbers_the_series(facilitator_client, world):
    sessions = {s.order: s for s in world.programme.sessions.all()}
    moved = sessions[4]
    new_date = sessions[1].date + timedelta(days=7)

    response = facilitator_client.post(
        reverse("events:session_update", args=[moved.pk]), session_form(moved, date=new_date.isoformat())
    )

    assert response.status_code == 302
    moved.refresh_from_db()
    assert (moved.date, moved.order) == (new_date, 2)


def test_session_add_after_the_series(facilitator_client, world):
    last = world.programme.sessions.order_by("-order").first()
    data = session_form(last, date=(last.date + timedelta(days=14)).isoformat(), kind=SessionKind.HALF_DAY)

    response = facilitator_client.post(reverse("events:session_create", args=[world.programme.pk]), data)

    assert response.status_code == 302
    assert world.programme.sessions.count() == 5
    assert world.programme.sessions.get(order=5).date == last.date + timedelta(days=14)


def test_session_cancel_marks_it_cancelled(facilitator_client, world):
    session = world.programme.sessions.get(order=3)

    response = facilitator_client.post(reverse("events:session_cancel", args=[session.pk]))

    session.refresh_from_db()
    assert response.status_code == 302
    assert session.is_cancelled
    assert "is cancelled" in facilitator_client.get(response.url).content.decode()


def organisation_form(**changes):
    return {
        "name": "Riverside Youth Club",
        "kind": "voluntary_group",
        "school_phase": "",
        "contact_email": "",
        "address": "",
        **changes,
    }


def test_duplicate_organisation_name_is_refused(facilitator_client, world):
    before = Organisation.objects.count()

    response = facilitator_client.post(
        reverse("events:organisation_create", args=[world.neighbourhood.pk]),
        organisation_form(name=world.group.name.upper()),
    )

    assert "There is already an organisation called" in field_error(response, "name")
    assert Organisation.objects.count() == before


def test_organisation_may_keep_its_own_name(facilitator_client, world):
    response = facilitator_client.post(
        reverse("events:organisation_update", args=[world.group.pk]),
        organisation_form(name=world.group.name, address="New address"),
    )

    assert response.status_code == 302
    world.group.refresh_from_db()
    assert world.group.address == "New address"


def png_bytes(size=(300, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, "PNG")
    return buffer.getvalue()


def test_logo_is_stored_re_encoded_under_a_random_name(facilitator_client, world):
    upload = SimpleUploadedFile("../../etc/evil name.png", png_bytes((1200, 800)), content_type="image/png")

    response = facilitator_client.post(
        reverse("events:organisation_create", args=[world.neighbourhood.pk]), organisation_form(logo=upload)
    )

    assert response.status_code == 302
    organisation = Organisation.objects.get(name="Riverside Youth Club")
    assert organisation.logo.name.startswith("logos/") and "evil" not in organisation.logo.name
    with Image.open(organisation.logo.path) as stored:
        assert stored.format == "PNG"
        assert max(stored.size) == 600


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("logo.png", b"this is only text pretending to be a picture", "is not a picture we can use"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "is not a picture",
        ),
        ("logo.png", png_bytes()[:60], "damaged"),
        ("big.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024 + 10), "smaller than 2.0"),
    ],
    ids=["text-renamed", "svg-with-script", "truncated", "oversized"],
)
def test_bad_logo_is_refused_and_nothing_is_saved(
    facilitator_client, world, settings, filename, content, message
):
    before = Organisation.objects.count()
    upload = SimpleUploadedFile(filename, content, content_type="image/png")

    response = facilitator_client.post(
        reverse("events:organisation_create", args=[world.neighbourhood.pk]), organisation_form(logo=upload)
    )

    assert message in field_error(response, "logo")
    assert Organisation.objects.count() == before
    logos = settings.MEDIA_ROOT / "logos"
    assert not logos.exists() or not any(logos.iterdir())


@pytest.mark.parametrize(
    ("capacity", "message"), [(0, "at least one person"), (100000, "more than any workshop venue")]
)
def test_venue_capacity_out_of_range_is_refused(facilitator_client, world, capacity, message):
    before = Venue.objects.count()
    data = {"name": "Church Hall", "address": "1 Church Lane", "capacity": capacity}

    response = facilitator_client.post(reverse("events:venue_create", args=[world.neighbourhood.pk]), data)

    assert message in field_error(response, "capacity")
    assert Venue.objects.count() == before


def checklist_form(programme, **ticks):
    items = list(programme.checklist.in_order())
    data = {
        "form-TOTAL_FORMS": len(items),
        "form-INITIAL_FORMS": len(items),
        "form-MIN_NUM_FORMS": 0,
        "form-MAX_NUM_FORMS": 1000,
    }
    for index, item in enumerate(items):
        data[f"form-{index}-id"] = item.pk
        done, note = ticks.get(item.key, (False, ""))
        if done:
            data[f"form-{index}-done"] = "on"
        data[f"form-{index}-note"] = note
    return data


def test_checklist_cover_needs_who_pays_and_nothing_is_saved(facilitator_client, world):
    data = checklist_form(
        world.programme, **{ChecklistKey.VENUE: (True, "Hall booked"), ChecklistKey.COVER: (True, "")}
    )

    response = facilitator_client.post(reverse("events:programme_checklist", args=[world.programme.pk]), data)

    assert response.status_code == 200
    assert "Please say who pays for cover" in response.content.decode()
    assert not world.programme.checklist.filter(done=True).exists()


def test_checklist_saves_and_the_programme_page_shows_what_is_open(facilitator_client, world):
    data = checklist_form(world.programme, **{ChecklistKey.VENUE: (True, "Hall booked")})

    response = facilitator_client.post(reverse("events:programme_checklist", args=[world.programme.pk]), data)
    page = facilitator_client.get(response.url).content.decode()

    assert world.programme.checklist.get(key=ChecklistKey.VENUE).done
    assert str(ChecklistKey.VENUE.label) not in page
    assert str(ChecklistKey.CHILDCARE.label) in page


def test_checklist_refuses_items_of_another_programme(facilitator_client, world):
    from events import services
    from tests.factories import UserFactory

    other = services.create_programme(
        neighbourhood=world.other_neighbourhood,
        title="Elsewhere",
        key_question="?",
        first_date=timezone.localdate() + timedelta(days=50),
        created_by=UserFactory(),
    )
    data = checklist_form(world.programme, **{ChecklistKey.VENUE: (True, "")})
    data["form-0-id"] = other.checklist.get(key=ChecklistKey.VENUE).pk

    facilitator_client.post(reverse("events:programme_checklist", args=[world.programme.pk]), data)

    assert not other.checklist.filter(done=True).exists()


# --- Who parents can ask: a school's contact, and the programme's ----------------------------------------


def school_form(world, **changes):
    return {
        "name": world.school.name,
        "kind": "school",
        "school_phase": "primary",
        "contact_email": "",
        "address": "",
        "parent_contact_name": "Mrs Patel in the school office",
        "parent_contact_phone": "0161 496 0000",
        "parent_contact_email": "office@millbrook.example.sch.uk",
        **changes,
    }


def programme_edit_form(world, **changes):
    programme = world.programme
    return {
        "title": programme.title,
        "key_question": programme.key_question,
        "status": programme.status,
        "schools": [world.school.pk],
        "facilitators": [world.user("facilitator").pk],
        "invitation_lead_days": programme.invitation_lead_days,
        "reminder_lead_days": programme.reminder_lead_days,
        "contact_name": "Sam Okafor",
        "contact_phone": "+44 7700 900123",
        "contact_email": "sam.okafor@council.example.gov.uk",
        **changes,
    }


def test_a_school_names_who_parents_can_ask(facilitator_client, world):
    url = reverse("events:organisation_update", args=[world.school.pk])
    assert 'name="parent_contact_phone"' in facilitator_client.get(url).content.decode()

    response = facilitator_client.post(url, school_form(world))

    assert response.status_code == 302
    world.school.refresh_from_db()
    assert (
        world.school.parent_contact_name,
        world.school.parent_contact_phone,
        world.school.parent_contact_email,
    ) == ("Mrs Patel in the school office", "0161 496 0000", "office@millbrook.example.sch.uk")


def test_a_programme_names_who_people_can_ask(facilitator_client, world):
    url = reverse("events:programme_update", args=[world.programme.pk])
    assert 'name="contact_email"' in facilitator_client.get(url).content.decode()

    response = facilitator_client.post(url, programme_edit_form(world))

    assert response.status_code == 302
    world.programme.refresh_from_db()
    assert (world.programme.contact_name, world.programme.contact_phone, world.programme.contact_email) == (
        "Sam Okafor",
        "+44 7700 900123",
        "sam.okafor@council.example.gov.uk",
    )


BAD_CONTACTS = [
    ({"phone": "0161-496-0000"}, "phone", "digits and spaces only"),
    ({"phone": "call the office"}, "phone", "digits and spaces only"),
    ({"phone": "12 34"}, "phone", "digits and spaces only"),  # too short to ring
    ({"phone": "0161 496 0000 ext 2"}, "phone", "digits and spaces only"),
    ({"email": "office at school"}, "email", "valid email address"),
    ({"email": "office@"}, "email", "valid email address"),
    ({"phone": "", "email": ""}, "phone", "a phone number or an email address"),
    ({"name": ""}, "name", "the name of the person to ask"),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_CONTACTS)
def test_a_schools_contact_must_be_one_people_can_reach(facilitator_client, world, changes, field, message):
    data = school_form(world, **{f"parent_contact_{key}": value for key, value in changes.items()})

    response = facilitator_client.post(reverse("events:organisation_update", args=[world.school.pk]), data)

    assert response.status_code == 200
    assert message in field_error(response, f"parent_contact_{field}")
    world.school.refresh_from_db()
    assert world.school.parent_contact_name == ""


@pytest.mark.parametrize(("changes", "field", "message"), BAD_CONTACTS)
def test_a_programmes_contact_must_be_one_people_can_reach(
    facilitator_client, world, changes, field, message
):
    data = programme_edit_form(world, **{f"contact_{key}": value for key, value in changes.items()})

    response = facilitator_client.post(reverse("events:programme_update", args=[world.programme.pk]), data)

    assert response.status_code == 200
    assert message in field_error(response, f"contact_{field}")
    world.programme.refresh_from_db()
    assert world.programme.contact_name == ""


def test_no_contact_at_all_is_fine(facilitator_client, world):
    data = school_form(world, parent_contact_name="", parent_contact_phone="", parent_contact_email="")

    response = facilitator_client.post(reverse("events:organisation_update", args=[world.school.pk]), data)

    assert response.status_code == 302
