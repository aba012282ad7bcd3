"""Drill: Redis (broker and channel layer) dies for eight seconds while a step runs."""

from __future__ import annotations

import os
import threading
import time

import pytest
from rest_framework.authtoken.models import Token

from incident_console.incidents.models import TimelineEntry
from incident_console.runs.models import OutputChunk, StepRun
from tests.conftest import celery_process
from tests.drills.conftest import api

pytestmark = [pytest.mark.service, pytest.mark.drill, pytest.mark.django_db(transaction=True)]

OUTAGE = float(os.environ.get("DRILL_REDIS_OUTAGE", 8))  # seconds; docs/reliability.md
# The `slow` step prints one line every tenth of a second: it runs 7 s longer than the outage.
TICKS = int((OUTAGE + 7) * 10)


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


def start_in_background(web, token, incident, step_id, params) -> dict:
    """POST a run without waiting: while Redis is down the request waits to publish."""
    answer = {}

    def post():
        answer["status"], answer["body"] = api(
            web,
            token,
            f"/api/incidents/{incident.pk}/steps/{step_id}/run/",
            {"params": params},
            timeout=120,
        )

    answer["thread"] = threading.Thread(target=post, daemon=True)
    answer["thread"].start()
    return answer


def timeline_count(run: StepRun, kind: str) -> int:
    return TimelineEntry.objects.filter(run=run, kind=kind).count()


def test_a_redis_restart_under_a_running_step_loses_nothing_and_runs_nothing_twice(
    private_redis, console_on, incident, user, record_property
):
    console = console_on(private_redis.url())
    worker = console.worker()
    web = console.web()
    token = Token.objects.create(user=user).key

    status, body = api(
        web, token, f"/api/incidents/{incident.pk}/steps/slow/run/", {"params": {"lines": TICKS}}
    )
    assert status == 202, body
    running = StepRun.objects.get(pk=body["run"])
    wait_until(lambda: OutputChunk.objects.filter(run=running).exists(), 20, "the step's output")

    private_redis.kill()
    down_at = time.monotonic()
    time.sleep(2)
    during = start_in_background(web, token, incident, "count", {"lines": 5})
    time.sleep(OUTAGE - (time.monotonic() - down_at))
    private_redis.start()
    up_at, up_wall = time.monotonic(), time.time()
    after = start_in_background(web, token, incident, "mixed", {"code": 0})

    for answer in (during, after):
        answer["thread"].join(timeout=90)
        assert answer["status"] == 202, answer["body"]
    queued = [StepRun.objects.get(pk=answer["body"]["run"]) for answer in (during, after)]
    wait_until(
        lambda: (
            worker.poll() is not None
            or not StepRun.objects.filter(status__in=StepRun.ACTIVE_STATUSES).exists()
        ),
        60,
        "every run to finish",
    )
    assert worker.poll() is None, "the worker process exited"
    first_start = min(StepRun.objects.get(pk=run.pk).started_at for run in queued)
    recovery = first_start.timestamp() - up_wall
    record_property("redis_outage_seconds", round(up_at - down_at, 1))
    record_property("recovery_seconds", round(recovery, 1))
    print(f"\nRedis down {up_at - down_at:.1f} s; first queued run started {recovery:.1f} s after")

    running.refresh_from_db()
    assert running.status == "succeeded"
    stored = "".join(OutputChunk.objects.filter(run=running).values_list("text", flat=True))
    assert stored == "".join(f"tick {i}\n" for i in range(1, TICKS + 1))
    for run in queued:
        run.refresh_from_db()
        assert run.status == "succeeded", run.step_id
        assert timeline_count(run, TimelineEntry.Kind.RUN_STARTED) == 1, run.step_id
        assert timeline_count(run, TimelineEntry.Kind.RUN_FINISHED) == 1, run.step_id
    health = api(web, token, "/api/health/")[1]
    assert health["checks"]["worker"]["workers"] == 1


def test_a_run_queued_during_a_long_redis_outage_runs_once_when_redis_is_back(
    private_redis, console_on, incident, user
):
    """Longer than the publish retries: the request still answers, and the housekeeping sweep
    sends the run once Redis is back (a Redis that restarts empty lost any queued message)."""
    console = console_on(private_redis.url())
    sweep = {"REAP_INTERVAL": "1", "RUN_RESEND_AFTER": "3"}
    base_env = console.env
    console.env = lambda: {**base_env(), **sweep}
    console.worker()
    web = console.web()
    beat = celery_process("beat", log_name="celery-beat-drill.log", env=console.env())
    console.started.append(beat)
    token = Token.objects.create(user=user).key
    private_redis.kill()
    asked = time.monotonic()
    status, body = api(
        web,
        token,
        f"/api/incidents/{incident.pk}/steps/count/run/",
        {"params": {"lines": 5}},
        timeout=60,
    )
    answered_in = time.monotonic() - asked
    assert status == 202, body
    assert answered_in < 30, f"the request waited {answered_in:.0f} s for the broker"
    run = StepRun.objects.get(pk=body["run"])
    time.sleep(max(0.0, 20 - answered_in))
    assert StepRun.objects.get(pk=run.pk).status == "queued"
    private_redis.start()
    wait_until(lambda: StepRun.objects.get(pk=run.pk).is_finished, 60, "the stranded run")
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert timeline_count(run, TimelineEntry.Kind.RUN_STARTED) == 1
    stored = "".join(OutputChunk.objects.filter(run=run).values_list("text", flat=True))
    assert stored == "".join(f"line {i}\n" for i in range(1, 6))
