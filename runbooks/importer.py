"""Turn a Markdown runbook (like the team's runbooks.md) into runbook YAML the console can run.

Each scenario heading becomes a scenario; its symptoms, actions, escalation and recovery time
are mapped; fenced shell blocks become one step per command.  Nothing is dropped: what is not
understood is kept as a note and listed in ``ImportResult.unmapped``.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from executors.placeholders import UnsafePlaceholder
from executors.shellwords import scan_script
from runbooks.schema import Runbook

# Every pattern here runs on untrusted text: possessive quantifiers (``*+``, ``++``) and
# lookarounds keep each one linear in its input (no backtracking over a run of spaces or digits).
HEADING = re.compile(r"(#{1,6})\s++(.*)")  # the closing #s are stripped by _heading_title
FENCE = re.compile(r"\s*+(```|~~~)\s*+([\w+-]*+)\s*+$")
LABEL = re.compile(r"^\s*\*\*(.+?):?\*\*:?\s*(.*)$")
NUMBERED = re.compile(r"^(\s*)(\d+)[.)]\s+(.*)$")
BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
# An import is read by a person before it is saved: a document past these is refused (and the
# work stops there) rather than turned into more than anyone reviews.  They also bound the
# validation, whose placeholder check reads every command character by character.
LIMITS = {
    "scenarios": 100,
    "steps": 1000,
    "parameters": 1000,
    "characters of commands": 256 * 1024,
}
SHELL_LANGS = {"", "bash", "sh", "shell", "console", "zsh", "shell-session"}

SECTION_NAMES = {
    "recovery": ("время восстановления", "recovery time", "expected recovery", "time to recover"),
    "symptoms": ("симптомы", "symptoms", "signs"),
    "actions": (
        "действия",
        "actions",
        "steps",
        "diagnosis",
        "mitigation",
        "recovery",
        "шаги",
        "диагностика",
        "procedure",
        "resolution",
    ),
    "escalation": ("эскалация", "escalation", "уведомить команду", "notify"),
}
DESTRUCTIVE = re.compile(
    r"\b(rm|delete|delete-access-key|prune|restart|drop|stop|truncate|kill|pkill|reboot|shutdown"
    r"|down|rotate|restore|mkfs|dd)\b|ufw\s+deny|terraform\s+(apply|destroy)|secret\s+set"
    r"|--vacuum|-delete\b|up\s+-d",
    re.IGNORECASE,
)
TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "h",
            "ts",
            "ch",
            "sh",
            "sch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)


# The one step of a document without steps, in the document's language.
FOLLOW_THE_DOCUMENT = {"en": "Follow the document", "ru": "Следовать документу"}
SEE_THE_NOTES = {"en": "See the notes.", "ru": "См. заметки."}
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
LATIN = re.compile(r"[a-z]", re.IGNORECASE)


class ImportError_(ValueError):
    """The document cannot be imported at all (empty, not Markdown, no scenario)."""


@dataclass
class Section:
    level: int
    title: str
    lines: list[str] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)


@dataclass
class ImportResult:
    runbooks: list[dict[str, Any]]
    unmapped: list[str]

    def yaml_files(self) -> dict[str, str]:
        return {f"{rb['slug']}.yaml": dump_yaml(rb) for rb in self.runbooks}


def slugify(text: str) -> str:
    # The first 200 characters decide (a slug keeps 60): a title may be a whole paragraph.
    text = "".join(TRANSLIT.get(ch, ch) for ch in text[:200].lower())
    text = re.sub(r"^\s*\d+[.)]\s*", "", text)
    # 50: what Scenario.slug holds (PostgreSQL refuses a longer one when the runbook is synced).
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:50] or "scenario"


# libyaml's emitter, where PyYAML has it, is about ten times faster on a large document.
SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_yaml(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=SafeDumper, allow_unicode=True, sort_keys=False, width=100)


def import_markdown(text: str, *, contact_aliases: Mapping[str, str] | None = None) -> ImportResult:
    """The runbooks of a Markdown document.

    ``contact_aliases`` maps how the document may name a person ("devops lead", lowercase) to
    the contact role an escalation rule notifies: the site's (contacts.yaml).  Without it no
    escalation becomes a rule; its text is kept.
    """
    if not text or not text.strip():
        raise ImportError_("the document is empty")
    if "\x00" in text:
        raise ImportError_("the document is not text")
    root = _sections(text)
    importer = _Importer(contact_aliases or {}, language=document_language(text))
    importer.walk(root)
    if not importer.runbooks:
        raise ImportError_(
            "no scenario found: expected headings with symptoms, actions or commands"
        )
    return ImportResult(importer.runbooks, importer.unmapped)


def document_language(text: str) -> str:
    """``ru`` when the document's prose (its code left out) is more Cyrillic than Latin."""
    prose, in_fence = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            prose.append(line)
    words = "\n".join(prose)
    return "ru" if len(CYRILLIC.findall(words)) > len(LATIN.findall(words)) else "en"


