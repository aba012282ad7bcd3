"""What every websocket consumer of the console shares: a group membership that survives the
channel layer going away and coming back."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

JOIN_TIMEOUT = 2.0
UNREACHABLE = (OSError, TimeoutError, RedisError)

log = logging.getLogger(__name__)


class GroupConsumer(AsyncJsonWebsocketConsumer):
    """Joins ``group`` without failing when the channel layer is unreachable; the subclass's
    ``keeper`` task re-joins (a restarted Redis forgets memberships) and catches up."""

    group: str = ""
    keeper: asyncio.Task | None = None

    async def join(self) -> bool:
        """Join the group; False when the channel layer cannot be reached right now."""
        try:
            await asyncio.wait_for(
                self.channel_layer.group_add(self.group, self.channel_name), JOIN_TIMEOUT
            )
        except UNREACHABLE as error:
            log.warning("%s: live updates paused, channel layer unreachable: %s", self.group, error)
            return False
        return True

    async def disconnect(self, code: int) -> None:
        if self.keeper is not None:
            self.keeper.cancel()
        if self.group:
            with contextlib.suppress(*UNREACHABLE):
                await asyncio.wait_for(
                    self.channel_layer.group_discard(self.group, self.channel_name), JOIN_TIMEOUT
                )
