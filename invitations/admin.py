from django.contrib import admin

from .models import Invitation, Invitee, Message, ReplyToken


@admin.register(Invitee)
class InviteeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "category",
        "staff_role",
        "organisation",
        "email",
        "channel",
        "language",
        "neighbourhood",
    ]
    list_filter = ["category", "channel", "language", "neighbourhood"]
    search_fields = ["name", "email", "phone", "organisation__name"]
    list_select_related = ["organisation", "neighbourhood"]
    readonly_fields = ["added_by", "created_at"]
    autocomplete_fields = ["organisation"]


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["kind", "session", "channel", "state", "scheduled_for", "sent_at", "attempts", "last_error"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReplyTokenInline(admin.TabularInline):
    """Only the hash of each reply link is stored: it cannot be turned back into a working link."""

    model = ReplyToken
    extra = 0
    fields = ["token_hash", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["invitee", "programme", "opted_out_at", "added_by", "created_at"]
    list_filter = [
        "programme",
        "invitee__category",
        "invitee__channel",
        ("opted_out_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["invitee__name", "invitee__email", "programme__title"]
    list_select_related = ["invitee", "programme", "added_by"]
    readonly_fields = ["added_by", "created_at"]
    raw_id_fields = ["invitee"]
    inlines = [MessageInline, ReplyTokenInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["invitation", "kind", "channel", "state", "scheduled_for", "sent_at", "attempts"]
    list_filter = ["state", "kind", "channel", "invitation__programme"]
    search_fields = ["invitation__invitee__name", "invitation__invitee__email", "last_error"]
    list_select_related = ["invitation__invitee", "invitation__programme"]
    date_hierarchy = "scheduled_for"
    # The dispatcher owns these: editing them by hand could send a message twice or lose it.
    readonly_fields = [
        "invitation",
        "kind",
        "session",
        "channel",
        "attempts",
        "last_error",
        "claim",
        "claimed_at",
        "sent_at",
        "updated_at",
    ]


@admin.register(ReplyToken)
class ReplyTokenAdmin(admin.ModelAdmin):
    list_display = ["invitation", "created_at"]
    search_fields = ["invitation__invitee__name", "invitation__programme__title"]
    list_select_related = ["invitation__invitee"]
    readonly_fields = ["invitation", "token_hash", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False
