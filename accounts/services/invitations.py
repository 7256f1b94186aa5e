"""Inviting a colleague: a facilitator asks a school coordinator or an artist to join, by name and email.

The email is a row of the one outbox (core.outbox), kind "staff_invite", whose recipient is the
StaffInvitation. Its link's token is minted when the email is built, just before it goes, and only the
hash is kept; a resend makes a new row (the next version) and at once switches off the old link. The link
works once, for STAFF_INVITE_DAYS from when it was made: accepting sets a password on a new account (or
adds the role to the existing account with that email) in one transaction that claims the invitation
first, so a link used twice, even at the same moment, gives one account.

Who may do what is in accounts/rules.py; the services check it again where they take a school or sessions
from a form (a facilitator invites only for their neighbourhood's schools and their programmes' sessions).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.enums import MessageChannel, MessageState
from core.kinds import Kind, register
from core.mail import build_email
from core.models import Message
from core.outbox import send_soon
from core.tokens import hash_token, new_token
from core.users import User
from events.enums import OrganisationKind
from events.forms import ARTISTS_GROUP
from events.models import Organisation, Programme, Session

from ..enums import LinkState, StaffRole
from ..models import StaffInvitation, link_lifetime

KIND = "staff_invite"
USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")
# secrets.token_urlsafe(32) is 43 characters; anything much longer is not one of ours.
LONGEST_TOKEN = 100


class InvitationClosed(Exception):
    """The invitation cannot be accepted: used, withdrawn or expired (``state`` says which)."""

    def __init__(self, state: LinkState) -> None:
        super().__init__(state)
        self.state = state


class AccountUnclear(Exception):
    """More than one account has the invitation's email, or only a switched-off one: an administrator
    must decide which (if any) gets the role."""


# --- Whose schools and sessions -------------------------------------------------------------------------


def schools_for(user: User) -> QuerySet[Organisation]:
    """The schools ``user`` may invite a coordinator for, or remove one from: those of the neighbourhoods
    they facilitate (every school for an administrator)."""
    schools = Organisation.objects.filter(kind=OrganisationKind.SCHOOL).select_related("neighbourhood")
    if user.is_superuser:
        return schools.order_by("neighbourhood__name", "name")
    return schools.filter(neighbourhood__facilitators=user).order_by("neighbourhood__name", "name")


def programmes_run_by(user: User) -> QuerySet[Programme]:
    """The programmes ``user`` runs (events.rules.runs_programme); every one for an administrator."""
    if user.is_superuser:
        return Programme.objects.all()
    return Programme.objects.filter(Q(neighbourhood__facilitators=user) | Q(facilitators=user)).distinct()


def sessions_for(user: User) -> QuerySet[Session]:
    """The sessions ``user`` may invite an artist for: those not cancelled of the programmes they run."""
    return (
        Session.objects.active()
        .filter(programme__in=programmes_run_by(user).values("pk"))
        .select_related("programme")
        .order_by("programme__title", "programme_id", "order", "date")
    )


# --- Inviting, resending, withdrawing --------------------------------------------------------------------


def _queue_email(invitation: StaffInvitation) -> Message:
    message = Message.objects.create(
        kind=KIND,
        recipient_type=ContentType.objects.get_for_model(StaffInvitation),
        recipient_id=invitation.pk,
        version=invitation.sends,
        channel=MessageChannel.EMAIL,
        scheduled_for=timezone.now(),
    )
    send_soon(message)
    return message


def pending_invitation_like(
    *, email: str, role: str, school: Organisation | None = None, sessions: Iterable[Session] = ()
) -> StaffInvitation | None:
    """A pending invitation of the same address to the same school (a coordinator's) or to any of the same
    sessions (an artist's): the facilitator should resend that one rather than make a second."""
    same = StaffInvitation.objects.pending().filter(email__iexact=email.strip(), role=role)
    if role == StaffRole.COORDINATOR:
        same = same.filter(school=school)
    else:
        same = same.filter(sessions__in=[session.pk for session in sessions])
    return same.first()


@transaction.atomic
def invite_colleague(
    *,
    by: User,
    name: str,
    email: str,
    role: str,
    school: Organisation | None = None,
    sessions: Iterable[Session] = (),
) -> StaffInvitation:
    """Invite someone to be a school's coordinator or some sessions' artist: the invitation, and its email
    in the outbox, sent in seconds once the transaction commits (core.outbox.send_soon). Raises
    PermissionDenied for a school outside ``by``'s neighbourhoods or a session outside their programmes,
    and ValidationError when the role's school or sessions are missing."""
    sessions = list(sessions)
    if role == StaffRole.COORDINATOR:
        if school is None:
            raise ValidationError({"school": _("Choose the school they coordinate for.")})
        if not schools_for(by).filter(pk=school.pk).exists():
            raise PermissionDenied("That school is not in a neighbourhood you facilitate.")
        sessions = []
    elif role == StaffRole.ARTIST:
        if not sessions:
            raise ValidationError({"sessions": _("Choose at least one session for them to draw at.")})
        allowed = set(sessions_for(by).filter(pk__in=[s.pk for s in sessions]).values_list("pk", flat=True))
        if allowed != {session.pk for session in sessions}:
            raise PermissionDenied("A session is not of a programme you run.")
        school = None
    else:
        raise ValidationError({"role": _("Choose a role.")})
    invitation = StaffInvitation.objects.create(
        role=role, name=name.strip(), email=email.strip(), school=school, invited_by=by
    )
    invitation.sessions.set(sessions)
    _queue_email(invitation)
    return invitation


def _cancel_unsent(invitation: StaffInvitation) -> None:
    invitation.messages.filter(state=MessageState.SCHEDULED).update(state=MessageState.CANCELLED)


@transaction.atomic
def resend_invitation(*, invitation: StaffInvitation) -> StaffInvitation:
    """A new email with a new link; the old link stops working at once (its hash is forgotten) and an
    email of it not sent yet is not sent. The new link works STAFF_INVITE_DAYS from when it goes. Raises
    ValidationError for an invitation accepted or withdrawn."""
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None or invitation.withdrawn_at is not None:
        raise ValidationError(_("This invitation has been accepted or withdrawn: it cannot be sent again."))
    _cancel_unsent(invitation)
    invitation.sends += 1
    invitation.token_hash = ""
    invitation.link_made_at = None
    invitation.save(update_fields=["sends", "token_hash", "link_made_at"])
    _queue_email(invitation)
    return invitation


@transaction.atomic
def withdraw_invitation(*, invitation: StaffInvitation, by: User) -> StaffInvitation:
    """The invitation is withdrawn: its link opens a page saying so, and an email not sent yet is not
    sent. Raises ValidationError for one already accepted (remove the access instead)."""
    updated = StaffInvitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now(), withdrawn_by=by)
    invitation.refresh_from_db()
    if not updated and invitation.withdrawn_at is None:
        raise ValidationError(_("This invitation has been accepted: remove their access instead."))
    _cancel_unsent(invitation)
    return invitation


# --- The email --------------------------------------------------------------------------------------------


def accept_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("accounts:accept", args=[token])


def _invitation_of(message: Message) -> StaffInvitation:
    invitation: StaffInvitation = (
        StaffInvitation.objects.select_related("school", "invited_by")
        .prefetch_related("sessions__programme")
        .get(pk=message.recipient_id)
    )
    return invitation


def build_invite_email(message: Message, shared: dict[Any, Any]) -> EmailMessage:
    """The email to the colleague, with a freshly minted link whose hash replaces any earlier one (a
    retry's new email carries the only link that works) and which works STAFF_INVITE_DAYS from now.
    Staff emails are in English, like staff pages."""
    invitation = _invitation_of(message)
    token, token_hash = new_token()
    made_at = timezone.now()
    email = build_email(
        template="staff_invite",
        context={
            "invitation": invitation,
            "inviter": invitation.invited_by,
            "sessions": list(invitation.sessions.all()),
            "url": accept_url(token),
            "expires_at": made_at + link_lifetime(),
        },
        to_name=invitation.name,
        to_address=invitation.email,
    )
    # Only the email of the newest sending, still pending, may make the link that works.
    updated = StaffInvitation.objects.filter(
        pk=invitation.pk, sends=message.version, accepted_at__isnull=True, withdrawn_at__isnull=True
    ).update(token_hash=token_hash, link_made_at=made_at)
    if not updated:
        raise LookupError("This invitation was resent, withdrawn or accepted since its email was queued.")
    return email


def invite_still_wanted(message: Message, now: datetime) -> bool:
    """Only the newest sending of an invitation that is still pending."""
    return StaffInvitation.objects.pending().filter(pk=message.recipient_id, sends=message.version).exists()


def forget_link(message: Message) -> None:
    """A link whose email did not go (this time, or for good) opens nothing."""
    StaffInvitation.objects.filter(pk=message.recipient_id, sends=message.version).update(token_hash="")


def register_kinds() -> None:
    register(
        Kind(
            name=KIND,
            label=gettext_lazy("Invitation to a colleague"),
            build=build_invite_email,
            still_wanted=invite_still_wanted,
            on_not_sent=forget_link,
        )
    )


# --- Opening and accepting the link -------------------------------------------------------------------------


def find_invitation(*, token: str) -> StaffInvitation | None:
    """The invitation a token opens, or None for an unknown token (or one a resend replaced). A used,
    withdrawn or expired one is found: its page says so (StaffInvitation.state)."""
    if not token or len(token) > LONGEST_TOKEN:
        return None
    return (
        StaffInvitation.objects.select_related("school", "invited_by")
        .prefetch_related("sessions__programme")
        .filter(token_hash=hash_token(token))
        .first()
    )


def existing_account(*, invitation: StaffInvitation) -> User | None:
    """The one account with the invitation's email (any case), which gets the role instead of a new one;
    None when there is none. Raises AccountUnclear when several have it, or only a switched-off one."""
    accounts = list(User.objects.filter(email__iexact=invitation.email.strip()).order_by("pk")[:3])
    if not accounts:
        return None
    active = [account for account in accounts if account.is_active]
    if len(accounts) > 1 or not active:
        raise AccountUnclear(invitation.email)
    return active[0]


def new_account(*, invitation: StaffInvitation) -> User:
    """The account (not saved) an invitation makes for someone new: their email address is their user
    name (another number added if an older account took that name), their name split at the first space."""
    first, _space, last = invitation.name.strip().partition(" ")
    email = invitation.email.strip()
    # Django's user names hold letters, digits and @.+-_ only: anything else an address has becomes "_".
    name = USERNAME_UNSAFE.sub("_", email.lower())
    username = name[:150]
    number = 1
    while User.objects.filter(username__iexact=username).exists():
        number += 1
        username = f"{name[: 150 - len(str(number)) - 1]}-{number}"
    return User(username=username, email=email, first_name=first[:150], last_name=last.strip()[:150])


def give_role(*, invitation: StaffInvitation, user: User) -> None:
    """The invitation's role, on ``user``: their school's coordinators, or its sessions' artists (and the
    Artists group, from which a facilitator later picks artists for other sessions)."""
    if invitation.role == StaffRole.COORDINATOR:
        assert invitation.school is not None, "a coordinator's invitation always names a school"
        invitation.school.coordinators.add(user)
    else:
        for session in invitation.sessions.all():
            session.artists.add(user)
        user.groups.add(Group.objects.get_or_create(name=ARTISTS_GROUP)[0])


@dataclass(frozen=True)
class Accepted:
    """Whose account took up an invitation, and whether accepting made it (with the password given)."""

    user: User
    created: bool


@transaction.atomic
def accept_invitation(
    *, invitation: StaffInvitation, token: str, password: str | None = None, now: datetime | None = None
) -> Accepted:
    """Take up the invitation once: claim it (a conditional UPDATE on the link's hash, so a second use, even
    at the same moment, finds it taken), then make the account with ``password`` (validated by the form)
    or find the existing one with that email, and give it the role. Says which, and whether the account
    is new: one found here may have been made after the page looked (``created`` False), and then the
    password given was not set on it, so whoever typed it must not be signed in as it. Raises
    InvitationClosed when the link has been used, withdrawn, replaced or has expired, AccountUnclear as
    existing_account does, and ValueError when a new account is wanted but no password given."""
    now = now or timezone.now()
    # Read again, locked: the page's copy may be old.
    current = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    state = current.state(now)
    if current.token_hash != hash_token(token):
        raise InvitationClosed(LinkState.USED if state == LinkState.USED else LinkState.WITHDRAWN)
    if state != LinkState.OPEN:
        raise InvitationClosed(state)
    user = existing_account(invitation=current)
    if user is None and not password:
        raise ValueError("A new account needs a password.")
    claimed = StaffInvitation.objects.filter(
        pk=current.pk, token_hash=current.token_hash, accepted_at__isnull=True, withdrawn_at__isnull=True
    ).update(accepted_at=now)
    if not claimed:
        raise InvitationClosed(LinkState.USED)
    created = user is None
    if user is None:
        user = new_account(invitation=current)
        user.set_password(password)
        user.save()
    StaffInvitation.objects.filter(pk=current.pk).update(accepted_by=user)
    give_role(invitation=current, user=user)
    return Accepted(user=user, created=created)


# --- Removing access -------------------------------------------------------------------------------------


def remove_coordinator(*, school: Organisation, user: User) -> bool:
    """``user`` is no longer one of the school's coordinators (their account stays, with any other role).
    Returns whether they were one."""
    was = school.coordinators.filter(pk=user.pk).exists()
    school.coordinators.remove(user)
    return was


def remove_artist(*, programme: Programme, user: User) -> int:
    """``user`` is no longer the artist of any of the programme's sessions (their account stays, with any
    other role). Returns how many sessions they were taken off."""
    deleted, _by_model = Session.artists.through.objects.filter(
        session__programme=programme, user=user
    ).delete()
    return deleted
