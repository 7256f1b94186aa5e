"""Inviting a colleague (accounts/services/invitations.py, accounts/views.py): a facilitator invites a school
coordinator or an artist; the email goes through the one outbox with a link that works once, for 7 days;
accepting makes the account (or adds the role to the one with that email) and signs them in. Resend,
withdraw, remove access; and the link used twice, late, or by someone else signed in."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.enums import LinkState, StaffRole
from accounts.models import StaffInvitation
from accounts.services import invitations as staff_invitations
from core.enums import MessageState
from core.models import Message
from core.public import privacy_url
from core.tokens import hash_token
from events.forms import ARTISTS_GROUP
from tests.factories import SchoolFactory, SessionFactory, UserFactory

from .helpers import LINK, invite, send_outbox, sent_link, token_of

User = get_user_model()
PASSWORD = "a-long-walk-to-the-park"


def form_data(world, **changes):
    data = {
        "name": "Grace Obi",
        "email": "grace.obi@example.org",
        "role": StaffRole.COORDINATOR,
        "school": world.school.pk,
    }
    return {**data, **changes}


def choose_password(client, path, password=PASSWORD, again=None):
    return client.post(path, {"new_password1": password, "new_password2": again or password})


def waiting_section(html: str) -> str:
    """The list's "Not accepted yet" part."""
    return html.split('id="waiting"', 1)[1].split('id="coordinators"', 1)[0]


# --- Inviting ---------------------------------------------------------------------------------------------


def test_a_facilitator_invites_a_coordinator_and_the_email_goes_at_once(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(world.user("facilitator"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:invite"), form_data(world))
        assert mail.outbox == []  # nothing goes before the request's transaction commits

    assert response.status_code == 302 and response["Location"] == reverse("accounts:invitations")
    invitation = StaffInvitation.objects.get()
    assert (invitation.name, invitation.email, invitation.role) == (
        "Grace Obi",
        "grace.obi@example.org",
        "coordinator",
    )
    assert invitation.school == world.school and invitation.invited_by == world.user("facilitator")
    row = Message.objects.get(kind="staff_invite")
    assert row.recipient == invitation and row.state == MessageState.SENT
    [email] = mail.outbox
    assert email.to == ["Grace Obi <grace.obi@example.org>"]
    assert email.subject == f"{world.user('facilitator').get_full_name()} has invited you to Better Together"
    assert "as a school coordinator for Millbrook Primary." in email.body
    # Only the token's hash is kept: no row holds the link itself.
    token = _token_in(email.body)
    invitation.refresh_from_db()
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    assert invitation.state() == LinkState.OPEN
    assert invitation.expires_at - invitation.link_made_at == timedelta(days=7)


def _token_in(body: str) -> str:
    return token_of(LINK.search(body).group(1))


def test_the_list_says_who_has_not_accepted_yet(client, world):
    invitation = invite(world)
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("accounts:invitations")).content.decode()
    assert "Grace Obi" in html and "The email is on its way." in html

    sent_link(invitation)
    html = client.get(reverse("accounts:invitations")).content.decode()
    assert "The link works until" in html


def test_an_artist_is_invited_for_sessions_of_the_facilitators_programme(client, world):
    client.force_login(world.user("facilitator"))
    first, second = world.programme.sessions.order_by("order")[:2]

    response = client.post(
        reverse("accounts:invite"),
        {"name": "Ana Lima", "email": "ana@example.org", "role": "artist", "sessions": [first.pk, second.pk]},
    )

    assert response.status_code == 302
    invitation = StaffInvitation.objects.get()
    assert set(invitation.sessions.all()) == {first, second} and invitation.school is None


def test_a_school_outside_the_facilitators_neighbourhood_is_refused_beside_the_field(client, world):
    elsewhere = SchoolFactory(neighbourhood=world.other_neighbourhood, name="Faraway Primary")
    client.force_login(world.user("facilitator"))

    response = client.post(reverse("accounts:invite"), form_data(world, school=elsewhere.pk))

    assert response.status_code == 200
    assert response.context["form"].errors["school"] == ["Choose a school in a neighbourhood you facilitate."]
    assert "Faraway Primary" not in response.content.decode()  # not even offered
    assert not StaffInvitation.objects.exists() and not Message.objects.exists()


def test_the_service_refuses_a_school_outside_the_neighbourhood_too(world):
    from django.core.exceptions import PermissionDenied

    elsewhere = SchoolFactory(neighbourhood=world.other_neighbourhood)

    with pytest.raises(PermissionDenied):
        invite(world, school=elsewhere)
    assert not StaffInvitation.objects.exists()


def test_a_session_of_another_programme_is_refused(client, world):
    other = SessionFactory(programme__neighbourhood=world.other_neighbourhood)
    client.force_login(world.user("facilitator"))

    response = client.post(
        reverse("accounts:invite"),
        {"name": "Ana Lima", "email": "ana@example.org", "role": "artist", "sessions": [other.pk]},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["sessions"] == ["Choose sessions of programmes you run."]
    assert not StaffInvitation.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"school": ""}, "school", "Choose the school they coordinate for."),
        ({"role": "artist", "school": ""}, "sessions", "Choose at least one session for them to draw at."),
        ({"role": "admin"}, "role", "Select a valid choice. admin is not one of the available choices."),
        ({"email": "grace at example"}, "email", "Enter a valid email address."),
        ({"email": "Grace <grace@example.org>"}, "email", "Enter a valid email address."),
        ({"name": "   "}, "name", "This field is required."),
        ({"school": "999999"}, "school", "Choose a school in a neighbourhood you facilitate."),
    ],
)
def test_bad_input_is_refused_beside_its_field(client, world, changes, field, message):
    client.force_login(world.user("facilitator"))

    response = client.post(reverse("accounts:invite"), form_data(world, **changes))

    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert not StaffInvitation.objects.exists()


