"""Run a command on the console's own host.

Parameters reach the command as data: an argv element each, or, for a script, an environment
variable each that the script refers to (see executors/shellwords.py).  The command gets its
own process group, so a timeout or a cancel stops everything it started.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import shlex
import signal
import subprocess
import time
from collections.abc import Mapping
from threading import Event
from typing import IO, Any, ClassVar

from executors.base import (
    SYSTEM_PREFIX,
    Emit,
    ExecutorError,
    Outcome,
    Result,
    Spec,
    assignments,
    check_command_size,
    emit_lines,
    render_argv,
    render_script,
)
from executors.lines import LineSplitter

SHELL = "/bin/bash"


class ShellExecutor:
    kind: ClassVar[str] = "shell"

    def __init__(
        self,
        *,
        timeout: float,
        kill_grace: float = 5.0,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        max_line: int = 16384,
        partial_line_after: float = 0.25,
    ) -> None:
        self.timeout = timeout
        self.kill_grace = kill_grace
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.max_line = max_line
        self.partial_line_after = partial_line_after

    def render(self, step: Mapping[str, Any], params: Mapping[str, Any]) -> Spec:
        if step.get("argv"):
            spec: Spec = {"argv": render_argv(step["argv"], params)}
        elif step.get("script"):
            script, variables = render_script(step["script"], params)
            spec = {"argv": [SHELL, "-c", script], "script": script}
            if variables:
                spec["env"] = variables
        else:
            raise ExecutorError("a shell step needs argv or script")
        check_command_size(spec["argv"], spec.get("env"))
        return spec

    def describe(self, spec: Spec) -> str:
        script: str | None = spec.get("script")
        if script:
            return assignments(spec.get("env", {})) + script
        return shlex.join(spec["argv"])

    def run(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        """Start the command and stream its output until it ends, times out or is cancelled."""
        check_command_size(spec["argv"], spec.get("env"))
        env = self.env
        if spec.get("env"):
            env = {**(os.environ if env is None else env), **spec["env"]}
        try:
            process = subprocess.Popen(
                spec["argv"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                env=env,
                cwd=self.cwd,
            )
        except FileNotFoundError:
            emit("stderr", f"{SYSTEM_PREFIX}command not found: {spec['argv'][0]}\n")
            return Result("failed", 127, "command not found")
        except PermissionError:
            emit("stderr", f"{SYSTEM_PREFIX}permission denied: {spec['argv'][0]}\n")
            return Result("failed", 126, "permission denied")
        except OSError as exc:
            if exc.errno != errno.E2BIG:
                raise
            raise ExecutorError(
                "the command and its environment are too long for the system to start"
            ) from None
        return _Supervisor(self, process, emit, cancel).supervise()


class _Supervisor:
    """Stream a process's two pipes in arrival order and stop its group on timeout or cancel."""

    def __init__(
        self, executor: ShellExecutor, process: subprocess.Popen[bytes], emit: Emit, cancel: Event
    ) -> None:
        self.executor = executor
        self.process = process
        self.emit = emit
        self.cancel = cancel
        self.selector = selectors.DefaultSelector()
        self.splitters: dict[int, tuple[str, LineSplitter]] = {}
        self.pipes: list[IO[bytes]] = []
        for stream, pipe in (("stdout", process.stdout), ("stderr", process.stderr)):
            assert pipe is not None  # started with stdout=PIPE and stderr=PIPE
            self.pipes.append(pipe)
            os.set_blocking(pipe.fileno(), False)
            self.selector.register(pipe, selectors.EVENT_READ)
            self.splitters[pipe.fileno()] = (stream, LineSplitter(executor.max_line))
        self.stopping: Outcome | None = None
        self.kill_at: float | None = None
        self.last_data = time.monotonic()

    def supervise(self) -> Result:
        deadline = time.monotonic() + self.executor.timeout
        leader_exited_at: float | None = None
        while self.selector.get_map():
            self._read(timeout=0.05)
            now = time.monotonic()
            if self.stopping is None:
                if self.cancel.is_set():
                    self._stop("cancelled", "cancelled by a person")
                elif now > deadline:
                    self._stop("timed_out", f"timed out after {self.executor.timeout:g} s")
            if self.kill_at is not None and now > self.kill_at:
                self._signal_group(signal.SIGKILL)
                self.kill_at = None
            if leader_exited_at is None and self.process.poll() is not None:
                leader_exited_at = now
            elif leader_exited_at is not None and now - leader_exited_at > 1.0:
                # The leader is gone but something it started still holds the pipes open.
                self._signal_group(signal.SIGKILL)
                break
        self._drain()
        exit_code = self.process.wait()
        self._signal_group(signal.SIGKILL)
        return self._result(exit_code)

    def _read(self, timeout: float) -> None:
        for key, _ in self.selector.select(timeout):
            stream, splitter = self.splitters[key.fd]
            try:
                data = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            if not data:
                self.selector.unregister(key.fileobj)
                self._emit_all(stream, splitter.flush())
                continue
            self.last_data = time.monotonic()
            self._emit_all(stream, splitter.feed(data))
        if time.monotonic() - self.last_data > self.executor.partial_line_after:
            for stream, splitter in self.splitters.values():
                if splitter.pending:
                    self._emit_all(stream, splitter.flush())

    def _drain(self) -> None:
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
        for fd, (stream, splitter) in self.splitters.items():
            self._emit_all(stream, splitter.flush())
            del fd
        for pipe in self.pipes:
            pipe.close()

    def _emit_all(self, stream: str, lines: list[str]) -> None:
        emit_lines(self.emit, stream, lines)

    def _stop(self, outcome: Outcome, why: str) -> None:
        self.stopping = outcome
        self.emit("stderr", f"{SYSTEM_PREFIX}{why}; stopping the step and everything it started\n")
        self._signal_group(signal.SIGTERM)
        self.kill_at = time.monotonic() + self.executor.kill_grace

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def _result(self, exit_code: int) -> Result:
        if self.stopping is not None:
            return Result(self.stopping, exit_code)
        if exit_code == 0:
            return Result("succeeded", 0)
        return Result("failed", exit_code)
