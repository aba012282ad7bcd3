"""Which executor runs an imported command, and where.

A command an executor clearly does itself becomes that executor's step, with the executor's own
vocabulary (its actions, compose commands, methods): ``ssh host "cmd"`` → ssh, ``docker logs`` /
``docker compose restart`` → docker, ``psql -c`` → a postgres query, ``aws s3 …`` → s3,
``curl …/health`` → http.  Everything else is a shell step.  Command-line tools that talk to an
API (kubectl, oc, helm, aws, gcloud, az, terraform, redis-cli, psql) run on the console's worker,
and a note says the worker needs them and their credentials; a host's own service manager
(systemctl, journalctl, service) runs over SSH on the host it manages.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import Any

from executors.docker import COMPOSE_COMMANDS, DockerExecutor
from executors.http import METHODS
from executors.postgres import PostgresExecutor
from executors.s3 import S3Executor
from executors.shellwords import scan_script, unwrap
from executors.sqltext import scan_sql
from runbooks.importer.placeholders import VAR, fill_placeholders, parametrise_script, typed
from runbooks.importer.slugs import slugify

CONTROL = {"&&", "||", ";", "|", "&", "(", ")", ";;"}
# No command an executor maps (ssh host cmd, docker …, psql -c …) is longer; a longer one stays
# a shell step instead of going through shlex (slow, pure Python) once per mapper.
MAX_MAPPED_COMMAND = 4096
API_TOOLS = {"kubectl", "oc", "helm", "aws", "gcloud", "az", "terraform", "redis-cli", "psql", "gh"}
HOST_TOOLS = {"systemctl", "journalctl", "service"}
# The target a host's own command is given: named so that the Targets page says it is missing.
HOST_TARGET = "host"


def map_command(command: str) -> dict[str, Any]:
    """A step for one command: its executor, target, arguments and parameters (and, under
    ``review``, what a person should check before saving)."""
    words = _words(command)
    program = _program(words) if words else command.split(None, 1)[0] if command.split() else ""
    mapper = MAPPERS.get(program)
    if words and mapper:
        mapped = mapper(words, command)
        if mapped:
            return _args_parametrised(mapped)
    if program in HOST_TOOLS:
        step = shell_step(command, "ssh", HOST_TARGET)
        step["review"] = step.get("review", []) + [
            f"{program} acts on a host: the step runs over SSH on target “{HOST_TARGET}”; "
            "choose the host's target"
        ]
        return step
    step = shell_step(command)
    if program in API_TOOLS:
        step["review"] = step.get("review", []) + [
            f"runs on the console's worker, which needs {program} and its credentials"
        ]
    return step


def shell_step(command: str, executor: str = "shell", target: str | None = None) -> dict[str, Any]:
    filled = parametrise_script(command, scan_script)
    step: dict[str, Any] = {"executor": executor, "script": filled.text}
    if target:
        step["target"] = target
    if filled.params:
        step["params"] = filled.params
    if filled.review:
        step["review"] = filled.review
    return step


def query_step(sql: str, target: str = "database") -> dict[str, Any]:
    filled = fill_placeholders(sql, scan_sql)
    step: dict[str, Any] = {
        "executor": PostgresExecutor.kind,
        "target": target,
        "action": "query",
        "args": {"sql": filled.text},
    }
    if filled.params:
        step["params"] = filled.params
    if filled.review:
        step["review"] = filled.review
    return step


def _words(command: str) -> list[str] | None:
    """The words of one simple command, or None for pipelines, lists and substitutions."""
    if "\n" in command or len(command) > MAX_MAPPED_COMMAND:
        return None
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        words = shlex.split(command)
    except ValueError:
        return None
    if (CONTROL & set(tokens) and not _docker_grep(command)) or any(
        "$(" in w or "`" in w for w in words[:2]
    ):
        return None
    return words


def _docker_grep(command: str) -> bool:
    return command.lstrip().startswith(("docker ", "docker-compose ")) and command.count("|") == 1


def _program(words: list[str]) -> str:
    start = unwrap(words, 0)
    return words[start].rsplit("/", 1)[-1] if start < len(words) else ""


def _args_parametrised(step: dict[str, Any]) -> dict[str, Any]:
    """``$VARS`` inside an executor's arguments become declared parameters."""
    if "args" not in step:
        return step
    names: list[str] = []

    def fill(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        for braced, plain in VAR.findall(value):
            names.append(braced or plain)
        return VAR.sub(lambda m: f"{{{{ {(m.group(1) or m.group(2)).lower()} }}}}", value)

    step["args"] = {
        k: [fill(v) for v in val] if isinstance(val, list) else fill(val)
        for k, val in step["args"].items()
    }
    declared = {p["name"] for p in step.get("params", [])}
    new = [typed(n.lower(), f"${n}") for n in dict.fromkeys(names) if n.lower() not in declared]
    if new:
        step["params"] = step.get("params", []) + new
    return step


def target_name(name: str) -> str:
    return slugify(name.lstrip("$").replace("_", "-")) or "local"


def _ssh(words: list[str], command: str) -> dict[str, Any] | None:
    if len(words) != 3 or words[1].startswith("-"):
        return None
    return shell_step(words[2], "ssh", target_name(words[1]))


def _docker(words: list[str], command: str) -> dict[str, Any] | None:
    pipeline = [part.strip() for part in command.split("|")]
    first = _words(pipeline[0])
    if not first:
        return None
    match = None
    if len(pipeline) == 2:
        grep = _words(pipeline[1])
        if not grep or grep[0] != "grep" or len(grep) != 3 or grep[1] not in ("-i", "-iE"):
            return None
        match = grep[2]
    step = _docker_action(first)
    if step and match:
        step["args"]["match"] = match
    return step


def _docker_action(words: list[str]) -> dict[str, Any] | None:
    base = {"executor": DockerExecutor.kind, "target": "docker"}
    if words[0] == "docker-compose" or words[1:2] == ["compose"]:
        rest = words[1:] if words[0] == "docker-compose" else words[2:]
        if rest[:2] == ["up", "-d"]:
            rest = ["up", *rest[2:]]
        if rest and rest[0] in COMPOSE_COMMANDS and rest[0] != "logs":
            return {**base, "action": "compose", "args": {"command": rest[0], "services": rest[1:]}}
        return None
    if len(words) < 2:
        return None
    if words[1] == "logs":
        return _docker_logs(base, words[2:])
    if words[1:3] == ["system", "prune"]:
        flags = set(words[3:])
        return {
            **base,
            "action": "system_prune",
            "args": {"all": bool(flags & {"-a", "--all"}), "volumes": "--volumes" in flags},
        }
    if words[1:3] == ["system", "df"]:
        return {**base, "action": "system_df", "args": {}}
    if words[1:] == ["ps"]:
        return {**base, "action": "ps", "args": {}}
    return None


def _docker_logs(base: dict[str, Any], rest: list[str]) -> dict[str, Any] | None:
    tail = "100"
    if "--tail" in rest:
        index = rest.index("--tail")
        tail = rest[index + 1] if index + 1 < len(rest) else tail
        rest = rest[:index] + rest[index + 2 :]
    if len(rest) == 1:
        return {**base, "action": "logs", "args": {"container": rest[0], "tail": tail}}
    return None


def _psql(words: list[str], command: str) -> dict[str, Any] | None:
    if "-c" not in words or words.index("-c") + 1 >= len(words):
        return None
    host = words[words.index("-h") + 1] if "-h" in words[:-1] else "database"
    step = query_step(words[words.index("-c") + 1], target_name(host))
    return step


def _aws(words: list[str], command: str) -> dict[str, Any] | None:
    if len(words) < 3:
        return None
    options = _options(words[3:])
    if words[1] == "s3" and words[2] == "ls" and len(words) >= 4 and words[3].startswith("s3://"):
        bucket, _, prefix = words[3][5:].partition("/")
        return _s3(bucket, "list", {"prefix": prefix})
    if words[1] == "s3" and words[2] == "cp" and len(words) == 5 and words[3].startswith("s3://"):
        bucket, _, key = words[3][5:].partition("/")
        return _s3(bucket, "download", {"key": key, "file": words[4]})
    if words[1] != "s3api" or "--bucket" not in options:
        return None
    actions: dict[str, tuple[str, dict[str, Any]]] = {
        "list-object-versions": ("list_versions", {"prefix": options.get("--prefix", "")}),
        "get-bucket-versioning": ("versioning", {}),
        "get-bucket-lifecycle-configuration": ("lifecycle", {}),
        "restore-object": ("restore_object", {"key": options.get("--key", ""), "days": 7}),
    }
    if words[2] == "get-object" and options.get("--version-id") and len(words) % 2 == 0:
        args = {"key": options.get("--key", ""), "version_id": options["--version-id"]}
        return _s3(options["--bucket"], "get_version", {**args, "file": words[-1]})
    if words[2] in actions:
        action, args = actions[words[2]]
        return _s3(options["--bucket"], action, args)
    return None


def _options(words: list[str]) -> dict[str, str]:
    return {words[i]: words[i + 1] for i in range(len(words) - 1) if words[i].startswith("--")}


def _s3(bucket: str, action: str, args: dict[str, Any]) -> dict[str, Any]:
    assert action in S3Executor.ACTIONS
    return {
        "executor": S3Executor.kind,
        "target": target_name(bucket),
        "action": action,
        "args": {k: v for k, v in args.items() if v not in ("", None)},
    }


def _curl(words: list[str], command: str) -> dict[str, Any] | None:
    urls = [w for w in words[1:] if w.startswith(("http://", "https://"))]
    method = next(
        (words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-X", "--request")), "GET"
    )
    if len(urls) != 1 or "health" not in urls[0] or method.upper() not in METHODS:
        return None
    host = re.sub(r"https?://", "", urls[0]).split("/")[0].split(":")[0]
    return {
        "executor": "http",
        "target": target_name(host),
        "args": {"url": urls[0], "expect_status": 200},
    }


MAPPERS: dict[str, Callable[[list[str], str], dict[str, Any] | None]] = {
    "ssh": _ssh,
    "docker": _docker,
    "docker-compose": _docker,
    "psql": _psql,
    "aws": _aws,
    "curl": _curl,
}
