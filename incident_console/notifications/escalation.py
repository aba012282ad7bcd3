"""Escalation: timers per incident (rows, fired once) and triggers on failed steps."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from incident_console.accounts.roles import RESPOND, require
from incident_console.i18n import in_site_language, site_time
from incident_console.incidents.labels import status_label
from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.runbook_text import lazily_shown
from incident_console.incidents.status_words import RUN_STATUS_WORDS
from incident_console.incidents.timeline import timeline_add
from incident_console.notifications.channels import channel_problems, channel_states
from incident_console.notifications.models import EscalationTimer, Notification
from incident_console.notifications.services import contacts_for, notify

PROGRESS = ["open", "acknowledged", "mitigated", "resolved", "closed"]


def reached(incident: Incident, until: str) -> bool:
    return PROGRESS.index(incident.status) >= PROGRESS.index(until)


def escalations_arm(incident: Incident) -> list[EscalationTimer]:
    """Create the incident's timers from its scenario's rules (at open)."""
    timers = []
    for rule in incident.scenario.runbook.escalation_rules:
        if rule.after_minutes is None:
            continue
        timers.append(
            EscalationTimer.objects.create(
                incident=incident,
                rule_id=rule.id,
                notify=rule.notify,
                channels=rule.channels,
                message=in_site_language(lazily_shown(rule.message)),
                until=rule.until,
                due_at=incident.opened_at + timedelta(minutes=rule.after_minutes),
            )
        )
    return timers


def escalations_fire_due(*, now=None) -> int:
    """Fire every due timer once; a timer whose incident got far enough is stopped instead."""
    now = now or timezone.now()
    fired = 0
    for timer in EscalationTimer.objects.filter(status="pending", due_at__lte=now).select_related(
        "incident"
    ):
        outcome = "stopped" if reached(timer.incident, timer.until) else "fired"
        with transaction.atomic():
            if (
                EscalationTimer.objects.filter(pk=timer.pk, status="pending").update(
                    status=outcome, fired_at=now
                )
                != 1
            ):
                continue
            if outcome == "fired":
                fired += 1
                _escalate(
                    timer.incident,
                    timer.notify,
                    timer.message,
                    timer.channels,
                    reason=timer.rule_id,
                )
    return fired


def escalations_stop_for(incident_id: int) -> int:
    """Stop the pending timers an incident's new status makes pointless."""
    incident = Incident.objects.get(pk=incident_id)
    stoppable = [
        t.pk
        for t in EscalationTimer.objects.filter(incident=incident, status="pending")
        if reached(incident, t.until)
    ]
    return EscalationTimer.objects.filter(pk__in=stoppable, status="pending").update(
        status="stopped", fired_at=timezone.now()
    )


def escalations_on_step_failed(run) -> None:
    for rule in run.incident.scenario.runbook.escalation_rules:
        if rule.when_step_fails == run.step_id:
            message = (
                lazily_shown(rule.message)
                if rule.message
                else format_lazy(
                    gettext_lazy("“{step}” {status}"),
                    step=run.step_title,
                    status=RUN_STATUS_WORDS.get(run.status, run.status),
                )
            )
            _escalate(run.incident, rule.notify, message, rule.channels, reason=rule.id)


def escalate_by_hand(*, incident: Incident, notify_names: list[str], message: str, actor):
    require(actor, RESPOND, "escalating")
    if not notify_names:
        from incident_console.errors import InvalidInput

        raise InvalidInput(
            gettext("say whom to escalate to"), fields={"notify": gettext("must not be empty")}
        )
    return _escalate(incident, notify_names, message, None, reason="manual", actor=actor)


def _escalate(incident, names, message, channels, *, reason, actor=None):
    contacts = contacts_for(names)
    who = ", ".join(c.role + (f" ({c.name})" if c.name else "") for c in contacts) or ", ".join(
        names
    )
    rows = notify(
        incident=incident,
        subject=format_lazy(
            gettext_lazy("[{severity}] #{number} {title}: escalated to {who}"),
            severity=incident.severity.upper(),
            number=incident.pk,
            title=incident.title,
            who=who,
        ),
        body=_escalation_body(incident, message),
        reason=reason,
        contacts=contacts,
        channels=channels,
        actor=actor,
        what=_with_message(gettext_lazy("Escalation to {who}"), who, message),
    )
    queued = sorted({row.channel for row in rows if row.status == Notification.Status.PENDING})
    # Nothing queued: the "not sent" entry is the whole story, never "Escalated to …".
    if queued:
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.ESCALATED,
            actor=actor,
            message=_with_message(gettext_lazy("Escalated to {who}"), who, message),
            data={"rule": reason, "notify": names, "channels": queued},
        )
    return rows


def _with_message(headline, who: str, message):
    """The headline ("Escalated to Tech Lead"), then what the escalation said, if anything."""
    if not message:
        return format_lazy(headline, who=who)
    return format_lazy("{}: {}", format_lazy(headline, who=who), message)


def _escalation_body(incident: Incident, message):
    """What the escalation said, the incident's status, when it opened (site time zone) and
    the link to its page."""
    facts = format_lazy(
        gettext_lazy("Status: {status}\nOpened: {opened}"),
        status=status_label(incident.status),
        opened=site_time(incident.opened_at),
    )
    lines = [line for line in (message, facts, incident_url(incident)) if line]
    return format_lazy("\n".join(["{}"] * len(lines)), *lines)


def incident_url(incident: Incident) -> str:
    """The incident page's absolute address, for messages read outside the console."""
    return f"{_base_url()}{incident.get_absolute_url()}"


def escalation_preview(*, notify_names: list[str]) -> dict:
    """Who an escalation to these roles or levels reaches, and through which channels."""
    problems = channel_problems()
    return {
        "notify": notify_names,
        "channels": channel_states(),
        "contacts": [_reach(contact, problems) for contact in contacts_for(notify_names)],
    }


def _reach(contact, problems: dict[str, str]) -> dict:
    handles = {
        "slack": ("@" + contact.slack.lstrip("@")) if contact.slack else "",
        "telegram": ("@" + contact.telegram.lstrip("@")) if contact.telegram else "",
        "email": contact.email,
    }
    missing = {
        "slack": gettext("no Slack handle"),
        "telegram": gettext("no Telegram handle"),
        "email": gettext("no email"),
    }
    return {
        "role": contact.role,
        "name": contact.name,
        "phone": contact.phone,
        "not_filled_in": contact.not_filled_in,
        "channels": [
            {
                "channel": channel,
                "to": "" if channel in problems else handle,
                "why": problems.get(channel) or ("" if handle else missing[channel]),
            }
            for channel, handle in handles.items()
        ],
    }


def _base_url() -> str:
    from django.conf import settings

    return settings.CONSOLE_URL.rstrip("/")
