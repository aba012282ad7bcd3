"""The worker side of a run: claim it, execute it, record how it ended; reap the lost ones
and send again the queued ones whose task message went missing."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, pgettext_lazy

from executors import ExecutorError, NotConfigured, Result
from executors.base import SYSTEM_PREFIX
from executors.masking import SecretMasker
from incident_console.i18n import in_site_language
from incident_console.incidents.models import TimelineEntry
from incident_console.incidents.timeline import timeline_add
from incident_console.notifications.escalation import escalations_on_step_failed
from incident_console.runs.broadcast import broadcast_run_status
from incident_console.runs.dispatch import enqueue_run
from incident_console.runs.executors import build_executor
from incident_console.runs.models import StepRun
from incident_console.runs.output import OutputRecorder, database_unreachable

log = logging.getLogger(__name__)

Status = StepRun.Status
NOT_CONFIGURED = StepRun.FailureCause.CONSOLE_NOT_CONFIGURED


def step_run_execute(*, run_id: int, task_id: str) -> StepRun | None:
    """Run a queued run once.  Only the first caller with the stored task id gets to run it."""
    now = timezone.now()
    worker = worker_name()
    if not StepRun.transition(
        run_id,
        source=Status.QUEUED,
        to=Status.RUNNING,
        match={"task_id": task_id},
        started_at=now,
        heartbeat_at=now,
        worker=worker,
    ):
        log.info("run %s is not queued for task %s; nothing to do", run_id, task_id)
        return None
    run = StepRun.objects.select_related("incident").get(pk=run_id)
    with transaction.atomic():
        timeline_add(
            incident=run.incident_id,
            kind=TimelineEntry.Kind.RUN_STARTED,
            message=format_lazy(
                gettext_lazy("Started “{step}” on {worker}"), step=run.step_title, worker=worker
            ),
            run=run,
            data={"worker": worker},
        )
        transaction.on_commit(lambda: broadcast_run_status(run))
    result, cause, recorder = _execute(run)
    return _with_database(lambda: _finish(run, result, recorder, cause))


def worker_name() -> str:
    """Where a run executes: the host and process a person may need to check by hand."""
    return f"{socket.gethostname()} pid {os.getpid()}"


def _execute(run: StepRun) -> tuple[Result, str, OutputRecorder]:
    cancel = threading.Event()
    recorder = OutputRecorder(
        run.pk,
        cancel,
        flush_interval=settings.OUTPUT_FLUSH_INTERVAL,
        flush_lines=settings.OUTPUT_FLUSH_LINES,
        eager_flushes=settings.OUTPUT_EAGER_FLUSHES,
        eager_lines=settings.OUTPUT_EAGER_LINES,
        heartbeat_interval=settings.RUN_HEARTBEAT_INTERVAL,
        fence_after=settings.RUN_FENCE_AFTER,
        max_bytes=settings.OUTPUT_MAX_BYTES,
        kill_on_limit=run.kill_on_output_limit,
        idle_timeout=run.idle_timeout,
    )
    with recorder:
        result, cause = _call_executor(run, recorder, cancel)
    return result, cause, recorder


def _call_executor(
    run: StepRun, recorder: OutputRecorder, cancel: threading.Event
) -> tuple[Result, str]:
    """How the run ended, and why it failed when the console itself was the cause.  What the
    console says in the output and the run's detail is stored in the site's language."""
    masker = SecretMasker(recorder.emit, [])
    try:
        built = build_executor(run.executor, timeout=run.timeout, target=run.target)
        masker = SecretMasker(recorder.emit, built.secrets)
        return built.executor.run(run.command, masker, cancel), ""
    except NotConfigured as exc:
        why = in_site_language(exc)
        said = in_site_language(format_lazy(CONSOLE_NOT_CONFIGURED, why=why))
        masker("stderr", f"{SYSTEM_PREFIX}{said}\n")
        return Result(Status.FAILED, None, masker.mask(why)), NOT_CONFIGURED
    except ExecutorError as exc:
        why = in_site_language(exc)
        masker("stderr", f"{SYSTEM_PREFIX}{why}\n")
        return Result(Status.FAILED, None, masker.mask(why)), ""
    except Exception as exc:
        log.exception("run %s: executor crashed", run.pk)
        name = type(exc).__name__
        said = format_lazy(gettext_lazy("the executor failed: {error}"), error=name)
        masker("stderr", f"{SYSTEM_PREFIX}{in_site_language(said)}\n")
        detail = format_lazy(gettext_lazy("executor failed: {error}"), error=name)
        return Result(Status.FAILED, None, in_site_language(detail)), ""
    finally:
        masker.flush()


def _failure_cause(status: str, cause: str) -> str:
    if status not in (Status.FAILED, Status.TIMED_OUT):
        return ""
    return cause or StepRun.FailureCause.TARGET


CONSOLE_NOT_CONFIGURED = gettext_lazy("console not configured: {why}")

STOPPED_BY_RECORDER = {
    "idle": (Status.TIMED_OUT, gettext_lazy("no output for longer than the idle timeout")),
    "output_limit": (Status.FAILED, gettext_lazy("output limit reached")),
    "fenced": (
        Status.FAILED,
        gettext_lazy("stopped by its worker: the heartbeat could not be renewed"),
    ),
    "declared_lost": (
        Status.FAILED,
        gettext_lazy("stopped by its worker: the run had been declared lost"),
    ),
    "recorder_failed": (Status.FAILED, gettext_lazy("storing the output failed")),
}

# How a finished run is named on the timeline ("“Restore” timed out, exit code 124").
ENDED_AS = {
    Status.SUCCEEDED: pgettext_lazy("run ended", "succeeded"),
    Status.FAILED: pgettext_lazy("run ended", "failed"),
    Status.CANCELLED: pgettext_lazy("run ended", "cancelled"),
    Status.TIMED_OUT: pgettext_lazy("run ended", "timed out"),
    Status.LOST: pgettext_lazy("run ended", "lost"),
    Status.SKIPPED: pgettext_lazy("run ended", "skipped"),
}


def _with_database(action, *, attempts: int = 60, pause: float = 1.0):
    """Retry ``action`` while the database is unreachable: a run's end must be recorded."""
    for attempt in range(attempts):
        try:
            return action()
        except OperationalError as exc:
            if attempt == attempts - 1 or not database_unreachable(exc):
                raise
            log.warning("the database is unreachable; recording the run's end again shortly")
            connection.close()
            time.sleep(min(pause * (attempt + 1), 10.0))
    return None


