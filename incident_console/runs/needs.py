"""A step runs only after the steps it ``needs`` succeeded, unless a commander overrides with
a reason that the timeline keeps."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incident_console.accounts.roles import COMMAND, require
from incident_console.errors import NeedsUnmet
from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.runbook_text import lazily_shown, shown
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
            _(
                "“{step}” needs {needs} to have succeeded first; a commander may override with "
                "a reason"
            ).format(step=shown(step.title), needs=_titles(missing)),
            missing=[{"id": need.id, "title": need.title} for need in missing],
        )
    require(actor, COMMAND, _("running a step before what it needs has succeeded"))
    return missing


def step_needs_override_record(
    *, incident: Incident, step: Step, run: StepRun, actor, missing: list[Step], reason: str
) -> None:
    """Put on the timeline who ran ``step`` without ``missing`` succeeded, and why."""
    timeline_add(
        incident=incident,
        kind=TimelineEntry.Kind.NOTE,
        message=format_lazy(
            gettext_lazy(
                "Overrode the needs of “{step}”: ran it before {needs} succeeded, because: {reason}"
            ),
            step=lazily_shown(step.title),
            needs=_lazy_titles(missing),
            reason=reason.strip(),
        ),
        actor=actor,
        run=run,
        data={"override_needs": reason.strip(), "unmet_needs": [need.id for need in missing]},
    )


def _titles(steps: list[Step]) -> str:
    """“A” and “B”, in the active language."""
    return str(_lazy_titles(steps))


def _lazy_titles(steps: list[Step]):
    quoted = [
        format_lazy(gettext_lazy("“{step}”"), step=lazily_shown(step.title)) for step in steps
    ]
    titles = quoted[0]
    for title in quoted[1:]:
        titles = format_lazy(gettext_lazy("{first} and {second}"), first=titles, second=title)
    return titles
