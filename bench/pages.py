"""Page benchmarks: response time and SQL query count of the pages people keep open.

- the incident page and its timeline, for an incident with 10,000 timeline entries and 100,000
  output lines, against the same pages of an incident with 100 entries;
- the dashboard with 1,000 open incidents, against 10;
- the review list (``/incidents/``) with 100,000 past incidents, against 10.

The count of queries must not grow with the data.
"""

from __future__ import annotations

import statistics
import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from incident_console.incidents.models import Incident, Scenario, TimelineEntry
from incident_console.runs.models import OutputChunk, StepRun


def build_incident(entries: int, output_lines: int, user) -> Incident:
    scenario = Scenario.objects.get(slug="bench")
    incident = Incident.objects.create(
        scenario=scenario, title=f"{entries} entries", severity="sev4", opened_by=user
    )
    runs = StepRun.objects.bulk_create(
        StepRun(
            incident=incident,
            step_id="lines",
            step_title="Print lines",
            executor="shell",
            target="local",
            runbook_version="v",
            command={"argv": ["seq"]},
            command_display="seq",
            timeout=60,
            status="succeeded",
            created_by=user,
            started_at=timezone.now(),
            finished_at=timezone.now(),
        )
        for _ in range(max(1, entries // 100))
    )
    TimelineEntry.objects.bulk_create(
        (
            TimelineEntry(
                incident=incident,
                kind="run_finished",
                message=f"entry {i}",
                actor=user,
                run=runs[i % len(runs)],
            )
            for i in range(entries)
        ),
        batch_size=2000,
    )
    per_chunk = 100
    OutputChunk.objects.bulk_create(
        (
            OutputChunk(
                run=runs[0],
                seq=i + 1,
                stream="stdout",
                text="".join(f"line {i * per_chunk + j}\n" for j in range(per_chunk)),
            )
            for i in range(output_lines // per_chunk)
        ),
        batch_size=2000,
    )
    return incident


def measure(client: Client, url: str, repeats: int) -> dict:
    client.get(url)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # execute_wrapper, not CaptureQueriesContext: Django empties the query log at the start of
    # every request, which makes the captured count come out as zero.
    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "queries": len(queries),
        "bytes": len(response.content),
    }


SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
OPEN_STATUSES = ("open", "acknowledged", "mitigated")


def build_incidents(count: int, user, *, past: bool) -> None:
    """``count`` incidents of the bench scenario: open ones, or resolved and closed ones."""
    scenario = Scenario.objects.get(slug="bench")
    now = timezone.now()
    Incident.objects.bulk_create(
        (
            Incident(
                scenario=scenario,
                title=f"{'past' if past else 'open'} incident {i}",
                severity=SEVERITIES[i % len(SEVERITIES)],
                status=("resolved", "closed")[i % 2] if past else OPEN_STATUSES[i % 3],
                opened_by=user,
                commander=user,
                resolved_at=now if past else None,
            )
            for i in range(count)
        ),
        batch_size=5000,
    )


def pages(repeats: int = 20) -> dict:
    user, _ = get_user_model().objects.get_or_create(username="bench-pages", is_superuser=True)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    small = build_incident(100, 1000, user)
    big = build_incident(10_000, 100_000, user)
    results = {}
    for name, path in (("incident", "/incidents/{}/"), ("timeline", "/incidents/{}/timeline/")):
        results[name] = {
            "small": measure(client, path.format(small.pk), repeats),
            "big": measure(client, path.format(big.pk), repeats),
        }
    # The review first: the dashboard is then measured beside 100,000 past incidents too.
    results["review"] = _grown(
        client, "/incidents/", user, past=True, sizes=(10, 100_000), repeats=repeats
    )
    results["dashboard"] = _grown(client, "/", user, past=False, sizes=(10, 1000), repeats=repeats)
    return results


def _grown(client: Client, url: str, user, *, past: bool, sizes, repeats: int) -> dict:
    """The page measured with ``sizes[0]`` incidents of a kind, then with ``sizes[1]``."""
    small, big = sizes
    build_incidents(small, user, past=past)
    measured = {"small": measure(client, url, repeats)}
    build_incidents(big - small, user, past=past)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    measured["big"] = measure(client, url, repeats)
    return measured
