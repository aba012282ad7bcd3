"""Streaming benchmarks: throughput against a bare websocket baseline, latency, click to first
line, and many runs at once."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import time

import websockets

from bench.stack import api

LINES_ARGV = ["seq", "-f", "line %.0f of the benchmark output, padded to a realistic length"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def open_incident(base: str, token: str) -> int:
    return api(base, token, "POST", "/api/incidents/", {"scenario": "bench", "title": "bench"})[
        "id"
    ]


def start_run(base: str, token: str, incident: int, step: str, params: dict) -> int:
    return api(
        base, token, "POST", f"/api/incidents/{incident}/steps/{step}/run/", {"params": params}
    )["run"]


OUTPUT = ("output", "output_batch")


def chunks_of(message: dict) -> list[dict]:
    """A frame holds one chunk or a batch of them."""
    return message["chunks"] if message["type"] == "output_batch" else [message]


async def follow(base: str, token: str, run: int, on_chunk=None) -> dict:
    """Read a run's socket to its final status; return seqs, line count and timings."""
    url = base.replace("http://", "ws://") + f"/ws/runs/{run}/?after=0"
    seqs, lines, first_at, by_seq = [], 0, None, {}
    async with websockets.connect(
        url, additional_headers={"Authorization": f"Token {token}"}, max_size=None
    ) as socket:
        async for raw in socket:
            message = json.loads(raw)
            if message["type"] in OUTPUT:
                first_at = first_at or time.perf_counter()
                for chunk in chunks_of(message):
                    seqs.append(chunk["seq"])
                    lines += chunk["text"].count("\n")
                    by_seq[chunk["seq"]] = chunk["text"].count("\n")
                    if on_chunk:
                        on_chunk(chunk["text"])
            elif message["type"] == "status" and message["status"] not in ("queued", "running"):
                return {
                    "seqs": seqs,
                    "lines": lines,
                    "first_at": first_at,
                    "by_seq": by_seq,
                    "done_at": time.perf_counter(),
                    "status": message["status"],
                }
    raise RuntimeError("socket closed before the run ended")


REPEATS = 3


def throughput(base: str, token: str, lines: int) -> dict:
    """Click to the last line in the client, the median of three runs after one that warms
    the processes up (a fresh worker's first step imports and connects)."""
    _timed_run(base, token, 1000)
    seconds = statistics.median(_timed_run(base, token, lines) for _ in range(REPEATS))
    return {"lines": lines, "seconds": round(seconds, 3), "lines_per_s": round(lines / seconds)}


def _timed_run(base: str, token: str, lines: int) -> float:
    incident = open_incident(base, token)
    started = time.perf_counter()
    run = start_run(base, token, incident, "lines", {"count": lines})
    result = asyncio.run(follow(base, token, run))
    assert result["lines"] == lines, (result["lines"], lines)
    return result["done_at"] - started


