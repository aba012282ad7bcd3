"""Times written the way the postmortem writes them: the site's time zone, with its offset."""

from __future__ import annotations

from django import template

from incident_console.i18n import site_date, site_time

register = template.Library()


@register.filter(name="site_time")
def site_time_filter(value) -> str:
    """The time as the site writes it: "27.11.2026 01:58 (UTC+03:00)" on a Russian site."""
    return site_time(value) if value else ""


@register.filter(name="site_date")
def site_date_filter(value) -> str:
    return site_date(value) if value else ""
