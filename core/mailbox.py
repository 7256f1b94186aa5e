"""Mail for the embedded default: each message is kept as one .eml file under VAR_DIR/mail, so that a
new user can open what the site "sent" from the site itself (see invitations' mailbox pages, DEBUG only)."""

import secrets
import smtplib
from collections.abc import Sequence
from email.utils import parseaddr
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone

from .providers import outbox_pk  # noqa: F401 -- the row a kept email's Message-ID names (mailbox pages)

# The pretend provider refuses every address at this domain, as a mail server refuses a mailbox that does
# not exist: the demo (and anyone trying the site) can see what a bounce does.
BOUNCE_DOMAIN = "bounce.invalid"


def mailbox_dir() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


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
