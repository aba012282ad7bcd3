"""No Docker engine runs here: a recording stand-in `docker` checks the exact argv, locally and
over SSH; the real-engine test runs where an engine exists."""

import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from executors.base import ExecutorError
from executors.docker import DockerExecutor
from executors.ssh import SSHExecutor, SSHTarget

STAND_IN = """#!/bin/sh
printf '%s\\n' "$@" |
  python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().splitlines()))' >> {log}
echo "django-api | database connection refused"
echo "django-api | request ok"
"""


@pytest.fixture
def stand_in(tmp_path):
    log = tmp_path / "docker-calls.jsonl"
    docker = tmp_path / "docker"
    docker.write_text(STAND_IN.format(log=log))
    docker.chmod(0o755)
    return docker, log


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def run(executor, action, **args):
    spec = executor.render({"action": action, "args": args}, {})
    lines = []
    result = executor.run(spec, lambda s, t: lines.append(t), threading.Event())
    return result, lines, spec


@pytest.mark.parametrize(
    ("action", "args", "argv"),
    [
        ("ps", {}, ["ps", "--all"]),
        ("logs", {"container": "django-api", "tail": 100}, ["logs", "--tail", "100", "django-api"]),
        ("system_df", {}, ["system", "df"]),
        (
            "system_prune",
            {"all": True, "volumes": True},
            ["system", "prune", "--all", "--volumes", "--force"],
        ),
        (
            "compose",
            {"command": "restart", "services": ["db"]},
            ["compose", "--project-directory", "/opt/ringo", "restart", "db"],
        ),
        (
            "compose",
            {"command": "stop", "services": "django-api celery-worker"},
            ["compose", "--project-directory", "/opt/ringo", "stop", "django-api", "celery-worker"],
        ),
        (
            "compose",
            {"command": "up"},
            ["compose", "--project-directory", "/opt/ringo", "up", "--detach"],
        ),
    ],
)
def test_each_action_runs_the_exact_docker_argv(stand_in, action, args, argv):
    docker, log = stand_in
    executor = DockerExecutor(timeout=10, docker=str(docker), compose_dir="/opt/ringo")
    result, _, _ = run(executor, action, **args)
    assert result.status == "succeeded"
    assert calls(log) == [argv]


def test_a_match_keeps_only_matching_lines_like_grep_i(stand_in):
    docker, _ = stand_in
    executor = DockerExecutor(timeout=10, docker=str(docker))
    _, lines, spec = run(executor, "logs", container="django-api", match="DATABASE")
    assert lines == ["django-api | database connection refused\n"]
    assert executor.describe(spec).endswith("| grep -iE DATABASE")


@pytest.mark.parametrize(
    ("action", "args"),
    [
        ("compose", {"command": "down"}),
        ("logs", {"container": "x; rm -rf /"}),
        ("logs", {"container": "api", "tail": "1; ls"}),
        ("explode", {}),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(stand_in, action, args):
    with pytest.raises(ExecutorError):
        DockerExecutor(timeout=10).render({"action": action, "args": args}, {})


def test_over_ssh_the_same_argv_runs_on_the_remote_host(sshd, stand_in):
    _, log = stand_in
    remote_docker = sshd.bin_dir / "docker"
    shutil.copy(stand_in[0], remote_docker)
    target = SSHTarget(
        host="127.0.0.1",
        port=sshd.port,
        user=sshd.user,
        known_hosts=str(sshd.known_hosts),
        private_key=sshd.private_key,
    )
    executor = DockerExecutor(
        timeout=10, compose_dir="/opt/ringo", remote=lambda: SSHExecutor(target=target, timeout=10)
    )
    result, _, _ = run(executor, "compose", command="restart", services=["django-api"])
    assert result.status == "succeeded"
    assert calls(log)[-1] == [
        "compose",
        "--project-directory",
        "/opt/ringo",
        "restart",
        "django-api",
    ]


def _engine_running() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _engine_running(), reason="no Docker engine on this machine")
def test_against_a_real_engine_ps_and_system_df_succeed():
    executor = DockerExecutor(timeout=30)
    assert run(executor, "ps")[0].status == "succeeded"
    assert run(executor, "system_df")[0].status == "succeeded"
