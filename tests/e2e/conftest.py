"""A real console process (uvicorn, embedded mode) and Debian's chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from tests.servers import manage, start_console

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
        # Checks of these targets stay on loopback.
        TARGETS_FILE=str(ROOT / "tests" / "fixtures" / "targets-e2e.yaml"),
    )
    with console_running(env, var, superuser="oncall") as url:
        token = manage(env, "createapitoken", "fuzzer", "--role", "commander").strip()
        yield {"url": url, "env": env, "token": token}


@contextlib.contextmanager
def console_running(env: dict, var: Path, *, superuser: str, load_site: bool = False):
    """A console process on ``var``: migrated, its runbooks synced (and the site's contacts and
    schedules loaded if asked), one superuser with PASSWORD; yields its URL."""
    manage(env, "migrate", "--noinput")
    manage(env, "sync_runbooks")
    if load_site:
        manage(env, "load_site")
    code = (
        "from django.contrib.auth import get_user_model as g; "
        f"g().objects.create_superuser('{superuser}', '', '{PASSWORD}')"
    )
    manage(env, "shell", "-c", code)
    server, url = start_console(env, var / "server.log")
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.log.close()


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
