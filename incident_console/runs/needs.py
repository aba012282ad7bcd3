"""A step runs only after the steps it ``needs`` succeeded, unless a commander overrides with
a reason that the timeline keeps."""

from __future__ import annotations

from incident_console.accounts.roles import COMMAND, require
from incident_console.errors import NeedsUnmet
from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.timeline import timeline_add
from incident_console.runs.models import StepRun
from runbooks.guide import unmet_needs
from runbooks.schema import Step


def step_needs_check(*, incident: Incident, step: Step, actor, override: str | None) -> list[Step]:
    """The needed steps ``step`` would run without: [] when all succeeded.  Unmet needs are
    refused with NeedsUnmet unless ``override`` gives a reason, which needs a commander."""
    runbook = incident.scenario.runbook
    runs = StepRun.objects.filter(incident=incident).order_by("created_at", "pk")
    statuses = dict(runs.values_list("step_id", "status"))
    missing = [runbook.step(step_id) for step_id in unmet_needs(runbook, step, statuses)]
    if not missing:
        return []
    reason = (override or "").strip()
    if not reason:
        raise NeedsUnmet(
            f"“{step.title}” needs {_titles(missing)} to have succeeded first; a commander may "
            "override with a reason",
            missing=[{"id": need.id, "title": need.title} for need in missing],
        )
    require(actor, COMMAND, "running a step before what it needs has succeeded")
    return missing


def step_needs_override_record(
    *, incident: Incident, step: Step, run: StepRun, actor, missing: list[Step], reason: str
) -> None:
    """Put on the timeline who ran ``step`` without ``missing`` succeeded, and why."""
    timeline_add(
        incident=incident,
        kind=TimelineEntry.Kind.NOTE,
        message=(
            f"Overrode the needs of “{step.title}”: ran it before {_titles(missing)} "
            f"succeeded, because: {reason.strip()}"
        ),
        actor=actor,
        run=run,
        data={"override_needs": reason.strip(), "unmet_needs": [need.id for need in missing]},
    )


def _titles(steps: list[Step]) -> str:
    return " and ".join(f"“{step.title}”" for step in steps)
