"""The contract every executor follows.

An executor turns a step and its parameters into a concrete command (``render``), says what
that command is in one line a person can read (``describe``), and runs it (``run``), reporting
output through ``emit`` as it appears.  Hosts, credentials and timeouts come through the
constructor: executors never read settings or the environment.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from threading import Event
from typing import Any, ClassVar, Literal, Protocol

from executors.placeholders import PLACEHOLDER, UnsafePlaceholder
from executors.shellwords import PREFIX, check_argv, scan_script

Emit = Callable[[str, str], None]
Spec = dict[str, Any]
Outcome = Literal["succeeded", "failed", "timed_out", "cancelled", "skipped"]

SYSTEM_PREFIX = "[incident-console] "
# Linux refuses to start a program with one argument or environment string longer than this
# (MAX_ARG_STRLEN); counting the whole command against it keeps every single string under it.
MAX_COMMAND_BYTES = 128 * 1024


@dataclass(frozen=True)
class Result:
    """How a run ended.  ``notes`` are facts worth a timeline entry (a host key trusted, …)."""

    status: Outcome
    exit_code: int | None = None
    detail: str = ""
    notes: tuple[str, ...] = ()
    outputs: Mapping[str, Any] = field(default_factory=dict)


class ExecutorError(Exception):
    """A step could not be run (bad arguments, a missing value, refused credentials …): the
    message says why, in words a person can act on."""


class NotConfigured(ExecutorError):
    """The console itself lacks what the step needs (a credential, a key file, a known_hosts
    entry, a target): the target was never reached, so nothing is known about its health.  The
    message names what is missing and where to set it."""


class Executor(Protocol):
    kind: ClassVar[str]

    def render(self, step: Mapping[str, Any], params: Mapping[str, Any]) -> Spec: ...

    def describe(self, spec: Spec) -> str: ...

    def run(self, spec: Spec, emit: Emit, cancel: Event) -> Result: ...


def param_value(params: Mapping[str, Any], name: str) -> str:
    if name not in params:
        raise ExecutorError(f"no value for parameter {name!r}")
    return str(params[name])


def substitute(text: str, params: Mapping[str, Any]) -> str:
    """Fill ``{{ name }}`` placeholders of text that is data (an argv element, an argument)."""

    def value(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            raise ExecutorError(f"{match.group(0)}: a | filter is only allowed in a postgres query")
        return param_value(params, match.group(1))

    return PLACEHOLDER.sub(value, text)


def render_argv(argv: list[str], params: Mapping[str, Any]) -> list[str]:
    """Each element filled with its values, one argument each; refused where the program reads
    an argument as code (``bash -c``, ``eval``, …)."""
    try:
        check_argv(argv)
    except UnsafePlaceholder as exc:
        raise ExecutorError(f"argv: {exc}") from None
    return [substitute(arg, params) for arg in argv]


def render_script(script: str, params: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """The script with each placeholder replaced by a reference to the variable that carries its
    value, and those variables (``IC_PARAM_<name>``): a value never becomes script text."""
    try:
        slots = scan_script(script)
    except UnsafePlaceholder as exc:
        raise ExecutorError(f"script: {exc}") from None
    pieces, variables, done = [], {}, 0
    for slot in slots:
        pieces += [script[done : slot.placeholder.start], slot.reference()]
        variables[PREFIX + slot.placeholder.name] = param_value(params, slot.placeholder.name)
        done = slot.placeholder.end
    return "".join(pieces) + script[done:], variables


def assignments(variables: Mapping[str, str]) -> str:
    """Shell lines that set each variable to its value, quoted: how a person reads the values
    and how a remote shell receives them."""
    return "".join(f"{name}={shlex.quote(value)}\n" for name, value in variables.items())


def render_command_text(step: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    """Shell text for a step that runs on another host: argv joined quoted, or the script after
    assignments of its values (the remote shell parses the text again, and SSH does not reliably
    pass environment variables)."""
    if step.get("argv"):
        return shlex.join(render_argv(step["argv"], params))
    if step.get("script"):
        script, variables = render_script(step["script"], params)
        return assignments(variables) + script
    raise ExecutorError("the step needs argv or script")


def check_command_size(argv: list[str], env: Mapping[str, str] | None = None) -> None:
    """Refuse, in words, a command the system could not start (an OSError at exec time)."""
    strings = [*argv, *(f"{name}={value}" for name, value in (env or {}).items())]
    size = sum(len(os.fsencode(text)) + 1 for text in strings)
    if size > MAX_COMMAND_BYTES:
        raise ExecutorError(
            f"the command is {human_bytes(size)}; the limit is {MAX_COMMAND_BYTES // 1024} KiB"
        )


def emit_lines(emit: Emit, stream: str, lines: list[str]) -> None:
    """Emit what one read produced as one text of whole lines: per-line calls cost more than
    the lines themselves when a step prints fast."""
    if lines:
        emit(stream, "".join(lines))


def render_args(args: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Fill placeholders in a step's executor arguments; values stay data (no quoting)."""

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return substitute(value, params)
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    return {key: fill(value) for key, value in args.items()}


def require(args: Mapping[str, Any], *names: str) -> None:
    missing = [name for name in names if args.get(name) in (None, "")]
    if missing:
        raise ExecutorError(f"missing argument(s): {', '.join(missing)}")


def human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
