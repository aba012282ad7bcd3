"""{% open_incident_rows active %} and {% past_incident_rows incidents %}: the dashboard's
and the review list's incidents as table rows.

Built in one pass in Python: a thousand rows through the template language took 160 ms of
variable lookups, escaping, ``reverse()`` and a ``blocktranslate`` per row, most of the page's
time.  What people wrote (titles) and every translation are escaped here; the rest are numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext

from incident_console.incidents.labels import status_label
from incident_console.incidents.models import Incident

register = template.Library()

# reverse() costs more than the rest of a row: it is asked once per page, for a stand-in id.
STAND_IN_ID = 999_999_999


def _url_of(name: str) -> str:
    """The URL pattern ``name`` for any incident, as a format string taking its id."""
    return reverse(name, args=[STAND_IN_ID]).replace(str(STAND_IN_ID), "{}")


class _Cells:
    """What both lists show of an incident, with each page's strings looked up once."""

    def __init__(self) -> None:
        self.detail = _url_of("incident-detail")
        # gettext outside f-strings: makemessages does not look inside them.
        restricted = escape(gettext("restricted"))
        self.restricted = f' <span class="badge danger">{restricted}</span>'
        self.statuses: dict[str, str] = {}

    def leading(self, incident: Incident, after_severity: str = "") -> str:
        severity = escape(incident.severity)
        return (
            f"<td>{incident.pk}</td>"
            f'<td><span class="sev {severity}">{severity.upper()}</span>{after_severity}</td>'
            f'<td><a href="{self.detail.format(incident.pk)}">{escape(incident.title)}</a>'
            f"{self.restricted if incident.restricted else ''}</td>"
            f"<td>{escape(incident.scenario.shown.title)}</td>"
            f"<td>{self.status(incident.status)}</td>"
        )

    def status(self, status: str) -> str:
        if status not in self.statuses:
            label = escape(status_label(status))
            self.statuses[status] = f'<span class="status {escape(status)}">{label}</span>'
        return self.statuses[status]


def _rows(rows: Iterable[str]) -> SafeString:
    return mark_safe("\n".join(rows))  # every value in a row is escaped or a number


@register.simple_tag
def open_incident_rows(incidents: Iterable[Incident]) -> SafeString:
    cells = _Cells()
    now = timezone.now()
    ago = escape(gettext("%(ago)s ago"))
    return _rows(
        f'<tr data-incident="{incident.pk}">{cells.leading(incident)}'
        f'<td title="{timezone.localtime(incident.opened_at).isoformat()}">'
        f"{ago % {'ago': escape(timesince(incident.opened_at, now))}}</td></tr>"
        for incident in incidents
    )


@register.simple_tag
def past_incident_rows(incidents: Iterable[Incident]) -> SafeString:
    cells = _Cells()
    drill_label = escape(gettext("drill"))
    timeline_label, postmortem_label = escape(gettext("timeline")), escape(gettext("postmortem"))
    drill = f' <span class="badge">{drill_label}</span>'
    timeline, postmortem = _url_of("incident-timeline"), _url_of("postmortem")
    links = (
        f'<td><a href="{timeline}">{timeline_label}</a> · '
        f'<a href="{postmortem}">{postmortem_label}</a></td>'
    )
    return _rows(
        f"<tr>{cells.leading(incident, drill if incident.is_drill else '')}"
        f"<td>{date_format(timezone.localtime(incident.opened_at), 'Y-m-d H:i')}</td>"
        f"<td>{_recovery(incident)}</td>"
        f"{links.replace('{}', str(incident.pk))}</tr>"
        for incident in incidents
    )


def _recovery(incident: Incident) -> str:
    if incident.resolved_at is None:
        return "—"
    return escape(timesince(incident.opened_at, incident.resolved_at))
