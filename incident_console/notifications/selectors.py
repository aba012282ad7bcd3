"""What the pages read about contacts and about notifications that were not delivered."""

from __future__ import annotations

from django.db.models import Prefetch

from incident_console.incidents.models import Contact, EscalationLevel, Incident
from incident_console.incidents.selectors import incidents_visible_to
from incident_console.notifications.models import Notification


def escalation_levels() -> list[EscalationLevel]:
    """The levels in order, each with its contacts."""
    ordered = Prefetch("contacts", queryset=Contact.objects.order_by("role"))
    return list(EscalationLevel.objects.order_by("level").prefetch_related(ordered))


def undelivered_of(incident: Incident) -> list[Notification]:
    return list(
        incident.notifications.filter(status=Notification.Status.FAILED).order_by(
            "created_at", "pk"
        )
    )


def undelivered_by_incident(user) -> list[dict]:
    """Each open incident this user may see that has notifications not delivered, with them."""
    incidents = incidents_visible_to(user).filter(status__in=Incident.ACTIVE_STATUSES)
    rows = (
        Notification.objects.filter(status=Notification.Status.FAILED, incident__in=incidents)
        .select_related("incident")
        .order_by("incident_id", "created_at", "pk")
    )
    groups: dict[Incident, list[Notification]] = {}
    for row in rows:
        groups.setdefault(row.incident, []).append(row)
    return [{"incident": incident, "notifications": found} for incident, found in groups.items()]
