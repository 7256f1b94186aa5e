from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArtworkConfig(AppConfig):
    name = "artwork"
    verbose_name = _("Artwork")

    def ready(self) -> None:
        # Register this app's Celery tasks in every process, so services can enqueue them by name
        # (core.queue) without importing them.
        from . import tasks  # noqa: F401
