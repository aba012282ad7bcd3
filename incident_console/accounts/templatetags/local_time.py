"""Times in the reader's zone, with the offset that says which zone that is.

{% load local_time %}
{% time_zone_note %}              Time: Europe/Moscow (UTC+03:00)
{{ entry.at|with_offset }}        2026-11-27 01:58 (UTC+03:00)
{{ entry.at|with_offset:"seconds" }}  2026-11-27 01:58:07 (UTC+03:00)
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from incident_console.accounts.time_zones import utc_offset

register = template.Library()


@register.simple_tag
def time_zone_note() -> str:
    """The active time zone and its offset from UTC now."""
    now = timezone.localtime()
    zone = timezone.get_current_timezone_name()
    return _("Time: %(zone)s (%(offset)s)") % {"zone": zone, "offset": utc_offset(now)}


@register.filter(expects_localtime=False)
def with_offset(value, precision: str = "minutes") -> str:
    """An aware datetime in the active zone, to the minute (or with ``"seconds"``, to the
    second), with its UTC offset."""
    if not isinstance(value, datetime):
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    local = timezone.localtime(value)
    pattern = "%Y-%m-%d %H:%M:%S" if precision == "seconds" else "%Y-%m-%d %H:%M"
    return f"{local:{pattern}} ({utc_offset(local)})"
