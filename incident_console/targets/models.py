from __future__ import annotations

from django.db import models


class TargetCheck(models.Model):
    """The last readiness check of one target: what pages show without probing again."""

    class State(models.TextChoices):
        READY = "ready", "ready"
        UNREACHABLE = "unreachable", "unreachable"
        NOT_CONFIGURED = "not_configured", "not configured"

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
