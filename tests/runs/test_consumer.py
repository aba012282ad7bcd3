"""The websocket: stored chunks first, then live ones; never a gap, never a duplicate."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from incident_console.asgi import application
from incident_console.runs import consumers, relay
from incident_console.runs.broadcast import run_group
from incident_console.runs.models import OutputChunk, StepRun
from incident_console.runs.services import step_run_start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run(incident, user):
    run = step_run_start(incident=incident, step_id="count", actor=user, params={}, dispatch=False)
    store(run, 1, 2, 3, 4, 5)
    return run


@pytest.fixture
def token(user):
    return Token.objects.create(user=user).key


def store(run, *seqs):
    OutputChunk.objects.bulk_create(
        OutputChunk(run=run, seq=seq, stream="stdout", text=f"chunk {seq}\n") for seq in seqs
    )
    StepRun.objects.filter(pk=run.pk).update(last_seq=max(seqs))


async def connect(run_id, token, query=""):
    communicator = WebsocketCommunicator(
        application,
        f"/ws/runs/{run_id}/{query}",
        headers=[(b"authorization", f"Token {token}".encode())],
    )
    connected, code = await communicator.connect()
    return communicator, connected, code


async def receive_seqs(communicator, count):
    """The seqs of the next ``count`` chunks or statuses, one frame holding one or several."""
    seqs: list = []
    while len(seqs) < count:
        message = await communicator.receive_json_from(timeout=5)
        for item in message.get("chunks", [message]):
            seqs.append(item.get("seq", item.get("status")))
    return seqs


def live(*seqs):
    return {
        "type": "run.output",
        "chunks": [{"seq": s, "stream": "stdout", "text": f"chunk {s}\n"} for s in seqs],
    }


async def test_a_late_client_gets_the_stored_output_after_its_seq(run, token):
    communicator, connected, _ = await connect(run.pk, token, "?after=2")
    assert connected
    backlog = await communicator.receive_json_from(timeout=5)
    assert backlog == {
        "type": "output_batch",
        "chunks": [{"seq": seq, "stream": "stdout", "text": f"chunk {seq}\n"} for seq in (3, 4, 5)],
    }
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_live_chunks_follow_the_backlog_without_duplicates(run, token):
    communicator, _, _ = await connect(run.pk, token)
    assert await receive_seqs(communicator, 5) == [1, 2, 3, 4, 5]
    await sync_to_async(store)(run, 6, 7)
    await get_channel_layer().group_send(run_group(run.pk), live(4, 5, 6, 7))
    assert await receive_seqs(communicator, 2) == [6, 7]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_live_chunks_pushed_one_by_one_arrive_once_in_order_alone_or_batched(run, token):
    communicator, _, _ = await connect(run.pk, token)
    await receive_seqs(communicator, 5)
    await sync_to_async(store)(run, 6, 7, 8)
    for seq in (6, 7, 8):
        await get_channel_layer().group_send(run_group(run.pk), live(seq))
    frames = []
    while sum(len(frame.get("chunks", [frame])) for frame in frames) < 3:
        frames.append(await communicator.receive_json_from(timeout=5))
    assert [c["seq"] for frame in frames for c in frame.get("chunks", [frame])] == [6, 7, 8]
    assert {frame["type"] for frame in frames} <= {"output", "output_batch"}
    await communicator.disconnect()


async def test_a_missed_live_message_is_filled_from_the_database(run, token):
    communicator, _, _ = await connect(run.pk, token)
    await receive_seqs(communicator, 5)
    await sync_to_async(store)(run, 6, 7, 8)
    await get_channel_layer().group_send(run_group(run.pk), live(8))
    assert await receive_seqs(communicator, 3) == [6, 7, 8]
    await communicator.disconnect()


async def test_the_final_status_comes_after_every_chunk(run, token):
    communicator, _, _ = await connect(run.pk, token)
    await receive_seqs(communicator, 5)
    await sync_to_async(store)(run, 6)
    await sync_to_async(StepRun.objects.filter(pk=run.pk).update)(status="succeeded", exit_code=0)
    status = {
        "type": "run.status",
        "run": run.pk,
        "status": "succeeded",
        "exit_code": 0,
        "last_seq": 6,
    }
    await get_channel_layer().group_send(run_group(run.pk), status)
    assert await receive_seqs(communicator, 2) == [6, "succeeded"]
    await communicator.disconnect()


async def test_a_client_connecting_as_the_run_ends_gets_every_chunk_before_the_status(
    run, token, monkeypatch
):
    """The last chunks are stored and the run ends once the client hears its pushes, before
    anything is read or the socket accepted: the pushed end waits for the backlog."""
    follow = consumers.follow

    async def run_ends_meanwhile(run_id, viewer):
        relay = await follow(run_id, viewer)
        await sync_to_async(store)(run, 6, 7)
        await sync_to_async(StepRun.objects.filter(pk=run.pk).update)(status="succeeded")
        ended = {"type": "run.status", "status": "succeeded", "exit_code": 0, "last_seq": 7}
        await get_channel_layer().group_send(run_group(run.pk), ended)
        await asyncio.sleep(0.1)
        return relay

    monkeypatch.setattr(consumers, "follow", run_ends_meanwhile)
    communicator, _, _ = await connect(run.pk, token)
    assert await receive_seqs(communicator, 8) == [1, 2, 3, 4, 5, 6, 7, "succeeded"]
    await communicator.disconnect()


async def test_a_run_ending_between_reading_it_and_its_chunks_sends_its_end_after_them(
    run, token, monkeypatch
):
    """The last lines are stored and the run ends just after its chunks were read.  Read the
    other way round, the end would be sent at once and those lines never; here they and the
    end come from the relay's next look at the database."""
    monkeypatch.setattr(relay, "STORED_CHECK_INTERVAL", 0.2)
    real_chunks_after = consumers.chunks_after

    def run_ends_meanwhile(run_id, after, **kwargs):
        chunks = real_chunks_after(run_id, after, **kwargs)
        if not OutputChunk.objects.filter(run=run, seq=7).exists():
            store(run, 6, 7)
            StepRun.objects.filter(pk=run.pk).update(status="succeeded")
        return chunks

    monkeypatch.setattr(consumers, "chunks_after", run_ends_meanwhile)
    communicator, _, _ = await connect(run.pk, token)
    assert await receive_seqs(communicator, 8) == [1, 2, 3, 4, 5, 6, 7, "succeeded"]
    await communicator.disconnect()


