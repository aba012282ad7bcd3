"""Time zones a person may choose: any IANA name, with the common ones offered first."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy

# The shipped site's team first, then Russia west to east, the neighbours, and a few others.
COMMON_TIME_ZONES = [
    "Europe/Moscow",
    "Europe/Kaliningrad",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "Europe/Minsk",
    "Asia/Almaty",
    "Asia/Tashkent",
    "Asia/Tbilisi",
    "Asia/Yerevan",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "UTC",
]


# Names in the zone database that are no place: the host's own setting and tzdata's "-00".
NOT_PLACES = {"localtime", "Factory"}


@functools.cache
def known_time_zones() -> frozenset[str]:
    # ZoneInfo() alone would also open directories and "posixrules".
    return frozenset(zoneinfo.available_timezones() - NOT_PLACES)


def time_zone_validate(name: str) -> None:
    if name not in known_time_zones():
        raise ValidationError(
            gettext_lazy(
                "“%(name)s” is not a time zone. Use an IANA name such as Europe/Moscow or "
                "Asia/Novosibirsk."
            ),
            code="unknown_time_zone",
            params={"name": name},
        )


def utc_offset(moment: datetime) -> str:
    """``UTC+03:00`` for an aware datetime: its offset from UTC where it is."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def zone_offset_now(name: str) -> str:
    """The zone's offset from UTC at this moment, e.g. ``UTC+03:00``."""
    return utc_offset(timezone.now().astimezone(zoneinfo.ZoneInfo(name)))
