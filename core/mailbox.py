"""Mail for the embedded default: each message is kept as one .eml file under VAR_DIR/mail, so that a
new user can open what the site "sent" from the site itself (see invitations' mailbox pages, DEBUG only)."""

import re
import secrets
import smtplib
from collections.abc import Sequence
from email.utils import parseaddr
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone

# The pretend provider refuses every address at this domain, as a mail server refuses a mailbox that does
# not exist: the demo (and anyone trying the site) can see what a bounce does.
BOUNCE_DOMAIN = "bounce.invalid"

# core.outbox gives each email it sends the Message-ID <outbox-{pk}@{domain}>, naming the outbox row.
OUTBOX_MESSAGE_ID = re.compile(r"<outbox-([0-9]{1,18})@[^<>\s]+>")


def mailbox_dir() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


def outbox_pk(message_id: str) -> int | None:
    """The outbox row (core.models.Message) a kept email was sent for, from its Message-ID; None for
    mail the outbox did not send (Django's own, say)."""
    found = OUTBOX_MESSAGE_ID.fullmatch(message_id.strip())
    return int(found[1]) if found else None


class MailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = mailbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            addresses = [parseaddr(to)[1].lower() for to in message.recipients()]
            if refused := [to for to in addresses if to.endswith("@" + BOUNCE_DOMAIN)]:
                raise smtplib.SMTPRecipientsRefused(
                    {to: (550, b"5.1.1 No such mailbox (the pretend provider of var/mail)") for to in refused}
                )
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{secrets.token_hex(4)}.eml"
            partial = folder / f".{name}.part"
            partial.write_bytes(message.message().as_bytes())
            partial.rename(folder / name)  # a reader never sees half a message
        return len(email_messages)