def test_someone_already_invited_or_already_a_coordinator_is_not_invited_twice(client, world):
    invite(world)
    client.force_login(world.user("facilitator"))

    again = client.post(reverse("accounts:invite"), form_data(world, email="GRACE.OBI@example.org"))
    already = client.post(reverse("accounts:invite"), form_data(world, email=world.user("coordinator").email))

    assert "already have an invitation for this school waiting" in again.context["form"].errors["email"][0]
    assert already.context["form"].errors["email"] == ["They are already a coordinator for this school."]
    assert StaffInvitation.objects.count() == 1


@pytest.mark.parametrize("role", ["coordinator", "artist", "anonymous"])
def test_a_coordinator_or_an_artist_cannot_invite(client, world, role):
    if role != "anonymous":
        client.force_login(world.user(role))

    page = client.get(reverse("accounts:invite"))
    posted = client.post(reverse("accounts:invite"), form_data(world))
    listed = client.get(reverse("accounts:invitations"))

    expected = 302 if role == "anonymous" else 403
    assert (page.status_code, posted.status_code, listed.status_code) == (expected, expected, expected)
    assert not StaffInvitation.objects.exists()


# --- The link: accepting, used twice, late, by someone else -------------------------------------------------


def test_opening_the_link_asks_for_a_password_and_changes_nothing(client, world):
    path = sent_link(invite(world))

    response = client.get(path)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Welcome, Grace Obi" in html and "as a school coordinator for Millbrook Primary." in html
    assert "grace.obi@example.org" in html  # their user name
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert not User.objects.filter(email="grace.obi@example.org").exists()


def test_choosing_a_password_makes_the_account_gives_the_role_and_signs_in(client, world):
    invitation = invite(world)
    path = sent_link(invitation)

    response = choose_password(client, path)

    assert response.status_code == 302 and response["Location"] == reverse("events:dashboard")
    user = User.objects.get(email="grace.obi@example.org")
    assert (user.username, user.first_name, user.last_name) == ("grace.obi@example.org", "Grace", "Obi")
    assert user.check_password(PASSWORD)
    assert list(user.coordinated_organisations.all()) == [world.school]
    assert client.session[SESSION_KEY] == str(user.pk)
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.state() == LinkState.USED
    home = client.get(reverse("events:dashboard")).content.decode()
    assert "You are now a school coordinator for Millbrook Primary." in home
    assert world.programme.title in home  # their school's programme


@pytest.mark.parametrize(
    ("password", "again", "error"),
    [
        (PASSWORD, "a-long-walk-to-the-shop", "The two password fields didn’t match."),
        ("short1", None, "This password is too short. It must contain at least 8 characters."),
        ("password123", None, "This password is too common."),
        ("83749265018", None, "This password is entirely numeric."),
        ("grace.obi@example.org", None, "The password is too similar to the"),
    ],
)
def test_a_weak_or_mistyped_password_is_refused_and_the_link_still_works(
    client, world, password, again, error
):
    path = sent_link(invite(world))

    response = choose_password(client, path, password, again)

    assert response.status_code == 200
    assert error in response.content.decode().replace("&#x27;", "'")
    assert not User.objects.filter(email="grace.obi@example.org").exists()
    assert choose_password(client, path).status_code == 302


