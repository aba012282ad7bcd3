"""Turn a Markdown runbook — ours, the customer's, or one a team found in public — into runbook
YAML the console can run.

The package reads the Markdown with a real parser (``markdown``), splits shell blocks into
commands (``commands``), decides the executor of each command (``mapping``), its parameters
(``placeholders``) and whether it is destructive (``destructive``), and maps sections to
scenarios and steps (``scenarios``).  Nothing is dropped: every line of the document lands in a
step, a field of a runbook or the notes to review, and ``ImportResult.ledger`` says which.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from runbooks.importer.commands import split_commands
from runbooks.importer.limits import LIMITS, Budget, ImportRefused
from runbooks.importer.markdown import FENCE, Section, read_markdown
from runbooks.importer.scenarios import (
    FOLLOW_THE_DOCUMENT,
    SEE_THE_NOTES,
    ImportedCommand,
    Ledger,
    Review,
    Said,
    ScenarioBuilder,
    is_scenario,
)
from runbooks.importer.slugs import Unique, slugify
from runbooks.schema import Runbook

__all__ = [
    "LIMITS",
    "ImportRefused",
    "ImportResult",
    "Review",
    "dump_yaml",
    "import_markdown",
    "split_commands",
]
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
LATIN = re.compile(r"[a-z]", re.IGNORECASE)
# libyaml's emitter, where PyYAML has it, is about ten times faster on a large document.
# Every code block is a step or the output of one: past twice the steps a document may hold
# it is refused before any of it is parsed.
MAX_CODE_BLOCKS = 2 * LIMITS["steps"]
# Past this many, sections kept out are counted in one note (their lines stay accounted for).
MAX_KEPT_OUT_NOTES = 100
# A person reads the notes before saving: past this many the rest are counted, not listed.
MAX_NOTES = 500
SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass
class ImportResult:
    """The runbooks of a document (as YAML-ready dicts, and validated), what to review, and
    where each source line went."""

    runbooks: list[dict[str, Any]]
    review: list[Review]
    ledger: dict[int, str] = field(default_factory=dict)
    commands: list[ImportedCommand] = field(default_factory=list)
    validated: list[Runbook] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)  # slug: why it does not validate

    @property
    def unmapped(self) -> list[str]:
        return [str(note) for note in self.review]

    def yaml_files(self) -> dict[str, str]:
        return {f"{rb['slug']}.yaml": dump_yaml(rb) for rb in self.runbooks}


def dump_yaml(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=SafeDumper, allow_unicode=True, sort_keys=False, width=100)


def import_markdown(text: str, *, contact_aliases: Mapping[str, str] | None = None) -> ImportResult:
    """The runbooks of a Markdown document.

    ``contact_aliases`` maps how the document may name a person ("devops lead", lowercase) to
    the contact role an escalation rule notifies: the site's (contacts.yaml).  Without it no
    escalation becomes a rule; its text is kept.
    """
    if not text or not text.strip():
        raise ImportRefused("the document is empty")
    if "\x00" in text:
        raise ImportRefused("the document is not text")
    root = read_markdown(text)
    if root.code_blocks > MAX_CODE_BLOCKS:  # each is a step, or a step's output: refuse early
        raise ImportRefused(
            f"the document has more than {MAX_CODE_BLOCKS} code blocks: split it into smaller ones"
        )
    language = document_language(text)
    importer = _DocumentImporter(contact_aliases or {}, language=language)
    importer.walk(root)
    if not importer.runbooks and root.children:
        # Prose only (a playbook, a template): the whole document is one procedure of manual
        # steps rather than nothing.
        importer = _DocumentImporter(contact_aliases or {}, language=language)
        importer.whole_document(root)
    if not importer.runbooks:
        raise ImportRefused(
            "no scenario found: expected headings with symptoms, actions or commands"
        )
    return importer.result()


def document_language(text: str) -> str:
    """``ru`` when the document's prose (its fenced code left out) is more Cyrillic than Latin."""
    prose, fence = [], ""
    for line in text.splitlines():
        match = FENCE.match(line)
        if fence:
            fence = "" if match and match.group(1).startswith(fence) else fence
        elif match:
            fence = match.group(1)
        else:
            prose.append(line)
    words = "\n".join(prose)
    return "ru" if len(CYRILLIC.findall(words)) > len(LATIN.findall(words)) else "en"


