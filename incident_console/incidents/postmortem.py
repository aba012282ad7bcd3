"""The whole postmortem in Markdown: what the team wrote, and the facts the console recorded."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse

from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.sla import rpo_hours
from incident_console.postmortems.models import Postmortem
from incident_console.runs.models import StepRun

NOT_WRITTEN = "_Not written yet._"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def postmortem_markdown(incident: Incident, base_url: str = "") -> str:
    """The postmortem of ``incident``; ``base_url`` makes the links to step output absolute."""
    postmortem = Postmortem.objects.filter(incident=incident).first() or Postmortem(
        incident=incident
    )
    entries = list(incident.timeline.select_related("actor").order_by("at", "pk"))
    lines = [
        f"# Postmortem: #{incident.pk} {incident.title}",
        "",
        "## Summary",
        "",
        *([postmortem.summary, ""] if postmortem.summary else []),
        *_facts(incident),
        *_section("Impact", postmortem.impact or incident.impact),
        *_recorded(incident, entries, base_url),
        *_section("Root cause", postmortem.root_cause),
        *_section("What went well", postmortem.went_well),
        *_section("What went badly", postmortem.went_badly),
        *_action_items(postmortem, entries),
        "",
    ]
    return "\n".join(lines)


def recorded_markdown(incident: Incident, base_url: str = "") -> str:
    """The sections generated from the record: RTO/RPO, timeline, steps, who was told."""
    entries = list(incident.timeline.select_related("actor").order_by("at", "pk"))
    return "\n".join(_recorded(incident, entries, base_url))


def _recorded(incident: Incident, entries: list[TimelineEntry], base_url: str) -> list[str]:
    return [
        *_section("RTO / RPO", "\n".join(sla_facts(incident))),
        *_timeline(entries, base_url),
        *_steps(incident),
        *_notifications(entries),
        *break_glass_section(entries),
    ]


def _section(title: str, text: str) -> list[str]:
    return ["", f"## {title}", "", text or NOT_WRITTEN]


def _facts(incident: Incident) -> list[str]:
    ru = f" ({incident.scenario.title_ru})" if incident.scenario.title_ru else ""
    restricted = ["- Restricted: only its participants and commanders may read this"]
    return [
        f"- Scenario: {incident.scenario.title}{ru}",
        f"- Severity: {incident.severity.upper()}{' (drill)' if incident.is_drill else ''}",
        f"- Status: {incident.status}",
        *(restricted if incident.restricted else []),
        f"- Commander: {incident.commander.username if incident.commander else '—'}",
        f"- Opened: {incident.opened_at:%Y-%m-%d %H:%M:%S} UTC"
        f" by {incident.opened_by.username if incident.opened_by else '—'}",
        f"- Acknowledged after: {duration_text(incident.acknowledge_seconds)}",
        f"- Resolved after: {duration_text(incident.recovery_seconds)}",
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _timeline(entries: list[TimelineEntry], base_url: str) -> list[str]:
    lines = ["", "## Timeline", "", "| time (UTC) | who | what |", "| --- | --- | --- |"]
    for entry in entries:
        who = entry.actor.username if entry.actor else "console"
        what = _cell(entry.message)
        if entry.run_id and entry.kind in _OUTPUT_KINDS:
            what += f" ([output]({base_url}{reverse('run-output-text', args=[entry.run_id])}))"
        lines.append(f"| {entry.at:%H:%M:%S} | {who} | {what} |")
    return lines


# Where a step's output is worth a link: once it has finished or was marked.
_OUTPUT_KINDS = (TimelineEntry.Kind.RUN_FINISHED, TimelineEntry.Kind.STEP_MARKED)


def _steps(incident: Incident) -> list[str]:
    lines = [
        "",
        "## Steps run",
        "",
        "| step | target | who | result | duration | command |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in incident.runs.select_related("created_by").order_by("created_at", "pk"):
        who = run.created_by.username if run.created_by else "—"
        if run.executor == "manual":
            outcome = run.params.get("outcome") or run.status
            lines.append(f"| {run.step_title} | manual (no target) | {who} | {outcome} | — | — |")
            continue
        result = run.status + (f" (exit {run.exit_code})" if run.exit_code not in (None, 0) else "")
        if run.console_not_configured:
            result = "did not run: console not configured"
        command = _cell(run.command_display)[:200]
        lines.append(
            f"| {run.step_title} | {run.target} | {who} | {result} | "
            f"{duration_text(run.duration_seconds)} | `{command}` |"
        )
    return lines


def _notifications(entries: list[TimelineEntry]) -> list[str]:
    sent_kinds = (TimelineEntry.Kind.ESCALATED, TimelineEntry.Kind.NOTIFICATION)
    notified = [e for e in entries if e.kind in sent_kinds and not _failed(e)]
    lines = ["", "## Contacts notified", ""]
    lines += [f"- {e.at:%H:%M:%S} {_first_line(e.message)}" for e in notified] or [
        "- Nobody was notified."
    ]
    not_sent = [e for e in entries if e.kind == TimelineEntry.Kind.NOT_SENT or _failed(e)]
    if not_sent:
        lines += ["", "## Not sent", ""]
        lines += [f"- {e.at:%H:%M:%S} {_not_sent(e)}" for e in not_sent]
    return lines


def _action_items(postmortem: Postmortem, entries: list[TimelineEntry]) -> list[str]:
    lines = ["", "## Action items", ""]
    if postmortem.pk:
        for item in postmortem.actions.select_related("owner").order_by("done", "due", "pk"):
            owner = item.owner.username if item.owner else "no owner"
            due = f"due {item.due:%Y-%m-%d}" if item.due else "no due date"
            lines.append(f"- [{'x' if item.done else ' '}] {item.text} ({owner}, {due})")
    todo = ("todo", "follow-up", "follow up")
    notes = [e for e in entries if e.kind == TimelineEntry.Kind.NOTE]
    todos = [e for e in notes if e.message.lower().startswith(todo)]
    lines += [f"- [ ] {e.message} (from a note)" for e in todos]
    return lines if len(lines) > 3 else [*lines, "- None yet."]


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


def sla_facts(incident: Incident) -> list[str]:
    """The RTO and RPO verdicts, each one line of a Markdown list."""
    return [_rto_fact(incident), _rpo_fact(incident)]


def _rto_fact(incident: Incident) -> str:
    hours = settings.SLA_RTO_HOURS
    recovery = incident.recovery_seconds
    if recovery is None:
        return f"- RTO {hours:g} h: still running (not resolved yet)"
    verdict = "met" if recovery <= hours * 3600 else "broken"
    return f"- RTO {hours:g} h: {verdict}: recovered in {duration_text(recovery)}"


def _rpo_fact(incident: Incident) -> str:
    rpo = rpo_hours(incident)
    succeeded = incident.runs.filter(status=StepRun.Status.SUCCEEDED).order_by("-finished_at")
    backup_time = next(
        (
            datetime.fromisoformat(r.outputs["latest_modified"])
            for r in succeeded
            if r.outputs.get("latest_modified")
        ),
        None,
    )
    restore = next(
        (r for r in succeeded if r.executor == "postgres" and r.command.get("action") == "restore"),
        None,
    )
    if restore is None and backup_time is None:
        return f"- RPO {rpo:g} h: no data was restored"
    if backup_time is None:
        key = restore.params.get("backup_key") or "a backup"
        return f"- RPO {rpo:g} h: restored {key}; its age is not known"
    if restore is None:
        return (
            f"- RPO {rpo:g} h: the last good backup is from {backup_time:%Y-%m-%d %H:%M} UTC; "
            "nothing was restored from it"
        )
    loss = (restore.started_at - backup_time).total_seconds() / 3600
    verdict = "met" if loss <= rpo else "broken: tell the customer"
    return (
        f"- RPO {rpo:g} h: {verdict} (data written between {backup_time:%Y-%m-%d %H:%M} and "
        f"{restore.started_at:%Y-%m-%d %H:%M} UTC, {loss:.1f} h, was lost)"
    )
