from django.contrib import admin

from .models import StaffInvitation


@admin.register(StaffInvitation)
class StaffInvitationAdmin(admin.ModelAdmin):
    """Administrators see every invitation; the token's hash is never shown or edited."""

    list_display = [
        "name",
        "email",
        "role",
        "school",
        "invited_by",
        "created_at",
        "accepted_at",
        "withdrawn_at",
    ]
    list_filter = ["role", "accepted_at", "withdrawn_at"]
    search_fields = ["name", "email"]
    filter_horizontal = ["sessions"]
    exclude = ["token_hash"]
    readonly_fields = ["created_at", "link_made_at", "sends", "accepted_at", "accepted_by"]
