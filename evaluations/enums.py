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
