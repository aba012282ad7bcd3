"""Hand a queued run to whatever executes steps: Celery workers, or threads when embedded.

The task body is the same either way; only the transport differs.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def enqueue_run(run_id: int, task_id: str) -> None:
    from incident_console.runs.tasks import run_step

    if settings.EMBEDDED:
        _embedded_pool().submit(_run_embedded, run_step, run_id, task_id)
    else:
        run_step.apply_async(args=[run_id], task_id=task_id)


def _run_embedded(task, run_id: int, task_id: str) -> None:
    try:
        task.apply(args=[run_id], task_id=task_id, throw=False)
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


def start_embedded_reaper(interval: float = 15.0) -> threading.Thread:
    """Embedded mode has no beat process: a daemon thread marks runs of dead workers lost."""
    from incident_console.runs.services import runs_reap_lost

    def loop() -> None:
        stop = threading.Event()
        while not stop.wait(interval):
            try:
                runs_reap_lost()
            except Exception:
                log.exception("reaping lost runs failed")
            finally:
                connections.close_all()

    thread = threading.Thread(target=loop, name="run-reaper", daemon=True)
    thread.start()
    return thread
