"""The whole postmortem in Markdown: what the team wrote, and the facts the console recorded.

It is written in the site's language and every time in it in the site's time zone, with the
offset, whoever asks for it (settings.LANGUAGE_CODE, settings.TIME_ZONE)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from incident_console.i18n import site_date, site_time, site_zone
from incident_console.incidents.labels import status_label
from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.sla import rpo_hours
from incident_console.incidents.status_words import OUTCOME_WORDS, RUN_STATUS_WORDS
from incident_console.postmortems.models import Postmortem
from incident_console.runs.models import StepRun


def run_status_word(status: str) -> str:
    """A run's status as a word of the active language ("succeeded", "выполнен")."""
    return str(RUN_STATUS_WORDS.get(status, status))


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    if minutes >= 60:
        return _("%(hours)d h %(minutes)02d min") % {
            "hours": minutes // 60,
            "minutes": minutes % 60,
        }
    return _("%(minutes)d min") % {"minutes": minutes}


def _local(value: datetime) -> datetime:
    return timezone.localtime(value, zoneinfo.ZoneInfo(settings.TIME_ZONE))


def postmortem_markdown(incident: Incident, base_url: str = "") -> str:
    """The postmortem of ``incident``; ``base_url`` makes the links to step output absolute."""
    with translation.override(settings.LANGUAGE_CODE):
        return _postmortem_markdown(incident, base_url)


def _postmortem_markdown(incident: Incident, base_url: str) -> str:
    postmortem = Postmortem.objects.filter(incident=incident).first() or Postmortem(
        incident=incident
    )
    entries = list(incident.timeline.select_related("actor").order_by("at", "pk"))
    lines = [
        "# "
        + _("Postmortem: #%(number)s %(title)s") % {"number": incident.pk, "title": incident.title},
        "",
        "## " + _("Summary"),
        "",
        *([postmortem.summary, ""] if postmortem.summary else []),
        *_facts(incident),
        *_section(_("Impact"), postmortem.impact or incident.impact),
        *_recorded(incident, entries, base_url),
        *_section(_("Root cause"), postmortem.root_cause),
        *_section(_("What went well"), postmortem.went_well),
        *_section(_("What went badly"), postmortem.went_badly),
        *_action_items(postmortem, entries),
        "",
    ]
    return "\n".join(lines)


def recorded_markdown(incident: Incident, base_url: str = "") -> str:
    """The sections generated from the record: RTO/RPO, timeline, steps, who was told."""
    entries = list(incident.timeline.select_related("actor").order_by("at", "pk"))
    with translation.override(settings.LANGUAGE_CODE):
        return "\n".join(_recorded(incident, entries, base_url))


def _recorded(incident: Incident, entries: list[TimelineEntry], base_url: str) -> list[str]:
    return [
        *_section(_("RTO / RPO"), "\n".join(sla_facts(incident))),
        *_timeline(entries, base_url),
        *_steps(incident),
        *_notifications(entries),
        *break_glass_section(entries),
    ]


def _section(title: str, text: str) -> list[str]:
    return ["", f"## {title}", "", text or "_" + _("Not written yet.") + "_"]


def _facts(incident: Incident) -> list[str]:
    names = incident.scenario.shown
    other = f" ({names.title_other})" if names.title_other else ""
    restricted = [_("Restricted: only its participants and commanders may read this")]
    severity = incident.severity.upper()
    if incident.is_drill:
        severity = _("%(severity)s (drill)") % {"severity": severity}
    facts = [
        _("Scenario: %(scenario)s") % {"scenario": f"{names.title}{other}"},
        _("Severity: %(severity)s") % {"severity": severity},
        _("Status: %(status)s") % {"status": _status_word(incident.status)},
        *(restricted if incident.restricted else []),
        _("Commander: %(who)s")
        % {"who": incident.commander.username if incident.commander else "—"},
        _("Opened: %(time)s by %(who)s")
        % {
            "time": site_time(incident.opened_at, seconds=True),
            "who": incident.opened_by.username if incident.opened_by else "—",
        },
        _("Acknowledged after: %(duration)s")
        % {"duration": duration_text(incident.acknowledge_seconds)},
        _("Resolved after: %(duration)s") % {"duration": duration_text(incident.recovery_seconds)},
    ]
    return [f"- {fact}" for fact in facts]


def _status_word(status: str) -> str:
    return str(status_label(status))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _timeline(entries: list[TimelineEntry], base_url: str) -> list[str]:
    zone = site_zone(entries[0].at) if entries else site_zone(timezone.now())
    header = _("| time (%(zone)s) | who | what |") % {"zone": zone}
    lines = ["", "## " + _("Timeline"), "", header, "| --- | --- | --- |"]
    for entry in entries:
        who = entry.actor.username if entry.actor else _("console")
        what = _cell(entry.message)
        if entry.run_id and entry.kind in _OUTPUT_KINDS:
            output = _("output")
            what += f" ([{output}]({base_url}{reverse('run-output-text', args=[entry.run_id])}))"
        lines.append(f"| {_local(entry.at):%H:%M:%S} | {who} | {what} |")
    return lines


# Where a step's output is worth a link: once it has finished or was marked.
_OUTPUT_KINDS = (TimelineEntry.Kind.RUN_FINISHED, TimelineEntry.Kind.STEP_MARKED)


