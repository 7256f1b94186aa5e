from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from actions.models import Action
from artwork.enums import ImageState
from artwork.models import Artwork, Theme
from core import outbox
from core.models import Message
from evaluations.models import Attendance, Word
from events.enums import OrganisationKind, SessionKind
from events.models import ChecklistItem, Neighbourhood, Organisation, Programme, Session, Venue
from invitations.enums import Category, Channel, MessageKind, MessageState
from invitations.models import Invitation, Invitee
from invitations.services.schedule import sync_all_schedules

MILLBROOK = "Better Together in Millbrook"
RIVERSIDE = "Better Together in Riverside"
# Added this week, so their invitations go at the next run: one by text, one to an address that bounces.
LATE = ("Joy Adeyemi", "Amina Yusuf")

MODELS = [
    get_user_model(),
    Neighbourhood,
    Organisation,
    Venue,
    Programme,
    Session,
    ChecklistItem,
    Invitee,
    Invitation,
    Message,
    Attendance,
    Word,
    Artwork,
    Theme,
    Action,
]


def snapshot():
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


def test_seed_demo_builds_the_demo_neighbourhood(db, settings, capsys):
    settings.DEBUG = True

    call_command("seed_demo")

    neighbourhood = Neighbourhood.objects.get()
    organisations = Organisation.objects.filter(neighbourhood=neighbourhood)
    assert organisations.filter(kind=OrganisationKind.SCHOOL).count() == 3
    assert organisations.filter(kind=OrganisationKind.CHILDRENS_CENTRE).count() == 1
    assert (
        organisations.exclude(kind__in=[OrganisationKind.SCHOOL, OrganisationKind.CHILDRENS_CENTRE]).count()
        == 6
    )
    assert Venue.objects.count() == 1
    programme = Programme.objects.get(title=MILLBROOK)
    first = programme.sessions.order_by("order").first()
    assert first.kind == SessionKind.ALL_DAY
    assert 26 <= (first.date - programme.created_at.date()).days <= 32
    assert first.date.weekday() == 2  # a Wednesday: a school day
    invited = Invitation.objects.filter(programme=programme).select_related("invitee")
    categories = [invitation.invitee.category for invitation in invited]
    assert categories.count(Category.PARENT) >= 5
    assert categories.count(Category.SCHOOL_STAFF) >= 5
    assert categories.count(Category.GROUP_WORKER) >= 6
    assert any(invitation.invitee.channel == Channel.LETTER for invitation in invited)
    assert Message.objects.filter(invitation__programme=programme).exists()  # the schedule is computed
    output = capsys.readouterr().out
    for username in ["facilitator", "coordinator", "artist"]:
        assert username in output
        assert get_user_model().objects.get(username=username).check_password("together-demo-2026")


