"""The runbook's scheduled duties: daily, weekly and monthly checks, each recorded with output."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from executors import ExecutorError
from executors.http import HTTPExecutor
from incident_console.accounts.roles import COMMAND, RESPOND, require, system_user
from incident_console.background.enqueue import enqueue_task
from incident_console.errors import InvalidInput, NotFound
from incident_console.i18n import in_site_language, site_time
from incident_console.incidents.models import Incident, Scenario
from incident_console.incidents.sla import sla_report
from incident_console.maintenance.models import ChecklistCompletion, MaintenanceRun
from incident_console.notifications.services import notify
from incident_console.runs.executors import build_executor, targets
from incident_console.runs.models import StepRun
from incident_console.site import current_site
from runbooks.site import Checklist, Duty

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    """What a duty found, in one line that says what and why ("last full backup is 30 h old")."""

    passed: bool
    summary: str


class NotChecked(Exception):  # noqa: N818 - an outcome, like the status it records
    """The duty could not check, because of the console's own configuration (a credential or a
    setting is missing), not because of what it checks: a setup problem, never an outage."""

    def __init__(self, why: str, *, link: str) -> None:
        super().__init__(why)
        self.why = why
        self.link = link


@dataclass(frozen=True)
class Check:
    title: str
    period: str
    run: Callable[[list[str]], Finding]
    opens_incident: bool = False


# Where a person fixes what kept a duty from checking.  The targets page says, per target,
# which credential is missing and where to set it; settings are the environment (README).
TARGETS_PAGE = "/targets/"
SETTINGS_HELP = "/maintenance/#settings"
# Errors that mean the console's own setup is wrong, not the target: a refused key, an
# unknown host key, credentials the bucket does not know.
SETUP_ERRORS = ("authentication as", "host key", "known_hosts", "private key", "credential")
S3_CREDENTIAL_ERRORS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "NoCredentialsError"}


def target_link(name: str) -> str:
    return f"{TARGETS_PAGE}#target-{name}"


def _execute(kind: str, target: str, step: dict, lines: list[str]):
    """Run one step of a duty on a target; a setup problem on the console's side is NotChecked."""
    try:
        built = build_executor(kind, timeout=300, target=target)
    except ExecutorError as error:
        raise NotChecked(str(error), link=target_link(target)) from None
    try:
        result = _run(built.executor, step, lines)
    except ExecutorError as error:
        if any(marker in str(error) for marker in SETUP_ERRORS):
            raise NotChecked(f"{target}: {error}", link=target_link(target)) from None
        raise
    if result.detail in S3_CREDENTIAL_ERRORS:
        why = _("%(target)s refused the console's credentials (%(detail)s)") % {
            "target": target,
            "detail": result.detail,
        }
        raise NotChecked(why, link=target_link(target))
    return result


def _run(executor, step: dict, lines: list[str]):
    """Run one step of a duty, its command and output becoming lines of the duty's record."""
    spec = executor.render(step, {})
    lines.append(f"$ {executor.describe(spec)}")
    emitted: list[str] = []
    result = executor.run(spec, lambda stream, text: emitted.append(text), threading.Event())
    lines.extend(text.rstrip("\n") for text in emitted)
    return result


def _why(result) -> str:
    return result.detail or (f"exit {result.exit_code}" if result.exit_code else result.status)


def _hours(hours: float) -> str:
    return _("%(hours)s h") % {"hours": f"{hours:.0f}" if hours >= 10 else f"{hours:.1f}"}


