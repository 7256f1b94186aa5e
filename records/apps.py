from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = _("Event records")

    def ready(self) -> None:
        # Register this app's Celery tasks in every process, so services can enqueue them by name
        # (core.queue) without importing them.
        from . import tasks  # noqa: F401
        from .services.thanks import register_kinds

        # The thank-you and "we missed you" the morning after each session (the one outbox).
        register_kinds()
