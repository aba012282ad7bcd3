"""Starting, executing, completing, cancelling and reaping step runs."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from executors import ExecutorError, Result
from executors.base import SYSTEM_PREFIX
from executors.masking import SecretMasker
from incident_console.accounts.roles import COMMAND, RESPOND, require
from incident_console.errors import (
    ConfirmationRequired,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreviewOutdated,
    PreviousRunLost,
)
from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.timeline import timeline_add
from incident_console.notifications.escalation import escalations_on_step_failed
from incident_console.runs.broadcast import broadcast_run_status
from incident_console.runs.dispatch import enqueue_run
from incident_console.runs.executors import build_executor, target_address
from incident_console.runs.models import OutputChunk, StepRun
from incident_console.runs.output import OutputRecorder, database_unreachable, lines_to_chunks
from runbooks.schema import Step

log = logging.getLogger(__name__)


def step_params_suggested(incident: Incident, step: Step) -> dict[str, Any]:
    """Values for parameters that come from an earlier step's outputs, when that step has run."""
    suggested = {}
    for parameter in step.params:
        source = parameter.from_
        if source is None:
            continue
        run = (
            StepRun.objects.filter(incident=incident, step_id=source.step, status="succeeded")
            .order_by("-finished_at", "-pk")
            .first()
        )
        if run is not None and run.outputs.get(source.output) not in (None, ""):
            suggested[parameter.name] = run.outputs[source.output]
    return suggested


