"""The execution path in this process: claim a run, stream its output into chunks, finish it."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from incident_console.runs import execution, services
from incident_console.runs.models import OutputChunk, StepRun

pytestmark = pytest.mark.django_db(transaction=True)


def start(incident, step_id, user, **params):
    """Queue a run without handing it to the workers: these tests execute it themselves."""
    return services.step_run_start(
        incident=incident, step_id=step_id, actor=user, params=params, dispatch=False
    )


def output_of(run) -> list[tuple[str, str]]:
    return list(OutputChunk.objects.filter(run=run).order_by("seq").values_list("stream", "text"))


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_run_stores_every_line_in_order_and_finishes_succeeded(incident, user):
    run = start(incident, "count", user, lines=5000)
    finished = execution.step_run_execute(run_id=run.pk, task_id=run.task_id)
    assert (finished.status, finished.exit_code) == ("succeeded", 0)
    text = "".join(text for _, text in output_of(run))
    assert text == "".join(f"line {i}\n" for i in range(1, 5001))
    seqs = list(OutputChunk.objects.filter(run=run).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert finished.last_seq == len(seqs)
    assert finished.output_bytes == len(text)
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds == ["incident_opened", "run_queued", "run_started", "run_finished"]


def test_stdout_and_stderr_keep_their_stream_and_a_failure_keeps_its_exit_code(incident, user):
    run = start(incident, "mixed", user, code=3)
    finished = execution.step_run_execute(run_id=run.pk, task_id=run.task_id)
    assert (finished.status, finished.exit_code) == ("failed", 3)
    by_stream = {"stdout": "", "stderr": ""}
    for stream, text in output_of(run):
        by_stream[stream] += text
    assert by_stream == {"stdout": "out-1\nout-2\n", "stderr": "err-1\n"}
    assert (
        incident.timeline.get(kind="run_finished").message
        == "“Print to stdout and stderr” failed, exit code 3"
    )


def test_a_redelivered_task_does_not_run_the_step_again(incident, user):
    run = start(incident, "count", user, lines=3)
    execution.step_run_execute(run_id=run.pk, task_id=run.task_id)
    again = execution.step_run_execute(run_id=run.pk, task_id=run.task_id)
    assert again is None
    assert "".join(text for _, text in output_of(run)) == "line 1\nline 2\nline 3\n"
    assert incident.timeline.filter(kind="run_started").count() == 1


def test_a_task_with_another_id_does_not_claim_the_run(incident, user):
    run = start(incident, "count", user)
    assert execution.step_run_execute(run_id=run.pk, task_id="someone-else") is None
    run.refresh_from_db()
    assert run.status == "queued"


def test_cancel_stops_a_running_step(incident, user):
    run = start(incident, "slow", user, lines=200)
    worker = threading.Thread(
        target=execution.step_run_execute, kwargs={"run_id": run.pk, "task_id": run.task_id}
    )
    worker.start()
    wait_for(lambda: OutputChunk.objects.filter(run=run).exists())
    services.step_run_cancel(run=StepRun.objects.get(pk=run.pk), actor=user)
    worker.join(timeout=10)
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert "tick 200" not in "".join(text for _, text in output_of(run))
    assert incident.timeline.filter(kind="run_cancel_requested").count() == 1


def test_a_running_run_whose_heartbeat_stopped_is_marked_lost(incident, user, settings):
    settings.RUN_LOST_AFTER = 30
    stale = start(incident, "count", user)
    fresh = start(incident, "mixed", user)
    now = timezone.now()
    StepRun.objects.filter(pk=stale.pk).update(
        status="running", heartbeat_at=now - timedelta(seconds=31)
    )
    StepRun.objects.filter(pk=fresh.pk).update(
        status="running", heartbeat_at=now - timedelta(seconds=5)
    )
    assert execution.runs_reap_lost(now=now) == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == ("lost", "running")
    assert "lost" in incident.timeline.get(kind="run_finished", run=stale).message
    assert execution.runs_reap_lost(now=now) == 0


def test_a_lost_run_can_be_run_again_by_a_commander_who_acknowledges_it(incident, user):
    run = start(incident, "count", user)
    StepRun.objects.filter(pk=run.pk).update(status="lost")
    again = services.step_run_start(
        incident=incident,
        step_id="count",
        actor=user,
        params={},
        acknowledge_lost="local",
        dispatch=False,
    )
    assert again.pk != run.pk and again.status == "queued"


def test_the_queued_run_is_executed_once_committed(incident, user):
    """Through the real transport of this mode: threads when embedded, Celery when not."""
    from django.conf import settings

    if not settings.EMBEDDED:
        pytest.skip("the service-mode path is covered with a real worker in test_service_mode")
    run = services.step_run_start(
        incident=incident, step_id="count", actor=user, params={"lines": 10}
    )
    wait_for(lambda: StepRun.objects.get(pk=run.pk).is_finished)
    assert StepRun.objects.get(pk=run.pk).status == "succeeded"
    assert "".join(t for _, t in output_of(run)) == "".join(f"line {i}\n" for i in range(1, 11))


def test_a_step_that_prints_without_end_is_cut_at_the_cap_and_stopped(incident, user, settings):
    settings.OUTPUT_MAX_BYTES = 100_000
    run = start(incident, "flood", user)
    finished = execution.step_run_execute(run_id=run.pk, task_id=run.task_id)
    assert (finished.status, finished.truncated) == ("failed", True)
    assert finished.detail == "output limit reached"
    stdout = "".join(text for stream, text in output_of(run) if stream == "stdout")
    assert len(stdout.encode()) <= 100_000
    assert "output limit of 100000 bytes reached" in output_of(run)[-1][1]


def test_a_step_may_go_on_past_the_cap_and_keep_its_own_result(incident, user, settings):
    settings.OUTPUT_MAX_BYTES = 10_000
    run = start(incident, "flood-then-finish", user)
    finished = execution.step_run_execute(run_id=run.pk, task_id=run.task_id)
    assert (finished.status, finished.exit_code, finished.truncated) == ("succeeded", 0, True)
    assert "the step goes on" in "".join(text for _, text in output_of(run))
    assert "finished" not in "".join(text for _, text in output_of(run))


def test_a_step_silent_for_longer_than_its_idle_timeout_is_stopped(incident, user):
    run = start(incident, "quiet", user)
    started = time.monotonic()
    finished = execution.step_run_execute(run_id=run.pk, task_id=run.task_id)
    assert time.monotonic() - started < 10
    assert finished.status == "timed_out"
    assert "no output for 1 s" in "".join(text for _, text in output_of(run))


def test_a_queued_run_whose_message_never_left_is_sent_again(incident, user, settings):
    settings.RUN_RESEND_AFTER = 30
    run = services.step_run_start(
        incident=incident, step_id="count", actor=user, params={}, dispatch=False
    )
    later = timezone.now() + timedelta(seconds=31)
    assert execution.runs_resend_queued(now=later) == 1
    assert StepRun.objects.get(pk=run.pk).enqueued_at is not None
    if settings.EMBEDDED:  # the embedded pool runs it here; the drills prove the workers do
        wait_for(lambda: StepRun.objects.get(pk=run.pk).status == "succeeded")
        assert incident.timeline.filter(kind="run_started", run=run).count() == 1


def test_a_queued_run_sent_recently_is_not_sent_again(incident, user, settings):
    settings.RUN_RESEND_AFTER = 30
    run = services.step_run_start(
        incident=incident, step_id="count", actor=user, params={}, dispatch=False
    )
    StepRun.objects.filter(pk=run.pk).update(enqueued_at=timezone.now())
    assert execution.runs_resend_queued(now=timezone.now() + timedelta(seconds=10)) == 0
    assert StepRun.objects.get(pk=run.pk).status == "queued"
