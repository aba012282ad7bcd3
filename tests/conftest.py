from __future__ import annotations

import contextlib
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

from incident_console.accounts.roles import role_assign
from incident_console.incidents.services import incident_open, scenarios_sync
from tests.servers import (
    sshd_available,
    start_http,
    start_moto,
    start_recorder,
    start_sshd,
    stop,
)

ROOT = Path(__file__).resolve().parent.parent
TEST_RUNBOOKS = Path(__file__).resolve().parent / "fixtures" / "runbooks"
# The suite walks the scenarios of the shipped site.
SITE_RUNBOOKS = ROOT / "runbooks" / "sites" / "ringo" / "runbooks"
SERVICE_MODE = not settings.EMBEDDED


# Plain Python with no database or channel layer: the same in both modes, so run once.  So is
# how a fresh process finds its Celery tasks (test_enqueue: five fresh processes a pass).
MODE_INDEPENDENT = [
    ROOT / "tests" / name
    for name in ("executors", "runbooks", "lint", "background/test_enqueue.py")
]


def pytest_collection_modifyitems(config, items):
    skip_service = pytest.mark.skip(reason="service mode only: set DATABASE_URL and REDIS_URL")
    skip_e2e = pytest.mark.skip(reason="browser tests run once, in the embedded pass")
    skip_plain = pytest.mark.skip(reason="plain Python, the same in both modes: embedded pass")
    for item in items:
        if "service" in item.keywords and not SERVICE_MODE:
            item.add_marker(skip_service)
        if "e2e" in item.keywords and SERVICE_MODE:
            item.add_marker(skip_e2e)
        if SERVICE_MODE and any(item.path.is_relative_to(d) for d in MODE_INDEPENDENT):
            item.add_marker(skip_plain)


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a request the test client made in another
    language leaves that language active on the thread (Django deactivates none)."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _runbook_dirs(settings):
    settings.RUNBOOK_DIRS = [SITE_RUNBOOKS, TEST_RUNBOOKS]
    # The suite makes thousands of users; PBKDF2's deliberate slowness cost 0.4 s each.
    settings.PASSWORD_HASHERS = ["tests.hashers.FastPBKDF2PasswordHasher"]
    settings.OUTPUT_FLUSH_INTERVAL = 0.05


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database with the site's contacts, levels and schedules, as after `make run`."""
    from incident_console.site import site_load

    with django_db_blocker.unblock():
        site_load()


@pytest.fixture
def scenarios(db):
    report = scenarios_sync()
    assert not report.errors, report.errors
    return report


@pytest.fixture
def make_user(django_user_model):
    """A user with a role: viewer, responder or commander (None: no role at all)."""

    def make(username: str = "alice", role: str | None = "commander", **fields):
        user = django_user_model.objects.create_user(
            username=username, password="pw-123456", **fields
        )
        if role:
            role_assign(user, role)
        return django_user_model.objects.get(pk=user.pk)

    return make


@pytest.fixture
def user(make_user):
    """The incident commander of most tests."""
    return make_user("alice", "commander")


@pytest.fixture
def second_commander(make_user):
    return make_user("carol", "commander")


@pytest.fixture
def responder(make_user):
    return make_user("rita", "responder")


@pytest.fixture
def viewer(make_user):
    return make_user("victor", "viewer")


@pytest.fixture
def make_api_client():
    def make(user) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def api_client(user, make_api_client):
    return make_api_client(user)


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    """moto's S3 server on loopback, shared by the session's tests (each makes its buckets)."""
    url, process = start_moto(tmp_path_factory.mktemp("moto"))
    yield url
    stop(process)


@pytest.fixture(scope="session")
def api_server():
    """A loopback HTTP server standing in for the API (tests.servers.start_http)."""
    url, server = start_http()
    yield url
    server.shutdown()


def lines_naming(path: Path, text: str) -> list[int]:
    """The numbers of the lines of a file that contain ``text``."""
    lines = path.read_text().splitlines()
    return [number for number, line in enumerate(lines, start=1) if text in line]


