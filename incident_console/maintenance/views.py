from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from incident_console.errors import Forbidden, NotFound
from incident_console.maintenance.models import MaintenanceRun
from incident_console.maintenance.services import CHECKS, maintenance_start


@login_required
def maintenance_page(request):
    """The runbook's duties, their last results, and Run now for commanders."""
    if request.method == "POST":
        task = request.POST.get("task", "")
        try:
            maintenance_start(task=task, actor=request.user)
        except Forbidden:
            messages.error(request, "running a check needs the commander role")
        except NotFound:
            messages.error(request, f"unknown check {task!r}")
        else:
            messages.success(request, f"{CHECKS[task].title}: started")
        return redirect("maintenance")
    latest = {run.task: run for run in MaintenanceRun.objects.order_by("started_at")}
    checks = [
        {"key": key, "check": check, "last": latest.get(key)} for key, check in CHECKS.items()
    ]
    runs = MaintenanceRun.objects.select_related("incident")[:100]
    return render(request, "maintenance/maintenance.html", {"checks": checks, "runs": runs})
