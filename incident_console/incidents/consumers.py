"""What changed on one incident, over a websocket: small hints the incident page acts on.

The consumer joins the incident's group and forwards four kinds of event: a timeline entry
added, a run's status, the incident's status or details, an approval requested or given.  The
page fetches what it needs over HTTP, so a missed hint costs a delay, never a wrong page: on
every (re)connect the page catches up from the timeline API.  Nothing here writes.
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from incident_console.background.consumers import GroupConsumer
from incident_console.incidents.selectors import incidents_visible_to
from incident_console.runs.broadcast import incident_group
from incident_console.runs.consumers import CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED


class IncidentConsumer(GroupConsumer):
    gone: bool = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        incident_id = int(self.scope["url_route"]["kwargs"]["incident_id"])
        # A restricted incident this user may not see closes like one that never was.
        if not await _visible(incident_id, user):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.incident_id = incident_id
        self.user = user
        self.group = incident_group(incident_id)
        await self.accept()
        await self.join_and_keep_joined()

    async def _forward(self, message: dict) -> None:
        if not self.gone:
            await self.send_json(message)

    async def incident_timeline(self, event: dict) -> None:
        await self._forward({"type": "timeline", "entry": event["entry"]})

    async def incident_run(self, event: dict) -> None:
        fields = ("run", "step_id", "status", "exit_code")
        await self._forward({"type": "run", **{name: event.get(name) for name in fields}})

    async def still_wanted(self) -> bool:
        """Restricting an incident takes it away from whoever is no longer allowed to see it."""
        if await _visible(self.incident_id, self.user):
            return True
        self.gone = True
        await self.close(code=CLOSE_NOT_FOUND)
        return False

    async def incident_changed(self, event: dict) -> None:
        if event["what"] == "details" and not await self.still_wanted():
            return
        await self._forward({"type": "incident", "what": event["what"], "status": event["status"]})

    async def incident_approval(self, event: dict) -> None:
        fields = ("state", "run", "step_id")
        await self._forward({"type": "approval", **{name: event[name] for name in fields}})


@database_sync_to_async
def _visible(incident_id: int, user) -> bool:
    return incidents_visible_to(user).filter(pk=incident_id).exists()
