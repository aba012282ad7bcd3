"""The signed-in user's language and time zone for the request (after AuthenticationMiddleware).

LocaleMiddleware has already chosen a language from the cookie or Accept-Language; a user's own
choice overrides it.  Anonymous visitors keep that choice and get the site's time zone.
"""

from __future__ import annotations

import logging
import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

from incident_console.accounts.services import preference_of

logger = logging.getLogger(__name__)


class PreferenceMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        zone = settings.TIME_ZONE
        if request.user.is_authenticated:
            preference = preference_of(request.user)
            if preference.language in dict(settings.LANGUAGES):
                translation.activate(preference.language)
                request.LANGUAGE_CODE = preference.language
            zone = preference.active_time_zone
        _time_zone_activate(zone)
        return self.get_response(request)


def _time_zone_activate(name: str) -> None:
    try:
        timezone.activate(zoneinfo.ZoneInfo(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # A zone stored before the zone database dropped it: the site's, rather than a 500.
        logger.warning("unknown time zone %r, using %s", name, settings.TIME_ZONE)
        timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))
