"""The runtime schema (store/schema.py, no SQLAlchemy) agrees with the SQLAlchemy one."""

from __future__ import annotations

import subprocess
import sys

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
