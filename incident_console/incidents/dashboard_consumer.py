"""The dashboard's websocket: one hint, "something on the dashboard changed".

The hint names no incident, so a restricted one does not leak; the page fetches its open
incidents over HTTP, filtered for its user.  While the channel layer is unreachable the page is
told ``live: false`` and polls instead.
"""

from __future__ import annotations

import asyncio

from incident_console.background.consumers import GroupConsumer
from incident_console.runs.broadcast import DASHBOARD_GROUP
from incident_console.runs.consumers import CLOSE_UNAUTHENTICATED

# A Redis restart forgets group memberships: join again this often (joining twice is harmless).
REJOIN_INTERVAL = 5.0


class DashboardConsumer(GroupConsumer):
    group = DASHBOARD_GROUP

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.accept()
        live = await self.join()
        await self.send_json({"type": "live", "live": live})
        self.keeper = asyncio.create_task(self._keep_joined(live))

    async def _keep_joined(self, live: bool) -> None:
        while True:
            await asyncio.sleep(REJOIN_INTERVAL)
            joined = await self.join()
            if joined != live:
                live = joined
                await self.send_json({"type": "live", "live": joined})

    async def receive_json(self, content, **kwargs) -> None:
        """Clients only listen; anything they send is ignored."""

    async def dashboard_changed(self, event: dict) -> None:
        await self.send_json({"type": "changed"})
