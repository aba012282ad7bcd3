"""The service-mode stack the benchmarks measure: uvicorn + Redis channel layer + a Celery worker
on a scratch PostgreSQL database, all on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
# Overridable so that two people benchmarking on one host do not drop each other's database.
DB_NAME = os.environ.get("BENCH_DATABASE", "incident_console_bench")
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "10")
ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(var_dir: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "SECRET_KEY": "benchmark-only-secret-key",
        "METRICS_TOKEN": "benchmark-only-metrics-token",  # required in service mode
        "RUNBOOK_DIRS": str(ROOT / "bench" / "runbooks"),
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "ANON_RATE": "100000/min",
        # The memory benchmark prints 1 GiB in one step; the default cap is 64 MiB.
        "OUTPUT_MAX_BYTES": str(2 * 1024**3),
        "DJANGO_SETTINGS_MODULE": "incident_console.settings",
    }


def recreate_database() -> None:
    with psycopg.connect(**ADMIN, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [DB_NAME]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _spawn(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=open(log, "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


@dataclass
class Stack:
    """A running console: its web processes (``base`` is the first) and its workers."""

    base: str
    token: str
    env: dict
    bases: list[str] = field(default_factory=list)
    webs: list[subprocess.Popen] = field(default_factory=list)
    workers: list[subprocess.Popen] = field(default_factory=list)


@contextmanager
def service_stack(var_dir: Path, *, worker_concurrency: int = 60, webs: int = 1, workers: int = 1):
    """Yield a running console in service mode (a Stack): ``webs`` uvicorn processes and
    ``workers`` Celery workers on one database and one Redis."""
    var_dir.mkdir(parents=True, exist_ok=True)
    env = bench_env(var_dir)
    recreate_database()
    subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], check=True, capture_output=True)
    manage(env, "migrate", "--noinput")
    manage(env, "sync_runbooks")
    token = manage(env, "createapitoken", "bench", "--role", "commander").strip()
    ports = [free_port() for _ in range(webs)]
    stack = Stack(
        base=f"http://127.0.0.1:{ports[0]}",
        token=token,
        env=env,
        bases=[f"http://127.0.0.1:{port}" for port in ports],
    )
    try:
        for number, port in enumerate(ports):
            stack.webs.append(_spawn(_uvicorn(port), env, var_dir / f"web{number}.log"))
        for number in range(workers):
            command = _celery_worker(worker_concurrency, f"bench{number}@%h")
            stack.workers.append(_spawn(command, env, var_dir / f"worker{number}.log"))
        for base in stack.bases:
            _wait_healthy(base)
        yield stack
    finally:
        for process in stack.workers + stack.webs:
            _stop(process)


def _uvicorn(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "incident_console.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def _celery_worker(concurrency: int, hostname: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "incident_console",
        "worker",
        "--pool=threads",
        f"--concurrency={concurrency}",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        f"--hostname={hostname}",
    ]


def _wait_healthy(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/health/", timeout=2) as response:
                if json.load(response)["status"] == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the console did not become healthy")


def api(base: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{base}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)
