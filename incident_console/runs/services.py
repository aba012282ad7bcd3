"""The request side of runs: preview, start, approve, mark by hand and cancel.

What a step renders to lives in ``rendering``; what a worker does with a run in ``execution``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
from incident_console.i18n import in_site_language
from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.runbook_text import lazily_shown
from incident_console.incidents.timeline import timeline_add
from incident_console.runs.approvals import approval_request_announce
from incident_console.runs.broadcast import broadcast_run_status
from incident_console.runs.dispatch import enqueue_run
from incident_console.runs.executors import build_executor
from incident_console.runs.models import OutputChunk, StepRun
from incident_console.runs.needs import step_needs_check, step_needs_override_record
from incident_console.runs.output import lines_to_chunks
from incident_console.runs.rendering import RenderedStep, step_render
from runbooks.schema import Step

log = logging.getLogger(__name__)


def _runnable_step(incident: Incident, step_id: str) -> Step:
    if incident.status in (Incident.Status.RESOLVED, Incident.Status.CLOSED):
        raise Conflict(
            _("the incident is {status}; reopen it to run steps").format(status=incident.status)
        )
    step = incident.scenario.runbook.step(step_id)
    if step is None:
        raise NotFound(_("the scenario has no step {step}").format(step=repr(step_id)))
    return step


def step_run_preview(*, incident: Incident, step_id: str, params: Any) -> RenderedStep:
    """What Run would do, exactly, without doing it: the dry run before a destructive step.
    Anyone who may see the incident may see what a step would run, so no role is needed."""
    step = _automated_step(incident, step_id)
    return step_render(incident, step, params)


def _automated_step(incident: Incident, step_id: str) -> Step:
    step = _runnable_step(incident, step_id)
    if step.executor == "manual":
        raise InvalidInput(_("this is a manual step: mark it done or skipped instead"))
    if step.executor == "customer_notice":
        raise InvalidInput(_("this step emails the customer: edit the draft and send it instead"))
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
    override_needs: str | None = None,
    dispatch: bool = True,
) -> StepRun:
    """Queue one run of an automated step.  A step already queued or running is refused.

    A destructive step needs the commander role, ``confirm`` equal to its target's name and
    ``digest`` equal to the one its preview showed: what runs is exactly what was reviewed.  Any
    step given a digest is held to it.  A step that requires approval waits for a second
    commander, who approves the same digest.  When the step's last run was declared lost, a
    commander must type the target's name in ``acknowledge_lost``: that run may still be going.
    A step whose ``needs`` have not succeeded is refused unless a commander gives a reason in
    ``override_needs``.
    """
    require(actor, RESPOND, _("running a step"))
    step = _automated_step(incident, step_id)
    missing = step_needs_check(incident=incident, step=step, actor=actor, override=override_needs)
    rendered = step_render(incident, step, params)
    if step.destructive:
        require(actor, COMMAND, _("running a destructive step"))
        if confirm != step.target:
            raise ConfirmationRequired(
                _("this step changes {target}: type the target's name to confirm").format(
                    target=step.target
                ),
                **rendered.preview(),
            )
    if (step.destructive or digest) and digest != rendered.digest:
        raise PreviewOutdated(
            _("what would run differs from the preview you confirmed: review it again"),
            **rendered.preview(),
        )
    lost = _lost_previous_run(incident, step, actor, acknowledge_lost, rendered)
    waiting = step.requires_approval
    queued = (
        gettext_lazy("Asked for approval to run “{step}” on {target}: {command}")
        if waiting
        else gettext_lazy("Queued “{step}” on {target}: {command}")
    )
    run = _create_run(
        incident=incident,
        step=step,
        actor=actor,
        rendered=rendered,
        timeline={
            "kind": TimelineEntry.Kind.RUN_QUEUED,
            "message": format_lazy(
                queued, step=lazily_shown(step.title), target=step.target, command=rendered.display
            ),
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
            message=format_lazy(
                gettext_lazy(
                    "Ran “{step}” again although run {run} may still be running on "
                    "{worker}: acknowledged by {user}"
                ),
                step=lazily_shown(step.title),
                run=lost.pk,
                worker=lost.worker,
                user=actor.username,
            ),
            actor=actor,
            run=run,
            data={"lost_run": lost.pk, "worker": lost.worker},
        )
    if missing:
        step_needs_override_record(
            incident=incident,
            step=step,
            run=run,
            actor=actor,
            missing=missing,
            reason=override_needs,
        )
    if waiting:
        approval_request_announce(run=run, actor=actor)
    if dispatch and not waiting:
        transaction.on_commit(lambda: enqueue_run(run.pk, run.task_id))
    return run


def _lost_previous_run(incident, step, actor, acknowledgement, rendered) -> StepRun | None:
    """The step's last run when it was lost; running again then needs a commander who typed
    the target's name, knowing the lost run may still be running."""
    last = StepRun.objects.filter(incident=incident, step_id=step.id).order_by("-pk").first()
    if last is None or last.status != StepRun.Status.LOST or last.late_result is not None:
        return None
    require(actor, COMMAND, _("running again a step whose last run was lost"))
    if acknowledgement != step.target:
        raise PreviousRunLost(
            _(
                "run {run} of this step was declared lost and may still be running on "
                "{worker}: check there, then type {target} to run it again"
            ).format(run=last.pk, worker=last.worker or _("an unknown worker"), target=step.target),
            lost_run=last.pk,
            worker=last.worker,
            **rendered.preview(),
        )
    return last


