"""The embedded mode's channel layer: Channels' in-memory layer, callable from worker threads.

InMemoryChannelLayer keeps asyncio queues that belong to the server's event loop.  Steps run
on threads with loops of their own, so their sends are handed to the server's loop.
"""

from __future__ import annotations

import asyncio

from channels.layers import InMemoryChannelLayer


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
