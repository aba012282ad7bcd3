"""The override form commanders fill in on the on-call page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy, pgettext_lazy

from incident_console.incidents.models import Contact
from incident_console.oncall.models import RotationOverride


class OverrideForm(forms.ModelForm):
    class Meta:
        model = RotationOverride
        fields = ["level", "contact", "duty", "first_day", "last_day"]
        widgets = {
            "first_day": forms.DateInput(attrs={"type": "date"}),
            "last_day": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {
            "level": gettext_lazy("Level"),
            "contact": gettext_lazy("Who covers"),
            "duty": pgettext_lazy("on-call", "Duty"),
            "first_day": gettext_lazy("From"),
            "last_day": gettext_lazy("To (included)"),
        }

    def __init__(self, *args, levels: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"] = forms.TypedChoiceField(
            label=gettext_lazy("Level"), choices=[(n, f"L{n}") for n in levels], coerce=int
        )
        self.fields["contact"].queryset = Contact.objects.order_by("role")
        self.fields["duty"].choices = [
            ("primary", pgettext_lazy("on-call duty", "primary")),
            ("secondary", pgettext_lazy("on-call duty", "secondary")),
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", gettext_lazy("The last day comes before the first."))
        return cleaned
