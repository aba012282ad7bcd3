import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incident_console.settings")
django_asgi_app = get_asgi_application()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import re_path  # noqa: E402

from incident_console.accounts.websocket_auth import (  # noqa: E402
    SameOriginValidator,
    WebsocketAuthStack,
)
from incident_console.checks import refuse_to_start_misconfigured  # noqa: E402
from incident_console.incidents.consumers import IncidentConsumer  # noqa: E402
from incident_console.incidents.dashboard_consumer import DashboardConsumer  # noqa: E402
from incident_console.runs.consumers import CLOSE_NOT_FOUND, RunOutputConsumer  # noqa: E402


class NoRouteConsumer(AsyncWebsocketConsumer):
    """Any other websocket path is closed with 4404; the router alone would raise (HTTP 500)."""

    async def connect(self) -> None:
        await self.close(code=CLOSE_NOT_FOUND)


websocket_urlpatterns = [
    # At most 18 digits: always a valid bigint, never an overflow in the run lookup.
    re_path(r"^ws/runs/(?P<run_id>[1-9][0-9]{0,17})/$", RunOutputConsumer.as_asgi()),
    re_path(r"^ws/incidents/(?P<incident_id>[1-9][0-9]{0,17})/$", IncidentConsumer.as_asgi()),
    re_path(r"^ws/dashboard/$", DashboardConsumer.as_asgi()),
    re_path(r"^", NoRouteConsumer.as_asgi()),
]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "lifespan": refuse_to_start_misconfigured,
        "websocket": SameOriginValidator(WebsocketAuthStack(URLRouter(websocket_urlpatterns))),
    }
)

if settings.EMBEDDED and os.environ.get("INCIDENT_CONSOLE_SERVER") == "1":
    from incident_console.background.embedded import start_embedded_scheduler

    start_embedded_scheduler()
