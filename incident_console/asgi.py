import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incident_console.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from incident_console.accounts.websocket_auth import (  # noqa: E402
    WebsocketAuthStack,
    allowed_hosts_origin_validator,
)
from incident_console.runs.consumers import RunOutputConsumer  # noqa: E402

websocket_urlpatterns = [
    path("ws/runs/<int:run_id>/", RunOutputConsumer.as_asgi()),
]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": allowed_hosts_origin_validator(
            WebsocketAuthStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

if settings.EMBEDDED and os.environ.get("INCIDENT_CONSOLE_SERVER") == "1":
    from incident_console.runs.dispatch import start_embedded_scheduler

    start_embedded_scheduler(settings.REAP_INTERVAL, settings.TICK_INTERVAL)
