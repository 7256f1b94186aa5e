from django.contrib import admin

from .models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The outbox: every message the site sends, to whom (``recipient``) and about what (``topic``)."""

    list_display = ["pk", "kind", "recipient", "channel", "state", "scheduled_for", "sent_at", "attempts"]
    list_filter = ["state", "kind", "channel"]
    search_fields = ["last_error"]
    date_hierarchy = "scheduled_for"
    # The dispatcher owns these: editing them by hand could send a message twice or lose it.
    readonly_fields = [
        "kind",
        "recipient_type",
        "recipient_id",
        "topic_type",
        "topic_id",
        "version",
        "channel",
        "attempts",
        "last_error",
        "claim",
        "claimed_at",
        "sent_at",
        "updated_at",
    ]
