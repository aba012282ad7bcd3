"""Saving an imported runbook: a slug that exists is never taken over by accident.

The import page offers a free slug instead (``disk-full-2``) or, for a slug an earlier import
defined, an explicit replace.  A replaced scenario that incidents use keeps its row (renamed,
inactive), so those incidents stay on the version they were opened with.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from incident_console.accounts.roles import COMMAND, require
from incident_console.errors import Conflict, InvalidInput
from incident_console.incidents.models import Scenario
from incident_console.incidents.services import scenarios_sync
from runbooks.importer import ImportResult, dump_yaml
from runbooks.importer.edits import Edits, EditsRefused, Problem, apply_edits
from runbooks.loader import LoadReport, load_runbook_dirs, parse_runbook_text
from runbooks.targets import load_targets

SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
SLUG_MAX = Scenario._meta.get_field("slug").max_length


@dataclass(frozen=True)
class SlugChoice:
    """Where an imported runbook's slug stands: free, or taken and by what."""

    slug: str
    taken_by: str  # "" (free), "shipped", "imported"
    suggestion: str  # a free slug: the slug itself when it is free
    path: Path | None = None  # the file that defines it now

    @property
    def replaceable(self) -> bool:
        return self.taken_by == "imported"


def runbook_import_plan(*, result: ImportResult) -> list[SlugChoice]:
    """For each runbook of an import: is its slug free, and if not, a free one to offer."""
    return _plan(result, _slugs_taken())


def _plan(result: ImportResult, taken: dict) -> list[SlugChoice]:
    offered: set[str] = {rb["slug"] for rb in result.runbooks}
    choices = []
    for runbook in result.runbooks:
        slug = runbook["slug"]
        source, path = taken.get(slug, ("", None))
        suggestion = slug
        if source:
            suggestion = _free_slug(slug, taken.keys() | offered)
            offered.add(suggestion)
        choices.append(SlugChoice(slug, source, suggestion, path))
    return choices


def runbook_import_edit(*, result: ImportResult, edits: Edits) -> ImportResult:
    """The import with a commander's edits of its steps made (runbooks/import_edits.py).

    Refused edits, or runbooks they would leave invalid, raise InvalidInput saying each one,
    with the step's form field when there is one; the import itself is left as it was."""
    if not edits:  # nothing to change: the import validated its runbooks already
        return result
    try:
        runbooks = apply_edits(result.runbooks, edits)
    except EditsRefused as refused:
        messages = [_said(problem) for problem in refused.problems]
        fields = {
            f"step-{problem.runbook}-{problem.step}": message
            for problem, message in zip(refused.problems, messages, strict=True)
            if problem.step
        }
        raise InvalidInput("; ".join(messages), fields=fields) from None
    return dataclasses.replace(result, runbooks=runbooks)


def _said(problem: Problem) -> str:
    template = gettext(problem.template)
    return template % problem.params if problem.params else template


def import_target_names() -> list[str]:
    """The names of the site's targets, for the import preview to offer."""
    path = Path(settings.TARGETS_FILE) if settings.TARGETS_FILE else None
    targets, _ = load_targets(path)
    return sorted(targets)


def runbook_import_save(
    *, result: ImportResult, slugs: dict[int, str], replace: set[int], actor
) -> LoadReport:
    """Write the reviewed runbooks to IMPORTED_RUNBOOKS_DIR and load them.

    ``slugs`` holds the slug the person chose for a runbook (by index; its own slug otherwise),
    ``replace`` the runbooks that replace an earlier import of the same slug.  A slug already in
    use is refused (Conflict) with a free one suggested; so is a file that would not load.
    """
    require(actor, COMMAND, "saving runbooks")
    taken = _slugs_taken()
    plan = _plan(result, taken)
    runbooks = [
        _chosen(index, runbook, choice, slugs.get(index), index in replace, taken)
        for index, (runbook, choice) in enumerate(zip(result.runbooks, plan, strict=True))
    ]
    _no_slug_twice(runbooks)
    directory = Path(settings.IMPORTED_RUNBOOKS_DIR)
    files = _files(runbooks, plan, replace, directory)
    for path, _, replacing in files:
        if path.exists() and not replacing:
            raise Conflict(f"{path} already exists: choose another slug")
    directory.mkdir(parents=True, exist_ok=True)
    for path, content, replacing in files:
        _write(path, content, replacing=replacing)
    if directory not in settings.RUNBOOK_DIRS:
        settings.RUNBOOK_DIRS.append(directory)
    with transaction.atomic():
        for index in replace:
            _keep_for_its_incidents(plan[index].slug)
        return scenarios_sync()


