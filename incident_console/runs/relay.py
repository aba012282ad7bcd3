"""One channel-layer membership per run per process, fanned out in memory to its viewers.

A run watched by a hundred browsers through one web process would otherwise cost a hundred
layer receives and dispatches for every pushed message.  Here the process joins the run's group
once; each message is received once and handed to every viewer of the run in this process.
The relay re-joins the group on a timer (a restarted Redis forgets memberships), tells its
viewers whether pushes are flowing (they poll the database while they are not) and reads what
the database holds of the run once for all of them, so a lost push costs a delay, never a line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from channels.layers import get_channel_layer
from django.db import DatabaseError

from incident_console.background.consumers import JOIN_TIMEOUT, UNREACHABLE, join_group
from incident_console.runs.broadcast import run_group
from incident_console.runs.queries import read_database, stored_state

# Pushes are hints: this often the relay reads what the database holds of the run and has its
# viewers catch up, so a lost push costs at most this delay.
STORED_CHECK_INTERVAL = 5.0
REJOIN_INTERVAL = 5.0
# While the layer is unreachable the relay tries again sooner: pushes resume a second after.
REJOIN_INTERVAL_WHILE_AWAY = 1.0

log = logging.getLogger(__name__)


class Viewer(Protocol):
    def hear(self, message: dict) -> None:
        """Take one group message without waiting (the relay serves every viewer in turn)."""


class RunRelay:
    """The group membership of one run in one process (one event loop)."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.group = run_group(run_id)
        self.viewers: set[Viewer] = set()
        self.live = False
        self.joined_once = asyncio.Event()
        self.layer = get_channel_layer()
        self.channel_name = ""
        self.tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        self.channel_name = await self.layer.new_channel()
        self.tasks = [
            asyncio.create_task(self._keep_joined()),
            asyncio.create_task(self._check_stored()),
        ]

    async def _join(self) -> bool:
        return await join_group(self.layer, self.group, self.channel_name)

    async def _keep_joined(self) -> None:
        self.live = await self._join()
        self.joined_once.set()
        self.tasks.append(asyncio.create_task(self._receive_forever()))
        while True:
            await asyncio.sleep(REJOIN_INTERVAL if self.live else REJOIN_INTERVAL_WHILE_AWAY)
            live = await self._join()
            if live != self.live:
                self.live = live
                self._hand_out({"type": "relay.live", "live": live})

    async def _receive_forever(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel_name)
            except UNREACHABLE as error:
                log.warning("%s: receive failed (%s); receiving again", self.group, error)
                await asyncio.sleep(REJOIN_INTERVAL_WHILE_AWAY)
                continue
            self._hand_out(message)

    async def _check_stored(self) -> None:
        while True:
            await asyncio.sleep(STORED_CHECK_INTERVAL)
            try:
                state = await read_database(stored_state)(self.run_id)
            except DatabaseError as error:
                log.warning("%s: the database is unreachable (%s)", self.group, error)
                continue
            if state is not None:
                self._hand_out({"type": "run.stored", **state})

    def _hand_out(self, message: dict) -> None:
        for viewer in list(self.viewers):
            viewer.hear(message)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        with contextlib.suppress(*UNREACHABLE):
            await asyncio.wait_for(
                self.layer.group_discard(self.group, self.channel_name), JOIN_TIMEOUT
            )


_relays: dict[tuple[asyncio.AbstractEventLoop, int], RunRelay] = {}


async def follow(run_id: int, viewer: Viewer) -> RunRelay:
    """Have ``viewer`` hear the run's pushes from now on; returns once the process is in the
    group (or knows it cannot be), so what the database holds afterwards leaves no gap."""
    key = (asyncio.get_running_loop(), run_id)
    relay = _relays.get(key)
    if relay is None:
        relay = _relays[key] = RunRelay(run_id)
        await relay.start()
    relay.viewers.add(viewer)
    await relay.joined_once.wait()
    return relay


async def unfollow(run_id: int, viewer: Viewer) -> None:
    key = (asyncio.get_running_loop(), run_id)
    relay = _relays.get(key)
    if relay is None:
        return
    relay.viewers.discard(viewer)
    if not relay.viewers:
        del _relays[key]
        await relay.stop()
