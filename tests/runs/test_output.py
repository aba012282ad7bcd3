"""The output recorder: a line after a quiet spell goes out at once, a flood is batched, and no
line is lost or stored twice when one turns into the other."""

import threading
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework.authtoken.models import Token

from incident_console.asgi import application
from incident_console.runs import output as output_module
from incident_console.runs.models import OutputChunk, StepRun
from incident_console.runs.output import OutputRecorder
from incident_console.runs.services import step_run_start

pytestmark = pytest.mark.django_db(transaction=True)

AN_HOUR = 3600.0


@pytest.fixture
def running_run(incident, user):
    run = step_run_start(incident=incident, step_id="count", actor=user, params={}, dispatch=False)
    now = timezone.now()
    StepRun.objects.filter(pk=run.pk).update(status="running", started_at=now, heartbeat_at=now)
    return run


def recorder(run, *, flush_interval, eager_flushes, eager_lines=1000):
    return OutputRecorder(
        run.pk,
        threading.Event(),
        flush_interval=flush_interval,
        flush_lines=1_000_000,
        heartbeat_interval=AN_HOUR,
        fence_after=2 * AN_HOUR,
        eager_flushes=eager_flushes,
        eager_lines=eager_lines,
    )


def stored(run) -> list[tuple[int, str]]:
    return list(OutputChunk.objects.filter(run=run).order_by("seq").values_list("seq", "text"))


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


def test_a_line_after_a_quiet_spell_is_stored_without_waiting_for_the_tick(running_run):
    with recorder(running_run, flush_interval=AN_HOUR, eager_flushes=5) as output:
        output.emit("stdout", "first\n")
        wait_for(lambda: len(stored(running_run)) == 1)
        output.emit("stdout", "alone\n")
        wait_for(lambda: stored(running_run) == [(1, "first\n"), (2, "alone\n")])


async def test_a_line_after_a_quiet_spell_is_pushed_without_waiting_for_the_tick(running_run, user):
    token = await sync_to_async(lambda: Token.objects.create(user=user).key)()
    communicator = WebsocketCommunicator(
        application,
        f"/ws/runs/{running_run.pk}/",
        headers=[(b"authorization", f"Token {token}".encode())],
    )
    assert (await communicator.connect())[0]
    output = recorder(running_run, flush_interval=AN_HOUR, eager_flushes=5)
    output.__enter__()
    try:
        output.emit("stdout", "first\n")
        await communicator.receive_json_from(timeout=10)
        output.emit("stdout", "alone\n")
        # Well within the consumer's own database check (every 5 s): this is the push.
        message = await communicator.receive_json_from(timeout=3)
    finally:
        await sync_to_async(output.__exit__)(None, None, None)
        await communicator.disconnect()
    assert message == {"type": "output", "seq": 2, "stream": "stdout", "text": "alone\n"}


def test_a_flood_is_batched_once_the_eager_flushes_are_spent(running_run):
    lines = [f"line {i}\n" for i in range(1000)]
    with recorder(running_run, flush_interval=AN_HOUR, eager_flushes=3) as output:
        for line in lines:
            output.emit("stdout", line)
    chunks = stored(running_run)
    # At most the three eager flushes, then the rest together when the step ends.
    assert len(chunks) <= 4
    assert "".join(text for _, text in chunks) == "".join(lines)


def test_a_flood_waits_for_the_tick_once_it_has_spent_the_eager_lines(running_run):
    with recorder(running_run, flush_interval=AN_HOUR, eager_flushes=5, eager_lines=100) as output:
        output.emit("stdout", "first\n")
        wait_for(lambda: len(stored(running_run)) == 1)
        output.emit("stdout", "".join(f"flood {i}\n" for i in range(500)))
        output.emit("stdout", "more\n")
        time.sleep(0.5)
        assert stored(running_run) == [(1, "first\n")], "the flood waits for the tick"
    assert "".join(text for _, text in stored(running_run)).endswith("flood 499\nmore\n")


def test_no_line_is_lost_or_stored_twice_between_quiet_spells_and_floods(running_run):
    expected = []
    with recorder(running_run, flush_interval=0.05, eager_flushes=2) as output:
        for burst in range(6):
            lines = [f"burst {burst} line {i}\n" for i in range(1 if burst % 2 else 3000)]
            for line in lines:
                output.emit("stdout", line)
            expected.extend(lines)
            wait_for(lambda: "".join(t for _, t in stored(running_run)) == "".join(expected))
    chunks = stored(running_run)
    assert [seq for seq, _ in chunks] == list(range(1, len(chunks) + 1))
    assert "".join(text for _, text in chunks) == "".join(expected)
    assert output.last_seq == len(chunks)


def test_a_step_printing_faster_than_its_output_is_stored_is_held_to_a_bounded_backlog(
    running_run, monkeypatch
):
    stored_bytes = 0
    real_store = output_module.store_chunks

    def slow_store(run_id, chunks):
        nonlocal stored_bytes
        time.sleep(0.02)
        real_store(run_id, chunks)
        stored_bytes += sum(len(chunk["text"]) for chunk in chunks)

    monkeypatch.setattr(output_module, "store_chunks", slow_store)
    monkeypatch.setattr(output_module, "MAX_BACKLOG_BYTES", 256 * 1024)
    piece = "x" * 1023 + "\n"
    emitted = largest_backlog = 0
    with recorder(running_run, flush_interval=0.01, eager_flushes=0) as output:
        for _ in range(4096):  # 4 MiB, far faster than 20 ms per store keeps up with
            output.emit("stdout", piece)
            emitted += len(piece)
            largest_backlog = max(largest_backlog, emitted - stored_bytes)
    assert largest_backlog <= 256 * 1024 + len(piece)
    assert sum(len(text) for _, text in stored(running_run)) == emitted


def test_a_hanging_store_holds_the_reader_a_second_at_a_time_and_a_cancel_frees_it_at_once(
    running_run, monkeypatch
):
    store_may_finish = threading.Event()
    real_store = output_module.store_chunks

    def hanging_store(run_id, chunks):
        store_may_finish.wait(30)
        real_store(run_id, chunks)

    monkeypatch.setattr(output_module, "store_chunks", hanging_store)
    monkeypatch.setattr(output_module, "MAX_BACKLOG_BYTES", 1024)
    with recorder(running_run, flush_interval=0.01, eager_flushes=0) as output:
        started = time.monotonic()
        output.emit("stdout", "x" * 2047 + "\n")
        held = time.monotonic() - started
        threading.Timer(0.2, output.cancel.set).start()
        started = time.monotonic()
        output.emit("stdout", "y\n")
        freed = time.monotonic() - started
        store_may_finish.set()
    assert 0.9 <= held <= 1.5, "the reader goes back to its timeout and cancel checks"
    assert freed < 0.6
    assert "".join(text for _, text in stored(running_run)) == "x" * 2047 + "\ny\n"


@pytest.mark.service
def test_on_postgresql_output_text_is_compressed_with_lz4_the_faster_method():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attcompression FROM pg_attribute "
            "WHERE attrelid = 'runs_outputchunk'::regclass AND attname = 'text'"
        )
        assert cursor.fetchone() == ("l",)
