"""Hand a task to whatever runs background work: Celery workers, or threads when embedded.

The task body is the same either way; only the transport differs.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from celery import Task
from django.conf import settings
from django.db import connections

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_import_lock = threading.Lock()


def registered_task(name: str) -> Task:
    """The task registered under ``name``; the apps' tasks modules are imported on first use,
    as a worker does at start."""
    from incident_console.celery import app

    if name not in app.tasks:
        # Serialised: a second request arriving while the first imports the modules would
        # otherwise find the import under way, return at once, and not find its task.
        with _import_lock:
            if name not in app.tasks:
                app.loader.import_default_modules()
    return app.tasks[name]


def enqueue_task(name_or_task: str | Task, *args, task_id: str | None = None) -> None:
    """Send a task to the workers, or run it on the embedded pool, with the same task body."""
    task = registered_task(name_or_task) if isinstance(name_or_task, str) else name_or_task
    if settings.EMBEDDED:
        _embedded_pool().submit(_run_embedded, task, list(args), task_id)
    else:
        task.apply_async(args=list(args), task_id=task_id)


def _run_embedded(task: Task, args: list, task_id: str | None) -> None:
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
