from __future__ import annotations

from django.db import models


class Notification(models.Model):
    """One message to one channel.  Rows are the queue: sends are retried from here."""

    class Channel(models.TextChoices):
        SLACK = "slack"
        TELEGRAM = "telegram"
        EMAIL = "email"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        SKIPPED = "skipped"

    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=300)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    reason = models.CharField(max_length=100, help_text="rule id, manual, maintenance …")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    any_channel = models.BooleanField(
        default=False,
        help_text="Sent when no channel was configured: any one channel would have done.",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Receipts beyond "sent": the channel said it reached the chat (Telegram does), and the
    # page it carried was acknowledged.
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # A page's step (oncall.AckToken.nonce): the message carries its acknowledgement link/button.
    ack_nonce = models.CharField(max_length=40, blank=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.status})"

    @property
    def receipt(self) -> str:
        """The furthest this message got: failed, pending, sent, delivered or acknowledged."""
        if self.acknowledged_at:
            return "acknowledged"
        if self.delivered_at:
            return "delivered"
        return self.status


class EscalationTimer(models.Model):
    """A timed escalation of one incident: a row, so it survives restarts and fires once."""

    class Status(models.TextChoices):
        PENDING = "pending"
        FIRED = "fired"
        STOPPED = "stopped"

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="escalation_timers"
    )
    rule_id = models.CharField(max_length=100)
    notify = models.JSONField(default=list)
    channels = models.JSONField(default=list)
    message = models.TextField(blank=True)
    until = models.CharField(max_length=20)
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    fired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "rule_id"], name="one_timer_per_rule")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} of incident {self.incident_id} ({self.status})"
