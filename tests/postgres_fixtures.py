"""The loopback PostgreSQL server of ``scripts/test-services.sh`` for the warehouse tests.

:func:`pg_server` (a session fixture, registered in ``tests/conftest.py``) finds the server or
skips (fails under ``CI=true``); :func:`fresh_database` gives a test module its own database and
drops it afterwards; :func:`copy_tables` writes a dataset's canonical tables into it with
``COPY`` (an ``INSERT`` per row takes a minute for the small demo); :func:`open_warehouse` opens
it as users do, through a password-less SQL URL with the password in the environment.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import ibis
import psycopg
import pyarrow.csv as pacsv
import pytest
from psycopg import sql

from salesops_lib.config import StageOrder
from salesops_lib.data import Dataset, connect
from salesops_lib.data.sources import PASSWORD_ENV


@dataclass(frozen=True)
class PgServer:
    """Where the test server listens and how the ``salesops`` role logs in."""

    host: str
    port: int
    user: str
    password: str
    database: str

    def url(self, database: str) -> str:
        """A source URL without the password, as users write it."""
        return f"postgres://{self.user}@{self.host}:{self.port}/{database}"

    def connect(self, database: str | None = None) -> psycopg.Connection:
        """An autocommit psycopg connection (fails fast when nothing listens)."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database or self.database,
            connect_timeout=3,
            autocommit=True,
        )


@pytest.fixture(scope="session")
def pg_server() -> PgServer:
    """The server of ``scripts/test-services.sh``; skip when unreachable (fail under CI)."""
    server = PgServer(
        host="127.0.0.1",
        port=int(os.environ.get("SALESOPS_TEST_PG_PORT", "54329")),
        user="salesops",
        password=os.environ.get("SALESOPS_TEST_PG_PASSWORD", "salesops-test"),
        database="salesops_test",
    )
    try:
        server.connect().close()
    except psycopg.OperationalError as exc:
        reason = (
            f"PostgreSQL test server not reachable at {server.host}:{server.port} "
            f"({str(exc).strip().splitlines()[0]}); run `scripts/test-services.sh start`"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return server


@contextmanager
def fresh_database(server: PgServer) -> Iterator[str]:
    """A new, empty database (its name), dropped afterwards even if connections remain."""
    name = f"salesops_t_{uuid.uuid4().hex[:12]}"
    with server.connect() as con:
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with server.connect() as con:
            con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def copy_tables(server: PgServer, database: str, dataset: Dataset) -> None:
    """Write every canonical table of ``dataset`` into ``database``, with the same Ibis types.

    Tables are created by Ibis from the Arrow schema (as ``create_table`` would) and filled with
    ``COPY … FROM STDIN (FORMAT csv)``: an empty unquoted field is NULL, a quoted one the empty
    string; Arrow writes floats in their shortest round-trip form, so values arrive exact.
    """
    loader = ibis.postgres.connect(
        host=server.host, port=server.port, user=server.user, password=server.password, database=database
    )
    try:
        for name in dataset.tables:
            data = dataset.table(name).to_pyarrow()
            loader.create_table(name, schema=ibis.Schema.from_pyarrow(data.schema))
            buffer = io.BytesIO()
            pacsv.write_csv(data, buffer, pacsv.WriteOptions(include_header=False))
            columns = sql.SQL(", ").join(sql.Identifier(c) for c in data.column_names)
            statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(sql.Identifier(name), columns)
            with loader.con.cursor() as cursor, loader.con.transaction():
                with cursor.copy(statement) as copy:
                    copy.write(buffer.getvalue())
                cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(name)))
    finally:
        loader.disconnect()


def open_warehouse(server: PgServer, database: str, stages: StageOrder | None = None) -> Dataset:
    """``database`` opened through its SQL URL, the password from :data:`PASSWORD_ENV` only."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(PASSWORD_ENV, server.password)
        env.delenv("PGPASSWORD", raising=False)
        return connect(server.url(database), stages=stages)


def assert_same_tables(warehouse: Dataset, local: Dataset) -> None:
    """The warehouse holds every canonical table of ``local`` whole, with the canonical types."""
    assert warehouse.kind == "sql" and warehouse.backend.name == "postgres"
    assert list(warehouse.tables) == list(local.tables)
    for name in local.tables:
        assert warehouse.table(name).schema() == local.table(name).schema(), name
        assert warehouse.table(name).count().execute() == local.table(name).count().execute(), name