def _finish(run: StepRun, result: Result, recorder: OutputRecorder, cause: str = "") -> StepRun:
    finished = timezone.now()
    lost_output = recorder.stop_reason == "recorder_failed"
    if recorder.stop_reason in STOPPED_BY_RECORDER and (
        result.status == Status.CANCELLED or lost_output
    ):
        status, detail = STOPPED_BY_RECORDER[recorder.stop_reason]
        detail = in_site_language(detail)
        result = Result(status, result.exit_code, detail, result.notes, result.outputs)
    with transaction.atomic():
        ended = StepRun.transition(
            run.pk,
            source=Status.RUNNING,
            to=result.status,
            exit_code=result.exit_code,
            detail=result.detail,
            failure_cause=_failure_cause(result.status, cause),
            finished_at=finished,
            heartbeat_at=finished,
            last_seq=recorder.last_seq,
            output_bytes=recorder.bytes,
            outputs=dict(result.outputs),
            truncated=recorder.truncated,
        )
        if not ended:
            return _finish_late(run, result, recorder, finished)
        run.refresh_from_db()
        for note in result.notes:
            timeline_add(
                incident=run.incident_id, kind=TimelineEntry.Kind.NOTE, message=note, run=run
            )
        timeline_add(
            incident=run.incident_id,
            kind=TimelineEntry.Kind.RUN_FINISHED,
            message=_finished_message(run),
            run=run,
            data={
                "status": run.status,
                "exit_code": run.exit_code,
                "seconds": run.duration_seconds,
                "failure_cause": run.failure_cause,
            },
        )
        transaction.on_commit(lambda: _announce_end(run))
    return run


