"""Run statuses and manual outcomes as words people read, in the active language (incident
statuses: labels.py); the raw values stay in CSS classes, data- attributes and JSON."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

RUN_STATUS_WORDS = {
    "awaiting_approval": pgettext_lazy("run status", "awaiting approval"),
    "queued": pgettext_lazy("run status", "queued"),
    "running": pgettext_lazy("run status", "running"),
    "succeeded": pgettext_lazy("run status", "succeeded"),
    "failed": pgettext_lazy("run status", "failed"),
    "cancelled": pgettext_lazy("run status", "cancelled"),
    "timed_out": pgettext_lazy("run status", "timed out"),
    "lost": pgettext_lazy("run status", "lost"),
    "skipped": pgettext_lazy("run status", "skipped"),
}


# What a person marked a manual step.
OUTCOME_WORDS = {
    "done": pgettext_lazy("manual outcome", "done"),
    "skipped": pgettext_lazy("manual outcome", "skipped"),
}
