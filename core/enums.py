from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class MessageChannel(models.TextChoices):
    """How an outbox row reaches its person. Letters are rows too (the list shows when each is due), but
    they are printed by a school, never sent by the dispatcher."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    LETTER = "letter", _("Letter through school")


# The channels the dispatcher sends; rows on other channels only wait to be printed.
SENT_CHANNELS = (MessageChannel.EMAIL, MessageChannel.SMS)


class Delivery(models.TextChoices):
    """What the provider said of a message after it took it (core.delivery): Notify's callbacks and
    polls, an email provider's webhooks, or an SMTP refusal at send time. Blank: no word yet."""

    DELIVERED = "delivered", _("Delivered")
    # Notify's last word when a phone stayed off or an inbox full; an email provider's "deferred".
    TEMPORARY_FAILURE = "temporary-failure", _("Not delivered (a phone off, or an inbox full)")
    PERMANENT_FAILURE = "permanent-failure", _("Not working (no such address or number)")
    COMPLAINT = "complaint", _("Marked as unwanted")
