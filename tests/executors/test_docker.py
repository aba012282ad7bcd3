"""A recording stand-in `docker` checks the exact argv, locally and over SSH; then the docker
steps of the shipped scenarios run against a real engine (Debian's dockerd) and containers made
from a local busybox image."""

import fcntl
import json
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from executors.base import ExecutorError
from executors.docker import DockerExecutor
from executors.shell import ShellExecutor
from executors.ssh import SSHExecutor, SSHTarget
from runbooks.loader import load_runbook_dirs
from tests.conftest import SERVICE_MODE
from tests.servers import BUSYBOX, busybox_image, ensure_dockerd

ROOT = Path(__file__).resolve().parents[2]

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


# Against a real engine: Debian's dockerd, containers from a local busybox image, no network.

SHIPPED = {
    (loaded.runbook.slug, step.id): step
    for loaded in load_runbook_dirs([ROOT / "runbooks" / "sites" / "ringo" / "runbooks"]).runbooks
    for step in loaded.runbook.steps
}
IMAGE = "ic-drill-busybox:1"
SERVICES = ["db", "django-api", "celery-worker", "postgres-backup"]
# The services the shipped steps name, each printing what the scenarios look for in its log.
# Built from the local image, so that the rollback's `docker-compose pull` has nothing to pull.
COMPOSE_FILE = """
x-service: &service
  build: .
  network_mode: none
  stop_signal: SIGKILL
services:
  db:
    <<: *service
    command: [sh, -c, "echo db ready; exec sleep 3600"]
  django-api:
    <<: *service
    container_name: django-api
    command: [sh, -c, "echo 'database connection refused'; echo 'request ok'; exec sleep 3600"]
  celery-worker:
    <<: *service
    command: [sh, -c, "echo worker ready; exec sleep 3600"]
  postgres-backup:
    <<: *service
    container_name: postgres-backup
    command: [sh, -c, "echo backup 1 done; echo backup 2 done; exec sleep 3600"]
"""
# Debian 12 ships Compose v1 only (docker-compose); `docker compose` is Compose v2's spelling,
# and v2 reads the compose file of --project-directory where v1 reads the one of the cwd.
COMPOSE_V1 = """#!/bin/sh
[ "$1" = compose ] || exec docker "$@"
shift
if [ "$1" = --project-directory ]; then cd "$2" || exit 1; shift 2; fi
exec docker-compose "$@"
"""
LOCK = Path(tempfile.gettempdir()) / "incident-console-docker-tests.lock"


def docker(*args: str, check: bool = True) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, check=check)
    return result.stdout.strip()


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """The suite's own dockerd (started if it is not running), for this module alone."""
    if SERVICE_MODE:
        pytest.skip("the real-engine docker tests run once, in the embedded pass")
    directory = tmp_path_factory.mktemp("docker")
    reason = ensure_dockerd(ROOT / "var" / "dockerd.log")
    if reason:
        pytest.skip(reason)
    if not BUSYBOX.exists():
        pytest.skip("busybox-static is not installed (.ci/run installs it)")
    # Container names are global to the engine: one test session at a time uses them.
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not docker("images", "--quiet", IMAGE):
            busybox_image(IMAGE, directory)
        started = subprocess.run(
            ["docker", "run", "--rm", "--network", "none", IMAGE, "sh", "-c", ""]
        )
        if started.returncode:
            pytest.skip(f"a container of {IMAGE} does not start: is {BUSYBOX} busybox-static's?")
        docker_bin = "docker"
        if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode:
            docker_bin = directory / "docker"
            docker_bin.write_text(COMPOSE_V1)
            docker_bin.chmod(0o755)
        yield SimpleNamespace(directory=directory, docker=str(docker_bin))


@pytest.fixture(scope="module")
def project(engine):
    """A compose project with the services the runbooks act on; removed afterwards."""
    project = SimpleNamespace(docker=engine.docker, directory=engine.directory / "ringo")
    project.directory.mkdir()
    (project.directory / "docker-compose.yml").write_text(COMPOSE_FILE)
    (project.directory / "Dockerfile").write_text(f"FROM {IMAGE}\n")
    docker("rm", "--force", "django-api", "postgres-backup", check=False)
    yield project
    compose(project, "down", "--timeout", "0", "--rmi", "local")


@pytest.fixture
def ringo(project, engine):
    """The project with every service running, at the start of each test."""
    if not docker("images", "--quiet", IMAGE):  # pruned: a build must never try to pull it
        busybox_image(IMAGE, Path(tempfile.mkdtemp(dir=engine.directory)))
    if len(containers(project, "--filter", "status=running")) < len(SERVICES):
        compose(project, "up", "--detach")
    return project


