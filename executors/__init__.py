"""Infrastructure executors: plain Python, no Django."""

from executors.base import Emit, Executor, ExecutorError, Result, Spec
from executors.manual import ManualExecutor
from executors.shell import ShellExecutor

REGISTRY: dict[str, type] = {
    ShellExecutor.kind: ShellExecutor,
    ManualExecutor.kind: ManualExecutor,
}

__all__ = [
    "REGISTRY",
    "Emit",
    "Executor",
    "ExecutorError",
    "ManualExecutor",
    "Result",
    "ShellExecutor",
    "Spec",
]
