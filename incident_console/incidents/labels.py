"""The words the pages show for an incident's status and severity.

The raw values stay in CSS classes, data- attributes and the API; people read these labels,
in their own language.  A status word alone ("open") is ambiguous to a translator, hence the
context."""

from __future__ import annotations

from django.utils.translation import gettext_lazy, pgettext_lazy

STATUS_LABELS = {
    "open": pgettext_lazy("incident status", "open"),
    "acknowledged": pgettext_lazy("incident status", "acknowledged"),
    "mitigated": pgettext_lazy("incident status", "mitigated"),
    "resolved": pgettext_lazy("incident status", "resolved"),
    "closed": pgettext_lazy("incident status", "closed"),
}

# The buttons that move an incident: a move back to "open" reads as reopening it.
TRANSITION_LABELS = {
    **STATUS_LABELS,
    "open": pgettext_lazy("incident transition", "reopen"),
}

SEVERITY_CHOICES = [
    ("sev1", gettext_lazy("SEV1 — critical")),
    ("sev2", gettext_lazy("SEV2 — major")),
    ("sev3", gettext_lazy("SEV3 — minor")),
    ("sev4", gettext_lazy("SEV4 — low")),
]

STATUS_CHOICES = list(STATUS_LABELS.items())


def status_label(status: str):
    """The status in words; an unknown value is shown as it is."""
    return STATUS_LABELS.get(status, status)


def transition_label(status: str):
    return TRANSITION_LABELS.get(status, status)
