from django.db import models
from django.utils.translation import gettext_lazy as _


class ActionStatus(models.TextChoices):
    IDEA = "idea", _("Idea")
    AGREED = "agreed", _("Agreed")
    UNDER_WAY = "under_way", _("Under way")
    DONE = "done", _("Done")
    PAUSED = "paused", _("Paused")


# An action someone has taken on needs someone to lead it.
NEEDS_A_LEAD = (ActionStatus.AGREED, ActionStatus.UNDER_WAY, ActionStatus.DONE)


class UpdateSource(models.TextChoices):
    TEAM = "team", _("Added by the team")
    LEAD = "lead", _("From the lead's link")


class LinkState(models.TextChoices):
    SCHEDULED = "scheduled", _("Waiting to go")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Not sent")
