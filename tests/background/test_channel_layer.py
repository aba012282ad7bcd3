"""The embedded channel layer: every consumer hears a group message, whichever thread sends it
and whichever event loop the consumer receives on."""

import asyncio
import threading

import pytest

from incident_console.background.channel_layers import ThreadSafeInMemoryChannelLayer

PROMPTLY = 2.0
HINT = {"type": "dashboard.changed"}


@pytest.fixture
def other_loop():
    """An event loop serving consumers on a thread of its own, as a second server thread does."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.close()


def send_from_a_thread_of_its_own(layer, group: str, message: dict) -> None:
    """What the broadcast publisher does: its own thread, its own event loop."""
    sender = threading.Thread(target=asyncio.run, args=(layer.group_send(group, message),))
    sender.start()
    sender.join(timeout=10)


async def receiving(layer, channel: str, loop=None):
    """Start receiving on ``loop`` (this one by default) and wait until the receive is waiting."""
    if loop is None:
        receipt = asyncio.ensure_future(layer.receive(channel))
    else:
        handed = asyncio.run_coroutine_threadsafe(layer.receive(channel), loop)
        receipt = asyncio.wrap_future(handed)
    for _ in range(100):
        if channel in layer._receiving_loops:
            break
        await asyncio.sleep(0.01)
    return receipt


async def test_a_group_message_from_another_thread_reaches_consumers_on_two_loops(other_loop):
    layer = ThreadSafeInMemoryChannelLayer()
    here, there = await layer.new_channel(), await layer.new_channel()
    for channel in (here, there):
        await layer.group_add("dashboard", channel)
    heard_here = await receiving(layer, here)
    heard_there = await receiving(layer, there, other_loop)  # the loop that received last

    await asyncio.to_thread(send_from_a_thread_of_its_own, layer, "dashboard", HINT)

    assert await asyncio.wait_for(heard_here, PROMPTLY) == HINT
    assert await asyncio.wait_for(heard_there, PROMPTLY) == HINT


async def test_a_consumer_whose_loop_has_stopped_does_not_hold_up_the_others(other_loop):
    layer = ThreadSafeInMemoryChannelLayer()
    gone, here = await layer.new_channel(), await layer.new_channel()
    for channel in (gone, here):
        await layer.group_add("dashboard", channel)
    heard_here = await receiving(layer, here)
    await receiving(layer, gone, other_loop)  # the loop that received last
    other_loop.call_soon_threadsafe(other_loop.stop)

    await asyncio.to_thread(send_from_a_thread_of_its_own, layer, "dashboard", HINT)

    assert await asyncio.wait_for(heard_here, PROMPTLY) == HINT


async def test_leaving_every_group_forgets_the_channels_loop():
    layer = ThreadSafeInMemoryChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("dashboard", channel)
    await receiving(layer, channel)
    await layer.group_discard("dashboard", channel)
    assert channel not in layer._receiving_loops


async def test_a_channel_in_no_group_is_forgotten_once_it_has_received():
    """A health check's channel, one per check, must not be remembered forever."""
    layer = ThreadSafeInMemoryChannelLayer()
    channel = await layer.new_channel("health.")
    await layer.send(channel, HINT)
    assert await layer.receive(channel) == HINT
    assert layer._receiving_loops == {}