def step_run_approve(*, run: StepRun, actor, digest: str | None, dispatch: bool = True) -> StepRun:
    """A second commander lets a run that needs approval go ahead, exactly as it was shown.

    Everything starting checks is checked again (the incident still open, the step still in
    its scenario, the approver's role), and the run's command re-rendered: when the runbook or
    the target changed since the request, or ``digest`` is not the run's, nothing runs.
    ``dispatch=False`` leaves the approved run queued for the caller to execute.
    """
    require(actor, COMMAND, _("approving a run"))
    if run.created_by_id == actor.pk:
        raise Forbidden(_("a second person must approve this run"))
    incident = Incident.objects.select_related("scenario").get(pk=run.incident_id)
    step = _automated_step(incident, run.step_id)
    rendered = step_render(incident, step, run.params, suggest=False)
    if rendered.digest != run.digest:
        raise Conflict(
            _(
                "the step or its target changed since this run was requested: cancel it and "
                "request it again"
            )
        )
    if digest != run.digest:
        raise PreviewOutdated(
            _("this is not the command you were shown: review it again"), **rendered.preview()
        )
    with transaction.atomic():
        if not StepRun.transition(
            run.pk,
            source=StepRun.Status.AWAITING_APPROVAL,
            to=StepRun.Status.QUEUED,
            match={"incident__status__in": Incident.ACTIVE_STATUSES},
            approved_by=actor,
        ):
            run.refresh_from_db()
            raise Conflict(
                _("the run is {status}, not awaiting approval").format(status=run.status_label)
            )
        timeline_add(
            incident=run.incident_id,
            kind=TimelineEntry.Kind.RUN_APPROVED,
            message=format_lazy(
                gettext_lazy("Approved “{step}” on {target}: {command}"),
                step=run.step_title,
                target=run.target,
                command=run.command_display,
            ),
            actor=actor,
            run=run,
            data={"digest": run.digest},
        )
        run.refresh_from_db()
        # Registered first so that pages hear "queued" before the worker's "running".
        transaction.on_commit(lambda: broadcast_run_status(run))
        if dispatch:
            transaction.on_commit(lambda: enqueue_run(run.pk, run.task_id))
    return run


def _create_run(*, incident, step, actor, rendered: RenderedStep, timeline, **fields):
    try:
        with transaction.atomic():
            run = StepRun.objects.create(
                incident=incident,
                step_id=step.id,
                step_title=in_site_language(lazily_shown(step.title)),
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
            _("this step is already queued or running"), run=active.pk if active else None
        ) from None
    return run


def manual_step_complete(
    *, incident: Incident, step_id: str, actor, outcome: str, note: str, override_needs=None
):
    """Record that a person did (or skipped) a manual step, with their note as its output.
    Done, like a run, needs the step's ``needs`` succeeded or a commander's override."""
    require(actor, RESPOND, _("marking a step"))
    step = _runnable_step(incident, step_id)
    if step.executor != "manual":
        raise InvalidInput(_("only manual steps are marked done; run this step instead"))
    if outcome not in ("done", "skipped"):
        raise InvalidInput(_("invalid outcome"), fields={"outcome": _("must be done or skipped")})
    missing = []
    if outcome == "done":
        missing = step_needs_check(
            incident=incident, step=step, actor=actor, override=override_needs
        )
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
                "message": _marked_message(lazily_shown(step.title), outcome, note),
            },
            status=result.status,
            started_at=now,
            finished_at=now,
            last_seq=len(chunks),
            output_bytes=sum(len(c["text"].encode()) for c in chunks),
        )
        OutputChunk.objects.bulk_create(OutputChunk(run=run, **chunk) for chunk in chunks)
        if missing:
            step_needs_override_record(
                incident=incident,
                step=step,
                run=run,
                actor=actor,
                missing=missing,
                reason=override_needs,
            )
    broadcast_run_status(run)
    return run


def _marked_message(title: str, outcome: str, note: str):
    texts = {
        ("done", False): gettext_lazy("Marked “{step}” done"),
        ("done", True): gettext_lazy("Marked “{step}” done: {note}"),
        ("skipped", False): gettext_lazy("Marked “{step}” skipped"),
        ("skipped", True): gettext_lazy("Marked “{step}” skipped: {note}"),
    }
    return format_lazy(texts[outcome, bool(note)], step=title, note=note)


def step_run_cancel(*, run: StepRun, actor) -> StepRun:
    """Ask the worker running a step to stop it; a queued run is cancelled at once."""
    require(actor, RESPOND, _("cancelling a run"))
    not_started = [StepRun.Status.QUEUED, StepRun.Status.AWAITING_APPROVAL]
    with transaction.atomic():
        if StepRun.transition(
            run.pk,
            source=not_started,
            to=StepRun.Status.CANCELLED,
            cancel_requested=True,
            finished_at=timezone.now(),
        ):
            message = gettext_lazy("Cancelled “{step}” before it started")
        elif StepRun.objects.filter(pk=run.pk, status=StepRun.Status.RUNNING).update(
            cancel_requested=True
        ):
            message = gettext_lazy("Asked to cancel “{step}”")
        else:
            run.refresh_from_db()
            raise Conflict(_("the run is already {status}").format(status=run.status_label))
        timeline_add(
            incident=run.incident_id,
            kind=TimelineEntry.Kind.RUN_CANCEL_REQUESTED,
            message=format_lazy(message, step=run.step_title),
            actor=actor,
            run=run,
        )
        run.refresh_from_db()
        transaction.on_commit(lambda: broadcast_run_status(run))
    return run
