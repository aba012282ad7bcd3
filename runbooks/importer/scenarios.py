"""Sections of a Markdown document made runbooks.

A section is a scenario when it names symptoms or actions (``**Symptoms:**``, ``## Mitigation``),
when its sub-sections are numbered steps, when it explains an alert (``Meaning``, ``Impact``) and
shows commands, or when it is a leaf holding code.  Inside a scenario:

* symptoms, escalation and recovery time are mapped to the runbook's fields;
* meaning, impact and other explanations become the runbook's notes;
* a list item or paragraph that introduces code titles and describes the steps of that code;
  one that does not becomes a manual step (a paragraph is one step, never one per line);
* each command of a shell block becomes a command step; an SQL block a postgres query; any other
  language a manual step showing the text (never run); an output block after a command its
  expected output.

Every block ends up somewhere, and ``Ledger`` records where, by source line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from executors.placeholders import has_filter
from runbooks.importer.commands import (
    SHELL_LANGUAGES,
    Command,
    has_prompts,
    looks_like_commands,
    split_commands,
)
from runbooks.importer.destructive import Verdict, classify
from runbooks.importer.limits import Budget
from runbooks.importer.mapping import map_command, query_step
from runbooks.importer.markdown import Block, Section
from runbooks.importer.placeholders import declared_in_text
from runbooks.importer.slugs import Unique, slugify

SECTION_NAMES = {
    "recovery": ("время восстановления", "recovery time", "expected recovery", "time to recover"),
    "symptoms": ("симптомы", "symptoms", "signs", "признаки"),
    "description": (
        "meaning", "impact", "summary", "overview", "description", "about", "context",
        "background", "значение", "описание", "влияние", "последствия", "обзор", "суть",
    ),
    "actions": (
        "действия", "actions", "steps", "diagnosis", "diagnose", "mitigation", "remediation",
        "recovery", "resolution", "procedure", "troubleshooting", "investigation", "fix",
        "how to fix", "contain", "investigat", "eradicat", "rebuild", "recover", "restore",
        "verif", "validat", "clean", "roll back", "rollback", "check", "mitigat", "respond",
        "triage", "assess", "identif", "detect", "immediate", "first steps", "next steps",
        "follow-up", "шаги", "диагностика", "устранение", "решение", "исправление", "процедура",
        "проверк", "локализац", "сдерживан", "расследован", "откат", "немедленн",
    ),
    "escalation": ("эскалация", "escalation", "уведомить команду", "notify", "escalate"),
    "notes": (
        "references", "see also", "links", "related", "notes", "further reading", "ссылки",
        "см. также", "примечания", "заметки", "литература",
    ),
}  # fmt: skip
SQL_LANGUAGES = {"sql", "postgresql", "postgres", "psql", "pgsql", "plpgsql"}
OUTPUT_LANGUAGES = {"text", "txt", "output", "log", "plaintext", "plain", "stdout", "none", "out"}
STEP_TITLE = re.compile(r"^\s*(?:\d+[.)]|step\s+\d+|шаг\s+\d+)", re.IGNORECASE)
TITLE_LENGTH = 80
# The one step of a document without steps, in the document's language.
FOLLOW_THE_DOCUMENT = {"en": "Follow the document", "ru": "Следовать документу"}
SEE_THE_NOTES = {"en": "See the notes.", "ru": "См. заметки."}
NUMBER = r"(?<!\d)(\d{1,6})(?!\d)"
RECOVERY_TIME = re.compile(NUMBER + r"\s*+(мин\w*|min\w*|час\w*|h\w*)?")
ESCALATION_TIME = re.compile(NUMBER + r"\s*+(минут\w*|min\w*|час\w*|hour\w*)", re.IGNORECASE)


@dataclass(frozen=True)
class Review:
    """Something a person should look at before saving, with the line it comes from."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class Said(str):
    """A note the importer writes itself (in English), not text of the document."""


