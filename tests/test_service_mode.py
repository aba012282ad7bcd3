"""Service mode end to end: API → Redis broker → a real `celery worker` → PostgreSQL → Redis
channel layer → websocket."""

import asyncio
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incident_console.asgi import application
from incident_console.runs.models import OutputChunk, StepRun

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]


def test_service_mode_uses_postgresql_and_redis():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("ResilientRedisChannelLayer")
    assert settings.CELERY_BROKER_URL.startswith("redis://")


def test_health_sees_the_worker(celery_worker, db):
    body = APIClient().get("/api/health/").json()
    assert body["status"] == "ok"
    assert body["checks"]["worker"]["workers"] >= 1


async def test_a_run_started_through_the_api_streams_live_from_the_worker(
    celery_worker, incident, user
):
    token = await database_sync_to_async(lambda: Token.objects.create(user=user).key)()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = await database_sync_to_async(client.post)(
        f"/api/incidents/{incident.pk}/steps/slow/run/", {"params": {"lines": 15}}, format="json"
    )
    assert response.status_code == 202
    run_id = response.json()["run"]
    communicator = WebsocketCommunicator(
        application, f"/ws/runs/{run_id}/", headers=[(b"authorization", f"Token {token}".encode())]
    )
    assert (await communicator.connect())[0]
    text, seqs, statuses = "", [], []
    started = time.monotonic()
    while not statuses or statuses[-1]["status"] in ("queued", "running"):
        assert time.monotonic() - started < 30
        message = await communicator.receive_json_from(timeout=10)
        if message["type"] in ("output", "output_batch"):
            for chunk in message.get("chunks", [message]):
                seqs.append(chunk["seq"])
                text += chunk["text"]
        else:
            statuses.append(message)
    await communicator.disconnect()
    assert statuses[-1] == {"type": "status", "status": "succeeded", "exit_code": 0}
    assert text == "".join(f"tick {i}\n" for i in range(1, 16))
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) > 1, "output should arrive in several live batches, not all at the end"
    run = await database_sync_to_async(StepRun.objects.get)(pk=run_id)
    assert run.worker and run.started_at and run.finished_at


async def test_a_duplicate_task_message_does_not_run_the_step_twice(celery_worker, incident, user):
    from incident_console.runs.tasks import run_step

    client = APIClient()
    await database_sync_to_async(client.force_authenticate)(user)
    response = await database_sync_to_async(client.post)(
        f"/api/incidents/{incident.pk}/steps/count/run/", {"params": {"lines": 50}}, format="json"
    )
    run = await database_sync_to_async(StepRun.objects.get)(pk=response.json()["run"])
    # Broker redelivery: the same message again, with the same task id.
    await database_sync_to_async(run_step.apply_async)(args=[run.pk], task_id=run.task_id)
    for _ in range(200):
        run = await database_sync_to_async(StepRun.objects.get)(pk=run.pk)
        if run.is_finished:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1)
    texts = await database_sync_to_async(
        lambda: list(
            OutputChunk.objects.filter(run=run).order_by("seq").values_list("text", flat=True)
        )
    )()
    assert run.status == "succeeded"
    assert "".join(texts) == "".join(f"line {i}\n" for i in range(1, 51))
    started = await database_sync_to_async(incident.timeline.filter(kind="run_started").count)()
    assert started == 1