def test_a_link_used_twice_is_refused_the_second_time(world):
    path = sent_link(invite(world))
    assert choose_password(Client(), path).status_code == 302

    stranger = Client()
    opened = stranger.get(path)
    posted = choose_password(stranger, path, "another-long-password")

    assert opened.status_code == posted.status_code == 410
    html = opened.content.decode()
    assert "This link has been used" in html and reverse("login") in html
    assert User.objects.filter(email="grace.obi@example.org").count() == 1
    assert User.objects.get(email="grace.obi@example.org").check_password(PASSWORD)
    assert SESSION_KEY not in stranger.session


def test_accepting_twice_at_the_same_moment_makes_one_account(world):
    invitation = invite(world)
    token = token_of(sent_link(invitation))
    page_copy = staff_invitations.find_invitation(token=token)

    accepted = staff_invitations.accept_invitation(invitation=page_copy, token=token, password=PASSWORD)
    with pytest.raises(staff_invitations.InvitationClosed) as closed:
        staff_invitations.accept_invitation(invitation=page_copy, token=token, password="something-else-long")

    assert accepted.created and accepted.user.check_password(PASSWORD)
    assert closed.value.state == LinkState.USED
    assert User.objects.filter(email="grace.obi@example.org").count() == 1


def test_an_account_made_after_the_page_looked_gets_the_role_but_not_the_password(world):
    """The page found no account with the email and asked for a password; someone made that account
    before the password was sent. Accepting finds it and says it is not new: the password typed is not
    set on it, and nobody may be signed in as it for having typed one."""
    invitation = invite(world)
    token = token_of(sent_link(invitation))
    page_copy = staff_invitations.find_invitation(token=token)
    assert staff_invitations.existing_account(invitation=page_copy) is None
    meanwhile = UserFactory(username="grace-meanwhile", email="Grace.Obi@example.org")

    accepted = staff_invitations.accept_invitation(invitation=page_copy, token=token, password=PASSWORD)

    assert accepted.user == meanwhile and not accepted.created
    meanwhile.refresh_from_db()
    assert not meanwhile.check_password(PASSWORD)
    assert list(meanwhile.coordinated_organisations.all()) == [world.school]
    assert User.objects.filter(email__iexact="grace.obi@example.org").count() == 1


class MakesTheAccountMeanwhile:
    """A password validator that, while the accept page's form checks the new password (after the page
    looked for an account with the invitation's email and found none), makes that account: someone else
    making it at that moment."""

    def validate(self, password, user=None):
        if not User.objects.filter(email__iexact="grace.obi@example.org").exists():
            UserFactory(username="grace-meanwhile", email="grace.obi@example.org")

    def get_help_text(self):
        return ""


def test_the_page_signs_in_only_an_account_it_made(client, world, settings):
    path = sent_link(invite(world))
    settings.AUTH_PASSWORD_VALIDATORS = [
        *settings.AUTH_PASSWORD_VALIDATORS,
        {"NAME": f"{__name__}.MakesTheAccountMeanwhile"},
    ]

    response = choose_password(client, path)

    meanwhile = User.objects.get(email="grace.obi@example.org")
    assert meanwhile.username == "grace-meanwhile"
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert SESSION_KEY not in client.session
    assert not meanwhile.check_password(PASSWORD)
    assert list(meanwhile.coordinated_organisations.all()) == [world.school]
    page = client.get(response["Location"]).content.decode()
    assert "Sign in as usual, with your user name grace-meanwhile." in page


def test_after_eight_days_the_link_has_expired_and_says_who_to_ask(client, world):
    path = sent_link(invite(world))

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        opened = client.get(path)
        posted = choose_password(client, path)

    assert opened.status_code == posted.status_code == 410
    html = opened.content.decode()
    facilitator = world.user("facilitator")
    assert "This link has expired" in html
    assert f"Please ask {facilitator.get_full_name()} for a new one" in html and facilitator.email in html
    assert not User.objects.filter(email="grace.obi@example.org").exists()


def test_the_expired_page_says_how_long_a_link_works_as_set(client, world, settings):
    settings.STAFF_INVITE_DAYS = 3
    path = sent_link(invite(world))

    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        html = client.get(path).content.decode()

    assert "This link has expired" in html
    assert "An invitation link works for 3 days, to keep your account safe." in html
    assert "a week" not in html


