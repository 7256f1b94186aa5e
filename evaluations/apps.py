from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("Evaluations")

    def ready(self) -> None:
        # The audit log (core.audit): who marked whom as arrived, or took it back.
        from auditlog.registry import auditlog

        from .models import Attendance

        auditlog.register(Attendance, include_fields=["session", "invitation", "source", "recorded_by"])
