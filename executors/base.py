"""The contract every executor follows.

An executor turns a step and its parameters into a concrete command (``render``), says what
that command is in one line a person can read (``describe``), and runs it (``run``), reporting
output through ``emit`` as it appears.  Hosts, credentials and timeouts come through the
constructor: executors never read settings or the environment.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from threading import Event
from typing import Any, ClassVar, Literal, Protocol

Emit = Callable[[str, str], None]
Spec = dict[str, Any]
Outcome = Literal["succeeded", "failed", "timed_out", "cancelled", "skipped"]

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
SYSTEM_PREFIX = "[incident-console] "


@dataclass(frozen=True)
class Result:
    """How a run ended.  ``notes`` are facts worth a timeline entry (a host key trusted, …)."""

    status: Outcome
    exit_code: int | None = None
    detail: str = ""
    notes: tuple[str, ...] = ()
    outputs: Mapping[str, Any] = field(default_factory=dict)


class ExecutorError(Exception):
    """A step could not be run.

    ``permanent`` errors (bad config, auth denied) are never retried.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Executor(Protocol):
    kind: ClassVar[str]

    def render(self, step: Mapping[str, Any], params: Mapping[str, Any]) -> Spec: ...

    def describe(self, spec: Spec) -> str: ...

    def run(self, spec: Spec, emit: Emit, cancel: Event) -> Result: ...


def substitute(text: str, params: Mapping[str, Any], *, quote: bool) -> str:
    """Fill ``{{ name }}`` placeholders; with ``quote`` each value is shell-quoted."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise ExecutorError(f"no value for parameter {name!r}", permanent=True)
        text_value = str(params[name])
        return shlex.quote(text_value) if quote else text_value

    return PLACEHOLDER.sub(value, text)


def render_command_text(step: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    """Shell text for a step that runs on another host: argv joined quoted, or a quoted script."""
    if step.get("argv"):
        return shlex.join(substitute(arg, params, quote=False) for arg in step["argv"])
    if step.get("script"):
        return substitute(step["script"], params, quote=True)
    raise ExecutorError("the step needs argv or script", permanent=True)


def emit_lines(emit: Emit, stream: str, lines: list[str]) -> None:
    """Emit what one read produced as one text of whole lines: per-line calls cost more than
    the lines themselves when a step prints fast."""
    if lines:
        emit(stream, "".join(lines))


def render_args(args: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Fill placeholders in a step's executor arguments; values stay data (no quoting)."""

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return substitute(value, params, quote=False)
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    return {key: fill(value) for key, value in args.items()}


def require(args: Mapping[str, Any], *names: str) -> None:
    missing = [name for name in names if args.get(name) in (None, "")]
    if missing:
        raise ExecutorError(f"missing argument(s): {', '.join(missing)}", permanent=True)


def human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
