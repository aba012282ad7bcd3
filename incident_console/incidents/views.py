from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from incident_console.accounts.roles import COMMAND, RESPOND
from incident_console.errors import InvalidInput, ServiceError
from incident_console.incidents import services
from incident_console.incidents.guide import incident_guide
from incident_console.incidents.labels import SEVERITY_CHOICES, STATUS_CHOICES
from incident_console.incidents.models import (
    Contact,
    EscalationLevel,
    Incident,
    Scenario,
)
from incident_console.incidents.selectors import (
    incidents_filtered,
    incidents_listed_for,
    incidents_open_by_urgency,
    incidents_visible_to,
    runs_visible_to,
    scenarios_to_open,
)
from incident_console.incidents.sla import rto_clock
from incident_console.incidents.step_cards import may, step_card_of, step_cards, transitions_for
from incident_console.incidents.timeline import INCIDENT_CHANGES
from incident_console.notifications.selectors import undelivered_by_incident, undelivered_of
from incident_console.runs.models import OutputChunk, StepRun

TIMELINE_PREVIEW = 50


@login_required
def dashboard(request):
    incidents = incidents_listed_for(request.user)
    active = incidents_open_by_urgency(incidents)
    recent = incidents.exclude(status__in=Incident.ACTIVE_STATUSES)[:20]
    context = {
        "active": active,
        "recent": recent,
        "undelivered": undelivered_by_incident(request.user),
    }
    return render(request, "incidents/dashboard.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request):
    scenarios = scenarios_to_open()
    form = {
        "scenario": request.GET.get("scenario", ""),
        "title": "",
        "severity": "",
        "restricted": False,
    }
    if request.method == "POST":
        form = {key: request.POST.get(key, "").strip() for key in ("scenario", "title", "severity")}
        form["restricted"] = request.POST.get("restricted") == "on"
        try:
            incident = services.incident_open(
                scenario_slug=form["scenario"],
                title=form["title"],
                severity=form["severity"] or None,
                actor=request.user,
                restricted=form["restricted"],
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            return redirect(incident)
    context = {"scenarios": scenarios, "severities": SEVERITY_CHOICES, "form": form}
    return render(request, "incidents/incident_new.html", context, status=_status(request))


def _status(request) -> int:
    return 400 if request.method == "POST" else 200


@login_required
def incident_detail(request, pk: int):
    incident = _visible_incident(request, pk)
    timeline = incident.timeline.select_related("actor").order_by("-at", "-pk")[:TIMELINE_PREVIEW]
    context = {
        **_head_context(incident, request.user),
        "contacts": Contact.objects.all(),
        "escalation_levels": EscalationLevel.objects.all(),
        "scenario": incident.scenario,
        "steps": step_cards(incident, request.user),
        "guide": incident_guide(incident),
        "timeline": timeline,
        "page_state": _page_state(incident),
    }
    return render(request, "incidents/incident_detail.html", context)


@login_required
def incident_head(request, pk: int):
    """The incident's status, lifecycle controls and impact, as the page swaps them in."""
    incident = _visible_incident(request, pk)
    return render(request, "incidents/_incident_head.html", _head_context(incident, request.user))


@login_required
def step_card_fragment(request, pk: int, step_id: str):
    """One step's card, rendered for this user as the page shows it, to swap in place."""
    incident = _visible_incident(request, pk)
    step = step_card_of(incident, step_id, request.user)
    if step is None:
        raise Http404("the scenario has no such step")
    return render(request, "incidents/_step_card.html", {"incident": incident, "step": step})


def _head_context(incident: Incident, user) -> dict:
    return {
        "incident": incident,
        "transitions": transitions_for(incident, user),
        "may_command": may(user, COMMAND),
        "clock": rto_clock(incident),
        "rto_hours": settings.SLA_RTO_HOURS,
        "members": incident.members.order_by("username"),
        "undelivered": undelivered_of(incident),
        "may_respond": may(user, RESPOND),
    }


def _page_state(incident: Incident) -> dict:
    # The browser reads these sets instead of restating them.
    return {
        "incident": incident.pk,
        "finished_statuses": [
            str(status) for status in StepRun.Status if status not in StepRun.ACTIVE_STATUSES
        ],
        "incident_changes": {str(kind): what for kind, what in INCIDENT_CHANGES.items()},
    }


def _visible_incident(request, pk: int) -> Incident:
    """The incident, or a 404 when it does not exist or is restricted and not for this user."""
    incidents = incidents_visible_to(request.user).select_related("scenario", "opened_by")
    return get_object_or_404(incidents, pk=pk)


TIMELINE_PAGE = 500


def _gap(delta) -> str:
    """+0.2 s, +45 s, +3 min 12 s, +2 h 05 min: the time since the entry before."""
    seconds = delta.total_seconds()
    if seconds < 10:
        return _("+%(seconds)s s") % {"seconds": f"{seconds:.1f}"}
    if seconds < 60:
        return _("+%(seconds)s s") % {"seconds": f"{seconds:.0f}"}
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return _("+%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": f"{rest:02d}"}
    return _("+%(hours)s h %(minutes)s min") % {
        "hours": minutes // 60,
        "minutes": f"{minutes % 60:02d}",
    }


@login_required
def incident_timeline(request, pk: int):
    """Every event in order with the time since the one before, a page of 500 at a time."""
    incident = _visible_incident(request, pk)
    ordered = incident.timeline.select_related("actor", "run").order_by("at", "pk")
    page = Paginator(ordered, TIMELINE_PAGE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    previous = incident.opened_at
    if entries and page.number > 1:
        previous = ordered.filter(pk__lt=entries[0].pk).values_list("at", flat=True).last()
    for entry in entries:
        entry.since_previous = _gap(entry.at - previous)
        previous = entry.at
    context = {"incident": incident, "entries": entries, "page": page}
    return render(request, "incidents/incident_timeline.html", context)


@login_required
def run_output_text(request, pk: int):
    run = get_object_or_404(runs_visible_to(request.user), pk=pk)
    chunks = OutputChunk.objects.filter(run=run).order_by("seq").values_list("text", flat=True)
    header = f"# {run.step_title}\n# $ {run.command_display}\n# status: {run.status}\n"
    response = StreamingHttpResponse(
        _stream(header, chunks.iterator(chunk_size=500)), content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="run-{run.pk}.txt"'
    return response


def _stream(header: str, texts):
    yield header
    yield from texts


@login_required
def incident_list(request):
    """The review list: every incident, filtered like the API."""
    incidents = incidents_listed_for(request.user)
    try:
        incidents = incidents_filtered(incidents, request.GET)
        error = ""
    except InvalidInput as exc:
        error = exc.message
        incidents = incidents.none()
    context = {
        "incidents": incidents[:500],
        "scenarios": Scenario.objects.all(),
        "severities": SEVERITY_CHOICES,
        "statuses": STATUS_CHOICES,
        "filters": request.GET,
        "error": error,
    }
    return render(request, "incidents/incident_list.html", context, status=400 if error else 200)