class _DocumentImporter:
    def __init__(self, contact_aliases: Mapping[str, str], *, language: str) -> None:
        self.contact_aliases = contact_aliases
        self.language = language
        self.runbooks: list[dict[str, Any]] = []
        self.review: list[Review] = []
        self.ledger = Ledger()
        self.slugs = Unique()
        self.budget = Budget()
        self.commands: list[ImportedCommand] = []
        self.kept_out_count = 0
        self.validated: list[Runbook] = []
        self.invalid: dict[str, str] = {}

    def result(self) -> ImportResult:
        review = sorted(self.review, key=lambda r: r.line)
        if len(review) > MAX_NOTES:
            more = len(review) - MAX_NOTES
            review = review[:MAX_NOTES] + [Review(0, f"… and {more} more notes like these")]
        if self.kept_out_count > MAX_KEPT_OUT_NOTES:
            more = self.kept_out_count - MAX_KEPT_OUT_NOTES
            review.append(Review(0, f"… and {more} more sections that are not scenarios: kept out"))
        return ImportResult(
            self.runbooks,
            review,
            self.ledger.where,
            self.commands,
            self.validated,
            self.invalid,
        )

    def walk(self, section: Section) -> None:
        self.kept_out(section)
        for child in section.children:
            if is_scenario(child):
                self.scenario(child)
            else:
                self.ledger.put_line(child.line, "heading")
                self.walk(child)

    def whole_document(self, root: Section) -> None:
        top = root.children[0] if len(root.children) == 1 and not root.blocks else root
        if top is root:
            root.title = _first_title(root)
        self.review.append(
            Review(
                top.line, "the document has no commands: imported as one procedure of manual steps"
            )
        )
        self.scenario(top)

    def kept_out(self, section: Section) -> None:
        """A section that is not a scenario: its text is listed for review, by line (a plain
        one without being parsed)."""
        lines = section.body_lines()
        for line in lines:
            self.ledger.put_line(line, "notes to review")
        if not lines:
            return
        self.kept_out_count += 1
        if self.kept_out_count > MAX_KEPT_OUT_NOTES:
            return
        name = (
            f"section “{section.title}”" if section.title else "the text before the first heading"
        )
        span = f"lines {lines[0]}–{lines[-1]}" if lines[-1] > lines[0] else f"line {lines[0]}"
        self.review.append(Review(lines[0], f"{name} is not a scenario: kept out ({span})"))

    def scenario(self, section: Section) -> None:
        self.budget.spend("scenarios")
        slug = self.slugs.take(slugify(section.title))
        self.ledger.put_line(section.line, f"{slug}: title")
        builder = ScenarioBuilder(
            slug, self.contact_aliases, self.budget, self.ledger, self.review, self.commands
        )
        builder.build(section)
        parts = builder.parts
        runbook: dict[str, Any] = {
            "slug": slug,
            # Its plain strings are the document's words; the importer's own are {en: …}.
            "language": self.language,
            "title": re.sub(r"^\s*\d+[.)]\s*", "", section.title),
            "kind": "scenario" if parts.symptoms else "procedure",
            "severity": "sev2",
            "alerts": list(dict.fromkeys(parts.alerts)),
            "symptoms": parts.symptoms,
        }
        if parts.recovery:
            runbook["expected_recovery"] = parts.recovery
        runbook["escalation"] = parts.escalation
        if parts.rules:
            runbook["escalation_rules"] = parts.rules
        runbook["notes"] = _notes_in(parts.notes, self.language)
        runbook["steps"] = builder.steps or [self._follow_the_document(parts.notes)]
        self._validate(runbook, section.line)
        if self.language == "en":
            del runbook["language"]  # the default: imported English files stay as they were
        self.runbooks.append({k: v for k, v in runbook.items() if v not in ([], None, "")})

    def _follow_the_document(self, notes: list[str]) -> dict[str, Any]:
        return {
            "id": "follow-the-document",
            "title": FOLLOW_THE_DOCUMENT[self.language],
            "executor": "manual",
            "instructions": "\n".join(notes)[:2000] or SEE_THE_NOTES[self.language],
        }

    def _validate(self, runbook: dict[str, Any], line: int) -> None:
        try:
            self.validated.append(Runbook.model_validate(runbook))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            message = f"{where}: {error['msg']}" if where else error["msg"]
            self.invalid[runbook["slug"]] = message
            self.review.append(Review(line, f"{runbook['slug']}: does not validate: {message}"))


def _first_title(root: Section) -> str:
    return next((child.title for child in root.children if child.title), "") or "Runbook"


def _notes_in(notes: list[str], language: str) -> list[Any]:
    """Notes for a runbook in ``language``: the importer's own English ones marked as English."""
    english = language == "en"
    return [
        {"en": str(note)} if isinstance(note, Said) and not english else str(note) for note in notes
    ]
