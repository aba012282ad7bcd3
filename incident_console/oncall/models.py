"""Pages to the people on call, their one-use acknowledgements, and the console's overrides."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy, pgettext_lazy


class Page(models.Model):
    """Paging one incident down its chain (primary, secondary, the next level …) until someone
    acknowledges, a commander silences it, or the chain runs out."""

    class Status(models.TextChoices):
        PAGING = "paging", gettext_lazy("paging")
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("page", "acknowledged")
        SILENCED = "silenced", gettext_lazy("silenced")
        EXHAUSTED = "exhausted", gettext_lazy("nobody answered")

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="page"
    )
    # Each step: {"level": 1, "duty": "primary" | "secondary" | "level", "roles": [...]}.
    chain = models.JSONField(default=list)
    step = models.PositiveSmallIntegerField(default=0, help_text="The step paged last.")
    ack_minutes = models.FloatField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PAGING)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=200, blank=True)
    acknowledged_via = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"page of incident {self.incident_id} ({self.status}, step {self.step})"

    @property
    def current(self) -> dict:
        return self.chain[self.step] if self.step < len(self.chain) else {}


class AckToken(models.Model):
    """One step of a page, acknowledged at most once: the signed link and the buttons name it."""

    nonce = models.CharField(max_length=40, unique=True)
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="tokens")
    step = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_via = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return f"ack of page {self.page_id} step {self.step}"


class RotationOverride(models.Model):
    """A commander's override: a person covers a duty of a level on these days (site calendar)."""

    class Duty(models.TextChoices):
        PRIMARY = "primary", pgettext_lazy("on-call duty", "primary")
        SECONDARY = "secondary", pgettext_lazy("on-call duty", "secondary")

    level = models.PositiveSmallIntegerField()
    contact = models.ForeignKey(
        "incidents.Contact", on_delete=models.CASCADE, related_name="rotation_overrides"
    )
    first_day = models.DateField()
    last_day = models.DateField()
    duty = models.CharField(max_length=10, choices=Duty.choices, default=Duty.PRIMARY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["first_day", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")),
                name="override_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact.role} {self.duty} L{self.level} {self.first_day}…{self.last_day}"


class PollCursor(models.Model):
    """Where a long-polling bot loop got to (Telegram's next update_id)."""

    name = models.CharField(max_length=40, unique=True)
    offset = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.offset}"
