from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from incident_console.incidents.selectors import incidents_listed_for, incidents_open_by_urgency


@login_required
def dashboard_open_incidents(request):
    """The dashboard's open incidents, as its script swaps them in on a hint or a poll."""
    incidents = incidents_listed_for(request.user)
    context = {"active": incidents_open_by_urgency(incidents)}
    return render(request, "incidents/_dashboard_open.html", context)
