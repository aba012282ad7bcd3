"""{% open_incident_rows active %}: the dashboard's open incidents as table rows.

Built in one pass in Python: a thousand rows through the template language took 160 ms of
variable lookups, escaping and a ``blocktranslate`` per row, most of the page's time.
"""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import gettext

from incident_console.incidents.labels import status_label

register = template.Library()

ROW = (
    '<tr data-incident="{}"><td>{}</td>'
    '<td><span class="sev {}">{}</span></td>'
    '<td><a href="{}">{}</a>{}</td>'
    "<td>{}</td>"
    '<td><span class="status {}">{}</span></td>'
    '<td title="{}">{}</td></tr>'
)


@register.simple_tag
def open_incident_rows(incidents) -> SafeString:
    now = timezone.now()
    restricted = format_html(' <span class="badge danger">{}</span>', gettext("restricted"))
    ago = gettext("%(ago)s ago")
    return format_html_join(
        "\n",
        ROW,
        (
            (
                incident.pk,
                incident.pk,
                incident.severity,
                incident.severity.upper(),
                incident.get_absolute_url(),
                incident.title,
                restricted if incident.restricted else "",
                incident.scenario.shown.title,
                incident.status,
                status_label(incident.status),
                timezone.localtime(incident.opened_at).isoformat(),
                ago % {"ago": timesince(incident.opened_at, now)},
            )
            for incident in incidents
        ),
    )