class _Said(str):
    """A note the importer writes itself (in English), not text of the document."""


def _notes_in(notes: list[str], language: str) -> list[Any]:
    """Notes for a runbook in ``language``: the importer's own English ones marked as English."""
    english = language == "en"
    return [
        {"en": str(note)} if isinstance(note, _Said) and not english else str(note)
        for note in notes
    ]


def _sections(text: str) -> Section:
    root = Section(0, "")
    stack = [root]
    in_fence = False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(line)
        if match:
            section = Section(len(match.group(1)), _heading_title(match.group(2)))
            while stack[-1].level >= section.level:
                stack.pop()
            stack[-1].children.append(section)
            stack.append(section)
        else:
            stack[-1].lines.append(line)
    return root


def _heading_title(text: str) -> str:
    """The text of an ATX heading without its optional closing ``#``s."""
    return text.rstrip().rstrip("#").strip()


def _section_kind(title: str) -> str | None:
    name = title.lower().strip(" :*")
    for kind, names in SECTION_NAMES.items():
        if any(name.startswith(candidate) for candidate in names):
            return kind
    return None


class _Importer:
    def __init__(self, contact_aliases: Mapping[str, str], *, language: str = "en") -> None:
        self.contact_aliases = contact_aliases
        self.language = language
        self.runbooks: list[dict[str, Any]] = []
        self.unmapped: list[str] = []
        self.slugs = _Unique()
        self.budget = _Budget()

    def walk(self, section: Section) -> None:
        for child in section.children:
            if self._is_scenario(child):
                self._scenario(child)
            else:
                if _meaningful(child.lines) and not child.children:
                    self.unmapped.append(f"section “{child.title}” is not a scenario: kept out")
                self.walk(child)

    def _is_scenario(self, section: Section) -> bool:
        labels = {_section_kind(m.group(1)) for m in map(LABEL.match, section.lines) if m}
        sub = {_section_kind(c.title) for c in section.children}
        has_code = any(FENCE.match(line) for line in section.lines)
        return bool({"symptoms", "actions"} & (labels | sub)) or (has_code and not section.children)

    def _scenario(self, section: Section) -> None:
        self.budget.spend("scenarios")
        parts = _ScenarioParts.parse(section, self.contact_aliases)
        slug = self.slugs.take(slugify(section.title))
        steps = _Steps(self.budget).build(parts.actions)
        runbook: dict[str, Any] = {
            "slug": slug,
            # Its plain strings are the document's words; the importer's own are {en: …}.
            "language": self.language,
            "title": re.sub(r"^\s*\d+[.)]\s*", "", section.title),
            "kind": "scenario" if parts.symptoms else "procedure",
            "severity": "sev2",
            "alerts": parts.alerts,
            "symptoms": parts.symptoms,
        }
        if parts.recovery:
            runbook["expected_recovery"] = parts.recovery
        runbook["escalation"] = parts.escalation_text
        if parts.rules:
            runbook["escalation_rules"] = parts.rules
        runbook["notes"] = _notes_in(parts.notes + steps.notes, self.language)
        runbook["steps"] = steps.steps or [
            {
                "id": "follow-the-document",
                "title": FOLLOW_THE_DOCUMENT[self.language],
                "executor": "manual",
                "instructions": "\n".join(parts.notes)[:2000] or SEE_THE_NOTES[self.language],
            }
        ]
        for note in parts.notes + steps.notes:
            self.unmapped.append(f"{slug}: kept as a note: {note[:80]}")
        try:
            Runbook.model_validate(runbook)
        except ValidationError as exc:
            self.unmapped.append(f"{slug}: does not validate: {exc.errors()[0]['msg']}")
        if self.language == "en":
            del runbook["language"]  # the default: imported English files stay as they were
        self.runbooks.append({k: v for k, v in runbook.items() if v not in ([], None, "")})


