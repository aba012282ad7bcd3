"""Embedded mode's beat: one daemon thread runs the tasks of ``CELERY_BEAT_SCHEDULE`` by name.

Service mode runs the same schedule with celery beat; here the console's own process does,
so housekeeping (lost runs, stranded queued runs, escalation timers, notification retries)
needs no other process.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from incident_console.background.enqueue import registered_task

log = logging.getLogger(__name__)


@dataclass
class Entry:
    """One line of the beat schedule: which task, how often, with what arguments."""

    name: str
    task: Task
    interval: float
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    due: float = 0.0

    def run(self) -> None:
        try:
            self.task.apply(args=self.args, kwargs=self.kwargs, throw=False)
        except Exception:
            log.exception("embedded beat: %s failed", self.name)
        finally:
            connections.close_all()


def interval_seconds(schedule: Any) -> float:
    """Seconds between two runs: a number, a timedelta or celery's ``schedule(run_every)``."""
    every = getattr(schedule, "run_every", schedule)
    if isinstance(every, timedelta):
        return every.total_seconds()
    if isinstance(every, int | float) and every > 0:
        return float(every)
    raise ImproperlyConfigured(f"embedded mode runs fixed intervals only, not {schedule!r}")


def beat_entries(schedule: dict[str, dict]) -> list[Entry]:
    """The schedule's entries with their tasks looked up by name; the first run is one interval
    after start, as beat does."""
    start = time.monotonic()
    entries = []
    for name, line in schedule.items():
        interval = interval_seconds(line["schedule"])
        entries.append(
            Entry(
                name=name,
                task=registered_task(line["task"]),
                interval=interval,
                args=tuple(line.get("args", ())),
                kwargs=dict(line.get("kwargs", {})),
                due=start + interval,
            )
        )
    return entries


def run_due(entries: list[Entry]) -> float:
    """Run every entry that is due; return the seconds until the next one is."""
    for entry in entries:
        if time.monotonic() >= entry.due:
            entry.run()
            entry.due = time.monotonic() + entry.interval
    return max(0.0, min(entry.due for entry in entries) - time.monotonic())


def start_embedded_scheduler(
    schedule: dict[str, dict] | None = None, *, stop: threading.Event | None = None
) -> threading.Thread:
    """Start the daemon thread that runs ``schedule`` (by default the beat schedule) until
    ``stop`` is set."""
    entries = beat_entries(settings.CELERY_BEAT_SCHEDULE if schedule is None else schedule)
    stop = stop or threading.Event()

    def loop() -> None:
        while entries and not stop.wait(run_due(entries)):
            pass

    thread = threading.Thread(target=loop, name="embedded-beat", daemon=True)
    thread.start()
    return thread


def worker_status() -> dict:
    """What the health check reports of embedded mode's workers: the thread pool's size."""
    return {"ok": True, "mode": "embedded", "workers": settings.EMBEDDED_WORKERS}
