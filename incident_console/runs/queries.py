"""Read-side helpers shared by the API, the pages and the websocket consumer."""

from __future__ import annotations

import functools

from channels.db import database_sync_to_async
from django.db.models import Max

from incident_console.runs.models import OutputChunk, StepRun

PAGE_SIZE = 1000

# The websocket consumers' reads, run side by side on the event loop's thread pool (each thread
# with its own connection) instead of one after another on the one thread Django's code
# otherwise shares: a hundred viewers connecting at once wait for the database together.
read_database = functools.partial(database_sync_to_async, thread_sensitive=False)


def chunks_after(run_id: int, after: int, *, limit: int = PAGE_SIZE, before: int | None = None):
    """Stored chunks with ``seq > after`` (and ``< before``), in seq order, at most ``limit``."""
    chunks = OutputChunk.objects.filter(run_id=run_id, seq__gt=after)
    if before is not None:
        chunks = chunks.filter(seq__lt=before)
    return list(chunks.order_by("seq").values("seq", "stream", "text")[:limit])


def stored_state(run_id: int) -> dict | None:
    """The run's status and the last seq stored of its output (``last_seq`` on the run lags
    behind by up to a heartbeat), or None when the run is gone."""
    run = StepRun.objects.filter(pk=run_id).values("status", "exit_code").first()
    if run is None:
        return None
    stored = OutputChunk.objects.filter(run_id=run_id).aggregate(last=Max("seq"))["last"]
    return {**run, "last_seq": stored or 0}
