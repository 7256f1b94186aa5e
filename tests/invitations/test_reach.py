"""The call list (issue 16, part 5): who was not reached and why, per programme and per school, on screen
and as CSV; the three groups' counts; and letters marked printed when a school downloads them, so that
"letter not printed yet" is true."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.enums import Delivery
from core.models import Message
from evaluations.models import Attendance
from events.enums import ProgrammeStatus
from events.models import Session
from invitations.enums import Category, Channel, LetterState, MessageKind, MessageState, StaffRole
from invitations.models import Invitation, Invitee, LetterBatch, Reply
from invitations.services import letters, reach
from invitations.services.schedule import new_message
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def due(world):
    return invitations_due(world)


def invitations_due(world):
    """The world's programme open, with its sessions moved so that its invitations were due ten days ago
    (queryset updates: nobody has been told anything, so no change notice is made)."""
    programme = world.programme
    programme.status = ProgrammeStatus.OPEN
    programme.save(update_fields=["status"])
    first = programme.sessions.order_by("date").first().date
    shift = first - (timezone.localdate() + timedelta(days=programme.invitation_lead_days - 10))
    Session.objects.filter(programme=programme).update(date=F("date") - shift)
    return world


def person(world, name, *, school=None, **invitee) -> Invitation:
    """Someone at ``school`` (the world's school unless given) on the programme's list, by email."""
    fields = {f"invitee__{key}": value for key, value in invitee.items()}
    return InvitationFactory(
        programme=world.programme,
        invitee__name=name,
        invitee__organisation=school or world.school,
        **fields,
    )


def row(invitation, channel, *, state=MessageState.SENT, kind=MessageKind.INVITATION, ago=5, **extra):
    """An outbox row of ``kind`` to ``invitation`` on ``channel``, due ``ago`` days ago (negative: to come)."""
    message = new_message(
        invitation_id=invitation.pk,
        kind=kind,
        channel=channel,
        scheduled_for=timezone.now() - timedelta(days=ago),
    )
    message.state = state
    if state == MessageState.SENT:
        message.sent_at = message.scheduled_for
    for key, value in extra.items():
        setattr(message, key, value)
    message.save()
    return message


def listed(world, **kwargs) -> dict[str, list[str]]:
    return {p.invitee.name: p.reasons for p in reach.not_reached(programme=world.programme, **kwargs)}


def groups(world, **kwargs) -> dict[str, tuple[int, int, int]]:
    return {
        g.key: (g.on_list, g.reached, g.not_reached)
        for g in reach.reached_by_group(programme=world.programme, **kwargs)
    }


# Each reason -----------------------------------------------------------------------------------------


def test_someone_with_no_way_to_reach_them_is_listed_though_no_message_was_made(due):
    person(due, "Nora None", email="", school=due.group)

    assert listed(due) == {"Nora None": ["No way to reach them"]}


def test_an_email_that_does_not_work_is_listed_with_the_providers_words(due):
    nell = person(due, "Nell Bounce", email_failed="550 5.1.1 no such user", school=due.group)
    row(nell, Channel.EMAIL, delivery=Delivery.PERMANENT_FAILURE, delivery_said="550 5.1.1 no such user")

    assert listed(due) == {
        "Nell Bounce": ["No way to reach them", "Email not working: 550 5.1.1 no such user"]
    }


def test_an_email_not_delivered_since_fixed_still_says_so(due):
    """The address was corrected (the mark cleared), but the invitation that bounced never arrived."""
    fixed = person(due, "Fay Fixed")
    row(fixed, Channel.EMAIL, delivery=Delivery.PERMANENT_FAILURE, delivery_said="mailbox full for good")

    assert listed(due) == {"Fay Fixed": ["Email not delivered: mailbox full for good"]}


def test_an_email_that_could_not_be_sent_is_listed(due):
    failed = person(due, "Fred Failed")
    row(failed, Channel.EMAIL, state=MessageState.FAILED, last_error="could not build it")

    assert listed(due) == {"Fred Failed": ["Email could not be sent"]}


def test_a_mobile_that_does_not_work_is_listed(due):
    tom = person(
        due,
        "Tom Text",
        email="",
        channel=Channel.SMS,
        mobile="+447700900123",
        texts_agreed=True,
        mobile_failed="Not a mobile number",
        school=due.group,
    )
    row(tom, Channel.SMS, delivery=Delivery.PERMANENT_FAILURE)

    assert "Text messages not working: Not a mobile number" in listed(due)["Tom Text"]


def test_a_text_refused_is_listed(due):
    rita = person(
        due, "Rita Refused", email="", channel=Channel.SMS, mobile="+447700900124", texts_agreed=True
    )
    row(rita, Channel.SMS, state=MessageState.FAILED, last_error="Notify refused the text")

    assert listed(due) == {"Rita Refused": ["Text refused"]}


def test_a_letter_due_but_not_printed_is_listed(due):
    lena = person(due, "Lena Letter", email="", channel=Channel.LETTER)
    row(lena, Channel.LETTER, state=MessageState.SCHEDULED)

    assert listed(due) == {"Lena Letter": ["Letter not printed yet"]}


def test_a_letter_printed_is_reached(due):
    lena = person(due, "Lena Letter", email="", channel=Channel.LETTER)
    row(lena, Channel.LETTER, state=MessageState.SENT)

    assert listed(due) == {}
    assert groups(due)["parents"] == (1, 1, 0)


# Who is never listed ----------------------------------------------------------------------------------


def test_an_email_sent_with_no_word_or_delivered_got_through_but_not_a_temporary_failure(due):
    """Notify's "temporary failure" is its last word (a phone off for days, an inbox full): not reached."""
    for name, delivery in [("No Word", ""), ("Del Ivered", "delivered"), ("Tem Porary", "temporary-failure")]:
        row(person(due, name), Channel.EMAIL, delivery=delivery)

    assert listed(due) == {"Tem Porary": ["Not delivered (a phone switched off, or an inbox full)"]}
    assert groups(due)["parents"] == (3, 2, 1)


def test_nothing_sent_yet_is_not_a_reason(due):
    """An email whose time has come but which has not gone yet (the next run sends it)."""
    row(person(due, "Pat Pending"), Channel.EMAIL, state=MessageState.SCHEDULED)

    assert listed(due) == {}
    assert groups(due)["parents"] == (1, 0, 0)


def test_someone_who_replied_is_never_listed(due):
    ron = person(due, "Ron Replied", email="", school=due.group)
    Reply.objects.create(invitation=ron, source="phone")

    assert listed(due) == {}
    assert groups(due)["parents"] == (1, 1, 0)


def test_someone_who_asked_not_to_be_contacted_is_never_listed_nor_counted(due):
    olly = person(due, "Olly Out", email="", school=due.group)
    Invitation.objects.filter(pk=olly.pk).update(opted_out_at=timezone.now())

    assert listed(due) == {}
    assert groups(due)["parents"] == (0, 0, 0)


def test_someone_who_came_or_was_met_on_the_day_is_never_listed(due):
    came = person(due, "Cam Came", email="", school=due.group)
    Attendance.objects.create(session=due.session, invitation=came)
    met = person(due, "Met Walkin", email="", channel=Channel.NONE, school=due.group)
    Invitation.objects.filter(pk=met.pk).update(met_on_the_day=True)

    assert listed(due) == {}
    assert groups(due)["parents"] == (2, 2, 0)


def test_before_the_invitations_are_due_nobody_is_listed(world):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save(update_fields=["status"])
    person(world, "Nora None", email="", school=world.group)
    lena = person(world, "Lena Letter", email="", channel=Channel.LETTER)
    due_at = reach.invitations_due_at(programme=world.programme)
    # Her letter is planned for the invitation day, as the schedule plans it (a row planned a fixed
    # number of days from now would fall before or after nine o'clock that day by the time of day).
    row(lena, Channel.LETTER, state=MessageState.SCHEDULED, scheduled_for=due_at)

    assert listed(world) == {}
    assert listed(world, now=due_at - timedelta(minutes=1)) == {}
    assert set(listed(world, now=due_at + timedelta(days=15))) == {"Nora None", "Lena Letter"}


def test_nobody_is_listed_while_the_programme_is_being_planned(due):
    due.programme.status = ProgrammeStatus.DRAFT
    due.programme.save(update_fields=["status"])
    person(due, "Nora None", email="", school=due.group)

    assert listed(due) == {}


def test_someone_added_after_the_invitations_went_is_listed_only_once_theirs_is_due(due):
    late = person(due, "Lee Late", email="", channel=Channel.LETTER)
    row(late, Channel.LETTER, state=MessageState.SCHEDULED, ago=-1)

    assert listed(due) == {}
    assert listed(due, now=timezone.now() + timedelta(days=2)) == {"Lee Late": ["Letter not printed yet"]}


def test_a_bounced_email_with_its_fallback_letter_printed_is_reached(due):
    bea = person(
        due,
        "Bea Bounced",
        channel=Channel.LETTER,
        fell_back_from=Channel.EMAIL,
        email_failed="550 no such user",
    )
    row(bea, Channel.EMAIL, delivery=Delivery.PERMANENT_FAILURE, delivery_said="550 no such user")
    row(bea, Channel.LETTER, state=MessageState.SENT)

    assert listed(due) == {}
    assert groups(due)["parents"] == (1, 1, 0)


def test_a_bounced_email_with_its_fallback_letter_still_to_print_is_listed(due):
    bea = person(
        due,
        "Bea Bounced",
        channel=Channel.LETTER,
        fell_back_from=Channel.EMAIL,
        email_failed="550 no such user",
    )
    row(bea, Channel.EMAIL, delivery=Delivery.PERMANENT_FAILURE, delivery_said="550 no such user")
    row(bea, Channel.LETTER, state=MessageState.SCHEDULED)

    assert listed(due) == {"Bea Bounced": ["Email not working: 550 no such user", "Letter not printed yet"]}


# What the office needs to ring them --------------------------------------------------------------------


def test_the_number_to_ring_is_the_mobile_in_uk_form_else_the_phone(due):
    person(due, "Mo Mobile", email="", mobile="+447700900123", phone="0161 496 0000", school=due.group)
    person(due, "Phil Phone", email="", phone="0161 496 0001", school=due.group)
    person(due, "Nick Nonumber", email="", school=due.group)

    found = {p.invitee.name: (p.phone, p.tel) for p in reach.not_reached(programme=due.programme)}

    assert found == {
        "Mo Mobile": ("07700 900123", "+447700900123"),
        "Phil Phone": ("0161 496 0001", "01614960001"),
        "Nick Nonumber": ("", ""),
    }


def test_a_mobile_that_does_not_work_gives_way_to_their_phone(due):
    person(
        due,
        "Mo Mobile",
        email="",
        mobile="+447700900123",
        mobile_failed="Not a mobile",
        phone="0161 496 0000",
        school=due.group,
    )

    (found,) = reach.not_reached(programme=due.programme)

    assert (found.phone, found.tel) == ("0161 496 0000", "01614960000")


def test_language_and_interpreter_are_shown(due):
    person(due, "Ayesha Urdu", email="", language="ur", interpreter=True, school=due.group)
    person(due, "Ewa Polish", email="", language="pl", school=due.group)

    found = {p.invitee.name: (p.language, p.interpreter) for p in reach.not_reached(programme=due.programme)}

    assert found == {"Ayesha Urdu": ("Urdu", "Urdu"), "Ewa Polish": ("Polish", "")}


# The three groups ---------------------------------------------------------------------------------------


def test_group_counts_are_right(due):
    for index in range(3):
        row(person(due, f"Parent Reached{index}"), Channel.EMAIL)
    person(due, "Parent Missed", email="", school=due.group)
    teacher = person(due, "Tess Teacher", category=Category.SCHOOL_STAFF, staff_role=StaffRole.TEACHER)
    row(teacher, Channel.EMAIL, delivery=Delivery.PERMANENT_FAILURE, delivery_said="no such user")
    worker = person(due, "Gus Group", category=Category.GROUP_WORKER, school=due.group)
    Reply.objects.create(invitation=worker)
    neighbour = person(due, "Nia Neighbour", category=Category.COMMUNITY, school=due.group)
    row(neighbour, Channel.EMAIL, state=MessageState.SCHEDULED)

    assert groups(due) == {"parents": (4, 3, 1), "school_staff": (1, 0, 1), "groups": (2, 1, 0)}


# Per school --------------------------------------------------------------------------------------------


@pytest.fixture
def two_schools(due):
    """Both schools take part; one person at each whom nothing reached, and one at a group."""
    due.programme.schools.add(due.other_school)
    person(due, "Mill Brook", email="")
    person(due, "Ann Stanne", email="", school=due.other_school)
    person(due, "Greta Group", email="", category=Category.GROUP_WORKER, school=due.group)
    return due


def test_the_school_filter_shows_only_that_schools_people(two_schools):
    assert set(listed(two_schools)) == {"Mill Brook", "Ann Stanne", "Greta Group"}
    assert set(listed(two_schools, school=two_schools.school)) == {"Mill Brook"}
    assert set(listed(two_schools, school=two_schools.other_school)) == {"Ann Stanne"}
    assert groups(two_schools, school=two_schools.school) == {
        "parents": (1, 0, 1),
        "school_staff": (0, 0, 0),
        "groups": (0, 0, 0),
    }


def page_url(world, **query) -> str:
    url = reverse("invitations:not_reached", args=[world.programme.pk])
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def test_the_facilitator_sees_everyone_and_can_choose_a_school(client, two_schools):
    client.force_login(two_schools.user("facilitator"))

    everyone = client.get(page_url(two_schools)).content.decode()
    one = client.get(page_url(two_schools, school=two_schools.other_school.pk)).content.decode()

    assert all(name in everyone for name in ("Mill Brook", "Ann Stanne", "Greta Group"))
    assert 'id="school-filter"' in everyone and "Everyone on the list" in everyone
    assert "Ann Stanne" in one and "Mill Brook" not in one and "Greta Group" not in one


def test_a_coordinator_sees_only_their_own_school_and_403_for_another(client, two_schools):
    client.force_login(two_schools.user("coordinator"))

    own = client.get(page_url(two_schools))
    other = client.get(page_url(two_schools, school=two_schools.other_school.pk))
    other_csv = client.get(
        reverse("invitations:not_reached_csv", args=[two_schools.programme.pk])
        + f"?school={two_schools.other_school.pk}"
    )

    assert own.status_code == 200
    assert "Mill Brook" in own.content.decode()
    assert "Ann Stanne" not in own.content.decode() and "Greta Group" not in own.content.decode()
    assert other.status_code == 403
    assert other_csv.status_code == 403


def test_the_other_schools_coordinator_sees_their_own_and_not_ours(client, two_schools):
    client.force_login(two_schools.user("other_coordinator"))

    assert "Ann Stanne" in client.get(page_url(two_schools)).content.decode()
    assert client.get(page_url(two_schools, school=two_schools.school.pk)).status_code == 403


@pytest.mark.parametrize("school", ["nonsense", "999999"])
def test_a_school_that_is_no_school_is_not_found(client, two_schools, school):
    client.force_login(two_schools.user("facilitator"))

    assert client.get(page_url(two_schools, school=school)).status_code == 404


def test_a_school_not_taking_part_is_refused_even_to_the_facilitator(client, due):
    client.force_login(due.user("facilitator"))

    assert client.get(page_url(due, school=due.other_school.pk)).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, due):
    for url in (page_url(due), reverse("invitations:not_reached_csv", args=[due.programme.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response.url


# The page and the CSV ------------------------------------------------------------------------------------


def test_the_page_shows_each_person_with_a_tel_link_their_reasons_and_the_counts(client, due):
    person(
        due, "Mo Mobile", email="", mobile="+447700900123", language="ur", interpreter=True, school=due.group
    )
    row(person(due, "Rae Reached"), Channel.EMAIL)
    client.force_login(due.user("facilitator"))

    html = client.get(page_url(due)).content.decode()

    assert 'href="tel:+447700900123"' in html and "07700 900123" in html
    assert "No way to reach them" in html
    assert "Needed: Urdu" in html
    assert "Parents and carers: 1 of 2 reached" in html
    assert "<script>" not in html and "style=" not in html
    assert 'src="/static/js/print.js"' in html and "data-print" in html
    assert 'media="print"' in html


def test_the_page_says_when_there_is_nobody_to_ring(client, due):
    client.force_login(due.user("coordinator"))

    html = client.get(page_url(due)).content.decode()

    assert 'id="nobody-to-ring"' in html


def test_csv_cells_are_formula_safe(client, due):
    person(
        due,
        '=HYPERLINK("http://evil.example/","Click")',
        email="",
        phone="+44 161 496 0000",
        school=due.group,
    )
    client.force_login(due.user("facilitator"))

    response = client.get(reverse("invitations:not_reached_csv", args=[due.programme.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    header, first = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert header == ["name", "who they are", "organisation", "phone", "language", "interpreter", "why"]
    assert first[0] == '\'=HYPERLINK("http://evil.example/","Click")'
    assert first[3] == "'+44 161 496 0000"
    assert first[6] == "No way to reach them"


def test_csv_of_one_school_has_only_its_people(client, two_schools):
    client.force_login(two_schools.user("facilitator"))
    url = reverse("invitations:not_reached_csv", args=[two_schools.programme.pk])

    text = client.get(f"{url}?school={two_schools.school.pk}").content.decode()

    assert "Mill Brook" in text and "Ann Stanne" not in text
    assert "millbrook-primary" in client.get(f"{url}?school={two_schools.school.pk}")["Content-Disposition"]


# Query counts: the same at 50 people as at 500 --------------------------------------------------------


def add_people(world, count: int, start: int) -> None:
    """``count`` people at the school with an invitation row each, of every kind of outcome."""
    invitees = Invitee.objects.bulk_create(
        [
            Invitee(
                neighbourhood=world.neighbourhood,
                name=f"Person {start + n:04d}",
                category=[Category.PARENT, Category.SCHOOL_STAFF, Category.GROUP_WORKER][n % 3],
                staff_role=StaffRole.TEACHER if n % 3 == 1 else "",
                organisation=world.school,
                email="" if n % 4 == 0 else f"person{start + n}@example.org",
                channel=Channel.LETTER if n % 4 == 0 else Channel.EMAIL,
                mobile="+447700900123",
                interpreter=n % 5 == 0,
            )
            for n in range(count)
        ]
    )
    invitations = Invitation.objects.bulk_create(
        [Invitation(programme=world.programme, invitee=invitee) for invitee in invitees]
    )
    Reply.objects.bulk_create([Reply(invitation=i) for i in invitations[::7]])
    rows = []
    for n, invitation in enumerate(invitations):
        message = new_message(
            invitation_id=invitation.pk,
            kind=MessageKind.INVITATION,
            channel=Channel.LETTER if n % 4 == 0 else Channel.EMAIL,
            scheduled_for=timezone.now() - timedelta(days=1),
        )
        message.state = MessageState.SCHEDULED if n % 4 == 0 else MessageState.SENT
        message.delivery = Delivery.PERMANENT_FAILURE if n % 4 == 1 else ""
        rows.append(message)
    Message.objects.bulk_create(rows)


def test_the_service_costs_the_same_queries_at_50_and_500_people(due):
    add_people(due, 50, 0)
    with CaptureQueriesContext(connection) as few:
        small = reach.reach(programme=due.programme)
    add_people(due, 450, 50)
    with CaptureQueriesContext(connection) as many:
        big = reach.reach(programme=due.programme)

    assert len(many.captured_queries) == len(few.captured_queries) <= 4
    assert len(small.people) < len(big.people)
    assert sum(g.on_list for g in big.groups) == 500


@pytest.mark.parametrize("role", ["facilitator", "coordinator"])
def test_the_page_and_the_csv_cost_the_same_queries_at_50_and_500_people(
    client, due, role, django_assert_max_num_queries
):
    client.force_login(due.user(role))
    urls = [page_url(due), reverse("invitations:not_reached_csv", args=[due.programme.pk])]
    add_people(due, 50, 0)
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        counts.append(len(few.captured_queries))
    add_people(due, 450, 50)
    for url, count in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert client.get(url).status_code == 200


# Where it is linked from ----------------------------------------------------------------------------


def test_the_list_and_the_letters_page_link_to_it_with_the_count(client, two_schools):
    client.force_login(two_schools.user("facilitator"))

    invitations = client.get(reverse("invitations:list", args=[two_schools.programme.pk])).content.decode()
    letters_page = client.get(
        reverse("invitations:letters", args=[two_schools.programme.pk])
    ).content.decode()

    assert "3 people not reached — call list" in invitations
    assert reverse("invitations:not_reached", args=[two_schools.programme.pk]) in invitations
    assert f"?school={two_schools.school.pk}" in letters_page
    assert letters_page.count("1 person not reached — call list") == 2


def test_the_coordinators_list_counts_only_their_school(client, two_schools):
    client.force_login(two_schools.user("coordinator"))

    html = client.get(reverse("invitations:list", args=[two_schools.programme.pk])).content.decode()

    assert "1 person not reached — call list" in html


# Letters marked printed when downloaded ---------------------------------------------------------------


def ready_batch(world, *, school=None, kind=MessageKind.INVITATION, session=None) -> LetterBatch:
    """A batch made now, as render_batch makes it: it keeps the ids of the people it printed."""
    school = school or world.school
    printed = list(
        letters.letter_invitations(programme=world.programme, school=school).values_list("pk", flat=True)
    )
    batch = LetterBatch.objects.create(
        programme=world.programme,
        school=school,
        kind=kind,
        session=session,
        fingerprint="x",
        state=LetterState.READY,
        pages_total=1,
        printed=printed,
    )
    batch.file.save("letters.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"))
    return batch


def download(client, world, batch, method="get"):
    url = reverse("invitations:letter_download", args=[world.programme.pk, batch.pk])
    return getattr(client, method)(url)


def reminder_row(invitation, session, channel=Channel.LETTER) -> Message:
    message = new_message(
        invitation_id=invitation.pk,
        kind=MessageKind.REMINDER,
        channel=channel,
        session_id=session.pk,
        scheduled_for=timezone.now() - timedelta(days=1),
    )
    message.save()
    return message


def state_of(message) -> str:
    message.refresh_from_db()
    return message.state


def test_downloading_an_invitation_batch_marks_its_letters_printed_and_only_those(client, due):
    due.programme.schools.add(due.other_school)
    lena = person(due, "Lena Letter", email="", channel=Channel.LETTER)
    letter = row(lena, Channel.LETTER, state=MessageState.SCHEDULED)
    reminder = reminder_row(lena, due.session)
    emailed = person(due, "Erin Email")
    email = row(emailed, Channel.EMAIL, state=MessageState.SCHEDULED)
    elsewhere = person(due, "Olga Other", email="", channel=Channel.LETTER, school=due.other_school)
    other_school = row(elsewhere, Channel.LETTER, state=MessageState.SCHEDULED)
    batch = ready_batch(due)
    later = person(due, "Larry Later", email="", channel=Channel.LETTER)
    Invitation.objects.filter(pk=later.pk).update(created_at=batch.created_at + timedelta(seconds=1))
    added_after = row(later, Channel.LETTER, state=MessageState.SCHEDULED)
    assert set(listed(due)) == {"Lena Letter", "Olga Other", "Larry Later"}
    client.force_login(due.user("coordinator"))

    assert download(client, due, batch, method="head").status_code == 200
    assert state_of(letter) == MessageState.SCHEDULED
    assert download(client, due, batch).status_code == 200

    letter.refresh_from_db()
    assert letter.state == MessageState.SENT and letter.sent_at is not None
    assert state_of(reminder) == MessageState.SCHEDULED
    assert state_of(email) == MessageState.SCHEDULED
    assert state_of(other_school) == MessageState.SCHEDULED
    assert state_of(added_after) == MessageState.SCHEDULED
    assert set(listed(due)) == {"Olga Other", "Larry Later"}
    printed_at = letter.sent_at
    assert download(client, due, batch).status_code == 200
    letter.refresh_from_db()
    assert letter.sent_at == printed_at


def test_downloading_a_reminder_batch_marks_only_that_sessions_reminder_letters(client, due):
    lena = person(due, "Lena Letter", email="", channel=Channel.LETTER)
    invitation_letter = row(lena, Channel.LETTER, state=MessageState.SCHEDULED)
    first, second = due.programme.sessions.order_by("order")[:2]
    this_one = reminder_row(lena, first)
    another = reminder_row(lena, second)
    client.force_login(due.user("facilitator"))

    download(client, due, ready_batch(due, kind=MessageKind.REMINDER, session=first))

    assert state_of(this_one) == MessageState.SENT
    assert state_of(another) == MessageState.SCHEDULED
    assert state_of(invitation_letter) == MessageState.SCHEDULED


def test_the_list_says_printed_after_the_download(client, due):
    lena = person(due, "Lena Letter", email="", channel=Channel.LETTER)
    row(lena, Channel.LETTER, state=MessageState.SCHEDULED)
    client.force_login(due.user("facilitator"))
    list_url = reverse("invitations:list", args=[due.programme.pk])
    assert "letter due" in client.get(list_url).content.decode()

    download(client, due, ready_batch(due))

    html = client.get(list_url).content.decode()
    assert f"letter printed {timezone.localdate():%-d %b %Y}" in html
    assert "letter due" not in html


def test_one_persons_letter_downloaded_is_marked_printed(client, due):
    lena = person(due, "Lena Letter", email="", channel=Channel.LETTER)
    letter = row(lena, Channel.LETTER, state=MessageState.SCHEDULED)
    client.force_login(due.user("coordinator"))

    response = client.get(reverse("invitations:letter_one", args=[due.programme.pk, lena.pk]))

    assert response.status_code == 200
    assert state_of(letter) == MessageState.SENT
    assert listed(due) == {}


def test_mark_printed_of_a_reminder_batch_without_a_session_marks_nothing(due):
    lena = person(due, "Lena Letter", email="", channel=Channel.LETTER)
    reminder_row(lena, due.session)
    batch = LetterBatch(programme=due.programme, school=due.school, kind=MessageKind.REMINDER, session=None)
    batch.created_at = timezone.now()

    assert letters.mark_printed(batch=batch) == 0
    assert not Message.objects.filter(state=MessageState.SENT).exists()


def test_someone_moved_to_letters_after_the_batch_was_made_is_not_marked_printed(client, due):
    """Downloading marks the people the batch printed, not whoever is on letters now."""
    lena = person(due, "Lena Letter", email="", channel=Channel.LETTER)
    letter = row(lena, Channel.LETTER, state=MessageState.SCHEDULED)
    batch = ready_batch(due)
    bounced = person(due, "Bea Bounced")  # by email when the batch was made
    Invitee.objects.filter(pk=bounced.invitee_id).update(channel=Channel.LETTER, email_failed="550")
    moved = row(bounced, Channel.LETTER, state=MessageState.SCHEDULED)
    client.force_login(due.user("coordinator"))

    assert download(client, due, batch).status_code == 200

    assert state_of(letter) == MessageState.SENT
    assert state_of(moved) == MessageState.SCHEDULED
