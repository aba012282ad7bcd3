"""Slugs for imported scenarios and steps: transliterated, short, never handed out twice."""

from __future__ import annotations

import re

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
            "-",
            "y",
            "-",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)
TRANSLIT = {letter: "" if latin == "-" else latin for letter, latin in TRANSLIT.items()}


def slugify(text: str) -> str:
    # The first 200 characters decide (a slug keeps 50): a title may be a whole paragraph.
    text = "".join(TRANSLIT.get(ch, ch) for ch in text[:200].lower())
    text = re.sub(r"^\s*\d+[.)]\s*", "", text)
    # 50: what Scenario.slug holds (PostgreSQL refuses a longer one when the runbook is synced).
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:50] or "scenario"


class Unique:
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
