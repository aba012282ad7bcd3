"""The runbook's scheduled duties: daily, weekly and monthly checks, each recorded with output."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.utils import timezone

from executors import ExecutorError
from executors.http import HTTPExecutor
from incident_console.accounts.roles import COMMAND, require, system_user
from incident_console.background.enqueue import enqueue_task
from incident_console.errors import NotFound
from incident_console.incidents.models import Incident
from incident_console.incidents.sla import sla_report
from incident_console.maintenance.models import MaintenanceRun
from incident_console.notifications.services import notify
from incident_console.runs.executors import build_executor, targets
from incident_console.runs.models import StepRun
from incident_console.site import current_site
from runbooks.site import Duty

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    title: str
    period: str
    run: Callable[[list[str]], bool]
    opens_incident: bool = False


def _execute(kind: str, target: str, step: dict, lines: list[str]):
    return _run(build_executor(kind, timeout=300, target=target).executor, step, lines)


def _run(executor, step: dict, lines: list[str]):
    """Run one step of a duty, its command and output becoming lines of the duty's record."""
    spec = executor.render(step, {})
    lines.append(f"$ {executor.describe(spec)}")
    emitted: list[str] = []
    result = executor.run(spec, lambda stream, text: emitted.append(text), threading.Event())
    lines.extend(text.rstrip("\n") for text in emitted)
    return result


def backups_check(duty: Duty, lines: list[str]) -> bool:
    """The newest full backup under the duty's prefix of its bucket is younger than the RPO."""
    result = _execute(
        "s3",
        duty.target,
        {"action": "list", "args": {"prefix": duty.prefix, "limit": 5}},
        lines,
    )
    newest = result.outputs.get("latest_modified")
    if result.status != "succeeded" or not newest:
        lines.append("no backup found")
        return False
    age = timezone.now() - datetime.fromisoformat(newest)
    hours = age.total_seconds() / 3600
    lines.append(
        f"newest backup {result.outputs['latest_key']} is {hours:.1f} h old "
        f"(RPO {settings.SLA_RPO_HOURS:g} h)"
    )
    return hours <= settings.SLA_RPO_HOURS


def retention_check(duty: Duty, lines: list[str]) -> bool:
    """The duty's bucket has a lifecycle policy that expires old backups."""
    return _execute("s3", duty.target, {"action": "lifecycle"}, lines).status == "succeeded"


def alerts_check(duty: Duty, lines: list[str]) -> bool:
    """No alert is firing without an incident, and Alertmanager answers its health check."""
    from incident_console.alerts.models import Alert

    orphans = Alert.objects.filter(status="firing").exclude(
        incident__status__in=Incident.ACTIVE_STATUSES
    )
    for alert in orphans:
        lines.append(f"firing without an open incident: {alert.alertname} {alert.labels}")
    day = Alert.objects.filter(last_received_at__gte=timezone.now() - timedelta(days=1)).count()
    lines.append(f"{day} alerts received in the last 24 h")
    healthy = True
    if settings.ALERTMANAGER_URL:
        step = {"args": {"url": f"{settings.ALERTMANAGER_URL.rstrip('/')}/-/healthy"}}
        healthy = _run(HTTPExecutor(timeout=15), step, lines).status == "succeeded"
    else:
        lines.append("ALERTMANAGER_URL is not set: Alertmanager itself was not checked")
    return healthy and not orphans.exists()


def resources_check(duty: Duty, lines: list[str]) -> bool:
    """No filesystem of the duty's host (local or ssh) is fuller than its max_use_percent."""
    kind = "ssh" if targets()[duty.target].kind == "ssh" else "shell"
    result = _execute(kind, duty.target, {"argv": ["df", "-P"]}, lines)
    limit = duty.max_use_percent
    full = [line for line in lines if _use_percent(line) > limit]
    lines.extend(f"over {limit}%: {line}" for line in full)
    return result.status == "succeeded" and not full


def _use_percent(df_line: str) -> int:
    fields = df_line.split()
    if len(fields) >= 6 and fields[4].endswith("%") and fields[4][:-1].isdigit():
        return int(fields[4][:-1])
    return 0


