"""The placeholders a document writes in its commands, made typed parameters.

Recognised: ``<my-namespace>``, ``{{ region }}``, ``[BUCKET_NAME]``, ``YOUR_ACCOUNT_ID`` (each
becomes ``{{ name }}`` where it stands) and ``$VAR`` / ``${VAR}`` of a shell command (assigned
from a parameter before the command, so the command keeps its own syntax).

A placeholder becomes a parameter only where the loader accepts one: the same scanner that
refuses an unsafe runbook (executors/shellwords.py for scripts, executors/sqltext.py for SQL)
decides.  Where a value could not stand safely — inside single quotes, a here-document, an
``eval`` or ``sh -c`` string, ssh's remote command … — the placeholder stays text and a note to
review says why: an import never produces a step the loader refuses, and never pastes a value
into code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from executors.placeholders import UnsafePlaceholder
from runbooks.importer.slugs import TRANSLIT

PLACEHOLDERS = re.compile(
    r"<(?P<angle>[A-Za-zА-Яа-яЁё][\w.-]*+(?: [\w.-]++)*+)>"
    r"|\{\{\s*+(?P<braces>[A-Za-z_][A-Za-z0-9_-]*+)\s*+\}\}"
    r"|\[(?P<brackets>[A-ZА-ЯЁ][A-ZА-ЯЁ0-9_]{2,63}+)\](?![(:\[])"
    r"|\b(?P<your>YOUR_[A-Z0-9_]{1,60}+)\b"
)
VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
# A script is scanned at most this many times while placeholders are put back as text; past
# it every placeholder of the command stays text (each scan is linear in the command).
MAX_SCANS = 3
KUBERNETES_NAMES = {
    "namespace", "pod", "deployment", "pvc", "node", "service", "statefulset", "daemonset",
    "job", "container", "context", "release", "secret", "configmap", "cluster", "replicaset",
}  # fmt: skip
NUMBERS = {"port", "count", "replicas", "lines", "minutes", "hours", "days", "seconds", "limit",
           "size", "timeout", "number", "pid", "tail"}  # fmt: skip
KUBERNETES_NAME = r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?"


@dataclass
class Parametrised:
    text: str
    params: list[dict[str, Any]]
    review: list[str]


def parametrise_script(command: str, check: Callable[[str], object]) -> Parametrised:
    """A shell command with its placeholders as parameters (``check``: the loader's scanner)."""
    assigned = set(re.findall(r"(?:^|[\s;])([A-Za-z_][A-Za-z0-9_]*)=", command))
    assigned |= set(re.findall(r"\bfor\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\b", command))
    found = dict.fromkeys(braced or plain for braced, plain in VAR.findall(command))
    names = [name for name in found if name not in assigned]
    filled = fill_placeholders(command, check)
    if names:
        prefix = "; ".join(f"{n}={{{{ {param_name(n)} }}}}" for n in names)
        filled.text = f"{prefix}; {filled.text}"
        variables = [typed(param_name(n), f"${n}") for n in names]
        taken = {p["name"] for p in variables}
        filled.params = variables + [p for p in filled.params if p["name"] not in taken]
    return filled


def fill_placeholders(text: str, check: Callable[[str], object]) -> Parametrised:
    """``text`` with each placeholder as ``{{ name }}`` wherever ``check`` accepts it; the
    others stay as written, each with a note saying why."""
    matches = list(PLACEHOLDERS.finditer(text))
    kept: dict[int, str] = {}  # index in matches: why it stays text
    filled, offsets = _with_placeholders(text, matches, kept)
    scans = 0
    while offsets:
        try:
            check(filled)
            break
        except UnsafePlaceholder as exc:
            scans += 1
            reason = re.sub(r"^placeholder \{\{[^}]*\}\} is ", "", exc.reason)
            if exc.offset in offsets and scans < MAX_SCANS:
                kept[offsets[exc.offset]] = f"it is {reason}"
            else:  # a {{ }} of the text itself, or too many: all of them stay text
                why = f"the command has more places where a value cannot stand ({reason})"
                kept.update(dict.fromkeys(offsets.values(), why))
        filled, offsets = _with_placeholders(text, matches, kept)
    params: dict[str, dict[str, Any]] = {}
    for index, match in enumerate(matches):
        if index not in kept:
            name = param_name(_written_name(match))
            params.setdefault(name, typed(name, _label(match)))
    review = [
        f"{matches[i].group(0)} was left as text, not made a parameter: {why}"
        for i, why in sorted(kept.items())
    ]
    return Parametrised(filled, list(params.values()), review)


def declared_in_text(text: str) -> list[dict[str, Any]]:
    """Parameters for the ``{{ name }}`` a shown (never run) text already holds, so that it
    loads: the loader wants every placeholder declared."""
    from executors.placeholders import PLACEHOLDER

    names = dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(text))
    return [typed(name, name.replace("_", " ")) for name in names]


def typed(name: str, label: str) -> dict[str, Any]:
    """A parameter whose type follows its name: ``*_port`` a number, ``namespace`` a
    Kubernetes name, ``*_path`` an absolute path; anything else one line of text."""
    param: dict[str, Any] = {"name": name, "label": label}
    words = set(name.split("_"))
    if words & NUMBERS:
        param["type"] = "integer"
        param["min"] = 0
    elif words & KUBERNETES_NAMES and "file" not in words:
        param["pattern"] = KUBERNETES_NAME
        param["expect"] = {
            "en": "a Kubernetes name: lowercase letters, digits, '-' and '.'",
            "ru": "имя Kubernetes: строчные латинские буквы, цифры, «-» и «.»",
        }
    elif words & {"path", "dir", "directory"}:
        param["type"] = "path"
    return param


def param_name(label: str) -> str:
    latin = "".join(TRANSLIT.get(ch, ch) for ch in label.lower())
    name = re.sub(r"[^a-z0-9]+", "_", latin).strip("_") or "value"
    return f"p_{name}" if name[0].isdigit() else name


def _written_name(match: re.Match[str]) -> str:
    your = match.group("your")
    if your:
        return your[len("YOUR_") :]
    return next(
        g for g in (match.group("angle"), match.group("braces"), match.group("brackets")) if g
    )


def _label(match: re.Match[str]) -> str:
    if match.group("angle"):
        return match.group("angle")
    return match.group(0)


def _with_placeholders(
    text: str, matches: list[re.Match[str]], kept: dict[int, str]
) -> tuple[str, dict[int, int]]:
    """The text with each placeholder not in ``kept`` as ``{{ name }}``, and the offset of
    each in it (mapped to its index in ``matches``)."""
    parts, offsets, length, end = [], {}, 0, 0
    for index, match in enumerate(matches):
        parts.append(text[end : match.start()])
        length += match.start() - end
        written = f"{{{{ {param_name(_written_name(match))} }}}}"
        replacement = written
        if index in kept:  # a {{ name }} kept as written would be read as a parameter
            replacement = f"<{_written_name(match)}>" if match.group("braces") else match.group(0)
        if index not in kept:
            offsets[length] = index
        parts.append(replacement)
        length += len(replacement)
        end = match.end()
    parts.append(text[end:])
    return "".join(parts), offsets
