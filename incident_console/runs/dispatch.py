"""Hand a queued run to whatever executes steps: Celery workers, or threads when embedded.

The task body is the same either way; only the transport differs.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def enqueue_run(run_id: int, task_id: str) -> bool:
    """Hand a run to the workers; False when the broker could not be reached, in which case
    the housekeeping sweep sends it again later.  Only its task id may claim it, so a second
    message for one run is harmless."""
    from django.utils import timezone

    from incident_console.runs.models import StepRun
    from incident_console.runs.tasks import run_step

    try:
        enqueue_task(run_step, run_id, task_id=task_id)
    except Exception as error:  # kombu's OperationalError, a socket error: the broker is away
        log.warning("run %s not handed to the workers (%s); it will be sent again", run_id, error)
        return False
    StepRun.objects.filter(pk=run_id).update(enqueued_at=timezone.now())
    return True


def enqueue_task(task, *args, task_id: str | None = None) -> None:
    """Send a task to the workers, or run it on the embedded pool, with the same task body."""
    if settings.EMBEDDED:
        _embedded_pool().submit(_run_embedded, task, list(args), task_id)
    else:
        task.apply_async(args=list(args), task_id=task_id)


def _run_embedded(task, args: list, task_id: str | None) -> None:
    try:
        task.apply(args=args, task_id=task_id, throw=False)
    finally:
        connections.close_all()


def _embedded_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.EMBEDDED_WORKERS, thread_name_prefix="step"
            )
        return _pool


def start_embedded_scheduler(reap_interval: float, tick_interval: float) -> threading.Thread:
    """Embedded mode has no beat process: a daemon thread does beat's housekeeping instead."""
    from incident_console.notifications.tasks import tick
    from incident_console.runs.services import runs_reap_lost, runs_resend_queued

    def loop() -> None:
        stop = threading.Event()
        next_reap = 0.0
        while not stop.wait(tick_interval):
            try:
                tick.apply(throw=False)
                if time.monotonic() >= next_reap:
                    runs_reap_lost()
                    runs_resend_queued()
                    next_reap = time.monotonic() + reap_interval
            except Exception:
                log.exception("embedded housekeeping failed")
            finally:
                connections.close_all()

    thread = threading.Thread(target=loop, name="housekeeping", daemon=True)
    thread.start()
    return thread
