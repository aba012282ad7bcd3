"""Queue notifications as rows, send them, retry failures with backoff; never block an incident."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incident_console.background.enqueue import enqueue_task
from incident_console.incidents.models import Contact, EscalationLevel, TimelineEntry
from incident_console.incidents.timeline import timeline_add
from incident_console.notifications.channels import (
    SENDERS,
    SendError,
    configured_channels,
    secret_free,
)
from incident_console.notifications.models import Notification

log = logging.getLogger(__name__)


def contacts_for(names: list[str]) -> list[Contact]:
    """Contacts named by role ("Lead DevOps") or by escalation level ("level:2")."""
    found: list[Contact] = []
    for name in names:
        if name.startswith("level:") and name[6:].isdigit():
            level = EscalationLevel.objects.filter(level=int(name[6:])).first()
            found += list(level.contacts.all()) if level else []
        else:
            found += list(Contact.objects.filter(role__iexact=name))
    return list(dict.fromkeys(found))


def mentions(contacts: list[Contact], channel: str) -> str:
    handles = {
        "slack": [f"<@{c.slack.lstrip('@')}>" for c in contacts if c.slack],
        "telegram": [f"@{c.telegram.lstrip('@')}" for c in contacts if c.telegram],
    }.get(channel, [])
    people = [f"{c.role}: {c.name or '?'} {c.phone}".strip() for c in contacts]
    return "\n".join(filter(None, [" ".join(handles), *people]))


def notify(
    *,
    incident,
    subject: str,
    body: str,
    reason: str,
    contacts=(),
    channels=None,
    actor=None,
    quiet: bool = False,
) -> list[Notification]:
    """Queue one notification per configured channel and send them after commit.

    A channel that is not configured is written on the timeline (nobody was told that way),
    unless ``quiet``.
    """
    available = configured_channels()
    wanted = channels or list(SENDERS)
    missing = [c for c in wanted if c not in available]
    if missing and incident is not None and not quiet:
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.NOTIFICATION,
            actor=actor,
            message=f"Not sent to {', '.join(missing)}: channel not configured",
        )
    now = timezone.now()
    created = []
    for channel in wanted:
        if channel not in available:
            continue
        recipients = [available[channel]]
        if channel == "email":
            recipients += [c.email for c in contacts if c.email]
        for recipient in dict.fromkeys(recipients):
            text = "\n\n".join(filter(None, [body, mentions(list(contacts), channel)]))
            created.append(
                Notification.objects.create(
                    incident=incident,
                    channel=channel,
                    recipient=recipient,
                    subject=subject[:300],
                    body=text,
                    reason=reason,
                    next_attempt_at=now,
                )
            )
    ids = [n.pk for n in created]
    transaction.on_commit(lambda: _enqueue(ids))
    return created


def _enqueue(ids: list[int]) -> None:
    for notification_id in ids:
        enqueue_task("notifications.send", notification_id)


def notification_send(*, notification_id: int, now=None) -> Notification | None:
    """Send one due notification.  Claimed by compare-and-set, so two senders never both send."""
    now = now or timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING, next_attempt_at__lte=now
    ).update(status=Notification.Status.SENDING, claimed_at=now)
    if claimed != 1:
        return None
    notification = Notification.objects.get(pk=notification_id)
    try:
        SENDERS[notification.channel](
            notification.recipient, notification.subject, notification.body
        )
    except (SendError, Exception) as error:  # noqa: BLE001 - any failure is retried, then recorded
        return _failed(notification, secret_free(str(error))[:500])
    notification.status = Notification.Status.SENT
    notification.sent_at = timezone.now()
    notification.attempts += 1
    notification.save(update_fields=["status", "sent_at", "attempts"])
    _record(
        notification,
        f"Sent to {notification.channel} {notification.recipient}: {notification.subject}",
    )
    return notification


def _failed(notification: Notification, error: str) -> Notification:
    notification.attempts += 1
    notification.last_error = error
    if notification.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        notification.status = Notification.Status.FAILED
        _record(
            notification,
            f"Failed to send to {notification.channel} {notification.recipient} "
            f"after {notification.attempts} attempts: {error}",
        )
    else:
        delay = settings.NOTIFY_RETRY_BASE * 2 ** (notification.attempts - 1)
        notification.status = Notification.Status.PENDING
        notification.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    notification.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
    log.warning("notification %s to %s failed: %s", notification.pk, notification.channel, error)
    return notification


def _record(notification: Notification, message: str) -> None:
    if notification.incident_id is not None:
        timeline_add(
            incident=notification.incident_id,
            kind=TimelineEntry.Kind.NOTIFICATION,
            message=message,
            data={
                "notification": notification.pk,
                "channel": notification.channel,
                "status": notification.status,
            },
        )


def notifications_send_due(*, now=None) -> int:
    """Send every notification whose next attempt is due (retries, and any missed send)."""
    now = now or timezone.now()
    # A sender that died after claiming leaves its row "sending": give it back.  A page sent
    # twice is better than a page never sent.
    stale = now - timedelta(seconds=settings.NOTIFY_SENDING_STALE)
    Notification.objects.filter(status=Notification.Status.SENDING, claimed_at__lt=stale).update(
        status=Notification.Status.PENDING
    )
    due = Notification.objects.filter(
        status=Notification.Status.PENDING, next_attempt_at__lte=now
    ).values_list("pk", flat=True)[:100]
    return sum(1 for pk in list(due) if notification_send(notification_id=pk, now=now) is not None)
