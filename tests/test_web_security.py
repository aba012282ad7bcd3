"""CSRF, security headers, login throttling, metrics access, production settings; the last
tests run against the console as `make run` serves it."""

import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from incident_console.checks import check_metrics_token
from incident_console.env import env_networks
from tests.servers import free_port

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]


def test_forms_refuse_posts_without_a_csrf_token(user, scenarios):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/incidents/new/", {"scenario": "disk-full"})
    assert response.status_code == 403


def test_the_api_with_a_session_needs_the_csrf_token_too(user, incident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        f"/api/incidents/{incident.pk}/steps/count/run/", "{}", content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_pages_carry_security_headers(user):
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_five_wrong_passwords_lock_the_login_out(user):
    client = Client()
    for _ in range(4):
        assert client.post("/login/", {"username": "alice", "password": "wrong"}).status_code == 200
    assert client.post("/login/", {"username": "alice", "password": "wrong"}).status_code == 429
    locked = client.post("/login/", {"username": "alice", "password": "pw-123456"})
    assert locked.status_code == 429


def test_manage_check_deploy_is_clean_under_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG",)},
        "HTTPS": "true",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "console.example.com",
        "VAR_DIR": str(tmp_path),
        "METRICS_TOKEN": secrets.token_urlsafe(32),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_wrong_passwords_from_rotating_addresses_lock_the_account(user):
    client = Client()
    statuses = [
        client.post(
            "/login/",
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR=f"10.0.{i}.1",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(20)
    ]
    assert statuses == [200] * 4 + [429] * 16


def test_a_locked_account_cannot_log_in_from_another_address(user):
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "alice", "password": "wrong"})
    response = client.post(
        "/login/",
        {"username": "alice", "password": "pw-123456"},
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert response.status_code == 429


def test_trusted_proxies_must_be_addresses_or_networks(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.5, 172.16.0.0/12,proxy.internal")
    with pytest.raises(ImproperlyConfigured, match="'proxy.internal'"):
        env_networks("TRUSTED_PROXIES")


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1"])
def test_metrics_without_a_token_answer_loopback_in_embedded_mode(settings, address):
    settings.EMBEDDED, settings.METRICS_TOKEN = True, ""
    assert Client(REMOTE_ADDR=address).get("/metrics").status_code == 200


def test_metrics_without_a_token_refuse_other_addresses_in_embedded_mode(settings):
    settings.EMBEDDED, settings.METRICS_TOKEN = True, ""
    response = Client(REMOTE_ADDR="10.1.2.3").get("/metrics")
    assert response.status_code == 403
    assert response.content == b"set METRICS_TOKEN to scrape /metrics from another host\n"


def test_metrics_without_a_token_refuse_loopback_in_service_mode(settings):
    settings.EMBEDDED, settings.METRICS_TOKEN = False, ""
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403


def test_metrics_with_a_token_want_it_from_loopback_too(settings):
    settings.EMBEDDED, settings.METRICS_TOKEN = True, "scrape-me"
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 401


@pytest.mark.parametrize(
    ("embedded", "token", "ids"),
    [(False, "", ["console.E001"]), (False, "scrape-me", []), (True, "", [])],
)
def test_service_mode_without_a_metrics_token_is_a_system_check_error(
    settings, embedded, token, ids
):
    settings.EMBEDDED, settings.METRICS_TOKEN = embedded, token
    assert [error.id for error in check_metrics_token(None)] == ids


def service_env(tmp_path, **extra) -> dict:
    """Service mode on SQLite: nothing here reaches the database or Redis."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "METRICS_TOKEN")}
    env.update(
        REDIS_URL="redis://127.0.0.1:6379/13",
        SECRET_KEY="test-only-secret-key",
        VAR_DIR=str(tmp_path),
        **extra,
    )
    return env


def test_manage_check_fails_in_service_mode_without_a_metrics_token(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=service_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "(console.E001) METRICS_TOKEN is not set" in result.stderr


def test_uvicorn_refuses_to_start_in_service_mode_without_a_metrics_token(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "incident_console.asgi:application"]
        + ["--host", "127.0.0.1", "--port", str(free_port())],
        cwd=ROOT,
        env=service_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "(console.E001) METRICS_TOKEN is not set" in result.stderr


PASSWORD = "live-password-123"
SETUP = f"""
from django.contrib.auth import get_user_model
from incident_console.accounts.roles import role_assign
from incident_console.incidents.services import incident_open
from incident_console.runs.models import StepRun
users = get_user_model().objects
oncall = users.create_user("oncall", password="{PASSWORD}")
role_assign(oncall, "commander")
users.create_user("target", password="{PASSWORD}")
incident = incident_open(scenario_slug="test-drill", title="drill", severity=None, actor=oncall)
run = StepRun.objects.create(
    incident=incident, step_id="count", step_title="count", executor="shell", target="local",
    runbook_version="v", command={{}}, command_display="count", timeout=5, status="succeeded",
    created_by=oncall,
)
print(run.pk)
"""


def make_run_command(port: int) -> str:
    """The uvicorn command `make run` runs, with TRUSTED_PROXIES unset (its default)."""
    env = {k: v for k, v in os.environ.items() if k != "TRUSTED_PROXIES"}
    printed = subprocess.run(
        ["make", "-n", "run", f"PORT={port}"], cwd=ROOT, env=env, capture_output=True, text=True
    ).stdout.replace("\\\n", " ")
    return next(line for line in printed.splitlines() if "uvicorn" in line)


@pytest.fixture(scope="module")
def live_console(tmp_path_factory):
    """The console as `make run` serves it (embedded mode), on a free port."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    var = tmp_path_factory.mktemp("live-console")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "TRUSTED_PROXIES")
    }
    env.update(VAR_DIR=str(var), RUNBOOK_DIRS=str(ROOT / "tests" / "fixtures" / "runbooks"))
    for args in (["migrate", "--noinput"], ["sync_runbooks"]):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    setup = [sys.executable, "manage.py", "shell", "-c", SETUP]
    run_id = subprocess.run(setup, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    port = free_port()
    log = open(var / "server.log", "w")  # noqa: SIM115 - closed at teardown
    server = subprocess.Popen(
        ["bash", "-c", f"exec env {make_run_command(port)}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_health(url, server, log)
    yield {
        "url": url,
        "port": port,
        "run_id": int(run_id.stdout.strip().splitlines()[-1]),
        "db": var / "incident_console.sqlite3",
    }
    server.terminate()
    server.wait(timeout=10)
    log.close()


def wait_for_health(url, server, log) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/health/", timeout=1)
            return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"console did not start; see {log.name}") from None
            time.sleep(0.2)


def live_login(url: str, username: str, password: str, forwarded_for: str):
    session = requests.Session()
    page = session.get(f"{url}/login/", timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = session.post(
        f"{url}/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"X-Forwarded-For": forwarded_for},
        allow_redirects=False,
        timeout=10,
    )
    return session, response


def test_a_live_console_locks_out_despite_a_rotating_x_forwarded_for(live_console):
    url = live_console["url"]
    statuses = [
        live_login(url, "target", "wrong", f"203.0.113.{i}")[1].status_code for i in range(6)
    ]
    _, right = live_login(url, "target", PASSWORD, "198.51.100.9")
    assert (statuses, right.status_code) == ([200] * 4 + [429] * 2, 429)


def test_a_live_console_records_the_peer_address_not_x_forwarded_for(live_console):
    live_login(live_console["url"], "nobody", "wrong", "203.0.113.77")
    with sqlite3.connect(live_console["db"]) as db:
        rows = db.execute(
            "SELECT ip_address FROM axes_accessattempt WHERE username = 'nobody'"
        ).fetchall()
    assert rows == [("127.0.0.1",)]


def live_socket(live_console, path: str, origin: str):
    session, response = live_login(live_console["url"], "oncall", PASSWORD, "127.0.0.1")
    assert response.status_code == 302
    cookie = f"sessionid={session.cookies['sessionid']}"
    return connect(
        f"ws://127.0.0.1:{live_console['port']}{path}",
        origin=origin,
        additional_headers={"Cookie": cookie},
        open_timeout=10,
    )


def test_a_live_console_streams_to_its_own_page(live_console):
    own = f"http://127.0.0.1:{live_console['port']}"
    with live_socket(live_console, f"/ws/runs/{live_console['run_id']}/", own) as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "status"


def test_a_live_console_refuses_a_page_on_another_port(live_console):
    path = f"/ws/runs/{live_console['run_id']}/"
    with pytest.raises(InvalidStatus) as refused:
        live_socket(live_console, path, "http://127.0.0.1:9999")
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("path", ["/ws/runs/-1/", "/ws/runs/abc/"])
def test_a_live_console_closes_a_socket_to_no_run_without_a_500(live_console, path):
    own = f"http://127.0.0.1:{live_console['port']}"
    with pytest.raises(InvalidStatus) as refused:
        live_socket(live_console, path, own)
    assert refused.value.response.status_code == 403
