"""RTO / RPO / MTTR of the seed runbook, and how each incident measured against them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from incident_console.incidents.models import Incident


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


def sla_report(incidents) -> dict:
    """MTTR per month and per scenario, RTO breaches and time to acknowledge."""
    by_month: dict[str, list[float]] = defaultdict(list)
    by_scenario: dict[str, list[float]] = defaultdict(list)
    acknowledge: list[float] = []
    breaches = []
    for incident in incidents:
        if incident.acknowledge_seconds is not None:
            acknowledge.append(incident.acknowledge_seconds)
        if incident.recovery_seconds is None:
            continue
        by_month[f"{incident.opened_at:%Y-%m}"].append(incident.recovery_seconds)
        by_scenario[incident.scenario.title].append(incident.recovery_seconds)
        if incident.recovery_seconds > rto().total_seconds():
            breaches.append(incident)
    recovered = [s for values in by_month.values() for s in values]
    return {
        "mttr_hours": _hours(recovered),
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
        "rto_breaches": breaches,
        "time_to_acknowledge_minutes": round(sum(acknowledge) / len(acknowledge) / 60, 1)
        if acknowledge
        else None,
    }


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
        return (
            "not known yet; we will say which period of data is affected in the next update "
            f"(our recovery point objective is {rpo:g} h)."
        )
    since = datetime.fromisoformat(backup)
    restore = next(
        (r for r in runs if r.executor == "postgres" and r.command.get("action") == "restore"),
        None,
    )
    if restore is None:
        return (
            f"our most recent backup is from {since:%Y-%m-%d %H:%M} UTC; data written after it "
            f"may be lost (our recovery point objective is {rpo:g} h)."
        )
    hours = (restore.started_at - since).total_seconds() / 3600
    verdict = "more than" if hours > rpo else "within"
    return (
        f"data written between {since:%Y-%m-%d %H:%M} and {restore.started_at:%Y-%m-%d %H:%M} "
        f"UTC ({hours:.1f} h) could not be restored; that is {verdict} our recovery point "
        f"objective of {rpo:g} h."
    )
