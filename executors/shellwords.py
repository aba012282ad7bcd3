"""Where each placeholder of a shell script stands, and whether a value can be put there safely.

A value is never written into script text.  It travels in a variable, ``IC_PARAM_<name>``, and
its placeholder becomes a reference to that variable written for the quoting context:

===============================================  ===========================
placeholder stands                               becomes
===============================================  ===========================
as a word or part of one (also inside ``$(…)``)  ``"${IC_PARAM_name}"``
inside ``"…"``                                   ``${IC_PARAM_name}``
===============================================  ===========================

The shell expands a quoted reference once and never parses the result again, so the value
arrives byte for byte as (part of) one word: no splitting, no globbing, no code.

A placeholder is refused where no reference is safe: inside single quotes or ``$'…'``, a
here-document, backticks, ``${…}``, arithmetic (``$((…))``, ``((…))``, ``$[…]``), a comment,
right after ``\\`` or ``$``, in a ``[[ … ]]`` that compares numbers or tests ``-v``, in an array
subscript or an assignment to an integer variable (bash evaluates those as arithmetic, where
``a[$(cmd)]`` runs ``cmd``), and in an argument a known program reads as code: ``eval``,
``source``, ``trap``, a shell's ``-c`` string, ``ssh``'s remote command, ``python -c``,
``perl -e``, ``psql -c``, an ``awk`` program, a ``sed`` script, … (see ``code_arguments``).

The scanner reads the text once, left to right, keeping a stack of nested contexts: linear in
the length of the script.  Values reaching a program through a pipe or a file are not followed:
``echo {{ v }} | sh`` is the runbook author's decision to run data as code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from executors.placeholders import PLACEHOLDER, Placeholder, UnsafePlaceholder, placeholder_at

PREFIX = "IC_PARAM_"
HOLE = "\0"  # a placeholder, in the static text of a word
DYNAMIC = "\1"  # an expansion ($x, $(…), `…`), in the static text of a word

ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=")
RESERVED = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"}
NOT_A_COMMAND = {"for", "select", "case", "function"}
ARITHMETIC_TESTS = {"-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-v", "-R"}

# Each argument is code, or names a variable (which bash may evaluate as arithmetic).
EVERY_ARGUMENT = {
    "eval", "source", ".", "let", "trap", "alias", "ssh", "watch", "compgen", "complete",
    "read", "mapfile", "readarray", "unset", "getopts",
}  # fmt: skip
DECLARE = {"declare", "typeset", "local", "export", "readonly"}
SHELLS = {"sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "busybox"}
# program: options whose argument is code (also attached: -cCODE, --command=CODE)
CODE_OPTIONS = {
    "python": {"-c"},
    "perl": {"-e", "-E"},
    "ruby": {"-e"},
    "node": {"-e", "--eval", "-p", "--print"},
    "php": {"-r"},
    "psql": {"-c", "--command"},
    "mysql": {"-e", "--execute"},
    "su": {"-c", "--command"},
    "runuser": {"-c", "--command"},
    "flock": {"-c", "--command"},
    "env": {"-S", "--split-string"},
    "rsync": {"-e", "--rsh"},
}
# program: (options taking a value, options that give the program elsewhere)
PROGRAM_OPERAND = {
    "awk": ({"-F", "-v", "-f", "-e", "--file", "--source", "--assign", "--field-separator"},
            {"-f", "-e", "--file", "--source"}),
    "sed": ({"-e", "-f", "-l", "--expression", "--file", "--line-length"},
            {"-e", "-f", "--expression", "--file"}),
}  # fmt: skip
for _awk in ("gawk", "mawk", "nawk"):
    PROGRAM_OPERAND[_awk] = PROGRAM_OPERAND["awk"]
    CODE_OPTIONS[_awk] = {"-e", "--source"}
CODE_OPTIONS["awk"] = {"-e", "--source"}
CODE_OPTIONS["sed"] = {"-e", "--expression"}
# program: (options taking a value, operands before the command it runs)
WRAPPERS = {
    "sudo": ({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group",
              "--chdir", "--close-from", "--host", "--prompt", "--role", "--type",
              "--other-user", "--command-timeout"}, 0),
    "doas": ({"-u", "-C"}, 0),
    "env": ({"-u", "-C", "--unset", "--chdir"}, 0),
    "exec": ({"-a"}, 0),
    "command": (set(), 0),
    "builtin": (set(), 0),
    "nohup": (set(), 0),
    "time": ({"-f", "-o", "--format", "--output"}, 0),
    "nice": ({"-n", "--adjustment"}, 0),
    "ionice": ({"-c", "-n", "-p", "-P", "-u", "--class", "--classdata"}, 0),
    "setsid": (set(), 0),
    "stdbuf": ({"-i", "-o", "-e"}, 0),
    "timeout": ({"-s", "-k", "--signal", "--kill-after"}, 1),
    "xargs": ({"-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--arg-file", "--delimiter",
               "--max-args", "--max-lines", "--max-procs", "--max-chars",
               "--process-slot-var"}, 0),
    "chroot": ({"--userspec", "--groups"}, 1),
    "taskset": (set(), 1),
    "runuser": ({"-u", "-g", "-G", "--user", "--group", "--supp-group"}, 0),
}  # fmt: skip
FIND_COMMANDS = {"-exec", "-execdir", "-ok", "-okdir"}
# Programs that run what they read on stdin when given no script.
STDIN_CODE = SHELLS | {"python", "perl", "ruby", "node", "php", "psql", "mysql"}


@dataclass(frozen=True)
class Slot:
    """A placeholder that can be filled: ``quoted`` when it stands inside double quotes."""

    placeholder: Placeholder
    quoted: bool

    def reference(self) -> str:
        ref = "${" + PREFIX + self.placeholder.name + "}"
        return ref if self.quoted else f'"{ref}"'


def scan_script(text: str) -> list[Slot]:
    """Every placeholder of a script with its quoting context; raise UnsafePlaceholder for the
    first one that stands where no value can be inserted safely."""
    return _Scanner(text).scan()


def check_argv(argv: Sequence[str]) -> None:
    """Refuse a placeholder in an argv element a known program reads as code (bash -c …)."""
    words = [PLACEHOLDER.sub(HOLE, arg) for arg in argv]
    for index, reason in code_arguments(words):
        match = PLACEHOLDER.search(argv[index])
        if match:
            raise UnsafePlaceholder(argv[index], match.start(), _code_reason(reason, match))
    for arg in argv:
        for match in PLACEHOLDER.finditer(arg):
            if match.group(2) is not None:
                raise UnsafePlaceholder(arg, match.start(), _filter_reason(match.group(0)))


def code_arguments(words: Sequence[str], start: int = 0) -> Iterator[tuple[int, str]]:
    """The indexes of the words of one simple command that its program reads as code or as a
    variable name, each with what it is.  ``words`` hold static text: HOLE for a placeholder,
    DYNAMIC for an expansion."""
    program, name = program_of(words, start)
    while program in WRAPPERS:
        if program in CODE_OPTIONS:
            yield from _code_options(words, start, name, CODE_OPTIONS[program])
        start = _wrapped_command(words, start, *WRAPPERS[program])
        program, name = program_of(words, start)
    rest = range(start + 1, len(words))
    if program in EVERY_ARGUMENT:
        yield from ((i, f"an argument of {name}, which may run it as code") for i in rest)
    elif program in SHELLS:
        yield from _shell_string(words, start, name)
    elif program in DECLARE:
        yield from _declarations(words, start, name)
    elif program in ("test", "[") and any(words[i] in ("-v", "-R") for i in rest):
        yield from ((i, f"an argument of {name} -v, which bash evaluates") for i in rest)
    elif program == "printf" and start + 2 < len(words) and words[start + 1] == "-v":
        yield start + 2, "the variable name of printf -v"
    elif program == "find":
        yield from _find_commands(words, start)
    if program in CODE_OPTIONS:
        yield from _code_options(words, start, name, CODE_OPTIONS[program])
    if program in PROGRAM_OPERAND:
        yield from _program_operand(words, start, name, *PROGRAM_OPERAND[program])


def unwrap(words: Sequence[str], start: int) -> int:
    """Where the command a wrapper (sudo, env, timeout, …) runs begins."""
    program = program_of(words, start)[0]
    while program in WRAPPERS:
        start = _wrapped_command(words, start, *WRAPPERS[program])
        program = program_of(words, start)[0]
    return start


def program_of(words: Sequence[str], start: int) -> tuple[str | None, str]:
    """The program a command word names, without directory and version (python3.11 → python)."""
    if start >= len(words) or HOLE in words[start] or DYNAMIC in words[start]:
        return None, ""
    name = words[start].rsplit("/", 1)[-1] or words[start]
    return (re.sub(r"[0-9.]+$", "", name) or name), name


def _wrapped_command(words: Sequence[str], start: int, takes_value: set[str], operands: int) -> int:
    i = start + 1
    while i < len(words):
        word = words[i]
        if word == "--":
            i += 1
            break
        if word.startswith("-") and len(word) > 1:
            i += 2 if word in takes_value else 1
        elif words[start] == "env" and ASSIGNMENT.match(word):
            i += 1
        else:
            break
    return i + operands


def _shell_string(words: Sequence[str], start: int, name: str) -> Iterator[tuple[int, str]]:
    i, command_string = start + 1, False
    while i < len(words):
        word = words[i]
        if word in ("--", "-"):
            i += 1
            break
        if word in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            i += 2
        elif len(word) > 1 and word[0] in "-+":
            command_string |= word[0] == "-" and not word.startswith("--") and "c" in word
            i += 1
        else:
            break
    if command_string and i < len(words):
        yield i, f"the command string of {name} -c, which runs it"


def _declarations(words: Sequence[str], start: int, name: str) -> Iterator[tuple[int, str]]:
    options = "".join(w for w in words[start + 1 :] if w.startswith(("-", "+")))
    arithmetic = "i" in options or "n" in options
    for i in range(start + 1, len(words)):
        word = words[i]
        if word.startswith(("-", "+")):
            continue
        match = ASSIGNMENT.match(word)
        if arithmetic:
            yield i, f"a value {name} {options} evaluates as arithmetic, which can run code"
        elif match is None or HOLE in word[: match.end()]:
            yield i, f"a variable name given to {name}, whose subscript bash evaluates"


def _find_commands(words: Sequence[str], start: int) -> Iterator[tuple[int, str]]:
    i = start + 1
    while i < len(words):
        if words[i] in FIND_COMMANDS:
            end = next((j for j in range(i + 1, len(words)) if words[j] in (";", "+")), len(words))
            if program_of(words, i + 1)[0] != "find":  # no recursion without end
                yield from code_arguments(words[:end], i + 1)
            i = end
        i += 1


def _code_options(
    words: Sequence[str], start: int, name: str, options: set[str]
) -> Iterator[tuple[int, str]]:
    for i in range(start + 1, len(words)):
        word = words[i]
        if word == "--":
            return
        for option in options:
            long = option.startswith("--")
            if word == option and i + 1 < len(words):
                yield i + 1, f"the code given to {name} {option}"
            elif (long and word.startswith(option + "=")) or (
                not long and word.startswith(option) and len(word) > len(option)
            ):
                yield i, f"the code given to {name} {option}"


def _program_operand(
    words: Sequence[str],
    start: int,
    name: str,
    takes_value: set[str],
    program_elsewhere: set[str],
) -> Iterator[tuple[int, str]]:
    i, elsewhere = start + 1, False
    while i < len(words):
        word = words[i]
        if word == "--":
            i += 1
            break
        if not word.startswith("-") or len(word) == 1:
            break
        elsewhere |= word.split("=")[0] in program_elsewhere
        i += 2 if word in takes_value else 1
    if not elsewhere and i < len(words):
        yield i, f"the {name} program"


def _code_reason(reason: str, match: re.Match[str]) -> str:
    return f"placeholder {match.group(0)} is in {reason}: no value can be inserted there safely"


def _filter_reason(placeholder: str) -> str:
    return f"placeholder {placeholder}: a | filter is only allowed in a postgres query"


# Why a placeholder cannot stand inside each refusing context.
INSIDE_SINGLE_QUOTES = "inside single quotes: close the quotes before it, or use double quotes"
INSIDE_ANSI_QUOTES = "inside $'…': close the quotes before it, or use double quotes"
INSIDE_LOCALE_QUOTES = 'inside $"…": use plain double quotes'
INSIDE_BACKTICKS = "inside backticks: use $( … ) instead"
INSIDE_PARAMETER = "inside ${…}, where it would become part of an expansion"
INSIDE_ARITHMETIC = "inside arithmetic, which bash evaluates as code"
INSIDE_HEREDOC = (
    "inside a here-document, whose text goes to a program that may run it: "
    "pass the value as an argument instead"
)
INSIDE_COMMENT = "inside a comment"


@dataclass
class _Word:
    chars: list[str] = field(default_factory=list)
    holes: list[tuple[int, int]] = field(default_factory=list)  # (index in chars, text offset)


@dataclass
class _Frame:
    """One quoting context.  ``code`` frames (the script, a ``$(…)``) hold words and commands."""

    kind: str  # code, dq, param, arith
    refuse: str | None = None
    collect: bool = False  # its literal characters belong to the word of ``owner``
    owner: _Frame | None = None
    subst: bool = False
    close: str = ""
    depth: int = 0
    case_depth: int = 0
    word: _Word | None = None
    words: list[tuple[str, _Word]] = field(default_factory=list)
    skip_command: bool = False
    redirect: bool = False
    herestring: bool = False
    stdin_holes: list[int] = field(default_factory=list)  # placeholders in here-strings
    heredoc: bool | None = None  # the next word is a here-document delimiter (strip tabs?)
    test: list[int] | None = None  # inside [[ … ]]: offsets of its placeholders
    test_arithmetic: bool = False


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        top = _Frame("code")
        top.owner = top
        self.stack = [top]
        self.slots: list[Slot] = []
        self.heredocs: list[tuple[str, bool]] = []
        self.integer_names: set[str] = set()
        self.assigned: list[tuple[str, int]] = []

    def scan(self) -> list[Slot]:
        reserved = self.text.find(PREFIX)
        if reserved >= 0:
            self.refuse(reserved, f"{PREFIX}… names are reserved for parameter values")
        handlers = {"code": self.code, "dq": self.double, "param": self.param, "arith": self.arith}
        while self.pos < len(self.text):
            frame = self.stack[-1]
            found = placeholder_at(self.text, self.pos)
            if found:
                self.placeholder(frame, found)
            else:
                handlers[frame.kind](frame, self.text[self.pos])
        for frame in reversed(self.stack):
            if frame.kind == "code":
                self.end_command(frame)
        self.check_leftovers()
        return self.slots

    def refuse(self, offset: int, reason: str) -> None:
        found = placeholder_at(self.text, offset)
        subject = f"placeholder {self.text[offset : found.end]} is " if found else ""
        raise UnsafePlaceholder(self.text, offset, subject + reason)

    def refuse_in(self, start: int, end: int, reason: str) -> None:
        match = PLACEHOLDER.search(self.text, start, end)
        if match:
            self.refuse(match.start(), reason)

    def check_leftovers(self) -> None:
        filled = {slot.placeholder.start for slot in self.slots}
        for match in PLACEHOLDER.finditer(self.text):
            if match.start() not in filled:
                self.refuse(match.start(), "in a place where no value can be inserted safely")
        for name, offset in self.assigned:
            if name in self.integer_names:
                self.refuse(offset, f"assigned to {name}, an integer or reference variable")

    # placeholders and words

    def placeholder(self, frame: _Frame, found: Placeholder) -> None:
        if found.filter is not None:
            placeholder = self.text[found.start : found.end]
            raise UnsafePlaceholder(self.text, found.start, _filter_reason(placeholder))
        if frame.refuse:
            self.refuse(found.start, frame.refuse)
        owner = frame.owner
        assert owner is not None  # every frame is pushed with one (push, the top frame)
        if frame.kind == "code":
            self.start_word(frame)
        if owner.word is not None and (frame.collect or frame.kind == "code"):
            owner.word.holes.append((len(owner.word.chars), found.start))
            owner.word.chars.append(HOLE)
        if owner.test is not None:
            owner.test.append(found.start)
        self.slots.append(Slot(found, quoted=frame.kind == "dq"))
        self.pos = found.end

    def start_word(self, frame: _Frame) -> None:
        if frame.word is None:
            frame.word = _Word()

    def add(self, frame: _Frame, chars: str) -> None:
        owner = frame.owner
        if owner is not None and owner.word is not None and (frame.collect or frame is owner):
            owner.word.chars.append(chars)

    def push(self, parent: _Frame, kind: str, refuse: str | None = None, **fields: Any) -> _Frame:
        frame = _Frame(kind, refuse=refuse or parent.refuse, **fields)
        frame.owner = frame if kind == "code" else parent.owner
        frame.collect = kind == "dq" and (parent.kind == "code" or parent.collect)
        if kind != "dq":
            self.add(parent, DYNAMIC)
        self.stack.append(frame)
        return frame

    def end_word(self, frame: _Frame) -> None:
        word, frame.word = frame.word, None
        if word is None:
            return
        static = "".join(word.chars)
        if frame.heredoc is not None:
            if word.holes:
                self.refuse(word.holes[0][1], "a here-document delimiter")
            self.heredocs.append((static.replace(DYNAMIC, ""), frame.heredoc))
            frame.heredoc = None
            return
        if frame.redirect:
            if frame.herestring and word.holes:
                frame.stdin_holes.append(word.holes[0][1])
            frame.redirect = frame.herestring = False
            return
        self.check_assignment(word, static)
        if frame.test is not None:
            self.in_test(frame, static)
        elif not frame.words and static in RESERVED:
            return
        elif not frame.words and static == "[[":
            frame.test = [offset for _, offset in word.holes]
        else:
            self.first_word(frame, static)
            frame.words.append((static, word))

    def first_word(self, frame: _Frame, static: str) -> None:
        if frame.words:
            return
        if static in NOT_A_COMMAND:
            frame.skip_command = True
        if static == "case":
            frame.case_depth += 1
        elif static == "esac" and frame.case_depth:
            frame.case_depth -= 1

    def in_test(self, frame: _Frame, static: str) -> None:
        if static == "]]":
            if frame.test and frame.test_arithmetic:
                self.refuse(
                    frame.test[0], "in a [[ … ]] that compares numbers or tests -v: use [ … ]"
                )
            frame.test, frame.test_arithmetic = None, False
        elif static in ARITHMETIC_TESTS:
            frame.test_arithmetic = True

    def check_assignment(self, word: _Word, static: str) -> None:
        match = ASSIGNMENT.match(static)
        if match is None or not word.holes:
            return
        for index, offset in word.holes:
            if index < match.end() - 1:
                self.refuse(offset, "in an array subscript, which bash evaluates as arithmetic")
            self.assigned.append((match.group(1), offset))

    def end_command(self, frame: _Frame) -> None:
        self.end_word(frame)
        words, frame.words = frame.words, []
        skip, frame.skip_command = frame.skip_command, False
        stdin, frame.stdin_holes = frame.stdin_holes, []
        frame.redirect, frame.herestring, frame.heredoc = False, False, None
        if not words or skip:
            return
        first = 0
        while first < len(words) and ASSIGNMENT.match(words[first][0]):
            first += 1
        words = words[first:]
        statics = [static for static, _ in words]
        self.note_integers(statics)
        program = program_of(statics, unwrap(statics, 0))[0]
        if stdin and program in STDIN_CODE:
            self.refuse(stdin[0], f"in a here-string given to {program}, which runs its input")
        for index, reason in code_arguments(statics):
            if words[index][1].holes:
                offset = words[index][1].holes[0][1]
                match = PLACEHOLDER.match(self.text, offset)
                assert match is not None  # a hole is where a placeholder was found
                raise UnsafePlaceholder(self.text, offset, _code_reason(reason, match))

    def note_integers(self, statics: list[str]) -> None:
        if not statics or statics[0] not in DECLARE:
            return
        options = "".join(w for w in statics[1:] if w.startswith(("-", "+")))
        if "i" in options or "n" in options:
            for word in statics[1:]:
                match = ASSIGNMENT.match(word + "=")
                if match:
                    self.integer_names.add(match.group(1))

    # contexts

    def code(self, frame: _Frame, ch: str) -> None:
        text, pos = self.text, self.pos
        if ch in " \t":
            self.end_word(frame)
            self.pos += 1
        elif ch == "\n":
            self.end_command(frame)
            self.pos += 1
            self.heredoc_bodies()
        elif ch == "#" and frame.word is None:
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            self.refuse_in(pos, end, INSIDE_COMMENT)
            self.pos = end
        elif ch == "&" and text.startswith(">", pos + 1):
            self.redirection(frame, 3 if text.startswith("&>>", pos) else 2)
        elif ch in ";&|":
            self.end_command(frame)
            self.pos += 1
        elif ch in "<>":
            self.redirection(frame, 0)
        elif ch == "(":
            self.open_paren(frame)
        elif ch == ")":
            self.close_paren(frame)
        else:
            self.start_word(frame)
            self.word_char(frame, ch)

    def word_char(self, frame: _Frame, ch: str) -> None:
        if ch == "'":
            self.single_quoted(frame)
        elif ch == '"':
            self.push(frame, "dq")
            self.pos += 1
        elif ch == "\\":
            self.backslash(frame, None)
        elif ch == "$":
            self.dollar(frame)
        elif ch == "`":
            self.backticks(frame)
        else:
            self.add(frame, ch)
            self.pos += 1

    def redirection(self, frame: _Frame, length: int) -> None:
        self.end_word(frame)
        text, pos = self.text, self.pos
        if length == 0:
            if text.startswith("<<<", pos):
                frame.herestring = True
                length = 3
            elif text.startswith("<<", pos):
                strip = text.startswith("<<-", pos)
                frame.heredoc = strip
                self.pos += 3 if strip else 2
                return
            else:
                length = 2 if text[pos + 1 : pos + 2] in ("<", ">", "&", "|") else 1
        frame.redirect = True
        self.pos += length

    def open_paren(self, frame: _Frame) -> None:
        if frame.word is None and self.text.startswith("((", self.pos):
            self.end_command(frame)
            self.push(frame, "arith", INSIDE_ARITHMETIC, close="))")
            self.pos += 2
            return
        self.end_command(frame)
        frame.depth += 1
        self.pos += 1

    def close_paren(self, frame: _Frame) -> None:
        self.end_command(frame)
        self.pos += 1
        if frame.depth:
            frame.depth -= 1
        elif frame.case_depth:
            pass  # the end of a case pattern
        elif frame.subst:
            self.stack.pop()

    def heredoc_bodies(self) -> None:
        text = self.text
        while self.heredocs:
            delimiter, strip = self.heredocs.pop(0)
            while self.pos < len(text):
                end = text.find("\n", self.pos)
                end = len(text) if end < 0 else end
                line = text[self.pos : end]
                start, self.pos = self.pos, end + 1
                if (line.lstrip("\t") if strip else line) == delimiter:
                    break
                self.refuse_in(start, end, INSIDE_HEREDOC)
            self.pos = min(self.pos, len(text))

    def single_quoted(self, frame: _Frame) -> None:
        start = self.pos + 1
        end = self.text.find("'", start)
        end = len(self.text) if end < 0 else end
        self.refuse_in(start, end, frame.refuse or INSIDE_SINGLE_QUOTES)
        self.add(frame, self.text[start:end])
        self.pos = end + 1

    def skip_to(self, frame: _Frame, start: int, closing: str, reason: str) -> None:
        """Skip a span that ends at an unescaped ``closing``; a placeholder in it is refused."""
        pos = start
        while pos < len(self.text) and self.text[pos] != closing:
            pos += 2 if self.text[pos] == "\\" else 1
        end = min(pos, len(self.text))
        self.refuse_in(start, end, frame.refuse or reason)
        self.add(frame, DYNAMIC)
        self.pos = end + 1

    def backticks(self, frame: _Frame) -> None:
        self.skip_to(frame, self.pos + 1, "`", INSIDE_BACKTICKS)

    def backslash(self, frame: _Frame, escapes: str | None) -> None:
        pos = self.pos
        if placeholder_at(self.text, pos + 1):
            self.refuse(pos + 1, "right after a backslash")
        following = self.text[pos + 1 : pos + 2]
        if following == "\n":
            self.pos += 2
        elif escapes is None or (following and following in escapes):
            self.add(frame, following)
            self.pos += 2
        else:
            self.add(frame, "\\")
            self.pos += 1

    def dollar(self, frame: _Frame) -> None:
        text, pos = self.text, self.pos
        if placeholder_at(text, pos + 1):
            self.refuse(pos + 1, "right after a $")
        if text.startswith("$((", pos):
            self.push(frame, "arith", INSIDE_ARITHMETIC, close="))")
            self.pos += 3
        elif text.startswith("$(", pos):
            self.push(frame, "code", subst=True)
            self.pos += 2
        elif text.startswith("${", pos):
            self.push(frame, "param", INSIDE_PARAMETER)
            self.pos += 2
        elif text.startswith("$[", pos):
            self.push(frame, "arith", INSIDE_ARITHMETIC, close="]")
            self.pos += 2
        elif text.startswith("$'", pos) and frame.kind == "code":
            self.skip_to(frame, pos + 2, "'", INSIDE_ANSI_QUOTES)
        elif text.startswith('$"', pos) and frame.kind == "code":
            self.push(frame, "dq", INSIDE_LOCALE_QUOTES)
            self.pos += 2
        else:
            name = re.match(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9#?@*!$-])?", text[pos : pos + 256])
            length = len(name.group(0)) if name else 1
            self.add(frame, DYNAMIC if length > 1 else "$")
            self.pos += length

    def double(self, frame: _Frame, ch: str) -> None:
        if ch == '"':
            self.stack.pop()
            self.pos += 1
        elif ch == "\\":
            self.backslash(frame, '$`"\\')
        elif ch == "$":
            self.dollar(frame)
        elif ch == "`":
            self.backticks(frame)
        else:
            self.add(frame, ch)
            self.pos += 1

    def param(self, frame: _Frame, ch: str) -> None:
        if ch == "}" and frame.depth == 0:
            self.stack.pop()
            self.pos += 1
        elif ch in "{}":
            frame.depth += 1 if ch == "{" else -1
            self.pos += 1
        elif ch == "'" and self.stack[-2].kind == "code":
            self.single_quoted(frame)
        else:
            self.nested(frame, ch)

    def arith(self, frame: _Frame, ch: str) -> None:
        if frame.depth == 0 and self.text.startswith(frame.close, self.pos):
            self.stack.pop()
            self.pos += len(frame.close)
        elif ch in "([":
            frame.depth += 1
            self.pos += 1
        elif ch in ")]" and frame.depth:
            frame.depth -= 1
            self.pos += 1
        else:
            self.nested(frame, ch)

    def nested(self, frame: _Frame, ch: str) -> None:
        """A character inside ${…} or arithmetic: only where it ends matters."""
        if ch == "\\":
            self.pos += 2
        elif ch == "$":
            self.dollar(frame)
        elif ch == "`":
            self.backticks(frame)
        elif ch == '"':
            self.push(frame, "dq")
            self.pos += 1
        else:
            self.pos += 1