class _Unique:
    """Hands out names never handed out before: ``base``, then ``base-2``, ``base-3`` …

    The next number of each base is remembered, so n equal titles cost n look-ups, not n²/2.
    """

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next: dict[str, int] = {}
        self.probes = 0  # look-ups made: the tests check it grows linearly

    def take(self, base: str) -> str:
        candidate, n = base, self.next.get(base, 2)
        while candidate in self.taken:
            self.probes += 1
            candidate, n = f"{base}-{n}", n + 1
        self.probes += 1
        self.next[base] = n
        self.taken.add(candidate)
        return candidate


def _meaningful(lines: list[str]) -> bool:
    return any(line.strip() and line.strip() != "---" for line in lines)


@dataclass
class _Block:
    kind: str  # "code" or "text"
    lines: list[str]
    title: str = ""


class _ScenarioParts:
    def __init__(self, contact_aliases: Mapping[str, str]) -> None:
        self.contact_aliases = contact_aliases
        self.symptoms: list[str] = []
        self.alerts: list[str] = []
        self.actions: list[_Block] = []
        self.escalation_text: list[str] = []
        self.rules: list[dict[str, Any]] = []
        self.recovery: dict[str, Any] | None = None
        self.notes: list[str] = []

    @classmethod
    def parse(cls, section: Section, contact_aliases: Mapping[str, str]) -> _ScenarioParts:
        parts = cls(contact_aliases)
        parts._lines(section.lines, default="actions")
        for child in section.children:
            kind = _section_kind(child.title) or "actions"
            if kind == "actions" and not _section_kind(child.title):
                parts._lines([f"**{child.title}:**", *child.lines], default="actions")
            else:
                parts._lines(child.lines, default=kind, inline=child.title)
        return parts

    def _lines(self, lines: list[str], *, default: str, inline: str = "") -> None:
        current, title = default, inline
        code: list[str] | None = None
        for line in lines:
            if code is not None:
                if FENCE.match(line):
                    self.actions.append(_Block("code", code, title))
                    code = None
                else:
                    code.append(line)
                continue
            if fence := FENCE.match(line):
                language = fence.group(2).lower()
                if language in SHELL_LANGS:
                    code = []
                else:
                    self.notes.append(_Said(f"a {language} block was not imported"))
                continue
            current, title = self._line(line, current, title)
        if code is not None:
            self.actions.append(_Block("code", code, title))

    def _line(self, line: str, current: str, title: str) -> tuple[str, str]:
        text = line.strip()
        if not text or text == "---":
            return current, title
        label = LABEL.match(line)
        if label and not NUMBERED.match(line):
            kind = _section_kind(label.group(1))
            if kind == "recovery":
                self.recovery = _recovery(label.group(2))
                if self.recovery is None:
                    self.notes.append(_Said(f"recovery time not understood: {label.group(2)}"))
                return current, title
            if kind:
                return kind, title
        if numbered := NUMBERED.match(line):
            item = numbered.group(3)
        elif bullet := BULLET.match(line):
            item = bullet.group(2)
        else:
            item = text
        item_title = re.sub(r"^\*\*(.+?):?\*\*:?\s*", r"\1", item).strip().rstrip(":")
        if numbered and _section_kind(item_title) == "escalation":
            return "escalation", title
        if numbered and current == "actions":
            self.actions.append(_Block("heading", [item_title], item_title))
            return current, item_title
        self._item(current, item_title if numbered else item.strip(), title)
        return current, title

    def _item(self, current: str, item: str, title: str) -> None:
        if current == "recovery" and self.recovery is None and _recovery(item):
            self.recovery = _recovery(item)
        elif current == "symptoms":
            self.symptoms.append(item.replace("`", ""))
            if re.search(r"alert|алерт", item, re.IGNORECASE):
                self.alerts += re.findall(r"`([A-Za-z][A-Za-z0-9_]+)`", item)
        elif current == "escalation":
            self.escalation_text.append(item)
            rule = _escalation_rule(item, len(self.rules) + 1, self.contact_aliases)
            if rule:
                self.rules.append(rule)
        elif current == "actions":
            self.actions.append(_Block("text", [item], title))
        else:
            self.notes.append(item)


