"""Queue notifications as rows, send them, retry failures with backoff; never block an incident."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy

from incident_console.accounts.roles import COMMAND, RESPOND, require
from incident_console.background.enqueue import enqueue_task
from incident_console.i18n import in_site_language
from incident_console.incidents.models import Contact, EscalationLevel, TimelineEntry
from incident_console.incidents.timeline import timeline_add
from incident_console.notifications.channels import (
    RECIPIENT_SETTING,
    SENDERS,
    Ack,
    SendError,
    channel_problems,
    configured_channels,
    secret_free,
)
from incident_console.notifications.models import Notification
from incident_console.oncall.links import ack_token, ack_url

log = logging.getLogger(__name__)
PENDING, FAILED = Notification.Status.PENDING, Notification.Status.FAILED


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


def contact_update(*, contact: Contact, changes: dict[str, str], actor) -> Contact:
    """Save a commander's edit of one contact's details (already validated by its form)."""
    require(actor, COMMAND, "editing contacts")
    for name, value in changes.items():
        setattr(contact, name, value)
    contact.save(update_fields=list(changes))
    log.info("contact %s edited by %s: %s", contact.role, actor.username, ", ".join(changes))
    return contact


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
    what: str = "",
    ack_nonce: str = "",
) -> list[Notification]:
    """Queue one notification per channel and recipient and send them after commit.

    ``channels`` names the channels that must carry it; without them every configured channel
    does, and when none is configured each is recorded as not sent (any one would have done).
    A channel that cannot send becomes a failed row with its reason and a "not sent" entry on
    the incident's timeline (``what`` names the message there), unless ``quiet``: then it is
    left out.

    ``subject``, ``body`` and ``what`` may be lazy text: they are written in the site's
    language, whoever's request caused them, and so is each channel's reason for not sending.

    ``ack_nonce`` makes each message a page: sent with a signed acknowledgement link (and a
    button where the channel has them) for that page's step.
    """
    subject, body, what = (in_site_language(text) for text in (subject, body, what))
    with translation.override(settings.LANGUAGE_CODE):
        problems = channel_problems()
    wanted, any_channel = _channels_wanted(channels, problems)
    if quiet:
        wanted = [channel for channel in wanted if channel not in problems]
    rows = [
        Notification.objects.create(
            incident=incident,
            channel=channel,
            recipient=recipient,
            subject=subject[:300],
            body="\n\n".join(filter(None, [body, mentions(list(contacts), channel)])),
            reason=reason,
            status=FAILED if channel in problems else PENDING,
            last_error=problems.get(channel, ""),
            any_channel=any_channel,
            next_attempt_at=timezone.now(),
            ack_nonce=ack_nonce,
        )
        for channel in wanted
        for recipient in _recipients(channel, contacts)
    ]
    not_sent = [row for row in rows if row.status == FAILED]
    if not_sent and incident is not None:
        _record_not_sent(incident, not_sent, what or subject, actor, reason=reason)
    ids = [row.pk for row in rows if row.status == PENDING]
    transaction.on_commit(lambda: _enqueue(ids))
    return rows


def _channels_wanted(channels, problems: dict[str, str]) -> tuple[list[str], bool]:
    if channels:
        return list(channels), False
    configured = [channel for channel in SENDERS if channel not in problems]
    return (configured, False) if configured else (list(SENDERS), True)


def _recipients(channel: str, contacts) -> list[str]:
    # A channel not configured yet may not know its recipient: the sender asks again later.
    recipients = [getattr(settings, RECIPIENT_SETTING[channel])]
    if channel == "email":
        recipients += [contact.email for contact in contacts if contact.email]
    return list(dict.fromkeys(recipients))


def _record_not_sent(incident, rows, what: str, actor, *, reason: str) -> None:
    reasons = "; ".join(f"{row.channel}: {row.last_error}" for row in _one_per_channel(rows))
    if rows[0].any_channel:
        reasons = in_site_language(
            format_lazy(
                gettext_lazy("no notification channel is configured ({reasons})"), reasons=reasons
            )
        )
    timeline_add(
        incident=incident,
        kind=TimelineEntry.Kind.NOT_SENT,
        actor=actor,
        message=format_lazy(
            gettext_lazy("{what} — not sent: {reasons}"), what=what, reasons=reasons
        ),
        data={
            "what": what,
            "reason": reasons,
            "rule": reason,
            "notifications": [row.pk for row in rows],
        },
    )


def _one_per_channel(rows) -> list[Notification]:
    return list({row.channel: row for row in rows}.values())


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
    with translation.override(settings.LANGUAGE_CODE):
        problem = channel_problems().get(notification.channel)
    if problem:
        return _not_sent(notification, problem)
    notification.recipient = notification.recipient or configured_channels()[notification.channel]
    body, ack = _with_ack(notification)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            delivered = SENDERS[notification.channel](
                notification.recipient, notification.subject, body, ack
            )
    except (SendError, Exception) as error:  # noqa: BLE001 - any failure is retried, then recorded
        return _failed(notification, secret_free(str(error))[:500])
    notification.status = Notification.Status.SENT
    notification.sent_at = timezone.now()
    notification.delivered_at = notification.sent_at if delivered else None
    notification.attempts += 1
    notification.save(update_fields=["recipient", "status", "sent_at", "delivered_at", "attempts"])
    _record(
        notification,
        format_lazy(
            gettext_lazy("Sent to {channel} {recipient}: {subject}"),
            channel=notification.channel,
            recipient=notification.recipient,
            subject=notification.subject,
        ),
    )
    return notification


def _with_ack(notification: Notification) -> tuple[str, Ack | None]:
    """A page's body with its acknowledgement link, signed now (its expiry counts from the
    send), and what the channel's button carries."""
    if not notification.ack_nonce:
        return notification.body, None
    nonce, channel = notification.ack_nonce, notification.channel
    link = in_site_language(
        format_lazy(gettext_lazy("Acknowledge: {url}"), url=ack_url(nonce, channel))
    )
    return f"{notification.body}\n\n{link}", Ack(nonce=nonce, token=ack_token(nonce, channel))


