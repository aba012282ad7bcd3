"""Store a running step's output in numbered chunks and push each batch to browsers.

Executors emit line by line from their own thread; one flusher thread batches the lines
(every ``flush_interval`` seconds or ``flush_lines`` lines), writes them as chunks with a
per-run ``seq``, then broadcasts them.  The same thread beats the run's heartbeat and notices
a cancel request.  Only this thread writes chunks, so ``seq`` order is output order.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import connection
from django.utils import timezone

from executors.base import SYSTEM_PREFIX
from incident_console.runs.broadcast import broadcast_output
from incident_console.runs.models import OutputChunk, StepRun

log = logging.getLogger(__name__)

MAX_CHUNK_CHARS = 64 * 1024


def lines_to_chunks(lines: list[tuple[str, str]], first_seq: int) -> list[dict]:
    """Merge consecutive lines of one stream into chunks numbered from ``first_seq``."""
    chunks: list[dict] = []
    for stream, text in lines:
        last = chunks[-1] if chunks else None
        if last and last["stream"] == stream and len(last["text"]) + len(text) <= MAX_CHUNK_CHARS:
            last["text"] += text
        else:
            chunks.append({"seq": first_seq + len(chunks), "stream": stream, "text": text})
    return chunks


def store_chunks(run_id: int, chunks: list[dict]) -> None:
    """Insert chunks; on PostgreSQL with COPY, several times faster than INSERT for big output."""
    if connection.vendor != "postgresql":
        OutputChunk.objects.bulk_create(
            OutputChunk(run_id=run_id, seq=c["seq"], stream=c["stream"], text=c["text"])
            for c in chunks
        )
        return
    table = OutputChunk._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY {table} (run_id, seq, stream, text) FROM STDIN") as copy:
            for chunk in chunks:
                copy.write_row((run_id, chunk["seq"], chunk["stream"], chunk["text"]))


class OutputRecorder:
    def __init__(
        self,
        run_id: int,
        cancel: threading.Event,
        *,
        flush_interval: float,
        flush_lines: int,
        heartbeat_interval: float,
        cancel_check_interval: float = 0.5,
        max_bytes: int | None = None,
        kill_on_limit: bool = True,
        idle_timeout: float | None = None,
    ) -> None:
        self.run_id = run_id
        self.cancel = cancel
        self.flush_interval = flush_interval
        self.flush_lines = flush_lines
        self.heartbeat_interval = heartbeat_interval
        self.cancel_check_interval = cancel_check_interval
        self.max_bytes = max_bytes
        self.kill_on_limit = kill_on_limit
        self.idle_timeout = idle_timeout
        self.last_seq = 0
        self.bytes = 0
        self.accepted_bytes = 0
        self.truncated = False
        self.stop_reason: str | None = None
        self._last_emit = time.monotonic()
        self._pending: list[tuple[str, str]] = []
        self._pending_lines = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name=f"output-{run_id}", daemon=True)

    def __enter__(self) -> OutputRecorder:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._closing.set()
        self._wake.set()
        self._thread.join()
        if self._failure is not None:
            raise RuntimeError("storing the step's output failed") from self._failure

    def emit(self, stream: str, text: str) -> None:
        with self._lock:
            self._last_emit = time.monotonic()
            if self.truncated:
                return
            size = len(text.encode("utf-8", "replace"))
            if self.max_bytes is not None and self.accepted_bytes + size > self.max_bytes:
                self._truncate()
                return
            self.accepted_bytes += size
            self._pending.append((stream, text))
            self._pending_lines += text.count("\n") or 1
            full = self._pending_lines >= self.flush_lines
        if full:
            self._wake.set()

    def _truncate(self) -> None:
        self.truncated = True
        action = "stopping the step" if self.kill_on_limit else "the step goes on"
        notice = (
            f"output limit of {self.max_bytes} bytes reached: later output is not kept; {action}"
        )
        self._pending.append(("stderr", f"{SYSTEM_PREFIX}{notice}\n"))
        if self.kill_on_limit:
            self._stop("output_limit")

    def _stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
            self.cancel.set()

    def _check_idle(self) -> None:
        if self.idle_timeout is None or self.stop_reason is not None:
            return
        with self._lock:
            idle = time.monotonic() - self._last_emit
            if idle > self.idle_timeout:
                notice = f"no output for {self.idle_timeout:g} s: stopping the step"
                self._pending.append(("stderr", f"{SYSTEM_PREFIX}{notice}\n"))
                self._stop("idle")

    def _loop(self) -> None:
        next_beat = next_cancel_check = time.monotonic()
        try:
            while not self._closing.is_set():
                self._wake.wait(self.flush_interval)
                self._wake.clear()
                self._check_idle()
                self._flush()
                now = time.monotonic()
                if now >= next_beat:
                    self._beat()
                    next_beat = now + self.heartbeat_interval
                if now >= next_cancel_check:
                    self._check_cancel()
                    next_cancel_check = now + self.cancel_check_interval
            if self._flush():
                self._beat()
        except BaseException as exc:  # noqa: BLE001 - surfaced to the run by __exit__
            log.exception("output recorder of run %s failed", self.run_id)
            self._failure = exc
            self.cancel.set()
        finally:
            connection.close()

    def _flush(self) -> bool:
        with self._lock:
            lines, self._pending, self._pending_lines = self._pending, [], 0
        if not lines:
            return False
        chunks = lines_to_chunks(lines, self.last_seq + 1)
        store_chunks(self.run_id, chunks)
        self.last_seq = chunks[-1]["seq"]
        self.bytes += sum(len(c["text"].encode("utf-8", "replace")) for c in chunks)
        broadcast_output(self.run_id, chunks)
        return True

    def _beat(self) -> None:
        StepRun.objects.filter(pk=self.run_id).update(
            heartbeat_at=timezone.now(), last_seq=self.last_seq, output_bytes=self.bytes
        )

    def _check_cancel(self) -> None:
        if StepRun.objects.filter(pk=self.run_id, cancel_requested=True).exists():
            self.cancel.set()
