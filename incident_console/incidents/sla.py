"""RTO / RPO / MTTR of the seed runbook, and how each incident measured against them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from incident_console.i18n import in_site_language
from incident_console.incidents.labels import SEVERITY_CHOICES
from incident_console.incidents.models import Incident

# What an incident is for the SLA: only real incidents count; the rest is shown apart.
INCIDENT, DRILL, PROCEDURE, MAINTENANCE = "incident", "drill", "procedure", "maintenance"
APART = {
    DRILL: gettext_lazy("Drills"),
    PROCEDURE: gettext_lazy("Procedures"),
    MAINTENANCE: gettext_lazy("Maintenance duties"),
}
# The actor of scheduled duties (maintenance.services.maintenance_user).
MAINTENANCE_ACTOR = "maintenance"


@dataclass(frozen=True)
class Clock:
    deadline: datetime
    elapsed: timedelta
    remaining: timedelta
    met: bool | None  # None while the incident is still open and within RTO


def rto() -> timedelta:
    return timedelta(hours=settings.SLA_RTO_HOURS)


def rto_clock(incident: Incident, now: datetime | None = None) -> Clock:
    now = now or timezone.now()
    end = incident.resolved_at or now
    deadline = incident.opened_at + rto()
    elapsed = end - incident.opened_at
    met = None
    if incident.resolved_at is not None:
        met = incident.resolved_at <= deadline
    elif now > deadline:
        met = False
    return Clock(deadline, elapsed, deadline - now, met)


def rpo_hours(incident: Incident) -> float:
    critical = incident.severity == "sev1" or incident.labels.get("data") == "critical"
    return settings.SLA_RPO_CRITICAL_HOURS if critical else settings.SLA_RPO_HOURS


def _hours(seconds: list[float]) -> float | None:
    return round(sum(seconds) / len(seconds) / 3600, 2) if seconds else None


def _minutes(seconds: list[float]) -> float | None:
    return round(sum(seconds) / len(seconds) / 60, 1) if seconds else None


def incident_class(incident: Incident) -> str:
    """incident, or what is shown apart: a scheduled duty, a drill, a procedure."""
    if incident.opened_by is not None and incident.opened_by.username == MAINTENANCE_ACTOR:
        return MAINTENANCE
    if incident.is_drill:
        return DRILL
    if incident.scenario.kind == "procedure":
        return PROCEDURE
    return INCIDENT


def sla_report(incidents) -> dict:
    """MTTR per month, per scenario and per severity, MTTA, RTO breaches and RPO per data-loss
    incident, counting real incidents only; drills, procedures and duties are shown apart."""
    incidents = list(incidents)
    real = [incident for incident in incidents if incident_class(incident) == INCIDENT]
    by_month: dict[str, list[float]] = defaultdict(list)
    by_scenario: dict[str, list[float]] = defaultdict(list)
    for incident in real:
        if incident.recovery_seconds is not None:
            by_month[f"{timezone.localtime(incident.opened_at):%Y-%m}"].append(
                incident.recovery_seconds
            )
            by_scenario[incident.scenario.title].append(incident.recovery_seconds)
    acknowledge = [i.acknowledge_seconds for i in real if i.acknowledge_seconds is not None]
    return {
        "incidents": len(real),
        "mttr_hours": _hours(_recoveries(real)),
        "mttr_target_hours": settings.SLA_MTTR_HOURS,
        "rto_hours": settings.SLA_RTO_HOURS,
        "by_month": [
            {"month": m, "mttr_hours": _hours(v), "incidents": len(v)}
            for m, v in sorted(by_month.items())
        ],
        "by_scenario": [
            {"scenario": s, "mttr_hours": _hours(v), "incidents": len(v)}
            for s, v in sorted(by_scenario.items())
        ],
        "by_severity": by_severity(real),
        "apart": apart(incidents),
        "rto_breaches": [i for i in real if (i.recovery_seconds or 0) > rto().total_seconds()],
        "recovery_points": [recovery_point(i) for i in real if is_data_loss(i)],
        "time_to_acknowledge_minutes": _minutes(acknowledge),
    }


def _recoveries(incidents: list[Incident]) -> list[float]:
    return [i.recovery_seconds for i in incidents if i.recovery_seconds is not None]


def by_severity(incidents: list[Incident]) -> list[dict]:
    """MTTA (minutes) and MTTR (hours) of each severity that had an incident."""
    rows = []
    for severity, label in SEVERITY_CHOICES:
        group = [incident for incident in incidents if incident.severity == severity]
        if group:
            acknowledge = [
                i.acknowledge_seconds for i in group if i.acknowledge_seconds is not None
            ]
            rows.append(
                {
                    "severity": severity,
                    "label": label,
                    "incidents": len(group),
                    "mtta_minutes": _minutes(acknowledge),
                    "mttr_hours": _hours(_recoveries(group)),
                }
            )
    return rows


def apart(incidents: list[Incident]) -> list[dict]:
    """Drills, procedures and duties: counted and timed, never in the SLA figures."""
    rows = []
    for kind, title in APART.items():
        group = [incident for incident in incidents if incident_class(incident) == kind]
        rows.append(
            {
                "kind": kind,
                "title": title,
                "incidents": len(group),
                "mttr_hours": _hours(_recoveries(group)),
            }
        )
    return rows


@dataclass(frozen=True)
class RecoveryPoint:
    """How much data an incident could lose: the age of the last good backup at its start."""

    incident: Incident
    backup_at: datetime | None
    age_hours: float | None
    objective_hours: float
    met: bool | None  # None when no backup was listed: unknown, not fine


def is_data_loss(incident: Incident) -> bool:
    """The runbook says its incidents lose data, or a restore from a backup ran in it."""
    if incident.scenario.definition.get("data_loss"):
        return True
    return any(run.command.get("action") == "restore" for run in incident.runs.all())


def recovery_point(incident: Incident) -> RecoveryPoint:
    objective = rpo_hours(incident)
    backup = last_good_backup(incident)
    if backup is None:
        return RecoveryPoint(incident, None, None, objective, None)
    age = round((incident.opened_at - backup).total_seconds() / 3600, 2)
    return RecoveryPoint(incident, backup, age, objective, age <= objective)


def last_good_backup(incident: Incident) -> datetime | None:
    """The newest backup a listing step of the incident found from before the incident began."""
    from incident_console.runs.models import StepRun

    listed = [
        datetime.fromisoformat(run.outputs["latest_modified"])
        for run in incident.runs.all()
        if run.status == StepRun.Status.SUCCEEDED and run.outputs.get("latest_modified")
    ]
    return max((at for at in listed if at <= incident.opened_at), default=None)


def data_window(incident: Incident) -> str:
    """Which data an incident lost, in words for the customer, from what the console recorded:
    the newest backup a step listed and when a restore from it started."""
    from incident_console.runs.models import StepRun

    rpo = rpo_hours(incident)
    runs = incident.runs.filter(status=StepRun.Status.SUCCEEDED).order_by("-finished_at", "-pk")
    backup = next(
        (r.outputs["latest_modified"] for r in runs if r.outputs.get("latest_modified")), None
    )
    if backup is None:
        unknown = gettext_lazy(
            "not known yet; we will say which period of data is affected in the next update "
            "(our recovery point objective is {rpo} h)."
        )
        return in_site_language(format_lazy(unknown, rpo=f"{rpo:g}"))
    since = datetime.fromisoformat(backup)
    restore = next(
        (r for r in runs if r.executor == "postgres" and r.command.get("action") == "restore"),
        None,
    )
    zone = ZoneInfo(settings.TIME_ZONE)
    if restore is None:
        older = gettext_lazy(
            "our most recent backup is from {since} {zone}; data written after it "
            "may be lost (our recovery point objective is {rpo} h)."
        )
        return in_site_language(
            format_lazy(older, since=_site_time(since), zone=_zone(zone, since), rpo=f"{rpo:g}")
        )
    hours = (restore.started_at - since).total_seconds() / 3600
    if hours > rpo:
        lost = gettext_lazy(
            "data written between {since} and {until} {zone} ({hours} h) could not be restored; "
            "that is more than our recovery point objective of {rpo} h."
        )
    else:
        lost = gettext_lazy(
            "data written between {since} and {until} {zone} ({hours} h) could not be restored; "
            "that is within our recovery point objective of {rpo} h."
        )
    return in_site_language(
        format_lazy(
            lost,
            since=_site_time(since),
            until=_site_time(restore.started_at),
            zone=_zone(zone, restore.started_at),
            hours=f"{hours:.1f}",
            rpo=f"{rpo:g}",
        )
    )


def _site_time(moment: datetime) -> str:
    """A time as the site's customer reads it: in the site's time zone (settings.TIME_ZONE)."""
    return f"{moment.astimezone(ZoneInfo(settings.TIME_ZONE)):%Y-%m-%d %H:%M}"


def _zone(zone: ZoneInfo, moment: datetime) -> str:
    return moment.astimezone(zone).strftime("%Z")
