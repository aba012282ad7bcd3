"""A run declared lost never runs beside a second copy, and never changes its status after."""

import os
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from incident_console.errors import PreviousRunLost
from incident_console.runs import execution, services
from incident_console.runs.models import OutputChunk, StepRun

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


@pytest.fixture
def fence_incident(make_incident):
    return make_incident("fence-drill")


def start_tick(incident, actor, pidfile, **extra):
    return services.step_run_start(
        incident=incident,
        step_id="tick",
        actor=actor,
        params={"pidfile": str(pidfile)},
        dispatch=False,
        **extra,
    )


def mark_running(run, worker="elsewhere pid 1"):
    StepRun.objects.filter(pk=run.pk).update(
        status="running", worker=worker, heartbeat_at=timezone.now()
    )


def declare_lost(run):
    later = timezone.now() + timedelta(seconds=3600)
    assert execution.runs_reap_lost(now=later) == 1
    run.refresh_from_db()
    assert run.status == "lost"


@pytest.fixture
def lost_while_running(fence_incident, user, tmp_path, settings):
    """A tick run its worker is executing when the reaper declares it lost."""
    settings.RUN_HEARTBEAT_INTERVAL = 0.2
    pidfile = tmp_path / "tick.pid"
    run = start_tick(fence_incident, user, pidfile)
    worker = threading.Thread(
        target=execution.step_run_execute, kwargs={"run_id": run.pk, "task_id": run.task_id}
    )
    worker.start()
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip())
    wait_for(lambda: OutputChunk.objects.filter(run=run).exists())
    pid = int(pidfile.read_text())
    declare_lost(run)
    worker.join(timeout=10)
    assert not worker.is_alive(), "the worker must stop a step it finds declared lost"
    run.refresh_from_db()
    return run, pid


def test_a_worker_that_finds_its_run_declared_lost_kills_the_step(lost_while_running):
    run, pid = lost_while_running
    wait_for(lambda: not alive(pid), timeout=5)
    assert "tick 300" not in "".join(run.chunks.values_list("text", flat=True))


def test_a_lost_run_keeps_its_status_and_gains_the_late_result(lost_while_running):
    run, _ = lost_while_running
    assert run.status == "lost"
    assert run.late_result["status"] == "failed"
    assert "declared lost" in run.late_result["detail"]
    assert run.late_result["last_seq"] == run.last_seq > 0
    stored = run.chunks.count()
    assert stored == run.last_seq, "the output printed after being declared lost is kept"


def test_a_late_end_is_one_timeline_entry_and_no_second_finish(lost_while_running):
    run, _ = lost_while_running
    timeline = run.incident.timeline
    assert timeline.filter(kind="run_finished", run=run).count() == 1
    late = timeline.filter(run=run, message__contains="finished after it was declared lost")
    assert late.count() == 1


def test_a_late_end_does_not_escalate_again(lost_while_running):
    run, _ = lost_while_running
    # Escalated, or "not sent" where no notification channel is configured: once either way.
    escalations = run.incident.timeline.filter(data__rule="tick-failed")
    assert escalations.count() == 1, "the loss escalates once; its late end does not"


def test_running_a_lost_step_again_needs_an_acknowledgement(fence_incident, user, tmp_path):
    run = start_tick(fence_incident, user, tmp_path / "a.pid")
    mark_running(run, worker="box-7 pid 4242")
    declare_lost(run)
    with pytest.raises(PreviousRunLost) as refused:
        start_tick(fence_incident, user, tmp_path / "b.pid")
    assert "box-7 pid 4242" in refused.value.message
    assert refused.value.extra["lost_run"] == run.pk
    assert StepRun.objects.filter(incident=fence_incident).count() == 1


def test_a_wrong_acknowledgement_runs_nothing(fence_incident, user, tmp_path):
    run = start_tick(fence_incident, user, tmp_path / "a.pid")
    mark_running(run)
    declare_lost(run)
    with pytest.raises(PreviousRunLost):
        start_tick(fence_incident, user, tmp_path / "b.pid", acknowledge_lost="prod")
    assert StepRun.objects.filter(incident=fence_incident).count() == 1


def test_a_responder_cannot_run_a_lost_step_again(fence_incident, user, responder, tmp_path):
    from incident_console.errors import Forbidden

    run = start_tick(fence_incident, user, tmp_path / "a.pid")
    mark_running(run)
    declare_lost(run)
    with pytest.raises(Forbidden):
        start_tick(fence_incident, responder, tmp_path / "b.pid", acknowledge_lost="local")


def test_an_acknowledged_rerun_is_queued_and_recorded(fence_incident, user, tmp_path):
    run = start_tick(fence_incident, user, tmp_path / "a.pid")
    mark_running(run, worker="box-7 pid 4242")
    declare_lost(run)
    again = start_tick(fence_incident, user, tmp_path / "b.pid", acknowledge_lost="local")
    assert again.status == "queued"
    note = fence_incident.timeline.get(run=again, kind="note")
    assert "may still be running on box-7 pid 4242" in note.message
    assert note.actor == user


def test_the_api_explains_a_lost_run_with_409(api_client, fence_incident, user, tmp_path):
    run = start_tick(fence_incident, user, tmp_path / "a.pid")
    mark_running(run, worker="box-7 pid 4242")
    declare_lost(run)
    url = f"/api/incidents/{fence_incident.pk}/steps/tick/run/"
    body = {"params": {"pidfile": str(tmp_path / "b.pid")}}
    refused = api_client.post(url, body, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"] == "previous_run_lost"
    assert refused.json()["worker"] == "box-7 pid 4242"
    accepted = api_client.post(url, {**body, "acknowledge_lost": "local"}, format="json")
    assert accepted.status_code == 202
