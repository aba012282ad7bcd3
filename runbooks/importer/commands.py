"""The commands of a code block: one per command a person would type.

Line continuations, here-documents and ``for … done`` / ``if … fi`` stay whole.  Where the block
shows a terminal session — ``$ `` prompts (``# `` too in a ``console`` block), with or without
``user@host:~`` before them — each prompt starts a command and the lines after it, up to the next
prompt, are its sample output: kept as the step's expected output, never run.  A block with
``$ `` prompts reads ``# `` lines as comments; only a session block without any reads them as
root's prompt.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

# Blocks of these languages hold commands for a POSIX shell; "" is a fence without a language
# or an indented block.
SHELL_LANGUAGES = {"", "bash", "sh", "shell", "console", "zsh", "shell-session", "terminal", "ksh"}
# Languages whose blocks are terminal sessions, where "# " is root's prompt, not a comment.
SESSION_LANGUAGES = {"console", "shell-session", "terminal"}
_WHO = (
    r"(?:\[[^\]\n]{1,80}\]\s?|[\w.-]{1,64}@[\w.-]{1,64}(?::[^\s$#]{0,200})?\s?"
    r"|[\w.-]{1,64}(?::[^\s$#]{0,200})?)?"
)
USER_PROMPT = re.compile(rf"\s*+{_WHO}\$(?:\s|$)")
ANY_PROMPT = re.compile(rf"\s*+{_WHO}[$#](?:\s|$)")
CONTINUATION_PROMPT = re.compile(r"\s*+> ?")
# The prompts of database shells: a command typed there is SQL (psql, mysql) or a Redis
# command, not shell.  Each maps a prompt to (shell, whether it continues a statement).
REPL_PROMPTS = (
    (re.compile(r"\s*+[A-Za-z_][\w-]{0,62}+=[#>] "), "psql", False),
    (re.compile(r"\s*+[A-Za-z_]\w{0,62}+[-('\"][#>] "), "psql", True),
    (re.compile(r"\s*+mysql> "), "mysql", False),
    (re.compile(r"\s*+-> "), "mysql", True),
    (re.compile(r"\s*+[\w.-]{1,253}+:\d{1,5}+(?:\[\d{1,3}\])?>(?: |$)"), "redis", False),
)
# A word a command line may start with: not a timestamp, a number or punctuation.
COMMAND_WORD = re.compile(r"\s*+(?:sudo\s+)?[A-Za-z_./~$][\w./~${}+-]*+(?:\s|$)")
HEREDOC = re.compile(r"<<-?\s*+['\"]?(\w+)['\"]?")


@dataclass
class Command:
    comment: str  # the comment lines just before it: its title
    text: str
    expected_output: str = ""
    shell: str = ""  # "" for a shell command; psql, mysql or redis when typed at their prompt


def split_commands(lines: list[str], language: str = "") -> list[Command]:
    """The commands of a block's lines; comments after the last command come back as a
    Command without text (the caller keeps them as a note)."""
    lines = textwrap.dedent("\n".join(lines)).splitlines()
    if has_prompts(lines):
        return _join_cd(_Session(USER_PROMPT).read(lines))
    if language in SESSION_LANGUAGES and any(ANY_PROMPT.match(line) for line in lines):
        return _join_cd(_Session(ANY_PROMPT).read(lines))
    return _join_cd(_Script().read(lines))


class _Reader:
    """What both readers share: a command being gathered until it is complete."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.comment = ""
        self.buffer: list[str] = []
        self.heredoc: str | None = None
        self.quote = ""  # the quote a command's string was left open with, across lines
        self.depth = 0

    def gather(self, line: str) -> bool:
        """Add a line to the command being gathered; True once the command is complete."""
        stripped = line.strip()
        if self.heredoc is not None:
            self.buffer.append(line)
            if stripped == self.heredoc:
                self.heredoc = None
                return self.depth <= 0
            return False
        self.buffer.append(stripped if not self.buffer else line)
        self.quote = _quote_left_open(line, self.quote)
        if self.quote:
            return False
        if match := HEREDOC.search(stripped):
            self.heredoc = match.group(1)
            return False
        self.depth += _opens(stripped) - _closes(stripped)
        return not (stripped.endswith("\\") or self.depth > 0)

    def finish(self) -> Command:
        command = Command(self.comment, "\n".join(self.buffer))
        self.commands.append(command)
        self.comment, self.buffer, self.depth, self.quote = "", [], 0, ""
        return command

    def note(self, text: str) -> None:
        self.comment = (
            f"{self.comment}. {text}" if self.comment and text else (text or self.comment)
        )


