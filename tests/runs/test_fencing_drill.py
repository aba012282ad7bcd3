"""Drill: a worker frozen mid-step (SIGSTOP: a VM stall, a long pause, a partition).

Service mode, with the session's real `celery worker` process on PostgreSQL and Redis.
"""

import os
import signal
import socket
import time

import pytest

from incident_console.runs import execution
from incident_console.runs.models import StepRun
from tests.runs.test_fencing import alive, wait_for

pytestmark = [pytest.mark.service, pytest.mark.drill, pytest.mark.django_db(transaction=True)]


def test_a_frozen_worker_never_lets_a_lost_step_run_twice(
    celery_worker, api_client, make_incident, tmp_path, settings
):
    settings.RUN_LOST_AFTER = 5  # as the drill worker's
    incident = make_incident("fence-drill")
    url = f"/api/incidents/{incident.pk}/steps/tick/run/"
    first_pid = tmp_path / "first.pid"
    response = api_client.post(url, {"params": {"pidfile": str(first_pid)}}, format="json")
    run = StepRun.objects.get(pk=response.json()["run"])
    wait_for(lambda: first_pid.exists() and first_pid.read_text().strip(), timeout=20)
    wait_for(lambda: StepRun.objects.get(pk=run.pk).last_seq > 0, timeout=20)
    step_pid = int(first_pid.read_text())
    worker_pid = celery_worker.process.pid

    os.kill(worker_pid, signal.SIGSTOP)
    try:
        time.sleep(5.5)
        assert execution.runs_reap_lost() == 1
        run.refresh_from_db()
        assert run.status == "lost"
        assert run.worker == f"{socket.gethostname()} pid {worker_pid}"
        assert alive(step_pid), "while its worker is frozen the step itself goes on"
        again = {"params": {"pidfile": str(tmp_path / "second.pid")}}
        refused = api_client.post(url, again, format="json")
        assert refused.status_code == 409
        assert f"pid {worker_pid}" in refused.json()["detail"]
    finally:
        os.kill(worker_pid, signal.SIGCONT)
    resumed = time.monotonic()
    wait_for(lambda: not alive(step_pid), timeout=10)
    fenced_in = time.monotonic() - resumed
    wait_for(lambda: StepRun.objects.get(pk=run.pk).late_result is not None, timeout=20)
    run.refresh_from_db()
    assert run.status == "lost"
    assert run.late_result["status"] == "failed"
    assert incident.timeline.filter(kind="run_finished", run=run).count() == 1
    assert incident.timeline.filter(run=run, message__contains="after it was declared").count() == 1
    accepted = api_client.post(url, {**again, "acknowledge_lost": "local"}, format="json")
    assert accepted.status_code == 202
    print(f"step stopped {fenced_in:.2f} s after its worker resumed")
