"""Who may see which incident: the one rule every page, API endpoint and socket applies.

A restricted incident exists only for commanders and its participants: whoever opened it,
its incident commander, the members brought into it, and anyone who has an entry on its
timeline (every run, approval, cancel, mark, note and status change adds one with its actor).
For everyone else it is not found, never forbidden, so its existence does not leak.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from incident_console.accounts.roles import COMMAND
from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.runs.models import StepRun


def incidents_visible_to(user, incidents: QuerySet[Incident] | None = None) -> QuerySet[Incident]:
    """``incidents`` (default: all) narrowed to those ``user`` may see."""
    incidents = Incident.objects.all() if incidents is None else incidents
    if user is None or not user.is_authenticated:
        return incidents.none()
    if user.has_perm(COMMAND):
        return incidents
    return incidents.filter(_participant_of(user))


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