def _steps(incident: Incident) -> list[str]:
    lines = [
        "",
        "## " + _("Steps run"),
        "",
        _("| step | target | who | result | duration | command |"),
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in incident.runs.select_related("created_by").order_by("created_at", "pk"):
        who = run.created_by.username if run.created_by else "—"
        if run.executor == "manual":
            outcome = run.params.get("outcome")
            outcome = (
                OUTCOME_WORDS[outcome] if outcome in OUTCOME_WORDS else run_status_word(run.status)
            )
            no_target = _("manual (no target)")
            lines.append(f"| {run.step_title} | {no_target} | {who} | {outcome} | — | — |")
            continue
        exit_code = f" (exit {run.exit_code})" if run.exit_code not in (None, 0) else ""
        result = run_status_word(run.status) + exit_code
        if run.console_not_configured:
            result = _("did not run: console not configured")
        command = _cell(run.command_display)[:200]
        lines.append(
            f"| {run.step_title} | {run.target} | {who} | {result} | "
            f"{duration_text(run.duration_seconds)} | `{command}` |"
        )
    return lines


def _notifications(entries: list[TimelineEntry]) -> list[str]:
    sent_kinds = (TimelineEntry.Kind.ESCALATED, TimelineEntry.Kind.NOTIFICATION)
    notified = [e for e in entries if e.kind in sent_kinds and not _failed(e)]
    lines = ["", "## " + _("Contacts notified"), ""]
    lines += [f"- {_local(e.at):%H:%M:%S} {_first_line(e.message)}" for e in notified] or [
        "- " + _("Nobody was notified.")
    ]
    not_sent = [e for e in entries if e.kind == TimelineEntry.Kind.NOT_SENT or _failed(e)]
    if not_sent:
        lines += ["", "## " + _("Not sent"), ""]
        lines += [f"- {_local(e.at):%H:%M:%S} {_not_sent(e)}" for e in not_sent]
    return lines


def _action_items(postmortem: Postmortem, entries: list[TimelineEntry]) -> list[str]:
    lines = ["", "## " + _("Action items"), ""]
    if postmortem.pk:
        for item in postmortem.actions.select_related("owner").order_by("done", "due", "pk"):
            owner = item.owner.username if item.owner else _("no owner")
            due = (
                _("due %(date)s") % {"date": site_date(item.due)} if item.due else _("no due date")
            )
            lines.append(f"- [{'x' if item.done else ' '}] {item.text} ({owner}, {due})")
    todo = ("todo", "follow-up", "follow up")
    notes = [e for e in entries if e.kind == TimelineEntry.Kind.NOTE]
    todos = [e for e in notes if e.message.lower().startswith(todo)]
    from_a_note = _("(from a note)")
    lines += [f"- [ ] {e.message} {from_a_note}" for e in todos]
    return lines if len(lines) > 3 else [*lines, "- " + _("None yet.")]


def break_glass_section(entries) -> list[str]:
    """The steps run without a second commander's approval, who ran them and why."""
    broken = [e for e in entries if e.kind == TimelineEntry.Kind.BREAK_GLASS]
    if not broken:
        return []
    lines = ["", "## " + _("Break-glass"), ""]
    for entry in broken:
        who = entry.actor.username if entry.actor else "—"
        step = entry.run.step_title if entry.run else entry.data.get("step_id", "?")
        target = entry.run.target if entry.run else "?"
        reason = entry.data.get("reason", "")
        ran = _("%(who)s ran “%(step)s” on %(target)s unapproved: %(reason)s") % {
            "who": who,
            "step": step,
            "target": target,
            "reason": reason,
        }
        lines.append(f"- {_local(entry.at):%H:%M:%S} {ran}")
    return lines


def _not_sent(entry: TimelineEntry) -> str:
    what, reason = entry.data.get("what"), entry.data.get("reason")
    if what and reason:
        return _("%(what)s: not sent (%(reason)s)") % {"what": what, "reason": reason}
    return _first_line(entry.message)


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
    rto = _("RTO %(hours)s h") % {"hours": f"{hours:g}"}
    if recovery is None:
        return f"- {rto}: " + _("still running (not resolved yet)")
    verdict = _("met") if recovery <= hours * 3600 else _("broken")
    recovered = _("recovered in %(duration)s") % {"duration": duration_text(recovery)}
    return f"- {rto}: {verdict}: {recovered}"


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
    head = "- " + _("RPO %(hours)s h") % {"hours": f"{rpo:g}"}
    if restore is None and backup_time is None:
        return f"{head}: " + _("no data was restored")
    if backup_time is None:
        key = restore.params.get("backup_key") or _("a backup")
        return f"{head}: " + _("restored %(key)s; its age is not known") % {"key": key}
    if restore is None:
        return f"{head}: " + _(
            "the last good backup is from %(time)s; nothing was restored from it"
        ) % {"time": site_time(backup_time)}
    loss = (restore.started_at - backup_time).total_seconds() / 3600
    verdict = _("met") if loss <= rpo else _("broken: tell the customer")
    lost = _("data written between %(start)s and %(end)s %(zone)s, %(hours)s h, was lost") % {
        "start": site_time(backup_time, zone=False),
        "end": site_time(restore.started_at, zone=False),
        "zone": site_zone(restore.started_at),
        "hours": f"{loss:.1f}",
    }
    return f"{head}: {verdict} ({lost})"
