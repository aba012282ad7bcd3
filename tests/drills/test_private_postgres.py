"""The private PostgreSQL the database drills stop and start under the console."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = [pytest.mark.service, pytest.mark.drill]


def test_a_private_postgresql_comes_back_on_the_same_port_with_its_data(private_postgres):
    with psycopg.connect(private_postgres.url(), autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (line text)")
        conn.execute("INSERT INTO kept VALUES ('written before the restart')")
    private_postgres.stop()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(private_postgres.url(), connect_timeout=2)
    private_postgres.start()
    with psycopg.connect(private_postgres.url()) as conn:
        assert conn.execute("SELECT line FROM kept").fetchall() == [("written before the restart",)]
