from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitationsConfig(AppConfig):
    name = "invitations"
    verbose_name = _("Invitations")

    def ready(self) -> None:
        # Register this app's Celery tasks in every process, so services can enqueue them by name
        # (core.queue) without importing them.
        from . import tasks  # noqa: F401
        from .services.changes import register_listener
        from .services.kinds import register_kinds

        register_kinds()
        register_listener()
