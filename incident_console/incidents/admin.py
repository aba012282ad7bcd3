from django.contrib import admin

from incident_console.incidents.models import (
    Contact,
    EscalationLevel,
    Incident,
    Scenario,
    TimelineEntry,
)


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "severity", "kind", "version", "is_active", "synced_at"]
    list_filter = ["kind", "severity", "is_active"]
    readonly_fields = [field.name for field in Scenario._meta.fields]


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    fields = ["at", "actor", "kind", "message", "run"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "scenario", "severity", "status", "opened_at"]
    list_filter = ["status", "severity", "scenario"]
    search_fields = ["title"]
    readonly_fields = ["opened_by", "opened_at", "updated_at"]
    inlines = [TimelineInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["role", "team", "name", "phone", "email", "slack", "telegram"]
    list_filter = ["team"]
    search_fields = ["role", "name", "email"]


@admin.register(EscalationLevel)
class EscalationLevelAdmin(admin.ModelAdmin):
    list_display = ["level", "name", "after_minutes"]
    filter_horizontal = ["contacts"]
