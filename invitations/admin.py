from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline

from core.models import Message

from .models import Invitation, Invitee, ReplyToken


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


class MessageInline(GenericTabularInline):
    """The invitation's rows in the outbox (core.models.Message)."""

    model = Message
    ct_field = "recipient_type"
    ct_fk_field = "recipient_id"
    extra = 0
    fields = ["kind", "topic_id", "channel", "state", "scheduled_for", "sent_at", "attempts", "last_error"]
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


@admin.register(ReplyToken)
class ReplyTokenAdmin(admin.ModelAdmin):
    list_display = ["invitation", "created_at"]
    search_fields = ["invitation__invitee__name", "invitation__programme__title"]
    list_select_related = ["invitation__invitee"]
    readonly_fields = ["invitation", "token_hash", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False
