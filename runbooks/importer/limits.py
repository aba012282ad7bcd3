"""How much a document may hold: an import is read by a person before it is saved, so a
document past these is refused (and the work stops there) rather than turned into more than
anyone reviews.  They also bound the validation, whose placeholder check reads every command
character by character."""

from __future__ import annotations

LIMITS = {
    "scenarios": 100,
    "steps": 1000,
    "parameters": 1000,
    "characters of commands": 256 * 1024,
}


class ImportRefused(ValueError):
    """The document cannot be imported at all (empty, not text, no scenario, too large)."""


class Budget:
    """What the rest of the document may still add (LIMITS)."""

    def __init__(self) -> None:
        self.left = dict(LIMITS)

    def spend(self, what: str, amount: int = 1) -> None:
        self.left[what] -= amount
        if self.left[what] < 0:
            raise ImportRefused(
                f"the document has more than {LIMITS[what]} {what}: split it into smaller ones"
            )
