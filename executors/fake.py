"""A recording executor for tests of the layers above executors."""

from __future__ import annotations

import time
from collections.abc import Mapping
from threading import Event
from typing import Any, ClassVar

from executors.base import Emit, Result, Spec


class RecordingExecutor:
    """Emits the scripted lines, records every spec it ran, and ends with the scripted result."""

    kind: ClassVar[str] = "fake"

    def __init__(
        self,
        lines: list[tuple[str, str]] | None = None,
        result: Result | None = None,
        delay: float = 0.0,
    ) -> None:
        self.lines = lines or [("stdout", "ok\n")]
        self.result = result or Result("succeeded", 0)
        self.delay = delay
        self.ran: list[Spec] = []

    def render(self, step: Mapping[str, Any], params: Mapping[str, Any]) -> Spec:
        return {"step": dict(step), "params": dict(params)}

    def describe(self, spec: Spec) -> str:
        return f"fake {spec['step'].get('id', '')}"

    def run(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        self.ran.append(spec)
        for stream, text in self.lines:
            if cancel.is_set():
                return Result("cancelled", None)
            emit(stream, text)
            if self.delay:
                time.sleep(self.delay)
        return self.result
