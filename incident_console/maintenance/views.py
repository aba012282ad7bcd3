from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from incident_console.accounts.roles import COMMAND, RESPOND
from incident_console.errors import Forbidden, NotFound, ServiceError
from incident_console.incidents.step_cards import may
from incident_console.maintenance.models import ChecklistCompletion, MaintenanceRun
from incident_console.maintenance.services import (
    CHECKS,
    checklist_complete,
    checklists_state,
    maintenance_start,
)


@login_required
def maintenance_page(request):
    """The runbook's duties, their last results, and Run now for commanders; the checklists
    people complete, due or overdue."""
    if request.method == "POST":
        task = request.POST.get("task", "")
        try:
            maintenance_start(task=task, actor=request.user)
        except Forbidden:
            messages.error(request, gettext("running a check needs the commander role"))
        except NotFound:
            messages.error(request, gettext("unknown check %(task)r") % {"task": task})
        else:
            messages.success(request, gettext("%(duty)s: started") % {"duty": CHECKS[task].title})
        return redirect("maintenance")
    latest = {run.task: run for run in MaintenanceRun.objects.order_by("started_at")}
    checks = [
        {"key": key, "check": check, "last": latest.get(key)} for key, check in CHECKS.items()
    ]
    context = {
        "checks": checks,
        "runs": MaintenanceRun.objects.select_related("incident")[:100],
        "checklists": checklists_state(),
        "completions": ChecklistCompletion.objects.select_related("completed_by")[:50],
        "may_complete": may(request.user, RESPOND),
        "may_run": may(request.user, COMMAND),
    }
    return render(request, "maintenance/maintenance.html", context)


@login_required
@require_POST
def checklist_complete_view(request, key: str):
    """A person records a checklist done: the items they ticked and their note."""
    try:
        done = checklist_complete(
            checklist=key,
            actor=request.user,
            ticked=request.POST.getlist("item"),
            note=request.POST.get("note", ""),
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("%(checklist)s: recorded as done by %(who)s")
            % {"checklist": done.title, "who": request.user.username},
        )
    return redirect(f"{reverse('maintenance')}#checklist-{key}")
