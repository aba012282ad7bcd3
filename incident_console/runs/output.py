"""Store a running step's output in numbered chunks and push each batch to browsers.

Executors emit line by line from their own thread; one flusher thread writes them as chunks
with a per-run ``seq``, then broadcasts them.  Output after a quiet spell is flushed at once
(up to ``eager_flushes`` times and ``eager_lines`` lines per ``flush_interval``); a flood, once
that allowance is spent, is batched every ``flush_interval`` seconds or ``flush_lines`` lines.
The same thread beats the run's heartbeat and notices a cancel request.  Only this thread
writes chunks, so ``seq`` order is output order.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.utils import timezone

from executors.base import SYSTEM_PREFIX
from incident_console.runs.broadcast import broadcast_output
from incident_console.runs.models import OutputChunk, StepRun

log = logging.getLogger(__name__)

MAX_CHUNK_CHARS = 64 * 1024
# Output read but not yet stored, past which the reader waits for the store to catch up.
MAX_BACKLOG_BYTES = 8 * 1024 * 1024
MAX_BACKLOG_WAIT = 1.0
# After the step has ended, unsaved output waits this long for the database to come back.
GIVE_UP_AFTER = 3600.0


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
    # psycopg's own cursor, for COPY; its errors are turned into Django's like any query's.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} (run_id, seq, stream, text) FROM STDIN") as copy:
            for chunk in chunks:
                copy.write_row((run_id, chunk["seq"], chunk["stream"], chunk["text"]))


def database_unreachable(exc: DatabaseError) -> bool:
    """A lost connection to PostgreSQL (a restart, a failover) is worth retrying; a broken
    query, or SQLite, is not."""
    return connection.vendor == "postgresql" and isinstance(exc, OperationalError | InterfaceError)


class OutputRecorder:
    """Batches a run's output into stored chunks, beats its heartbeat and fences it.

    The database may be unreachable for a while (a restart, a failover): unsaved chunks stay
    in memory (bounded by ``max_bytes``) and are retried, so no printed line is lost.  When
    the heartbeat cannot be renewed for ``fence_after`` seconds (shorter than the time after
    which the reaper declares the run lost), the step is stopped here, so a run declared lost
    is never still running when someone runs it again.  A heartbeat that finds the run already
    declared lost stops the step at once.
    """

    def __init__(
        self,
        run_id: int,
        cancel: threading.Event,
        *,
        flush_interval: float,
        flush_lines: int,
        heartbeat_interval: float,
        fence_after: float,
        cancel_check_interval: float = 0.5,
        max_bytes: int | None = None,
        kill_on_limit: bool = True,
        idle_timeout: float | None = None,
        eager_flushes: int = 0,
        eager_lines: int = 0,
    ) -> None:
        self.run_id = run_id
        self.cancel = cancel
        self.flush_interval = flush_interval
        self.flush_lines = flush_lines
        self.heartbeat_interval = heartbeat_interval
        self.fence_after = fence_after
        self.cancel_check_interval = cancel_check_interval
        self.max_bytes = max_bytes
        self.kill_on_limit = kill_on_limit
        self.idle_timeout = idle_timeout
        self.eager_flushes = eager_flushes
        self.eager_lines = eager_lines
        self.last_seq = 0
        self.bytes = 0
        self.accepted_bytes = 0
        self.truncated = False
        self.stop_reason: str | None = None
        self.database_errors = 0
        self._last_emit = time.monotonic()
        self._last_contact = time.monotonic()
        self._pending: list[tuple[str, str]] = []
        self._pending_lines = 0
        self._backlog_bytes = 0
        self._allowance = float(eager_flushes)
        self._lines_allowance = float(eager_lines)
        self._allowance_at = time.monotonic()
        self._unsaved: list[dict] = []
        self._uncertain = False
        self._lock = threading.Lock()
        self._stored = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"output-{run_id}", daemon=True)

    def __enter__(self) -> OutputRecorder:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._closing.set()
        self._wake.set()
        self._thread.join()

    def emit(self, stream: str, text: str) -> None:
        with self._lock:
            self._last_emit = now = time.monotonic()
            if self.truncated:
                return
            size = len(text.encode("utf-8", "replace"))
            if self.max_bytes is not None and self.accepted_bytes + size > self.max_bytes:
                self._truncate()
                return
            self.accepted_bytes += size
            self._backlog_bytes += size
            self._pending.append((stream, text))
            lines = text.count("\n") or 1
            self._pending_lines += lines
            due = self._pending_lines >= self.flush_lines or self._flush_at_once(now, lines)
            if due:
                self._wake.set()
            self._wait_for_the_store()

    def _wait_for_the_store(self) -> None:
        """Hold the reader (and so the step, once its pipe is full) while too much output
        waits to be stored: a flood costs bounded memory.  Not while the database is away:
        then the step goes on, bounded by ``max_bytes``, and the fence decides.  Never for
        more than ``MAX_BACKLOG_WAIT`` at a time, so that a store hanging on a dead connection
        does not keep the reader from enforcing the step's timeout and cancel."""
        give_up_at = time.monotonic() + MAX_BACKLOG_WAIT
        while self._backlog_bytes > MAX_BACKLOG_BYTES and not (
            self._uncertain or self.cancel.is_set() or self._closing.is_set()
        ):
            left = give_up_at - time.monotonic()
            if left <= 0:
                return
            self._wake.set()
            self._stored.wait(min(left, 0.1))

    def _flush_at_once(self, now: float, lines: int) -> bool:
        """Whether output just emitted goes out now: two token buckets, refilled every
        ``flush_interval`` with ``eager_flushes`` flushes and ``eager_lines`` lines, must both
        allow it.  A flood spends the lines at once and then waits for the tick.  Nothing is
        flushed early while a flush is already due, nor while the database is unreachable:
        the retries keep their backoff."""
        share = (now - self._allowance_at) / self.flush_interval
        self._allowance_at = now
        self._allowance = min(self.eager_flushes, self._allowance + share * self.eager_flushes)
        # In debt for at most one interval's worth: a flood is not remembered once it is over.
        refilled = min(self.eager_lines, self._lines_allowance + share * self.eager_lines)
        self._lines_allowance = max(-self.eager_lines, refilled - lines)
        if self._wake.is_set() or self._uncertain:
            return False
        if self._allowance < 1 or self._lines_allowance < 0:
            return False
        self._allowance -= 1
        return True

    def _truncate(self) -> None:
        self.truncated = True
        action = "stopping the step" if self.kill_on_limit else "the step goes on"
        notice = (
            f"output limit of {self.max_bytes} bytes reached: later output is not kept; {action}"
        )
        self._add_notice(notice)
        if self.kill_on_limit:
            self._stop("output_limit")

    def _stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
            self.cancel.set()

    def _say(self, notice: str) -> None:
        with self._lock:
            self._add_notice(notice)

    def _add_notice(self, notice: str) -> None:
        text = f"{SYSTEM_PREFIX}{notice}\n"
        self._pending.append(("stderr", text))
        self._backlog_bytes += len(text.encode())

    def _check_idle(self) -> None:
        if self.idle_timeout is None or self.stop_reason is not None:
            return
        with self._lock:
            idle = time.monotonic() - self._last_emit
        if idle > self.idle_timeout:
            self._say(f"no output for {self.idle_timeout:g} s: stopping the step")
            self._stop("idle")

    def _check_fence(self) -> None:
        silent = time.monotonic() - self._last_contact
        if silent > self.fence_after and self.stop_reason is None:
            self._say(
                f"the heartbeat could not be renewed for {silent:.0f} s: stopping the step so "
                "that it never runs beside a second copy"
            )
            self._stop("fenced")

    def _loop(self) -> None:
        # The claim has just beaten the heartbeat and read the run: the first output is not
        # kept waiting behind another beat and a cancel check, only its connection is opened
        # while the step starts.
        self._connect()
        started = time.monotonic()
        next_beat = started + self.heartbeat_interval
        next_cancel_check = started + self.cancel_check_interval
        backoff = self.flush_interval
        while True:
            closing = self._closing.is_set()
            self._check_fence()
            try:
                self._check_idle()
                flushed = self._flush()
                now = time.monotonic()
                if now >= next_beat or (closing and flushed):
                    self._beat()
                    next_beat = now + self.heartbeat_interval
                if now >= next_cancel_check:
                    self._check_cancel()
                    next_cancel_check = now + self.cancel_check_interval
                backoff = self.flush_interval
            except DatabaseError as exc:
                if not database_unreachable(exc):
                    self._failed()
                    break
                self._database_failed(exc)
                backoff = min(backoff * 2, 5.0)
            except Exception:
                self._failed()
                break
            if closing and not (self._unsaved or self._pending):
                break
            if closing and time.monotonic() - self._last_contact > GIVE_UP_AFTER:
                log.error("run %s: output not stored, the database is gone", self.run_id)
                break
            self._wake.wait(backoff)
            self._wake.clear()
        connection.close()

    @staticmethod
    def _connect() -> None:
        # Unreachable now is handled by the loop, at the first write.
        with contextlib.suppress(DatabaseError):
            connection.ensure_connection()

    def _failed(self) -> None:
        log.exception("run %s: storing its output failed", self.run_id)
        self.stop_reason = "recorder_failed"
        self.cancel.set()

    def _database_failed(self, exc: Exception) -> None:
        self.database_errors += 1
        self._uncertain = True
        log.warning("run %s: the database is unreachable (%s); retrying", self.run_id, exc)
        # A broken connection is not reused: the next try opens a new one.
        connection.close()

    def _flush(self) -> bool:
        with self._lock:
            lines, self._pending, self._pending_lines = self._pending, [], 0
        if lines:
            next_seq = (self._unsaved[-1]["seq"] if self._unsaved else self.last_seq) + 1
            self._unsaved.extend(lines_to_chunks(lines, next_seq))
        if not self._unsaved:
            return False
        chunks = self._unsaved
        if self._uncertain:
            chunks = self._not_yet_stored(chunks)
        if chunks:
            store_chunks(self.run_id, chunks)
        self._uncertain = False
        self._last_contact = time.monotonic()
        self.last_seq = self._unsaved[-1]["seq"]
        stored_bytes = sum(len(c["text"].encode("utf-8", "replace")) for c in self._unsaved)
        self.bytes += stored_bytes
        saved, self._unsaved = self._unsaved, []
        with self._stored:
            self._backlog_bytes -= stored_bytes
            self._stored.notify_all()
        broadcast_output(self.run_id, saved)
        return True

    def _not_yet_stored(self, chunks: list[dict]) -> list[dict]:
        """After a failed write the server may have committed it anyway: skip what it holds."""
        seqs = [c["seq"] for c in chunks]
        stored = set(
            OutputChunk.objects.filter(run_id=self.run_id, seq__in=seqs).values_list(
                "seq", flat=True
            )
        )
        return [c for c in chunks if c["seq"] not in stored]

    def _beat(self) -> None:
        renewed = StepRun.objects.filter(pk=self.run_id, status=StepRun.Status.RUNNING).update(
            heartbeat_at=timezone.now(), last_seq=self.last_seq, output_bytes=self.bytes
        )
        self._last_contact = time.monotonic()
        if not renewed and self.stop_reason is None:
            self._say("this run was declared lost while it ran: stopping the step")
            self._stop("declared_lost")

    def _check_cancel(self) -> None:
        if StepRun.objects.filter(pk=self.run_id, cancel_requested=True).exists():
            self.cancel.set()
