"""Build an executor for a step from settings: the one place executors meet Django."""

from __future__ import annotations

from django.conf import settings

from executors import REGISTRY, ExecutorError


def build_executor(kind: str, *, timeout: int):
    executor_class = REGISTRY.get(kind)
    if executor_class is None:
        raise ExecutorError(f"unknown executor {kind!r}", permanent=True)
    if kind == "shell":
        return executor_class(timeout=timeout, kill_grace=settings.STEP_KILL_GRACE)
    return executor_class()
