"""What the incident page shows for each step and each lifecycle move, and what a person may do.

The page's buttons are enabled or disabled here, from the same ``require()`` the services call,
so the browser never restates a role or status rule: it swaps in what the server rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from incident_console.accounts.roles import COMMAND, RESPOND, require
from incident_console.errors import Forbidden
from incident_console.incidents.guide import StepGuideCard, incident_guide
from incident_console.incidents.labels import status_label
from incident_console.incidents.models import Incident
from incident_console.incidents.runbook_text import parameter_shown, step_shown
from incident_console.incidents.selectors import latest_run_of_step, latest_runs
from incident_console.incidents.services import incident_transition_role
from incident_console.runs.customer_notices import notice_card
from incident_console.runs.models import StepRun
from incident_console.runs.rendering import step_params_suggested
from incident_console.targets.selectors import target_check_of, target_host


def may(user, permission: str) -> bool:
    """Whether ``user`` passes the role check the services make for ``permission``."""
    try:
        require(user, permission, "this")
    except Forbidden:
        return False
    return True


def transitions_for(incident: Incident, user) -> list[dict]:
    """The statuses the incident can move to next, each enabled only for a role that may."""
    return [
        {"status": to, "allowed": may(user, incident_transition_role(to))}
        for to in Incident.TRANSITIONS[incident.status]
    ]


@dataclass(frozen=True)
class StepActions:
    run: bool = False
    mark: bool = False
    cancel_shown: bool = False
    cancel: bool = False
    approve_shown: bool = False
    approve: bool = False
    waiting_for_other: bool = False
    break_glass: bool = False
    reason: str = ""
    mark_done: bool = False
    override_shown: bool = False
    override_needs: bool = False
    fill: bool = False


def step_actions(
    *, incident: Incident, step: dict, run: StepRun | None, user, guide: StepGuideCard | None = None
) -> StepActions:
    """What ``user`` may do on ``step`` now: the checks step_run_start, manual_step_complete,
    step_run_cancel and step_run_approve make before they act."""
    needed = COMMAND if step.get("destructive") else RESPOND
    active = run is not None and not run.is_finished
    reason = _reason(incident, active, may(user, needed))
    blocked = guide is not None and guide.blocked
    if blocked and not reason:
        reason = _("Blocked: needs %(needs)s") % {"needs": ", ".join(guide.unmet_needs)}
    awaiting = run is not None and run.status == StepRun.Status.AWAITING_APPROVAL
    requester = awaiting and run.created_by_id == user.pk
    return StepActions(
        run=not reason,
        mark=incident.is_active and may(user, RESPOND),
        cancel_shown=active,
        cancel=active and may(user, RESPOND),
        approve_shown=awaiting and not requester,
        approve=awaiting and not requester and may(user, COMMAND),
        waiting_for_other=requester,
        break_glass=requester and incident.is_active and may(user, COMMAND),
        reason=reason,
        mark_done=incident.is_active and may(user, RESPOND) and not blocked,
        override_shown=bool(step.get("needs")) and may(user, COMMAND),
        override_needs=blocked and incident.is_active and not active and may(user, COMMAND),
        fill=may(user, RESPOND if step.get("executor") == "manual" else needed),
    )


def _reason(incident: Incident, active: bool, allowed: bool) -> str:
    if not allowed:
        return _("Your role cannot run this step")
    if not incident.is_active:
        return _("The incident is %(status)s; reopen it to run steps") % {
            "status": status_label(incident.status)
        }
    if active:
        return _("This step is already queued or running")
    return ""


def step_cards(incident: Incident, user) -> list[dict]:
    """Every step of the incident's scenario as the page's step card shows it."""
    latest = latest_runs(incident)
    guide = incident_guide(incident, latest)
    return [
        step_card(incident, step, number, latest.get(step["id"]), user, guide.steps[step["id"]])
        for number, step in enumerate(incident.scenario.steps, start=1)
    ]


def step_card_of(incident: Incident, step_id: str, user) -> dict | None:
    for number, step in enumerate(incident.scenario.steps, start=1):
        if step["id"] == step_id:
            run = latest_run_of_step(incident, step_id)
            guide = incident_guide(incident).steps[step_id]
            return step_card(incident, step, number, run, user, guide)
    return None


def step_card(
    incident: Incident,
    step: dict,
    number: int,
    run: StepRun | None,
    user,
    guide: StepGuideCard | None = None,
) -> dict:
    suggested = step_params_suggested(incident, incident.scenario.runbook.step(step["id"]))
    params = [
        {**parameter_shown(param), "value": suggested.get(param["name"], param.get("default"))}
        for param in step.get("params", [])
    ]
    return {
        **step,
        **step_shown(step),
        "number": number,
        "latest_run": run,
        "params": params,
        "args_display": _args_display(step),
        "guide": guide,
        "target_host": target_host(step.get("target", "local")),
        "target_check": target_check_of(step.get("target", "local")),
        "actions": step_actions(incident=incident, step=step, run=run, user=user, guide=guide),
        "notice": notice_card(incident, step, user),
    }


def _args_display(step: dict) -> str:
    if step.get("action"):
        args = " ".join(f"{key}={value}" for key, value in step.get("args", {}).items())
        return f"{step['executor']} {step['action']} {args}".strip()
    if step.get("args"):
        return " ".join(f"{key}={value}" for key, value in step["args"].items())
    return ""
