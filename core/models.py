from datetime import datetime

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from .enums import SENT_CHANNELS, Delivery, MessageChannel, MessageState
from .kinds import due_kinds, kind_label
from .sms import texting_hours

# --- The outbox ---------------------------------------------------------------------------------------


class MessageQuerySet(models.QuerySet):
    def due(self, now: datetime) -> "MessageQuerySet":
        """Rows whose time has come (and whose retry wait, if any, is over), on a channel the dispatcher
        sends, of a registered kind whose own condition holds (core.kinds.Kind.ready: an invitation waits
        while its programme is being planned). Texts wait for texting hours (core.sms.texting_hours)."""
        channels = SENT_CHANNELS if texting_hours(now) else (MessageChannel.EMAIL,)
        return self.filter(
            Q(retry_at__isnull=True) | Q(retry_at__lte=now),
            due_kinds(),
            state=MessageState.SCHEDULED,
            channel__in=channels,
            scheduled_for__lte=now,
        )


class Message(models.Model):
    """The outbox: every message the site sends is a row, claimed before it is sent (core.outbox).

    ``recipient`` is who it is for (an invitation to a programme, a staff account…) and ``topic`` what it
    is about within that, when a kind needs one (a reminder's session, a lead's link). The app that owns a
    ``kind`` registers how to build it and whether it is still wanted (core.kinds.register)."""

    kind = models.CharField(max_length=16)
    recipient_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    recipient_id = models.PositiveBigIntegerField()
    recipient = GenericForeignKey("recipient_type", "recipient_id")
    topic_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    topic_id = models.PositiveBigIntegerField(null=True, blank=True)
    topic = GenericForeignKey("topic_type", "topic_id")
    # Confirmations: the reply version they confirm (each change of answer gets its own); a message sent
    # again after the provider said it never arrived (the address since fixed): the next. 0 otherwise.
    version = models.PositiveIntegerField(default=0)
    channel = models.CharField(max_length=8, choices=MessageChannel.choices)
    # When it should go; retry_at holds it back after a temporary failure.
    scheduled_for = models.DateTimeField(db_index=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=MessageState.choices, default=MessageState.SCHEDULED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What the provider said afterwards (core.delivery): its id for the message, and its last word.
    provider = models.CharField(max_length=16, blank=True)
    provider_id = models.CharField(max_length=100, blank=True, db_index=True)
    delivery = models.CharField(max_length=20, choices=Delivery.choices, blank=True)
    delivery_said = models.CharField(max_length=500, blank=True)
    delivery_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_for"]
        constraints = [
            # NULL topics would not collide in one constraint, so messages without a topic get their own.
            models.UniqueConstraint(
                "recipient_type",
                "recipient_id",
                "kind",
                "channel",
                "version",
                condition=Q(topic_id__isnull=True),
                name="one_outbox_message_per_kind",
            ),
            models.UniqueConstraint(
                "recipient_type",
                "recipient_id",
                "kind",
                "channel",
                "topic_type",
                "topic_id",
                "version",
                condition=Q(topic_id__isnull=False),
                name="one_outbox_message_per_kind_and_topic",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "scheduled_for"]),
            models.Index(fields=["recipient_type", "recipient_id"]),
            models.Index(fields=["topic_type", "topic_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_state_display()})"

    def get_kind_display(self) -> str:
        return kind_label(self.kind)
