"""Docker and docker compose actions, on the console's host or on another host over SSH."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from threading import Event
from typing import Any, ClassVar

from executors.base import Emit, Executor, ExecutorError, Result, Spec, render_args, require
from executors.shell import ShellExecutor

COMPOSE_COMMANDS = {"ps", "restart", "stop", "start", "pull", "up", "logs"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _names(value: Any, what: str) -> list[str]:
    names = value if isinstance(value, list) else str(value or "").split()
    for name in names:
        if not _NAME.match(str(name)):
            raise ExecutorError(f"{what} {name!r} is not a valid name")
    return [str(name) for name in names]


def _tail(args: Mapping[str, Any]) -> str:
    tail = str(args.get("tail", 100))
    if not tail.isdigit():
        raise ExecutorError("tail must be a whole number")
    return tail


class DockerExecutor:
    kind: ClassVar[str] = "docker"

    def __init__(
        self,
        *,
        timeout: float,
        docker: str = "docker",
        compose_dir: str | None = None,
        remote: Callable[[], Executor] | None = None,
        kill_grace: float = 5.0,
    ) -> None:
        self.timeout = timeout
        self.docker = docker
        self.compose_dir = compose_dir
        self.remote = remote
        self.kill_grace = kill_grace

    def render(self, step: Mapping[str, Any], params: Mapping[str, Any]) -> Spec:
        args = render_args(step.get("args", {}), params)
        action = step.get("action")
        builder = getattr(self, f"_argv_{action}", None)
        if builder is None:
            raise ExecutorError(f"unknown docker action {action!r}")
        spec: Spec = {"argv": [self.docker, *builder(args)]}
        if args.get("match"):
            re.compile(args["match"])
            spec["match"] = args["match"]
        return spec

    def _argv_ps(self, args: Mapping[str, Any]) -> list[str]:
        return ["ps", "--all"]

    def _argv_logs(self, args: Mapping[str, Any]) -> list[str]:
        require(args, "container")
        return ["logs", "--tail", _tail(args), *_names(args["container"], "container")[:1]]

    def _argv_system_df(self, args: Mapping[str, Any]) -> list[str]:
        return ["system", "df"]

    def _argv_system_prune(self, args: Mapping[str, Any]) -> list[str]:
        flags = ["--all"] if args.get("all") else []
        flags += ["--volumes"] if args.get("volumes") else []
        return ["system", "prune", *flags, "--force"]

    def _argv_compose(self, args: Mapping[str, Any]) -> list[str]:
        require(args, "command")
        command = args["command"]
        if command not in COMPOSE_COMMANDS:
            raise ExecutorError(f"compose command must be one of {sorted(COMPOSE_COMMANDS)}")
        argv = ["compose"]
        if self.compose_dir:
            argv += ["--project-directory", self.compose_dir]
        argv.append(command)
        argv += {"up": ["--detach"], "logs": ["--no-color", "--tail", _tail(args)]}.get(command, [])
        return argv + _names(args.get("services", []), "service")

    def describe(self, spec: Spec) -> str:
        text = shlex.join(spec["argv"])
        return f"{text} | grep -iE {shlex.quote(spec['match'])}" if spec.get("match") else text

    def run(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        emit = _filtered(emit, spec.get("match"))
        if self.remote is not None:
            return self.remote().run({"command": shlex.join(spec["argv"])}, emit, cancel)
        shell = ShellExecutor(timeout=self.timeout, kill_grace=self.kill_grace)
        return shell.run({"argv": spec["argv"]}, emit, cancel)


def _filtered(emit: Emit, pattern: str | None) -> Emit:
    if not pattern:
        return emit
    regex = re.compile(pattern, re.IGNORECASE)

    def matching(stream: str, text: str) -> None:
        kept = "".join(line for line in text.splitlines(keepends=True) if regex.search(line))
        if kept:
            emit(stream, kept)

    return matching
