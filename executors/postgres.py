"""PostgreSQL: queries shown as tables, the connection check, backup (pg_dump | gzip) and restore.

A restore does what restore-postgres.sh of the runbook does: terminate connections, recreate the
database, load the dump with psql, then verify table row counts.

A query's values are bound parameters and its identifiers quoted by psycopg (executors/sqltext.py
says where a placeholder may stand): a value never becomes SQL text.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from threading import Event
from typing import TYPE_CHECKING, Any, ClassVar

import psycopg
from psycopg import sql

from executors.base import (
    SYSTEM_PREFIX,
    Emit,
    ExecutorError,
    Result,
    Spec,
    human_bytes,
    param_value,
    render_args,
    require,
)
from executors.placeholders import UnsafePlaceholder
from executors.shell import ShellExecutor
from executors.sqltext import scan_sql

if TYPE_CHECKING:
    from executors.s3 import S3Executor

_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,62}$")
ROW_COUNTS_SQL = """
SELECT table_schema || '.' || table_name FROM information_schema.tables
WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1
"""


@dataclass(frozen=True)
class PostgresTarget:
    host: str
    dbname: str
    user: str
    port: int = 5432
    password: str | None = None
    sslmode: str = "prefer"
    connect_timeout: int = 10


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [[("NULL" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        return " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True))

    out = [line(columns), "-+-".join("-" * w for w in widths)] + [line(row) for row in cells]
    count = len(rows)
    return [f"{text.rstrip()}\n" for text in out] + [f"({count} row{'s' if count != 1 else ''})\n"]


def render_query(text: str, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The query psycopg runs, with ``%(name)s`` for each value and each identifier quoted, and
    the values to bind."""
    try:
        placeholders = scan_sql(text)
    except UnsafePlaceholder as exc:
        raise ExecutorError(f"sql: {exc}") from None
    values = {p.name: params[p.name] for p in placeholders if p.filter is None and p.name in params}

    def literal(part: str) -> str:
        # With values to bind, psycopg reads every % of the text as the start of a placeholder.
        return part.replace("%", "%%") if values else part

    pieces, done = [], 0
    for placeholder in placeholders:
        pieces.append(literal(text[done : placeholder.start]))
        if placeholder.filter == "identifier":
            pieces.append(literal(_identifier(param_value(params, placeholder.name))))
        else:
            param_value(params, placeholder.name)
            pieces.append(f"%({placeholder.name})s")
        done = placeholder.end
    return "".join(pieces) + literal(text[done:]), values


def _one_row(cursor: psycopg.Cursor[tuple[Any, ...]]) -> tuple[Any, ...]:
    row = cursor.fetchone()
    assert row is not None  # an aggregate or SHOW returns exactly one row
    return row


def _identifier(name: str) -> str:
    if not name:
        raise ExecutorError("an identifier cannot be empty")
    return sql.Identifier(name).as_string(None)


def database_name(value: Any) -> str:
    name = str(value or "")
    if not _DB_NAME.match(name):
        raise ExecutorError(f"{name!r} is not a valid database name")
    return name


