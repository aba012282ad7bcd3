from __future__ import annotations

from incident_console.incidents.models import Incident, TimelineEntry


def timeline_add(
    *,
    incident: Incident | int,
    kind: str,
    message: str,
    actor=None,
    run=None,
    data: dict | None = None,
) -> TimelineEntry:
    """Append one entry to an incident's timeline."""
    incident_id = incident if isinstance(incident, int) else incident.pk
    return TimelineEntry.objects.create(
        incident_id=incident_id,
        kind=kind,
        message=message,
        actor=actor,
        run=run,
        data=data or {},
    )
