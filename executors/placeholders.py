"""The ``{{ name }}`` placeholders of runbook commands, and why one is refused where it stands.

A placeholder is ``{{ name }}``, or ``{{ name | identifier }}`` in a postgres query for a table
or column name.  Where a placeholder may stand is decided by the text around it: the shell
quoting context of a script (executors/shellwords.py) or the SQL token (executors/sqltext.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*(?:\|\s*([a-z_]*)\s*)?\}\}")
FILTERS = ("identifier",)


@dataclass(frozen=True)
class Placeholder:
    name: str
    filter: str | None
    start: int
    end: int


def placeholder_at(text: str, pos: int) -> Placeholder | None:
    """The placeholder starting exactly at ``pos``, if one does."""
    if not text.startswith("{{", pos):
        return None
    match = PLACEHOLDER.match(text, pos)
    if match is None:
        return None
    return Placeholder(match.group(1), match.group(2), match.start(), match.end())


def placeholder_names(text: str) -> set[str]:
    return {match.group(1) for match in PLACEHOLDER.finditer(text)}


def has_filter(text: str) -> bool:
    return any(match.group(2) is not None for match in PLACEHOLDER.finditer(text))


class UnsafePlaceholder(ValueError):
    """A placeholder stands where no value could be inserted safely.

    ``offset`` is where in the text it stands; ``str()`` says where in words.
    """

    def __init__(self, text: str, offset: int, reason: str) -> None:
        self.offset = offset
        self.reason = reason
        super().__init__(f"{reason} ({_where(text, offset)})")


def _where(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    if "\n" in text.rstrip("\n"):
        return f"line {line}, column {column}"
    return f"column {column}"
