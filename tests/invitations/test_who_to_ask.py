"""Who a parent can ask: the school's own contact, or the programme's, or failing both its facilitator —
printed on the letter, shown on the reply page, and the name the default words are signed with."""

import subprocess

import pytest
from django.urls import reverse

from events.enums import ProgrammeStatus
from invitations.models import LetterBatch
from invitations.services.emails import issue_reply_link
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def facilitator(world):
    user = world.user("facilitator")
    user.first_name, user.last_name, user.email = "Fatima", "Begum", "fatima.begum@council.example.gov.uk"
    user.save()
    return user


@pytest.fixture
def parent(world, facilitator):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    return InvitationFactory(
        programme=world.programme,
        invitee__name="Amina Yusuf",
        invitee__organisation=world.school,
        invitee__channel="letter",
        invitee__email="",
    )


def school_contact(world) -> None:
    world.school.parent_contact_name = "Mrs Patel"
    world.school.parent_contact_phone = "0161 496 0000"
    world.school.parent_contact_email = "office@millbrook.example.sch.uk"
    world.school.save()


def programme_contact(world) -> None:
    world.programme.contact_name = "Sam Okafor"
    world.programme.contact_phone = "07700 900123"
    world.programme.save()


def letter_text(client, world, invitation) -> str:
    """The person's letter as the facilitator prints it, as text on one line."""
    client.force_login(world.user("facilitator"))
    response = client.get(reverse("invitations:letter_one", args=[world.programme.pk, invitation.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(text.split())


def reply_page(client, invitation) -> str:
    reply_url, _unsubscribe = issue_reply_link(invitation=invitation)
    token = reply_url.rstrip("/").rsplit("/", 1)[1]
    response = client.get(reverse("invitations:reply", args=[token]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_letter_names_the_schools_contact_to_ring_or_email(client, world, parent):
    school_contact(world)
    programme_contact(world)  # the school's own comes first

    text = letter_text(client, world, parent)

    assert (
        "Any questions? Ask Mrs Patel at Millbrook Primary. Phone: 0161 496 0000 · "
        "Email: office@millbrook.example.sch.uk"
    ) in text
    assert "Ask Sam Okafor" not in text
    assert "With warm wishes, Sam Okafor" in text  # the programme's contact signs the words


def test_without_a_school_contact_the_letter_names_the_programmes(client, world, parent):
    programme_contact(world)

    text = letter_text(client, world, parent)

    assert "Any questions? Ask Sam Okafor. Phone: 07700 900123" in text
    assert "With warm wishes, Sam Okafor" in text  # the default words are signed by them


def test_without_either_the_letter_names_the_facilitator_and_is_signed_by_them(client, world, parent):
    text = letter_text(client, world, parent)

    assert "Any questions? Ask Fatima Begum. Email: fatima.begum@council.example.gov.uk" in text
    assert "We hope to see you there. With warm wishes, Fatima Begum" in text


def test_the_reply_page_shows_who_to_ask_with_links_to_ring_and_email(client, world, parent):
    school_contact(world)

    html = reply_page(client, parent)

    assert "Any questions?" in html and "Ask Mrs Patel at Millbrook Primary." in html
    assert '<a href="tel:01614960000">0161 496 0000</a>' in html
    assert '<a href="mailto:office@millbrook.example.sch.uk">office@millbrook.example.sch.uk</a>' in html


def test_the_reply_page_falls_back_to_the_facilitator(client, world, parent):
    html = reply_page(client, parent)

    assert "Ask Fatima Begum." in html
    assert '<a href="mailto:fatima.begum@council.example.gov.uk">' in html
    assert "tel:" not in html


def test_a_contact_typed_with_html_is_shown_as_text(client, world, parent):
    world.school.parent_contact_name = '<script>alert("x")</script>'
    world.school.parent_contact_email = "office@millbrook.example.sch.uk"
    world.school.save()

    html = reply_page(client, parent)

    assert '<script>alert("x")</script>' not in html and "&lt;script&gt;" in html
    assert '<script>alert("x")</script>' in letter_text(client, world, parent)  # escaped, so printed as typed


def test_the_default_words_in_the_editor_are_signed_by_a_named_person(client, world, facilitator):
    client.force_login(facilitator)

    response = client.get(reverse("invitations:letter_wording", args=[world.programme.pk]))

    assert response.context["form"].initial["text"].endswith("With warm wishes, Fatima Begum")


def test_a_new_contact_makes_fresh_letters(client, world, parent, django_capture_on_commit_callbacks):
    client.force_login(world.user("coordinator"))
    url = reverse("invitations:letters", args=[world.programme.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"school": world.school.pk})
    school_contact(world)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"school": world.school.pk})

    assert LetterBatch.objects.count() == 2
