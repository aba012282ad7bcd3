"""docker-compose.yml, as Compose itself reads it: every service is watched and restarted."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose_command() -> list[str] | None:
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]  # Debian 12 ships Compose v1 only
    return None


@pytest.fixture(scope="module")
def services(tmp_path_factory) -> dict:
    """The services of the resolved file (anchors merged), with .env.example as the .env."""
    command = compose_command()
    if command is None:
        pytest.skip(
            "neither `docker compose` nor docker-compose is installed (.ci/run installs it)"
        )
    directory = tmp_path_factory.mktemp("compose")
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, directory / name)
    shutil.copy(ROOT / ".env.example", directory / ".env")
    result = subprocess.run(
        [*command, "config"], cwd=directory, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def test_compose_runs_db_redis_web_worker_and_beat(services):
    assert sorted(services) == ["beat", "db", "redis", "web", "worker"]


def test_every_service_has_a_health_check(services):
    assert {name: bool(s.get("healthcheck", {}).get("test")) for name, s in services.items()} == {
        name: True for name in services
    }


def test_every_service_is_restarted_when_its_process_exits(services):
    assert {name: s.get("restart") for name, s in services.items()} == {
        name: "unless-stopped" for name in services
    }
