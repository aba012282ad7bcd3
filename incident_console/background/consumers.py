"""What every websocket consumer of the console shares: a group membership that survives the
channel layer going away and coming back."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

JOIN_TIMEOUT = 2.0
# A Redis restart forgets group memberships: join again this often (joining twice is harmless).
REJOIN_INTERVAL = 5.0
UNREACHABLE = (OSError, TimeoutError, RedisError)

log = logging.getLogger(__name__)


async def join_group(layer, group: str, channel: str) -> bool:
    """Add ``channel`` to ``group``; False when the channel layer cannot be reached now."""
    try:
        await asyncio.wait_for(layer.group_add(group, channel), JOIN_TIMEOUT)
    except UNREACHABLE as error:
        log.warning("%s: live updates paused, channel layer unreachable: %s", group, error)
        return False
    return True


class GroupConsumer(AsyncJsonWebsocketConsumer):
    """Joins ``group`` without failing when the channel layer is unreachable; the subclass's
    ``keeper`` task re-joins (a restarted Redis forgets memberships) and catches up."""

    group: str = ""
    keeper: asyncio.Task | None = None

    async def join(self) -> bool:
        """Join the group; False when the channel layer cannot be reached right now."""
        return await join_group(self.channel_layer, self.group, self.channel_name)

    async def join_and_keep_joined(self) -> None:
        """Join, tell the page whether it is live, and keep re-joining while ``still_wanted``;
        the page hears ``live: false`` while the channel layer is away and polls."""
        live = await self.join()
        await self.send_json({"type": "live", "live": live})
        self.keeper = asyncio.create_task(self._keep_joined(live))

    async def _keep_joined(self, live: bool) -> None:
        while True:
            await asyncio.sleep(REJOIN_INTERVAL)
            if not await self.still_wanted():
                return
            joined = await self.join()
            if joined != live:
                live = joined
                # Back from a pause: the page catches up over HTTP.
                await self.send_json({"type": "live", "live": joined})

    async def still_wanted(self) -> bool:
        """Whether to stay in the group: a subclass stops when its user may no longer look."""
        return True

    async def receive_json(self, content, **kwargs) -> None:
        """Clients only listen; anything they send is ignored."""

    async def disconnect(self, code: int) -> None:
        if self.keeper is not None:
            self.keeper.cancel()
        if self.group:
            with contextlib.suppress(*UNREACHABLE):
                await asyncio.wait_for(
                    self.channel_layer.group_discard(self.group, self.channel_name), JOIN_TIMEOUT
                )
