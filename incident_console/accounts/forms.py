from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from incident_console.accounts.time_zones import (
    COMMON_TIME_ZONES,
    known_time_zones,
    time_zone_validate,
    zone_offset_now,
)


def _language_choices() -> list[tuple[str, str]]:
    return [("", gettext_lazy("The browser's language")), *settings.LANGUAGES]


def _time_zone_choices() -> list[tuple[str, str]]:
    site = gettext_lazy("The site's time zone")
    common = [zone for zone in COMMON_TIME_ZONES if zone in known_time_zones()]
    return [
        ("", f"{site}: {settings.TIME_ZONE} ({zone_offset_now(settings.TIME_ZONE)})"),
        *((zone, f"{zone} ({zone_offset_now(zone)})") for zone in common),
    ]


class PreferenceForm(forms.Form):
    """The /preferences/ page: a language, and a time zone from the list or typed in."""

    language = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=_language_choices, required=False
    )
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"), choices=_time_zone_choices, required=False
    )
    other_time_zone = forms.CharField(
        label=gettext_lazy("Another time zone"),
        help_text=gettext_lazy("Any IANA name, e.g. Asia/Novosibirsk; it wins over the list."),
        required=False,
        max_length=64,
        validators=[time_zone_validate],
    )

    @classmethod
    def for_preference(cls, preference, data=None) -> PreferenceForm:
        listed = preference.time_zone in dict(_time_zone_choices())
        initial = {
            "language": preference.language,
            "time_zone": preference.time_zone if listed else "",
            "other_time_zone": "" if listed else preference.time_zone,
        }
        return cls(data, initial=initial)

    def chosen(self) -> dict[str, str]:
        """The choices to store, once the form is valid."""
        data = self.cleaned_data
        return {
            "language": data["language"],
            "time_zone": data["other_time_zone"].strip() or data["time_zone"],
        }
