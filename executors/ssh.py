"""Run a command on another host over SSH (paramiko).

Host keys are checked against a known_hosts file; an unknown key is refused unless the target
opts in to trust-on-first-use.  stdout and stderr are read together from one loop (reading
them one after the other deadlocks once a buffer fills).  The timeout is for the whole
command, not per read.  Cancel and timeout end the remote command's process group too, not
only the channel.  The remote shell parses the command text, so a script's values arrive as
quoted assignments before it (base.render_command_text), never inside its text.
"""

from __future__ import annotations

import io
import select
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass
from threading import Event
from typing import Any, ClassVar

import paramiko

from executors.base import (
    SYSTEM_PREFIX,
    Emit,
    ExecutorError,
    NotConfigured,
    Outcome,
    Result,
    Spec,
    check_command_size,
    emit_lines,
    render_command_text,
)
from executors.lines import LineSplitter

PGID_MARKER = "__incident_console_pgid="
_KEY_TYPES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)


@dataclass(frozen=True)
class SSHTarget:
    host: str
    user: str
    port: int = 22
    known_hosts: str | None = None
    trust_on_first_use: bool = False
    private_key: str | None = None
    password: str | None = None
    connect_timeout: float = 10.0

    @property
    def known_hosts_name(self) -> str:
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"


class _TrustOnFirstUse(paramiko.MissingHostKeyPolicy):
    """Accept an unknown key once, write it to known_hosts, and say so."""

    def __init__(self, known_hosts: str | None, notes: list[str]) -> None:
        self.known_hosts = known_hosts
        self.notes = notes

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        client.get_host_keys().add(hostname, key.get_name(), key)
        if self.known_hosts:
            with open(self.known_hosts, "a", encoding="ascii") as known_hosts:
                known_hosts.write(f"{hostname} {key.get_name()} {key.get_base64()}\n")
        self.notes.append(
            f"trusted the new host key of {hostname} on first use: "
            f"{key.get_name()} {key.fingerprint}"
        )


def load_private_key(text: str, passphrase: str | None = None) -> paramiko.PKey:
    for key_type in _KEY_TYPES:
        try:
            return key_type.from_private_key(io.StringIO(text), password=passphrase)
        except (paramiko.SSHException, ValueError):
            continue
    raise NotConfigured("the private key could not be read")


