"""A Markdown document read with markdown-it-py into sections of blocks.

Each block keeps the source lines it came from (1-based, inclusive), so that whatever the
importer makes of it (a step, a description, a note to review) can say where it came from, and
a document's every line can be accounted for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

# CommonMark with tables; raw HTML stays a block of its own.  maxNesting bounds the parser's
# recursion on deeply nested lists and quotes (deeper content becomes plain text).
_PARSER = MarkdownIt("commonmark", {"maxNesting": 20}).enable("table")
FRONT_MATTER_END = {"---", "..."}
REFERENCE = re.compile(r"\s{0,3}\[[^\]]{1,999}\]:")


@dataclass
class Block:
    """One leaf block of the document."""

    kind: str  # paragraph, item, code, html, table, rule, front_matter, reference
    text: str
    first_line: int
    last_line: int
    language: str = ""  # code: the fence's first info word, lowercased ("" when indented)
    fenced: bool = False
    depth: int = 0  # list nesting: 0 outside any list, 1 in a top-level item …
    ordered: bool = False  # item: of a numbered list
    item_line: int = 0  # the first line of the list item this block belongs to (0: none)
    label: str = ""  # paragraph or item opening with a bold "Label:": the label
    after_label: str = ""  # … and the text after it
    code_spans: list[str] = field(default_factory=list)

    @property
    def lines(self) -> range:
        return range(self.first_line, self.last_line + 1)


@dataclass
class Section:
    """A heading and what stands under it.  Its body is parsed the first time it is read, so a
    document refused for its size early on (too many scenarios) is never parsed whole."""

    level: int
    title: str
    line: int
    _children: list[Section] = field(default_factory=list)
    _blocks: list[Block] = field(default_factory=list)
    _body: list[str] = field(default_factory=list)  # the lines under the heading, unparsed
    _body_line: int = 0  # the line number of the first of them
    _parsed: bool = False
    code_blocks: int = 0  # the root only: fenced blocks in the whole document

    @property
    def blocks(self) -> list[Block]:
        self._parse()
        return self._blocks

    @property
    def children(self) -> list[Section]:
        if not self.plain:  # a plain body holds no setext heading: nothing to parse for
            self._parse()
        return self._children

    @property
    def plain(self) -> bool:
        """Whether the body certainly holds no bold label, no code and no setext heading: then
        it need not be parsed to tell whether the section is a scenario (a document of many
        prose sections is read in one pass)."""
        if self._parsed:
            return not any(b.kind == "code" or b.label for b in self._blocks)
        return not any(NOT_PLAIN.search(line) for line in self._body)

    def body_lines(self) -> list[int]:
        """The numbers of the body's non-blank lines, parsed or not."""
        given = [line for block in self._blocks for line in block.lines]  # the front matter
        if self._parsed:
            return given
        body = enumerate(self._body, start=self._body_line)
        return given + [number for number, line in body if line.strip()]

    def all_blocks(self) -> Iterator[Block]:
        yield from self.blocks
        for child in self.children:
            yield from child.all_blocks()

    def _parse(self) -> None:
        if self._parsed:
            return
        self._parsed = True
        covered: set[int] = set()
        owner, setext = self, []
        for found in _blocks(_PARSER.parse("\n".join(self._body)), self._body_line - 1):
            if isinstance(found, Section):  # a setext heading: a part of this section
                found._parsed = True
                covered.add(found.line)
                setext.append(found)
                owner = found
            else:
                covered.update(found.lines)
                owner._blocks.append(found)
        for number, line in enumerate(self._body, start=self._body_line):
            if number not in covered and line.strip():
                at = next((s for s in reversed(setext) if s.line < number), self)
                kind = "reference" if REFERENCE.match(line) else "reference_continued"
                at._blocks.append(Block(kind, line.strip(), number, number))
        for section in (self, *setext):
            section._blocks.sort(key=lambda b: b.first_line)
        self._children = sorted(self._children + setext, key=lambda s: s.line)
        self._body = []


