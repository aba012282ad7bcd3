from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy


class TargetCheck(models.Model):
    """The last readiness check of one target: what pages show without probing again."""

    class State(models.TextChoices):
        READY = "ready", pgettext_lazy("target state", "ready")
        UNREACHABLE = "unreachable", pgettext_lazy("target state", "unreachable")
        NOT_CONFIGURED = "not_configured", pgettext_lazy("target state", "not configured")

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20)
    host = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=20, choices=State.choices)
    reason = models.TextField(blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.state}"

    @property
    def is_ready(self) -> bool:
        return self.state == self.State.READY
