from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from incident_console.setup_status import channel_status
from incident_console.targets.selectors import target_checks, targets_stale
from incident_console.targets.services import targets_check


@login_required
@require_http_methods(["GET", "POST"])
def targets_page(request):
    """Every target's readiness; a GET checks those whose last check is stale, "Check again"
    (a POST) checks them all."""
    if request.method == "POST":
        targets_check()
        return redirect("targets")
    stale = targets_stale()
    if stale:
        targets_check(names=stale)
    return render(
        request,
        "targets/targets.html",
        {"rows": target_checks(), "channels": channel_status()},
    )