async def _baseline(lines: int) -> float:
    """The same command read by a plain process and sent in 64 KiB frames over a bare websocket."""
    received = asyncio.Event()
    count = 0

    async def producer(socket):
        process = await asyncio.create_subprocess_exec(
            *LINES_ARGV, str(lines), stdout=subprocess.PIPE
        )
        while chunk := await process.stdout.read(65536):
            await socket.send(chunk)
        await process.wait()
        await socket.send(b"")

    async with websockets.serve(producer, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        started = time.perf_counter()
        async with websockets.connect(f"ws://127.0.0.1:{port}", max_size=None) as client:
            async for frame in client:
                if not frame:
                    break
                count += frame.count(b"\n")
        seconds = time.perf_counter() - started
        received.set()
    assert count == lines
    return seconds


def baseline(lines: int) -> dict:
    asyncio.run(_baseline(1000))
    seconds = statistics.median(asyncio.run(_baseline(lines)) for _ in range(REPEATS))
    return {"lines": lines, "seconds": round(seconds, 3), "lines_per_s": round(lines / seconds)}


def latency(base: str, token: str, count: int, rate: int) -> dict:
    """Print time (in the line) to arrival at the client, for every line."""
    incident = open_incident(base, token)
    delays: list[float] = []

    def on_chunk(text: str) -> None:
        now = time.time()
        for line in text.splitlines():
            delays.append((now - float(line.split()[0])) * 1000)

    run = start_run(base, token, incident, "paced", {"count": count, "rate": rate})
    asyncio.run(follow(base, token, run, on_chunk))
    assert len(delays) == count, (len(delays), count)
    return {
        "lines": count,
        "p50_ms": round(percentile(delays, 50), 1),
        "p95_ms": round(percentile(delays, 95), 1),
        "p99_ms": round(percentile(delays, 99), 1),
    }


def click_to_first_line(base: str, token: str, runs: int) -> dict:
    timings = []
    for _ in range(runs):
        incident = open_incident(base, token)
        clicked = time.perf_counter()
        run = start_run(base, token, incident, "hello", {})
        result = asyncio.run(follow(base, token, run))
        timings.append((result["first_at"] - clicked) * 1000)
    return {
        "runs": runs,
        "p50_ms": round(percentile(timings, 50), 1),
        "p99_ms": round(percentile(timings, 99), 1),
        "mean_ms": round(statistics.mean(timings), 1),
    }


def concurrency(base: str, token: str, runs: int, lines: int) -> dict:
    incidents = [open_incident(base, token) for _ in range(runs)]

    async def all_runs():
        started = time.perf_counter()
        ids = [
            start_run(base, token, incident, "lines", {"count": lines}) for incident in incidents
        ]
        results = await asyncio.gather(*(follow(base, token, run) for run in ids))
        return results, time.perf_counter() - started

    results, seconds = asyncio.run(all_runs())
    lost = duplicated = 0
    for result in results:
        unique_lines = sum(result["by_seq"].values())
        duplicated += result["lines"] - unique_lines
        lost += max(0, lines - unique_lines)
        assert sorted(result["by_seq"]) == list(range(1, len(result["by_seq"]) + 1)), "seq gap"
    total = sum(result["lines"] for result in results)
    return {
        "runs": runs,
        "lines_per_run": lines,
        "lost_lines": lost,
        "duplicated_lines": duplicated,
        "total_lines": total,
        "lines_per_s": round(total / seconds),
        "seconds": round(seconds, 2),
    }


async def watch(base: str, token: str, run: int) -> dict:
    """Follow a paced run to its end as one viewer: which lines arrived, and how late those
    printed while this viewer was connected came."""
    url = base.replace("http://", "ws://") + f"/ws/runs/{run}/?after=0"
    seqs, indexes, delays = [], [], []
    async with websockets.connect(
        url, additional_headers={"Authorization": f"Token {token}"}, max_size=None
    ) as socket:
        joined = time.time()
        async for raw in socket:
            message = json.loads(raw)
            if message["type"] in OUTPUT:
                now = time.time()
                for chunk in chunks_of(message):
                    seqs.append(chunk["seq"])
                    for line in chunk["text"].splitlines():
                        printed, _, index = line.split()
                        indexes.append(int(index))
                        if float(printed) >= joined:
                            delays.append((now - float(printed)) * 1000)
            elif message["type"] == "status" and message["status"] not in ("queued", "running"):
                return {"seqs": seqs, "indexes": indexes, "delays": delays}
    raise RuntimeError("socket closed before the run ended")


def _received_once(viewer: dict, lines: int) -> tuple[int, int]:
    """(lost, duplicated) lines of one viewer."""
    unique = set(viewer["indexes"])
    lost = len(set(range(lines)) - unique)
    return lost, len(viewer["indexes"]) - len(unique)


def fanout(base: str, token: str, watchers: int, joiners: int, lines: int, rate: int) -> dict:
    """One paced run watched by ``watchers`` viewers from its start, and ``joiners`` more who
    connect half-way and must still get the whole output, once."""
    incident = open_incident(base, token)
    run = start_run(base, token, incident, "paced", {"count": lines, "rate": rate})

    async def everyone():
        watching = [asyncio.create_task(watch(base, token, run)) for _ in range(watchers)]
        await asyncio.sleep(lines / rate / 2)
        joining = [asyncio.create_task(watch(base, token, run)) for _ in range(joiners)]
        return await asyncio.gather(*watching), await asyncio.gather(*joining)

    watching, joining = asyncio.run(everyone())
    delays = [delay for viewer in watching for delay in viewer["delays"]]
    outcomes = [_received_once(viewer, lines) for viewer in watching]
    joined_outcomes = [_received_once(viewer, lines) for viewer in joining]
    return {
        "watchers": watchers,
        "joiners": joiners,
        "lines": lines,
        "rate": rate,
        "measured_lines": len(delays),
        "p50_ms": round(percentile(delays, 50), 1),
        "p99_ms": round(percentile(delays, 99), 1),
        "max_ms": round(max(delays), 1),
        "lost_lines": sum(lost for lost, _ in outcomes),
        "duplicated_lines": sum(duplicated for _, duplicated in outcomes),
        "joiners_ok": sum(1 for outcome in joined_outcomes if outcome == (0, 0)),
    }