# What makes a body worth parsing before deciding: bold, code (fenced or indented, or an HTML
# block that may hide one), a setext underline.
NOT_PLAIN = re.compile(r"\*\*|__|^\s*+(?:```|~~~|<)|^(?: {4}|\t)|^ {0,3}(?:=+|-+)\s*$")
ATX = re.compile(r" {0,3}+(#{1,6})(?:[ \t]++(.*))?$")
FENCE = re.compile(r"\s*+(`{3,}+|~{3,}+)")


def read_markdown(text: str) -> Section:
    """The document as a tree of sections (a root of level 0 holding what precedes the first
    heading), front matter and link reference definitions included as blocks.

    The tree of ATX headings comes from one pass over the lines (fences skipped); each
    section's body is parsed by markdown-it-py when it is first read."""
    lines = text.splitlines()
    root = Section(0, "", 0)
    front = _front_matter(lines)
    start = front.last_line if front else 0
    if front:
        root._blocks.append(front)
    stack, current, body_start, fence = [root], root, start, ""
    root.code_blocks = 0
    for index in range(start, len(lines)):
        line = lines[index]
        if fence:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
            continue
        if match := FENCE.match(line):
            fence = match.group(1)
            root.code_blocks += 1
            continue
        if match := ATX.match(line):
            _body(current, lines, body_start, index)
            heading = Section(len(match.group(1)), _heading_title(match.group(2) or ""), index + 1)
            while stack[-1].level >= heading.level:
                stack.pop()
            stack[-1]._children.append(heading)
            stack.append(heading)
            current, body_start = heading, index + 1
    _body(current, lines, body_start, len(lines))
    return root


def _body(section: Section, lines: list[str], start: int, end: int) -> None:
    section._body = lines[start:end]
    section._body_line = start + 1


def _heading_title(text: str) -> str:
    """The text of an ATX heading without its optional closing ``#``s and its markup."""
    title = text.strip()
    without = title.rstrip("#")
    if without != title and (not without or without[-1] in " \t"):
        title = without.rstrip()
    if not INLINE_MARKUP.search(title):
        return title
    return _plain(_PARSER.parseInline(title)[0])


INLINE_MARKUP = re.compile(r"[*_`\[\]<>\\&!~]")


def _front_matter(lines: list[str]) -> Block | None:
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in FRONT_MATTER_END:
            return Block("front_matter", "\n".join(lines[1:index]), 1, index + 1)
    return None


