from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction

from incident_console.accounts.roles import RESPOND, require
from incident_console.errors import InvalidInput, NotFound
from incident_console.incidents.models import Incident, Scenario, Severity, TimelineEntry
from incident_console.incidents.timeline import timeline_add
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


def incident_open(*, scenario_slug: str, title: str, severity: str | None, actor) -> Incident:
    """Open an incident of a scenario and write it on the new timeline."""
    require(actor, RESPOND, "opening an incident")
    scenario = Scenario.objects.filter(slug=scenario_slug, is_active=True).first()
    if scenario is None:
        raise NotFound(f"no scenario {scenario_slug!r}", fields={"scenario": "unknown scenario"})
    title = (title or "").strip() or scenario.title
    severity = severity or scenario.severity
    if severity not in Severity.values:
        raise InvalidInput(
            "invalid severity", fields={"severity": "must be sev1, sev2, sev3 or sev4"}
        )
    with transaction.atomic():
        incident = Incident.objects.create(
            scenario=scenario, title=title[:200], severity=severity, opened_by=actor
        )
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.INCIDENT_OPENED,
            message=f"Opened {severity.upper()} incident “{incident.title}” ({scenario.title})",
            actor=actor,
            data={"scenario": scenario.slug, "runbook_version": scenario.version},
        )
    return incident
