"""Pushes: output waiting to be pushed is bounded; a status is never left out."""

import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from incident_console.runs import broadcast


def output(seq: int) -> dict:
    return {"type": "run.output", "chunks": [{"seq": seq, "stream": "stdout", "text": "x" * 400}]}


def received(layer, channel, count: int) -> list:
    messages = [async_to_sync(layer.receive)(channel) for _ in range(count)]
    return [m["chunks"][0]["seq"] if m["type"] == "run.output" else m["type"] for m in messages]


def test_output_past_the_queue_bound_is_left_out_but_a_status_never_is(monkeypatch):
    monkeypatch.setattr(broadcast, "MAX_QUEUED_OUTPUT_BYTES", 1000)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("run-bounded", channel)
    publisher = broadcast._Publisher()
    loop, _ = publisher._started()
    held = threading.Event()
    loop.call_soon_threadsafe(held.wait, 10)  # the channel layer is slow: nothing goes out yet
    for seq in range(1, 6):
        publisher.send("run-bounded", output(seq), output_bytes=464)
    publisher.send("run-bounded", {"type": "run.status", "status": "succeeded", "last_seq": 5})
    held.set()
    # Viewers fill 3-5 from the database when the status names last_seq 5.
    assert received(layer, channel, 3) == [1, 2, "run.status"]
    publisher.send("run-bounded", output(6), output_bytes=464)
    assert received(layer, channel, 1) == [6], "once pushed, the queue takes output again"
