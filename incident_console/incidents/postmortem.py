"""The whole postmortem in Markdown: what the team wrote, and the facts the console recorded.

It is written in the site's language (settings.LANGUAGE_CODE), whoever asks for it: it is the
team's record, read and filed together.  Times are in the reader's time zone, named."""

from __future__ import annotations

from datetime import datetime
from functools import wraps

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from incident_console.incidents.labels import status_label
from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.sla import rpo_hours
from incident_console.postmortems.models import Postmortem
from incident_console.runs.models import StepRun


def written_in_site_language(function):
    """Run ``function`` with the site's language active: its gettext calls answer in it."""

    @wraps(function)
    def written(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return function(*args, **kwargs)

    return written


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    if minutes >= 60:
        return _("%(hours)s h %(minutes)s min") % {
            "hours": minutes // 60,
            "minutes": f"{minutes % 60:02d}",
        }
    return _("%(minutes)s min") % {"minutes": minutes}


def _clock(moment: datetime) -> str:
    """A time of day in the reader's time zone."""
    return f"{timezone.localtime(moment):%H:%M:%S}"


def _moment(moment: datetime, seconds: bool = False) -> str:
    """A date and time in the reader's time zone, with the zone's name."""
    shown = "%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z"
    return timezone.localtime(moment).strftime(shown)


def _zone() -> str:
    return timezone.localtime().strftime("%Z")


@written_in_site_language
def postmortem_markdown(incident: Incident, base_url: str = "") -> str:
    """The postmortem of ``incident``; ``base_url`` makes the links to step output absolute."""
    postmortem = Postmortem.objects.filter(incident=incident).first() or Postmortem(
        incident=incident
    )
    entries = list(incident.timeline.select_related("actor").order_by("at", "pk"))
    heading = _("Postmortem: #%(number)s %(title)s") % {
        "number": incident.pk,
        "title": incident.title,
    }
    lines = [
        f"# {heading}",
        "",
        _heading(_("Summary")),
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


@written_in_site_language
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
    return ["", _heading(title), "", text or _("_Not written yet._")]


def _heading(title: str) -> str:
    return f"## {title}"


def _facts(incident: Incident) -> list[str]:
    ru = f" ({incident.scenario.title_ru})" if incident.scenario.title_ru else ""
    restricted = [_("- Restricted: only its participants and commanders may read this")]
    severity = incident.severity.upper()
    if incident.is_drill:
        severity = _("%(severity)s (drill)") % {"severity": severity}
    opened = {
        "at": _moment(incident.opened_at, seconds=True),
        "who": incident.opened_by.username if incident.opened_by else "—",
    }
    return [
        _("- Scenario: %(scenario)s") % {"scenario": f"{incident.scenario.title}{ru}"},
        _("- Severity: %(severity)s") % {"severity": severity},
        _("- Status: %(status)s") % {"status": status_label(incident.status)},
        *(restricted if incident.restricted else []),
        _("- Commander: %(who)s")
        % {"who": incident.commander.username if incident.commander else "—"},
        _("- Opened: %(at)s by %(who)s") % opened,
        _("- Acknowledged after: %(duration)s")
        % {"duration": duration_text(incident.acknowledge_seconds)},
        _("- Resolved after: %(duration)s")
        % {"duration": duration_text(incident.recovery_seconds)},
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _timeline(entries: list[TimelineEntry], base_url: str) -> list[str]:
    header = _("| time (%(zone)s) | who | what |") % {"zone": _zone()}
    lines = ["", _heading(_("Timeline")), "", header, "| --- | --- | --- |"]
    for entry in entries:
        who = entry.actor.username if entry.actor else _("console")
        what = _cell(entry.message)
        if entry.run_id and entry.kind in _OUTPUT_KINDS:
            url = f"{base_url}{reverse('run-output-text', args=[entry.run_id])}"
            label = _("output")
            what += f" ([{label}]({url}))"
        lines.append(f"| {_clock(entry.at)} | {who} | {what} |")
    return lines


# Where a step's output is worth a link: once it has finished or was marked.
_OUTPUT_KINDS = (TimelineEntry.Kind.RUN_FINISHED, TimelineEntry.Kind.STEP_MARKED)


def _steps(incident: Incident) -> list[str]:
    lines = [
        "",
        _heading(_("Steps run")),
        "",
        _("| step | target | who | result | duration | command |"),
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in incident.runs.select_related("created_by").order_by("created_at", "pk"):
        who = run.created_by.username if run.created_by else "—"
        if run.executor == "manual":
            outcome = run.params.get("outcome") or run.status
            manual = _("manual (no target)")
            lines.append(f"| {run.step_title} | {manual} | {who} | {outcome} | — | — |")
            continue
        result = run.status
        if run.exit_code not in (None, 0):
            result = _("%(status)s (exit %(code)s)") % {"status": run.status, "code": run.exit_code}
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
    lines = ["", _heading(_("Contacts notified")), ""]
    lines += [f"- {_clock(e.at)} {_first_line(e.message)}" for e in notified] or [
        _("- Nobody was notified.")
    ]
    not_sent = [e for e in entries if e.kind == TimelineEntry.Kind.NOT_SENT or _failed(e)]
    if not_sent:
        lines += ["", _heading(_("Not sent")), ""]
        lines += [f"- {_clock(e.at)} {_not_sent(e)}" for e in not_sent]
    return lines


def _action_items(postmortem: Postmortem, entries: list[TimelineEntry]) -> list[str]:
    lines = ["", _heading(_("Action items")), ""]
    if postmortem.pk:
        for item in postmortem.actions.select_related("owner").order_by("done", "due", "pk"):
            owner = item.owner.username if item.owner else _("no owner")
            due = _("due %(date)s") % {"date": f"{item.due:%Y-%m-%d}"} if item.due else None
            due = due or _("no due date")
            lines.append(f"- [{'x' if item.done else ' '}] {item.text} ({owner}, {due})")
    todo = ("todo", "follow-up", "follow up")
    notes = [e for e in entries if e.kind == TimelineEntry.Kind.NOTE]
    todos = [e for e in notes if e.message.lower().startswith(todo)]
    lines += [_("- [ ] %(note)s (from a note)") % {"note": e.message} for e in todos]
    return lines if len(lines) > 3 else [*lines, _("- None yet.")]


def break_glass_section(entries) -> list[str]:
    """The steps run without a second commander's approval, who ran them and why."""
    broken = [e for e in entries if e.kind == TimelineEntry.Kind.BREAK_GLASS]
    if not broken:
        return []
    lines = ["", _heading(_("Break-glass")), ""]
    for entry in broken:
        ran = {
            "who": entry.actor.username if entry.actor else "—",
            "step": entry.run.step_title if entry.run else entry.data.get("step_id", "?"),
            "target": entry.run.target if entry.run else "?",
            "reason": entry.data.get("reason", ""),
        }
        said = _("%(who)s ran “%(step)s” on %(target)s unapproved: %(reason)s") % ran
        lines.append(f"- {_clock(entry.at)} {said}")
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
    if recovery is None:
        return _("- RTO %(hours)s h: still running (not resolved yet)") % {"hours": f"{hours:g}"}
    fact = {"hours": f"{hours:g}", "duration": duration_text(recovery)}
    if recovery <= hours * 3600:
        return _("- RTO %(hours)s h: met: recovered in %(duration)s") % fact
    return _("- RTO %(hours)s h: broken: recovered in %(duration)s") % fact


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
    hours = f"{rpo:g}"
    if restore is None and backup_time is None:
        return _("- RPO %(hours)s h: no data was restored") % {"hours": hours}
    if backup_time is None:
        key = restore.params.get("backup_key") or _("a backup")
        return _("- RPO %(hours)s h: restored %(key)s; its age is not known") % {
            "hours": hours,
            "key": key,
        }
    if restore is None:
        return _(
            "- RPO %(hours)s h: the last good backup is from %(at)s; nothing was restored from it"
        ) % {"hours": hours, "at": _moment(backup_time)}
    loss = (restore.started_at - backup_time).total_seconds() / 3600
    window = {
        "hours": hours,
        "since": f"{timezone.localtime(backup_time):%Y-%m-%d %H:%M}",
        "until": _moment(restore.started_at),
        "loss": f"{loss:.1f}",
    }
    if loss <= rpo:
        return (
            _(
                "- RPO %(hours)s h: met (data written between %(since)s and %(until)s, "
                "%(loss)s h, was lost)"
            )
            % window
        )
    return (
        _(
            "- RPO %(hours)s h: broken: tell the customer (data written between %(since)s and "
            "%(until)s, %(loss)s h, was lost)"
        )
        % window
    )
