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
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "incident_console_bench"
ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(var_dir: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "REDIS_URL": "redis://127.0.0.1:6379/10",
        "SECRET_KEY": "benchmark-only-secret-key",
        "METRICS_TOKEN": "benchmark-only-metrics-token",  # required in service mode
        "RUNBOOK_DIRS": str(ROOT / "bench" / "runbooks"),
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "ANON_RATE": "100000/min",
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


@contextmanager
def service_stack(var_dir: Path, *, worker_concurrency: int = 60):
    """Yield (base_url, token, env) of a running console in service mode."""
    var_dir.mkdir(parents=True, exist_ok=True)
    env = bench_env(var_dir)
    recreate_database()
    subprocess.run(["redis-cli", "-n", "10", "flushdb"], check=True, capture_output=True)
    manage(env, "migrate", "--noinput")
    manage(env, "sync_runbooks")
    token = manage(env, "createapitoken", "bench", "--role", "commander").strip()
    port = free_port()
    web = _spawn(
        [
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
        ],
        env,
        var_dir / "web.log",
    )
    worker = _spawn(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "incident_console",
            "worker",
            "--pool=threads",
            f"--concurrency={worker_concurrency}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env,
        var_dir / "worker.log",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base)
        yield base, token, env
    finally:
        _stop(worker)
        _stop(web)


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