@dataclass(frozen=True)
class ImportedCommand:
    """A command of the document as written (prompt stripped), and the step it became."""

    slug: str
    step: str
    line: int
    text: str
    level: str  # what the rule table said: safe, confirm, destructive
    rule: str


class Ledger:
    """Where each source line went: a step, a field of a runbook, or the notes to review."""

    def __init__(self) -> None:
        self.where: dict[int, str] = {}

    def put(self, block: Block, where: str) -> None:
        for line in block.lines:
            self.where.setdefault(line, where)

    def put_line(self, line: int, where: str) -> None:
        self.where.setdefault(line, where)


def section_kind(title: str) -> str | None:
    name = title.lower().strip(" :*")
    name = re.sub(r"^\d+[.)]\s*", "", name)
    for kind, names in SECTION_NAMES.items():
        if any(name.startswith(candidate) for candidate in names):
            return kind
    return None


def is_scenario(section: Section) -> bool:
    if _named_parts(section):
        return True
    kinds = {section_kind(c.title) for c in section.children}
    code = _has_code(section)
    numbered = all(STEP_TITLE.match(c.title) for c in section.children)
    if section.children and code and numbered and not any(map(_named_parts, section.children)):
        return True
    if "description" in kinds and code:
        return True
    return (
        not section.children and not section.plain and any(b.kind == "code" for b in section.blocks)
    )


def _has_code(section: Section) -> bool:
    own = not section.plain and any(b.kind == "code" for b in section.blocks)
    return own or any(map(_has_code, section.children))


def _named_parts(section: Section) -> bool:
    """Whether a section names its symptoms or actions, by a label or a sub-heading (when no
    sub-section names its own: then the sub-sections are the scenarios)."""
    if _labelled(section):
        return True
    kinds = {section_kind(c.title) for c in section.children}
    if not {"symptoms", "actions"} & kinds:
        return False
    return not any(_labelled(child) or _named_parts(child) for child in section.children)


def _labelled(section: Section) -> bool:
    return not section.plain and any(
        section_kind(b.label) in ("symptoms", "actions") for b in section.blocks if b.label
    )


@dataclass
class Parts:
    """What one scenario section holds, before it is a runbook."""

    symptoms: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    escalation: list[str] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    recovery: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


