"""The postmortem page: written sections with a live preview, action items, the download."""

from __future__ import annotations

import json
from datetime import date

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from incident_console.accounts.roles import RESPOND
from incident_console.errors import ServiceError
from incident_console.incidents.postmortem import postmortem_markdown, recorded_markdown
from incident_console.incidents.selectors import incidents_visible_to
from incident_console.postmortems import services
from incident_console.postmortems.models import Postmortem
from incident_console.postmortems.rendering import markdown_html
from incident_console.postmortems.selectors import action_item_visible_to

SECTION_TITLES = {
    "summary": gettext_lazy("Summary"),
    "impact": gettext_lazy("Impact"),
    "root_cause": gettext_lazy("Root cause"),
    "went_well": gettext_lazy("What went well"),
    "went_badly": gettext_lazy("What went badly"),
}


def _incident(request, pk: int):
    return get_object_or_404(incidents_visible_to(request.user), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def postmortem_page(request, pk: int):
    incident = _incident(request, pk)
    if request.method == "POST":
        sections = {name: request.POST.get(name, "") for name in Postmortem.WRITTEN_SECTIONS}
        try:
            services.postmortem_update(incident=incident, actor=request.user, sections=sections)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("Postmortem saved"))
        return redirect("postmortem", pk=incident.pk)
    return render(request, "postmortems/postmortem.html", _context(request, incident))


def _context(request, incident) -> dict:
    postmortem = services.postmortem_of(incident)
    if not postmortem.impact:
        postmortem.impact = incident.impact
    return {
        "incident": incident,
        "postmortem": postmortem,
        "sections": [
            (name, title, getattr(postmortem, name), markdown_html(getattr(postmortem, name)))
            for name, title in SECTION_TITLES.items()
        ],
        "recorded": markdown_html(recorded_markdown(incident)),
        "actions": postmortem.actions.select_related("owner"),
        "people": get_user_model().objects.filter(is_active=True).order_by("username"),
        "may_edit": request.user.has_perm(RESPOND),
    }


@login_required
@require_POST
def postmortem_preview(request, pk: int):
    """The Markdown the person is typing, rendered the way the page and export will show it."""
    _incident(request, pk)
    try:
        text = json.loads(request.body or b"{}").get("text", "")
    except (ValueError, AttributeError):
        return JsonResponse({"detail": gettext('send {"text": …} as JSON')}, status=400)
    return JsonResponse({"html": str(markdown_html(str(text)))})


@login_required
@require_POST
def action_item_add(request, pk: int):
    incident = _incident(request, pk)
    try:
        due = date.fromisoformat(request.POST["due"]) if request.POST.get("due") else None
        services.action_item_add(
            incident=incident,
            actor=request.user,
            text=request.POST.get("text", ""),
            owner_username=request.POST.get("owner", ""),
            due=due,
        )
    except ValueError:
        messages.error(request, gettext("The due date must be a date like 2026-12-31"))
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("postmortem", pk=incident.pk)


@login_required
@require_POST
def action_item_done(request, pk: int):
    item = action_item_visible_to(request.user, pk)
    if item is None:
        return HttpResponse(gettext("No such action item"), status=404)
    try:
        services.action_item_set_done(
            item=item, actor=request.user, done=request.POST.get("done") == "1"
        )
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("postmortem", pk=item.postmortem.incident_id)


@login_required
def postmortem_download(request, pk: int):
    incident = _incident(request, pk)
    text = postmortem_markdown(incident, base_url=request.build_absolute_uri("/")[:-1])
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="postmortem-{incident.pk}.md"'
    return response