def backups_check(duty: Duty, lines: list[str]) -> Finding:
    """The newest full backup under the duty's prefix of its bucket is younger than the RPO."""
    result = _execute(
        "s3",
        duty.target,
        {"action": "list", "args": {"prefix": duty.prefix, "limit": 5}},
        lines,
    )
    if result.status != "succeeded":
        where = {"prefix": duty.prefix, "target": duty.target, "why": _why(result)}
        return Finding(False, _("could not list %(prefix)s in %(target)s: %(why)s") % where)
    newest = result.outputs.get("latest_modified")
    if not newest:
        where = {"prefix": duty.prefix, "target": duty.target}
        return Finding(False, _("no full backup under %(prefix)s in %(target)s") % where)
    age = timezone.now() - datetime.fromisoformat(newest)
    hours = age.total_seconds() / 3600
    lines.append(
        f"newest backup {result.outputs['latest_key']} is {hours:.1f} h old "
        f"(RPO {settings.SLA_RPO_HOURS:g} h)"
    )
    summary = _("last full backup is %(age)s old (RPO %(rpo)s)") % {
        "age": _hours(hours),
        "rpo": _("%(hours)s h") % {"hours": f"{settings.SLA_RPO_HOURS:g}"},
    }
    return Finding(hours <= settings.SLA_RPO_HOURS, summary)


def retention_check(duty: Duty, lines: list[str]) -> Finding:
    """The duty's bucket has a lifecycle policy that expires old backups."""
    result = _execute("s3", duty.target, {"action": "lifecycle"}, lines)
    if result.status == "succeeded":
        rules = result.outputs.get("rules", 0)
        summary = ngettext(
            "%(count)s lifecycle rule(s) on %(target)s",
            "%(count)s lifecycle rule(s) on %(target)s",
            rules,
        ) % {"count": rules, "target": duty.target}
        return Finding(True, summary)
    if result.detail == "no lifecycle configuration":
        summary = _("%(target)s has no lifecycle policy: old backups never expire")
        return Finding(False, summary % {"target": duty.target})
    summary = _("could not read the lifecycle policy of %(target)s: %(why)s")
    return Finding(False, summary % {"target": duty.target, "why": _why(result)})


def alerts_check(duty: Duty, lines: list[str]) -> Finding:
    """No alert is firing without an incident, and Alertmanager answers its health check."""
    from incident_console.alerts.models import Alert

    orphans = list(
        Alert.objects.filter(status="firing").exclude(incident__status__in=Incident.ACTIVE_STATUSES)
    )
    for alert in orphans:
        lines.append(f"firing without an open incident: {alert.alertname} {alert.labels}")
    day = Alert.objects.filter(last_received_at__gte=timezone.now() - timedelta(days=1)).count()
    lines.append(f"{day} alerts received in the last 24 h")
    if orphans:
        summary = ngettext(
            "%(count)s alert(s) firing without an open incident",
            "%(count)s alert(s) firing without an open incident",
            len(orphans),
        )
        return Finding(False, summary % {"count": len(orphans)})
    if not settings.ALERTMANAGER_URL:
        lines.append("ALERTMANAGER_URL is not set: Alertmanager itself was not checked")
        unset = ngettext("%(settings)s is not set", "%(settings)s are not set", 1)
        raise NotChecked(unset % {"settings": "ALERTMANAGER_URL"}, link=SETTINGS_HELP)
    url = f"{settings.ALERTMANAGER_URL.rstrip('/')}/-/healthy"
    result = _run(HTTPExecutor(timeout=15), {"args": {"url": url}}, lines)
    if result.status != "succeeded":
        summary = _("Alertmanager is not healthy: %(url)s answered %(why)s")
        return Finding(False, summary % {"url": url, "why": _why(result)})
    summary = ngettext(
        "Alertmanager healthy; %(count)s alert(s) in 24 h, none without an incident",
        "Alertmanager healthy; %(count)s alert(s) in 24 h, none without an incident",
        day,
    )
    return Finding(True, summary % {"count": day})


def resources_check(duty: Duty, lines: list[str]) -> Finding:
    """No filesystem of the duty's host (local or ssh) is fuller than its max_use_percent."""
    target = targets().get(duty.target)
    if target is None:
        why = _("no target named %(name)r") % {"name": duty.target}
        raise NotChecked(why, link=target_link(duty.target))
    first = len(lines)
    kind = "ssh" if target.kind == "ssh" else "shell"
    result = _execute(kind, duty.target, {"argv": ["df", "-P"]}, lines)
    if result.status != "succeeded":
        summary = _("df failed on %(target)s: %(why)s")
        return Finding(False, summary % {"target": duty.target, "why": _why(result)})
    limit = duty.max_use_percent
    full = [line for line in lines[first:] if _use_percent(line) > limit]
    lines.extend(f"over {limit}%: {line}" for line in full)
    if full:
        mounts = ", ".join(f"{line.split()[5]} {line.split()[4]}" for line in full)
        summary = _("%(mounts)s full on %(target)s (limit %(limit)s%%)")
        return Finding(False, summary % {"mounts": mounts, "target": duty.target, "limit": limit})
    summary = _("every filesystem on %(target)s is under %(limit)s%%")
    return Finding(True, summary % {"target": duty.target, "limit": limit})


