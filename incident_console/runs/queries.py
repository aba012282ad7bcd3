"""Read-side helpers shared by the API, the pages and the websocket consumer."""

from __future__ import annotations

from incident_console.runs.models import OutputChunk

PAGE_SIZE = 1000


def chunks_after(run_id: int, after: int, *, limit: int = PAGE_SIZE, before: int | None = None):
    """Stored chunks with ``seq > after`` (and ``< before``), in seq order, at most ``limit``."""
    chunks = OutputChunk.objects.filter(run_id=run_id, seq__gt=after)
    if before is not None:
        chunks = chunks.filter(seq__lt=before)
    return [chunk.as_message() for chunk in chunks.order_by("seq")[:limit]]