def _failed(notification: Notification, error: str) -> Notification:
    notification.attempts += 1
    if notification.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        return _not_sent(notification, error)
    delay = settings.NOTIFY_RETRY_BASE * 2 ** (notification.attempts - 1)
    notification.last_error = error
    notification.status = Notification.Status.PENDING
    notification.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    notification.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
    log.warning("notification %s to %s failed: %s", notification.pk, notification.channel, error)
    return notification


def _not_sent(notification: Notification, error: str) -> Notification:
    """Give up on a send (the channel is not configured, or it kept failing) and say so loudly."""
    notification.status = Notification.Status.FAILED
    notification.last_error = error
    notification.save(update_fields=["attempts", "last_error", "status"])
    log.warning("notification %s to %s not sent: %s", notification.pk, notification.channel, error)
    if notification.incident_id is None:
        return notification
    with translation.override(settings.LANGUAGE_CODE):
        reason = _where_and_why(notification, error)
    timeline_add(
        incident=notification.incident_id,
        kind=TimelineEntry.Kind.NOT_SENT,
        message=format_lazy(
            gettext_lazy("{what} — not sent to {reason}"), what=notification.subject, reason=reason
        ),
        data={
            "what": notification.subject,
            "reason": reason,
            "notifications": [notification.pk],
        },
    )
    return notification


def _where_and_why(notification: Notification, error: str) -> str:
    """Where a send went and why it failed ("slack #alerts after 3 attempts: HTTP 500")."""
    where = " ".join(filter(None, [notification.channel, notification.recipient]))
    if notification.attempts > 1:
        where = ngettext(
            "%(where)s after %(count)d attempt",
            "%(where)s after %(count)d attempts",
            notification.attempts,
        ) % {"where": where, "count": notification.attempts}
    return f"{where}: {error}"


def _record(notification: Notification, message) -> None:
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


def notifications_retry(*, incident, actor) -> list[Notification]:
    """Send an incident's undelivered notifications again, through the channels as they are now.

    A row sent on "any channel" whose channel is still not configured is skipped once another
    channel is: that one carries the message.  Whatever still cannot be sent fails again, loudly.
    """
    require(actor, RESPOND, "retrying notifications")
    problems = channel_problems()
    some_channel_works = len(problems) < len(SENDERS)
    retried = []
    for row in incident.notifications.filter(status=Notification.Status.FAILED):
        skip = row.any_channel and row.channel in problems and some_channel_works
        status = Notification.Status.SKIPPED if skip else Notification.Status.PENDING
        # Compare-and-set: two people pressing Retry together send each message once more.
        if _reopen(row, status) and not skip:
            retried.append(row.pk)
    if retried:
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.NOTIFICATION,
            actor=actor,
            message=format_lazy(
                ngettext_lazy(
                    "Retrying {count} undelivered notification(s)",
                    "Retrying {count} undelivered notification(s)",
                    len(retried),
                ),
                count=len(retried),
            ),
            data={"notifications": retried},
        )
    transaction.on_commit(lambda: _enqueue(retried))
    return list(Notification.objects.filter(pk__in=retried))


def _reopen(row: Notification, status: str) -> bool:
    return (
        Notification.objects.filter(pk=row.pk, status=Notification.Status.FAILED).update(
            status=status, attempts=0, next_attempt_at=timezone.now()
        )
        == 1
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
