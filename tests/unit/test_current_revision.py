"""`migrate.current_revision`, what every CLI command on an existing database asks first: read
with the database's own driver, never by importing Alembic and SQLAlchemy (0.5 to 1 s of each
command's time); None for a database without a schema, creating nothing; the driver's error
for a file that is not a database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from switchboard.store import migrate


def stamp(path: Path, *revisions: str) -> None:
    """Give the SQLite file at `path` Alembic's table, holding `revisions`."""
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)"
        )
        conn.executemany("INSERT INTO alembic_version VALUES (?)", [(r,) for r in revisions])


def test_a_missing_file_has_no_revision_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    assert migrate.current_revision(f"sqlite:///{path}") is None
    assert not path.exists()


def test_an_empty_database_has_none_and_a_stamped_one_its_own(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    url = f"sqlite:///{path}"
    sqlite3.connect(path).close()
    assert migrate.current_revision(url) is None
    stamp(path)
    assert migrate.current_revision(url) is None
    stamp(path, "0007")
    assert migrate.current_revision(url) == "0007"
    assert not migrate.at_head(url)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (migrate.head_revision(),))
    assert migrate.at_head(url)
    stamp(path, "0001")
    with pytest.raises(migrate.MigrationRefused, match="several revisions"):
        migrate.current_revision(url)
    assert not migrate.at_head(url)


def test_a_file_that_is_not_a_database_is_the_drivers_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        migrate.current_revision(f"sqlite:///{path}")
    assert not migrate.at_head(f"sqlite:///{path}")


def test_reading_the_revision_imports_neither_alembic_nor_sqlalchemy(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    stamp(path, "0007")
    script = (
        "import sys\n"
        "from switchboard.store import migrate\n"
        f"print(migrate.current_revision({f'sqlite:///{path}'!r}))\n"
        "print(sorted(m for m in ('alembic', 'sqlalchemy') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split("\n")[:2] == ["0007", "[]"], out


def test_a_relative_path_is_read_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sqlite:///./switchboard.db`, the default URL."""
    monkeypatch.chdir(tmp_path)
    stamp(tmp_path / "switchboard.db", migrate.head_revision())
    assert migrate.current_revision("sqlite:///./switchboard.db") == migrate.head_revision()
    assert migrate.at_head("sqlite:///./switchboard.db")