class SSHExecutor:
    kind: ClassVar[str] = "ssh"

    def __init__(
        self,
        *,
        target: SSHTarget,
        timeout: float,
        kill_grace: float = 5.0,
        max_line: int = 16384,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.kill_grace = kill_grace
        self.max_line = max_line

    def render(self, step: Mapping[str, Any], params: Mapping[str, Any]) -> Spec:
        command = render_command_text(step, params)
        check_command_size(["sh", "-c", wrapped(command)])
        return {"command": command}

    def describe(self, spec: Spec) -> str:
        return f"ssh {self.target.user}@{self.target.host}: {spec['command']}"

    def run(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        """Run the command on the target and stream its output until it ends, times out or is
        cancelled."""
        check_command_size(["sh", "-c", wrapped(spec["command"])])
        notes: list[str] = []
        client = self.connect(notes)
        try:
            return _RemoteCommand(self, client, spec["command"], emit, cancel, notes).supervise()
        finally:
            client.close()

    def connect(self, notes: list[str]) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        if self.target.known_hosts:
            try:
                client.load_host_keys(self.target.known_hosts)
            except FileNotFoundError:
                if not self.target.trust_on_first_use:
                    raise NotConfigured(
                        f"known_hosts file {self.target.known_hosts} does not exist"
                    ) from None
        if self.target.trust_on_first_use:
            client.set_missing_host_key_policy(_TrustOnFirstUse(self.target.known_hosts, notes))
        else:
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(**self._connect_kwargs())
        except paramiko.BadHostKeyException:
            raise ExecutorError(
                f"the host key of {self.target.known_hosts_name} does not match known_hosts: "
                "refusing to connect"
            ) from None
        except paramiko.AuthenticationException:
            raise ExecutorError(f"authentication as {self.target.user} was refused") from None
        except paramiko.SSHException as exc:
            if "not found in known_hosts" in str(exc):
                raise NotConfigured(
                    f"the host key of {self.target.known_hosts_name} is unknown: refusing to "
                    f"connect (add it to {self.target.known_hosts or 'known_hosts'}, or opt the "
                    "target in to trust_on_first_use)"
                ) from None
            raise ExecutorError(f"SSH failed: {exc}") from None
        except OSError as exc:
            raise ExecutorError(f"cannot reach {self.target.known_hosts_name}: {exc}") from None
        return client

    def _connect_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "hostname": self.target.host,
            "port": self.target.port,
            "username": self.target.user,
            "timeout": self.target.connect_timeout,
            "banner_timeout": self.target.connect_timeout,
            "auth_timeout": self.target.connect_timeout,
            "allow_agent": False,
            "look_for_keys": False,
        }
        if self.target.private_key:
            kwargs["pkey"] = load_private_key(self.target.private_key)
        if self.target.password:
            kwargs["password"] = self.target.password
        return kwargs


def wrapped(command: str) -> str:
    """The text sshd gives the login shell: report the process group, then run the command."""
    # sshd starts the command's shell as a session leader, so its pid is the group to kill.
    return f"echo {PGID_MARKER}$$ >&2; exec /bin/sh -c {shlex.quote(command)}"


class _RemoteCommand:
    def __init__(
        self,
        executor: SSHExecutor,
        client: paramiko.SSHClient,
        command: str,
        emit: Emit,
        cancel: Event,
        notes: list[str],
    ) -> None:
        self.executor = executor
        self.client = client
        self.emit = emit
        self.cancel = cancel
        self.notes = notes
        self.stdout = LineSplitter(executor.max_line)
        self.stderr = LineSplitter(executor.max_line)
        self.pgid: int | None = None
        self.stopping: Outcome | None = None
        self.kill_at: float | None = None
        self.channel = self._transport().open_session()
        self.channel.exec_command(wrapped(command))

    def supervise(self) -> Result:
        deadline = time.monotonic() + self.executor.timeout
        while not self._finished():
            select.select([self.channel], [], [], 0.05)
            self._read()
            now = time.monotonic()
            if self.stopping is None and self.cancel.is_set():
                self._stop("cancelled", "cancelled by a person")
            elif self.stopping is None and now > deadline:
                self._stop("timed_out", f"timed out after {self.executor.timeout:g} s")
            if self.kill_at is not None and now > self.kill_at:
                self._signal_remote("KILL")
                self.kill_at = None
                self.channel.close()
        self._read()
        emit_lines(self.emit, "stdout", self.stdout.flush())
        emit_lines(self.emit, "stderr", self.stderr.flush())
        exit_code = self.channel.recv_exit_status() if self.channel.exit_status_ready() else None
        return self._result(exit_code)

    def _transport(self) -> paramiko.Transport:
        transport = self.client.get_transport()
        assert transport is not None  # the client is connected until run() closes it
        return transport

    def _finished(self) -> bool:
        if self.channel.closed:
            return True
        return bool(
            self.channel.exit_status_ready()
            and self.channel.eof_received
            and not self.channel.recv_ready()
            and not self.channel.recv_stderr_ready()
        )

    def _read(self) -> None:
        while self.channel.recv_ready():
            emit_lines(self.emit, "stdout", self.stdout.feed(self.channel.recv(65536)))
        while self.channel.recv_stderr_ready():
            texts = self.stderr.feed(self.channel.recv_stderr(65536))
            if self.pgid is None:
                lines = (line for text in texts for line in text.splitlines(keepends=True))
                texts = [line for line in lines if not self._is_marker(line)]
            emit_lines(self.emit, "stderr", texts)

    def _is_marker(self, line: str) -> bool:
        if self.pgid is None and line.startswith(PGID_MARKER):
            self.pgid = int(line[len(PGID_MARKER) :].strip())
            return True
        return False

    def _stop(self, outcome: Outcome, why: str) -> None:
        self.stopping = outcome
        self.emit("stderr", f"{SYSTEM_PREFIX}{why}; stopping the remote command and its children\n")
        self._signal_remote("TERM")
        self.kill_at = time.monotonic() + self.executor.kill_grace

    def _signal_remote(self, signal_name: str) -> None:
        if self.pgid is None:
            return
        try:
            channel = self._transport().open_session()
            channel.exec_command(f"kill -{signal_name} -- -{self.pgid} 2>/dev/null")
            channel.recv_exit_status()
            channel.close()
        except (paramiko.SSHException, OSError):
            pass

    def _result(self, exit_code: int | None) -> Result:
        notes = tuple(self.notes)
        if self.stopping is not None:
            return Result(self.stopping, exit_code, notes=notes)
        if exit_code == 0:
            return Result("succeeded", 0, notes=notes)
        if exit_code is None or exit_code == -1:
            return Result("failed", None, "the connection closed before the command ended", notes)
        return Result("failed", exit_code, notes=notes)
