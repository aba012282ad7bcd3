"""The commanders' controls for changing an incident: title, severity, commander, comms lead."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.contrib.auth import get_user_model

from incident_console.accounts.roles import COMMAND, RESPOND
from incident_console.incidents.labels import SEVERITY_CHOICES
from incident_console.incidents.step_cards import may

register = template.Library()


@register.inclusion_tag("incidents/_incident_edit.html", takes_context=True)
def incident_edit_form(context, incident):
    """Rendered only for commanders: the API refuses everyone else the same change."""
    user = context["request"].user
    if not may(user, COMMAND):
        return {"shown": False}
    people = list(get_user_model().objects.filter(is_active=True).order_by("username"))
    return {
        "shown": True,
        "incident": incident,
        "severities": SEVERITY_CHOICES,
        "commanders": [person for person in people if may(person, COMMAND)],
        "leads": [person for person in people if may(person, RESPOND)],
    }


@register.simple_tag
def break_glass_min_reason() -> int:
    return settings.BREAK_GLASS_MIN_REASON