async def test_a_lost_push_costs_a_delay_never_a_line(run, token, monkeypatch):
    monkeypatch.setattr(relay, "STORED_CHECK_INTERVAL", 0.2)
    communicator, _, _ = await connect(run.pk, token)
    await receive_seqs(communicator, 5)
    await sync_to_async(store)(run, 6, 7)
    assert await receive_seqs(communicator, 2) == [6, 7]
    await communicator.disconnect()


async def test_viewers_of_a_run_in_one_process_share_one_group_membership(run, token):
    layer = get_channel_layer()
    viewers = [(await connect(run.pk, token))[0] for _ in range(3)]
    for viewer in viewers:
        await receive_seqs(viewer, 5)
    assert await group_size(layer, run_group(run.pk)) == 1
    await sync_to_async(store)(run, 6)
    await layer.group_send(run_group(run.pk), live(6))
    for viewer in viewers:
        assert await receive_seqs(viewer, 1) == [6]
    for viewer in viewers:
        await viewer.disconnect()
    assert await group_size(layer, run_group(run.pk)) == 0


async def group_size(layer, group: str) -> int:
    """Members of a group, in the in-memory layer or in Redis."""
    if hasattr(layer, "groups"):
        return len(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    return await connection.zcard(layer._group_key(group))


async def test_reconnecting_with_after_resumes_exactly_where_the_client_stopped(run, token):
    first, _, _ = await connect(run.pk, token)
    assert await receive_seqs(first, 5) == [1, 2, 3, 4, 5]
    await first.disconnect()
    await sync_to_async(store)(run, 6, 7)
    await sync_to_async(StepRun.objects.filter(pk=run.pk).update)(status="failed", exit_code=1)
    second, _, _ = await connect(run.pk, token, "?after=5")
    assert await receive_seqs(second, 3) == [6, 7, "failed"]
    await second.disconnect()


async def test_an_anonymous_client_is_closed(run):
    communicator = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/")
    connected, code = await communicator.connect()
    assert not connected and code == 4401


async def test_a_bad_token_is_closed(run):
    communicator, connected, code = await connect(run.pk, "not-a-token")
    assert not connected and code == 4401


async def test_an_unknown_run_is_closed_with_4404(run, token):
    _, connected, code = await connect(run.pk + 1000, token)
    assert not connected and code == 4404


async def test_a_bad_after_is_closed_with_4400(run, token):
    _, connected, code = await connect(run.pk, token, "?after=abc")
    assert not connected and code == 4400


async def test_a_browser_from_another_site_is_refused(run, token):
    communicator = WebsocketCommunicator(
        application,
        f"/ws/runs/{run.pk}/",
        headers=[
            (b"origin", b"http://evil.example"),
            (b"authorization", f"Token {token}".encode()),
        ],
    )
    connected, _ = await communicator.connect()
    assert not connected
