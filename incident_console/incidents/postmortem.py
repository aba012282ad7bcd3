"""A postmortem draft in Markdown, from everything the console recorded."""

from __future__ import annotations

from django.conf import settings

from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.sla import rpo_hours, rto_clock
from incident_console.runs.models import StepRun


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def postmortem_markdown(incident: Incident) -> str:
    clock = rto_clock(incident)
    lines = [
        f"# Postmortem: #{incident.pk} {incident.title}",
        "",
        "## Summary",
        "",
        f"- Scenario: {incident.scenario.title}"
        + (f" ({incident.scenario.title_ru})" if incident.scenario.title_ru else ""),
        f"- Severity: {incident.severity.upper()}{' (drill)' if incident.is_drill else ''}",
        f"- Status: {incident.status}",
        *(
            ["- Restricted: only its participants and commanders may read this"]
            if incident.restricted
            else []
        ),
        f"- Commander: {incident.commander.username if incident.commander else '—'}",
        f"- Opened: {incident.opened_at:%Y-%m-%d %H:%M:%S} UTC"
        f" by {incident.opened_by.username if incident.opened_by else '—'}",
        f"- Acknowledged after: {_duration(incident.acknowledge_seconds)}",
        f"- Resolved after: {_duration(incident.recovery_seconds)}",
        "",
        "## Impact",
        "",
        incident.impact or "_Not written yet._",
        "",
        "## RTO / RPO",
        "",
        *_sla(incident, clock),
        "",
        "## Timeline",
        "",
        "| time (UTC) | who | what |",
        "| --- | --- | --- |",
    ]
    entries = list(incident.timeline.select_related("actor").order_by("at", "pk"))
    for entry in entries:
        who = entry.actor.username if entry.actor else "console"
        message = entry.message.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {entry.at:%H:%M:%S} | {who} | {message} |")
    lines += [
        "",
        "## Steps run",
        "",
        "| step | target | who | result | duration | command |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in incident.runs.select_related("created_by").order_by("created_at", "pk"):
        result = run.status + (f" (exit {run.exit_code})" if run.exit_code not in (None, 0) else "")
        if run.console_not_configured:
            result = "did not run: console not configured"
        command = run.command_display.replace("|", "\\|").replace("\n", " ")[:200]
        who = run.created_by.username if run.created_by else "—"
        lines.append(
            f"| {run.step_title} | {run.target} | {who} | {result} | "
            f"{_duration(run.duration_seconds)} | `{command}` |"
        )
    lines += ["", "## Contacts notified", ""]
    sent_kinds = (TimelineEntry.Kind.ESCALATED, TimelineEntry.Kind.NOTIFICATION)
    notified = [e for e in entries if e.kind in sent_kinds and not _failed(e)]
    lines += [f"- {e.at:%H:%M:%S} {_first_line(e.message)}" for e in notified] or [
        "- Nobody was notified."
    ]
    not_sent = [e for e in entries if e.kind == TimelineEntry.Kind.NOT_SENT or _failed(e)]
    if not_sent:
        lines += ["", "## Not sent", ""]
        lines += [f"- {e.at:%H:%M:%S} {_not_sent(e)}" for e in not_sent]
    lines += break_glass_section(entries)
    follow_ups = [
        f"- [ ] {e.message}"
        for e in entries
        if e.kind == TimelineEntry.Kind.NOTE
        and e.message.lower().startswith(("todo", "follow-up", "follow up"))
    ]
    lines += ["", "## Follow-up items", "", *(follow_ups or ["- [ ] "]), ""]
    return "\n".join(lines)


def break_glass_section(entries) -> list[str]:
    """The steps run without a second commander's approval, who ran them and why."""
    broken = [e for e in entries if e.kind == TimelineEntry.Kind.BREAK_GLASS]
    if not broken:
        return []
    lines = ["", "## Break-glass", ""]
    for entry in broken:
        who = entry.actor.username if entry.actor else "—"
        step = entry.run.step_title if entry.run else entry.data.get("step_id", "?")
        target = entry.run.target if entry.run else "?"
        reason = entry.data.get("reason", "")
        lines.append(f"- {entry.at:%H:%M:%S} {who} ran “{step}” on {target} unapproved: {reason}")
    return lines


def _not_sent(entry: TimelineEntry) -> str:
    what, reason = entry.data.get("what"), entry.data.get("reason")
    return f"{what}: not sent ({reason})" if what and reason else _first_line(entry.message)


def _failed(entry: TimelineEntry) -> bool:
    return entry.kind == TimelineEntry.Kind.NOTIFICATION and entry.data.get("status") == "failed"


def _first_line(text: str) -> str:
    """A timeline message as one line of a Markdown list (a customer notice holds its body)."""
    return text.splitlines()[0] if text else text


def _sla(incident: Incident, clock) -> list[str]:
    rto_text = {True: "met", False: "missed", None: "still running"}[clock.met]
    lines = [
        f"- RTO {settings.SLA_RTO_HOURS:g} h: {rto_text} "
        f"(recovery took {_duration(clock.elapsed.total_seconds())})"
    ]
    restores = [
        r
        for r in incident.runs.all()
        if r.executor == "postgres"
        and r.command.get("action") == "restore"
        and r.status == StepRun.Status.SUCCEEDED
    ]
    rpo = rpo_hours(incident)
    if not restores:
        lines.append(f"- RPO {rpo:g} h: no data was restored")
        return lines
    key = next(
        (r.params.get("backup_key") for r in incident.runs.all() if r.params.get("backup_key")),
        None,
    )
    backup_time = _backup_time(incident)
    if backup_time is None:
        lines.append(f"- RPO {rpo:g} h: restored {key or 'a backup'}; its age is not known")
        return lines
    loss = (restores[-1].started_at - backup_time).total_seconds() / 3600
    verdict = "met" if loss <= rpo else "missed: tell the customer"
    lines.append(
        f"- RPO {rpo:g} h: {verdict} (data since {backup_time:%Y-%m-%d %H:%M} UTC, "
        f"{loss:.1f} h, was lost)"
    )
    return lines


def _backup_time(incident: Incident):
    from datetime import datetime

    for run in incident.runs.filter(status=StepRun.Status.SUCCEEDED).order_by("-finished_at"):
        value = run.outputs.get("latest_modified")
        if value:
            return datetime.fromisoformat(value)
    return None
