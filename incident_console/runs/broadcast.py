"""Every push to browsers goes through here.  The database is the truth; a push is a hint."""

from __future__ import annotations

import asyncio
import logging
import os
import threading

from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 256 * 1024
# Output waiting to be pushed, past which more output is not queued: a viewer fills the hole
# from the database at the next push or status, so a flood costs bounded memory.
MAX_QUEUED_OUTPUT_BYTES = 8 * 1024 * 1024


def run_group(run_id: int) -> str:
    return f"run-{run_id}"


def incident_group(incident_id: int) -> str:
    return f"incident-{incident_id}"


# Every open dashboard listens here; its hints name no incident, so restricted ones do not leak.
DASHBOARD_GROUP = "dashboard"


class _Publisher:
    """One event loop per process, in its own thread, sending group messages in order.

    async_to_sync from a worker thread would build an event loop, and with channels-redis a
    connection pool, for every message; at thousands of messages a second that is most of
    the cost of streaming.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        self._pid: int | None = None
        self._queued_output_bytes = 0

    def send(self, group: str, message: dict, *, output_bytes: int = 0) -> None:
        loop, queue = self._started()
        if output_bytes:
            with self._lock:
                if self._queued_output_bytes + output_bytes > MAX_QUEUED_OUTPUT_BYTES:
                    return
                self._queued_output_bytes += output_bytes
        loop.call_soon_threadsafe(queue.put_nowait, (group, message, output_bytes))

    def _sent(self, output_bytes: int) -> None:
        if output_bytes:
            with self._lock:
                self._queued_output_bytes -= output_bytes

    def _started(self):
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._loop = asyncio.new_event_loop()
                self._queue = asyncio.Queue()
                self._queued_output_bytes = 0
                thread = threading.Thread(
                    target=self._run, args=(self._loop, self._queue), name="broadcast", daemon=True
                )
                thread.start()
            return self._loop, self._queue

    def _run(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self._publish_forever(queue))

    async def _publish_forever(self, queue: asyncio.Queue) -> None:
        while True:
            group, message, output_bytes = await queue.get()
            try:
                await _publish(group, message)
            finally:
                self._sent(output_bytes)


async def _publish(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(group, message)
    except Exception:
        log.warning("broadcast to %s failed; clients will catch up from the database", group)


_publisher = _Publisher()


def broadcast(group: str, message: dict) -> None:
    """Queue a message for a group; a failure is logged, clients recover from the database."""
    _publisher.send(group, message)


def _broadcast_chunks(run_id: int, chunks: list[dict], size: int) -> None:
    _publisher.send(run_group(run_id), {"type": "run.output", "chunks": chunks}, output_bytes=size)


def broadcast_output(run_id: int, chunks: list[dict]) -> None:
    """Push stored chunks in as few messages as fit the size bound."""
    batch: list[dict] = []
    size = 0
    for chunk in chunks:
        chunk_size = len(chunk["text"]) + 64
        if batch and size + chunk_size > MAX_MESSAGE_BYTES:
            _broadcast_chunks(run_id, batch, size)
            batch, size = [], 0
        batch.append(chunk)
        size += chunk_size
    if batch:
        _broadcast_chunks(run_id, batch, size)


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
