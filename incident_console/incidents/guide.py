"""The guided order of an incident's steps, as the page shows it: progress, the next step, and
for each step whether it is done, done another way, blocked by a need, or open.

The rules are ``runbooks.guide``'s; this reads the incident's runs and names steps by title.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from incident_console.incidents.models import Incident
from incident_console.incidents.selectors import latest_runs
from incident_console.runs.models import StepRun
from runbooks.guide import StepGuide, runbook_guide
from runbooks.schema import Runbook, Step


@dataclass(frozen=True)
class Way:
    """Another way of a step's one_of group."""

    id: str
    title: str
    option: str


@dataclass(frozen=True)
class StepGuideCard:
    """What one step card says about the step's place in the guided order."""

    state: str
    is_next: bool = False
    unmet_needs: list[str] = field(default_factory=list)  # titles
    other_ways: list[Way] = field(default_factory=list)
    done_by: Way | None = None

    @property
    def blocked(self) -> bool:
        return self.state == "blocked"

    @property
    def classes(self) -> str:
        """The card's guide-* classes; the page compares them to know a card is stale."""
        names = [f"guide-{self.state.replace('_', '-')}"]
        if self.is_next:
            names.append("guide-next")
        return " ".join(names)


@dataclass(frozen=True)
class IncidentGuide:
    done: int
    total: int
    next_step: dict | None  # id, number, title, option, other_ways
    after_failure_of: str  # the title of the failed step that chose the next one
    steps: dict[str, StepGuideCard]


def incident_guide(incident: Incident, latest: dict[str, StepRun] | None = None) -> IncidentGuide:
    """The guide from each step's latest run (``latest``: already fetched, else read here)."""
    latest = latest_runs(incident) if latest is None else latest
    runbook = incident.scenario.runbook
    statuses = {step_id: run.status for step_id, run in latest.items()}
    guide = runbook_guide(runbook, statuses, _last_failed(latest))
    steps = {step.id: _card(runbook, guide.steps[step.id]) for step in runbook.steps}
    failed = runbook.step(guide.after_failure_of) if guide.after_failure_of else None
    return IncidentGuide(
        done=guide.done,
        total=guide.total,
        next_step=_next(runbook, guide.next_step, steps),
        after_failure_of=failed.title if failed else "",
        steps=steps,
    )


def _last_failed(latest: dict[str, StepRun]) -> str | None:
    """The step whose run failed, when no run of the incident finished after it."""
    finished = [run for run in latest.values() if run.finished_at is not None]
    if not finished:
        return None
    last = max(finished, key=lambda run: (run.finished_at, run.pk))
    return last.step_id if last.status in StepRun.FAILED_STATUSES else None


def _card(runbook: Runbook, guide: StepGuide) -> StepGuideCard:
    done_by = runbook.step(guide.done_by) if guide.done_by else None
    return StepGuideCard(
        state=guide.state,
        is_next=guide.is_next,
        unmet_needs=[_title(runbook, step_id) for step_id in guide.unmet_needs],
        other_ways=[_way(runbook.step(step_id)) for step_id in guide.other_ways],
        done_by=_way(done_by) if done_by else None,
    )


def _next(runbook: Runbook, step_id: str | None, cards: dict[str, StepGuideCard]) -> dict | None:
    if step_id is None:
        return None
    number = [step.id for step in runbook.steps].index(step_id) + 1
    step = runbook.step(step_id)
    return {
        "id": step_id,
        "number": number,
        "title": step.title,
        "option": step.option,
        "other_ways": cards[step_id].other_ways,
    }


def _way(step: Step) -> Way:
    return Way(id=step.id, title=step.title, option=step.option or step.title)


def _title(runbook: Runbook, step_id: str) -> str:
    step = runbook.step(step_id)
    return step.title if step else step_id
