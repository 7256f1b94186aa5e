from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    TEAM = "team", _("The team only")
    PARTICIPANTS = "participants", _("People taking part")
    EVERYONE = "everyone", _("Everyone")


class ImageState(models.TextChoices):
    PROCESSING = "processing", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be prepared")
