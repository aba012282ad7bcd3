"""{{ incident.status|status_label }}: an incident's status in the reader's language."""

from __future__ import annotations

from django import template

from incident_console.incidents import labels

register = template.Library()

register.filter("status_label", labels.status_label)
register.filter("transition_label", labels.transition_label)
