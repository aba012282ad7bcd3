"""Runbook text on pages: ``{{ text|shown }}`` in the active language, ``{{ text|untranslated }}``
the badge saying the text is in the other language (incidents/runbook_text.py chooses)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from incident_console.incidents import runbook_text
from runbooks.text import Shown

register = template.Library()


@register.filter
def shown(value: Any) -> Any:
    """A runbook text (or a list of them) in the active language; other values as they are."""
    if isinstance(value, list | tuple):
        return [shown(item) for item in value]
    if isinstance(value, str | dict):
        return runbook_text.shown(value)
    return value


@register.filter
def untranslated(value: Any) -> str:
    """The marker beside a text shown in the other language: its language code, marked up as
    that language, with a tooltip saying it is not translated."""
    text = value if isinstance(value, Shown) else shown(value)
    if not isinstance(text, Shown) or not text.is_fallback:
        return ""
    return format_html(
        ' <span class="badge untranslated" lang="{}" title="{}">{}</span>',
        text.language,
        _("Not translated: shown in its original language"),
        text.language.upper(),
    )