class ScenarioBuilder:
    """One scenario section → one runbook dict."""

    def __init__(
        self,
        slug: str,
        contact_aliases: Mapping[str, str],
        budget: Budget,
        ledger: Ledger,
        review: list[Review],
        imported: list[ImportedCommand],
    ) -> None:
        self.imported = imported
        self.slug = slug
        self.contact_aliases = contact_aliases
        self.budget = budget
        self.ledger = ledger
        self.review = review
        self.parts = Parts()
        self.steps: list[dict[str, Any]] = []
        self.ids = Unique()
        self.pending: list[Block] = []  # prose waiting to introduce code
        self.item: Block | None = None  # the list item code would belong to
        self.item_extra: list[Block] = []  # … its further paragraphs and sub-items
        self.item_had_code = False
        self.last_command: dict[str, Any] | None = None
        self.line = 0  # the first line of the block being read: where its notes point

    def build(self, section: Section) -> None:
        self.section(section, "actions", "")

    def section(self, section: Section, kind: str, title: str) -> None:
        self.flush()
        current = kind
        for block in section.blocks:
            current = self.block(block, current, title)
        self.flush()
        for child in section.children:
            self.ledger.put_line(child.line, f"{self.slug}: heading")
            child_kind = section_kind(child.title)
            if child_kind is None:
                child_kind = kind if kind in ("description", "notes", "symptoms") else "actions"
            if child_kind == "description":
                self.parts.notes.append(child.title)
            self.section(child, child_kind, child.title if child_kind == "actions" else "")

    # One block.

    def block(self, block: Block, kind: str, title: str) -> str:
        self.line = block.first_line
        label_kind = section_kind(block.label) if block.label else None
        if label_kind and not (block.kind == "item" and label_kind == "actions"):
            self.flush()
            self.ledger.put(block, f"{self.slug}: {label_kind}")
            if block.after_label:
                self.field_text(label_kind, block.after_label, block)
            return label_kind
        if block.kind == "code":
            self.code(block, title)
        elif block.kind == "rule":
            self.ledger.put(block, f"{self.slug}: separator")
        elif block.kind in ("reference", "reference_continued", "html", "front_matter"):
            self.note(block, block.text)
        elif kind == "actions" and block.kind != "table":
            self.prose(block)
        elif block.kind == "table":
            self.note(block, block.text)
        else:
            self.field_text(kind, block.text, block)
        return kind

    def field_text(self, kind: str, text: str, block: Block) -> None:
        where = f"{self.slug}: {kind}"
        if kind == "recovery":
            self.parts.recovery = self.parts.recovery or recovery_time(text)
            if self.parts.recovery is None:
                self.note(block, text)
                return
        elif kind == "symptoms":
            self.parts.symptoms.append(text.replace("`", ""))
            if re.search(r"alert|алерт", text, re.IGNORECASE):
                spans = block.code_spans
                self.parts.alerts += [s for s in spans if re.fullmatch(r"[A-Za-z]\w*", s)]
        elif kind == "escalation":
            self.parts.escalation.append(text)
            rule = escalation_rule(text, len(self.parts.rules) + 1, self.contact_aliases)
            if rule:
                self.parts.rules.append(rule)
        elif kind == "actions":
            self.prose(block)
            return
        else:
            self.parts.notes.append(text)
            where = f"{self.slug}: notes"
        self.ledger.put(block, where)

    def note(self, block: Block, text: str) -> None:
        self.parts.notes.append(text)
        self.ledger.put(block, f"{self.slug}: notes")
        self.review.append(Review(block.first_line, f"{self.slug}: kept as a note: {text[:80]}"))

    # Prose in actions.

    def prose(self, block: Block) -> None:
        self.last_command = None
        if block.kind == "item" and block.depth <= 1:
            self.flush()
            self.item = block
            return
        if self.item is not None and block.item_line:
            if self.item_had_code and self.steps:
                step = self.steps[-1]
                extra = block.text if block.kind != "item" else f"- {block.text}"
                step["description"] = f"{step.get('description', '')}\n{extra}".strip()
                self.ledger.put(block, f"{self.slug}: step {step['id']}")
            else:
                self.item_extra.append(block)
            return
        if self.item is not None:
            self.flush()
        self.pending.append(block)

    def flush(self) -> None:
        """Prose that no code followed: a manual step (a list item that held no code too)."""
        if self.pending:
            blocks, self.pending = self.pending, []
            text = "\n\n".join(b.text for b in blocks)
            step = self.manual(blocks[0].label or short_title(blocks[0].text), text)
            for block in blocks:
                self.ledger.put(block, f"{self.slug}: step {step['id']}")
        if self.item is not None and not self.item_had_code:
            item = self.item
            text = "\n".join(
                [item.after_label if item.label else item.text]
                + [b.text if b.kind != "item" else f"- {b.text}" for b in self.item_extra]
            )
            step = self.manual(item.label or short_title(item.text), text.strip())
            for block in (item, *self.item_extra):
                self.ledger.put(block, f"{self.slug}: step {step['id']}")
        self.item, self.item_extra, self.item_had_code = None, [], False

    def manual(self, title: str, instructions: str) -> dict[str, Any]:
        self.budget.spend("steps")
        instructions = shown_text(instructions or title)
        step: dict[str, Any] = {
            "id": self.step_id(title),
            "title": title[:200],
            "executor": "manual",
            "instructions": instructions,
        }
        params = declared_in_text(instructions)
        if params:
            step["params"] = params
        self.steps.append(step)
        return step

    def step_id(self, title: str) -> str:
        return self.ids.take(slugify(title)[:40] or "step")

    # Code.

    def code(self, block: Block, title: str) -> None:
        language = block.language
        if language in OUTPUT_LANGUAGES and self.last_command is not None and not self.pending:
            step = self.last_command
            step["expected_output"] = block.text
            self.ledger.put(block, f"{self.slug}: step {step['id']} (expected output)")
            return
        intro, description = self.take_intro(title)
        if language in SHELL_LANGUAGES and (block.language or self.holds_commands(block)):
            made = self.commands(block, intro, description)
        elif language in SQL_LANGUAGES:
            made = [
                self.add_command(
                    query_step(block.text),
                    intro or f"SQL: {block.text.splitlines()[0][:60]}",
                    description,
                    block.text,
                )
            ]
        else:
            step = self.manual(intro or f"{language}: {first_line(block.text)}", block.text)
            if description:
                step["description"] = description
            self.review.append(
                Review(
                    block.first_line,
                    f"{self.slug}: step {step['id']}: a {language or 'plain'} block is shown "
                    "as a manual step, never run",
                )
            )
            made = [step]
        self.last_command = made[-1] if made and made[-1]["executor"] != "manual" else None
        where = ", ".join(s["id"] for s in made) or "notes"
        self.ledger.put(block, f"{self.slug}: step {where}")

    def holds_commands(self, block: Block) -> bool:
        lines = block.text.splitlines()
        return has_prompts(lines) or looks_like_commands(lines)

    def take_intro(self, title: str) -> tuple[str, str]:
        """The title and description the code's steps take from the prose before them."""
        if self.item is not None:
            item, extra = self.item, self.item_extra
            name = item.label or short_title(item.text)
            if self.item_had_code:  # a further block of the same item: its title again
                return name, ""
            self.item_had_code, self.item_extra = True, []
            text = "\n".join(
                [item.after_label if item.label else long_rest(item.text, name)]
                + [b.text if b.kind != "item" else f"- {b.text}" for b in extra]
            )
            for block in (item, *extra):
                self.ledger.put(block, f"{self.slug}: title of the code that follows")
            return name, text.strip()
        if self.pending:
            blocks, self.pending = self.pending, []
            last = blocks[-1]
            name = last.label or short_title(last.text)
            text = "\n\n".join(b.text for b in blocks)
            for block in blocks:
                self.ledger.put(block, f"{self.slug}: description of the code that follows")
            return name, long_rest(text, name)
        return title, ""

    def commands(self, block: Block, intro: str, description: str) -> list[dict[str, Any]]:
        found = split_commands(block.text.splitlines(), block.language)
        commands = [c for c in found if c.text]
        for lonely in (c for c in found if not c.text and commands):
            self.parts.notes.append(lonely.comment)
            self.review.append(
                Review(
                    block.first_line,
                    f"{self.slug}: a comment kept as a note: {lonely.comment[:80]}",
                )
            )
        made = []
        for number, command in enumerate(commands, start=1):
            title = command_title(intro, command.comment, command.text, number, len(commands))
            if command.shell:
                made.append(self.typed(command, title, description if number == 1 else ""))
                continue
            step = self.add_command(
                map_command(command.text),
                title,
                description if number == 1 else "",
                command.text,
                command.comment,
            )
            if command.expected_output:
                step["expected_output"] = command.expected_output
            made.append(step)
        if not commands:
            made.append(self.manual(intro or first_line(block.text), block.text))
        return made

    def typed(self, command: Command, title: str, description: str) -> dict[str, Any]:
        """A command typed at a database shell's prompt: SQL at psql's becomes a postgres
        query; the others are shown as a manual step (the console runs no such shell)."""
        if command.shell == "psql" and command.text.startswith("\\"):
            step = self.manual(title, f"psql> {command.text}")  # \x, \pset: how psql shows
        elif command.shell == "psql":
            step = self.add_command(query_step(command.text), title, description, command.text)
        else:
            shown = f"{command.shell}> {command.text}"
            step = self.manual(title, shown)
            verdict = classify(
                f"redis-cli {command.text}" if command.shell == "redis" else command.text
            )
            self.imported.append(
                ImportedCommand(
                    self.slug, step["id"], self.line, command.text, verdict.level, verdict.reason
                )
            )
            if description:
                step["description"] = description
        if command.expected_output:
            step["expected_output"] = command.expected_output
        return step

    def record(self, step: dict[str, Any], command: str, as_shell: str) -> Verdict:
        verdict = classify(as_shell)
        imported = ImportedCommand(
            self.slug, step["id"], self.line, command, verdict.level, verdict.reason
        )
        self.imported.append(imported)
        return verdict

    def add_command(
        self, step: dict[str, Any], title: str, description: str, command: str, comment: str = ""
    ) -> dict[str, Any]:
        self.budget.spend("steps")
        self.budget.spend("characters of commands", len(command))
        self.budget.spend("parameters", len(step.get("params", [])))
        step = {"id": self.step_id(title), "title": title[:200], **step}
        for note in step.pop("review", []):
            self.review.append(Review(self.line, f"{self.slug}: step {step['id']}: {note}"))
            self.parts.notes.append(Said(f"step {step['id']}: {note}"))
        text = "\n\n".join(t for t in (description, comment if comment != title else "") if t)
        if text:
            step["description"] = text
        verdict = classify(command)
        self.imported.append(
            ImportedCommand(
                self.slug, step["id"], self.line, command, verdict.level, verdict.reason
            )
        )
        if verdict.level != "safe":
            step["destructive"] = True
            if verdict.level == "confirm":
                self.review.append(
                    Review(
                        self.line,
                        f"{self.slug}: step {step['id']} needs confirmation: {verdict.reason}; "
                        "clear “destructive” if it only reads",
                    )
                )
        self.steps.append(step)
        return step


