"""Alert intake: Alertmanager groups become incidents, once; repeats and resolutions are noted."""

from __future__ import annotations

import logging

from django.db import transaction

from incident_console.accounts.roles import system_user
from incident_console.alerts.models import Alert
from incident_console.incidents.models import Incident, Scenario, TimelineEntry
from incident_console.incidents.services import incident_open, incident_transition
from incident_console.incidents.timeline import timeline_add
from incident_console.site import current_site

log = logging.getLogger(__name__)
SEVERITY_LABELS = {
    "critical": "sev1",
    "page": "sev1",
    "error": "sev2",
    "warning": "sev3",
    "info": "sev4",
}


def alertmanager_intake(payload: dict) -> dict:
    """Apply one validated webhook payload; safe to receive any number of times."""
    summary = {"opened": [], "updated": [], "resolved": []}
    with transaction.atomic():
        for alert in payload["alerts"]:
            _one(payload, alert, summary)
    return summary


def _one(payload: dict, data: dict, summary: dict) -> None:
    group_key = payload["groupKey"]
    alert, created = Alert.objects.select_for_update().get_or_create(
        group_key=group_key,
        fingerprint=data["fingerprint"],
        defaults=_fields(data),
    )
    changed = created or alert.status != data["status"]
    if not created:
        Alert.objects.filter(pk=alert.pk).update(
            received_count=alert.received_count + 1, **_fields(data)
        )
        alert.refresh_from_db()
    if data["status"] == "firing":
        incident = alert.incident or _active_incident(group_key)
        if incident is None:
            incident = _open(payload, data)
            summary["opened"].append(incident.pk)
        elif changed:
            timeline_add(
                incident=incident,
                kind=TimelineEntry.Kind.ALERT,
                message=f"Alert {alert.alertname} firing{_where(data)}",
                data={"fingerprint": alert.fingerprint, "labels": data["labels"]},
            )
            summary["updated"].append(incident.pk)
        if alert.incident_id != incident.pk:
            Alert.objects.filter(pk=alert.pk).update(incident=incident)
    elif changed and alert.incident_id:
        _resolved(alert, data, summary)


def _fields(data: dict) -> dict:
    return {
        "alertname": data["labels"]["alertname"],
        "status": data["status"],
        "labels": data["labels"],
        "annotations": data.get("annotations", {}),
        "starts_at": data.get("startsAt"),
        "ends_at": data.get("endsAt"),
        "generator_url": (data.get("generatorURL") or "")[:1000],
    }


def _where(data: dict) -> str:
    instance = data["labels"].get("instance")
    return f" on {instance}" if instance else ""


def _active_incident(group_key: str) -> Incident | None:
    return Incident.objects.filter(
        alert_group_key=group_key, status__in=Incident.ACTIVE_STATUSES
    ).first()


def _open(payload: dict, data: dict) -> Incident:
    alertname = data["labels"]["alertname"]
    scenario = _scenario_for(alertname)
    annotations = data.get("annotations", {})
    title = annotations.get("summary") or f"{alertname}{_where(data)}"
    severity = SEVERITY_LABELS.get(data["labels"].get("severity", ""))
    incident = incident_open(
        scenario_slug=scenario.slug,
        title=title,
        severity=severity,
        actor=_alertmanager_user(),
        system=True,
        labels={**data["labels"], **{f"annotation:{k}": v for k, v in annotations.items()}},
        alert_group_key=payload["groupKey"],
    )
    timeline_add(
        incident=incident,
        kind=TimelineEntry.Kind.ALERT,
        message=f"Alert {alertname} firing{_where(data)}: "
        f"{annotations.get('description') or annotations.get('summary') or ''}".rstrip(": "),
        data={
            "fingerprint": data["fingerprint"],
            "labels": data["labels"],
            "annotations": annotations,
            "generatorURL": data.get("generatorURL", ""),
        },
    )
    return incident


def _scenario_for(alertname: str) -> Scenario:
    for scenario in Scenario.objects.filter(is_active=True):
        if alertname in scenario.alerts:
            return scenario
    # The site names the scenario of an alert no runbook claims (maintenance.yaml).
    return Scenario.objects.get(slug=current_site().maintenance.unrouted_alert_scenario)


def _resolved(alert: Alert, data: dict, summary: dict) -> None:
    incident = alert.incident
    timeline_add(
        incident=incident,
        kind=TimelineEntry.Kind.ALERT,
        message=f"Alert {alert.alertname} resolved{_where(data)}",
        data={"fingerprint": alert.fingerprint},
    )
    still_firing = Alert.objects.filter(incident=incident, status="firing").exists()
    if still_firing or not incident.scenario.runbook.auto_resolve or not incident.is_active:
        return
    incident_transition(
        incident=incident,
        to=Incident.Status.RESOLVED,
        actor=_alertmanager_user(),
        note="every alert of the group resolved (auto-resolve)",
        system=True,
    )
    summary["resolved"].append(incident.pk)


def _alertmanager_user():
    return system_user("alertmanager", "viewer")
