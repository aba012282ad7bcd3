"""Split a byte stream into text lines as it arrives, safe for any bytes."""

from __future__ import annotations

import codecs
import re

# Every C0 control character but tab, newline and carriage return, and DEL.
_CONTROL_CHARS = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]))
_CONTROL = re.compile(f"[{re.escape(_CONTROL_CHARS)}]")
_CONTROL_BYTES = _CONTROL_CHARS.encode()


def printable(text: str) -> str:
    """Show control characters (binary output) as visible escapes instead of raw bytes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _has_control(data: bytes) -> bool:
    # Several times faster than the regular expression's scan; most output has none.
    return len(data.translate(None, _CONTROL_BYTES)) != len(data)


class LineSplitter:
    """Feed bytes, get text that ends where a line ends; a line longer than ``max_line`` comes
    in pieces, so no buffer grows without bound."""

    def __init__(self, max_line: int = 16384) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""
        self._max_line = max_line

    @property
    def pending(self) -> bool:
        return bool(self._partial)

    def feed(self, data: bytes) -> list[str]:
        """The whole lines completed by ``data``, as one text, and any piece of a line grown
        past ``max_line``: a reader may hand the text on as it is, without splitting it."""
        text = self._decoder.decode(data)
        if _has_control(data):
            # printable() leaves newlines alone and is idempotent, so it can run on the read.
            text = printable(text)
        text = self._partial + text
        end = max(text.rfind("\n"), text.rfind("\r")) + 1
        out = [text[:end]] if end else []
        self._partial = text[end:]
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
