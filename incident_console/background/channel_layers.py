"""Channel layers: the embedded mode's in-memory layer, callable from worker threads, and the
service mode's Redis layer, which survives a Redis restart.

InMemoryChannelLayer keeps asyncio queues that belong to the server's event loop.  Steps run
on threads with loops of their own, so their sends are handed to the server's loop.
"""

from __future__ import annotations

import asyncio
import logging

from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class ThreadSafeInMemoryChannelLayer(InMemoryChannelLayer):
    _home_loop: asyncio.AbstractEventLoop | None = None

    async def receive(self, channel):
        self._home_loop = asyncio.get_running_loop()
        return await super().receive(channel)

    async def send(self, channel, message):
        await self._on_home_loop(super().send(channel, message))

    async def group_send(self, group, message):
        await self._on_home_loop(super().group_send(group, message))

    async def _on_home_loop(self, coroutine) -> None:
        home = self._home_loop
        if home is None or home is asyncio.get_running_loop() or home.is_closed():
            await coroutine
            return
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, home))


class ResilientRedisChannelLayer(RedisChannelLayer):
    """channels-redis, but a consumer outlives a Redis outage.

    channels-redis raises out of ``receive`` when Redis is unreachable, which ends every open
    websocket.  Here the receive waits for Redis to come back instead; the consumer meanwhile
    serves stored output from the database and re-joins its group (Redis without persistence
    forgets group memberships when it restarts).
    """

    retry_after = 1.0

    async def receive(self, channel):
        while True:
            try:
                return await super().receive(channel)
            except (OSError, RedisError) as error:
                log.warning("channel layer unreachable (%s); receiving again shortly", error)
                await asyncio.sleep(self.retry_after)