def _use_percent(df_line: str) -> int:
    fields = df_line.split()
    if len(fields) >= 6 and fields[4].endswith("%") and fields[4][:-1].isdigit():
        return int(fields[4][:-1])
    return 0


def sla_review(duty: Duty, lines: list[str]) -> Finding:
    """Last month's MTTR against its target and the incidents that broke the RTO."""
    since = timezone.now() - timedelta(days=31)
    report = sla_report(
        Incident.objects.filter(opened_at__gte=since, is_drill=False).select_related("scenario")
    )
    mttr, target = report["mttr_hours"], report["mttr_target_hours"]
    lines.append(f"MTTR {mttr} h (target {target:g} h)")
    for incident in report["rto_breaches"]:
        # The maintenance page is open to every login: a restricted incident stays unnamed.
        name = (
            "a restricted incident" if incident.restricted else f"#{incident.pk} {incident.title}"
        )
        lines.append(f"RTO broken: {name}")
    broken = len(report["rto_breaches"])
    if broken:
        summary = ngettext(
            "%(count)s incident(s) broke the RTO last month",
            "%(count)s incident(s) broke the RTO last month",
            broken,
        )
        return Finding(False, summary % {"count": broken})
    if mttr is not None and mttr > target:
        summary = _("MTTR %(mttr)s h is over its %(target)s h target")
        return Finding(False, summary % {"mttr": mttr, "target": f"{target:g}"})
    if mttr:
        return Finding(True, _("no incident broke the RTO; MTTR %(mttr)s h") % {"mttr": mttr})
    return Finding(True, _("no incident broke the RTO"))


def dr_drill(duty: Duty, lines: list[str]) -> Finding:
    """Open a drill incident of the chosen scenario for the team to walk through."""
    from incident_console.incidents.services import incident_open

    incident = incident_open(
        scenario_slug=settings.DR_DRILL_SCENARIO or duty.scenario,
        title=_("DR drill %(month)s") % {"month": f"{timezone.now():%Y-%m}"},
        severity="sev4",
        actor=maintenance_user(),
        system=True,
        is_drill=True,
    )
    lines.append(f"opened drill #{incident.pk} ({incident.scenario.title})")
    summary = _("opened drill #%(number)s (%(scenario)s)")
    return Finding(True, summary % {"number": incident.pk, "scenario": incident.scenario.title})


def test_restore(duty: Duty, lines: list[str]) -> Finding:
    """Walk the duty's restore procedure: latest backup into a scratch database, rows counted."""
    from incident_console.incidents.services import incident_open
    from incident_console.runs.execution import step_run_execute
    from incident_console.runs.services import step_run_start

    scenario = Scenario.objects.get(slug=duty.scenario)
    _targets_are_configured(scenario.runbook.steps_taking(duty.ways))
    user = maintenance_user()
    incident = incident_open(
        scenario_slug=duty.scenario,
        title=_("Weekly test restore %(date)s") % {"date": f"{timezone.now():%Y-%m-%d}"},
        severity="sev4",
        actor=user,
        system=True,
        is_drill=True,
    )
    lines.append(f"incident #{incident.pk}")
    for step in incident.scenario.runbook.steps_taking(duty.ways):
        run = step_run_start(
            incident=incident,
            step_id=step.id,
            actor=user,
            params={},
            confirm=step.target if step.destructive else None,
            dispatch=False,
        )
        run = step_run_execute(run_id=run.pk, task_id=run.task_id)
        lines.append(f"{step.title}: {run.status}")
        if run.status != StepRun.Status.SUCCEEDED:
            summary = _("“%(step)s” %(status)s (drill #%(number)s)")
            return Finding(
                False, summary % {"step": step.title, "status": run.status, "number": incident.pk}
            )
    summary = _("the latest backup restored and counted (drill #%(number)s)")
    return Finding(True, summary % {"number": incident.pk})


