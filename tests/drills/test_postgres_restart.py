"""Drill: the console's own PostgreSQL restarts while a step runs.

Back within the fencing bound: no printed line is lost and the run ends as the step did.
Away longer: the worker stops the step itself, and the run ends `failed` with the reason once
the database is back.  Web processes and workers reconnect without a restart.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg
import pytest

from tests.conftest import ROOT
from tests.drills.conftest import ConsoleProcesses, api

pytestmark = [pytest.mark.service, pytest.mark.drill]


@pytest.fixture
def console_database(private_postgres, private_redis):
    """A migrated console database on the private PostgreSQL, and an API token for it."""
    with psycopg.connect(private_postgres.url(), autocommit=True) as connection:
        connection.execute("CREATE DATABASE console")
    url = private_postgres.url("console")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": private_redis.url(),
        "RUNBOOK_DIRS": str(ROOT / "tests" / "fixtures" / "runbooks"),
    }

    def manage(*args: str) -> str:
        command = [sys.executable, "manage.py", *args]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    manage("migrate", "--noinput")
    manage("sync_runbooks")
    token = manage("createapitoken", "drill", "--role", "commander")
    return url, token


def rows(url: str, sql: str, *args):
    with psycopg.connect(url) as connection:
        return connection.execute(sql, args).fetchall()


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except psycopg.OperationalError:
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def start_slow_run(web: str, token: str, lines: int) -> int:
    status, incident = api(web, token, "/api/incidents/", {"scenario": "test-drill"})
    assert status == 201, incident
    status, body = api(
        web, token, f"/api/incidents/{incident['id']}/steps/slow/run/", {"params": {"lines": lines}}
    )
    assert status == 202, body
    return body["run"]


def output_of(url: str, run_id: int) -> tuple[list[int], str]:
    chunks = rows(
        url, "SELECT seq, text FROM runs_outputchunk WHERE run_id = %s ORDER BY seq", run_id
    )
    return [seq for seq, _ in chunks], "".join(text for _, text in chunks)


def finished(url: str, run_id: int):
    found = rows(url, "SELECT status, detail FROM runs_steprun WHERE id = %s", run_id)
    return found[0] if found and found[0][0] not in ("queued", "running") else None


def run_console(url, redis_url, **env) -> tuple[ConsoleProcesses, str]:
    console = ConsoleProcesses(redis_url=redis_url, database_url=url)
    console.env_overrides = env
    base = console.env
    console.env = lambda: {**base(), **env}
    console.worker()
    return console, console.web()


def test_a_short_postgresql_restart_loses_no_line(
    private_postgres, private_redis, console_database
):
    url, token = console_database
    console, web = run_console(url, private_redis.url(), RUN_LOST_AFTER="60")
    try:
        run_id = start_slow_run(web, token, lines=150)
        wait_until(lambda: "tick 20\n" in output_of(url, run_id)[1], 30, "output")
        private_postgres.stop("immediate")
        time.sleep(5)
        private_postgres.start()
        back = time.monotonic()
        status, detail = wait_until(lambda: finished(url, run_id), 60, "the run's end")
        seqs, text = output_of(url, run_id)
        assert (status, detail) == ("succeeded", "")
        assert text == "".join(f"tick {i}\n" for i in range(1, 151))
        assert seqs == list(range(1, len(seqs) + 1))
        ends = rows(
            url,
            "SELECT count(*) FROM incidents_timelineentry WHERE run_id = %s AND kind = %s",
            run_id,
            "run_finished",
        )
        assert ends == [(1,)]
        answered, _ = api(web, token, f"/api/runs/{run_id}/")
        assert answered == 200, "the web process reconnects by itself"
        print(f"run finished {time.monotonic() - back:.1f} s after PostgreSQL came back")
    finally:
        console.stop_all()


def test_a_long_postgresql_outage_fences_the_step(
    private_postgres, private_redis, console_database
):
    url, token = console_database
    console, web = run_console(
        url, private_redis.url(), RUN_LOST_AFTER="8", RUN_HEARTBEAT_INTERVAL="0.5"
    )
    try:
        run_id = start_slow_run(web, token, lines=400)
        wait_until(lambda: "tick 20\n" in output_of(url, run_id)[1], 30, "output")
        private_postgres.stop("immediate")
        time.sleep(9)  # past the fencing bound (4 s) and past RUN_LOST_AFTER
        private_postgres.start()
        status, detail = wait_until(lambda: finished(url, run_id), 60, "the run's end")
        seqs, text = output_of(url, run_id)
        assert status == "failed"
        assert "heartbeat could not be renewed" in detail
        assert "tick 400" not in text, "the step was stopped, not left to finish"
        lines = [line for line in text.splitlines() if line.startswith("tick ")]
        assert lines == [f"tick {i}" for i in range(1, len(lines) + 1)], "no line lost"
        assert seqs == list(range(1, len(seqs) + 1))
    finally:
        console.stop_all()
