"""The migrations and `store/schema.py` describe the same database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import Server, query, run_cli
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection

from switchboard.store import migrate
from switchboard.store.schema import metadata


@pytest.fixture
def upgraded(database_url: str) -> str:
    run_cli("db", "upgrade", database_url=database_url)
    return database_url


@pytest.fixture
def connection(upgraded: str) -> Iterator[Connection]:
    engine = create_engine(migrate.sqlalchemy_url(upgraded))
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def head_revision() -> str:
    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert len(heads) == 1, f"more than one migration head: {heads}"
    return heads[0]


def test_upgraded_database_matches_schema_metadata(connection: Connection) -> None:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    diff = compare_metadata(context, metadata)
    assert diff == [], f"migrations and store/schema.py disagree: {diff}"


def test_upgraded_database_has_every_table(connection: Connection) -> None:
    tables = set(inspect(connection).get_table_names())
    assert set(metadata.tables) <= tables


def test_revision_is_head(upgraded: str, connection: Connection) -> None:
    head = head_revision()
    assert MigrationContext.configure(connection).get_current_revision() == head
    assert migrate.current_revision(upgraded) == head


def test_cli_reports_head_revision(database_url: str) -> None:
    out = run_cli("db", "upgrade", database_url=database_url)
    assert head_revision() in out.stdout


def test_one_linear_history() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    revisions = list(script.walk_revisions())
    assert revisions, "no migrations"
    assert revisions[-1].down_revision is None
    for rev in revisions:
        assert not rev.is_merge_point
        assert rev.module.__doc__, f"revision {rev.revision} has no docstring"


def test_server_start_leaves_database_at_head(tmp_path: Path, database_url: str) -> None:
    """`serve` migrates on start: a database it created is at head and matches the metadata."""
    url = database_url
    server = Server(url, tmp_path)
    server.start()
    server.stop()
    engine = create_engine(migrate.sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            assert context.get_current_revision() == head_revision()
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_upgrade_to_0004_counts_an_existing_request_log(database_url: str) -> None:
    """A database at 0003 with a request log: 0004 fills `log_sizes` from the rows there, so
    the first trim after the upgrade keeps exactly the newest."""
    engine = create_engine(migrate.sqlalchemy_url(database_url))
    try:
        with engine.begin() as conn:
            config = migrate.alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "0003")
            for i in range(3):
                conn.execute(
                    text(
                        "INSERT INTO traces (sid, account_sid, kind, status, body, date_created) "
                        "VALUES (:sid, :account, 'call', 'completed', '{}', 0)"
                    ),
                    {"sid": f"CA{i:032x}", "account": "AC" + "1" * 32},
                )
            conn.execute(
                text(
                    "INSERT INTO webhook_requests (sid, account_sid, trace_sid, body, "
                    "date_created) VALUES (:sid, :account, :trace, '{}', 0)"
                ),
                {"sid": "RQ" + "0" * 32, "account": "AC" + "2" * 32, "trace": "CA" + "0" * 32},
            )
    finally:
        engine.dispose()
    migrate.upgrade(database_url)
    rows = query(database_url, "SELECT account_sid, log, size FROM log_sizes ORDER BY log")
    assert [tuple(r) for r in rows] == [
        ("AC" + "1" * 32, "traces", 3),
        ("AC" + "2" * 32, "webhook_requests", 1),
    ]
