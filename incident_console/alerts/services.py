"""Alert intake: Alertmanager groups become incidents, once; repeats and resolutions are noted."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from incident_console.accounts.roles import system_user
from incident_console.alerts.models import Alert
from incident_console.i18n import in_site_language
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
                message=_alert_said(FIRING, alert.alertname, data),
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


FIRING = (
    gettext_lazy("Alert {alertname} firing"),
    gettext_lazy("Alert {alertname} firing on {instance}"),
)
RESOLVED = (
    gettext_lazy("Alert {alertname} resolved"),
    gettext_lazy("Alert {alertname} resolved on {instance}"),
)


def _alert_said(state: tuple, alertname: str, data: dict):
    """What an alert did, as lazy text: "Alert DatabaseDown firing on db1:9187"."""
    anywhere, somewhere = state
    instance = data["labels"].get("instance")
    if instance:
        return format_lazy(somewhere, alertname=alertname, instance=instance)
    return format_lazy(anywhere, alertname=alertname)


def _active_incident(group_key: str) -> Incident | None:
    return Incident.objects.filter(
        alert_group_key=group_key, status__in=Incident.ACTIVE_STATUSES
    ).first()


def _open(payload: dict, data: dict) -> Incident:
    alertname = data["labels"]["alertname"]
    scenario = _scenario_for(alertname)
    annotations = data.get("annotations", {})
    title = annotations.get("summary") or _default_title(alertname, data)
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
        message=_firing_with_description(alertname, data, annotations),
        data={
            "fingerprint": data["fingerprint"],
            "labels": data["labels"],
            "annotations": annotations,
            "generatorURL": data.get("generatorURL", ""),
        },
    )
    return incident


def _default_title(alertname: str, data: dict) -> str:
    instance = data["labels"].get("instance")
    if not instance:
        return alertname
    return in_site_language(
        format_lazy(
            gettext_lazy("{alertname} on {instance}"), alertname=alertname, instance=instance
        )
    )


def _firing_with_description(alertname: str, data: dict, annotations: dict):
    said = annotations.get("description") or annotations.get("summary") or ""
    firing = _alert_said(FIRING, alertname, data)
    return format_lazy("{}: {}", firing, said) if said else firing


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
        message=_alert_said(RESOLVED, alert.alertname, data),
        data={"fingerprint": alert.fingerprint},
    )
    still_firing = Alert.objects.filter(incident=incident, status="firing").exists()
    if still_firing or not incident.scenario.runbook.auto_resolve or not incident.is_active:
        return
    incident_transition(
        incident=incident,
        to=Incident.Status.RESOLVED,
        actor=_alertmanager_user(),
        note=in_site_language(gettext_lazy("every alert of the group resolved (auto-resolve)")),
        system=True,
    )
    summary["resolved"].append(incident.pk)


def _alertmanager_user():
    return system_user("alertmanager", "viewer")
