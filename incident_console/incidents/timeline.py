"""The incident timeline: every entry is added here and announced to open incident pages.

The announcement is sent once the entry's transaction commits, so a page that fetches what it
was told about always finds it; the timeline in the database stays the truth.
"""

from __future__ import annotations

from django.db import transaction

from incident_console.i18n import in_site_language
from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.runs.broadcast import DASHBOARD_GROUP, broadcast, incident_group
from incident_console.runs.models import StepRun

# Entries that change what the page's head shows (status badge, lifecycle controls, impact).
INCIDENT_CHANGES = {
    TimelineEntry.Kind.STATUS_CHANGED: "status",
    TimelineEntry.Kind.UPDATED: "details",
    # The head's "not delivered" banner comes and goes with these.
    TimelineEntry.Kind.NOT_SENT: "notifications",
    TimelineEntry.Kind.NOTIFICATION: "notifications",
}

# Entries that change a row of the dashboard: a new incident, its status, severity or title.
DASHBOARD_CHANGES = {
    TimelineEntry.Kind.INCIDENT_OPENED,
    TimelineEntry.Kind.STATUS_CHANGED,
    TimelineEntry.Kind.UPDATED,
}


def timeline_add(
    *,
    incident: Incident | int,
    kind: str,
    message,
    actor=None,
    run=None,
    data: dict | None = None,
) -> TimelineEntry:
    """Append one entry to an incident's timeline and, on commit, tell the incident's pages.

    ``message`` may be lazy text: it is stored in the site's language."""
    incident_id = incident if isinstance(incident, int) else incident.pk
    entry = TimelineEntry.objects.create(
        incident_id=incident_id,
        kind=kind,
        message=in_site_language(message),
        actor=actor,
        run=run,
        data=data or {},
    )
    events = timeline_events(entry, run)
    transaction.on_commit(lambda: _send(incident_id, events))
    if entry.kind in DASHBOARD_CHANGES:
        transaction.on_commit(_tell_dashboards)
    return entry


def timeline_events(entry: TimelineEntry, run: StepRun | None) -> list[dict]:
    """The group messages one entry announces: the entry itself, and what it says changed."""
    step_id = run.step_id if run is not None else None
    events = [
        {
            "type": "incident.timeline",
            "entry": {
                "id": entry.pk,
                "at": entry.at.isoformat(),
                "actor": entry.actor.username if entry.actor else None,
                "kind": entry.kind,
                "message": entry.message,
                "run": run.pk if run is not None else None,
                "step_id": step_id,
            },
        }
    ]
    if entry.kind in INCIDENT_CHANGES:
        change = {"type": "incident.changed", "what": INCIDENT_CHANGES[entry.kind]}
        events.append({**change, "status": entry.data.get("to")})
    approval = _approval(entry, run)
    if approval:
        events.append(
            {"type": "incident.approval", "state": approval, "run": run.pk, "step_id": step_id}
        )
    return events


def _approval(entry: TimelineEntry, run: StepRun | None) -> str | None:
    if run is None:
        return None
    if entry.kind == TimelineEntry.Kind.RUN_APPROVED:
        return "approved"
    waiting = run.status == StepRun.Status.AWAITING_APPROVAL
    if entry.kind == TimelineEntry.Kind.RUN_QUEUED and waiting:
        return "requested"
    return None


def _send(incident_id: int, events: list[dict]) -> None:
    for event in events:
        broadcast(incident_group(incident_id), event)


def _tell_dashboards() -> None:
    broadcast(DASHBOARD_GROUP, {"type": "dashboard.changed"})
