"""Who may see which incident: the one rule every page, API endpoint and socket applies.

A restricted incident exists only for commanders and its participants: whoever opened it,
its incident commander, the members brought into it, and anyone who has an entry on its
timeline (every run, approval, cancel, mark, note and status change adds one with its actor).
For everyone else it is not found, never forbidden, so its existence does not leak.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from incident_console.accounts.roles import COMMAND
from incident_console.errors import InvalidInput
from incident_console.incidents.models import Incident, Scenario, TimelineEntry
from incident_console.runs.models import StepRun


def incidents_visible_to(user, incidents: QuerySet[Incident] | None = None) -> QuerySet[Incident]:
    """``incidents`` (default: all) narrowed to those ``user`` may see."""
    incidents = Incident.objects.all() if incidents is None else incidents
    if user is None or not user.is_authenticated:
        return incidents.none()
    if user.has_perm(COMMAND):
        return incidents
    return incidents.filter(_participant_of(user))


def incidents_listed_for(user) -> QuerySet[Incident]:
    """The incidents ``user`` may see, for a page that lists many with their scenario."""
    # prefetch, not select_related: each scenario's definition (kilobytes of JSON) is read and
    # decoded once, not once per row.
    return incidents_visible_to(user).prefetch_related("scenario")


def incident_visible_to(incident: Incident, user) -> bool:
    return incidents_visible_to(user, Incident.objects.filter(pk=incident.pk)).exists()


def runs_visible_to(user, runs: QuerySet[StepRun] | None = None) -> QuerySet[StepRun]:
    """``runs`` (default: all) narrowed to those of incidents ``user`` may see."""
    runs = StepRun.objects.all() if runs is None else runs
    if user is None or not user.is_authenticated:
        return runs.none()
    if user.has_perm(COMMAND):
        return runs
    return runs.filter(incident__in=incidents_visible_to(user))


def _participant_of(user) -> Q:
    # Exists keeps one row per incident; OR-ing joins over the timeline would multiply them.
    member = Incident.members.through.objects.filter(incident_id=OuterRef("pk"), user_id=user.pk)
    acted = TimelineEntry.objects.filter(incident_id=OuterRef("pk"), actor_id=user.pk)
    return (
        Q(restricted=False)
        | Q(opened_by_id=user.pk)
        | Q(commander_id=user.pk)
        | Q(Exists(member))
        | Q(Exists(acted))
    )


def latest_runs(incident: Incident) -> dict[str, StepRun]:
    """Each step's most recent run (with its requester), keyed by step id."""
    runs = incident.runs.select_related("created_by").order_by("created_at", "pk")
    return {run.step_id: run for run in runs}


def latest_run_of_step(incident: Incident, step_id: str) -> StepRun | None:
    runs = incident.runs.select_related("created_by").filter(step_id=step_id)
    return runs.order_by("-created_at", "-pk").first()


FILTERS = {
    "status": "open, acknowledged, mitigated, resolved or closed",
    "scenario": "scenario slug",
    "severity": "sev1 … sev4",
    "opened_after": "YYYY-MM-DD",
    "opened_before": "YYYY-MM-DD",
    "q": "words in the title, impact or notes",
}


def incidents_filtered(incidents: QuerySet[Incident], params) -> QuerySet[Incident]:
    """The review list's filters, shared by the API and the page; a bad value is InvalidInput."""
    for name, field in (
        ("status", "status"),
        ("scenario", "scenario__slug"),
        ("severity", "severity"),
    ):
        if params.get(name):
            incidents = incidents.filter(**{field: params[name]})
    for name, lookup in (
        ("opened_after", "opened_at__date__gte"),
        ("opened_before", "opened_at__date__lte"),
    ):
        if params.get(name):
            try:
                incidents = incidents.filter(**{lookup: date.fromisoformat(params[name])})
            except ValueError:
                message = _("must be a date, YYYY-MM-DD")
                raise InvalidInput(f"{name}: {message}", fields={name: message}) from None
    if params.get("q"):
        words = params["q"].strip()[:200]
        incidents = incidents.filter(
            Q(title__folded_contains=words)
            | Q(impact__folded_contains=words)
            | Q(timeline__kind="note", timeline__message__folded_contains=words)
        ).distinct()
    return incidents


def incidents_open_by_urgency(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """The open ones among ``incidents``, with what the dashboard shows of them: most severe
    first (sev1 sorts before sev2 …), then the oldest, which has waited longest."""
    active = incidents.filter(status__in=Incident.ACTIVE_STATUSES)
    shown = ("severity", "title", "restricted", "scenario", "status", "opened_at")
    return active.only(*shown).order_by("severity", "opened_at", "pk")


def scenarios_to_open() -> list[Scenario]:
    """Active scenarios in the site's order (the runbooks' ``order``), then the unordered ones:
    scenarios before procedures, each by slug."""
    return sorted(Scenario.objects.filter(is_active=True), key=_site_place)


def _site_place(scenario: Scenario) -> tuple:
    order = scenario.definition.get("order")
    return (order is None, order or 0, scenario.kind != "scenario", scenario.slug)