def _finished_message(run: StepRun):
    if run.console_not_configured:
        return format_lazy(
            gettext_lazy("“{step}” did not run: console not configured: {why}"),
            step=run.step_title,
            why=run.detail,
        )
    return format_lazy(
        gettext_lazy("“{step}” {ended}{exit}"),
        step=run.step_title,
        ended=_ended_as(run.status),
        exit=_exit_text(run.exit_code),
    )


def _ended_as(status: str):
    return ENDED_AS.get(status, status.replace("_", " "))


def _exit_text(exit_code: int | None):
    if exit_code is None:
        return ""
    return format_lazy(gettext_lazy(", exit code {code}"), code=exit_code)


def _announce_end(run: StepRun) -> None:
    broadcast_run_status(run)
    if run.status in StepRun.FAILED_STATUSES:
        escalations_on_step_failed(run)


def _finish_late(run: StepRun, result: Result, recorder: OutputRecorder, at) -> StepRun:
    """The run ended on its worker after the reaper had declared it lost: keep how it ended,
    leave its status alone, and say so once."""
    late = {
        "status": result.status,
        "exit_code": result.exit_code,
        "detail": result.detail,
        "finished_at": at.isoformat(),
        "last_seq": recorder.last_seq,
        "output_bytes": recorder.bytes,
    }
    if not StepRun.objects.filter(pk=run.pk, status=Status.LOST, late_result__isnull=True).update(
        late_result=late, last_seq=recorder.last_seq, output_bytes=recorder.bytes
    ):
        run.refresh_from_db()
        return run
    run.refresh_from_db()
    timeline_add(
        incident=run.incident_id,
        kind=TimelineEntry.Kind.NOTE,
        message=format_lazy(
            gettext_lazy("“{step}” finished after it was declared lost: {ended}{exit}"),
            step=run.step_title,
            ended=_ended_as(result.status),
            exit=_exit_text(result.exit_code),
        ),
        run=run,
        data={"late_result": late},
    )
    transaction.on_commit(lambda: broadcast_run_status(run))
    return run


def runs_reap_lost(*, now=None) -> int:
    """Mark running runs whose worker stopped beating as lost; they never restart by themselves.

    A lost run's step may still be running (a frozen worker, a partition): running it again
    needs a commander's acknowledgement of that.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.RUN_LOST_AFTER)
    stale = StepRun.objects.filter(status=Status.RUNNING, heartbeat_at__lt=cutoff)
    return sum(_reap(run, now=now, cutoff=cutoff) for run in stale)


def _reap(run: StepRun, *, now, cutoff) -> bool:
    with transaction.atomic():
        if not StepRun.transition(
            run.pk,
            source=Status.RUNNING,
            to=Status.LOST,
            match={"heartbeat_at__lt": cutoff},
            finished_at=now,
        ):
            return False
        run.refresh_from_db()
        timeline_add(
            incident=run.incident_id,
            kind=TimelineEntry.Kind.RUN_FINISHED,
            message=format_lazy(
                gettext_lazy(
                    "“{step}” lost: its worker ({worker}) stopped answering; "
                    "the step may still be running there"
                ),
                step=run.step_title,
                worker=run.worker,
            ),
            run=run,
            data={"status": Status.LOST.value, "last_heartbeat": run.heartbeat_at.isoformat()},
        )
        transaction.on_commit(lambda: _announce_end(run))
    return True


def runs_resend_queued(*, now=None) -> int:
    """Send again the queued runs whose task message never reached the broker, or was lost
    with it: without this a run queued during a Redis outage would stay queued forever."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.RUN_RESEND_AFTER)
    stranded = StepRun.objects.filter(status=Status.QUEUED).filter(
        Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True, created_at__lt=cutoff)
    )
    resent = 0
    for run_id, task_id in stranded.values_list("pk", "task_id"):
        log.warning("run %s is still queued; sending it to the workers again", run_id)
        resent += enqueue_run(run_id, task_id)
    return resent
