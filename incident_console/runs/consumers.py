"""Live output of one run over a websocket.

On connect the consumer follows the run's relay first (the process's one membership of the run's
group, see ``relay``), then sends what the database holds after ``?after=N``; live batches then
follow.  Anything at or below the last sent seq is dropped and
any hole is filled from the database, so a client sees every chunk once, in order.

A frame holds one chunk (``{"type": "output", "seq": …}``) or several in order
(``{"type": "output_batch", "chunks": [...]}``): the backlog goes out a batch per frame, and
live chunks that piled up while the client was being sent others go out together, so a busy
run watched by many does not cost a frame per chunk per viewer.  Viewers at the same place get
the same frames, so a frame is encoded once for all of them.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import OrderedDict

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from incident_console.incidents.selectors import runs_visible_to
from incident_console.runs.models import StepRun
from incident_console.runs.queries import PAGE_SIZE, chunks_after, read_database
from incident_console.runs.relay import RunRelay, follow, unfollow

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_BAD_REQUEST = 4400
# While live pushes flow, the database is checked this often anyway; while they do not (the
# channel layer is away), it is polled.
LIVE_CHECK_INTERVAL = 5.0
POLL_INTERVAL = 1.0
MAX_FRAME_CHARS = 256 * 1024
# Every frame costs the process a write to one socket.  A run watched by many in this process
# gets about this many live frames a second in all: each viewer's frames are spaced by
# viewers / FRAMES_PER_SECOND_PER_RUN seconds (1 ms for one viewer, 100 ms for a hundred) and
# what arrives meanwhile goes out together.
FRAMES_PER_SECOND_PER_RUN = 1000


class RunOutputConsumer(AsyncJsonWebsocketConsumer):
    run_id: int
    last_seq: int = 0
    live: bool = False
    finished: bool = False
    relay: RunRelay | None = None
    keeper: asyncio.Task | None = None
    forwarder: asyncio.Task | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.status_tasks: set[asyncio.Task] = set()

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
        self.last_seq = after
        self.user = user
        self.sending = asyncio.Lock()
        self.inbox: list[dict] = []
        self.inbox_filled = asyncio.Event()
        # Pushes heard before the backlog is sent wait for it: a status never goes out first.
        async with self.sending:
            # Pushes are heard from here on, so what the database holds afterwards leaves no gap.
            self.relay = await follow(self.run_id, self)
            # The run is read before its chunks: when it had ended by then, every chunk was
            # stored before, so the final status never overtakes the last lines.
            run, chunks = await _run_and_chunks_after(self.run_id, user, self.last_seq)
            if run is None:
                # A run of a restricted incident this user may not see closes like one that
                # never was.
                await self._unfollow()
                await self.close(code=CLOSE_NOT_FOUND)
                return
            self.live = self.relay.live
            await self.accept()
            if not self.live:
                await self.send_json({"type": "live", "live": False})
            await self._send_chunks(chunks)
            if len(chunks) == PAGE_SIZE:
                await self._send_stored(before=None)
        if run.is_finished:
            await self._unfollow()
            await self._send_status(run.status, run.exit_code)
        else:
            self.keeper = asyncio.create_task(self._keep_up())
            self.forwarder = asyncio.create_task(self._forward())

    async def _keep_up(self) -> None:
        """Check that this user may still look, and while pushes do not flow, poll the
        database; while they do, the relay checks it for every viewer of the run here, so a
        lost push or a Redis restart costs a delay, never a line."""
        while not self.finished:
            interval = LIVE_CHECK_INTERVAL if self.live else POLL_INTERVAL
            # Viewers who connected together do not all check at the same moment.
            await asyncio.sleep(interval * random.uniform(0.75, 1.25))
            if self.relay.live != self.live:
                self.live = self.relay.live
                await self.send_json({"type": "live", "live": self.live})
            run = await _load_run(self.run_id, self.user)
            if run is None:
                await self.close(code=CLOSE_NOT_FOUND)
                return
            if not self.live or run.is_finished:
                async with self.sending:
                    await self._send_stored(before=None)
            if run.is_finished:
                await self._send_status(run.status, run.exit_code)

    def hear(self, message: dict) -> None:
        """A push relayed from the run's group: output joins the inbox, a status is sent
        after what the database holds."""
        if message["type"] == "run.output":
            self.inbox.extend(message["chunks"])
            self.inbox_filled.set()
        elif message["type"] == "relay.live" and message["live"] != self.live:
            self.live = message["live"]
            self._in_background(self._tell_live())
        elif message["type"] in ("run.status", "run.stored"):
            self._in_background(self.run_status(message))

    def _in_background(self, coroutine) -> None:
        """Run as a task of its own, cancelled when this viewer stops following the run."""
        self.status_tasks.add(task := asyncio.create_task(coroutine))
        task.add_done_callback(self.status_tasks.discard)

    async def _tell_live(self) -> None:
        async with self.sending:  # after the backlog, never before the socket is accepted
            await self.send_json({"type": "live", "live": self.live})

    async def receive_json(self, content, **kwargs) -> None:
        """Clients only listen; anything they send is ignored."""

    async def _forward(self) -> None:
        loop = asyncio.get_running_loop()
        last_frame_at = 0.0
        while True:
            await self.inbox_filled.wait()
            spacing = len(self.relay.viewers) / FRAMES_PER_SECOND_PER_RUN
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
        """A status pushed, or what the relay read of the run (``run.stored``): catch up on
        what is stored, then tell a new status; an unchanged one goes unsaid."""
        async with self.sending:
            if event.get("last_seq", 0) > self.last_seq:
                await self._send_stored(before=None)
        if event["type"] == "run.status" or event["status"] not in StepRun.ACTIVE_STATUSES:
            await self._send_status(event["status"], event.get("exit_code"))

    async def _send_stored(self, *, before: int | None) -> None:
        while True:
            chunks = await read_database(chunks_after)(self.run_id, self.last_seq, before=before)
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
        await self.send(text_data=_encoded_frame(self.run_id, chunks))

    async def disconnect(self, code: int) -> None:
        for task in (self.keeper, self.forwarder):
            if task is not None:
                task.cancel()
        await self._unfollow()

    async def _unfollow(self) -> None:
        for task in self.status_tasks:
            task.cancel()
        if self.relay is not None:
            self.relay = None
            await unfollow(self.run_id, self)

    async def _send_status(self, status: str, exit_code: int | None) -> None:
        if self.finished:
            return
        self.finished = status not in StepRun.ACTIVE_STATUSES
        await self.send_json({"type": "status", "status": status, "exit_code": exit_code})


_frames: OrderedDict[tuple[int, int, int], str] = OrderedDict()
FRAMES_KEPT = 1024


def _encoded_frame(run_id: int, chunks: list[dict]) -> str:
    """The frame holding chunks ``first..last`` of a run, encoded once for every viewer: a
    stored chunk never changes, so the seq range names the frame."""
    key = (run_id, chunks[0]["seq"], chunks[-1]["seq"])
    frame = _frames.get(key)
    if frame is None:
        if len(chunks) == 1:
            frame = json.dumps({"type": "output", **chunks[0]})
        else:
            frame = json.dumps({"type": "output_batch", "chunks": chunks})
        _frames[key] = frame
        if len(_frames) > FRAMES_KEPT:
            _frames.popitem(last=False)
    return frame


def _after_from_query(query_string: bytes) -> int | None:
    from urllib.parse import parse_qs

    values = parse_qs(query_string.decode("latin-1")).get("after", ["0"])
    try:
        after = int(values[-1])
    except ValueError:
        return None
    return after if after >= 0 else None


@read_database
def _load_run(run_id: int, user) -> StepRun | None:
    return runs_visible_to(user).filter(pk=run_id).first()


@read_database
def _run_and_chunks_after(run_id: int, user, after: int) -> tuple[StepRun | None, list[dict]]:
    """The run if ``user`` may see it, then the first page of its chunks after ``after``, in
    that order."""
    run = runs_visible_to(user).filter(pk=run_id).first()
    return run, chunks_after(run_id, after) if run is not None else []
