"""The runtime schema (store/schema.py, no SQLAlchemy) agrees with the SQLAlchemy one."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from switchboard.store.metadata import metadata
from switchboard.store.schema import TABLES_CHILDREN_FIRST


def test_reset_empties_every_declared_table_children_first() -> None:
    assert tuple(t.name for t in reversed(metadata.sorted_tables)) == TABLES_CHILDREN_FIRST


def test_serving_imports_no_sqlalchemy() -> None:
    """What a server process imports (the app, the store, both servers' modules) leaves
    SQLAlchemy and Alembic out: they are for migrations, and cost about 15 MB per worker."""
    code = (
        "import sys, switchboard.api.servers, switchboard.api.app as a;"
        "from switchboard.store import open_store;"
        "open_store('sqlite:////nonexistent/x.db'); open_store('postgresql://x@127.0.0.1/x');"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'alembic'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_head_revision_read_from_the_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    from switchboard.store import migrate

    assert (
        migrate.head_revision()
        == ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    )


def test_at_head_only_when_the_schema_is_newest(tmp_path: Path) -> None:
    from switchboard.store import migrate

    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert not migrate.at_head(url)  # no file: Alembic decides (and creates it)
    migrate.upgrade(url)
    assert migrate.at_head(url)
    conn = sqlite3.connect(tmp_path / "x.db")
    conn.execute("UPDATE alembic_version SET version_num = '0001'")
    conn.commit()
    conn.close()
    assert not migrate.at_head(url)


def test_head_schema_files_are_the_metadata_rendered() -> None:
    """store/migrations/head.*.sql, what an empty database gets, is `metadata` as it is now,
    stamped with the newest revision (tests/ops/test_migrations.py compares the database it
    makes with the migrations')."""
    from switchboard.store import migrate
    from switchboard.store.metadata import head_schema_sql

    for dialect in migrate.DIALECTS:
        path = migrate.head_schema_path(dialect)
        assert path.read_text() == head_schema_sql(dialect, migrate.head_revision()), (
            f"{path.name} is stale: run `python -m switchboard.store.metadata`"
        )


def test_an_empty_database_gets_the_schema_without_sqlalchemy(tmp_path: Path) -> None:
    """No file, or an empty one: the newest schema in one transaction, stamped, with sqlite3
    alone (Alembic and SQLAlchemy cost `serve` 0.4-0.9 s of its start and a second
    interpreter)."""
    (tmp_path / "empty.db").touch()
    code = (
        "import sys; from switchboard.store import migrate;"
        f"[migrate.upgrade(f'sqlite:///{tmp_path}/{{n}}') for n in ('new/x.db', 'empty.db')];"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'alembic'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
    from switchboard.store import migrate

    for name in ("new/x.db", "empty.db"):
        conn = sqlite3.connect(tmp_path / name)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            [(revision,)] = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            conn.close()
        assert set(metadata.tables) | {"alembic_version"} <= tables
        assert revision == migrate.head_revision()


def test_a_database_with_any_table_is_left_to_alembic(tmp_path: Path) -> None:
    from switchboard.store import migrate

    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE other (x INTEGER)")
    conn.commit()
    conn.close()
    assert not migrate.create_if_empty(f"sqlite:///{path}")
    conn = sqlite3.connect(path)
    try:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["other"]
    finally:
        conn.close()
