from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Messages and shared parts")

    def ready(self) -> None:
        # Register this app's Celery tasks in every process, so services can enqueue them by name
        # (core.queue) without importing them; and connect the receiver of email providers' tracking
        # events (django-anymail's signal: core.webhooks).
        # The audit log: its settings' system check (core.audit), and the roles auditlog keeps of
        # Django's own users (the apps register their own models in their ready()).
        from . import audit, tasks, webhooks  # noqa: F401

        audit.register_users()