class _Script(_Reader):
    def read(self, lines: list[str]) -> list[Command]:
        for raw in lines:
            line = raw.rstrip()
            if not self.buffer and self.heredoc is None:
                if not line.strip():
                    continue
                if line.strip().startswith("#"):
                    self.note(line.strip().lstrip("#").strip())
                    continue
            if self.gather(line):
                self.finish()
        if self.buffer:
            self.finish()
        elif self.comment:
            self.commands.append(Command(self.comment, ""))
        return self.commands


class _Session(_Reader):
    def __init__(self, prompt: re.Pattern[str]) -> None:
        super().__init__()
        self.prompt = prompt
        self.output: list[str] = []
        self.last: Command | None = None

    def read(self, lines: list[str]) -> list[Command]:
        for raw in lines:
            line = raw.rstrip()
            if self.buffer:
                if self.heredoc is None:
                    line = CONTINUATION_PROMPT.sub("", line, count=1)
                if self.gather(line):
                    self.last = self.finish()
                continue
            repl = _repl_prompt(line)
            if repl and repl[2] and self.last is not None and self.last.shell == repl[1]:
                self.last.text += "\n" + line[repl[0] :]  # a statement's next line
                continue
            if not repl and _unfinished_sql(self.last) and not self.prompt.match(line):
                assert self.last is not None
                self.last.text += "\n" + line  # psql shows no prompt in a pasted statement
                continue
            if repl:
                self._output_done()
                if line[repl[0] :].strip():  # a prompt with nothing typed is the session's end
                    self.last = self.finish_typed(line[repl[0] :], repl[1])
            elif match := self.prompt.match(line):
                self._output_done()
                if self.gather(line[match.end() :]):
                    self.last = self.finish()
            elif self.last is None and line.strip().startswith("#"):
                self.note(line.strip().lstrip("#").strip())
            elif self.last is not None or line.strip():
                self.output.append(line)
        if self.buffer:
            self.last = self.finish()
        self._output_done()
        if self.comment:
            self.commands.append(Command(self.comment, ""))
        return self.commands

    def finish_typed(self, text: str, shell: str) -> Command:
        command = Command(self.comment, text.strip(), shell=shell)
        self.commands.append(command)
        self.comment = ""
        return command

    def _output_done(self) -> None:
        text = "\n".join(self.output).strip("\n")
        if self.last is not None and text:
            self.last.expected_output = text
        elif text:  # lines before the first prompt: a comment for the first command
            self.note(text)
        self.output = []


def _quote_left_open(line: str, quote: str) -> str:
    """The quote still open at the end of ``line`` ("" when none), given the one open before:
    a string in quotes may span lines (``psql -c "SELECT …`` ⏎ ``WHERE …"``)."""
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\" and quote != "'":
            index += 2
            continue
        if not quote:
            if char == "#" and (index == 0 or line[index - 1].isspace()):
                break  # a comment: its apostrophes quote nothing
            if char in "'\"":
                quote = char
        elif char == quote:
            quote = ""
        index += 1
    return quote


def _unfinished_sql(command: Command | None) -> bool:
    """A statement typed at psql's prompt that has not reached its ``;`` yet."""
    if command is None or command.shell != "psql" or command.text.startswith("\\"):
        return False
    return not command.text.rstrip().endswith(";")


def _repl_prompt(line: str) -> tuple[int, str, bool] | None:
    """(where the typed text starts, the shell, whether it continues) for a database prompt."""
    for pattern, shell, continues in REPL_PROMPTS:
        if match := pattern.match(line):
            return match.end(), shell, continues
    return None


def has_prompts(lines: list[str]) -> bool:
    """Whether a block shows a terminal or a database shell: prompts before what is typed."""
    return any(USER_PROMPT.match(line) or _repl_prompt(line) for line in lines)


def looks_like_commands(lines: list[str]) -> bool:
    """Whether a block without a language holds commands at all: in a log excerpt, a table of
    numbers or a message template, most lines do not start with a word a command could."""
    commands = [c.text for c in _Script().read(textwrap.dedent("\n".join(lines)).splitlines())]
    plausible = sum(1 for text in commands if text and COMMAND_WORD.match(text))
    return plausible * 2 > len([text for text in commands if text])


def _join_cd(commands: list[Command]) -> list[Command]:
    """A lone ``cd DIR`` belongs to the command after it."""
    joined: list[Command] = []
    pending: Command | None = None
    for command in commands:
        if re.fullmatch(r"cd\s+\S+", command.text.strip()):
            pending = command
            continue
        if pending:
            command = Command(
                pending.comment or command.comment,
                f"{pending.text.strip()} && {command.text}",
                command.expected_output,
            )
            pending = None
        joined.append(command)
    if pending:
        joined.append(pending)
    return joined


def _opens(line: str) -> int:
    return len(re.findall(r"(?:^|[;&|]\s*|\s)(for|while|until|if|case)\b", line))


def _closes(line: str) -> int:
    return len(re.findall(r"(?:^|[;&|]\s*|\s)(done|fi|esac)\b", line))
