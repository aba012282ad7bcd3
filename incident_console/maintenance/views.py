from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from incident_console.accounts.roles import COMMAND
from incident_console.maintenance.models import MaintenanceRun
from incident_console.maintenance.services import CHECKS


@login_required
def maintenance_page(request):
    """The runbook's duties, their last results, and Run now for commanders."""
    if request.method == "POST":
        task = request.POST.get("task", "")
        if not request.user.has_perm(COMMAND):
            messages.error(request, "running a check needs the commander role")
        elif task not in CHECKS:
            messages.error(request, f"unknown check {task!r}")
        else:
            from incident_console.maintenance.tasks import run_maintenance
            from incident_console.runs.dispatch import enqueue_task

            enqueue_task(run_maintenance, task)
            messages.success(request, f"{CHECKS[task].title}: started")
        return redirect("maintenance")
    latest = {run.task: run for run in MaintenanceRun.objects.order_by("started_at")}
    checks = [
        {"key": key, "check": check, "last": latest.get(key)} for key, check in CHECKS.items()
    ]
    runs = MaintenanceRun.objects.select_related("incident")[:100]
    return render(request, "maintenance/maintenance.html", {"checks": checks, "runs": runs})
