"""Pushes: output waiting to be pushed is bounded; a status is never left out."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from channels.layers import get_channel_layer

from incident_console.runs import broadcast


def output(seq: int) -> dict:
    return {"type": "run.output", "chunks": [{"seq": seq, "stream": "stdout", "text": "x" * 400}]}


def in_a_thread_of_its_own(coroutine):
    """Browser tests leave their event loop set on the main thread for the session."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=30)


async def listening(group: str) -> str:
    channel = await get_channel_layer().new_channel()
    await get_channel_layer().group_add(group, channel)
    return channel


async def received(channel: str, count: int) -> list:
    layer = get_channel_layer()
    messages = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(count)]
    return [m["chunks"][0]["seq"] if m["type"] == "run.output" else m["type"] for m in messages]


def test_output_past_the_queue_bound_is_left_out_but_a_status_never_is(monkeypatch):
    monkeypatch.setattr(broadcast, "MAX_QUEUED_OUTPUT_BYTES", 1000)
    channel = in_a_thread_of_its_own(listening("run-bounded"))
    publisher = broadcast._Publisher()
    loop, _ = publisher._started()
    held = threading.Event()
    loop.call_soon_threadsafe(held.wait, 10)  # the channel layer is slow: nothing goes out yet
    for seq in range(1, 6):
        publisher.send("run-bounded", output(seq), output_bytes=464)
    publisher.send("run-bounded", {"type": "run.status", "status": "succeeded", "last_seq": 5})
    held.set()
    # Viewers fill 3-5 from the database when the status names last_seq 5.
    assert in_a_thread_of_its_own(received(channel, 3)) == [1, 2, "run.status"]
    publisher.send("run-bounded", output(6), output_bytes=464)
    assert in_a_thread_of_its_own(received(channel, 1)) == [6], "the queue takes output again"
