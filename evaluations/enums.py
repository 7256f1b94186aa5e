from django.db import models
from django.utils.translation import gettext_lazy as _


class ArrivalSource(models.TextChoices):
    ON_THE_DAY = "on_the_day", _("Signed in on the day")
    PAPER = "paper", _("From the paper sign-in sheet")


class WordSource(models.TextChoices):
    TYPED = "typed", _("Typed by the facilitator")
    PHONE = "phone", _("From a phone")


class WordState(models.TextChoices):
    SHOWN = "shown", _("Shown")
    WAITING = "waiting", _("Waiting for approval")
    HELD = "held", _("Held back")  # matched the profanity list: waits, and is never shown unless approved
    REJECTED = "rejected", _("Not shown")


class SigninState(models.TextChoices):
    """Where a session is for signing people in: live sign-in (the tablet, walk-ins) is for the session's
    own day; a paper sheet can be typed in from that day on."""

    BEFORE = "before", _("Before the day")
    OPEN = "open", _("On the day")
    AFTER = "after", _("After the day")
    CANCELLED = "cancelled", _("Cancelled")
