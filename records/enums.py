from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordState(models.TextChoices):
    QUEUED = "queued", _("Waiting to be made")
    RENDERING = "rendering", _("Being made")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be made")
