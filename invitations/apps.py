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
        register_audit()


def register_audit() -> None:
    """The audit log (core.audit) keeps who created, changed or deleted people, their invitations and their
    replies, with these fields' values before and after (erasure redacts them: core.audit.redact). Not
    kept: reply codes (they let someone answer), the clock fields every save moves."""
    from auditlog.registry import auditlog

    from .models import Invitation, Invitee, Reply, SessionAnswer

    auditlog.register(
        Invitee,
        include_fields=[
            "neighbourhood",
            "name",
            "category",
            "staff_role",
            "organisation",
            "email",
            "phone",
            "mobile",
            "texts_agreed",
            "language",
            "interpreter",
            "channel",
            "texts_too",
            "email_failed",
            "mobile_failed",
            "address",
            "notes",
            "adults_at_home",
            "keep_in_touch",
            "added_by",
        ],
    )
    auditlog.register(
        Invitation,
        include_fields=[
            "programme",
            "invitee",
            "added_by",
            "opted_out_at",
            "removed_at",
            "removed_by",
            "met_on_the_day",
        ],
    )
    auditlog.register(
        Reply,
        include_fields=[
            "invitation",
            "source",
            "recorded_by",
            "childcare_children",
            "childcare_ages",
            "food_needs",
            "access_needs",
            "interpreter_language",
            "transport_help",
            "needs_agreed",
            "extra_places",
        ],
    )
    auditlog.register(SessionAnswer, include_fields=["reply", "session", "answer"])