def test_the_invitation_email_says_truthfully_what_the_link_does_and_links_to_the_privacy_notice(world):
    UserFactory(username="grace", email="grace.obi@example.org")  # she has an account already
    invitation = invite(world)
    send_outbox()
    [email] = [email for email in mail.outbox if invitation.email in email.to[0]]
    html = email.alternatives[0][0]

    for text in (email.body, html):
        assert "you will be signed in" not in text
        assert "If you already have an account with this email address" in text
        assert "the role is added to it and you sign in as usual" in text
    assert f"How we use your information:\n{privacy_url()}" in email.body
    assert f'href="{privacy_url()}"' in html


def test_on_the_sixth_day_the_link_still_works(client, world):
    path = sent_link(invite(world))

    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert choose_password(client, path).status_code == 302


def test_someone_else_signed_in_is_refused_plainly(client, world):
    path = sent_link(invite(world))
    client.force_login(world.user("artist"))

    opened = client.get(path)
    posted = choose_password(client, path)

    assert opened.status_code == posted.status_code == 403
    html = opened.content.decode()
    assert "Sign out first" in html and "this invitation is for Grace Obi" in html
    assert not User.objects.filter(email="grace.obi@example.org").exists()
    assert client.session[SESSION_KEY] == str(world.user("artist").pk)
    # Signing out from there comes back to the link, which then works.
    signed_out = client.post(reverse("logout"), {"next": path})
    assert signed_out["Location"] == path
    assert client.get(path).status_code == 200


def test_an_unknown_or_altered_token_is_a_plain_404(client, world):
    path = sent_link(invite(world))

    assert client.get(path[:-3] + "xx/").status_code == 404
    assert client.get(reverse("accounts:accept", args=["x" * 200])).status_code == 404


def test_the_link_page_is_rate_limited(client, world, settings):
    settings.RATE_LIMIT_PER_MINUTE = 2
    path = sent_link(invite(world))

    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 429]


def test_an_existing_account_with_that_email_gets_the_role_instead(client, world):
    existing = UserFactory(username="gobi", email="Grace.Obi@Example.org", first_name="Grace")
    invitation = invite(world)
    path = sent_link(invitation)

    page = client.get(path)
    response = client.post(path)

    assert "You already have an account with this email address" in page.content.decode()
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert User.objects.filter(email__iexact="grace.obi@example.org").count() == 1
    assert list(existing.coordinated_organisations.all()) == [world.school]
    existing.refresh_from_db()
    assert existing.check_password("a-test-password")  # their own password, unchanged
    assert SESSION_KEY not in client.session  # they sign in as usual (with two-factor, if theirs)
    assert choose_password(Client(), path).status_code == 410


def test_the_existing_account_signed_in_takes_the_role_and_stays_signed_in(client, world):
    existing = world.user("artist")
    invitation = invite(world, email=existing.email)
    path = sent_link(invitation)
    client.force_login(existing)

    response = client.post(path)

    assert response.status_code == 302 and response["Location"] == reverse("events:dashboard")
    assert world.school.coordinators.filter(pk=existing.pk).exists()


def test_two_accounts_with_the_email_are_for_an_administrator_to_sort_out(client, world):
    UserFactory(username="one", email="grace.obi@example.org")
    UserFactory(username="two", email="GRACE.OBI@example.org")
    path = sent_link(invite(world))

    response = client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert response.status_code == 409
    assert "Please ask an administrator" in response.content.decode()
    assert not world.school.coordinators.filter(email__iexact="grace.obi@example.org").exists()


def test_a_switched_off_account_with_the_email_is_not_switched_back_on(client, world):
    UserFactory(username="gone", email="grace.obi@example.org", is_active=False)
    path = sent_link(invite(world))

    assert client.post(path).status_code == 409
    assert not User.objects.filter(email="grace.obi@example.org", is_active=True).exists()


def test_an_artist_accepts_and_draws_at_the_chosen_sessions(client, world):
    first, second, third = world.programme.sessions.order_by("order")[:3]
    path = sent_link(
        invite(
            world, role=StaffRole.ARTIST, name="Ana Lima", email="ana@example.org", sessions=[first, second]
        )
    )

    assert choose_password(client, path).status_code == 302

    ana = User.objects.get(email="ana@example.org")
    assert set(ana.artist_sessions.all()) == {first, second}
    assert ana.groups.filter(name=ARTISTS_GROUP).exists()  # offered for other sessions later
    assert not third.artists.filter(pk=ana.pk).exists()


