from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incident_console.incidents.services import incident_open, scenarios_sync
from tests.servers import sshd_available, start_sshd, stop

ROOT = Path(__file__).resolve().parent.parent
TEST_RUNBOOKS = Path(__file__).resolve().parent / "fixtures" / "runbooks"
SERVICE_MODE = not settings.EMBEDDED


def pytest_collection_modifyitems(config, items):
    skip_service = pytest.mark.skip(reason="service mode only: set DATABASE_URL and REDIS_URL")
    skip_e2e = pytest.mark.skip(reason="browser tests run once, in the embedded pass")
    for item in items:
        if "service" in item.keywords and not SERVICE_MODE:
            item.add_marker(skip_service)
        if "e2e" in item.keywords and SERVICE_MODE:
            item.add_marker(skip_e2e)


@pytest.fixture(autouse=True)
def _runbook_dirs(settings):
    settings.RUNBOOK_DIRS = [ROOT / "runbooks", TEST_RUNBOOKS]
    settings.OUTPUT_FLUSH_INTERVAL = 0.05


@pytest.fixture
def scenarios(db):
    report = scenarios_sync()
    assert not report.errors, report.errors
    return report


@pytest.fixture
def make_user(django_user_model):
    def make(username: str = "alice", **fields):
        return django_user_model.objects.create_user(
            username=username, password="pw-123456", **fields
        )

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def api_client(user):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def make_incident(scenarios, user):
    def make(scenario: str = "test-drill", **fields):
        return incident_open(
            scenario_slug=scenario,
            title=fields.get("title", "drill"),
            severity=fields.get("severity"),
            actor=fields.get("actor", user),
        )

    return make


@pytest.fixture
def incident(make_incident):
    return make_incident()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real `celery worker` process on the test database and the Redis broker."""
    if not SERVICE_MODE:
        pytest.skip("service mode only")
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "OUTPUT_FLUSH_INTERVAL": "0.05"}
    command = [
        shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery",
        "-A",
        "incident_console",
        "worker",
        "--pool=threads",
        "--concurrency=8",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    log = open(ROOT / "var" / "celery-worker.log", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    from incident_console.celery import app

    app.control.purge()
    deadline = time.monotonic() + 30
    while not app.control.ping(timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"celery worker did not start; see {log.name}")
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    log.close()


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """Debian's sshd on a free loopback port, with throwaway host and user keys."""
    if not sshd_available():
        pytest.skip("openssh-server is not installed (.ci/run installs it)")
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    stop(server.process)
