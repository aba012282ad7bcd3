"""The import preview against a real console process (uvicorn, embedded mode): a large document
being previewed never holds up anyone else's requests."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.servers import manage, start_console

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "import-password-123"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    var = tmp_path_factory.mktemp("import-console")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(VAR_DIR=str(var), INCIDENT_CONSOLE_SERVER="1", LOG_LEVEL="WARNING")
    manage(env, "migrate", "--noinput")
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model as g; "
        "from incident_console.accounts.roles import role_assign; "
        f"role_assign(g().objects.create_user('rita', password='{PASSWORD}'), 'responder')",
    )
    server, url = start_console(env, var / "server.log")
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.log.close()


def logged_in(url: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{url}/login/", timeout=10)
    session.post(
        f"{url}/login/",
        data={
            "username": "rita",
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{url}/login/"},
        timeout=10,
    ).raise_for_status()
    return session


def large_document() -> bytes:
    """Just under 1 MB: 950 commands (near the importer's limits), prose, and an escalation line
    with 30,000 digits (which took the old escalation regex half a minute, holding the GIL)."""
    path = "/var/log/" + "app/" * 50
    commands = "\n".join(f'grep -F "<term>" {path}{i}.log | tail -n 50' for i in range(10))
    scenario = "## Scenario {n}\n**Symptoms:**\n- it broke\n**Actions:**\n```\n{commands}\n```\n"
    text = "".join(scenario.format(n=n, commands=commands) for n in range(95))
    text += "## Escalation\n**Symptoms:**\n- slow\n**Escalation:**\n- " + "1" * 30_000 + "\n"
    text += "\n" + "Background prose that no step maps. " * ((990_000 - len(text)) // 37)
    return text.encode()


def test_other_requests_are_answered_while_a_large_import_preview_runs(console):
    session = logged_in(console)
    session.get(f"{console}/runbooks/import/", timeout=10).raise_for_status()
    outcome: dict = {}

    def preview():
        started = time.monotonic()
        response = session.post(
            f"{console}/runbooks/import/",
            data={"action": "preview", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            files={"file": ("big.md", large_document(), "text/markdown")},
            headers={"Referer": f"{console}/runbooks/import/"},
            timeout=120,
        )
        outcome.update(status=response.status_code, seconds=time.monotonic() - started)

    thread = threading.Thread(target=preview)
    thread.start()
    latencies = []
    while thread.is_alive():
        started = time.monotonic()
        answer = requests.get(f"{console}/api/health/", timeout=120)
        latencies.append(time.monotonic() - started)
        assert answer.status_code == 200
    thread.join()
    assert outcome["status"] == 200
    # Every other request was answered in a fraction of the preview's own time, however fast
    # or loaded the machine: before the fix each one waited for the whole preview.
    assert len(latencies) >= 2
    assert max(latencies) < outcome["seconds"] / 2, (latencies, outcome)
