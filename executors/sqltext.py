"""Where each placeholder of a postgres query stands, and whether it can be bound there.

A placeholder in a query is either a value, ``{{ name }}``, sent to the server as a bound
parameter (never part of the SQL text), or an identifier, ``{{ name | identifier }}``, written
as a quoted identifier (``"orders"``, any ``"`` doubled) by psycopg.sql.Identifier.  Either must
stand as a whole token where SQL allows a value or a name; a placeholder inside a string
literal, a quoted identifier, a dollar-quoted body or a comment, or glued to other characters of
a token (``x{{ v }}``, ``{{ v }}1``), is refused: no value could be inserted there safely.

The scanner reads the query once, left to right (linear in its length).  It follows
PostgreSQL's lexical rules with standard_conforming_strings on (the default since 9.1).
"""

from __future__ import annotations

import re

from executors.placeholders import FILTERS, Placeholder, UnsafePlaceholder, placeholder_at

_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")

INSIDE_LITERAL = (
    "inside a string literal: write {{ name }} without quotes, its value is sent as a bound "
    "parameter"
)
INSIDE_IDENTIFIER = "inside a quoted identifier: write {{ name | identifier }} without quotes"
INSIDE_DOLLAR_QUOTES = "inside a dollar-quoted string"
INSIDE_COMMENT = "inside a comment"
GLUED = "part of a bigger token: leave space or punctuation around it"


def scan_sql(text: str) -> list[Placeholder]:
    """The placeholders of a query in order; raise UnsafePlaceholder for the first one that is
    not a whole value or identifier token."""
    found: list[Placeholder] = []
    pos = 0
    while pos < len(text):
        placeholder = placeholder_at(text, pos)
        if placeholder is not None:
            _check_token(text, placeholder)
            found.append(placeholder)
            pos = placeholder.end
        else:
            pos = _skip(text, pos)
    return found


def _check_token(text: str, placeholder: Placeholder) -> None:
    if placeholder.filter is not None and placeholder.filter not in FILTERS:
        raise UnsafePlaceholder(
            text,
            placeholder.start,
            f"unknown filter {placeholder.filter!r}: the only one is | identifier",
        )
    before = text[placeholder.start - 1] if placeholder.start else " "
    after = text[placeholder.end] if placeholder.end < len(text) else " "
    if _in_token(before) or _in_token(after):
        raise UnsafePlaceholder(text, placeholder.start, _subject(text, placeholder) + GLUED)


def _in_token(char: str) -> bool:
    return char.isalnum() or char in "_$'\"`"


def _subject(text: str, placeholder: Placeholder) -> str:
    return f"placeholder {text[placeholder.start : placeholder.end]} is "


def _skip(text: str, pos: int) -> int:
    """Where the token starting at ``pos`` ends, having refused any placeholder inside it."""
    char = text[pos]
    if char == "'":
        escapes = pos > 0 and text[pos - 1] in "eE" and (pos < 2 or not _word(text[pos - 2]))
        return _closed(text, pos + 1, "'", INSIDE_LITERAL, backslash=escapes)
    if char == '"':
        return _closed(text, pos + 1, '"', INSIDE_IDENTIFIER, backslash=False)
    if text.startswith("--", pos):
        end = text.find("\n", pos)
        return _refuse_in(text, pos, len(text) if end < 0 else end, INSIDE_COMMENT)
    if text.startswith("/*", pos):
        return _block_comment(text, pos)
    if char == "$" and (pos == 0 or not _word(text[pos - 1])):
        tag = _DOLLAR_TAG.match(text, pos)
        if tag:
            end = text.find(tag.group(0), tag.end())
            end = len(text) if end < 0 else end
            _refuse_in(text, tag.end(), end, INSIDE_DOLLAR_QUOTES)
            return end + len(tag.group(0))
    return pos + 1


def _word(char: str) -> bool:
    return char.isalnum() or char in "_$"


def _closed(text: str, pos: int, quote: str, reason: str, *, backslash: bool) -> int:
    """Skip a quoted token whose quote is doubled (or, in E'…', escaped) inside it."""
    start = pos
    while pos < len(text):
        if (backslash and text[pos] == "\\") or text.startswith(quote * 2, pos):
            pos += 2
        elif text[pos] == quote:
            break
        else:
            pos += 1
    end = min(pos, len(text))
    _refuse_in(text, start, end, reason)
    return end + 1


def _block_comment(text: str, pos: int) -> int:
    """Block comments nest in PostgreSQL."""
    start, depth = pos, 0
    while pos < len(text):
        if text.startswith("/*", pos):
            depth, pos = depth + 1, pos + 2
        elif text.startswith("*/", pos):
            depth, pos = depth - 1, pos + 2
            if depth == 0:
                break
        else:
            pos += 1
    return _refuse_in(text, start, min(pos, len(text)), INSIDE_COMMENT)


def _refuse_in(text: str, start: int, end: int, reason: str) -> int:
    for pos in range(start, end):
        placeholder = placeholder_at(text, pos)
        if placeholder is not None and placeholder.end <= end:
            raise UnsafePlaceholder(text, pos, _subject(text, placeholder) + reason)
    return end