def compose(project, *args: str) -> None:
    argv = [project.docker, "compose", "--project-directory", str(project.directory), *args]
    result = subprocess.run(argv, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def containers(project, *filters: str) -> list[str]:
    label = f"label=com.docker.compose.project={project.directory.name}"
    return docker("ps", "--all", "--quiet", "--filter", label, *filters).split()


def state(project, service: str) -> dict:
    (container,) = containers(project, "--filter", f"label=com.docker.compose.service={service}")
    return json.loads(docker("inspect", "--format", "{{json .State}}", container))


def running(project) -> dict[str, bool]:
    return {service: state(project, service)["Running"] for service in SERVICES}


def run_shipped(project, scenario: str, step_id: str) -> str:
    """A shipped docker step, as a compose target with a compose_dir runs it."""
    step = SHIPPED[(scenario, step_id)]
    executor = DockerExecutor(timeout=60, docker=project.docker, compose_dir=str(project.directory))
    params = {param.name: param.default for param in step.params}
    spec = executor.render(step.model_dump(), params)
    output = []
    result = executor.run(spec, lambda stream, text: output.append(text), threading.Event())
    assert result.status == "succeeded", "".join(output)
    return "".join(output)


@pytest.mark.parametrize(
    ("scenario", "step_id", "printed"),
    [
        ("api-down", "logs-api-docker", "database connection refused\nrequest ok\n"),
        ("database-down", "logs-postgres-backup", "backup 1 done\nbackup 2 done\n"),
        ("database-down", "logs-api-database", "database connection refused\n"),
    ],
)
def test_a_shipped_logs_step_prints_the_last_lines_of_the_containers_log(
    ringo, scenario, step_id, printed
):
    assert run_shipped(ringo, scenario, step_id).endswith(printed)


@pytest.mark.parametrize(
    ("scenario", "step_id", "service"),
    [
        ("api-down", "restart-api-compose", "django-api"),
        ("database-down", "restart-db-compose", "db"),
    ],
)
def test_a_shipped_restart_step_restarts_exactly_its_service(ringo, scenario, step_id, service):
    before = {name: state(ringo, name)["StartedAt"] for name in SERVICES}
    run_shipped(ringo, scenario, step_id)
    after = {name: state(ringo, name)["StartedAt"] for name in SERVICES}
    assert running(ringo)[service] is True
    assert [name for name in SERVICES if after[name] != before[name]] == [service]


@pytest.mark.parametrize(
    ("scenario", "step_id"), [("data-loss", "stop-writes"), ("full-restore", "stop-app")]
)
def test_a_shipped_stop_step_stops_the_writers_and_nothing_else(ringo, scenario, step_id):
    run_shipped(ringo, scenario, step_id)
    assert running(ringo) == {
        "db": True,
        "django-api": False,
        "celery-worker": False,
        "postgres-backup": True,
    }


def test_the_shipped_start_step_starts_the_stopped_app_again(ringo):
    run_shipped(ringo, "full-restore", "stop-app")
    run_shipped(ringo, "full-restore", "start-app")
    assert all(running(ringo).values())


def test_the_shipped_rollback_script_brings_a_stopped_service_back(ringo):
    """api-down's rollback is a script (`docker-compose pull && docker-compose up -d`) for the
    production host; here it runs on this host, in the project's directory."""
    docker("stop", "django-api")
    step = SHIPPED[("api-down", "rollback")]
    shell = ShellExecutor(timeout=60)
    spec = shell.render(step.model_dump(), {"app_dir": str(ringo.directory)})
    output = []
    result = shell.run(spec, lambda stream, text: output.append(text), threading.Event())
    assert result.status == "succeeded", "".join(output)
    assert all(running(ringo).values())


def test_the_shipped_prune_step_removes_what_nothing_uses(ringo, engine):
    unused_image = busybox_image("ic-drill-unused:1", engine.directory, {"etc/unused": "x"})
    stopped = docker("create", "--network", "none", IMAGE, "sh")
    docker("volume", "create", "ic-drill-unused")
    run_shipped(ringo, "disk-full", "docker-prune")
    assert docker("ps", "--all", "--quiet", "--filter", f"id={stopped}") == ""
    assert docker("volume", "ls", "--quiet", "--filter", "name=ic-drill-unused") == ""
    assert docker("images", "--quiet", unused_image) == ""


def test_the_shipped_prune_step_keeps_running_containers_and_their_images(ringo):
    in_use = docker("inspect", "--format", "{{.Image}}", *containers(ringo)).split()
    run_shipped(ringo, "disk-full", "docker-prune")
    assert all(running(ringo).values())
    assert docker("image", "inspect", "--format", "{{.Id}}", *in_use).split() == in_use


def test_ps_lists_the_real_engines_containers(ringo):
    result, lines, _ = run(DockerExecutor(timeout=30, docker=ringo.docker), "ps")
    assert result.status == "succeeded"
    assert "django-api" in "".join(lines) and "postgres-backup" in "".join(lines)
