"""The staff accounts' rows of the URL table in tests/urlmap.py (which reads them in at its end): inviting
colleagues and their link, taking access away, a forgotten or changed password."""

from tests.urlmap import FACILITATORS, OK, REDIRECT, Route

# Facilitators of any neighbourhood (or programme) invite colleagues; coordinators and artists may not.
INVITERS = {**FACILITATORS, "other_facilitator": OK}
SIGNED_IN = ["other_facilitator", "facilitator", "other_coordinator", "coordinator", "artist", "admin"]
EVERYONE = {role: OK for role in SIGNED_IN}
THE_FACILITATOR = {"facilitator": REDIRECT, "admin": REDIRECT}


def _invitation(world):
    """A coordinator for the world's school, invited by its facilitator (the email not sent yet)."""
    from tests.accounts.helpers import invite

    return {"pk": invite(world).pk}


def _invitation_token(world):
    """The link in that invitation's email, sent: it works for anyone who holds it, signed out."""
    from tests.accounts.helpers import invite, sent_link, token_of

    return {"token": token_of(sent_link(invite(world)))}


def _coordinator(world):
    return {"pk": world.school.pk, "user_pk": world.user("coordinator").pk}


def _artist(world):
    return {"pk": world.programme.pk, "user_pk": world.user("artist").pk}


def _reset_link(world):
    """A working link to choose a new password, for the world's coordinator."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = world.user("coordinator")
    return {
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }


def _wrong_reset_link(world):
    return {**_reset_link(world), "token": "cxyz12-0123456789abcdef0123456789abcdef"}


ROUTES: list[Route] = [
    Route("accounts:invitations", expect=INVITERS),
    Route("accounts:invite", expect=INVITERS),
    # An empty form is shown again with its errors.
    Route("accounts:invite", method="post", expect=INVITERS, page=False),
    Route("accounts:resend", _invitation, method="post", expect=THE_FACILITATOR, page=False),
    Route("accounts:withdraw", _invitation, method="post", expect=THE_FACILITATOR, page=False),
    Route("accounts:remove_coordinator", _coordinator, method="post", expect=THE_FACILITATOR, page=False),
    Route("accounts:remove_artist", _artist, method="post", expect=THE_FACILITATOR, page=False),
    # The link opens for the person it is for, signed out; anyone signed in is asked to sign out first.
    Route("accounts:accept", _invitation_token, anonymous=OK),
    Route("password_reset", default=OK, anonymous=OK),
    Route("password_reset_done", default=OK, anonymous=OK),
    Route("password_reset_confirm", _reset_link, default=OK, anonymous=OK),
    Route("password_reset_confirm", _wrong_reset_link, default=OK, anonymous=OK),
    Route("password_reset_complete", default=OK, anonymous=OK),
    Route("password_change", expect=EVERYONE),
    Route("password_change_done", expect=EVERYONE),
]
