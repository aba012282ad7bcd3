"""The console's own metrics for Prometheus, read from the database at scrape time.

Counting in the database (not in process memory) gives the same answer from every web process.
"""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from incident_console.incidents.models import Incident
from incident_console.notifications.models import Notification
from incident_console.runs.models import StepRun

DURATION_BUCKETS = [1, 5, 15, 60, 300, 900, 3600, 14400]


class ConsoleCollector:
    def collect(self):
        open_incidents = GaugeMetricFamily(
            "incident_console_open_incidents", "Incidents not yet resolved", labels=["severity"]
        )
        for row in (
            Incident.objects.filter(status__in=Incident.ACTIVE_STATUSES)
            .values("severity")
            .annotate(n=Count("pk"))
        ):
            open_incidents.add_metric([row["severity"]], row["n"])
        yield open_incidents
        runs = GaugeMetricFamily(
            "incident_console_step_runs", "Step runs by status", labels=["status"]
        )
        for row in StepRun.objects.values("status").annotate(n=Count("pk")):
            runs.add_metric([row["status"]], row["n"])
        yield runs
        yield self._durations()
        failures = GaugeMetricFamily(
            "incident_console_notification_failures",
            "Notifications that could not be sent",
            labels=["channel"],
        )
        for row in (
            Notification.objects.filter(status="failed").values("channel").annotate(n=Count("pk"))
        ):
            failures.add_metric([row["channel"]], row["n"])
        yield failures

    def _durations(self):
        histogram = HistogramMetricFamily(
            "incident_console_step_run_duration_seconds",
            "How long finished step runs took",
            labels=["executor"],
        )
        by_executor: dict[str, list[float]] = {}
        finished = StepRun.objects.exclude(started_at=None).exclude(finished_at=None)
        for executor, started, finished_at in finished.values_list(
            "executor", "started_at", "finished_at"
        ):
            by_executor.setdefault(executor, []).append((finished_at - started).total_seconds())
        for executor, values in by_executor.items():
            buckets = [(str(b), sum(1 for v in values if v <= b)) for b in DURATION_BUCKETS]
            buckets.append(("+Inf", len(values)))
            histogram.add_metric([executor], buckets, sum(values))
        return histogram


def prometheus_metrics(request):
    """GET /metrics for a scraper with METRICS_TOKEN as its bearer token; without a token set,
    embedded mode answers loopback clients only (service mode refuses to start without one)."""
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    registry = CollectorRegistry()
    registry.register(ConsoleCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _refusal(request) -> HttpResponse | None:
    if settings.METRICS_TOKEN:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if hmac.compare_digest(given.encode(), settings.METRICS_TOKEN.encode()):
            return None
        return HttpResponse("a bearer token is required\n", status=401, content_type="text/plain")
    if settings.EMBEDDED and _is_loopback(request.META.get("REMOTE_ADDR", "")):
        return None
    return HttpResponse(
        "set METRICS_TOKEN to scrape /metrics from another host\n",
        status=403,
        content_type="text/plain",
    )


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
