from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Staff accounts")

    def ready(self) -> None:
        # Register this app's Celery task in every process, so the reset form can enqueue it by name
        # (core.queue) without importing it.
        from . import tasks  # noqa: F401
        from .services.invitations import register_kinds as register_invitation_kinds
        from .services.passwords import register_kinds as register_password_kinds
        from .sessions import stamp_on_sign_in

        register_invitation_kinds()
        register_password_kinds()
        stamp_on_sign_in()

        # The audit log (core.audit): who invited a colleague to which role, and who accepted or withdrew
        # it (not the link's hash). Django's users' roles are registered by core.
        from auditlog.registry import auditlog

        from .models import StaffInvitation

        auditlog.register(
            StaffInvitation,
            include_fields=[
                "role",
                "name",
                "email",
                "school",
                "invited_by",
                "accepted_at",
                "accepted_by",
                "withdrawn_at",
                "withdrawn_by",
            ],
            m2m_fields={"sessions"},
        )
