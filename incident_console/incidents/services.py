from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incident_console.accounts.roles import COMMAND, RESPOND, require
from incident_console.errors import Conflict, InvalidInput, NotFound
from incident_console.i18n import in_site_language
from incident_console.incidents.labels import status_label
from incident_console.incidents.models import Incident, Scenario, Severity, TimelineEntry
from incident_console.incidents.runbook_text import lazily_shown, scenario_title
from incident_console.incidents.timeline import timeline_add
from incident_console.notifications.escalation import escalations_arm
from incident_console.oncall.paging import page_start
from runbooks.loader import LoadReport, load_runbook_dirs

log = logging.getLogger(__name__)


def scenarios_sync(*, dirs: Iterable[Path] | None = None) -> LoadReport:
    """Bring the Scenario table in line with the runbook files; bad files are reported, not fatal.

    A scenario whose file disappeared is deactivated, never deleted: incidents point at it.
    """
    report = load_runbook_dirs(dirs if dirs is not None else settings.RUNBOOK_DIRS)
    with transaction.atomic():
        seen = []
        for loaded in report.runbooks:
            runbook = loaded.runbook
            recovery = runbook.expected_recovery
            Scenario.objects.update_or_create(
                slug=runbook.slug,
                defaults={
                    "title": runbook.title,
                    "title_ru": runbook.title_ru,
                    "kind": runbook.kind,
                    "severity": runbook.severity,
                    "alerts": runbook.alerts,
                    "symptoms": runbook.symptoms,
                    "expected_recovery_min": recovery.min_minutes if recovery else None,
                    "expected_recovery_max": recovery.max_minutes if recovery else None,
                    "definition": runbook.model_dump(mode="json", by_alias=True),
                    "version": loaded.version,
                    "source_path": str(loaded.path),
                    "is_active": True,
                },
            )
            seen.append(runbook.slug)
        broken = {error.path.stem for error in report.errors}
        # A file that fails to load keeps its last good version active rather than vanishing.
        Scenario.objects.exclude(slug__in=seen).exclude(slug__in=broken).update(is_active=False)
    return report


def incident_open(
    *,
    scenario_slug: str,
    title: str,
    severity: str | None,
    actor,
    system: bool = False,
    is_drill: bool = False,
    labels: dict | None = None,
    alert_group_key: str = "",
    restricted: bool = False,
) -> Incident:
    """Open an incident of a scenario, arm its escalation timers and announce it.

    ``system`` opens are the console's own (alerts, drills) and need no user's role.
    It opens restricted when asked to or when its runbook says ``restricted: true``; only a
    commander can lift that later (``incident_restrict``).
    """
    if not system:
        require(actor, RESPOND, gettext_lazy("opening an incident"))
    scenario = Scenario.objects.filter(slug=scenario_slug, is_active=True).first()
    if scenario is None:
        raise NotFound(
            _("no scenario %(slug)s") % {"slug": repr(scenario_slug)},
            fields={"scenario": _("unknown scenario")},
        )
    title = (title or "").strip() or in_site_language(_scenario_title(scenario))
    severity = severity or scenario.severity
    if severity not in Severity.values:
        raise InvalidInput(
            _("invalid severity"), fields={"severity": _("must be sev1, sev2, sev3 or sev4")}
        )
    with transaction.atomic():
        incident = Incident.objects.create(
            scenario=scenario,
            title=title[:200],
            severity=severity,
            opened_by=actor,
            commander=actor,
            is_drill=is_drill,
            labels=labels or {},
            alert_group_key=alert_group_key,
            restricted=restricted or scenario.restricted,
        )
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.INCIDENT_OPENED,
            message=_opened_message(incident, scenario),
            actor=actor,
            data={
                "scenario": scenario.slug,
                "runbook_version": scenario.version,
                "restricted": incident.restricted,
            },
        )
        escalations_arm(incident)
        announce_opened(incident, actor)
        page_start(incident)
    return incident


def _opened_message(incident: Incident, scenario: Scenario):
    if incident.is_drill:
        opened = gettext_lazy("Opened {severity} drill “{title}” ({scenario})")
    else:
        opened = gettext_lazy("Opened {severity} incident “{title}” ({scenario})")
    opened = format_lazy(
        opened, severity=incident.severity.upper(), title=incident.title, scenario=scenario.title
    )
    if not incident.restricted:
        return opened
    return format_lazy(
        "{}{}", opened, gettext_lazy(", restricted to its participants and commanders")
    )


