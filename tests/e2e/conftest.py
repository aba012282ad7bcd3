"""A real console process (uvicorn, embedded mode) and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
PASSWORD = "e2e-password-123"


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture(scope="session")
def console_url(console):
    return console["url"]


@pytest.fixture(scope="session")
def console(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    var = tmp_path_factory.mktemp("console-var")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        VAR_DIR=str(var),
        RUNBOOK_DIRS=str(ROOT / "tests" / "fixtures" / "runbooks"),
        INCIDENT_CONSOLE_SERVER="1",
        OUTPUT_FLUSH_INTERVAL="0.05",
    )
    manage(env, "migrate", "--noinput")
    manage(env, "sync_runbooks")
    code = (
        "from django.contrib.auth import get_user_model as g; "
        f"g().objects.create_superuser('oncall', '', '{PASSWORD}')"
    )
    manage(env, "shell", "-c", code)
    port = free_port()
    log = open(var / "server.log", "w")  # noqa: SIM115 - closed at teardown
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "incident_console.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/health/", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"console did not start; see {log.name}") from None
            time.sleep(0.2)
    token = manage(env, "createapitoken", "fuzzer", "--role", "commander").strip()
    yield {"url": url, "env": env, "token": token}
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium, console_url):
    contexts = []

    def make(logged_in: bool = True):
        context = chromium.new_context(
            viewport={"width": 1400, "height": 1000}, base_url=console_url
        )
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        # A script or socket blocked by the Content-Security-Policy shows up here too.
        page.on(
            "console",
            lambda message: message.type == "error" and page.errors.append(message.text),
        )
        if logged_in:
            page.goto("/login/")
            page.fill("input[name=username]", "oncall")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/")
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """Save a screenshot under docs/screenshots/ when UPDATE_SCREENSHOTS=1."""

    def take(page, name: str) -> None:
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            page.screenshot(path=str(ROOT / "docs" / "screenshots" / f"{name}.png"))

    return take
