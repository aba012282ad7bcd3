"""What the team wrote after an incident, and what it promised to do about it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Postmortem(models.Model):
    """One per incident: the written sections; the facts are generated from the record."""

    WRITTEN_SECTIONS = ("summary", "impact", "root_cause", "went_well", "went_badly")

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="postmortem"
    )
    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True, help_text="Blank: the incident's own impact.")
    root_cause = models.TextField(blank=True)
    went_well = models.TextField(blank=True)
    went_badly = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Postmortem of #{self.incident_id}"


class ActionItem(models.Model):
    """Something to do so the incident does not happen again, with who and by when."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField(max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due = models.DateField(null=True, blank=True)
    done = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["done", "due", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def is_overdue(self) -> bool:
        return not self.done and self.due is not None and self.due < timezone.now().date()