def sla_review(duty: Duty, lines: list[str]) -> bool:
    """Last month's MTTR against its target and the incidents that broke the RTO."""
    since = timezone.now() - timedelta(days=31)
    report = sla_report(
        Incident.objects.filter(opened_at__gte=since, is_drill=False).select_related("scenario")
    )
    lines.append(f"MTTR {report['mttr_hours']} h (target {report['mttr_target_hours']:g} h)")
    for incident in report["rto_breaches"]:
        # The maintenance page is open to every login: a restricted incident stays unnamed.
        name = (
            "a restricted incident" if incident.restricted else f"#{incident.pk} {incident.title}"
        )
        lines.append(f"RTO broken: {name}")
    mttr_ok = report["mttr_hours"] is None or report["mttr_hours"] <= report["mttr_target_hours"]
    return mttr_ok and not report["rto_breaches"]


def dr_drill(duty: Duty, lines: list[str]) -> bool:
    """Open a drill incident of the chosen scenario for the team to walk through."""
    from incident_console.incidents.services import incident_open

    incident = incident_open(
        scenario_slug=settings.DR_DRILL_SCENARIO or duty.scenario,
        title=f"DR drill {timezone.now():%Y-%m}",
        severity="sev4",
        actor=maintenance_user(),
        system=True,
        is_drill=True,
    )
    lines.append(f"opened drill #{incident.pk} ({incident.scenario.title})")
    return True


def test_restore(duty: Duty, lines: list[str]) -> bool:
    """Walk the duty's restore procedure: latest backup into a scratch database, rows counted."""
    from incident_console.incidents.services import incident_open
    from incident_console.runs.execution import step_run_execute
    from incident_console.runs.services import step_run_start

    user = maintenance_user()
    incident = incident_open(
        scenario_slug=duty.scenario,
        title=f"Weekly test restore {timezone.now():%Y-%m-%d}",
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
            return False
    return True


# Each kind of check a site's duty can name (maintenance.yaml), with its default title.
CHECK_KINDS: dict[str, tuple[str, Callable[[Duty, list[str]], bool]]] = {
    "backups": ("Backups succeeded (newest backup younger than the RPO)", backups_check),
    "alerts": ("Alerts checked", alerts_check),
    "resources": ("Resource usage (disks under {max_use_percent}%)", resources_check),
    "test_restore": ("Test restore of the latest backup", test_restore),
    "retention": ("Retention policy of the backups bucket", retention_check),
    "dr_drill": ("Disaster recovery drill", dr_drill),
    "sla_review": ("RTO/RPO metrics review", sla_review),
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
        raise NotFound(f"no duty {task!r}; known: {', '.join(CHECKS)}")
    enqueue_task("maintenance.run", task)


def maintenance_run(*, task: str) -> MaintenanceRun:
    """Run one check now and record it; a failure notifies and may open an incident."""
    check = CHECKS[task]
    record = MaintenanceRun.objects.create(task=task, title=check.title)
    lines: list[str] = []
    try:
        passed = bool(check.run(lines))
    except (ExecutorError, Exception) as error:  # noqa: BLE001 - a check that crashes has failed
        log.exception("maintenance %s crashed", task)
        lines.append(f"error: {type(error).__name__}: {error}")
        passed = False
    record.status = MaintenanceRun.Status.PASSED if passed else MaintenanceRun.Status.FAILED
    record.output = "\n".join(lines)[:200_000]
    record.finished_at = timezone.now()
    if not passed:
        record.incident = _on_failure(check, record)
    record.save(update_fields=["status", "output", "finished_at", "incident"])
    return record


def _on_failure(check: Check, record: MaintenanceRun):
    from incident_console.incidents.services import incident_open

    incident = None
    if check.opens_incident and settings.MAINTENANCE_OPENS_INCIDENTS:
        incident = incident_open(
            scenario_slug=current_site().maintenance.failure_scenario,
            title=f"Maintenance failed: {check.title}",
            severity="sev2",
            actor=maintenance_user(),
            system=True,
        )
    notify(
        incident=incident,
        subject=f"Maintenance check failed: {check.title}",
        body=record.output[-3000:],
        reason=f"maintenance:{record.task}",
        quiet=True,
    )
    return incident