def _scenario_title(scenario: Scenario):
    """The scenario's title as lazy text: in the site's language where it is stored or sent."""
    return lazily_shown(scenario_title(scenario.definition, scenario.title))


def announce_opened(incident: Incident, actor) -> None:
    from incident_console.notifications.services import notify

    who = getattr(actor, "username", None) or "alertmanager"
    subject = format_lazy(
        gettext_lazy("[{severity}] #{number} opened: {title}"),
        severity=incident.severity.upper(),
        number=incident.pk,
        title=incident.title,
    )
    opened_by = format_lazy(
        gettext_lazy("{scenario} — opened by {who}"),
        scenario=_scenario_title(incident.scenario),
        who=who,
    )
    notify(
        incident=incident,
        subject=in_site_language(subject),
        body=f"{in_site_language(opened_by)}\n"
        f"{settings.CONSOLE_URL.rstrip('/')}{incident.get_absolute_url()}",
        reason="opened",
        quiet=True,
    )


STATUS_TIMESTAMPS = {
    Incident.Status.ACKNOWLEDGED: "acknowledged_at",
    Incident.Status.MITIGATED: "mitigated_at",
    Incident.Status.RESOLVED: "resolved_at",
    Incident.Status.CLOSED: "closed_at",
}


def incident_transition_role(to: str) -> str:
    """The role a move to ``to`` needs: responders may acknowledge; every other move is the
    commander's.  The page's buttons follow the same rule."""
    return RESPOND if to == Incident.Status.ACKNOWLEDGED else COMMAND


def incident_transition(
    *, incident: Incident, to: str, actor, note: str = "", system: bool = False
) -> Incident:
    """Move an incident along its lifecycle; a move that makes no sense is refused."""
    if to not in Incident.Status.values:
        raise InvalidInput(
            _("unknown status %(status)s") % {"status": repr(to)},
            fields={"status": _("unknown status")},
        )
    if not system:
        moving = format_lazy(
            gettext_lazy("moving the incident to {status}"), status=status_label(to)
        )
        require(actor, incident_transition_role(to), moving)
    current = incident.status
    if to not in Incident.TRANSITIONS[current]:
        allowed = ", ".join(str(status_label(status)) for status in Incident.TRANSITIONS[current])
        raise Conflict(
            _("an incident that is %(current)s cannot become %(to)s (it can become %(allowed)s)")
            % {"current": status_label(current), "to": status_label(to), "allowed": allowed}
        )
    now = timezone.now()
    changes = {"status": to, "updated_at": now}
    if to in STATUS_TIMESTAMPS and getattr(incident, STATUS_TIMESTAMPS[to]) is None:
        changes[STATUS_TIMESTAMPS[to]] = now
    if to == Incident.Status.OPEN:
        changes.update(resolved_at=None, closed_at=None)
    with transaction.atomic():
        if Incident.objects.filter(pk=incident.pk, status=current).update(**changes) != 1:
            raise Conflict(_("someone else changed the incident's status first; reload"))
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.STATUS_CHANGED,
            message=_status_changed_message(current, to, note),
            actor=actor,
            data={"from": current, "to": to},
        )
        incident.refresh_from_db()
        transaction.on_commit(lambda: _after_status_change(incident.pk))
    return incident


def _status_changed_message(current: str, to: str, note: str):
    if to == Incident.Status.OPEN:
        verb = gettext_lazy("Reopened")
    else:
        verb = format_lazy("{} → {}", status_label(current), status_label(to))
    return format_lazy("{}: {}", verb, note) if note else verb


def _after_status_change(incident_id: int) -> None:
    from incident_console.notifications.escalation import escalations_stop_for

    escalations_stop_for(incident_id)


def incident_note_add(*, incident: Incident, text: str, actor) -> TimelineEntry:
    require(actor, RESPOND, gettext_lazy("writing a note"))
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("a note needs text"), fields={"text": _("must not be empty")})
    return timeline_add(
        incident=incident, kind=TimelineEntry.Kind.NOTE, message=text[:5000], actor=actor
    )