def backup_downloaded(incident, file: str = "/tmp/backup.sql.gz"):
    """Record that the incident's download-backup step succeeded, as the restore needs."""
    from django.utils import timezone

    from incident_console.runs.models import StepRun

    return StepRun.objects.create(
        incident=incident,
        step_id="download-backup",
        step_title="Download the backup onto the console's worker",
        executor="s3",
        target="backups-bucket",
        runbook_version=incident.scenario.version,
        params={"file": file},
        command={},
        command_display=f"download to {file}",
        timeout=60,
        status=StepRun.Status.SUCCEEDED,
        exit_code=0,
        finished_at=timezone.now(),
        outputs={"file": file},
    )


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


@pytest.fixture
def make_run(user):
    """A finished run stored directly, for tests of what is shown about runs."""
    from incident_console.runs.models import StepRun

    def make(incident, step_id="count", **fields):
        defaults = {
            "step_title": step_id,
            "executor": "shell",
            "target": "local",
            "runbook_version": "v",
            "command": {},
            "command_display": step_id,
            "timeout": 5,
            "status": "succeeded",
            "created_by": user,
        }
        return StepRun.objects.create(incident=incident, step_id=step_id, **{**defaults, **fields})

    return make


def celery_process(kind: str, *args: str, log_name: str, env: dict | None = None):
    """Start `celery worker` or `celery beat` on the test database and the Redis broker."""
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    full_env = {**os.environ, "DATABASE_URL": url, "OUTPUT_FLUSH_INTERVAL": "0.05", **(env or {})}
    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    command = [celery, "-A", "incident_console", kind, "--loglevel=INFO", *args]
    log = open(ROOT / "var" / log_name, "w")  # noqa: SIM115 - closed by stop_process
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log = log
    return process


def wait_for_worker(process, hostname: str | None = None, timeout: float = 30) -> None:
    from incident_console.celery import app

    deadline = time.monotonic() + timeout
    while True:
        replies = app.control.ping(timeout=0.5)
        names = {name for reply in replies for name in reply}
        if replies and (hostname is None or any(hostname in name for name in names)):
            return
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"celery worker did not start; see {process.log.name}")


def stop_process(process, sig=signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    process.log.close()


# Heartbeats ten times as often as runs are declared lost, like the defaults (5 s and 60 s).
FAST_HEARTBEAT = {
    "RUN_HEARTBEAT_INTERVAL": "0.5",
    "RUN_LOST_AFTER": "5",
    "REAP_INTERVAL": "1",
    "TICK_INTERVAL": "1",
    "NOTIFY_SENDING_STALE": "2",
}
WORKER_ARGS = ["--pool=threads", "--concurrency=8", "--without-gossip", "--without-mingle"]


class Worker:
    """The session's `celery worker` process; a test may kill it and start another."""

    def __init__(self, env: dict) -> None:
        self.env = env
        self.generation = 0
        self.process = None
        self.start()

    def start(self) -> None:
        self.generation += 1
        name = f"main{self.generation}@"
        self.process = celery_process(
            "worker", *WORKER_ARGS, "-n", f"{name}%h", log_name=f"celery-{name}.log", env=self.env
        )
        wait_for_worker(self.process, name)

    def kill_and_restart(self) -> None:
        stop_process(self.process, sig=signal.SIGKILL)
        self.start()


@pytest.fixture(scope="session")
def slack_recorder():
    url, server = start_recorder()
    yield url, server
    server.shutdown()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, slack_recorder):
    """A real `celery worker` process on the test database and the Redis broker.

    Its Slack webhook is a recording server on loopback.
    """
    if not SERVICE_MODE:
        pytest.skip("service mode only")
    from incident_console.celery import app

    app.control.purge()
    worker = Worker({**FAST_HEARTBEAT, "SLACK_WEBHOOK_URL": f"{slack_recorder[0]}/slack"})
    yield worker
    stop_process(worker.process)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """Debian's sshd on a free loopback port, with throwaway host and user keys."""
    if not sshd_available():
        pytest.skip("openssh-server is not installed (.ci/run installs it)")
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    stop(server.process)


@pytest.fixture
def telegram():
    """A Telegram Bot API on loopback (tests/servers.py FakeTelegram) for the on-call tests."""
    from tests.oncall.sites import BOT_TOKEN
    from tests.servers import FakeTelegram

    api = FakeTelegram(BOT_TOKEN)
    yield api
    api.stop()
