from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy, pgettext_lazy


class StepRun(models.Model):
    """One execution of one step of an incident's scenario, with exactly what ran."""

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval"
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"
        TIMED_OUT = "timed_out"
        LOST = "lost"
        SKIPPED = "skipped"

    class FailureCause(models.TextChoices):
        CONSOLE_NOT_CONFIGURED = "console_not_configured", gettext_lazy("console not configured")
        TARGET = "target", gettext_lazy("the target failed")

    # What people read for each status; the raw value stays in CSS classes, data- attributes
    # and JSON.  Kept apart from the choices, whose labels the migrations record.
    STATUS_LABELS = {
        Status.AWAITING_APPROVAL: pgettext_lazy("run status", "awaiting_approval"),
        Status.QUEUED: pgettext_lazy("run status", "queued"),
        Status.RUNNING: pgettext_lazy("run status", "running"),
        Status.SUCCEEDED: pgettext_lazy("run status", "succeeded"),
        Status.FAILED: pgettext_lazy("run status", "failed"),
        Status.CANCELLED: pgettext_lazy("run status", "cancelled"),
        Status.TIMED_OUT: pgettext_lazy("run status", "timed_out"),
        Status.LOST: pgettext_lazy("run status", "lost"),
        Status.SKIPPED: pgettext_lazy("run status", "skipped"),
    }
    ACTIVE_STATUSES = (Status.AWAITING_APPROVAL, Status.QUEUED, Status.RUNNING)
    FAILED_STATUSES = (Status.FAILED, Status.TIMED_OUT, Status.LOST)
    # Where each status may go next; every change is a compare-and-set on the current status.
    TRANSITIONS = {
        Status.AWAITING_APPROVAL: (Status.QUEUED, Status.CANCELLED),
        Status.QUEUED: (Status.RUNNING, Status.CANCELLED),
        Status.RUNNING: (
            Status.SUCCEEDED,
            Status.FAILED,
            Status.CANCELLED,
            Status.TIMED_OUT,
            Status.LOST,
        ),
    }

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="runs"
    )
    step_id = models.CharField(max_length=100)
    step_title = models.CharField(max_length=300)
    executor = models.CharField(max_length=20)
    target = models.CharField(max_length=100)
    runbook_version = models.CharField(max_length=32)
    params = models.JSONField(default=dict)
    command = models.JSONField(help_text="The rendered command the executor receives.")
    command_display = models.TextField()
    digest = models.CharField(
        max_length=64,
        blank=True,
        help_text="A hash of everything that decides what runs: what a confirmation binds.",
    )
    timeout = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    exit_code = models.IntegerField(null=True, blank=True)
    detail = models.TextField(blank=True)
    failure_cause = models.CharField(
        max_length=30,
        choices=FailureCause.choices,
        blank=True,
        help_text="Why a failed run failed: the console's own configuration, or the target.",
    )
    task_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When its task message was last handed to the broker."
    )
    worker = models.CharField(max_length=200, blank=True)
    cancel_requested = models.BooleanField(default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    truncated = models.BooleanField(default=False)
    idle_timeout = models.PositiveIntegerField(null=True, blank=True)
    kill_on_output_limit = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    last_seq = models.PositiveIntegerField(default=0)
    output_bytes = models.PositiveBigIntegerField(default=0)
    outputs = models.JSONField(default=dict, blank=True, help_text="Values later steps can use.")
    late_result = models.JSONField(
        null=True,
        blank=True,
        help_text="How the step ended on its worker after the run had been declared lost.",
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # Two clicks, two browsers or a retried request must never start a step twice.
            models.UniqueConstraint(
                fields=["incident", "step_id"],
                condition=Q(status__in=["awaiting_approval", "queued", "running"]),
                name="one_active_run_per_step",
            )
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.step_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status not in self.ACTIVE_STATUSES

    @classmethod
    def transition(cls, pk: int, *, source, to: str, match: dict | None = None, **fields) -> bool:
        """Move run ``pk`` from one of ``source`` to ``to`` (and set ``fields``) when it also
        matches ``match``; False when it did not: someone else got there first."""
        sources = (source,) if isinstance(source, str) else tuple(source)
        for status in sources:
            if to not in cls.TRANSITIONS.get(status, ()):
                raise ValueError(f"a run cannot go from {status} to {to}")
        runs = cls.objects.filter(pk=pk, status__in=sources, **(match or {}))
        return runs.update(status=to, **fields) == 1

    @property
    def status_label(self) -> str:
        """The status in words, in the active language."""
        return str(self.STATUS_LABELS.get(self.status, self.status))

    @property
    def console_not_configured(self) -> bool:
        return self.failure_cause == self.FailureCause.CONSOLE_NOT_CONFIGURED

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class OutputChunk(models.Model):
    """A contiguous piece of one stream of a run's output, numbered by ``seq`` from 1."""

    run = models.ForeignKey(StepRun, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    stream = models.CharField(max_length=6, choices=[("stdout", "stdout"), ("stderr", "stderr")])
    text = models.TextField()

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="unique_chunk_seq")]

    def __str__(self) -> str:
        return f"run {self.run_id} chunk {self.seq}"

    def as_message(self) -> dict:
        return {"seq": self.seq, "stream": self.stream, "text": self.text}
