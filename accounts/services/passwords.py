"""A forgotten password: Django's own reset views and tokens, with the email through the one outbox.

Asking for a reset (accounts.forms.OutboxPasswordResetForm) does the same thing whatever address is typed:
it enqueues one task, ``accounts.send_password_reset``, carrying the address, once the request's
transaction commits (``ask_for_password_reset``). The request neither looks the address up nor writes
anything, so its statements, its time and its answer cannot tell whether the address has an account.

The worker (``request_password_reset_for``) finds the accounts with that address that can sign in with a
password, and for each puts a row of kind "password_reset" in the outbox, whose recipient is the account,
sent in seconds: no token is stored. The token is minted with Django's generator when the email is built,
just before it goes. So the database never holds a working link, not even in a row waiting to be sent,
and a retry's email carries a token as good as the first. A Django reset token is an HMAC of the
account's id, password hash, last sign-in and a timestamp: it stops working once the password is changed
(so the link works once), when the account next signs in, and after PASSWORD_RESET_TIMEOUT. An address
with no account makes no row.
"""

import unicodedata
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy

from core.enums import MessageChannel, MessageState
from core.kinds import Kind, register
from core.mail import build_email
from core.models import Message
from core.outbox import send_soon
from core.queue import enqueue_on_commit
from core.users import User

KIND = "password_reset"
TASK = "accounts.send_password_reset"
# One email per account this often at most, however often the form is sent for its address: the first
# one's link works as well as a second would, and nobody can fill someone's inbox.
AT_MOST_EVERY = timedelta(minutes=2)
# A reset the outbox could not send within this long is not sent any more: they have asked again by then.
STALE_AFTER = timedelta(hours=1)


def _resets_of(user: User) -> QuerySet[Message]:
    return Message.objects.filter(
        kind=KIND, recipient_type=ContentType.objects.get_for_model(User), recipient_id=user.pk
    )


def ask_for_password_reset(*, email: str) -> None:
    """The request's whole part in a reset, the same for every address: once the transaction commits,
    enqueue the task that looks ``email`` up and queues the email (request_password_reset_for). Looks
    nothing up and writes nothing here."""
    enqueue_on_commit(TASK, email)


def _same_address(typed: str, stored: str) -> bool:
    """As Django's reset form compares them: equal once both are NFKC-normalised and case-folded."""
    return unicodedata.normalize("NFKC", typed).casefold() == unicodedata.normalize("NFKC", stored).casefold()


def accounts_for(*, email: str) -> list[User]:
    """The accounts a reset of ``email`` is for: active, able to sign in with a password, with that
    address (whatever its case), as Django's PasswordResetForm.get_users finds them."""
    if not email:
        return []
    return [
        user
        for user in User.objects.filter(email__iexact=email, is_active=True).order_by("pk")
        if user.has_usable_password() and _same_address(email, user.email)
    ]


def request_password_reset_for(*, email: str, now: datetime | None = None) -> list[Message]:
    """The worker's part (task accounts.send_password_reset): a reset email in the outbox for each
    account with ``email`` (request_password_reset, at most one per AT_MOST_EVERY), none for an address
    without one. Returns the rows made."""
    made = (request_password_reset(user=user, now=now) for user in accounts_for(email=email))
    return [message for message in made if message is not None]


def request_password_reset(*, user: User, now: datetime | None = None) -> Message | None:
    """Put a reset email for ``user`` in the outbox, to go in seconds once the transaction commits; None
    when one was asked for in the last AT_MOST_EVERY (that one is, or will be, in their inbox). Earlier
    rows not sent yet are cancelled: only the newest goes."""
    now = now or timezone.now()
    resets = _resets_of(user)
    if resets.filter(scheduled_for__gt=now - AT_MOST_EVERY).exists():
        return None
    try:
        with transaction.atomic():
            resets.filter(state=MessageState.SCHEDULED).update(state=MessageState.CANCELLED)
            version = (resets.aggregate(last=Max("version"))["last"] or 0) + 1
            message = Message.objects.create(
                kind=KIND,
                recipient_type=ContentType.objects.get_for_model(User),
                recipient_id=user.pk,
                version=version,
                channel=MessageChannel.EMAIL,
                scheduled_for=now,
            )
    except IntegrityError:  # the same request twice at the same moment: the other one's row goes
        return None
    send_soon(message)
    return message


def reset_url(user: User) -> str:
    """A fresh reset link for ``user`` (Django's token, made now)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL.rstrip("/") + reverse(
        "password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )


def build_reset_email(message: Message, shared: dict[Any, Any]) -> EmailMessage:
    """The reset email, with a link minted now (never stored)."""
    user = User.objects.get(pk=message.recipient_id)
    return build_email(
        template="password_reset",
        context={
            "user": user,
            "url": reset_url(user),
            "hours": round(settings.PASSWORD_RESET_TIMEOUT / 3600),
            "login_url": settings.SITE_URL.rstrip("/") + reverse("login"),
        },
        to_name=user.get_full_name(),
        to_address=user.email,
    )


def reset_still_wanted(message: Message, now: datetime) -> bool:
    """Only for an account that can still sign in with a password, only the newest row, and not once
    STALE_AFTER has passed."""
    user = User.objects.filter(pk=message.recipient_id, is_active=True).first()
    if user is None or not user.has_usable_password() or not user.email:
        return False
    if message.scheduled_for < now - STALE_AFTER:
        return False
    return not _resets_of(user).filter(version__gt=message.version).exists()


def register_kinds() -> None:
    register(
        Kind(
            name=KIND,
            label=gettext_lazy("Password reset"),
            build=build_reset_email,
            still_wanted=reset_still_wanted,
        )
    )
