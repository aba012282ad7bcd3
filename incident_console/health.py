"""GET /api/health/: can the console do its job right now?"""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.response import Response

from incident_console.background.embedded import worker_status

HealthReport = inline_serializer(
    "HealthReport",
    {
        "status": serializers.CharField(),
        "checks": serializers.DictField(child=serializers.DictField()),
    },
)


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


async def _round_trip(layer) -> None:
    channel = await layer.new_channel("health.")
    await layer.send(channel, {"type": "health.ping"})
    await asyncio.wait_for(layer.receive(channel), timeout=2)


def check_channel_layer() -> dict:
    layer = get_channel_layer()
    async_to_sync(_round_trip)(layer)
    return {"ok": True, "backend": type(layer).__name__}


def check_worker() -> dict:
    if settings.EMBEDDED:
        return worker_status()
    from incident_console.celery import app

    replies = app.control.ping(timeout=1.0)
    return {"ok": bool(replies), "mode": "celery", "workers": len(replies)}


CHECKS = {"database": check_database, "channel_layer": check_channel_layer, "worker": check_worker}


def run_checks() -> dict[str, dict]:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return results


@extend_schema(responses={200: HealthReport, 503: HealthReport})
@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def health(request):
    checks = run_checks()
    healthy = all(result["ok"] for result in checks.values())
    body = {"status": "ok" if healthy else "failing", "checks": checks}
    return Response(body, status=200 if healthy else 503)
