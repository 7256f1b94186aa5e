import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from events.enums import OrganisationKind, SessionKind
from events.models import ChecklistItem, Neighbourhood, Organisation, Programme, Session, Venue
from invitations.enums import Category, Channel
from invitations.models import Invitation, Invitee, Message

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
    programme = Programme.objects.get()
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
    programme = Programme.objects.get()

    for username in ["facilitator", "coordinator", "artist"]:
        client.force_login(get_user_model().objects.get(username=username))
        assert client.get(programme.get_absolute_url()).status_code == 200


def test_seed_demo_refuses_without_debug(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("seed_demo")

    assert not get_user_model().objects.exists()
