from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    """What a colleague is invited to be: each role is a relation in events (events/rules.py)."""

    COORDINATOR = "coordinator", _("School coordinator")
    ARTIST = "artist", _("Artist")


class LinkState(models.TextChoices):
    """Where an invitation's link stands, as its page and the list say it."""

    NOT_SENT = "not_sent", _("Email not sent yet")
    OPEN = "open", _("Waiting for them")
    EXPIRED = "expired", _("Link expired")
    USED = "used", _("Accepted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
