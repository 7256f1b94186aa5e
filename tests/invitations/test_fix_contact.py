"""Fixing an address or number that stopped working: the marks go, the way they had comes back, and the
schedule follows (letters no longer wanted are cancelled, their email rows planned again)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.models import Message
from events.enums import ProgrammeStatus
from invitations.enums import Channel, MessageKind, MessageState
from invitations.models import Invitation, Invitee
from invitations.services.invitees import update_contact
from invitations.services.schedule import sync_schedule
from tests.events.test_forms import field_error
from tests.factories import InvitationFactory, InviteeFactory

BOUNCE = "550 5.1.1 <amira@example.org>: No such user"


def bounced(world, **invitee) -> Invitation:
    """Someone from the coordinator's school whose email bounced, moved to a letter through school, as
    the bounce leaves them (services.delivery): the email rows cancelled, letter rows in their place."""
    invitation = InvitationFactory(
        programme=world.programme,
        invitee__name="Amira Khan",
        invitee__email="amira@example.org",
        invitee__organisation=world.school,
        **{f"invitee__{key}": value for key, value in invitee.items()},
    )
    sync_schedule(programme=world.programme)
    Invitee.objects.filter(pk=invitation.invitee_id).update(
        channel=Channel.LETTER, email_failed=BOUNCE, fell_back_from=Channel.EMAIL
    )
    sync_schedule(programme=world.programme)
    invitation.invitee.refresh_from_db()
    return invitation


def invitation_row(invitation: Invitation, channel: str) -> Message:
    return Message.objects.get(invitation=invitation, kind=MessageKind.INVITATION, channel=channel)


def fix(world, invitation: Invitation, *, role="facilitator", **changes) -> Invitee:
    person = invitation.invitee
    details = {"email": person.email, "mobile": person.mobile, "texts_agreed": person.texts_agreed}
    return update_contact(invitee=person, by=world.user(role), **{**details, **changes})


def url(invitee: Invitee) -> str:
    return reverse("invitations:fix_contact", args=[invitee.pk])


# --- The service -------------------------------------------------------------------------------------------


def test_a_changed_email_clears_its_mark_and_brings_back_email(world):
    invitation = bounced(world)

    person = fix(world, invitation, email="Amira.Khan@Example.org")

    person.refresh_from_db()
    assert (person.email, person.email_failed) == ("amira.khan@example.org", "")
    assert (person.channel, person.fell_back_from) == (Channel.EMAIL, "")


def test_fixing_re_plans_the_schedule_letters_cancelled_and_email_scheduled(world):
    invitation = bounced(world)
    assert invitation_row(invitation, Channel.LETTER).state == MessageState.SCHEDULED
    assert invitation_row(invitation, Channel.EMAIL).state == MessageState.CANCELLED

    fix(world, invitation, email="amira.khan@example.org")

    assert invitation_row(invitation, Channel.LETTER).state == MessageState.CANCELLED
    assert invitation_row(invitation, Channel.EMAIL).state == MessageState.SCHEDULED
    letters = Message.objects.filter(invitation=invitation, channel=Channel.LETTER)
    assert not letters.filter(state=MessageState.SCHEDULED).exists()
    assert Message.objects.filter(
        invitation=invitation, channel=Channel.EMAIL, kind=MessageKind.REMINDER, state=MessageState.SCHEDULED
    ).exists()


def test_the_same_email_again_keeps_the_mark_and_the_letter(world):
    invitation = bounced(world)

    person = fix(world, invitation, email="amira@example.org", mobile="07700 900123", texts_agreed=True)

    person.refresh_from_db()
    assert person.email_failed == BOUNCE
    assert (person.channel, person.fell_back_from) == (Channel.LETTER, Channel.EMAIL)
    assert person.mobile == "+447700900123"
    assert invitation_row(invitation, Channel.LETTER).state == MessageState.SCHEDULED


def test_a_changed_mobile_clears_its_mark_and_brings_back_texts(world):
    invitation = InvitationFactory(
        programme=world.programme,
        invitee__email="",
        invitee__organisation=world.school,
        invitee__mobile="+447700900123",
        invitee__texts_agreed=True,
        invitee__channel=Channel.LETTER,
        invitee__mobile_failed="Permanent failure: not a working number",
        invitee__fell_back_from=Channel.SMS,
    )
    sync_schedule(programme=world.programme)

    person = fix(world, invitation, mobile="07700 900456")

    person.refresh_from_db()
    assert (person.mobile, person.mobile_failed) == ("+447700900456", "")
    assert (person.channel, person.fell_back_from) == (Channel.SMS, "")
    assert invitation_row(invitation, Channel.SMS).state == MessageState.SCHEDULED
    assert invitation_row(invitation, Channel.LETTER).state == MessageState.CANCELLED


def test_a_new_mobile_without_agreement_does_not_bring_back_texts(world):
    invitation = InvitationFactory(
        programme=world.programme,
        invitee__email="",
        invitee__organisation=world.school,
        invitee__mobile="+447700900123",
        invitee__channel=Channel.LETTER,
        invitee__mobile_failed="Permanent failure",
        invitee__fell_back_from=Channel.SMS,
    )

    person = fix(world, invitation, mobile="07700 900456", texts_agreed=False)

    person.refresh_from_db()
    assert person.mobile_failed == ""
    assert (person.channel, person.fell_back_from) == (Channel.LETTER, Channel.SMS)


def test_taking_away_the_number_turns_off_texts_as_well(world):
    invitation = InvitationFactory(
        programme=world.programme,
        invitee__mobile="+447700900123",
        invitee__texts_agreed=True,
        invitee__texts_too=True,
    )

    person = fix(world, invitation, mobile="")

    person.refresh_from_db()
    assert (person.mobile, person.texts_too, person.channel) == ("", False, Channel.EMAIL)


def test_someone_reached_by_text_keeps_a_number(world):
    invitation = InvitationFactory(
        programme=world.programme,
        invitee__email="",
        invitee__mobile="+447700900123",
        invitee__texts_agreed=True,
        invitee__channel=Channel.SMS,
    )

    with pytest.raises(ValidationError) as raised:
        fix(world, invitation, mobile="")

    assert raised.value.message_dict == {"mobile": ["No mobile number: text messages need one."]}
    assert Invitee.objects.get(pk=invitation.invitee_id).mobile == "+447700900123"


def test_an_email_someone_else_in_the_neighbourhood_has_is_refused(world):
    invitation = bounced(world)
    InviteeFactory(neighbourhood=world.neighbourhood, email="taken@example.org")

    with pytest.raises(ValidationError) as raised:
        fix(world, invitation, email="Taken@example.org")

    assert list(raised.value.message_dict) == ["email"]
    assert "Someone else in this neighbourhood has this email address" in raised.value.messages[0]
    assert Invitee.objects.get(pk=invitation.invitee_id).email == "amira@example.org"


def test_a_bad_mobile_is_refused_by_the_service_too(world):
    invitation = bounced(world)

    with pytest.raises(ValidationError) as raised:
        fix(world, invitation, mobile="+44 20 7946 0000")

    assert "landline" in raised.value.message_dict["mobile"][0]


def test_a_finished_programme_is_not_re_planned(world):
    invitation = bounced(world)
    finished = InvitationFactory(programme__neighbourhood=world.neighbourhood, invitee=invitation.invitee)
    finished_row = Message.objects.create(
        recipient=finished,
        kind=MessageKind.INVITATION,
        channel=Channel.LETTER,
        scheduled_for=invitation_row(invitation, Channel.LETTER).scheduled_for,
    )
    finished.programme.status = ProgrammeStatus.FINISHED
    finished.programme.save()

    fix(world, invitation, email="amira.khan@example.org")

    finished_row.refresh_from_db()
    assert finished_row.state == MessageState.SCHEDULED
    assert invitation_row(invitation, Channel.LETTER).state == MessageState.CANCELLED


def test_the_service_refuses_someone_without_the_permission(world):
    invitation = bounced(world)

    with pytest.raises(PermissionDenied):
        fix(world, invitation, role="other_coordinator", email="amira.khan@example.org")

    assert Invitee.objects.get(pk=invitation.invitee_id).email_failed == BOUNCE


# --- The page --------------------------------------------------------------------------------------------


def test_page_shows_what_is_not_working_with_the_details_prefilled(client, world):
    invitation = bounced(world, mobile="+447700900123", texts_agreed=True)
    client.force_login(world.user("coordinator"))

    response = client.get(url(invitation.invitee) + f"?programme={world.programme.pk}")

    html = response.content.decode()
    assert f"Email not working — {BOUNCE}".replace("<", "&lt;").replace(">", "&gt;") in html
    assert "now by letter through Millbrook Primary" in html
    assert 'value="amira@example.org"' in html and 'value="07700 900123"' in html
    assert reverse("invitations:list", args=[world.programme.pk]) in html


def test_saving_the_page_fixes_and_goes_back_to_the_list(client, world):
    invitation = bounced(world)
    client.force_login(world.user("coordinator"))

    response = client.post(
        url(invitation.invitee) + f"?programme={world.programme.pk}",
        {"email": "amira.khan@example.org", "mobile": "", "texts_agreed": ""},
    )

    assert response.status_code == 302
    assert response.url == reverse("invitations:list", args=[world.programme.pk])
    person = Invitee.objects.get(pk=invitation.invitee_id)
    assert (person.email_failed, person.channel) == ("", Channel.EMAIL)
    listing = client.get(response.url).content.decode()
    assert "Email not working" not in listing
    assert "Saved. Amira Khan&#x27;s messages now go by: Email." in listing


def test_saving_without_a_programme_to_go_back_to_goes_home(client, world):
    invitation = bounced(world)
    client.force_login(world.user("facilitator"))

    response = client.post(url(invitation.invitee) + "?programme=junk", {"email": "new@example.org"})

    assert response.status_code == 302 and response.url == reverse("events:dashboard")


@pytest.mark.parametrize(
    ("mobile", "why"),
    [
        ("07700 900 12", "too short"),
        ("0800 123 4567", "freephone or service number"),
        ("07700 9OO123", "only digits"),
    ],
)
def test_a_bad_mobile_is_refused_beside_the_field(client, world, mobile, why):
    invitation = bounced(world)
    client.force_login(world.user("facilitator"))

    response = client.post(url(invitation.invitee), {"email": "amira@example.org", "mobile": mobile})

    assert response.status_code == 200
    assert why in field_error(response, "mobile")
    assert Invitee.objects.get(pk=invitation.invitee_id).mobile == ""


def test_someone_elses_email_is_refused_beside_the_field(client, world):
    invitation = bounced(world)
    InviteeFactory(neighbourhood=world.neighbourhood, email="taken@example.org")
    client.force_login(world.user("facilitator"))

    response = client.post(url(invitation.invitee), {"email": "taken@example.org"})

    assert "Someone else in this neighbourhood has this email address" in field_error(response, "email")


def test_texts_without_agreement_are_refused_beside_the_agreement(client, world):
    invitation = InvitationFactory(
        programme=world.programme,
        invitee__email="",
        invitee__mobile="+447700900123",
        invitee__texts_agreed=True,
        invitee__channel=Channel.SMS,
    )
    client.force_login(world.user("facilitator"))

    response = client.post(url(invitation.invitee), {"mobile": "07700 900123"})

    assert "agreed" in field_error(response, "texts_agreed")


@pytest.mark.parametrize(("role", "status"), [("other_coordinator", 403), ("other_facilitator", 403)])
def test_someone_elses_coordinator_or_facilitator_is_refused(client, world, role, status):
    invitation = bounced(world)
    client.force_login(world.user(role))

    assert client.get(url(invitation.invitee)).status_code == status
    assert client.post(url(invitation.invitee), {"email": "x@example.org"}).status_code == status
    assert Invitee.objects.get(pk=invitation.invitee_id).email == "amira@example.org"


def test_anonymous_is_sent_to_sign_in(client, world):
    invitation = bounced(world)

    response = client.get(url(invitation.invitee))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_taking_away_the_address_they_were_moved_from_leaves_them_on_the_letter(world):
    invitation = bounced(world)

    person = fix(world, invitation, email="")

    person.refresh_from_db()
    assert (person.email, person.email_failed) == ("", "")
    assert (person.channel, person.fell_back_from) == (Channel.LETTER, "")
