"""Asking for a school's letters (views/letters.py letters_page, its LetterRequestForm) and who may print
them (the rule invitations.print_letters). Making the PDFs themselves is in test_letters.py."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from invitations.enums import MessageKind
from invitations.models import LetterBatch
from invitations.rules import SchoolLetters
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def coordinator(client, world):
    InvitationFactory(
        programme=world.programme,
        invitee__name="Amina Yusuf",
        invitee__organisation=world.school,
        invitee__channel="letter",
        invitee__email="",
    )
    client.force_login(world.user("coordinator"))
    return client


def letters_url(world):
    return reverse("invitations:letters", args=[world.programme.pk])


def test_a_reminder_letter_is_made_for_a_session_still_to_come(coordinator, world):
    session = world.programme.sessions.order_by("date").last()

    response = coordinator.post(
        letters_url(world), {"school": world.school.pk, "letter": f"reminder-{session.pk}"}
    )

    batch = LetterBatch.objects.get()
    assert response.status_code == 302
    assert (batch.kind, batch.session, batch.school) == (MessageKind.REMINDER, session, world.school)


def test_no_reminder_for_a_session_that_is_over(coordinator, world):
    session = world.programme.sessions.order_by("date").first()
    session.date = timezone.localdate() - timedelta(days=1)
    session.save()

    response = coordinator.post(
        letters_url(world), {"school": world.school.pk, "letter": f"reminder-{session.pk}"}, follow=True
    )

    assert "That session has already happened or was cancelled." in response.content.decode()
    assert not LetterBatch.objects.exists()


@pytest.mark.parametrize("school", ["", "not-a-number", "999999"])
def test_a_school_that_is_not_in_the_programme_is_not_found(coordinator, world, school):
    assert coordinator.post(letters_url(world), {"school": school}).status_code == 404
    assert not LetterBatch.objects.exists()


def test_a_school_of_the_neighbourhood_not_taking_part_is_not_found(coordinator, world):
    assert coordinator.post(letters_url(world), {"school": world.other_school.pk}).status_code == 404


def test_print_letters_is_for_the_facilitators_and_the_schools_own_coordinators(world):
    world.programme.schools.add(world.other_school)
    mine, theirs = (
        SchoolLetters(world.programme, world.school),
        SchoolLetters(world.programme, world.other_school),
    )

    assert world.user("facilitator").has_perm("invitations.print_letters", mine)
    assert world.user("facilitator").has_perm("invitations.print_letters", theirs)
    assert world.user("coordinator").has_perm("invitations.print_letters", mine)
    assert not world.user("coordinator").has_perm("invitations.print_letters", theirs)
    assert not world.user("other_facilitator").has_perm("invitations.print_letters", mine)
    assert world.user("admin").has_perm("invitations.print_letters", theirs)


def test_nobody_prints_for_a_school_not_taking_part(world):
    outside = SchoolLetters(world.programme, world.other_school)

    assert not world.user("facilitator").has_perm("invitations.print_letters", outside)
    assert not world.user("other_coordinator").has_perm("invitations.print_letters", outside)