def shown_text(text: str) -> str:
    """Text shown (never run) that loads: a ``{{ x | filter }}`` in it would be refused."""
    return text.replace("{{", "{\u200b{") if has_filter(text) else text


def short_title(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s|\n", text.strip(), maxsplit=1)[0].strip().rstrip(":")
    if len(first) <= TITLE_LENGTH:
        return first
    cut = first[:TITLE_LENGTH].rsplit(" ", 1)[0]
    return f"{cut}…"


def long_rest(text: str, title: str) -> str:
    """The text as a description, unless it says no more than the title."""
    return "" if text.strip().rstrip(":") == title.rstrip("…") else text


def first_line(text: str) -> str:
    return text.strip().splitlines()[0][:60] if text.strip() else ""


def command_title(intro: str, comment: str, command: str, number: int, count: int) -> str:
    if count == 1:
        return intro or comment or first_line(command)
    if intro and comment:
        return f"{intro}: {comment}"
    if intro:
        return f"{intro} ({number})"
    return comment or first_line(command)


def recovery_time(text: str) -> dict[str, Any] | None:
    numbers = [(int(n), u) for n, u in RECOVERY_TIME.findall(text)]
    if not numbers:
        return None
    units = [u for _, u in numbers if u]
    last_unit = units[-1] if units else "min"

    def minutes(value: int, unit: str) -> int:
        unit = unit or last_unit
        return value * 60 if unit.startswith(("час", "h")) else value

    values = [minutes(v, u) for v, u in numbers]
    return {"min_minutes": min(values), "max_minutes": max(values)}


def escalation_rule(
    text: str, index: int, contact_aliases: Mapping[str, str]
) -> dict[str, Any] | None:
    timing = ESCALATION_TIME.search(text)
    lowered = text.lower()
    contact = next((role for alias, role in contact_aliases.items() if alias in lowered), None)
    if not timing or not contact:
        return None
    unit = timing.group(2).lower()
    value = int(timing.group(1)) * (60 if unit.startswith(("час", "hour")) else 1)
    return {
        "id": f"escalate-{index}",
        "after_minutes": value,
        "until": "resolved",
        "notify": [contact],
        "message": text,
    }


def blocks_of(section: Section) -> Iterator[Block]:
    return section.all_blocks()