def step_params_validate(step: Step, params: Any, suggested: dict | None = None) -> dict[str, Any]:
    """Check submitted values against the step's declared parameters; fill defaults."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidInput("params must be an object of parameter names to values")
    declared = {p.name: p for p in step.params}
    errors = {name: "is not a parameter of this step" for name in params if name not in declared}
    values: dict[str, Any] = {}
    for name, parameter in declared.items():
        raw = params.get(name)
        if raw in (None, "") and suggested and name in suggested:
            raw = suggested[name]
        try:
            values[name] = parameter.validate_value(raw)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise InvalidInput("invalid parameters", fields=errors)
    return values


def _runnable_step(incident: Incident, step_id: str) -> Step:
    if incident.status in (Incident.Status.RESOLVED, Incident.Status.CLOSED):
        raise Conflict(f"the incident is {incident.status}; reopen it to run steps")
    step = incident.scenario.runbook.step(step_id)
    if step is None:
        raise NotFound(f"the scenario has no step {step_id!r}")
    return step


@dataclass(frozen=True)
class RenderedStep:
    step: Step
    values: dict[str, Any]
    spec: dict[str, Any]
    display: str
    timeout: int
    host: dict[str, Any]
    digest: str

    def preview(self) -> dict[str, Any]:
        return {
            "step_id": self.step.id,
            "command": self.display,
            "target": self.step.target,
            "host": self.host,
            "executor": self.step.executor,
            "destructive": self.step.destructive,
            "requires_approval": self.step.requires_approval,
            "params": self.values,
            "digest": self.digest,
        }


def run_digest(*, step: Step, host: dict, spec: dict, values: dict, version: str) -> str:
    """A hash of everything that decides what runs, so a confirmation binds to what was seen."""
    decisive = {
        "executor": step.executor,
        "target": step.target,
        "host": host,
        "spec": spec,
        "params": values,
        "runbook_version": version,
    }
    canonical = json.dumps(decisive, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _render(incident: Incident, step: Step, params: Any, *, suggest: bool = True) -> RenderedStep:
    suggested = step_params_suggested(incident, step) if suggest else None
    values = step_params_validate(step, params, suggested)
    timeout = min(step.timeout or settings.STEP_TIMEOUT_DEFAULT, settings.STEP_TIMEOUT_MAX)
    try:
        executor = build_executor(
            step.executor, timeout=timeout, target=step.target, resolve=False
        ).executor
        spec = executor.render(step.model_dump(), values)
    except ExecutorError as exc:
        raise InvalidInput(str(exc)) from None
    host = target_address(step.target)
    digest = run_digest(
        step=step, host=host, spec=spec, values=values, version=incident.scenario.version
    )
    return RenderedStep(step, values, spec, executor.describe(spec), timeout, host, digest)


def step_run_preview(*, incident: Incident, step_id: str, actor, params: Any) -> RenderedStep:
    """What Run would do, exactly, without doing it: the dry run before a destructive step."""
    step = _automated_step(incident, step_id)
    return _render(incident, step, params)


def _automated_step(incident: Incident, step_id: str) -> Step:
    step = _runnable_step(incident, step_id)
    if step.executor == "manual":
        raise InvalidInput("this is a manual step: mark it done or skipped instead")
    return step


def step_run_start(
    *,
    incident: Incident,
    step_id: str,
    actor,
    params: Any,
    confirm: str | None = None,
    digest: str | None = None,
    acknowledge_lost: str | None = None,
    dispatch: bool = True,
) -> StepRun:
    """Queue one run of an automated step.  A step already queued or running is refused.

    A destructive step needs the commander role, ``confirm`` equal to its target's name and
    ``digest`` equal to the one its preview showed: what runs is exactly what was reviewed.  Any
    step given a digest is held to it.  A step that requires approval waits for a second
    commander, who approves the same digest.  When the step's last run was declared lost, a
    commander must type the target's name in ``acknowledge_lost``: that run may still be going.
    """
    require(actor, RESPOND, "running a step")
    step = _automated_step(incident, step_id)
    rendered = _render(incident, step, params)
    if step.destructive:
        require(actor, COMMAND, "running a destructive step")
        if confirm != step.target:
            raise ConfirmationRequired(
                f"this step changes {step.target}: type the target's name to confirm",
                **rendered.preview(),
            )
    if (step.destructive or digest) and digest != rendered.digest:
        raise PreviewOutdated(
            "what would run differs from the preview you confirmed: review it again",
            **rendered.preview(),
        )
    lost = _lost_previous_run(incident, step, actor, acknowledge_lost, rendered)
    waiting = step.requires_approval
    verb = "Asked for approval to run" if waiting else "Queued"
    run = _create_run(
        incident=incident,
        step=step,
        actor=actor,
        rendered=rendered,
        timeline={
            "kind": TimelineEntry.Kind.RUN_QUEUED,
            "message": f"{verb} “{step.title}” on {step.target}: {rendered.display}",
            "data": {"step_id": step.id, "target": step.target, "params": rendered.values},
        },
        status=StepRun.Status.AWAITING_APPROVAL if waiting else StepRun.Status.QUEUED,
        idle_timeout=step.idle_timeout,
        kill_on_output_limit=step.on_output_limit == "kill",
    )
    if lost is not None:
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.NOTE,
            message=(
                f"Ran “{step.title}” again although run {lost.pk} may still be running on "
                f"{lost.worker}: acknowledged by {actor.username}"
            ),
            actor=actor,
            run=run,
            data={"lost_run": lost.pk, "worker": lost.worker},
        )
    if dispatch and not waiting:
        transaction.on_commit(lambda: enqueue_run(run.pk, run.task_id))
    return run


def _lost_previous_run(incident, step, actor, acknowledgement, rendered) -> StepRun | None:
    """The step's last run when it was lost; running again then needs a commander who typed
    the target's name, knowing the lost run may still be running."""
    last = StepRun.objects.filter(incident=incident, step_id=step.id).order_by("-pk").first()
    if last is None or last.status != StepRun.Status.LOST or last.late_result is not None:
        return None
    require(actor, COMMAND, "running again a step whose last run was lost")
    if acknowledgement != step.target:
        raise PreviousRunLost(
            f"run {last.pk} of this step was declared lost and may still be running on "
            f"{last.worker or 'an unknown worker'}: check there, then type {step.target} to "
            "run it again",
            lost_run=last.pk,
            worker=last.worker,
            **rendered.preview(),
        )
    return last


