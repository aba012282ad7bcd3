"""Runbook definitions (YAML files in this folder) and the loader that validates them."""

from runbooks.loader import LoadReport, RunbookError, load_runbook_dirs, load_runbook_file
from runbooks.schema import Parameter, Runbook, Step

__all__ = [
    "LoadReport",
    "Parameter",
    "Runbook",
    "RunbookError",
    "Step",
    "load_runbook_dirs",
    "load_runbook_file",
]
