"""The guided order of a runbook's steps: what is done, what is blocked and what to do next.

Plain Python: it reads a runbook and each step's latest run status, nothing else.  A one_of
group is one step of the progress, done when any of its ways succeeded.  A need is met when
the step named succeeded.  A step that needs a way not taken (another way of its group
succeeded), or a step that is itself not needed, is not needed: it leaves the progress.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from runbooks.schema import Runbook, Step

State = Literal["done", "alternative_done", "not_needed", "skipped", "blocked", "open"]
SUCCEEDED = "succeeded"
SKIPPED = "skipped"
IN_PROGRESS = ("awaiting_approval", "queued", "running")


@dataclass(frozen=True)
class StepGuide:
    """Where one step stands in the guided order."""

    step_id: str
    state: State
    is_next: bool = False
    unmet_needs: tuple[str, ...] = ()
    other_ways: tuple[str, ...] = ()
    done_by: str | None = None  # the way of its group that succeeded, when another did


@dataclass(frozen=True)
class Guide:
    done: int
    total: int
    next_step: str | None
    after_failure_of: str | None  # the failed step whose on_failure chose next_step
    steps: dict[str, StepGuide]


def runbook_guide(
    runbook: Runbook, statuses: Mapping[str, str | None], last_failed: str | None = None
) -> Guide:
    """The guide for ``runbook`` given each step's latest run status (absent or None: never
    run) and ``last_failed``, the step whose run failed last when nothing finished since."""
    succeeded = _succeeded_units(runbook, statuses)
    states: dict[str, State] = {}
    for step in runbook.steps:  # needs are earlier steps: their states are known
        states[step.id] = _state(runbook, step, statuses, succeeded, states)
    next_step, after_failure_of = _next_step(runbook, states, last_failed)
    steps = {
        step.id: _step_guide(runbook, step, statuses, states[step.id], step.id == next_step)
        for step in runbook.steps
    }
    units = {_unit(step) for step in runbook.steps if states[step.id] != "not_needed"}
    return Guide(
        done=len(units & succeeded),
        total=len(units),
        next_step=next_step,
        after_failure_of=after_failure_of,
        steps=steps,
    )


def unmet_needs(
    runbook: Runbook, step: Step, statuses: Mapping[str, str | None]
) -> tuple[str, ...]:
    """The ids of the steps ``step`` needs that have not succeeded."""
    return tuple(need for need in step.needs if statuses.get(need) != SUCCEEDED)


def _unit(step: Step) -> str:
    """What progress counts: the step itself, or its one_of group."""
    return f"one_of:{step.one_of}" if step.one_of else step.id


def _succeeded_units(runbook: Runbook, statuses: Mapping[str, str | None]) -> set[str]:
    return {_unit(step) for step in runbook.steps if statuses.get(step.id) == SUCCEEDED}


def _ways(runbook: Runbook, step: Step) -> list[Step]:
    return runbook.ways(step.one_of) if step.one_of else []


def _step_guide(
    runbook: Runbook, step: Step, statuses: Mapping[str, str | None], state: State, is_next: bool
) -> StepGuide:
    ways = [way.id for way in _ways(runbook, step)]
    succeeded_way = next((way for way in ways if statuses.get(way) == SUCCEEDED), None)
    return StepGuide(
        step_id=step.id,
        state=state,
        is_next=is_next,
        unmet_needs=unmet_needs(runbook, step, statuses),
        other_ways=tuple(way for way in ways if way != step.id),
        done_by=succeeded_way if state == "alternative_done" else None,
    )


def _state(
    runbook: Runbook,
    step: Step,
    statuses: Mapping[str, str | None],
    succeeded: set[str],
    earlier: Mapping[str, State],
) -> State:
    status = statuses.get(step.id)
    if status == SUCCEEDED:
        return "done"
    if _unit(step) in succeeded:
        return "alternative_done"
    if any(earlier.get(need) in ("alternative_done", "not_needed") for need in step.needs):
        return "not_needed"
    if status == SKIPPED:
        return "skipped"
    if status not in IN_PROGRESS and unmet_needs(runbook, step, statuses):
        return "blocked"
    return "open"


def _next_step(
    runbook: Runbook, states: Mapping[str, State], last_failed: str | None
) -> tuple[str | None, str | None]:
    failed = runbook.step(last_failed) if last_failed else None
    if failed is not None and failed.on_failure and states.get(failed.on_failure) == "open":
        return failed.on_failure, failed.id
    first_open = next((step.id for step in runbook.steps if states[step.id] == "open"), None)
    return first_open, None
