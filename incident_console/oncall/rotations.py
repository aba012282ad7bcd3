"""Who is on call now and next, from the site's rotation.yaml and the console's overrides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from incident_console.incidents.models import Contact, EscalationLevel
from incident_console.oncall.models import RotationOverride
from incident_console.site import current_site
from runbooks.rotation import Cover, OnCall, on_call, on_call_next


@dataclass
class LevelOnCall:
    level: EscalationLevel
    now: OnCall
    next: OnCall
    contacts: dict[str, Contact]


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def overrides(level: int | None = None) -> list[Cover]:
    """The site's overrides, then the console's (so the console's win on the same day)."""
    covers = list(current_site().rotation.overrides)
    rows = RotationOverride.objects.select_related("contact").order_by("created_at", "pk")
    covers += [
        Cover(
            level=row.level,
            role=row.contact.role,
            first_day=row.first_day,
            last_day=row.last_day,
            duty=row.duty,
        )
        for row in rows
    ]
    return [cover for cover in covers if level is None or cover.level == level]


def on_call_by_level(at: datetime | None = None) -> list[LevelOnCall]:
    """Each level that has a rotation, with who is on call at ``at`` and at the next handover."""
    at = at or timezone.now()
    rotation = current_site().rotation
    covers = overrides()
    contacts = {contact.role: contact for contact in Contact.objects.all()}
    found = []
    for level in EscalationLevel.objects.order_by("level"):
        turns = rotation.for_level(level.level)
        if turns is None:
            continue
        found.append(
            LevelOnCall(
                level=level,
                now=on_call(turns, covers, at, site_zone()),
                next=on_call_next(turns, covers, at, site_zone()),
                contacts=contacts,
            )
        )
    return found


def page_chain(at: datetime) -> list[dict]:
    """Whom a page goes to, in order: each rotating level's primary then secondary, each other
    level's contacts all at once."""
    rotating = {entry.level.level: entry.now for entry in on_call_by_level(at)}
    chain = []
    for level in EscalationLevel.objects.order_by("level").prefetch_related("contacts"):
        now = rotating.get(level.level)
        if now is not None:
            chain.append({"level": level.level, "duty": "primary", "roles": [now.primary]})
            chain.append({"level": level.level, "duty": "secondary", "roles": [now.secondary]})
            continue
        roles = sorted(contact.role for contact in level.contacts.all())
        if roles:
            chain.append({"level": level.level, "duty": "level", "roles": roles})
    return chain


def ack_minutes(severity: str) -> float | None:
    """Minutes a page of this severity waits for an answer; None: the severity is not paged."""
    return current_site().rotation.ack_minutes.get(severity)  # type: ignore[call-overload]