def test_seed_demo_twice_changes_nothing(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    before = snapshot()

    call_command("seed_demo")

    assert snapshot() == before


def test_seed_demo_roles_can_use_the_site(client, db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    for programme in Programme.objects.all():
        for username in ["facilitator", "coordinator", "artist"]:
            client.force_login(get_user_model().objects.get(username=username))
            assert client.get(programme.get_absolute_url()).status_code == 200


def test_seed_demo_refuses_without_debug(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("seed_demo")

    assert not get_user_model().objects.exists()


def test_seed_demo_has_a_programme_whose_all_day_has_happened(db, settings):
    settings.DEBUG = True

    call_command("seed_demo")

    programme = Programme.objects.get(title=RIVERSIDE)
    all_day = programme.sessions.get(kind=SessionKind.ALL_DAY)
    first_half_day = programme.sessions.filter(kind=SessionKind.HALF_DAY).order_by("date").first()
    today = timezone.localdate()
    assert all_day.date < today <= first_half_day.date <= today + timedelta(days=7)
    assert Attendance.objects.filter(session=all_day).count() >= 10
    assert Attendance.objects.filter(session=all_day, invitation__met_on_the_day=True).count() == 1
    assert Word.objects.filter(session=all_day).shown().count() >= 15
    artworks = Artwork.objects.filter(session=all_day)
    assert artworks.count() == 3
    assert all(a.state == ImageState.READY and a.is_described and a.themes.exists() for a in artworks)
    action = Action.objects.get(programme=programme)
    assert action.lead.invitee.category == Category.PARENT
    assert action.updates.count() == 1


def test_the_first_dispatcher_run_after_seeding_sends_only_what_a_real_site_would_today(
    db, settings, smtp_sink
):
    settings.DEBUG = True
    settings.SMS_HOURS = (0, 24)
    call_command("seed_demo")
    started = timezone.now()

    result = outbox.dispatch_due()

    programme = Programme.objects.get(title=RIVERSIDE)
    all_day = programme.sessions.get(kind=SessionKind.ALL_DAY)
    assert not [m for m in smtp_sink.messages if RIVERSIDE in m["Subject"]]
    sent_now = Message.objects.filter(sent_at__gte=started).exclude(invitation__invitee__name__in=LATE)
    assert not sent_now.filter(invitation__programme=programme).exclude(kind=MessageKind.REMINDER).exists()
    # Nothing goes to anyone who came, but a reminder of a get-together still to come (at nine, its day).
    came = set(
        Attendance.objects.filter(session=all_day).values_list("invitation__invitee__email", flat=True)
    )
    to_them = [m for m in smtp_sink.messages if any(address and address in m["To"] for address in came)]
    assert all(m["Subject"].startswith("See you on") for m in to_them)
    # The two added late: Joy's invitation went as a text; Amina's address bounced, so a letter is due.
    joy = Invitation.objects.get(programme=programme, invitee__name="Joy Adeyemi")
    assert joy.messages.get(kind=MessageKind.INVITATION).state == MessageState.SENT
    assert joy.messages.get(kind=MessageKind.INVITATION).channel == Channel.SMS
    amina = Invitee.objects.get(name="Amina Yusuf")
    assert amina.channel == Channel.LETTER and "No such mailbox" in amina.email_failed
    assert Message.objects.filter(
        invitation__invitee=amina, kind=MessageKind.INVITATION, channel=Channel.LETTER
    ).exists()
    texts = Message.objects.filter(sent_at__gte=started, channel=Channel.SMS)
    assert len(smtp_sink.messages) == result.sent - texts.count()
    assert ("Joy Adeyemi", "invitation") in set(texts.values_list("invitation__invitee__name", "kind"))
    # The past really happened: the invitations went three weeks before the all-day, at their time.
    invitations = Message.objects.filter(
        invitation__programme=programme, kind=MessageKind.INVITATION, channel=Channel.EMAIL
    ).exclude(invitation__invitee__name__in=LATE)
    assert invitations.count() >= 10
    assert set(invitations.values_list("state", flat=True)) == {MessageState.SENT}
    assert all(row.sent_at == row.scheduled_for < all_day.starts_at for row in invitations)
    assert (
        Message.objects.filter(invitation__programme=programme, session=all_day, state=MessageState.SENT)
        .exclude(sent_at__gte=all_day.starts_at)
        .exists()
    )  # and the all-day's reminders before the day


def test_after_seeding_nothing_is_due_for_the_programme_whose_all_day_is_past(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")

    programme = Programme.objects.get(title=RIVERSIDE)
    sync_all_schedules()

    due = Message.objects.due(timezone.now()).filter(invitation__programme=programme)
    assert not due.exclude(kind=MessageKind.REMINDER).exclude(invitation__invitee__name__in=LATE).exists()
    assert not Message.objects.filter(
        invitation__programme=programme,
        invitation__attendances__isnull=False,
        kind__in=[MessageKind.INVITATION, MessageKind.NUDGE],
        state=MessageState.SCHEDULED,
    ).exists()
