"""Text that outlives the request it was written in: timeline entries, notifications and
postmortems are written once, in the site's language (settings.LANGUAGE_CODE), whoever's
browser caused them.  Callers pass lazy text (``gettext_lazy``, ``format_lazy``)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

from django.conf import settings
from django.utils import dateformat, timezone, translation
from django.utils.translation import pgettext


def in_site_language(text) -> str:
    """``text`` (a lazy translation, or a plain string) in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def site_zone(value: datetime) -> str:
    """The site time zone's offset at ``value``: "UTC+03:00", or plain "UTC"."""
    offset = timezone.localtime(value, zoneinfo.ZoneInfo(settings.TIME_ZONE)).utcoffset()
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def site_time(value: datetime, *, seconds: bool = False, zone: bool = True) -> str:
    """``value`` in the site's time zone and language, with the zone's offset:
    "27.11.2026 01:58 (UTC+03:00)" for a Russian site, "2026-11-27 01:58 UTC" for a UTC one."""
    with translation.override(settings.LANGUAGE_CODE):
        if seconds:
            pattern = pgettext("site time", "Y-m-d H:i:s")
        else:
            pattern = pgettext("site time", "Y-m-d H:i")
    local = timezone.localtime(value, zoneinfo.ZoneInfo(settings.TIME_ZONE))
    text = dateformat.format(local, pattern)
    if not zone:
        return text
    offset = site_zone(value)
    return f"{text} {offset}" if offset == "UTC" else f"{text} ({offset})"


def site_date(value: date) -> str:
    """A calendar date as the site's language writes it: "31.01.2030" or "2030-01-31"."""
    with translation.override(settings.LANGUAGE_CODE):
        return dateformat.format(value, pgettext("site date", "Y-m-d"))
