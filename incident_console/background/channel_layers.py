"""Channel layers: the embedded mode's in-memory layer, callable from worker threads, and the
service mode's Redis layer, which survives a Redis restart.

InMemoryChannelLayer keeps an asyncio queue per channel, which belongs to the event loop of
the consumer receiving from it.  Steps and the broadcast publisher run on threads with loops
of their own, so a send is handed to the receiving channel's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class ThreadSafeInMemoryChannelLayer(InMemoryChannelLayer):
    """Each channel's messages are put on its queue by the loop that receives from it.

    One loop per layer ("the last one to receive") is not enough: two loops receive at once
    whenever a second thread serves a consumer, and a message put from a foreign thread does
    not wake the receiving loop.
    """

    # A receiving loop that does not take a message this long is stuck; the sender goes on.
    hand_over_timeout = 5.0

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._receiving_loops: dict[str, asyncio.AbstractEventLoop] = {}

    async def receive(self, channel):
        self._receiving_loops[channel] = asyncio.get_running_loop()
        try:
            return await super().receive(channel)
        finally:
            # A channel in no group (a health check's) is not sent to from elsewhere.
            if not self._in_a_group(channel):
                self._receiving_loops.pop(channel, None)

    async def send(self, channel, message):
        receiving = self._receiving_loops.get(channel)
        here = asyncio.get_running_loop()
        if receiving is None or receiving is here or not receiving.is_running():
            await super().send(channel, message)
            return
        handed = asyncio.run_coroutine_threadsafe(super().send(channel, message), receiving)
        try:
            await asyncio.wait_for(asyncio.wrap_future(handed), self.hand_over_timeout)
        except TimeoutError:
            log.warning("channel %s: its loop took no message in time; dropped", channel)

    async def group_send(self, group, message):
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, {})):
            with contextlib.suppress(ChannelFull):
                await self.send(channel, message)

    async def group_discard(self, group, channel):
        await super().group_discard(group, channel)
        if not self._in_a_group(channel):
            self._receiving_loops.pop(channel, None)

    def _in_a_group(self, channel: str) -> bool:
        return any(channel in members for members in self.groups.values())

    async def flush(self):
        await super().flush()
        self._receiving_loops.clear()


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
