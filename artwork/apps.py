from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArtworkConfig(AppConfig):
    name = "artwork"
    verbose_name = _("Artwork")

    def ready(self) -> None:
        # Register this app's Celery tasks in every process, so services can enqueue them by name
        # (core.queue) without importing them.
        # The audit log (core.audit): a picture's sharing: who may see it, and whether the people in it
        # can be recognised and agreed (and who uploaded or deleted it).
        from auditlog.registry import auditlog

        from . import tasks  # noqa: F401
        from .models import Artwork

        auditlog.register(
            Artwork, include_fields=["session", "uploaded_by", "visibility", "shows_people", "people_agreed"]
        )
