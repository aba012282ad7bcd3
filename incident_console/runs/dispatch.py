"""Hand a queued run to the workers, and note when it was handed over."""

from __future__ import annotations

import logging

from django.utils import timezone

from incident_console.background.enqueue import enqueue_task
from incident_console.runs.models import StepRun

log = logging.getLogger(__name__)


def enqueue_run(run_id: int, task_id: str) -> bool:
    """Hand a run to the workers; False when the broker could not be reached, in which case
    the housekeeping sweep sends it again later.  Only its task id may claim it, so a second
    message for one run is harmless."""
    try:
        enqueue_task("runs.run_step", run_id, task_id=task_id)
    except Exception as error:  # kombu's OperationalError, a socket error: the broker is away
        log.warning("run %s not handed to the workers (%s); it will be sent again", run_id, error)
        return False
    StepRun.objects.filter(pk=run_id).update(enqueued_at=timezone.now())
    return True
