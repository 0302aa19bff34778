"""Schema migrations (Alembic), applied by `serve` on start and by `switchboard db upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def sqlalchemy_url(database_url: str) -> str:
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
    engine = create_engine(sqlalchemy_url(database_url))
    if database_url.startswith("sqlite:"):
        Path(sqlite_path(database_url)).expanduser().parent.mkdir(parents=True, exist_ok=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA busy_timeout=30000")

    return engine


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(database_url: str) -> None:
    """Bring the schema to the newest revision (a no-op when it is there already)."""
    engine = _engine(database_url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()


def current_revision(database_url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = _engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