# A number is at most six digits standing alone: the look-behind keeps a search from retrying
# inside a long run of digits (which made it quadratic), and int() is never handed 30 KB.
NUMBER = r"(?<!\d)(\d{1,6})(?!\d)"
RECOVERY_TIME = re.compile(NUMBER + r"\s*+(мин\w*|min\w*|час\w*|h\w*)?")
ESCALATION_TIME = re.compile(NUMBER + r"\s*+(минут\w*|min\w*|час\w*|hour\w*)", re.IGNORECASE)


def _recovery(text: str) -> dict[str, Any] | None:
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


def _escalation_rule(
    text: str, index: int, contact_aliases: Mapping[str, str]
) -> dict[str, Any] | None:
    timing = ESCALATION_TIME.search(text)
    lowered = text.lower()
    contact = next((role for alias, role in contact_aliases.items() if alias in lowered), None)
    if not timing or not contact:
        return None
    value = int(timing.group(1)) * (
        60 if timing.group(2).lower().startswith(("час", "hour")) else 1
    )
    return {
        "id": f"escalate-{index}",
        "after_minutes": value,
        "until": "resolved",
        "notify": [contact],
        "message": text,
    }


class _Budget:
    """What the rest of the document may still add (LIMITS)."""

    def __init__(self) -> None:
        self.left = dict(LIMITS)

    def spend(self, what: str, amount: int = 1) -> None:
        self.left[what] -= amount
        if self.left[what] < 0:
            raise ImportError_(
                f"the document has more than {LIMITS[what]} {what}: split it into smaller ones"
            )


class _Steps:
    def __init__(self, budget: _Budget) -> None:
        self.budget = budget
        self.steps: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.ids = _Unique()

    def build(self, blocks: list[_Block]) -> _Steps:
        for index, block in enumerate(blocks):
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            if block.kind == "heading":
                if not (
                    following and following.title == block.title and following.kind != "heading"
                ):
                    self._manual(block.title, block.lines[0])
                continue
            if block.kind == "text":
                self._manual(block.title or block.lines[0], block.lines[0])
                continue
            found = split_commands(block.lines)
            commands = [(comment, command) for comment, command in found if command]
            self.notes += [comment for comment, command in found if not command]
            for number, (comment, command) in enumerate(commands, start=1):
                self._command(
                    _title(block.title, comment, command, number, len(commands)), command, comment
                )
        return self

    def _id(self, title: str) -> str:
        return self.ids.take(slugify(title)[:40] or "step")

    def _manual(self, title: str, text: str) -> None:
        self.budget.spend("steps")
        self.steps.append(
            {
                "id": self._id(title),
                "title": title[:200],
                "executor": "manual",
                "instructions": text,
            }
        )

    def _command(self, title: str, command: str, comment: str) -> None:
        self.budget.spend("steps")
        self.budget.spend("characters of commands", len(command))
        step = {"id": self._id(title), "title": title[:200], **map_command(command)}
        self.budget.spend("parameters", len(step.get("params", [])))
        self.notes += [_Said(f"step {step['id']}: {note}") for note in step.pop("review", [])]
        if comment and comment != title:
            step["description"] = comment
        if DESTRUCTIVE.search(command):
            step["destructive"] = True
        self.steps.append(step)


def _title(block_title: str, comment: str, command: str, number: int, count: int) -> str:
    if count == 1:
        return block_title or comment or command.splitlines()[0][:60]
    if block_title and comment:
        return f"{block_title}: {comment}"
    if block_title:
        return f"{block_title} ({number})"
    return comment or command.splitlines()[0][:60]


def split_commands(lines: list[str]) -> list[tuple[str, str]]:
    """One (comment, command) per command: continuations, here-docs and loops kept whole,
    ``$ `` prompts stripped and the sample output after a prompt dropped."""
    lines = textwrap.dedent("\n".join(lines)).splitlines()
    prompted = any(line.lstrip().startswith("$ ") for line in lines)
    commands: list[tuple[str, str]] = []
    comment, buffer, heredoc, depth = "", [], None, 0
    for raw in lines:
        line = raw.rstrip()
        stripped = line.strip()
        if heredoc is not None:
            buffer.append(line)
            if stripped == heredoc:
                heredoc = None
                if depth == 0:
                    commands.append((comment, "\n".join(buffer)))
                    comment, buffer = "", []
            continue
        if not buffer:
            if not stripped:
                continue
            if stripped.startswith("#"):
                text = stripped.lstrip("#").strip()
                comment = f"{comment}. {text}" if comment and text else (text or comment)
                continue
            if prompted:
                if not stripped.startswith("$ "):
                    continue  # sample output
                stripped = stripped[2:]
        buffer.append(stripped if not buffer else line)
        if match := re.search(r"<<-?\s*['\"]?(\w+)['\"]?", stripped):
            heredoc = match.group(1)
            continue
        depth += _opens(stripped) - _closes(stripped)
        if stripped.endswith("\\") or depth > 0:
            continue
        depth = 0
        commands.append((comment, "\n".join(buffer)))
        comment, buffer = "", []
    if buffer:
        commands.append((comment, "\n".join(buffer)))
    elif comment:
        commands.append((comment, ""))  # comments after the last command: kept as a note
    return _join_cd(commands)


