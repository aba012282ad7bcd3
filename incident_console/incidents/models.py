from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language

from incident_console.incidents.runbook_text import ScenarioShown, scenario_shown
from runbooks.schema import Runbook, step_with_texts


class Severity(models.TextChoices):
    SEV1 = "sev1", "SEV1 — critical"
    SEV2 = "sev2", "SEV2 — major"
    SEV3 = "sev3", "SEV3 — minor"
    SEV4 = "sev4", "SEV4 — low"


class Scenario(models.Model):
    """A runbook as the console knows it, synced from its YAML file."""

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    title_ru = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, default="scenario")
    severity = models.CharField(max_length=4, choices=Severity.choices)
    alerts = models.JSONField(default=list)
    symptoms = models.JSONField(default=list)
    expected_recovery_min = models.PositiveIntegerField(null=True, blank=True)
    expected_recovery_max = models.PositiveIntegerField(null=True, blank=True)
    definition = models.JSONField(help_text="The validated runbook as loaded from its file.")
    version = models.CharField(max_length=32, help_text="Hash of the file it came from.")
    source_path = models.CharField(max_length=500)
    is_active = models.BooleanField(default=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "slug"]

    def __str__(self) -> str:
        return self.title

    @property
    def runbook(self) -> Runbook:
        return Runbook.model_validate(self.definition)

    @property
    def steps(self) -> list[dict]:
        """The stored steps, their texts as Text (a str of the English, every language kept)."""
        language = self.definition.get("language", "en")
        return [step_with_texts(step, language) for step in self.definition.get("steps", [])]

    @property
    def shown(self) -> ScenarioShown:
        """Its title, symptoms, escalation and notes in the active language."""
        # Kept on the instance per language (and definition, which a sync may replace): a list
        # of incidents shares one scenario instance among its rows and reads it once per row.
        kept = self.__dict__.setdefault("_shown_kept", {})
        key = (get_language(), id(self.definition), self.title)
        if key not in kept:
            kept[key] = scenario_shown(self.definition, self.title)
        return kept[key]

    def step(self, step_id: str) -> dict | None:
        return next((step for step in self.steps if step["id"] == step_id), None)

    @property
    def restricted(self) -> bool:
        """Whether its incidents open restricted (the runbook's ``restricted: true``)."""
        return bool(self.definition.get("restricted", False))


class Incident(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        ACKNOWLEDGED = "acknowledged"
        MITIGATED = "mitigated"
        RESOLVED = "resolved"
        CLOSED = "closed"

    ACTIVE_STATUSES = (Status.OPEN, Status.ACKNOWLEDGED, Status.MITIGATED)
    # Where each status may go next; anything else is refused with a clear error.
    TRANSITIONS = {
        Status.OPEN: (Status.ACKNOWLEDGED, Status.MITIGATED, Status.RESOLVED),
        Status.ACKNOWLEDGED: (Status.MITIGATED, Status.RESOLVED),
        Status.MITIGATED: (Status.ACKNOWLEDGED, Status.RESOLVED),
        Status.RESOLVED: (Status.CLOSED, Status.OPEN),
        Status.CLOSED: (Status.OPEN,),
    }

    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=4, choices=Severity.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comms_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The communications lead: keeps the customer and the team informed.",
    )
    impact = models.TextField(blank=True, help_text="Who and what is affected.")
    is_drill = models.BooleanField(default=False)
    alert_group_key = models.CharField(max_length=500, blank=True, db_index=True)
    labels = models.JSONField(default=dict, blank=True)
    restricted = models.BooleanField(
        default=False, help_text="Only its participants and commanders can see it."
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="People brought into a restricted incident by someone already in it.",
    )

    class Meta:
        ordering = ["-opened_at"]
        # -opened_at alone: the review list and the dashboard's recent ones read the newest
        # first across every status, which the status index cannot order.
        indexes = [
            models.Index(fields=["status", "-opened_at"]),
            models.Index(fields=["-opened_at"]),
        ]
        permissions = [
            ("respond", "Can open incidents, run safe steps, mark manual steps and cancel runs"),
            ("command", "Can run destructive steps, approve runs and change incident status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incident-detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def recovery_seconds(self) -> float | None:
        """Time to recover: opened until resolved (MTTR is the mean of this)."""
        if self.resolved_at is None:
            return None
        return (self.resolved_at - self.opened_at).total_seconds()

    @property
    def acknowledge_seconds(self) -> float | None:
        if self.acknowledged_at is None:
            return None
        return (self.acknowledged_at - self.opened_at).total_seconds()


class TimelineEntry(models.Model):
    """One thing that happened during an incident.  Entries are only ever added."""

    class Kind(models.TextChoices):
        INCIDENT_OPENED = "incident_opened"
        STATUS_CHANGED = "status_changed"
        RUN_QUEUED = "run_queued"
        RUN_STARTED = "run_started"
        RUN_FINISHED = "run_finished"
        RUN_CANCEL_REQUESTED = "run_cancel_requested"
        RUN_APPROVED = "run_approved"
        APPROVAL_EXPIRED = "approval_expired"
        BREAK_GLASS = "break_glass"
        STEP_MARKED = "step_marked"
        NOTE = "note"
        UPDATED = "updated"
        ESCALATED = "escalated"
        NOTIFICATION = "notification"
        NOT_SENT = "not_sent"
        ALERT = "alert"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    message = models.TextField()
    run = models.ForeignKey(
        "runs.StepRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind}: {self.message}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise TimelineIsAppendOnly("timeline entries are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TimelineIsAppendOnly("timeline entries are never deleted")


class TimelineIsAppendOnly(Exception):
    pass


class Contact(models.Model):
    """A person or provider the runbook says to call; commanders edit it on the contacts page."""

    role = models.CharField(max_length=100)
    team = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    email = models.EmailField(blank=True)
    slack = models.CharField(max_length=100, blank=True)
    telegram = models.CharField(max_length=100, blank=True)
    url = models.URLField(blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["team", "role"]

    def __str__(self) -> str:
        return f"{self.role}: {self.name}" if self.name else self.role

    @property
    def not_filled_in(self) -> list[str]:
        """The fields still empty or holding the seed's "[ТЕЛЕФОН]"; a provider has its page."""
        if self.url:
            return []
        fields = ("name", "phone", "email")
        return [name for name in fields if is_placeholder(getattr(self, name))]


PLACEHOLDER = re.compile(r"\[[^\]]*\]")


def is_placeholder(value: str) -> bool:
    return not value.strip() or bool(PLACEHOLDER.search(value))


class EscalationLevel(models.Model):
    level = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=100)
    contacts = models.ManyToManyField(Contact, related_name="escalation_levels", blank=True)
    after_minutes = models.PositiveIntegerField(
        default=0, help_text="Minutes without acknowledgement before this level is called."
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["level"]

    def __str__(self) -> str:
        return f"L{self.level} {self.name}"
