from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from incident_console.accounts.time_zones import time_zone_validate


def language_choices() -> list[tuple[str, str]]:
    # A callable, so a change to settings.LANGUAGES needs no migration.
    return list(settings.LANGUAGES)


class Preference(models.Model):
    """A person's language and time zone; a user without a row has the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="preference",
    )
    # "" follows the browser (Accept-Language, or the language cookie).
    language = models.CharField(
        gettext_lazy("language"), max_length=16, blank=True, choices=language_choices
    )
    # "" is the site's zone, settings.TIME_ZONE.
    time_zone = models.CharField(
        gettext_lazy("time zone"), max_length=64, blank=True, validators=[time_zone_validate]
    )

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language or '-'} {self.time_zone or '-'}"

    @property
    def active_time_zone(self) -> str:
        return self.time_zone or settings.TIME_ZONE
