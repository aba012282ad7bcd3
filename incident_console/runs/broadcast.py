"""Every push to browsers goes through here.  The database is the truth; a push is a hint."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 256 * 1024


def run_group(run_id: int) -> str:
    return f"run-{run_id}"


def incident_group(incident_id: int) -> str:
    return f"incident-{incident_id}"


def broadcast(group: str, message: dict) -> None:
    """Send to a group; a failure is logged and swallowed because clients recover from the DB."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        log.warning("broadcast to %s failed; clients will catch up from the database", group)


def broadcast_output(run_id: int, chunks: list[dict]) -> None:
    """Push stored chunks in as few messages as fit the size bound."""
    batch: list[dict] = []
    size = 0
    for chunk in chunks:
        chunk_size = len(chunk["text"]) + 64
        if batch and size + chunk_size > MAX_MESSAGE_BYTES:
            broadcast(run_group(run_id), {"type": "run.output", "chunks": batch})
            batch, size = [], 0
        batch.append(chunk)
        size += chunk_size
    if batch:
        broadcast(run_group(run_id), {"type": "run.output", "chunks": batch})


def broadcast_run_status(run) -> None:
    status = {
        "type": "run.status",
        "run": run.pk,
        "step_id": run.step_id,
        "status": run.status,
        "exit_code": run.exit_code,
        "last_seq": run.last_seq,
    }
    broadcast(run_group(run.pk), status)
    broadcast(incident_group(run.incident_id), {**status, "type": "incident.run"})
