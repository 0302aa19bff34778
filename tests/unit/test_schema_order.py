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