def step_run_approve(*, run: StepRun, actor, digest: str | None) -> StepRun:
    """A second commander lets a run that needs approval go ahead, exactly as it was shown.

    Everything starting checks is checked again (the incident still open, the step still in
    its scenario, the approver's role), and the run's command re-rendered: when the runbook or
    the target changed since the request, or ``digest`` is not the run's, nothing runs.
    """
    require(actor, COMMAND, "approving a run")
    if run.created_by_id == actor.pk:
        raise Forbidden("a second person must approve this run")
    incident = Incident.objects.select_related("scenario").get(pk=run.incident_id)
    step = _automated_step(incident, run.step_id)
    rendered = _render(incident, step, run.params, suggest=False)
    if rendered.digest != run.digest:
        raise Conflict(
            "the step or its target changed since this run was requested: cancel it and "
            "request it again"
        )
    if digest != run.digest:
        raise PreviewOutdated(
            "this is not the command you were shown: review it again", **rendered.preview()
        )
    with transaction.atomic():
        approved = StepRun.objects.filter(
            pk=run.pk,
            status=StepRun.Status.AWAITING_APPROVAL,
            incident__status__in=Incident.ACTIVE_STATUSES,
        ).update(status=StepRun.Status.QUEUED, approved_by=actor)
        if approved != 1:
            run.refresh_from_db()
            raise Conflict(f"the run is {run.status}, not awaiting approval")
        timeline_add(
            incident=run.incident_id,
            kind=TimelineEntry.Kind.RUN_APPROVED,
            message=f"Approved “{run.step_title}” on {run.target}: {run.command_display}",
            actor=actor,
            run=run,
            data={"digest": run.digest},
        )
        transaction.on_commit(lambda: enqueue_run(run.pk, run.task_id))
    run.refresh_from_db()
    broadcast_run_status(run)
    return run


def _create_run(*, incident, step, actor, rendered: RenderedStep, timeline, **fields):
    try:
        with transaction.atomic():
            run = StepRun.objects.create(
                incident=incident,
                step_id=step.id,
                step_title=step.title,
                executor=step.executor,
                target=step.target,
                runbook_version=incident.scenario.version,
                params=rendered.values,
                command=rendered.spec,
                command_display=rendered.display,
                digest=rendered.digest,
                timeout=rendered.timeout,
                task_id=uuid.uuid4().hex,
                created_by=actor,
                **fields,
            )
            timeline_add(incident=incident, actor=actor, run=run, **timeline)
    except IntegrityError:
        active = StepRun.objects.filter(
            incident=incident, step_id=step.id, status__in=StepRun.ACTIVE_STATUSES
        ).first()
        raise Conflict(
            "this step is already queued or running", run=active.pk if active else None
        ) from None
    return run


def step_run_execute(*, run_id: int, task_id: str) -> StepRun | None:
    """Run a queued run once.  Only the first caller with the stored task id gets to run it."""
    now = timezone.now()
    worker = worker_name()
    if not StepRun.transition(
        run_id,
        source=StepRun.Status.QUEUED,
        to=StepRun.Status.RUNNING,
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
            message=f"Started “{run.step_title}” on {worker}",
            run=run,
            data={"worker": worker},
        )
        transaction.on_commit(lambda: broadcast_run_status(run))
    result, recorder = _execute(run)
    return _with_database(lambda: _finish(run, result, recorder))


def worker_name() -> str:
    """Where a run executes: the host and process a person may need to check by hand."""
    return f"{socket.gethostname()} pid {os.getpid()}"


def _execute(run: StepRun) -> tuple[Result, OutputRecorder]:
    cancel = threading.Event()
    recorder = OutputRecorder(
        run.pk,
        cancel,
        flush_interval=settings.OUTPUT_FLUSH_INTERVAL,
        flush_lines=settings.OUTPUT_FLUSH_LINES,
        heartbeat_interval=settings.RUN_HEARTBEAT_INTERVAL,
        fence_after=settings.RUN_FENCE_AFTER,
        max_bytes=settings.OUTPUT_MAX_BYTES,
        kill_on_limit=run.kill_on_output_limit,
        idle_timeout=run.idle_timeout,
    )
    with recorder:
        result = _call_executor(run, recorder, cancel)
    return result, recorder


