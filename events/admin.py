from django.contrib import admin
from django.db.models import Count

from .models import ChecklistItem, Neighbourhood, Organisation, Programme, Session, Venue


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation_count", "venue_count"]
    search_fields = ["name"]
    filter_horizontal = ["facilitators"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                organisation_total=Count("organisations", distinct=True),
                venue_total=Count("venues", distinct=True),
            )
        )

    @admin.display(description="organisations", ordering="organisation_total")
    def organisation_count(self, obj: Neighbourhood) -> int:
        return obj.organisation_total

    @admin.display(description="venues", ordering="venue_total")
    def venue_count(self, obj: Neighbourhood) -> int:
        return obj.venue_total


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "school_phase", "neighbourhood", "contact_email"]
    list_filter = ["kind", "school_phase", "neighbourhood"]
    search_fields = ["name", "contact_email", "address"]
    list_select_related = ["neighbourhood"]
    filter_horizontal = ["coordinators"]


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "neighbourhood",
        "capacity",
        "step_free_access",
        "accessible_toilet",
        "hearing_loop",
    ]
    list_filter = ["neighbourhood", "step_free_access", "accessible_toilet", "hearing_loop", "parking"]
    search_fields = ["name", "address"]
    list_select_related = ["neighbourhood"]


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = ["order", "kind", "date", "start_time", "end_time", "venue", "cancelled_at"]


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = ["key", "done", "note"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "neighbourhood",
        "status",
        "invitation_lead_days",
        "reminder_lead_days",
        "created_at",
    ]
    list_filter = ["status", "neighbourhood"]
    search_fields = ["title", "key_question"]
    list_select_related = ["neighbourhood"]
    filter_horizontal = ["facilitators", "schools"]
    inlines = [SessionInline, ChecklistItemInline]
    date_hierarchy = "created_at"


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "programme", "kind", "date", "start_time", "end_time", "venue", "cancelled_at"]
    list_filter = ["kind", "programme__neighbourhood", ("cancelled_at", admin.EmptyFieldListFilter)]
    search_fields = ["programme__title", "purpose"]
    list_select_related = ["programme", "venue"]
    date_hierarchy = "date"
    filter_horizontal = ["artists"]
