"""Scale-out benchmark: 100 concurrent steps on 1 web + 1 worker, then on 2 web + 2 workers.

The clients (and the POSTs that start the runs) are spread round-robin over the web processes;
each worker takes what the broker gives it. Lines/s overall, per web process (the lines its
clients received) and per worker (the lines of the runs it executed, from ``StepRun.worker``),
and the ratio of the two stacks' overall figures.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from pathlib import Path

import psycopg

from bench.stack import ADMIN, DB_NAME, Stack, service_stack
from bench.streaming import follow, open_incident, start_run


def scaleout(var_dir: Path, runs: int, lines: int) -> dict:
    report = {}
    for size in (1, 2):
        with service_stack(var_dir / f"scaleout-{size}", webs=size, workers=size) as stack:
            report[f"{size}+{size}"] = _concurrent_across(stack, runs, lines)
    report["ratio"] = round(report["2+2"]["lines_per_s"] / report["1+1"]["lines_per_s"], 2)
    return report


def _concurrent_across(stack: Stack, runs: int, lines: int) -> dict:
    bases = [stack.bases[i % len(stack.bases)] for i in range(runs)]
    incidents = [open_incident(base, stack.token) for base in bases]

    async def one(base: str, incident: int) -> tuple[int, dict]:
        params = {"count": lines}
        run = await asyncio.to_thread(start_run, base, stack.token, incident, "lines", params)
        return run, await follow(base, stack.token, run)

    async def all_runs():
        # Each run is started and followed on its own, so the POSTs too go to every web process
        # at once rather than one after the other from this client.
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(one(base, incident) for base, incident in zip(bases, incidents, strict=True))
        )
        return outcomes, time.perf_counter() - started

    cpu_before, client_before = _cpu_seconds(stack), time.process_time()
    outcomes, seconds = asyncio.run(all_runs())
    client_cpu = time.process_time() - client_before
    cpu_after = _cpu_seconds(stack)
    cpu = [round(after - before, 1) for before, after in zip(cpu_before, cpu_after, strict=True)]
    ids = [run for run, _ in outcomes]
    results = [result for _, result in outcomes]
    received = [sum(result["by_seq"].values()) for result in results]
    per_web = Counter()
    for base, count in zip(bases, received, strict=True):
        per_web[base] += count
    per_worker = _lines_per_worker(dict(zip(ids, received, strict=True)))
    return {
        "webs": len(stack.webs),
        "workers": len(stack.workers),
        "runs": runs,
        "lines_per_run": lines,
        "seconds": round(seconds, 2),
        "lines_per_s": round(sum(received) / seconds),
        "lost_lines": sum(max(0, lines - count) for count in received),
        "duplicated_lines": sum(r["lines"] for r in results) - sum(received),
        "per_web_lines_per_s": [round(count / seconds) for count in per_web.values()],
        "per_worker_lines_per_s": [round(count / seconds) for count in per_worker.values()],
        # CPU seconds each process spent during the runs: webs first, then workers.
        "cpu_s_webs": cpu[: len(stack.webs)],
        "cpu_s_workers": cpu[len(stack.webs) :],
        "cpu_s_client": round(client_cpu, 1),
    }


def _cpu_seconds(stack: Stack) -> list[float]:
    """User + system CPU seconds of each web process, then each worker (/proc/<pid>/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds = []
    for process in stack.webs + stack.workers:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        seconds.append((int(fields[11]) + int(fields[12])) / tick)
    return seconds


def _lines_per_worker(received_by_run: dict[int, int]) -> Counter:
    """The lines of each worker's runs (a worker is named "host pid N" on its runs)."""
    with psycopg.connect(**{**ADMIN, "dbname": DB_NAME}) as conn:
        rows = conn.execute(
            "SELECT id, worker FROM runs_steprun WHERE id = ANY(%s)", [list(received_by_run)]
        ).fetchall()
    per_worker = Counter()
    for run, worker in rows:
        per_worker[worker] += received_by_run[run]
    return per_worker