def _targets_are_configured(steps) -> None:
    """Before a procedure opens anything: each step's target exists and its credentials resolve."""
    for step in steps:
        if step.executor == "manual":
            continue
        try:
            build_executor(step.executor, timeout=60, target=step.target)
        except ExecutorError as error:
            raise NotChecked(f"{step.target}: {error}", link=target_link(step.target)) from None


# Each kind of check a site's duty can name (maintenance.yaml), with its default title: the
# duty's name, never a claim that it passed.
CHECK_KINDS: dict[str, tuple[str, Callable[[Duty, list[str]], Finding]]] = {
    "backups": (gettext_lazy("Backups"), backups_check),
    "alerts": (gettext_lazy("Alerts"), alerts_check),
    "resources": (
        gettext_lazy("Resource usage (disks under {max_use_percent}%)"),
        resources_check,
    ),
    "test_restore": (gettext_lazy("Test restore of the latest backup"), test_restore),
    "retention": (gettext_lazy("Retention policy of the backups bucket"), retention_check),
    "dr_drill": (gettext_lazy("Disaster recovery drill"), dr_drill),
    "sla_review": (gettext_lazy("RTO/RPO metrics review"), sla_review),
}


class SiteDuties(Mapping[str, Check]):
    """The site's duties by name, read on each access: the site decides what runs."""

    def __getitem__(self, task: str) -> Check:
        duty = current_site().maintenance.duties[task]
        title, run = CHECK_KINDS[duty.check]
        return Check(
            title=duty.title or title.format(max_use_percent=duty.max_use_percent),
            period=duty.schedule.period if duty.schedule else "on demand",
            run=partial(run, duty),
            opens_incident=duty.opens_incident,
        )

    def __iter__(self) -> Iterator[str]:
        return iter(current_site().maintenance.duties)

    def __len__(self) -> int:
        return len(current_site().maintenance.duties)


CHECKS = SiteDuties()


def maintenance_user():
    return system_user("maintenance", "commander")


def maintenance_start(*, task: str, actor) -> None:
    """Have one duty run now, in the background (commander)."""
    require(actor, COMMAND, "running a maintenance duty")
    if task not in CHECKS:
        raise NotFound(
            _("no duty %(task)r; known: %(known)s") % {"task": task, "known": ", ".join(CHECKS)}
        )
    enqueue_task("maintenance.run", task)


