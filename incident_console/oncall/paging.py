"""Paging the people on call: the primary, then the secondary, then the next level, each after
the severity's minutes without an acknowledgement; every step on the incident's timeline.

A page is a row advanced by compare-and-set on its step, so two ticks never page one step twice
and a restart loses nothing: the next tick pages what fell due.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, pgettext_lazy

from incident_console.accounts.roles import COMMAND, require
from incident_console.errors import Conflict, InvalidInput
from incident_console.incidents.models import Contact, Incident, TimelineEntry
from incident_console.incidents.timeline import timeline_add
from incident_console.notifications.channels import configured_channels
from incident_console.notifications.models import Notification
from incident_console.notifications.services import notify
from incident_console.oncall.models import AckToken, Page
from incident_console.oncall.rotations import ack_minutes, page_chain

DUTY_WORDS = {
    "primary": pgettext_lazy("on-call duty", "primary"),
    "secondary": pgettext_lazy("on-call duty", "secondary"),
    "level": pgettext_lazy("on-call duty", "everyone"),
    "rerouted": pgettext_lazy("on-call duty", "re-routed by a commander"),
}


def page_start(incident: Incident) -> Page | None:
    """Page the incident's first person on call, if its severity is paged, anyone is on call and
    a channel can carry it (a console with none configured says so in its setup banner)."""
    minutes = ack_minutes(incident.severity)
    chain = page_chain(timezone.now()) if minutes else []
    if not chain or not configured_channels():
        return None
    page = Page.objects.create(incident=incident, chain=chain, ack_minutes=minutes)
    _page_step(page, 0)
    return page


def pages_advance_due(*, now=None) -> int:
    """Page the next step of every page whose wait ran out; a page of an incident acknowledged
    in the console meanwhile stops instead."""
    now = now or timezone.now()
    advanced = 0
    due = Page.objects.filter(status=Page.Status.PAGING, due_at__lte=now).select_related("incident")
    for page in due:
        with transaction.atomic():
            if page.incident.status != Incident.Status.OPEN:
                _stop_answered_in_console(page, now)
            elif _advance(page, now):
                advanced += 1
    return advanced


def _advance(page: Page, now) -> bool:
    step = page.step + 1
    if step >= len(page.chain):
        claimed = Page.objects.filter(pk=page.pk, step=page.step, status=Page.Status.PAGING)
        if claimed.update(status=Page.Status.EXHAUSTED, due_at=None) == 1:
            timeline_add(
                incident=page.incident,
                kind=TimelineEntry.Kind.ESCALATED,
                message=gettext_lazy("Nobody acknowledged the page: everyone on call was paged"),
                data={"page": page.pk, "step": page.step},
            )
        return False
    claimed = Page.objects.filter(pk=page.pk, step=page.step, status=Page.Status.PAGING)
    if claimed.update(step=step) != 1:
        return False
    page.step = step
    _page_step(page, step, waited=True)
    return True


def _stop_answered_in_console(page: Page, now) -> None:
    stopped = Page.objects.filter(pk=page.pk, status=Page.Status.PAGING).update(
        status=Page.Status.ACKNOWLEDGED,
        due_at=None,
        acknowledged_at=now,
        acknowledged_via="console",
    )
    if stopped:
        timeline_add(
            incident=page.incident,
            kind=TimelineEntry.Kind.ESCALATED,
            message=gettext_lazy("Paging stopped: the incident was acknowledged in the console"),
            data={"page": page.pk, "step": page.step},
        )


def _page_step(page: Page, step: int, *, waited: bool = False, actor=None) -> None:
    entry = page.chain[step]
    contacts = list(Contact.objects.filter(role__in=entry["roles"]).order_by("role"))
    token = AckToken.objects.create(nonce=secrets.token_urlsafe(18), page=page, step=step)
    who = step_who(entry, contacts)
    incident = page.incident
    subject = format_lazy(
        gettext_lazy("[{severity}] #{number} {title}: paging {who}"),
        severity=incident.severity.upper(),
        number=incident.pk,
        title=incident.title,
        who=who,
    )
    rows = notify(
        incident=incident,
        subject=subject,
        body=_page_body(incident, page),
        reason=f"page:{step}",
        contacts=contacts,
        actor=actor,
        what=format_lazy(gettext_lazy("Page to {who}"), who=who),
        ack_nonce=token.nonce,
        quiet=True,
    )
    due = timezone.now() + timedelta(minutes=page.ack_minutes)
    Page.objects.filter(pk=page.pk).update(due_at=due)
    _record_paged(page, step, who, rows, waited=waited, actor=actor)


def step_who(entry: dict, contacts: list[Contact]) -> str:
    """ "Lead DevOps (Ivan), primary on call, L1" """
    people = ", ".join(c.role + (f" ({c.name})" if c.name else "") for c in contacts)
    duty = DUTY_WORDS.get(entry["duty"], entry["duty"])
    return f"{people or ', '.join(entry['roles'])} — {duty}, L{entry['level']}"


def _page_body(incident: Incident, page: Page):
    return format_lazy(
        gettext_lazy(
            "Not acknowledged within {minutes:g} min, the next person on call is paged.\n{url}"
        ),
        minutes=page.ack_minutes,
        url=f"{settings.CONSOLE_URL.rstrip('/')}{incident.get_absolute_url()}",
    )


def _record_paged(page: Page, step: int, who: str, rows, *, waited: bool, actor) -> None:
    queued = sorted({row.channel for row in rows if row.status == Notification.Status.PENDING})
    if waited:
        headline = gettext_lazy("No acknowledgement in {minutes:g} min: paged {who}")
    else:
        headline = gettext_lazy("Paged {who}")
    if not queued:
        headline = gettext_lazy("Paging {who}: not sent, no notification channel is configured")
    timeline_add(
        incident=page.incident,
        kind=TimelineEntry.Kind.ESCALATED if queued else TimelineEntry.Kind.NOT_SENT,
        actor=actor,
        message=format_lazy(headline, who=who, minutes=page.ack_minutes),
        data={
            "page": page.pk,
            "step": step,
            "notify": page.chain[step]["roles"],
            "channels": queued,
        },
    )


def page_silence(*, page: Page, actor) -> Page:
    """Stop paging (a commander knows it is handled, or noise): nobody else is paged."""
    require(actor, COMMAND, gettext_lazy("silencing a page"))
    with transaction.atomic():
        stopped = Page.objects.filter(pk=page.pk, status=Page.Status.PAGING).update(
            status=Page.Status.SILENCED, due_at=None
        )
        if stopped != 1:
            raise Conflict(gettext_lazy("this page is not paging any more"))
        timeline_add(
            incident=page.incident,
            kind=TimelineEntry.Kind.ESCALATED,
            actor=actor,
            message=gettext_lazy("Paging silenced"),
            data={"page": page.pk, "step": page.step},
        )
    page.refresh_from_db()
    return page


def page_reroute(*, page: Page, contact: Contact, actor) -> Page:
    """Page ``contact`` now, then carry on down the chain from where it was."""
    require(actor, COMMAND, gettext_lazy("re-routing a page"))
    if page.incident.status in (Incident.Status.RESOLVED, Incident.Status.CLOSED):
        raise InvalidInput(gettext_lazy("the incident is resolved: there is nobody to page"))
    with transaction.atomic():
        locked = Page.objects.select_for_update().get(pk=page.pk)
        step = locked.step + 1
        chain = list(locked.chain)
        level = chain[locked.step]["level"]
        chain.insert(step, {"level": level, "duty": "rerouted", "roles": [contact.role]})
        Page.objects.filter(pk=page.pk).update(chain=chain, step=step, status=Page.Status.PAGING)
        locked.refresh_from_db()
        _page_step(locked, step, actor=actor)
    locked.refresh_from_db()
    return locked
