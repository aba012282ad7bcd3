"""Read runbook YAML files into typed Runbook objects, reporting each error with file and line.

One bad file never stops the others from loading.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from runbooks.schema import Runbook

# libyaml's parser when PyYAML was built with it: parsing is most of the cost of a load.
FastSafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class RunbookError:
    path: Path
    line: int | None
    reason: str
    # A slug a file defines again: that file is skipped, the first one loads.  Reported as a
    # warning, never an error that stops manage.py (migrate, check, the server) from running.
    is_duplicate: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class LoadedRunbook:
    runbook: Runbook
    path: Path
    version: str


@dataclass
class LoadReport:
    runbooks: list[LoadedRunbook] = field(default_factory=list)
    errors: list[RunbookError] = field(default_factory=list)


def load_runbook_dirs(dirs: Iterable[Path]) -> LoadReport:
    """Load every *.yaml / *.yml file of each directory; a slug seen twice is reported for the
    later file, which is skipped."""
    report = LoadReport()
    seen: dict[str, Path] = {}
    for directory in dirs:
        directory = Path(directory)
        if not directory.is_dir():
            report.errors.append(RunbookError(directory, None, "runbook directory does not exist"))
            continue
        for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
            loaded, error = load_runbook_file(path)
            if error:
                report.errors.append(error)
                continue
            assert loaded is not None  # a file gives either a runbook or an error
            slug = loaded.runbook.slug
            if slug in seen:
                reason = f"slug {slug!r} is already defined in {seen[slug]}: this file is skipped"
                report.errors.append(RunbookError(path, 1, reason, is_duplicate=True))
            else:
                seen[slug] = path
                report.runbooks.append(loaded)
    return report


def load_runbook_file(path: Path) -> tuple[LoadedRunbook | None, RunbookError | None]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, RunbookError(path, None, f"cannot read file: {exc}")
    return parse_runbook_text(text, path)


def _parse_yaml(text: str) -> tuple[yaml.Node | None, object]:
    """The document's node tree (for line numbers) and its data, from one parse."""
    loader = FastSafeLoader(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def parse_runbook_text(text: str, path: Path) -> tuple[LoadedRunbook | None, RunbookError | None]:
    try:
        node, data = _parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, RunbookError(path, line, f"invalid YAML: {problem}")
    if not isinstance(data, dict):
        return None, RunbookError(
            path, 1, "a runbook file must be a mapping with slug, title, steps"
        )
    lines = _line_map(node)
    try:
        runbook = Runbook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        reason = f"{_dotted(loc) or 'file'}: {first['msg']}"
        return None, RunbookError(path, _line_for(lines, loc), reason)
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return LoadedRunbook(runbook=runbook, path=Path(path), version=version), None


def _line_map(node: yaml.Node | None, prefix: Path_ = ()) -> dict[Path_, int]:
    lines: dict[Path_, int] = {}
    if node is None:
        return lines
    lines[prefix] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, key_node.value)
            lines.update(_line_map(value_node, key))
            lines[key] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_map(item, (*prefix, index)))
    return lines


def _line_for(lines: dict[Path_, int], loc: Path_) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _dotted(loc: Path_) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