class PostgresExecutor:
    kind: ClassVar[str] = "postgres"
    ACTIONS = ("check", "query", "row_counts", "backup", "restore")

    def __init__(
        self,
        *,
        target: PostgresTarget,
        timeout: float,
        max_rows: int = 500,
        backups: S3Executor | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """``backups`` is an S3 executor a restore can fetch ``key`` from; ``env`` is the
        environment pg_dump and psql start from (PATH, locale …), under the target's PG*
        variables: the caller decides what of its own environment they see."""
        self.target = target
        self.timeout = timeout
        self.max_rows = max_rows
        self.backups = backups
        self.env = dict(env or {})

    def render(self, step: Mapping[str, Any], params: Mapping[str, Any]) -> Spec:
        action = step.get("action")
        if action not in self.ACTIONS:
            raise ExecutorError(f"postgres action must be one of {self.ACTIONS}")
        raw = dict(step.get("args", {}))
        query = raw.pop("sql", None)
        args = render_args(raw, params)
        spec: Spec = {
            "action": action,
            "database": database_name(args.get("database") or self.target.dbname),
        }
        if action == "query":
            require({"sql": query}, "sql")
            spec["sql"], values = render_query(str(query), params)
            if values:
                spec["params"] = values
        if action == "restore" and args.get("key"):
            spec["key"] = str(args["key"])
        elif action in ("backup", "restore"):
            require(args, "file")
            spec["file"] = str(args["file"])
        return spec

    def describe(self, spec: Spec) -> str:
        where = f"{self.target.user}@{self.target.host}:{self.target.port}/{spec['database']}"
        detail = {
            "query": spec.get("sql"),
            "backup": f"pg_dump | gzip > {spec.get('file')}",
            "restore": f"restore {spec.get('file') or 's3 ' + str(spec.get('key'))} "
            "(recreates the database)",
        }
        text = f"postgres {spec['action']} on {where}: {detail.get(spec['action'], '')}".rstrip(
            ": "
        )
        values = spec.get("params") or {}
        return text + "".join(
            f"\nwith {name} = {json.dumps(value, ensure_ascii=False)}"
            for name, value in values.items()
        )

    def run(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        try:
            action: Callable[[Spec, Emit, Event], Result] = getattr(self, f"_{spec['action']}")
            return action(spec, emit, cancel)
        except psycopg.OperationalError as error:
            emit("stderr", f"{SYSTEM_PREFIX}cannot connect: {str(error).strip()}\n")
            return Result("failed", None, "connection failed")
        except psycopg.Error as error:
            emit("stderr", f"{SYSTEM_PREFIX}{type(error).__name__}: {str(error).strip()}\n")
            return Result("failed", None, type(error).__name__)

    def connect(self, database: str, **kwargs: Any) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(
            host=self.target.host,
            port=self.target.port,
            user=self.target.user,
            password=self.target.password,
            dbname=database,
            sslmode=self.target.sslmode,
            connect_timeout=self.target.connect_timeout,
            options=f"-c statement_timeout={int(self.timeout * 1000)}",
            **kwargs,
        )

    def _check(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        started = time.monotonic()
        with self.connect(spec["database"]) as conn:
            one = _one_row(conn.execute("SELECT 1"))[0]
            version = _one_row(conn.execute("SHOW server_version"))[0]
            used, limit = _one_row(
                conn.execute(
                    "SELECT count(*), current_setting('max_connections')::int FROM pg_stat_activity"
                )
            )
        emit("stdout", f"SELECT 1 → {one} in {(time.monotonic() - started) * 1000:.0f} ms\n")
        emit(
            "stdout",
            f"server version {version}; connections {used}/{limit} ({used * 100 // limit}%)\n",
        )
        return Result("succeeded", 0, outputs={"connections_used": used, "max_connections": limit})

    def _query(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        with self.connect(spec["database"], autocommit=True) as conn, conn.cursor() as cursor:
            cursor.execute(spec["sql"], spec.get("params") or None)
            if cursor.description is None:
                emit("stdout", f"{cursor.statusmessage}\n")
                return Result("succeeded", 0)
            rows = cursor.fetchmany(self.max_rows + 1)
            columns = [column.name for column in cursor.description]
        for line in format_table(columns, rows[: self.max_rows]):
            emit("stdout", line)
        if len(rows) > self.max_rows:
            emit("stdout", f"(only the first {self.max_rows} rows are shown)\n")
        return Result("succeeded", 0, outputs={"rows": len(rows)})

    def _row_counts(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        counts = self.row_counts(spec["database"])
        for line in format_table(["table", "rows"], sorted(counts.items())):
            emit("stdout", line)
        return Result("succeeded", 0, outputs={"tables": len(counts), "rows": sum(counts.values())})

    def row_counts(self, database: str) -> dict[str, int]:
        with self.connect(database) as conn:
            tables = [row[0] for row in conn.execute(ROW_COUNTS_SQL).fetchall()]
            counts = {}
            for table in tables:
                schema, name = table.split(".", 1)
                query = sql.SQL("SELECT count(*) FROM {}.{}").format(
                    sql.Identifier(schema), sql.Identifier(name)
                )
                counts[table] = _one_row(conn.execute(query))[0]
        return counts

    def _client_env(self) -> dict[str, str]:
        env = {
            **self.env,
            "PGHOST": self.target.host,
            "PGPORT": str(self.target.port),
            "PGUSER": self.target.user,
            "PGSSLMODE": self.target.sslmode,
        }
        if self.target.password:
            env["PGPASSWORD"] = self.target.password
        return env

    def _shell(self) -> ShellExecutor:
        return ShellExecutor(timeout=self.timeout, env=self._client_env())

    def _backup(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        path = Path(spec["file"])
        path.parent.mkdir(parents=True, exist_ok=True)
        emit("stdout", f"dumping {spec['database']} to {path}\n")
        script = 'set -o pipefail; pg_dump --no-owner --no-privileges -d "$1" | gzip > "$2"'
        result = self._shell().run(
            {"argv": ["bash", "-c", script, "backup", spec["database"], str(path)]}, emit, cancel
        )
        if result.status != "succeeded":
            return result
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        emit("stdout", f"wrote {human_bytes(path.stat().st_size)}, sha256 {digest}\n")
        return Result("succeeded", 0, outputs={"file": str(path), "bytes": path.stat().st_size})

    def _restore(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        if spec.get("key"):
            return self._restore_from_s3(spec, emit, cancel)
        path, database = Path(spec["file"]), spec["database"]
        if not path.is_file():
            emit("stderr", f"{SYSTEM_PREFIX}backup file {path} does not exist\n")
            return Result("failed", None, "backup file missing")
        emit(
            "stdout",
            f"restoring {path} ({human_bytes(path.stat().st_size)} compressed) into {database}\n",
        )
        self._recreate(database, emit)
        script = 'set -o pipefail; gunzip -c "$1" | psql -X -q -v ON_ERROR_STOP=1 -d "$2"'
        result = self._shell().run(
            {"argv": ["bash", "-c", script, "restore", str(path), database]}, emit, cancel
        )
        if result.status != "succeeded":
            emit(
                "stderr", f"{SYSTEM_PREFIX}restore failed; the database {database} is incomplete\n"
            )
            return result
        counts = self.row_counts(database)
        emit("stdout", f"restored: {len(counts)} tables, {sum(counts.values())} rows\n")
        for line in format_table(["table", "rows"], sorted(counts.items())):
            emit("stdout", line)
        return Result("succeeded", 0, outputs={"tables": len(counts), "rows": sum(counts.values())})

    def _restore_from_s3(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        """Download the object next to nothing else (a private temporary directory), restore it,
        and delete the download."""
        if self.backups is None:
            emit("stderr", f"{SYSTEM_PREFIX}this database target names no backups bucket\n")
            return Result("failed", None, "no backups bucket")
        with tempfile.TemporaryDirectory(prefix="restore-") as directory:
            local = str(Path(directory) / "backup.sql.gz")
            fetch = self.backups.run(
                {"action": "download", "key": spec["key"], "file": local}, emit, cancel
            )
            if fetch.status != "succeeded":
                return fetch
            return self._restore({**spec, "key": None, "file": local}, emit, cancel)

    def _recreate(self, database: str, emit: Emit) -> None:
        with self.connect("postgres", autocommit=True) as conn:
            emit("stdout", f"terminating connections to {database}\n")
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            )
            emit("stdout", f"dropping and creating {database}\n")
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
