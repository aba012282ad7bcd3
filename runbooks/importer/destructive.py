"""Whether an imported command may run with one click, needs a typed confirmation, or is
destructive — by a rule table, not by guesswork.

A command is **destructive** when any rule of ``DESTRUCTIVE_RULES`` matches it anywhere
(in a pipeline, after ``sudo``, inside ``ssh host "…"``).  It is **safe** only when every simple
command in it is a known read-only one (``READ_ONLY`` and the per-program sub-command tables).
Everything else — a program the table does not know, ``kubectl apply``, a script of the team's —
**needs confirmation**: an unknown command is never assumed harmless.  The import marks
destructive and unknown commands alike as ``destructive: true`` (typed confirmation before it
runs); the review notes say which rule decided, so a commander can clear the flag in the preview.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Literal

from executors.shellwords import SHELLS, program_of, unwrap
from runbooks.importer.placeholders import PLACEHOLDERS

Level = Literal["safe", "confirm", "destructive"]


@dataclass(frozen=True)
class Verdict:
    level: Level
    reason: str


def _rule(name: str, pattern: str, flags: int = re.IGNORECASE) -> tuple[str, re.Pattern[str]]:
    return name, re.compile(pattern, flags)


_CMD = r"(?:^|[\s;&|(`\"'])"  # where a command word may start
_ARGS = r"[^\n;&|]*?"  # the rest of the same simple command
DESTRUCTIVE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    _rule(
        "removes files (rm, rmdir, shred, unlink)", rf"{_CMD}(?:rm|rmdir|shred|unlink)(?:\s|$)", 0
    ),
    _rule(
        "deletes (delete, delete-…)",
        r"(?<![\w-])delete(?:-[\w-]+)?\b(?!\s+from\b)|(?<![\w-])-delete\b",
    ),
    _rule(
        "SQL DROP",
        r"\bdrop\s+(?:table|database|schema|index|view|user|role|owned|extension)\b|\bdropdb\b",
    ),
    _rule("truncates", r"\btruncate\b"),
    _rule(
        "Redis FLUSHALL / FLUSHDB / DEL / UNLINK / SHUTDOWN / CLIENT KILL",
        r"\bflush(?:all|db)\b|\bredis-cli\b.*\s(?:del|unlink|shutdown)\b|\bclient\s+kill\b",
    ),
    _rule("prunes", r"\bprune\b"),
    _rule("forces (--force, --grace-period=0)", r"--force\b|--grace-period[= ]0\b"),
    _rule(
        "terraform apply / destroy / state rm / taint",
        rf"\bterraform\b{_ARGS}\b(?:apply|destroy|taint|import|force-unlock)\b|\bterraform\s+state\s+(?:rm|mv|push)\b",
    ),
    _rule(
        "kubectl / oc delete, drain, cordon, evict",
        rf"\b(?:kubectl|oc)\b{_ARGS}\s(?:delete|drain|cordon|evict|replace)\b",
    ),
    _rule("scales to zero replicas", r"--replicas[= ]0\b"),
    _rule("rollout restart / undo", r"\brollout\s+(?:restart|undo)\b"),
    _rule(
        "helm uninstall / delete / rollback",
        rf"\bhelm\b{_ARGS}\s(?:uninstall|delete|rollback|del)\b",
    ),
    _rule(
        "stops or restarts a service (systemctl, service)",
        rf"\bsystemctl\b{_ARGS}\s(?:stop|restart|kill|disable|mask|isolate)\b|\bservice\s+\S+\s+(?:stop|restart)\b",
    ),
    _rule("pg_restore --clean", rf"\bpg_restore\b{_ARGS}(?:--clean|\s-c\b|\s-\w*c\w*\b)"),
    _rule(
        "SQL DELETE or UPDATE without WHERE",
        r"\b(?:delete\s+from\s+[\w.\"]+|update\s+[\w.\"]+\s+set\b)(?:(?!\bwhere\b)[^;])*+(?:;|$)",
    ),
    _rule(
        "docker rm / rmi / kill / stop / restart / down",
        rf"\bdocker(?:-compose)?\b{_ARGS}\s(?:rm|rmi|kill|stop|restart|down)\b",
    ),
    _rule(
        "stops, restarts or fails over a cloud resource",
        rf"\b(?:gcloud|az|aws)\b{_ARGS}\s(?:restart|reboot|stop|stop-instances|"
        r"reboot-instances|terminate-instances|promote-replica|failover|deallocate)\b",
    ),
    _rule(
        "kills processes or stops the machine",
        rf"{_CMD}(?:kill|pkill|killall|reboot|shutdown|halt|poweroff)(?:\s|$)|\bpg_terminate_backend\b",
        0,
    ),
    _rule(
        "formats or overwrites a disk (mkfs, dd, wipefs)",
        rf"{_CMD}(?:mkfs(?:\.\w+)?|wipefs|dd\s{_ARGS}\bof=)",
    ),
    _rule("aws s3 rm / rb / sync --delete", r"\baws\s+s3\s+(?:rm|rb)\b|\bs3\s+sync\b.*--delete\b"),
    _rule(
        "git push --force / reset --hard / clean", r"\bgit\b.*\s(?:reset\s+--hard|clean\s+-\w*f)"
    ),
    _rule(
        "firewall rules flushed or deleted, crontab removed",
        r"\biptables\s+-[FDX]\b|\bufw\s+(?:deny|delete|reset)\b|\bcrontab\s+-r\b",
    ),
    _rule("journal vacuum / rotate", r"--vacuum-\w+|\bjournalctl\b.*--rotate\b"),
    _rule("restores or rotates (overwrites what is there)", r"\brestore\b|\brotate\b"),
    _rule("starts or replaces containers (up -d)", r"\bup\s+-d\b"),
    _rule("sets a secret (secret set)", r"\bsecret\s+set\b"),
)

# Programs that only read, whatever their arguments (redirections aside).
READ_ONLY = {
    "ls", "cat", "head", "tail", "less", "more", "grep", "egrep", "fgrep", "zgrep", "zcat",
    "df", "du", "free", "uptime", "ps", "pgrep", "pstree", "top", "htop", "ss", "netstat",
    "lsof", "dig", "nslookup", "host", "ping", "traceroute", "mtr", "whoami", "id", "date",
    "echo", "printf", "wc", "sort", "uniq", "cut", "tr", "jq", "yq", "stat", "file", "env",
    "printenv", "hostname", "uname", "dmesg", "nc", "tree", "iostat", "vmstat", "mpstat", "sar",
    "lsblk", "blkid", "findmnt", "ip", "last", "who", "w", "nproc", "test", "[", "true", "sleep",
    "watch", "column", "diff", "md5sum", "sha256sum", "base64", "openssl", "which", "type",
    "getent", "groups", "timedatectl", "lscpu", "pg_isready", "wget", "journalctl", "awk",
    "pwd", "cd", "export", "tee", "xxd", "strings", "nl", "fold", "numfmt", "seq", "basename",
    "dirname", "realpath", "readlink", "ncdu", "iotop", "iftop", "sysctl", "ulimit",
}  # fmt: skip
# program: its read-only sub-commands (the first word after the program and its options).
READ_ONLY_SUBCOMMANDS = {
    "kubectl": {"get", "describe", "logs", "top", "explain", "api-resources", "api-versions",
                "version", "cluster-info", "config", "auth", "events", "wait", "diff"},
    "oc": {"get", "describe", "logs", "top", "explain", "api-resources", "version", "status",
           "whoami", "project", "projects", "config", "auth", "events", "wait", "adm"},
    "helm": {"list", "ls", "status", "history", "get", "show", "template", "search", "version",
             "env", "lint", "diff", "repo"},
    "systemctl": {"status", "is-active", "is-enabled", "is-failed", "list-units", "list-timers",
                  "show", "cat", "list-unit-files", "list-sockets"},
    "docker": {"ps", "logs", "inspect", "images", "stats", "top", "version", "info", "events",
               "port", "diff", "history", "system", "volume", "network", "container", "image"},
    "docker-compose": {"ps", "logs", "config", "top", "images", "ls", "version"},
    "terraform": {"plan", "show", "validate", "output", "fmt", "version", "providers", "state",
                  "graph"},
    "git": {"status", "log", "diff", "show", "branch", "remote", "fetch", "rev-parse", "describe",
            "blame"},
    "gh": {"run", "pr", "issue", "api", "repo"},
}  # fmt: skip
# aws/gcloud/az read-only operations: aws describe-…/list-…/get-…, gcloud … list/describe.
CLOUD_READ = re.compile(
    r"^(?:describe|list|get|head|show|read|tail|ls|filter-log-events|get-caller-identity)(?:-|$)"
)
CLOUD = {"aws", "gcloud", "az"}
REDIS_READ = {
    "info", "ping", "get", "mget", "exists", "ttl", "pttl", "type", "dbsize", "keys", "scan",
    "hget", "hgetall", "hlen", "hkeys", "llen", "lrange", "scard", "smembers", "zcard", "zrange",
    "xlen", "xinfo", "client", "config", "slowlog", "memory", "latency", "cluster", "role",
    "lastsave", "time", "strlen", "object", "--scan", "--bigkeys", "--memkeys", "--latency",
    "--stat", "--latency-history",
}  # fmt: skip
# Redis commands read-only only with some sub-commands (CONFIG GET, not CONFIG SET).
REDIS_SUBCOMMANDS_READ = {
    "config": {"get"},
    "client": {"list", "info", "getname", "id"},
    "memory": {"usage", "stats", "doctor", "malloc-stats"},
    "slowlog": {"get", "len"},
    "cluster": {"info", "nodes", "slots", "shards", "myid"},
    "latency": {"latest", "history", "doctor", "graph"},
    "object": {"encoding", "freq", "idletime", "refcount"},
}
SQL_READ = re.compile(r"^\s*(?:select|show|explain|with|table|values|\\[a-z])\b", re.IGNORECASE)
CONTROL = {"&&", "||", ";", "|", "&", "(", ")", ";;", "|&"}
# Longer commands are not read by the rules (each rule is linear, but there are many): they
# need confirmation.
MAX_CLASSIFIED = 8192
WRITE_REDIRECT = re.compile(r"(?<![<>&\d])>>?\s*(?!/dev/null|&|\s*/tmp/)(?=\S)")


# Shell keywords before a command, and loop heads whose words are not a command.
KEYWORDS = {
    "do",
    "then",
    "else",
    "elif",
    "if",
    "while",
    "until",
    "!",
    "{",
    "}",
    "done",
    "fi",
    "esac",
}
LOOP_HEADS = {"for", "case", "select", "in"}


def classify(command: str) -> Verdict:
    """How a command may be run: by the first destructive rule that matches, else safe only
    when every simple command in it is known to only read."""
    if len(command) > MAX_CLASSIFIED:
        return Verdict("confirm", "too long for the rules to read")
    for name, pattern in DESTRUCTIVE_RULES:
        if pattern.search(command):
            return Verdict("destructive", name)
    # A placeholder (<my-namespace>) is a value, not a redirection.
    first_line = PLACEHOLDERS.sub("value", command).split("<<", 1)[0]
    if WRITE_REDIRECT.search(_without_quotes(first_line)):
        return Verdict("confirm", "writes to a file")
    for words in _simple_commands(first_line):
        unknown = _not_read_only(words)
        if unknown:
            return Verdict("confirm", unknown)
    return Verdict("safe", "only reads")


def _without_quotes(text: str) -> str:
    return re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"", "''", text)


def _simple_commands(text: str) -> list[list[str]]:
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return [text.split()]
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token in CONTROL or set(token) <= set(";&|()"):
            commands.append([])
        else:
            commands[-1].append(token)
    return [words for words in commands if words]


def _not_read_only(words: list[str]) -> str:
    """Why a simple command is not known to only read ("" when it is)."""
    while words and (re.match(r"[A-Za-z_][A-Za-z0-9_]*=", words[0]) or words[0] in KEYWORDS):
        words = words[1:]
    if not words or words[0] in LOOP_HEADS or words == ["done"]:
        return ""
    start = unwrap(words, 0)
    program = program_of(words, start)[0]
    rest = _operands(words[start + 1 :])
    if program is None:
        return f"{words[start] if start < len(words) else words[0]} is not a known command"
    if program == "ssh":
        remote = rest[1:] if rest else []
        return _remote(" ".join(remote))
    if program in SHELLS and "-c" in words:
        return f"{program} -c runs a script the importer does not read"
    checker = _CHECKERS.get(program)
    if checker is not None:
        return checker(words[start:], rest)
    if program in READ_ONLY:
        return ""
    if program in READ_ONLY_SUBCOMMANDS:
        sub = _subcommand(program, rest)
        return "" if sub in READ_ONLY_SUBCOMMANDS[program] else f"{program} {sub} may change things"
    if (
        program == "aws"
        and rest[:2] in (["s3", "cp"], ["s3", "sync"])
        and rest[2:3]
        and rest[2].startswith("s3://")
    ):
        return ""  # a download to the worker
    if program in CLOUD:
        return (
            ""
            if any(CLOUD_READ.match(w) for w in rest)
            else f"{program} {' '.join(rest[:2])} may change things"
        )
    return f"{program} is not a command the importer knows to only read"


# Options whose value is the next word (kubectl -n shop logs …): not the sub-command.
OPTIONS_WITH_VALUES = {
    "-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server",
    "--kube-context", "--profile", "--region", "--project", "-g", "--resource-group", "-H",
    "--host", "-p", "--port", "-f", "--file", "-o", "--output",
}  # fmt: skip


def _operands(words: list[str]) -> list[str]:
    operands, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in OPTIONS_WITH_VALUES
        else:
            operands.append(word)
    return operands


def _subcommand(program: str, rest: list[str]) -> str:
    if program == "docker" and rest[:1] == ["compose"]:
        return rest[1] if len(rest) > 1 else ""
    return rest[0] if rest else ""


def _remote(command: str) -> str:
    if not command:
        return "ssh without a command opens a shell"
    verdict = classify(command)
    return "" if verdict.level == "safe" else verdict.reason


def _psql(words: list[str], rest: list[str]) -> str:
    for option in ("-c", "--command"):
        if option in words[:-1]:
            sql = words[words.index(option) + 1]
            return (
                ""
                if SQL_READ.match(sql) and ";" not in sql.strip().rstrip(";")
                else "psql runs SQL that may write"
            )
    return "" if "-l" in words or "--list" in words else "psql without -c runs whatever it reads"


def _redis(words: list[str], rest: list[str]) -> str:
    values = {"-h", "-p", "-a", "-n", "-u", "--user", "--pass", "-s", "--cacert", "--cert", "--key"}
    index = 1
    while (
        index < len(words)
        and words[index].startswith("-")
        and words[index].lower() not in REDIS_READ
    ):
        index += 2 if words[index] in values else 1
    command = words[index].lower() if index < len(words) else "--interactive"
    sub = words[index + 1].lower() if index + 1 < len(words) else ""
    if command in REDIS_SUBCOMMANDS_READ:
        if sub in REDIS_SUBCOMMANDS_READ[command]:
            return ""
        return f"redis-cli {command.upper()} {sub.upper()} may change the server"
    if command in REDIS_READ:
        return ""
    return f"redis-cli {command.upper()} may change data"


def _curl(words: list[str], rest: list[str]) -> str:
    writes = {"-d", "--data", "--data-raw", "--data-binary", "-F", "--form", "-T", "--upload-file"}
    method = next(
        (words[i + 1].upper() for i, w in enumerate(words[:-1]) if w in ("-X", "--request")), "GET"
    )
    if writes & set(words) or method not in ("GET", "HEAD"):
        return "curl sends data or a method other than GET"
    return ""


def _sed(words: list[str], rest: list[str]) -> str:
    return (
        "sed -i edits files in place"
        if any(w.startswith(("-i", "--in-place")) for w in words)
        else ""
    )


def _find(words: list[str], rest: list[str]) -> str:
    return (
        "find runs a command on what it finds"
        if {"-exec", "-execdir", "-ok", "-okdir"} & set(words)
        else ""
    )


_CHECKERS = {"psql": _psql, "redis-cli": _redis, "curl": _curl, "sed": _sed, "find": _find}
