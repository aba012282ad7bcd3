from django.contrib import admin

from incident_console.runs.models import StepRun


@admin.register(StepRun)
class StepRunAdmin(admin.ModelAdmin):
    list_display = ["id", "incident", "step_id", "status", "exit_code", "created_by", "created_at"]
    list_filter = ["status", "executor"]
    readonly_fields = [field.name for field in StepRun._meta.fields]

    def has_add_permission(self, request):
        return False
