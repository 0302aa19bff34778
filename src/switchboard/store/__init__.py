"""Persistence behind one interface (`Store`): SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from switchboard.store.base import Store
from switchboard.twilio.dates import Clock, system_clock
from switchboard.twilio.sids import SidSource


def open_store(
    database_url: str, *, clock: Clock = system_clock, sids: SidSource | None = None
) -> Store:
    """The store for a database URL. The schema must already be migrated (`migrate.upgrade`)."""
    if database_url.startswith("sqlite:"):
        from switchboard.store.sqlite import SqliteStore

        return SqliteStore(database_url, clock=clock, sids=sids or SidSource())
    if is_postgres(database_url):
        from switchboard.store.postgres import PostgresStore

        return PostgresStore(database_url, clock=clock, sids=sids or SidSource())
    raise ValueError(
        f"unsupported database URL {redact_url(database_url)!r}: "
        "use sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
    )


def is_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgresql:", "postgres:", "postgresql+"))


def redact_url(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


__all__ = ["Store", "open_store", "redact_url"]
