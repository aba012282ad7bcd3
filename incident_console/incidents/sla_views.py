"""The SLA page and the printable monthly SLA review (the seed's «Проверка RTO/RPO метрик»)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from incident_console.incidents.models import Incident
from incident_console.incidents.selectors import incidents_visible_to
from incident_console.incidents.sla import INCIDENT, incident_class, rto, sla_report
from incident_console.incidents.sla_chart import mttr_chart


def _all_incidents():
    # Figures count every incident; one is named only to someone who may see it.
    return Incident.objects.select_related("scenario", "opened_by").prefetch_related("runs")


@login_required
def sla_page(request):
    """MTTR per month (chart), MTTA and MTTR per severity, RPO per data-loss incident, RTO
    breaches; drills, procedures and duties apart."""
    report = sla_report(_all_incidents())
    named = _named(request.user, [*report["rto_breaches"], *_rpo_incidents(report)])
    context = {
        **_objectives(),
        "report": report,
        "breaches": [_entry(incident, named) for incident in report["rto_breaches"]],
        "recovery_points": [_point(point, named) for point in report["recovery_points"]],
        "chart": mttr_chart(report["by_month"], report["mttr_target_hours"]),
        "review_month": f"{_previous_month(timezone.localdate()):%Y-%m}",
    }
    return render(request, "incidents/sla.html", context)


@login_required
def sla_review(request):
    """One month's SLA review, laid out to be printed and signed."""
    month, error = _month(request.GET.get("month", ""))
    # The month as the reader lives it: it begins at midnight in their time zone.
    zone = timezone.get_current_timezone()
    start = datetime(month.year, month.month, 1, tzinfo=zone)
    end = datetime(_next_month(month).year, _next_month(month).month, 1, tzinfo=zone)
    incidents = list(_all_incidents().filter(opened_at__gte=start, opened_at__lt=end))
    report = sla_report(incidents)
    real = sorted(
        (i for i in incidents if incident_class(i) == INCIDENT), key=lambda i: i.opened_at
    )
    named = _named(request.user, real)
    context = {
        **_objectives(),
        "month": month,
        "month_value": f"{month:%Y-%m}",
        "error": error,
        "report": report,
        "rows": [_row(incident, named) for incident in real],
        "recovery_points": [_point(point, named) for point in report["recovery_points"]],
        "chart": mttr_chart(report["by_month"], report["mttr_target_hours"]),
        "generated_at": timezone.now(),
    }
    return render(request, "incidents/sla_review.html", context, status=400 if error else 200)


def _objectives() -> dict:
    return {
        "rpo_hours": settings.SLA_RPO_HOURS,
        "rpo_critical_hours": settings.SLA_RPO_CRITICAL_HOURS,
    }


def _month(raw: str) -> tuple[date, str]:
    today = timezone.localdate()
    if not raw:
        return _previous_month(today), ""
    try:
        return datetime.strptime(raw, "%Y-%m").date(), ""
    except ValueError:
        example = f"{today:%Y-%m}"
        return _previous_month(today), _("month: must be a month like %(example)s") % {
            "example": example
        }


def _previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _rpo_incidents(report: dict) -> list[Incident]:
    return [point.incident for point in report["recovery_points"]]


def _named(user, incidents: list[Incident]) -> set[int]:
    pks = [incident.pk for incident in incidents]
    return set(incidents_visible_to(user).filter(pk__in=pks).values_list("pk", flat=True))


def _entry(incident: Incident, named: set[int]) -> dict:
    return {"incident": incident, "named": incident.pk in named}


def _point(point, named: set[int]) -> dict:
    return {"point": point, "incident": point.incident, "named": point.incident.pk in named}


def _row(incident: Incident, named: set[int]) -> dict:
    recovery = incident.recovery_seconds
    acknowledge = incident.acknowledge_seconds
    return {
        **_entry(incident, named),
        "tta_minutes": round(acknowledge / 60, 1) if acknowledge is not None else None,
        "ttr_hours": round(recovery / 3600, 2) if recovery is not None else None,
        "rto_met": None if recovery is None else recovery <= rto().total_seconds(),
    }
