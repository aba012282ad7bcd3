"""The dashboard's websocket: one hint, "something on the dashboard changed".

The hint names no incident, so a restricted one does not leak; the page fetches its open
incidents over HTTP, filtered for its user.  While the channel layer is unreachable the page is
told ``live: false`` and polls instead.
"""

from __future__ import annotations

from incident_console.background.consumers import GroupConsumer
from incident_console.runs.broadcast import DASHBOARD_GROUP
from incident_console.runs.consumers import CLOSE_UNAUTHENTICATED


class DashboardConsumer(GroupConsumer):
    group = DASHBOARD_GROUP

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.accept()
        await self.join_and_keep_joined()

    async def dashboard_changed(self, event: dict) -> None:
        await self.send_json({"type": "changed"})
