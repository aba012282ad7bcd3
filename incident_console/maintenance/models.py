from __future__ import annotations

from django.conf import settings
from django.db import models


class MaintenanceRun(models.Model):
    """One run of a scheduled maintenance task (seed: daily, weekly and monthly duties)."""

    class Status(models.TextChoices):
        RUNNING = "running"
        PASSED = "passed"
        FAILED = "failed"
        # The console could not check: its own configuration lacks something (a credential,
        # a setting). Never counted as passed, and no outage: a setup problem.
        NOT_CHECKED = "not_checked", "not checked"

    task = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    summary = models.CharField(
        max_length=300, blank=True, help_text="What the check found, or why it could not check."
    )
    fix_link = models.CharField(
        max_length=200, blank=True, help_text="Where to fix what kept the duty from checking."
    )
    output = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.task} {self.status}"

    @property
    def headline(self) -> str:
        """What a person reads first: the duty and what it found ("Backups: … 30 h old")."""
        return f"{self.title}: {self.summary}" if self.summary else self.title


class ChecklistCompletion(models.Model):
    """A person did one of the site's checklists: every item ticked, their note, when."""

    checklist = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    items = models.JSONField(default=list, help_text="The items as they were ticked.")
    note = models.TextField()
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-completed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.checklist} by {self.completed_by_id} at {self.completed_at:%Y-%m-%d}"
