"""Live output of one run over a websocket.

On connect the consumer joins the run's group first, then sends what the database holds after
``?after=N``; live batches then follow.  Anything at or below the last sent seq is dropped and
any hole is filled from the database, so a client sees every chunk once, in order.

A frame holds one chunk (``{"type": "output", "seq": …}``) or several in order
(``{"type": "output_batch", "chunks": [...]}``): the backlog goes out a batch per frame, and
live chunks that piled up while the client was being sent others go out together, so a busy
run watched by many does not cost a frame per chunk per viewer.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from channels.db import database_sync_to_async

from incident_console.background.consumers import GroupConsumer
from incident_console.incidents.selectors import runs_visible_to
from incident_console.runs.broadcast import run_group
from incident_console.runs.models import StepRun
from incident_console.runs.queries import PAGE_SIZE, chunks_after

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_BAD_REQUEST = 4400
# While live pushes flow, the group is re-joined and the database checked this often (a
# Redis restart forgets group memberships); while they do not, the database is polled.
LIVE_CHECK_INTERVAL = 5.0
POLL_INTERVAL = 1.0
MAX_FRAME_CHARS = 256 * 1024
# Every frame costs the process a write to one socket.  A run watched by many in this process
# gets about this many live frames a second in all: each viewer's frames are spaced by
# viewers / FRAMES_PER_SECOND_PER_RUN seconds (1 ms for one viewer, 100 ms for a hundred) and
# what arrives meanwhile goes out together.
FRAMES_PER_SECOND_PER_RUN = 1000
_viewers: Counter[int] = Counter()


class RunOutputConsumer(GroupConsumer):
    run_id: int
    last_seq: int = 0
    live: bool = False
    finished: bool = False
    forwarder: asyncio.Task | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        after = _after_from_query(self.scope.get("query_string", b""))
        if after is None:
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        # A run of a restricted incident this user may not see closes like one that never was.
        run = await _load_run(self.run_id, user)
        if run is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.last_seq = after
        self.group = run_group(self.run_id)
        self.user = user
        self.sending = asyncio.Lock()
        self.inbox: list[dict] = []
        self.inbox_filled = asyncio.Event()
        self.live = await self.join()
        await self.accept()
        if not self.live:
            await self.send_json({"type": "live", "live": False})
        # The run is read before its chunks: when it had ended by then, every chunk was stored
        # before, so the final status never overtakes the last lines.
        run = await _load_run(self.run_id, user)
        async with self.sending:
            await self._send_stored(before=None)
        if run is not None and run.is_finished:
            await self._send_status(run.status, run.exit_code)
        else:
            self.keeper = asyncio.create_task(self._keep_up())
            _viewers[self.run_id] += 1
            self.forwarder = asyncio.create_task(self._forward())

    async def _keep_up(self) -> None:
        """The socket is only a hint: re-join the group and catch up from the database until
        the run ends, so a lost push or a Redis restart costs a delay, never a line."""
        while not self.finished:
            await asyncio.sleep(LIVE_CHECK_INTERVAL if self.live else POLL_INTERVAL)
            joined = await self.join()
            if joined != self.live:
                self.live = joined
                await self.send_json({"type": "live", "live": joined})
            run = await _load_run(self.run_id, self.user)
            async with self.sending:
                await self._send_stored(before=None)
            if run is None:
                await self.close(code=CLOSE_NOT_FOUND)
                return
            if run.is_finished:
                await self._send_status(run.status, run.exit_code)

    async def receive_json(self, content, **kwargs) -> None:
        """Clients only listen; anything they send is ignored."""

    async def run_output(self, event: dict) -> None:
        self.inbox.extend(event["chunks"])
        self.inbox_filled.set()

    async def _forward(self) -> None:
        loop = asyncio.get_running_loop()
        last_frame_at = 0.0
        while True:
            await self.inbox_filled.wait()
            spacing = _viewers[self.run_id] / FRAMES_PER_SECOND_PER_RUN
            wait = last_frame_at + spacing - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self.inbox_filled.clear()
            chunks, self.inbox = self.inbox, []
            async with self.sending:
                await self._send_live(chunks)
            last_frame_at = loop.time()

    async def _send_live(self, chunks: list[dict]) -> None:
        """Send pushed chunks in order, filling any hole before one from the database."""
        following: list[dict] = []
        for chunk in chunks:
            expected = (following[-1]["seq"] if following else self.last_seq) + 1
            if chunk["seq"] < expected:
                continue
            if chunk["seq"] > expected:
                await self._send_chunks(following)
                following = []
                await self._send_stored(before=chunk["seq"])
            following.append(chunk)
        await self._send_chunks(following)

    async def run_status(self, event: dict) -> None:
        async with self.sending:
            if event.get("last_seq", 0) > self.last_seq:
                await self._send_stored(before=None)
        await self._send_status(event["status"], event.get("exit_code"))

    async def _send_stored(self, *, before: int | None) -> None:
        while True:
            chunks = await database_sync_to_async(chunks_after)(
                self.run_id, self.last_seq, before=before
            )
            await self._send_chunks(chunks)
            if len(chunks) < PAGE_SIZE:
                return

    async def _send_chunks(self, chunks: list[dict]) -> None:
        """Send the chunks after the last sent seq, as few frames as the size bound allows."""
        frame: list[dict] = []
        size = 0
        for chunk in chunks:
            if chunk["seq"] <= self.last_seq:
                continue
            if frame and size + len(chunk["text"]) > MAX_FRAME_CHARS:
                await self._send_frame(frame)
                frame, size = [], 0
            frame.append(chunk)
            size += len(chunk["text"])
            self.last_seq = chunk["seq"]
        if frame:
            await self._send_frame(frame)

    async def _send_frame(self, chunks: list[dict]) -> None:
        if len(chunks) == 1:
            await self.send_json({"type": "output", **chunks[0]})
        else:
            await self.send_json({"type": "output_batch", "chunks": chunks})

    async def disconnect(self, code: int) -> None:
        if self.forwarder is not None:
            self.forwarder.cancel()
            _viewers[self.run_id] -= 1
            if not _viewers[self.run_id]:
                del _viewers[self.run_id]
        await super().disconnect(code)

    async def _send_status(self, status: str, exit_code: int | None) -> None:
        if self.finished:
            return
        self.finished = status not in StepRun.ACTIVE_STATUSES
        await self.send_json({"type": "status", "status": status, "exit_code": exit_code})


def _after_from_query(query_string: bytes) -> int | None:
    from urllib.parse import parse_qs

    values = parse_qs(query_string.decode("latin-1")).get("after", ["0"])
    try:
        after = int(values[-1])
    except ValueError:
        return None
    return after if after >= 0 else None


@database_sync_to_async
def _load_run(run_id: int, user) -> StepRun | None:
    return runs_visible_to(user).filter(pk=run_id).first()