# --- Resend, withdraw ---------------------------------------------------------------------------------------


def test_resending_makes_the_old_link_stop_working(client, world):
    invitation = invite(world)
    old = sent_link(invitation)
    client.force_login(world.user("facilitator"))

    response = client.post(reverse("accounts:resend", args=[invitation.pk]))

    assert response.status_code == 302
    assert Client().get(old).status_code == 404  # at once, before the new email has gone
    new = sent_link(invitation)
    assert new != old
    assert Client().get(old).status_code == 404
    assert choose_password(Client(), new).status_code == 302
    assert len([m for m in mail.outbox if "grace.obi" in m.to[0]]) == 2


def test_resending_before_the_first_email_went_sends_only_the_new_one(world):
    invitation = invite(world)

    staff_invitations.resend_invitation(invitation=invitation)
    send_outbox()

    assert len(mail.outbox) == 1
    states = dict(Message.objects.values_list("version", "state"))
    assert states == {1: MessageState.CANCELLED, 2: MessageState.SENT}


def test_a_resent_link_works_seven_days_from_the_new_email(client, world):
    invitation = invite(world)
    sent_link(invitation)
    later = timezone.now() + timedelta(days=6)
    with time_machine.travel(later):
        staff_invitations.resend_invitation(invitation=invitation)
        path = sent_link(invitation)
    with time_machine.travel(later + timedelta(days=6)):
        assert choose_password(client, path).status_code == 302


def test_withdrawing_stops_the_link_and_the_email_not_sent_yet(client, world):
    invitation = invite(world)
    client.force_login(world.user("facilitator"))

    response = client.post(reverse("accounts:withdraw", args=[invitation.pk]))
    send_outbox()

    assert response.status_code == 302
    assert mail.outbox == []
    invitation.refresh_from_db()
    assert invitation.state() == LinkState.WITHDRAWN and invitation.withdrawn_by == world.user("facilitator")
    html = client.get(reverse("accounts:invitations")).content.decode()
    assert "Grace Obi" not in waiting_section(html)
    # And it cannot be sent again.
    client.post(reverse("accounts:resend", args=[invitation.pk]))
    send_outbox()
    assert mail.outbox == []


def test_a_withdrawn_link_already_sent_says_it_no_longer_works(world):
    invitation = invite(world)
    path = sent_link(invitation)

    staff_invitations.withdraw_invitation(invitation=invitation, by=world.user("facilitator"))
    response = Client().get(path)

    assert response.status_code == 410
    assert "This link no longer works" in response.content.decode()
    assert choose_password(Client(), path).status_code == 410


@pytest.mark.parametrize("role", ["other_facilitator", "coordinator", "artist"])
def test_nobody_else_can_resend_or_withdraw(client, world, role):
    invitation = invite(world)
    client.force_login(world.user(role))

    assert client.post(reverse("accounts:resend", args=[invitation.pk])).status_code == 403
    assert client.post(reverse("accounts:withdraw", args=[invitation.pk])).status_code == 403
    invitation.refresh_from_db()
    assert invitation.sends == 1 and invitation.withdrawn_at is None


def test_an_email_that_did_not_go_forgets_its_link_and_the_list_says_so(client, world, smtp_sink):
    invitation = invite(world, email="permfail@example.org")

    send_outbox()

    invitation.refresh_from_db()
    assert invitation.token_hash == ""
    client.force_login(world.user("facilitator"))
    assert "The email did not go" in client.get(reverse("accounts:invitations")).content.decode()


# --- Removing access ---------------------------------------------------------------------------------------


def test_a_facilitator_removes_a_coordinators_access(client, world):
    coordinator = world.user("coordinator")
    client.force_login(world.user("facilitator"))

    response = client.post(reverse("accounts:remove_coordinator", args=[world.school.pk, coordinator.pk]))

    assert response.status_code == 302
    assert not world.school.coordinators.filter(pk=coordinator.pk).exists()
    assert User.objects.filter(pk=coordinator.pk, is_active=True).exists()  # the account stays
    client.force_login(coordinator)
    assert client.get(reverse("invitations:list", args=[world.programme.pk])).status_code == 403


def test_a_facilitator_removes_an_artist_from_every_session_of_the_programme(client, world):
    artist = world.user("artist")
    world.programme.sessions.get(order=2).artists.add(artist)
    client.force_login(world.user("facilitator"))

    response = client.post(reverse("accounts:remove_artist", args=[world.programme.pk, artist.pk]))

    assert response.status_code == 302
    assert not artist.artist_sessions.exists()


