"""Infrastructure executors: plain Python, no Django."""

from executors.base import Emit, Executor, ExecutorError, NotConfigured, Result, Spec
from executors.manual import ManualExecutor
from executors.shell import ShellExecutor

__all__ = [
    "Emit",
    "Executor",
    "ExecutorError",
    "ManualExecutor",
    "NotConfigured",
    "Result",
    "ShellExecutor",
    "Spec",
]
