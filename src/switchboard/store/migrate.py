"""Schema migrations (Alembic), applied by `serve` on start and by `switchboard db upgrade`.

Alembic and SQLAlchemy are imported only when a migration runs: the store imports this module
(`sqlite_path`), and Alembic's import alone took a fifth of an in-process server's start
(docs/testing.md); SQLAlchemy's would cost every serving process about 15 MB
(docs/performance.md). Neither is needed on a database at the newest schema (`at_head`), nor on
an empty one: that gets the newest schema in one transaction (`create_if_empty`), from SQL
rendered from `store/metadata.py` ahead of time (`migrations/head.*.sql`), stamped with its
revision, rather than from nine migrations each committed.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from alembic.config import Config
    from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
DIALECTS = ("sqlite", "postgresql")


MIGRATION_LOCK = 0x5357_4254  # pg_advisory_xact_lock key: one migrating process at a time
LOCK_WAIT = "60s"


class MigrationRefused(Exception):
    """The schema cannot be brought up to date safely; the message says why."""


def _lock_held() -> MigrationRefused:
    return MigrationRefused(
        f"another process has been migrating this database for over {LOCK_WAIT}; "
        "wait for it (or stop it), then start again"
    )


def sqlalchemy_url(database_url: str) -> str:
    """SQLAlchemy needs a driver name for PostgreSQL: psycopg 3 (migrations only)."""
    if database_url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + database_url.split("://", 1)[1]
    return database_url


def sqlite_path(database_url: str) -> str:
    """`sqlite:///./x.db` -> `./x.db`; `sqlite:////abs/x.db` -> `/abs/x.db`."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        raise ValueError(f"not a SQLite URL: {database_url!r} (expected sqlite:///PATH)")
    path = database_url[len(prefix) :]
    if not path or path == ":memory:":
        raise ValueError("Switchboard needs a SQLite file, not an in-memory database")
    return path


def _engine(database_url: str) -> Engine:
    from sqlalchemy import create_engine, event

    engine = create_engine(sqlalchemy_url(database_url))
    if database_url.startswith("sqlite:"):
        Path(sqlite_path(database_url)).expanduser().parent.mkdir(parents=True, exist_ok=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA busy_timeout=30000")

    return engine


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest revision, read from the migration files without Alembic: the one that no
    other names as its `down_revision` (a test holds it to Alembic's own head)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text()
        revision = re.search(r'^revision = "([^"]+)"', text, re.M)
        if revision is None:
            continue
        revisions.add(revision[1])
        parent = re.search(r'^down_revision = "([^"]+)"', text, re.M)
        if parent is not None:
            parents.add(parent[1])
    heads = revisions - parents
    if len(heads) != 1:
        raise MigrationRefused(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def _stamped(database_url: str) -> list[str] | None:
    """The revisions in `alembic_version`, read with the database's own driver (sqlite3,
    psycopg): Alembic and SQLAlchemy cost 0.5 to 1 s to import, most of a command's time. None
    when there is no such table (or no SQLite file: nothing is created); any other error (no
    server, not a database) is raised, in the driver's words."""
    query = "SELECT version_num FROM alembic_version"
    if database_url.startswith("sqlite:"):
        import sqlite3

        path = Path(sqlite_path(database_url)).expanduser()
        if not path.is_file():
            return None
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute(query).fetchall()
        except sqlite3.OperationalError as exc:
            if str(exc).startswith("no such table"):
                return None
            raise
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(database_url, connect_timeout=10) as pg:
            try:
                rows = pg.execute(query).fetchall()
            except psycopg.errors.UndefinedTable:
                return None
    return [row[0] for row in rows]


def at_head(database_url: str) -> bool:
    """Whether the schema is at the newest revision already: a server restarting on its
    database imports neither Alembic nor SQLAlchemy (0.3 to 0.9 s of its start). Any doubt (no
    file, no table, an error) says no, and `upgrade` runs Alembic, which decides."""
    try:
        return _stamped(database_url) == [head_revision()]
    except Exception:
        return False


def head_schema_path(dialect: str) -> Path:
    """The newest schema as SQL for `dialect` (sqlite, postgresql): rendered from
    `store/metadata.py` by `python -m switchboard.store.metadata`, never edited by hand."""
    return MIGRATIONS / f"head.{dialect}.sql"


def head_schema(dialect: str) -> list[str]:
    """The statements of a `head_schema_path` file (the last one stamps `alembic_version`)."""
    text = head_schema_path(dialect).read_text()
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";\n") if s.strip()]


def create_if_empty(database_url: str) -> bool:
    """On an empty database (a SQLite file absent or without tables, a PostgreSQL schema without
    tables): the newest schema, and its `alembic_version`, in one transaction, with the
    database's own driver; whether it did. A database with any table is left alone (Alembic
    decides what it needs). The check and the creation hold the same lock as a migration, so
    processes starting together on an empty database make the schema once."""
    if database_url.startswith("sqlite:"):
        return _create_sqlite(sqlite_path(database_url), head_schema("sqlite"))
    return _create_postgres(database_url, head_schema("postgresql"))


def _create_sqlite(path: str, statements: list[str]) -> bool:
    import sqlite3

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("BEGIN IMMEDIATE")  # the write lock: a second process waits, then sees ours
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            conn.execute("ROLLBACK")
            return False
        for statement in statements:
            conn.execute(statement)
        conn.execute("COMMIT")
        _wal(conn)  # as the store sets it; only once it is ours
    finally:
        conn.close()  # without COMMIT (an error above): nothing was made
    return True


def _wal(conn: sqlite3.Connection) -> None:
    """`journal_mode=WAL` on a file just made. The switch needs the file to itself, and while a
    process starting beside this one holds the write lock (for a moment: it waited in `BEGIN
    IMMEDIATE`, now finds the tables and rolls back) SQLite answers "locked" at once, without
    the busy timeout (waiting could deadlock it): 2 % of four threads starting together, until
    this waited it out."""
    import sqlite3

    deadline = time.monotonic() + 30
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _create_postgres(database_url: str, statements: list[str]) -> bool:
    import psycopg

    tables = "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
    with psycopg.connect(database_url, connect_timeout=10) as pg:  # commits on leaving
        try:
            pg.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
            pg.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        except psycopg.errors.LockNotAvailable:
            raise _lock_held() from None
        row = pg.execute(tables).fetchone()
        if row is None or row[0]:
            pg.rollback()
            return False
        for statement in statements:
            pg.execute(statement)  # our own file's SQL, no parameters
    return True


def upgrade(database_url: str) -> None:
    """Bring the schema to the newest revision: a no-op when it is there already, the whole
    schema at once on an empty database, Alembic's pending migrations otherwise (only then are
    Alembic and SQLAlchemy imported).

    Safe with many processes starting at once: on PostgreSQL the migration runs under a
    transaction-level advisory lock, so one process migrates and the others wait, then find
    nothing to do; SQLite's write lock does the same for a file. A database whose schema is newer
    than this code, or a lock that stays held, refuses with MigrationRefused.
    """
    if at_head(database_url):
        return
    create_if_empty(database_url)
    # At head now if the schema was made here, or by a process starting beside this one (whose
    # lock we waited for); not if the head file is older than the migrations (Alembic goes on).
    if at_head(database_url):
        return
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    engine = _engine(database_url)
    cfg = alembic_config()
    known = {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
                conn.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            from alembic.runtime.migration import MigrationContext

            current = MigrationContext.configure(conn).get_current_revision()
            if current is not None and current not in known:
                raise MigrationRefused(
                    f"the database schema is at revision {current}, newer than this "
                    "Switchboard knows: upgrade Switchboard, or point it at another database"
                )
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        if "lock timeout" in str(exc):
            raise _lock_held() from None
        raise
    except CommandError as exc:
        raise MigrationRefused(str(exc)) from None
    finally:
        engine.dispose()


def current_revision(database_url: str) -> str | None:
    """The schema's revision; None for a database without one (empty, or no SQLite file)."""
    revisions = _stamped(database_url)
    if not revisions:
        return None
    if len(revisions) > 1:  # as Alembic's `get_current_revision` refuses it
        raise MigrationRefused(f"the database has several revisions: {', '.join(revisions)}")
    return revisions[0]