class _Lists:
    """Where the token walk stands in nested lists (and the line its text starts at)."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.ordered: list[bool] = []
        self.items: list[int] = []  # first line of each open item
        self.item_started: list[bool] = []


def _blocks(tokens: list[Token], offset: int) -> Iterator[Block | Section]:
    lists = _Lists(offset)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.ordered.append(kind == "ordered_list_open")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.ordered.pop()
        elif kind == "list_item_open":
            lists.items.append(_first(token, lists))
            lists.item_started.append(False)
        elif kind == "list_item_close":
            lists.items.pop()
            lists.item_started.pop()
        elif kind == "heading_open":
            inline = tokens[index + 1]
            yield Section(int(token.tag[1:]), _plain(inline), _first(token, lists))
            index += 2
        elif kind == "paragraph_open":
            yield from _paragraphs(tokens[index + 1], token, lists)
            index += 2
        elif kind in ("fence", "code_block"):
            yield _code(token, lists)
        elif kind == "hr":
            yield _leaf("rule", "", token, lists)
        elif kind == "html_block":
            yield _leaf("html", token.content.rstrip("\n"), token, lists)
        elif kind == "table_open":
            close = _closing(tokens, index, "table_close")
            rows = _table_rows(tokens[index:close])
            yield _leaf("table", rows, token, lists)
            index = close
        index += 1


def _first(token: Token, lists: _Lists) -> int:
    return token.map[0] + 1 + lists.offset if token.map else 0


def _last(token: Token, lists: _Lists) -> int:
    return token.map[1] + lists.offset if token.map else 0


def _leaf(kind: str, text: str, token: Token, lists: _Lists) -> Block:
    return Block(
        kind,
        text,
        _first(token, lists),
        max(_last(token, lists), _first(token, lists)),
        depth=len(lists.items),
        item_line=lists.items[-1] if lists.items else 0,
    )


def _paragraphs(inline: Token, opening: Token, lists: _Lists) -> Iterator[Block]:
    """A paragraph's block, or several where a line of it opens with a bold label: written
    without a blank line before it (``- x`` then ``**Escalation:**``), CommonMark reads that
    label as the same paragraph, but its writer meant a new part."""
    children = inline.children or []
    starts = [0] + [
        i + 1
        for i, child in enumerate(children)
        if child.type == "softbreak" and _opens_label(children, i + 1)
    ]
    if len(starts) == 1:
        yield _paragraph(inline, opening, lists)
        return
    first = _first(opening, lists) - lists.offset
    ends = [*starts[1:], len(children) + 1]
    for number, (start, end) in enumerate(zip(starts, ends, strict=True)):
        part = Token("inline", "", 0, children=children[start : end - 1])
        line = first + sum(1 for c in children[:start] if c.type in ("softbreak", "hardbreak"))
        last = first + sum(1 for c in children[: end - 1] if c.type in ("softbreak", "hardbreak"))
        piece = Token("paragraph_open", "p", 1, map=[line - 1, last])
        block = _paragraph(part, piece, lists)
        if number:
            block.kind, block.depth, block.item_line = "paragraph", 0, 0
        yield block


def _opens_label(children: list[Token], index: int) -> bool:
    rest = [c for c in children[index:] if c.type != "text" or c.content]
    if len(rest) < 3 or rest[0].type != "strong_open" or rest[2].type != "strong_close":
        return False
    return rest[1].content.rstrip().endswith(":")


def _paragraph(inline: Token, opening: Token, lists: _Lists) -> Block:
    opens_item = bool(lists.items) and not lists.item_started[-1]
    block = _leaf("item" if opens_item else "paragraph", _plain(inline), opening, lists)
    if opens_item:
        lists.item_started[-1] = True
        block.ordered = lists.ordered[-1]
    block.label, block.after_label = _label(inline)
    block.code_spans = [c.content for c in inline.children or [] if c.type == "code_inline"]
    return block


def _code(token: Token, lists: _Lists) -> Block:
    block = _leaf("code", token.content.rstrip("\n"), token, lists)
    block.fenced = token.type == "fence"
    block.language = token.info.split(None, 1)[0].lower().strip("{}.") if token.info else ""
    if lists.items:
        lists.item_started[-1] = True
    return block


def _closing(tokens: list[Token], start: int, kind: str) -> int:
    index = start
    while tokens[index].type != kind:
        index += 1
    return index


def _table_rows(tokens: list[Token]) -> str:
    rows: list[list[str]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline":
            rows[-1].append(_plain(token))
    return "\n".join(" | ".join(cells) for cells in rows)


def _plain(inline: Token) -> str:
    return _plain_of(inline.children or [])


def _plain_of(children: list[Token]) -> str:
    """The text of an inline token without its markup: emphasis, code ticks and links go,
    their words stay; a soft line break is a space (a paragraph is one text)."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts).strip()


def _label(inline: Token) -> tuple[str, str]:
    """``**Symptoms:** text`` → ("Symptoms", "text"); ("", "") when no bold label opens it."""
    children = [c for c in inline.children or [] if c.type != "text" or c.content]
    if len(children) < 3 or children[0].type != "strong_open":
        return "", ""
    closing = next((i for i, c in enumerate(children) if c.type == "strong_close"), None)
    if closing is None:
        return "", ""
    label = "".join(c.content for c in children[1:closing]).strip()
    rest = "".join(
        " " if c.type == "softbreak" else c.content for c in children[closing + 1 :]
    ).strip()
    if not (label.endswith(":") or rest.startswith(":") or not rest):
        return "", ""
    return label.rstrip(":").strip(), rest.lstrip(":").strip()
