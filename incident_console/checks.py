"""System checks on how the console is deployed: `manage.py check` (and so `migrate`) runs them,
and the web process refuses to start while one fails (uvicorn itself runs no checks)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

TAG = "deployment"


@checks.register(TAG)
def check_metrics_token(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Service mode serves /metrics to the network, so it must want a bearer token."""
    if settings.EMBEDDED or settings.METRICS_TOKEN:
        return []
    return [
        checks.Error(
            "METRICS_TOKEN is not set: in service mode /metrics needs a bearer token",
            hint="Set METRICS_TOKEN to a long random string and give it to Prometheus "
            "(authorization: {credentials: ...} in its scrape config).",
            id="console.E001",
        )
    ]


async def refuse_to_start_misconfigured(scope, receive, send) -> None:
    """The ASGI lifespan: startup fails, and uvicorn exits, with every deployment error."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            errors = [str(e) for e in checks.run_checks(tags=[TAG]) if e.is_serious()]
            if errors:
                await send({"type": "lifespan.startup.failed", "message": "\n".join(errors)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
