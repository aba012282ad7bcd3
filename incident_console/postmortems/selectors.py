"""What the postmortem pages read."""

from __future__ import annotations

from django.db.models import F, QuerySet

from incident_console.incidents.selectors import incidents_visible_to
from incident_console.postmortems.models import ActionItem


def action_items_visible_to(user) -> QuerySet[ActionItem]:
    """Action items of every incident ``user`` may see: open ones first, the soonest due first."""
    return (
        ActionItem.objects.filter(postmortem__incident__in=incidents_visible_to(user))
        .select_related("owner", "postmortem__incident")
        .order_by("done", F("due").asc(nulls_last=True), "pk")
    )


def action_item_visible_to(user, pk: int) -> ActionItem | None:
    return action_items_visible_to(user).filter(pk=pk).first()