def incident_update(*, incident: Incident, actor, **changes) -> Incident:
    """Set the commander, the communications lead, the impact summary, the severity or the
    title (commander only).  Each change goes on the timeline as old → new."""
    require(actor, COMMAND, gettext_lazy("changing the incident"))
    fields = _validated_changes(changes)
    changed = {
        name: (_shown(getattr(incident, name)), _shown(value))
        for name, value in fields.items()
        if getattr(incident, name) != value
    }
    if not changed:
        raise InvalidInput(_("nothing to change: the values are the incident's already"))
    with transaction.atomic():
        for name in changed:
            setattr(incident, name, fields[name])
        incident.save(update_fields=[*changed, "updated_at"])
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.UPDATED,
            message=_changed_message(changed),
            actor=actor,
            data={"changes": {name: [old, new] for name, (old, new) in changed.items()}},
        )
    return incident


CHANGE_LABELS = {
    "commander": gettext_lazy("commander"),
    "comms_lead": gettext_lazy("communications lead"),
    "impact": gettext_lazy("impact"),
    "severity": gettext_lazy("severity"),
    "title": gettext_lazy("title"),
}


def _changed_message(changed: dict[str, tuple[str, str]]):
    described = [
        format_lazy("{} {} → {}", CHANGE_LABELS[name], old, new)
        for name, (old, new) in changed.items()
    ]
    joined = format_lazy("; ".join(["{}"] * len(described)), *described)
    return format_lazy(gettext_lazy("Changed {changes}"), changes=joined)


def _validated_changes(changes: dict) -> dict:
    fields = {}
    if "commander" in changes:
        fields["commander"] = _commander(changes["commander"])
    if "comms_lead" in changes:
        fields["comms_lead"] = _person(changes["comms_lead"], field="comms_lead")
    if "impact" in changes:
        fields["impact"] = str(changes["impact"] or "")[:5000]
    if "severity" in changes:
        if changes["severity"] not in Severity.values:
            raise InvalidInput(_("invalid severity"), fields={"severity": _("must be sev1 … sev4")})
        fields["severity"] = changes["severity"]
    if "title" in changes:
        title = str(changes["title"] or "").strip()
        if not title:
            raise InvalidInput(_("a title is needed"), fields={"title": _("must not be empty")})
        fields["title"] = title[:200]
    if not fields:
        raise InvalidInput(_("nothing to change"))
    return fields


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    text = getattr(value, "username", value)
    return f"“{text}”" if isinstance(value, str) and " " in value else str(text)


def incident_restrict(*, incident: Incident, restricted: bool, actor) -> Incident:
    """Restrict an incident to its participants and commanders, or open it to everyone.

    Commander only; the change is a compare-and-set and goes on the timeline.
    """
    require(actor, COMMAND, gettext_lazy("restricting an incident or lifting it"))
    with transaction.atomic():
        changed = Incident.objects.filter(pk=incident.pk, restricted=not restricted).update(
            restricted=restricted, updated_at=timezone.now()
        )
        if changed != 1:
            if restricted:
                raise Conflict(_("the incident is already restricted"))
            raise Conflict(_("the incident is already not restricted"))
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.UPDATED,
            message=gettext_lazy("Restricted to its participants and commanders")
            if restricted
            else gettext_lazy("Opened to everyone who can sign in"),
            actor=actor,
            data={"restricted": restricted},
        )
        incident.refresh_from_db()
    return incident


def incident_member_add(*, incident: Incident, username: str, actor):
    """Bring someone into an incident, so that they see it while it is restricted.

    Anyone who can act on the incident (responder role, and able to see it) may add people.
    """
    require(actor, RESPOND, gettext_lazy("adding someone to an incident"))
    member = _active_user(username, field="username")
    if incident.members.filter(pk=member.pk).exists():
        raise Conflict(_("%(username)s is already in the incident") % {"username": member.username})
    with transaction.atomic():
        incident.members.add(member)
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.UPDATED,
            message=format_lazy(
                gettext_lazy("Added {username} to the incident"), username=member.username
            ),
            actor=actor,
            data={"member": member.username},
        )
    return member


def _active_user(username, *, field: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise InvalidInput(
            _("no such user"),
            fields={field: _("no active user %(username)s") % {"username": repr(username)}},
        )
    return user


def _commander(username):
    commander = _person(username, field="commander")
    if commander is not None and not commander.has_perm(COMMAND):
        raise InvalidInput(
            _("only a commander can lead an incident"),
            fields={
                "commander": _("%(username)s does not have the commander role")
                % {"username": commander.username}
            },
        )
    return commander


def _person(username, *, field: str):
    if username in (None, ""):
        return None
    return _active_user(username, field=field)
