"""Acknowledging a page from its message: a link, a Telegram button, a Slack button.

Each step's acknowledgement is used once (compare-and-set on its row); the first one stops the
page, marks its messages acknowledged, says who and through what on the timeline, and moves an
open incident to acknowledged, which stops its escalation timers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from incident_console.incidents.models import Incident, TimelineEntry
from incident_console.incidents.services import incident_transition
from incident_console.incidents.timeline import timeline_add
from incident_console.notifications.models import Notification
from incident_console.oncall.links import AckRefused
from incident_console.oncall.models import AckToken, Page

VIA_WORDS = {
    "telegram": gettext_lazy("the Telegram button"),
    "slack": gettext_lazy("the Slack button"),
    "link": gettext_lazy("the link in a message"),
    "link-email": gettext_lazy("the link in the email"),
    "link-slack": gettext_lazy("the link in Slack"),
    "link-telegram": gettext_lazy("the link in Telegram"),
}


def ack_token_find(nonce: str) -> AckToken:
    """The acknowledgement a link or button names, if it can still be used."""
    token = AckToken.objects.select_related("page__incident").filter(nonce=nonce).first()
    if token is None:
        raise AckRefused(gettext("This acknowledgement link is not valid."))
    age = (timezone.now() - token.created_at).total_seconds()
    if age > settings.ACK_LINK_MAX_AGE:
        raise AckRefused(gettext("This acknowledgement link has expired."))
    if token.used_at is not None:
        raise AckRefused(gettext("This acknowledgement was used already."))
    return token


def page_acknowledge(*, nonce: str, via: str, who: str, user=None) -> Page:
    """Take one acknowledgement of a page; AckRefused (and nothing changed) if it cannot be."""
    token = ack_token_find(nonce)
    now = timezone.now()
    with transaction.atomic():
        used = AckToken.objects.filter(pk=token.pk, used_at=None).update(used_at=now, used_via=via)
        if used != 1:
            raise AckRefused(gettext("This acknowledgement was used already."))
        page = token.page
        if not _stop(page, now, who, via):
            page.refresh_from_db()
            raise AckRefused(_already(page))
        nonces = page.tokens.values_list("nonce", flat=True)
        Notification.objects.filter(ack_nonce__in=list(nonces)).update(acknowledged_at=now)
        _record(page, who, via, user)
    page.refresh_from_db()
    return page


def _stop(page: Page, now, who: str, via: str) -> bool:
    # A silenced page may still be answered: the person saw it before the commander's silence.
    return (
        Page.objects.filter(
            pk=page.pk, status__in=[Page.Status.PAGING, Page.Status.SILENCED, Page.Status.EXHAUSTED]
        ).update(
            status=Page.Status.ACKNOWLEDGED,
            due_at=None,
            acknowledged_at=now,
            acknowledged_by=who[:200],
            acknowledged_via=via,
        )
        == 1
    )


def _already(page: Page) -> str:
    if page.acknowledged_by:
        return gettext("%(who)s acknowledged this page already.") % {"who": page.acknowledged_by}
    return gettext("This page was acknowledged already.")


def _record(page: Page, who: str, via: str, user) -> None:
    said = format_lazy(
        gettext_lazy("Page acknowledged by {who} through {via}"),
        who=who,
        via=VIA_WORDS.get(via, via),
    )
    timeline_add(
        incident=page.incident,
        kind=TimelineEntry.Kind.ESCALATED,
        actor=user,
        message=said,
        data={"page": page.pk, "step": page.step, "acknowledged_by": who, "via": via},
    )
    incident = Incident.objects.get(pk=page.incident_id)
    if incident.status == Incident.Status.OPEN:
        incident_transition(
            incident=incident, to=Incident.Status.ACKNOWLEDGED, actor=user, note=said, system=True
        )