def _join_cd(commands: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A lone ``cd DIR`` belongs to the command after it."""
    joined: list[tuple[str, str]] = []
    pending = None
    for comment, command in commands:
        if re.fullmatch(r"cd\s+\S+", command.strip()):
            pending = (comment, command.strip())
            continue
        if pending:
            comment, command = pending[0] or comment, f"{pending[1]} && {command}"
            pending = None
        joined.append((comment, command))
    if pending:
        joined.append(pending)
    return joined


def _opens(line: str) -> int:
    words = re.findall(r"(?:^|[;&|]\s*|\s)(for|while|until|if|case)\b", line)
    return len(words)


def _closes(line: str) -> int:
    return len(re.findall(r"(?:^|[;&|]\s*|\s)(done|fi|esac)\b", line))


VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
PLACEHOLDER_ANGLE = re.compile(r"<([A-Za-z][A-Za-z0-9_ -]*)>")


MAPPED_PROGRAMS = {"ssh", "docker", "docker-compose", "psql", "aws", "curl"}


def map_command(command: str) -> dict[str, Any]:
    """The executor a command clearly fits (ssh, docker, psql, aws s3, curl …/health) or shell."""
    first = command.split(None, 1)[:1]
    if first and first[0] in MAPPED_PROGRAMS:  # spares the mappers' shell parsing
        return _mapped(command) or _shell(command)
    return _shell(command)


def _mapped(command: str) -> dict[str, Any] | None:
    for mapper in (_ssh, _docker, _psql, _aws_s3, _curl):
        mapped = mapper(command)
        if mapped:
            return _args_parametrised(mapped)
    return None


def _args_parametrised(step: dict[str, Any]) -> dict[str, Any]:
    """``$VARS`` inside an executor's arguments become declared parameters."""
    if "args" not in step:
        return step
    names: list[str] = []

    def fill(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        for braced, plain in VAR.findall(value):
            names.append(braced or plain)
        return VAR.sub(lambda m: f"{{{{ {(m.group(1) or m.group(2)).lower()} }}}}", value)

    step["args"] = {
        k: [fill(v) for v in val] if isinstance(val, list) else fill(val)
        for k, val in step["args"].items()
    }
    declared = {p["name"] for p in step.get("params", [])}
    new = [
        {"name": n.lower(), "label": f"${n}"}
        for n in dict.fromkeys(names)
        if n.lower() not in declared
    ]
    if new:
        step["params"] = step.get("params", []) + new
    return step


CONTROL = {"&&", "||", ";", "|", "&", "(", ")", ";;"}
# No command an executor maps (ssh host cmd, docker …, psql -c …) is longer; a longer one stays
# a shell step instead of going through shlex (slow, pure Python) once per mapper.
MAX_MAPPED_COMMAND = 4096


def _words(command: str) -> list[str] | None:
    """The words of one simple command, or None for pipelines, lists and substitutions."""
    if "\n" in command or len(command) > MAX_MAPPED_COMMAND:
        return None
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        words = shlex.split(command)
    except ValueError:
        return None
    if CONTROL & set(tokens) or any("$(" in w or "`" in w for w in words[:2]):
        return None
    return words


def _target(name: str) -> str:
    return slugify(name.lstrip("$").replace("_", "-")) or "local"


def _shell(command: str, executor: str = "shell", target: str | None = None) -> dict[str, Any]:
    script, params, review = _parametrise(command)
    step: dict[str, Any] = {"executor": executor, "script": script}
    if target:
        step["target"] = target
    if params:
        step["params"] = params
    if review:
        step["review"] = review  # taken out by _Steps._command, which knows the step's id
    return step


def _parametrise(command: str) -> tuple[str, list[dict[str, Any]], list[str]]:
    """``$VARS`` and ``<placeholders>`` become parameters, assigned quoted before the command.

    Also returns what to review: each ``<placeholder>`` left as text because a value could not
    stand there safely.
    """
    assigned = set(re.findall(r"(?:^|[\s;])([A-Za-z_][A-Za-z0-9_]*)=", command))
    assigned |= set(re.findall(r"\bfor\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\b", command))
    found = dict.fromkeys(braced or plain for braced, plain in VAR.findall(command))
    names = [name for name in found if name not in assigned]
    script, labels, review = _fill_placeholders(command)
    params = [{"name": name, "label": label} for name, label in labels.items()]
    if names:
        prefix = "; ".join(f"{n}={{{{ {n.lower()} }}}}" for n in names)
        script = f"{prefix}; {script}"
        params = [{"name": n.lower(), "label": f"${n}"} for n in names] + params
    return script, params, review


# A script is scanned at most this many times while placeholders are put back as text; past
# it every placeholder of the command stays text (each scan is linear in the command).
MAX_SCANS = 3


def _fill_placeholders(command: str) -> tuple[str, dict[str, str], list[str]]:
    """``<name>`` becomes ``{{ name }}`` wherever the loader accepts a placeholder.

    Where it would be refused (inside single quotes, a here-document, an ``eval`` or
    ``sh -c`` string, ssh's remote command …: executors/shellwords.py decides) the text is kept
    as it was and a note says why, so that no imported step is refused at load and no value is
    ever pasted into code.
    """
    matches = list(PLACEHOLDER_ANGLE.finditer(command))
    kept: dict[int, str] = {}  # index in matches: why it stays text
    script, offsets = _with_placeholders(command, matches, kept)
    scans = 0
    while offsets:
        try:
            scan_script(script)
            break
        except UnsafePlaceholder as exc:
            scans += 1
            reason = re.sub(r"^placeholder \{\{[^}]*\}\} is ", "", exc.reason)
            if exc.offset in offsets and scans < MAX_SCANS:
                kept[offsets[exc.offset]] = f"it is {reason}"
            else:  # one of the document's own {{ }}, or too many: all of them stay text
                why = f"the command has more places where a value cannot stand ({reason})"
                kept.update(dict.fromkeys(offsets.values(), why))
        script, offsets = _with_placeholders(command, matches, kept)
    labels = {_param_name(m.group(1)): m.group(1) for i, m in enumerate(matches) if i not in kept}
    review = [
        f"{matches[i].group(0)} was left as text, not made a parameter: {why}"
        for i, why in sorted(kept.items())
    ]
    return script, labels, review


def _with_placeholders(
    command: str, matches: list[re.Match[str]], kept: dict[int, str]
) -> tuple[str, dict[int, int]]:
    """The command with each ``<name>`` not in ``kept`` as ``{{ name }}``, and the offset of
    each placeholder in it (mapped to its index in ``matches``)."""
    parts, offsets, length, end = [], {}, 0, 0
    for index, match in enumerate(matches):
        parts.append(command[end : match.start()])
        length += match.start() - end
        text = match.group(0) if index in kept else f"{{{{ {_param_name(match.group(1))} }}}}"
        if index not in kept:
            offsets[length] = index
        parts.append(text)
        length += len(text)
        end = match.end()
    parts.append(command[end:])
    return "".join(parts), offsets


def _param_name(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def _ssh(command: str) -> dict[str, Any] | None:
    words = _words(command)
    if not words or words[0] != "ssh" or len(words) != 3 or words[1].startswith("-"):
        return None
    step = _shell(words[2], "ssh", _target(words[1]))
    return step


def _docker(command: str) -> dict[str, Any] | None:
    pipeline = [part.strip() for part in command.split("|")]
    words = _words(pipeline[0])
    if not words or words[0] not in ("docker", "docker-compose"):
        return None
    match = None
    if len(pipeline) == 2:
        grep = _words(pipeline[1])
        if not grep or grep[0] != "grep" or len(grep) != 3 or grep[1] not in ("-i", "-iE"):
            return None
        match = grep[2]
    elif len(pipeline) > 2:
        return None
    step = _docker_action(words)
    if step and match:
        step["args"]["match"] = match
    return step


def _docker_action(words: list[str]) -> dict[str, Any] | None:
    base = {"executor": "docker", "target": "docker"}
    if words[0] == "docker-compose" or words[1:2] == ["compose"]:
        rest = words[1:] if words[0] == "docker-compose" else words[2:]
        if rest and rest[0] in ("restart", "stop", "start", "ps", "pull"):
            return {**base, "action": "compose", "args": {"command": rest[0], "services": rest[1:]}}
        if rest[:2] == ["up", "-d"]:
            return {**base, "action": "compose", "args": {"command": "up", "services": rest[2:]}}
        return None
    if words[1] == "logs":
        rest = words[2:]
        tail = "100"
        if "--tail" in rest:
            index = rest.index("--tail")
            tail = rest[index + 1] if index + 1 < len(rest) else tail
            rest = rest[:index] + rest[index + 2 :]
        if len(rest) == 1:
            return {**base, "action": "logs", "args": {"container": rest[0], "tail": tail}}
        return None
    if words[1:3] == ["system", "prune"]:
        flags = set(words[3:])
        return {
            **base,
            "action": "system_prune",
            "args": {"all": bool(flags & {"-a", "--all"}), "volumes": "--volumes" in flags},
        }
    if words[1:3] == ["system", "df"]:
        return {**base, "action": "system_df", "args": {}}
    if words[1:2] == ["ps"]:
        return {**base, "action": "ps", "args": {}}
    return None


def _psql(command: str) -> dict[str, Any] | None:
    words = _words(command)
    if not words or words[0] != "psql" or "-c" not in words:
        return None
    sql = words[words.index("-c") + 1] if words.index("-c") + 1 < len(words) else ""
    host = words[words.index("-h") + 1] if "-h" in words else "database"
    return {
        "executor": "postgres",
        "target": _target(host),
        "action": "query",
        "args": {"sql": sql},
    }


def _aws_s3(command: str) -> dict[str, Any] | None:
    words = _words(command)
    if not words or words[0] != "aws" or len(words) < 3:
        return None
    options = _options(words[3:])
    if words[1] == "s3" and words[2] == "ls" and len(words) >= 4 and words[3].startswith("s3://"):
        bucket, _, prefix = words[3][5:].partition("/")
        return _s3(bucket, "list", {"prefix": prefix})
    if words[1] == "s3" and words[2] == "cp" and len(words) == 5 and words[3].startswith("s3://"):
        bucket, _, key = words[3][5:].partition("/")
        return _s3(bucket, "download", {"key": key, "file": words[4]})
    if words[1] != "s3api" or "--bucket" not in options:
        return None
    actions: dict[str, tuple[str, dict[str, Any]]] = {
        "list-object-versions": ("list_versions", {"prefix": options.get("--prefix", "")}),
        "get-bucket-versioning": ("versioning", {}),
        "get-bucket-lifecycle-configuration": ("lifecycle", {}),
        "restore-object": ("restore_object", {"key": options.get("--key", ""), "days": 7}),
    }
    if words[2] == "get-object" and options.get("--version-id") and len(words) % 2 == 0:
        return _s3(
            options["--bucket"],
            "get_version",
            {
                "key": options.get("--key", ""),
                "version_id": options["--version-id"],
                "file": words[-1],
            },
        )
    if words[2] in actions:
        action, args = actions[words[2]]
        return _s3(options["--bucket"], action, args)
    return None


def _options(words: list[str]) -> dict[str, str]:
    return {words[i]: words[i + 1] for i in range(len(words) - 1) if words[i].startswith("--")}


def _s3(bucket: str, action: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "executor": "s3",
        "target": _target(bucket),
        "action": action,
        "args": {k: v for k, v in args.items() if v not in ("", None)},
    }


def _curl(command: str) -> dict[str, Any] | None:
    words = _words(command)
    if not words or words[0] != "curl":
        return None
    urls = [w for w in words[1:] if w.startswith(("http://", "https://"))]
    if len(urls) != 1 or "health" not in urls[0]:
        return None
    match = re.match(r"(https?://[^/]+)(/.*)?", urls[0])
    assert match is not None  # urls[0] starts with http:// or https://
    host = re.sub(r"https?://", "", match.group(1)).split(":")[0]
    return {
        "executor": "http",
        "target": _target(host),
        "args": {"url": urls[0], "expect_status": 200},
    }
