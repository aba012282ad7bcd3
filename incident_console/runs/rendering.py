"""What a step would run: its parameters checked and filled, its command rendered, and the
digest a confirmation binds to."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from executors import ExecutorError
from incident_console.errors import InvalidInput
from incident_console.incidents.models import Incident
from incident_console.incidents.runbook_text import parameter_error_text
from incident_console.runs.executors import build_executor, target_address
from incident_console.runs.models import StepRun
from runbooks.schema import Step


def step_params_suggested(incident: Incident, step: Step) -> dict[str, Any]:
    """Values for parameters that come from an earlier step, when that step has succeeded: its
    output of that name, or else the parameter of that name it ran with (an SSH download says
    where it saved the file only through its own parameters)."""
    suggested = {}
    for parameter in step.params:
        source = parameter.from_
        if source is None:
            continue
        run = (
            StepRun.objects.filter(
                incident=incident, step_id=source.step, status=StepRun.Status.SUCCEEDED
            )
            .order_by("-finished_at", "-pk")
            .first()
        )
        if run is None:
            continue
        for found in (run.outputs.get(source.output), run.params.get(source.output)):
            if found not in (None, ""):
                suggested[parameter.name] = found
                break
    return suggested


def step_params_validate(step: Step, params: Any, suggested: dict | None = None) -> dict[str, Any]:
    """Check submitted values against the step's declared parameters; fill defaults."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidInput(_("params must be an object of parameter names to values"))
    declared = {p.name: p for p in step.params}
    unknown = _("is not a parameter of this step")
    errors = {name: unknown for name in params if name not in declared}
    values: dict[str, Any] = {}
    for name, parameter in declared.items():
        raw = params.get(name)
        if raw in (None, "") and suggested and name in suggested:
            raw = suggested[name]
        try:
            values[name] = parameter.validate_value(raw)
        except ValueError as exc:
            errors[name] = parameter_error_text(exc)
    if errors:
        raise InvalidInput(_("invalid parameters"), fields=errors)
    return values


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


def step_render(
    incident: Incident, step: Step, params: Any, *, suggest: bool = True
) -> RenderedStep:
    """The step's command with ``params`` (and, when ``suggest``, earlier steps' outputs) in
    place, exactly as a worker would receive it, with its digest."""
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
