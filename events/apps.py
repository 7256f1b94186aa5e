from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Programmes and sessions")

    def ready(self) -> None:
        # The audit log (core.audit): roles only. Who made whom a facilitator, a school's coordinator or
        # a session's artist, or took it away (the rest of the planning data is not personal).
        from auditlog.registry import auditlog

        from .models import Neighbourhood, Organisation, Programme, Session

        for model, role in [
            (Neighbourhood, "facilitators"),
            (Programme, "facilitators"),
            (Organisation, "coordinators"),
            (Session, "artists"),
        ]:
            # include_fields names no column: only the m2m field's changes are kept.
            auditlog.register(model, include_fields=[role], m2m_fields={role})
