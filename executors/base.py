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
from dataclasses import dataclass
from threading import Event
from typing import Any, ClassVar, Literal, Protocol

Emit = Callable[[str, str], None]
Spec = dict[str, Any]
Outcome = Literal["succeeded", "failed", "timed_out", "cancelled", "skipped"]

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
SYSTEM_PREFIX = "[incident-console] "


@dataclass(frozen=True)
class Result:
    status: Outcome
    exit_code: int | None = None
    detail: str = ""


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