def _call_executor(run: StepRun, recorder: OutputRecorder, cancel: threading.Event) -> Result:
    masker = SecretMasker(recorder.emit, [])
    try:
        built = build_executor(run.executor, timeout=run.timeout, target=run.target)
        masker = SecretMasker(recorder.emit, built.secrets)
        return built.executor.run(run.command, masker, cancel)
    except ExecutorError as exc:
        masker("stderr", f"{SYSTEM_PREFIX}{exc}\n")
        return Result("failed", None, masker.mask(str(exc)))
    except Exception as exc:
        log.exception("run %s: executor crashed", run.pk)
        masker("stderr", f"{SYSTEM_PREFIX}the executor failed: {type(exc).__name__}\n")
        return Result("failed", None, f"executor failed: {type(exc).__name__}")
    finally:
        masker.flush()


STOPPED_BY_RECORDER = {
    "idle": ("timed_out", "no output for longer than the idle timeout"),
    "output_limit": ("failed", "output limit reached"),
    "fenced": ("failed", "stopped by its worker: the heartbeat could not be renewed"),
    "declared_lost": ("failed", "stopped by its worker: the run had been declared lost"),
    "recorder_failed": ("failed", "storing the output failed"),
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


def _finish(run: StepRun, result: Result, recorder: OutputRecorder) -> StepRun:
    finished = timezone.now()
    lost_output = recorder.stop_reason == "recorder_failed"
    if recorder.stop_reason in STOPPED_BY_RECORDER and (
        result.status == "cancelled" or lost_output
    ):
        status, detail = STOPPED_BY_RECORDER[recorder.stop_reason]
        result = Result(status, result.exit_code, detail, result.notes, result.outputs)
    with transaction.atomic():
        ended = StepRun.transition(
            run.pk,
            source=StepRun.Status.RUNNING,
            to=result.status,
            exit_code=result.exit_code,
            detail=result.detail,
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
        exit_text = f", exit code {run.exit_code}" if run.exit_code is not None else ""
        timeline_add(
            incident=run.incident_id,
            kind=TimelineEntry.Kind.RUN_FINISHED,
            message=f"“{run.step_title}” {run.status.replace('_', ' ')}{exit_text}",
            run=run,
            data={
                "status": run.status,
                "exit_code": run.exit_code,
                "seconds": run.duration_seconds,
            },
        )
        transaction.on_commit(lambda: _announce_end(run))
    return run


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
    if not StepRun.objects.filter(
        pk=run.pk, status=StepRun.Status.LOST, late_result__isnull=True
    ).update(late_result=late, last_seq=recorder.last_seq, output_bytes=recorder.bytes):
        run.refresh_from_db()
        return run
    run.refresh_from_db()
    exit_text = f", exit code {result.exit_code}" if result.exit_code is not None else ""
    timeline_add(
        incident=run.incident_id,
        kind=TimelineEntry.Kind.NOTE,
        message=(
            f"“{run.step_title}” finished after it was declared lost: "
            f"{result.status.replace('_', ' ')}{exit_text}"
        ),
        run=run,
        data={"late_result": late},
    )
    transaction.on_commit(lambda: broadcast_run_status(run))
    return run


def manual_step_complete(*, incident: Incident, step_id: str, actor, outcome: str, note: str):
    """Record that a person did (or skipped) a manual step, with their note as its output."""
    require(actor, RESPOND, "marking a step")
    step = _runnable_step(incident, step_id)
    if step.executor != "manual":
        raise InvalidInput("only manual steps are marked done; run this step instead")
    if outcome not in ("done", "skipped"):
        raise InvalidInput("invalid outcome", fields={"outcome": "must be done or skipped"})
    executor = build_executor("manual", timeout=0).executor
    who = getattr(actor, "username", "")
    spec = executor.render(
        step.model_dump(), {"outcome": outcome, "note": note or "", "actor": who}
    )
    lines: list[tuple[str, str]] = []
    result = executor.run(
        spec, lambda stream, text: lines.append((stream, text)), threading.Event()
    )
    chunks = lines_to_chunks(lines, 1)
    now = timezone.now()
    with transaction.atomic():
        run = _create_run(
            incident=incident,
            step=step,
            actor=actor,
            rendered=RenderedStep(
                step, {"outcome": outcome}, spec, executor.describe(spec), 1, {}, ""
            ),
            timeline={
                "kind": TimelineEntry.Kind.STEP_MARKED,
                "message": f"Marked “{step.title}” {outcome}" + (f": {note}" if note else ""),
            },
            status=result.status,
            started_at=now,
            finished_at=now,
            last_seq=len(chunks),
            output_bytes=sum(len(c["text"].encode()) for c in chunks),
        )
        OutputChunk.objects.bulk_create(OutputChunk(run=run, **chunk) for chunk in chunks)
    broadcast_run_status(run)
    return run


def step_run_cancel(*, run: StepRun, actor) -> StepRun:
    """Ask the worker running a step to stop it; a queued run is cancelled at once."""
    require(actor, RESPOND, "cancelling a run")
    not_started = [StepRun.Status.QUEUED, StepRun.Status.AWAITING_APPROVAL]
    with transaction.atomic():
        if StepRun.transition(
            run.pk,
            source=not_started,
            to=StepRun.Status.CANCELLED,
            cancel_requested=True,
            finished_at=timezone.now(),
        ):
            message = f"Cancelled “{run.step_title}” before it started"
        elif StepRun.objects.filter(pk=run.pk, status=StepRun.Status.RUNNING).update(
            cancel_requested=True
        ):
            message = f"Asked to cancel “{run.step_title}”"
        else:
            run.refresh_from_db()
            raise Conflict(f"the run is already {run.status}")
        timeline_add(
            incident=run.incident_id,
            kind=TimelineEntry.Kind.RUN_CANCEL_REQUESTED,
            message=message,
            actor=actor,
            run=run,
        )
        run.refresh_from_db()
        transaction.on_commit(lambda: broadcast_run_status(run))
    return run


def runs_reap_lost(*, now=None) -> int:
    """Mark running runs whose worker stopped beating as lost; they never restart by themselves.

    A lost run's step may still be running (a frozen worker, a partition): running it again
    needs a commander's acknowledgement of that.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.RUN_LOST_AFTER)
    stale = StepRun.objects.filter(status=StepRun.Status.RUNNING, heartbeat_at__lt=cutoff)
    return sum(_reap(run, now=now, cutoff=cutoff) for run in stale)


def _reap(run: StepRun, *, now, cutoff) -> bool:
    with transaction.atomic():
        if not StepRun.transition(
            run.pk,
            source=StepRun.Status.RUNNING,
            to=StepRun.Status.LOST,
            match={"heartbeat_at__lt": cutoff},
            finished_at=now,
        ):
            return False
        run.refresh_from_db()
        timeline_add(
            incident=run.incident_id,
            kind=TimelineEntry.Kind.RUN_FINISHED,
            message=(
                f"“{run.step_title}” lost: its worker ({run.worker}) stopped answering; "
                "the step may still be running there"
            ),
            run=run,
            data={"status": "lost", "last_heartbeat": run.heartbeat_at.isoformat()},
        )
        transaction.on_commit(lambda: _announce_end(run))
    return True


def runs_resend_queued(*, now=None) -> int:
    """Send again the queued runs whose task message never reached the broker, or was lost
    with it: without this a run queued during a Redis outage would stay queued forever."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.RUN_RESEND_AFTER)
    stranded = StepRun.objects.filter(status=StepRun.Status.QUEUED).filter(
        Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True, created_at__lt=cutoff)
    )
    resent = 0
    for run_id, task_id in stranded.values_list("pk", "task_id"):
        log.warning("run %s is still queued; sending it to the workers again", run_id)
        resent += enqueue_run(run_id, task_id)
    return resent
