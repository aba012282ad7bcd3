"""The contact form commanders fill in: every handle checked, with an error that says how."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy

from incident_console.incidents.models import Contact, is_placeholder

PHONE = re.compile(r"^\+?[0-9 ()-]+$")
TELEGRAM = re.compile(r"^@?[A-Za-z][A-Za-z0-9_]{4,31}$")
SLACK = re.compile(r"^@?[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "phone", "email", "telegram", "slack", "url", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        labels = {
            "name": gettext_lazy("Name"),
            "phone": gettext_lazy("Phone"),
            "email": gettext_lazy("Email"),
            "telegram": "Telegram",
            "slack": "Slack",
            "url": gettext_lazy("Url"),
            "notes": gettext_lazy("Notes"),
        }

    def clean_name(self) -> str:
        return _not_placeholder(self.cleaned_data["name"])

    def clean_phone(self) -> str:
        phone = _not_placeholder(self.cleaned_data["phone"])
        digits = sum(character.isdigit() for character in phone)
        if phone and (not PHONE.match(phone) or not 5 <= digits <= 15):
            raise forms.ValidationError(
                gettext_lazy(
                    "Enter a phone number: 5 to 15 digits, optionally a leading +, spaces, "
                    "dashes and brackets, e.g. +7 900 123-45-67."
                )
            )
        return phone

    def clean_telegram(self) -> str:
        handle = self.cleaned_data["telegram"].strip()
        if handle and not TELEGRAM.match(handle):
            raise forms.ValidationError(
                gettext_lazy(
                    "Enter a Telegram username: 5 to 32 letters, digits or _, starting with a "
                    "letter, e.g. @ivan_ops."
                )
            )
        return handle

    def clean_slack(self) -> str:
        handle = self.cleaned_data["slack"].strip()
        if handle and not SLACK.match(handle):
            raise forms.ValidationError(
                gettext_lazy(
                    "Enter a Slack handle or member ID without spaces, e.g. @ivan or U012AB3CD."
                )
            )
        return handle


def _not_placeholder(value: str) -> str:
    value = value.strip()
    if value and is_placeholder(value):
        raise forms.ValidationError(
            gettext_lazy("Still the runbook's placeholder: type the real value.")
        )
    return value
