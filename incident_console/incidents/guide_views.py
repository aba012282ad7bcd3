from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from incident_console.incidents.guide import incident_guide
from incident_console.incidents.selectors import incidents_visible_to


@login_required
def guide_fragment(request, pk: int):
    """The progress and next step of an incident, as the page swaps them in."""
    incident = get_object_or_404(
        incidents_visible_to(request.user).select_related("scenario"), pk=pk
    )
    return render(request, "incidents/_guide.html", {"guide": incident_guide(incident)})
