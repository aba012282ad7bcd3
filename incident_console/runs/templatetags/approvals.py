"""Pending approval requests, as the dashboard and the incident page list them."""

from __future__ import annotations

from django import template

from incident_console.runs.approvals import approvals_pending

register = template.Library()


@register.inclusion_tag("runs/_pending_approvals.html", takes_context=True)
def pending_approvals(context):
    """Every request waiting on incidents the user may see; those the user can approve (a
    commander other than the requester) are marked."""
    user = context["request"].user
    pending = approvals_pending(user)
    for run in pending:
        run.yours_to_approve = user.has_perm("incidents.command") and run.created_by_id != user.pk
    return {"pending": pending}
