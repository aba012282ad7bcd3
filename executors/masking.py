"""Hide credential values in output, even when a value arrives split across two emits."""

from __future__ import annotations

import re
from collections.abc import Iterable

from executors.base import Emit

MASK = "********"
_MIN_SECRET = 4


class SecretMasker:
    """Wraps an emit: text reaching the inner emit never contains any of the secrets.

    Text that could be the start of a secret is held back until a newline or ``flush()``;
    everything else passes through at once.  A multi-line secret (a private key) is masked
    line by line.
    """

    def __init__(self, emit: Emit, secrets: Iterable[str]) -> None:
        self.emit = emit
        pieces = {line.strip() for secret in secrets for line in secret.splitlines()}
        self.secrets = sorted((p for p in pieces if len(p) >= _MIN_SECRET), key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, self.secrets))) if self.secrets else None
        self.hold = max((len(s) for s in self.secrets), default=1) - 1
        self.pending: dict[str, str] = {}

    def mask(self, text: str) -> str:
        return self.pattern.sub(MASK, text) if self.pattern else text

    def __call__(self, stream: str, text: str) -> None:
        if self.pattern is None:
            self.emit(stream, text)
            return
        buffer = self.pending.pop(stream, "") + text
        if buffer.endswith("\n"):
            self.emit(stream, self.mask(buffer))
            return
        cut = self._safe_cut(buffer, self.pattern)
        if cut:
            self.emit(stream, self.mask(buffer[:cut]))
        if buffer[cut:]:
            self.pending[stream] = buffer[cut:]

    def _safe_cut(self, buffer: str, pattern: re.Pattern[str]) -> int:
        cut = max(len(buffer) - self.hold, 0)
        for match in pattern.finditer(buffer):
            if match.start() < cut < match.end():
                cut = match.end()
        return cut

    def flush(self) -> None:
        for stream, text in list(self.pending.items()):
            self.emit(stream, self.mask(text))
        self.pending.clear()


def mask_all(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret in it masked, for text that is complete (never held back)."""
    return SecretMasker(_nowhere, secrets).mask(text)


def _nowhere(stream: str, text: str) -> None:
    """``mask_all`` only masks: nothing is emitted."""
