"""A step a person performs (call someone, confirm something) and then marks done or skipped."""

from __future__ import annotations

from collections.abc import Mapping
from threading import Event
from typing import Any, ClassVar

from executors.base import Emit, ExecutorError, Result, Spec, substitute

OUTCOMES = {"done": "succeeded", "skipped": "skipped"}


class ManualExecutor:
    kind: ClassVar[str] = "manual"

    def render(self, step: Mapping[str, Any], params: Mapping[str, Any]) -> Spec:
        outcome = params.get("outcome", "done")
        if outcome not in OUTCOMES:
            raise ExecutorError("outcome must be done or skipped")
        instructions = substitute(step.get("instructions", ""), params)
        return {
            "instructions": instructions,
            "outcome": outcome,
            "note": str(params.get("note", "")),
            "actor": str(params.get("actor", "")),
        }

    def describe(self, spec: Spec) -> str:
        return f"manual: {spec['instructions']}".strip()

    def run(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        who = spec["actor"] or "someone"
        emit("stdout", f"Marked {spec['outcome']} by {who}\n")
        if spec["note"]:
            for line in spec["note"].splitlines():
                emit("stdout", f"{line}\n")
        return Result(OUTCOMES[spec["outcome"]], None)  # type: ignore[arg-type]
