"""Split a byte stream into text lines as it arrives, safe for any bytes."""

from __future__ import annotations

import codecs
import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: str) -> str:
    """Show control characters (binary output) as visible escapes instead of raw bytes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class LineSplitter:
    """Feed bytes, get complete lines (with their newline); lines past ``max_line`` are split."""

    def __init__(self, max_line: int = 16384) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""
        self._max_line = max_line

    @property
    def pending(self) -> bool:
        return bool(self._partial)

    def feed(self, data: bytes) -> list[str]:
        # printable() leaves newlines alone and is idempotent, so it can run on the whole read.
        text = self._partial + printable(self._decoder.decode(data))
        lines = text.splitlines(keepends=True)
        if lines and not lines[-1].endswith(("\n", "\r")):
            self._partial = lines.pop()
        else:
            self._partial = ""
        out = [piece for line in lines for piece in self._split_long(line)]
        while len(self._partial) >= self._max_line:
            out.append(self._partial[: self._max_line])
            self._partial = self._partial[self._max_line :]
        return out

    def flush(self) -> list[str]:
        """Return whatever is buffered (a line without its newline yet)."""
        text = self._partial + self._decoder.decode(b"", final=True)
        self._partial = ""
        return [printable(piece) for piece in self._split_long(text)] if text else []

    def _split_long(self, line: str) -> list[str]:
        step = self._max_line
        if len(line) <= step:
            return [line]
        return [line[i : i + step] for i in range(0, len(line), step)]
