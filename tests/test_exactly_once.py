"""No step ever runs twice by accident, and a dead worker's run is marked lost, not forgotten."""

import threading
import time

import pytest
from django.db import connections
from rest_framework.test import APIClient

from incident_console.runs import services
from incident_console.runs.models import OutputChunk, StepRun
from tests.conftest import (
    FAST_HEARTBEAT,
    SERVICE_MODE,
    WORKER_ARGS,
    celery_process,
    stop_process,
    wait_for_worker,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_requests_to_run_one_step_create_one_run(incident, user, monkeypatch):
    monkeypatch.setattr(services, "enqueue_run", lambda run_id, task_id: None)
    barrier = threading.Barrier(8)
    answers = []

    def click():
        client = APIClient()
        client.force_authenticate(user)
        barrier.wait()
        response = client.post(f"/api/incidents/{incident.pk}/steps/count/run/", {}, format="json")
        answers.append(response.status_code)
        connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [202] + [409] * 7
    assert StepRun.objects.filter(incident=incident, step_id="count").count() == 1


@pytest.mark.service
def test_a_worker_killed_mid_step_leaves_the_run_lost_and_it_never_runs_again_by_itself(
    celery_worker, incident, user, monkeypatch
):
    assert SERVICE_MODE
    from incident_console.runs.tasks import run_step

    run = services.step_run_start(
        incident=incident, step_id="slow", actor=user, params={"lines": 600}, dispatch=False
    )
    fast = FAST_HEARTBEAT
    doomed = celery_process(
        "worker",
        *WORKER_ARGS,
        "-Q",
        "doomed",
        "-n",
        "doomed@%h",
        log_name="celery-doomed.log",
        env=fast,
    )
    beat = celery_process(
        "beat", "--schedule", "var/test-beat-schedule", log_name="celery-beat.log", env=fast
    )
    try:
        wait_for_worker(doomed, "doomed@")
        run_step.apply_async(args=[run.pk], task_id=run.task_id, queue="doomed")
        _wait(lambda: OutputChunk.objects.filter(run=run).count() >= 3)
        stop_process(doomed, sig=9)
        killed_at = time.monotonic()
        _wait(lambda: StepRun.objects.get(pk=run.pk).status == "lost", timeout=20)
        lost_after = time.monotonic() - killed_at
        chunks = OutputChunk.objects.filter(run=run).count()
        again = celery_process(
            "worker",
            *WORKER_ARGS,
            "-Q",
            "doomed",
            "-n",
            "again@%h",
            log_name="celery-again.log",
            env=fast,
        )
        try:
            wait_for_worker(again, "again@")
            time.sleep(3)
        finally:
            stop_process(again)
    finally:
        stop_process(beat)
    run.refresh_from_db()
    assert run.status == "lost"
    assert lost_after < 15
    assert OutputChunk.objects.filter(run=run).count() == chunks
    assert incident.timeline.filter(kind="run_started").count() == 1
    assert "lost" in incident.timeline.get(kind="run_finished").message


def _wait(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")