@pytest.mark.parametrize("role", ["other_facilitator", "other_coordinator", "coordinator", "artist"])
def test_nobody_else_removes_access(client, world, role):
    client.force_login(world.user(role))

    school = client.post(
        reverse("accounts:remove_coordinator", args=[world.school.pk, world.user("coordinator").pk])
    )
    programme = client.post(
        reverse("accounts:remove_artist", args=[world.programme.pk, world.user("artist").pk])
    )

    assert school.status_code == programme.status_code == 403
    assert world.school.coordinators.filter(pk=world.user("coordinator").pk).exists()
    assert world.session.artists.filter(pk=world.user("artist").pk).exists()


def test_removing_from_a_group_that_is_not_a_school_is_refused(client, world):
    client.force_login(world.user("facilitator"))

    response = client.post(
        reverse("accounts:remove_coordinator", args=[world.group.pk, world.user("coordinator").pk])
    )

    assert response.status_code == 403


# --- The list at size -----------------------------------------------------------------------------------


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("accounts:invitations"))
    assert response.status_code == 200
    return len(queries)


def add_colleagues(world, number: int) -> None:
    sessions = list(world.programme.sessions.all())
    for index in range(number):
        school = SchoolFactory(neighbourhood=world.neighbourhood)
        school.coordinators.add(UserFactory())
        sessions[index % len(sessions)].artists.add(UserFactory())
        invite(world, name=f"Person {index}", email=f"person{index}@example.org", school=school)
        invite(world, role=StaffRole.ARTIST, name=f"Artist {index}", email=f"artist{index}@example.org")
    send_outbox()


def test_the_list_costs_the_same_queries_with_many_colleagues(client, world):
    client.force_login(world.user("facilitator"))
    add_colleagues(world, 1)
    few = count_queries(client)

    add_colleagues(world, 15)
    many = count_queries(client)

    assert many == few
    html = client.get(reverse("accounts:invitations")).content.decode()
    assert "Person 14" in html and "Artist 14" in html


def test_the_list_shows_only_the_facilitators_own_schools_and_programmes(client, world):
    SchoolFactory(neighbourhood=world.other_neighbourhood, name="Faraway Primary").coordinators.add(
        UserFactory(first_name="Faraway", last_name="Coordinator")
    )
    client.force_login(world.user("other_facilitator"))
    invite(world)

    html = client.get(reverse("accounts:invitations")).content.decode()

    assert "Faraway Primary" in html and "Faraway Coordinator" in html
    assert "Millbrook Primary" not in html and "Grace Obi" not in html


def test_groups_are_not_touched_when_no_artist_accepts(world):
    invite(world)

    assert not Group.objects.filter(name=ARTISTS_GROUP).exists()


# --- Sent mail in DEBUG ---------------------------------------------------------------------------------


def test_the_invitations_email_in_sent_mail_is_for_its_sender_and_administrators(
    client, world, settings, tmp_path
):
    """In the demo the facilitator follows their new coordinator's email from Sent mail (issue 19)."""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "core.mailbox.MailboxBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    invite(world)
    assert send_outbox() == 1
    [kept] = (tmp_path / "mail").glob("*.eml")

    for role in ("admin", "facilitator"):
        client.force_login(world.user(role))
        assert "grace.obi@example.org" in client.get(reverse("invitations:mailbox")).content.decode()
        assert (
            "/accounts/welcome/"
            in client.get(reverse("invitations:mailbox_message", args=[kept.name])).content.decode()
        )
    for role in ("other_facilitator", "coordinator"):
        client.force_login(world.user(role))
        assert client.get(reverse("invitations:mailbox_message", args=[kept.name])).status_code in (403, 404)
        listing = client.get(reverse("invitations:mailbox"))
        assert "grace.obi@example.org" not in listing.content.decode()


def test_an_address_with_characters_a_user_name_cannot_hold_still_makes_a_valid_one(client, world):
    from django.contrib.auth.validators import UnicodeUsernameValidator

    UserFactory(username="siobhan.o_brien@example.org")  # an older account took the plain name
    path = sent_link(invite(world, name="Siobhán O'Brien", email="Siobhan.O'Brien@example.org"))

    assert choose_password(client, path).status_code == 302

    user = User.objects.get(email="Siobhan.O'Brien@example.org")
    assert user.username == "siobhan.o_brien@example.org-2"
    UnicodeUsernameValidator()(user.username)
    assert (user.first_name, user.last_name) == ("Siobhán", "O'Brien")
