"""Drill: the channel layer's Redis dies while a browser watches a step's output.

The websocket stays open, output keeps arriving from the database, the client is told live
updates are paused, and live pushes resume once Redis is back: every line exactly once.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets
from rest_framework.authtoken.models import Token

from tests.drills.conftest import api

pytestmark = [pytest.mark.service, pytest.mark.drill, pytest.mark.django_db(transaction=True)]

LINES = 150  # the `slow` step prints one line every tenth of a second: 15 s


async def watch(url: str, token: str, on_line) -> list[dict]:
    messages = []
    headers = {"Authorization": f"Token {token}"}
    async with websockets.connect(url, additional_headers=headers) as socket:
        while True:
            message = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
            if message["type"] == "output_batch":
                for chunk in message["chunks"]:
                    messages.append({"type": "output", **chunk})
                    on_line(messages[-1])
                continue
            messages.append(message)
            if message["type"] == "output":
                on_line(message)
            if message["type"] == "status" and message["status"] not in ("queued", "running"):
                return messages


def test_output_keeps_coming_from_the_database_while_redis_is_down(
    private_redis, console_on, incident, user
):
    console = console_on(private_redis.url())
    console.worker()
    web = console.web()
    token = Token.objects.create(user=user).key
    status, body = api(
        web, token, f"/api/incidents/{incident.pk}/steps/slow/run/", {"params": {"lines": LINES}}
    )
    assert status == 202, body
    outage = {"killed": None, "back": None}

    def on_line(message):
        if outage["killed"] is None and "tick 20\n" in message["text"]:
            private_redis.kill()
            outage["killed"] = time.monotonic()

    async def drive():
        watcher = asyncio.create_task(
            watch(f"{web.replace('http', 'ws')}/ws/runs/{body['run']}/", token, on_line)
        )
        while outage["killed"] is None or time.monotonic() - outage["killed"] < 6:
            await asyncio.sleep(0.1)
        private_redis.start()
        outage["back"] = time.monotonic()
        return await watcher

    messages = asyncio.run(drive())
    text = "".join(m["text"] for m in messages if m["type"] == "output")
    seqs = [m["seq"] for m in messages if m["type"] == "output"]
    live = [m["live"] for m in messages if m["type"] == "live"]
    assert text == "".join(f"tick {i}\n" for i in range(1, LINES + 1))
    assert seqs == sorted(set(seqs)), "no chunk twice, none out of order"
    assert live == [False, True], "the client is told when live pushes pause and resume"
    assert messages[-1] == {"type": "status", "status": "succeeded", "exit_code": 0}