def _slugs_taken() -> dict[str, tuple[str, Path | None]]:
    """Every slug a runbook file or a scenario row holds, with where it comes from."""
    imported = Path(settings.IMPORTED_RUNBOOKS_DIR).resolve()
    dirs = [*settings.RUNBOOK_DIRS]
    if imported.is_dir() and imported not in {Path(d).resolve() for d in dirs}:
        dirs.append(imported)
    taken: dict[str, tuple[str, Path | None]] = {}
    for row in Scenario.objects.values("slug", "source_path"):
        path = Path(row["source_path"]) if row["source_path"] else None
        taken[row["slug"]] = (_source(path, imported), path)
    for loaded in load_runbook_dirs(dirs).runbooks:
        taken[loaded.runbook.slug] = (_source(loaded.path, imported), loaded.path)
    return taken


def _source(path: Path | None, imported: Path) -> str:
    if path is not None and path.resolve().parent == imported:
        return "imported"
    return "shipped"


def _free_slug(slug: str, taken) -> str:
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = slug[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        n += 1


def _chosen(
    index: int, runbook: dict, choice: SlugChoice, wanted: str | None, replace: bool, taken
) -> dict:
    field = f"slug-{index}"
    if replace:
        if not choice.replaceable:
            raise Conflict(
                f"“{choice.slug}” is a shipped runbook: only an earlier import can be replaced",
                fields={field: f"choose a new slug, e.g. {choice.suggestion}"},
            )
        return {**runbook, "slug": choice.slug}
    slug = (wanted or runbook["slug"]).strip()
    if not SLUG.fullmatch(slug) or len(slug) > SLUG_MAX:
        raise InvalidInput(
            f"“{slug}” is not a slug",
            fields={field: f"lowercase letters, digits and dashes, at most {SLUG_MAX}"},
        )
    if slug == choice.slug and choice.taken_by:
        raise Conflict(_taken_message(choice), fields={field: f"e.g. {choice.suggestion}"})
    if slug != choice.slug and slug in taken:
        raise Conflict(f"the slug “{slug}” is already in use", fields={field: "choose another"})
    return {**runbook, "slug": slug}


def _taken_message(choice: SlugChoice) -> str:
    if choice.replaceable:
        return (
            f"“{choice.slug}” was imported before: save under a new slug or replace it "
            "(incidents already using it keep their version)"
        )
    return f"“{choice.slug}” is a shipped runbook: save under a new slug"


def _no_slug_twice(runbooks: list[dict]) -> None:
    seen: set[str] = set()
    for index, runbook in enumerate(runbooks):
        if runbook["slug"] in seen:
            raise Conflict(
                f"two runbooks would be saved as “{runbook['slug']}”",
                fields={f"slug-{index}": "choose another"},
            )
        seen.add(runbook["slug"])


def _files(runbooks, plan, replace, directory: Path) -> list[tuple[Path, str, bool]]:
    """(path, YAML, replacing) for each runbook; refused when one would not load."""
    files = []
    for index, runbook in enumerate(runbooks):
        replacing = index in replace
        path = plan[index].path if replacing and plan[index].path else None
        path = path or directory / f"{runbook['slug']}.yaml"
        content = dump_yaml(runbook)
        _, error = parse_runbook_text(content, path)
        if error:
            raise InvalidInput(
                f"“{runbook['title']}” would not load, so it was not saved: {error.reason}"
            )
        files.append((path, content, replacing))
    return files


def _write(path: Path, content: str, *, replacing: bool) -> None:
    if replacing:
        path.write_text(content, encoding="utf-8")
        return
    try:
        # "x": two saves of one slug at once, or a stray file of that name, never overwrite.
        with path.open("x", encoding="utf-8") as file:
            file.write(content)
    except FileExistsError:
        raise Conflict(f"{path} already exists: choose another slug") from None


def _keep_for_its_incidents(slug: str) -> None:
    """Rename the scenario row of ``slug`` out of the way when incidents point at it, so they
    keep the definition they were opened with; the new file then gets a row of its own."""
    scenario = Scenario.objects.filter(slug=slug).first()
    if scenario is None or not scenario.incidents.exists():
        return
    scenario.slug = f"{slug[: SLUG_MAX - 12]}--old{scenario.pk}"
    scenario.is_active = False
    scenario.save(update_fields=["slug", "is_active"])
