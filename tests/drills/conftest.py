"""Fault drills: the console's own Redis, PostgreSQL, workers and web processes fail under it.

Each drill starts private instances (a redis-server or a PostgreSQL cluster on a free port)
so that killing them disturbs nothing else, and real console processes (``celery worker``,
uvicorn) pointed at them.  The test database is the session's, on the shared PostgreSQL,
unless a drill gives the processes its private PostgreSQL instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import pytest
from celery import Celery
from django.conf import settings

from tests.conftest import ROOT, TEST_RUNBOOKS, celery_process, stop_process
from tests.servers import PostgresServer, RedisServer, postgres_bin, start_console


def session_database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test alone, on a free port."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def private_postgres():
    """A PostgreSQL cluster of this test alone, on a free port, removed afterwards."""
    if postgres_bin() is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    server = PostgresServer()
    server.start()
    yield server
    server.remove()


@dataclass
class ConsoleProcesses:
    """Real console processes on the test database and a given Redis, stopped at teardown."""

    redis_url: str
    database_url: str
    started: list = field(default_factory=list)

    def __post_init__(self) -> None:
        # Celery's control commands publish through the app's own broker whatever connection
        # they are given, so the pings go through an app of their own.
        self.control_app = Celery("drill-control", broker=self.redis_url, set_as_current=False)

    def workers_answering(self, timeout: float = 0.5) -> list[str]:
        """Names of the workers that answer a ping through this Redis."""
        replies = self.control_app.control.ping(timeout=timeout)
        return sorted(name for reply in replies for name in reply)

    def env(self) -> dict:
        return {
            "REDIS_URL": self.redis_url,
            "DATABASE_URL": self.database_url,
            "DB_CONN_MAX_AGE": "0",
            "RUNBOOK_DIRS": str(TEST_RUNBOOKS),
            "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", "drill-metrics-token"),
        }

    def worker(self, name: str = "drill", *args: str) -> subprocess.Popen:
        """``celery worker`` as docker-compose.yml runs it (prefork pool), two processes."""
        process = celery_process(
            "worker",
            "--concurrency=2",
            "-n",
            f"{name}@%h",
            *args,
            log_name=f"celery-{name}.log",
            env=self.env(),
        )
        self.started.append(process)
        deadline = time.monotonic() + 30
        while not any(n.startswith(f"{name}@") for n in self.workers_answering()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery worker did not start; see {process.log.name}")
        return process

    def beat(self, name: str = "beat") -> subprocess.Popen:
        """``celery beat`` with the settings' scheduler (django-celery-beat's, in the database)."""
        process = celery_process("beat", log_name=f"celery-{name}.log", env=self.env())
        self.started.append(process)
        return process

    def web(self, name: str = "web") -> str:
        """A uvicorn process serving the console; returns its base URL."""
        process, url = start_console(
            {**os.environ, **self.env()}, ROOT / "var" / f"uvicorn-{name}.log"
        )
        self.started.append(process)
        return url

    def stop_all(self) -> None:
        self.control_app.close()
        for process in reversed(self.started):
            if process.poll() is None:
                stop_process(process)
            elif not process.log.closed:
                process.log.close()


@pytest.fixture
def console_on(transactional_db):
    """Start console processes on a given Redis: ``console_on(redis_url).worker()``.

    They share the test database, and are stopped before it is flushed.
    """
    made = []

    def make(redis_url: str) -> ConsoleProcesses:
        processes = ConsoleProcesses(redis_url=redis_url, database_url=session_database_url())
        made.append(processes)
        return processes

    yield make
    for processes in made:
        processes.stop_all()


def api(base_url: str, token: str, path: str, body: dict | None = None, timeout: float = 10):
    """A JSON request to a console process; returns (status, body)."""
    request = urllib.request.Request(
        f"{base_url}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        text = error.read().decode(errors="replace")
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, text
