from __future__ import annotations

from django.db import models


class Alert(models.Model):
    """One Prometheus alert as Alertmanager keeps sending it: one row per group and fingerprint."""

    group_key = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    alertname = models.CharField(max_length=200)
    status = models.CharField(max_length=10)
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=dict)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    generator_url = models.URLField(max_length=1000, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    received_count = models.PositiveIntegerField(default=1)
    first_received_at = models.DateTimeField(auto_now_add=True)
    last_received_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_received_at"]
        constraints = [
            models.UniqueConstraint(fields=["group_key", "fingerprint"], name="one_alert_per_group")
        ]

    def __str__(self) -> str:
        return f"{self.alertname} ({self.status})"
