from django.db import models
from django.utils.translation import gettext_lazy as _

from core.jobs import JobState

# An event record's PDF goes through the one PDF job lifecycle (core.jobs): its states are the job's.
RecordState = JobState


class MessageKind(models.TextChoices):
    """The outbox kinds this app owns (records.services.thanks): the morning after each session."""

    THANK_YOU = "thank_you", _("Thank-you after a workshop")
    MISSED_YOU = "missed_you", _("“We missed you” after a workshop")