def maintenance_run(*, task: str) -> MaintenanceRun:
    """Run one check now and record what it found.

    A failure notifies and may open an incident titled with what failed and why; a duty the
    console could not check (its own configuration) is recorded as not checked, opens nothing
    and shows up in ``setup_problems()``.  What it found is written in the site's language.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _maintenance_run(task)


def _maintenance_run(task: str) -> MaintenanceRun:
    check = CHECKS[task]
    record = MaintenanceRun.objects.create(task=task, title=check.title)
    lines: list[str] = []
    record.status, record.summary, record.fix_link = _outcome(task, check, lines)
    record.output = "\n".join(lines)[:200_000]
    record.finished_at = timezone.now()
    if record.status == MaintenanceRun.Status.FAILED:
        record.incident = _on_failure(check, record)
    record.save(
        update_fields=["status", "summary", "fix_link", "output", "finished_at", "incident"]
    )
    return record


def _outcome(task: str, check: Check, lines: list[str]) -> tuple[str, str, str]:
    Status = MaintenanceRun.Status
    try:
        finding = check.run(lines)
    except NotChecked as missing:
        lines.append(f"not checked: {missing.why}")
        return Status.NOT_CHECKED, str(_not_checked(missing.why))[:300], missing.link
    except Exception as error:  # noqa: BLE001 - a check that crashes has failed
        log.exception("maintenance %s crashed", task)
        lines.append(f"error: {type(error).__name__}: {error}")
        crashed = _("the check crashed: %(error)s") % {"error": f"{type(error).__name__}: {error}"}
        return Status.FAILED, crashed[:300], ""
    return (Status.PASSED if finding.passed else Status.FAILED), finding.summary[:300], ""


def _on_failure(check: Check, record: MaintenanceRun):
    from incident_console.incidents.services import incident_open

    incident = None
    if check.opens_incident and settings.MAINTENANCE_OPENS_INCIDENTS:
        incident = incident_open(
            scenario_slug=current_site().maintenance.failure_scenario,
            title=record.headline[:200],
            severity="sev2",
            actor=maintenance_user(),
            system=True,
        )
    notify(
        incident=incident,
        subject=format_lazy(gettext_lazy("Maintenance: {what}"), what=record.headline),
        body=format_lazy(
            "{}\n{}",
            format_lazy(gettext_lazy("Started: {time}"), time=site_time(record.started_at)),
            record.output[-3000:],
        ),
        reason=f"maintenance:{record.task}",
        quiet=True,
    )
    return incident


def setup_problems() -> list[dict[str, str]]:
    """What keeps the site's duties from checking, for the commanders' setup banner: each
    duty whose latest run was not checked, with why and where to fix it."""
    problems = []
    for task, check in CHECKS.items():
        last = MaintenanceRun.objects.filter(task=task).exclude(status="running").first()
        if last is not None and last.status == MaintenanceRun.Status.NOT_CHECKED:
            why = last.summary.removeprefix(in_site_language(_not_checked("")))
            what = format_lazy(gettext_lazy("Maintenance: {what}"), what=check.title)
            problems.append({"what": str(what), "why": why, "link": last.fix_link})
    return problems


def _not_checked(why: str):
    return format_lazy(gettext_lazy("not checked: {why}"), why=why)


# Checklists: duties a person does (seed: security-log review, runbook review).  A checklist is
# done for its period once completed, due when the period has passed, overdue after a grace.
PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
GRACE = {"day": timedelta(hours=6), "week": timedelta(days=2), "month": timedelta(days=7)}


@dataclass(frozen=True)
class ChecklistState:
    key: str
    checklist: Checklist
    last: ChecklistCompletion | None
    state: str  # done, due or overdue
    due_at: datetime | None


def checklists_state(*, now: datetime | None = None) -> list[ChecklistState]:
    """Each of the site's checklists, its last completion and whether it is done, due or overdue."""
    now = now or timezone.now()
    completions = ChecklistCompletion.objects.select_related("completed_by")
    states = []
    for key, checklist in current_site().maintenance.checklists.items():
        last = completions.filter(checklist=key).first()
        due_at = last.completed_at + PERIODS[checklist.every] if last else None
        states.append(ChecklistState(key, checklist, last, _state(checklist, due_at, now), due_at))
    return states


def _state(checklist: Checklist, due_at: datetime | None, now: datetime) -> str:
    if due_at is None:
        return "due"
    if now < due_at:
        return "done"
    return "overdue" if now >= due_at + GRACE[checklist.every] else "due"


def checklist_complete(*, checklist: str, actor, ticked: list[str], note: str):
    """Record that ``actor`` went through a checklist: every item ticked, and a note of what
    they looked at and found."""
    require(actor, RESPOND, "completing a checklist")
    spec = current_site().maintenance.checklists.get(checklist)
    if spec is None:
        raise NotFound(_("no checklist %(name)r") % {"name": checklist})
    left = [item for item in spec.items if item not in ticked]
    if left:
        not_ticked = ngettext(
            "tick every item first: %(left)d of %(total)d not ticked",
            "tick every item first: %(left)d of %(total)d not ticked",
            len(left),
        )
        raise InvalidInput(
            not_ticked % {"left": len(left), "total": len(spec.items)},
            fields={"items": "; ".join(left)},
        )
    if not note.strip():
        raise InvalidInput(
            _("write a note: what you looked at and what you found"),
            fields={"note": _("required")},
        )
    return ChecklistCompletion.objects.create(
        checklist=checklist,
        title=spec.title,
        items=list(spec.items),
        note=note.strip(),
        completed_by=actor,
    )
