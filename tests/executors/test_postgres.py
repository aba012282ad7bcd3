"""Against the machine's PostgreSQL on 127.0.0.1:5432 with scratch databases."""

import os
import threading
import uuid

import psycopg
import pytest

from executors.postgres import PostgresExecutor, PostgresTarget, format_table

ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def postgres_up() -> bool:
    try:
        psycopg.connect(**ADMIN, connect_timeout=2).close()
    except psycopg.OperationalError:
        return False
    return True


pytestmark = pytest.mark.skipif(not postgres_up(), reason="PostgreSQL on 127.0.0.1:5432 is needed")


@pytest.fixture
def scratch_db():
    name = f"ic_scratch_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(**{**ADMIN, "dbname": name}, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL)")
        conn.execute("INSERT INTO orders (customer) SELECT 'c' || g FROM generate_series(1, 250) g")
        conn.execute("CREATE TABLE photos (id int PRIMARY KEY, path text)")
        conn.execute("INSERT INTO photos VALUES (1, 'media/orders/123/photo.jpg')")
    yield name
    with psycopg.connect(**ADMIN, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def executor(database: str) -> PostgresExecutor:
    target = PostgresTarget(host="127.0.0.1", port=5432, user="postgres", dbname=database)
    return PostgresExecutor(target=target, timeout=60)


def run(pg, action, **args):
    spec = pg.render({"action": action, "args": args}, {})
    lines = []
    result = pg.run(spec, lambda s, t: lines.append((s, t)), threading.Event())
    return result, "".join(t for _, t in lines)


def run_step(pg, step, params):
    spec = pg.render(step, params)
    lines = []
    result = pg.run(spec, lambda s, t: lines.append((s, t)), threading.Event())
    return result, "".join(t for _, t in lines)


INJECTION = "x'; DROP TABLE victim; SELECT '"


@pytest.fixture
def victim(scratch_db):
    with psycopg.connect(**{**ADMIN, "dbname": scratch_db}, autocommit=True) as conn:
        conn.execute("CREATE TABLE victim (name text)")
        conn.execute("INSERT INTO victim VALUES (%s), ('x'), ('50%% off')", [INJECTION])
    return scratch_db


def victim_rows(database: str) -> int:
    with psycopg.connect(**{**ADMIN, "dbname": database}) as conn:
        return conn.execute("SELECT count(*) FROM victim").fetchone()[0]


def test_a_query_value_is_bound_so_sql_in_it_is_matched_literally(victim):
    step = {
        "action": "query",
        "args": {"sql": "SELECT count(*) AS n FROM victim WHERE name = {{ v }}"},
    }
    result, text = run_step(executor(victim), step, {"v": INJECTION})
    assert (result.status, text) == ("succeeded", "n\n-\n1\n(1 row)\n")
    assert victim_rows(victim) == 3


def test_a_placeholder_inside_a_string_literal_is_refused_and_nothing_runs(victim):
    from executors.base import ExecutorError

    step = {"action": "query", "args": {"sql": "SELECT * FROM victim WHERE name = '{{ v }}'"}}
    with pytest.raises(ExecutorError, match="inside a string literal"):
        run_step(executor(victim), step, {"v": INJECTION})
    assert victim_rows(victim) == 3


def test_a_percent_sign_in_a_query_with_a_bound_value_stays_a_percent_sign(victim):
    sql = "SELECT name FROM victim WHERE name LIKE '%off' AND name <> {{ v }}"
    step = {"action": "query", "args": {"sql": sql}}
    result, text = run_step(executor(victim), step, {"v": "x"})
    assert (result.status, text) == ("succeeded", "name\n-------\n50% off\n(1 row)\n")


def test_an_identifier_placeholder_names_a_table_quoted(victim):
    step = {"action": "query", "args": {"sql": "SELECT count(*) AS n FROM {{ t | identifier }}"}}
    pg = executor(victim)
    result, text = run_step(pg, step, {"t": "victim"})
    assert (result.status, text) == ("succeeded", "n\n-\n3\n(1 row)\n")
    result, text = run_step(pg, step, {"t": 'victim"; DROP TABLE victim; --'})
    assert result.status == "failed" and "UndefinedTable" in text
    assert victim_rows(victim) == 3


def test_a_query_is_described_with_its_bound_values(victim):
    pg = executor(victim)
    sql = "DELETE FROM {{ t | identifier }} WHERE name = {{ v }}"
    step = {"action": "query", "args": {"sql": sql}}
    described = pg.describe(pg.render(step, {"t": "victim", "v": INJECTION}))
    assert described == (
        f"postgres query on postgres@127.0.0.1:5432/{victim}: "
        'DELETE FROM "victim" WHERE name = %(v)s\n'
        "with v = \"x'; DROP TABLE victim; SELECT '\""
    )


def test_the_connection_check_runs_select_1_and_reports_connections(scratch_db):
    result, text = run(executor(scratch_db), "check")
    assert result.status == "succeeded"
    assert "SELECT 1 → 1" in text and "connections" in text


def test_a_query_result_is_shown_as_a_table(scratch_db):
    result, text = run(
        executor(scratch_db), "query", sql="SELECT id, customer FROM orders ORDER BY id LIMIT 2"
    )
    assert result.status == "succeeded"
    assert text == "id | customer\n---+---------\n1  | c1\n2  | c2\n(2 rows)\n"


def test_a_bad_query_fails_with_the_servers_message(scratch_db):
    result, text = run(executor(scratch_db), "query", sql="SELECT * FROM missing_table")
    assert result.status == "failed"
    assert "UndefinedTable" in text


def test_an_unreachable_server_fails_with_a_clear_message():
    pg = PostgresExecutor(
        target=PostgresTarget(host="127.0.0.1", port=1, user="x", dbname="x"), timeout=5
    )
    result, text = run(pg, "check")
    assert result.status == "failed" and "cannot connect" in text


def test_backup_then_restore_brings_every_row_back(scratch_db, tmp_path):
    pg = executor(scratch_db)
    backup = tmp_path / "backup.sql.gz"
    result, text = run(pg, "backup", file=str(backup))
    assert result.status == "succeeded", text
    assert backup.stat().st_size > 0 and "sha256" in text
    with psycopg.connect(**{**ADMIN, "dbname": scratch_db}, autocommit=True) as conn:
        conn.execute("DROP TABLE orders")
    result, text = run(pg, "restore", file=str(backup))
    assert result.status == "succeeded", text
    assert "terminating connections" in text and "restored: 2 tables, 251 rows" in text
    assert pg.row_counts(scratch_db) == {"public.orders": 250, "public.photos": 1}


def test_the_workers_own_environment_never_reaches_pg_dump(scratch_db, tmp_path, monkeypatch):
    # A context of its own: the scratch database's teardown connects with the real environment.
    with monkeypatch.context() as patch:
        patch.setenv("PGSERVICE", "no-such-service")
        result, text = run(executor(scratch_db), "backup", file=str(tmp_path / "backup.sql.gz"))
    assert result.status == "succeeded", text


def test_the_environment_passed_in_is_the_one_pg_dump_starts_from(scratch_db, tmp_path):
    target = PostgresTarget(host="127.0.0.1", port=5432, user="postgres", dbname=scratch_db)
    env = {"PATH": os.environ["PATH"], "PGSERVICE": "no-such-service"}
    pg = PostgresExecutor(target=target, timeout=60, env=env)
    result, text = run(pg, "backup", file=str(tmp_path / "backup.sql.gz"))
    assert result.status == "failed"
    assert 'definition of service "no-such-service" not found' in text


def test_restoring_a_missing_file_changes_nothing(scratch_db, tmp_path):
    pg = executor(scratch_db)
    result, text = run(pg, "restore", file=str(tmp_path / "nope.sql.gz"))
    assert result.status == "failed" and "does not exist" in text
    assert pg.row_counts(scratch_db)["public.orders"] == 250


def test_a_database_name_is_validated():
    from executors.base import ExecutorError

    with pytest.raises(ExecutorError):
        executor("x").render({"action": "check", "args": {"database": "x; DROP"}}, {})


def test_tables_pad_columns_and_count_rows():
    assert format_table(["a"], [[None]]) == ["a\n", "----\n", "NULL\n", "(1 row)\n"]
