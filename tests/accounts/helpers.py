"""Inviting colleagues in tests: an invitation made by the real service, and the link read from the email
the real outbox sent (Django's test mail backend keeps it in mail.outbox)."""

import re

from django.core import mail

from accounts.enums import StaffRole
from accounts.models import StaffInvitation
from accounts.services.invitations import invite_colleague
from core import outbox

LINK = re.compile(r"https?://[^/\s]+(/accounts/welcome/[A-Za-z0-9_-]+/)")
RESET_LINK = re.compile(r"https?://[^/\s]+(/accounts/reset/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/)")


def invite(world, *, role=StaffRole.COORDINATOR, name="Grace Obi", email="grace.obi@example.org", **more):
    """The world's facilitator invites someone: a coordinator for the world's school unless told."""
    if role == StaffRole.COORDINATOR:
        more.setdefault("school", world.school)
    else:
        more.setdefault("sessions", [world.session])
    return invite_colleague(by=world.user("facilitator"), name=name, email=email, role=role, **more)


def send_outbox() -> int:
    return outbox.dispatch_due(prepare=False).sent


def path_in(email, pattern=LINK) -> str:
    """The site path of the link in an email's text (the same as in its HTML)."""
    found = pattern.search(email.body)
    assert found, email.body
    html = email.alternatives[0][0] if email.alternatives else ""
    assert found.group(0) in html
    return found.group(1)


def sent_link(invitation: StaffInvitation) -> str:
    """Send what the outbox holds and return the path of the link in the newest email to the invitee."""
    send_outbox()
    emails = [email for email in mail.outbox if invitation.email in email.to[0]]
    assert emails, f"no email to {invitation.email}"
    return path_in(emails[-1])


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]
