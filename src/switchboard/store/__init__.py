"""Persistence behind one interface (`Store`): SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from switchboard.store.base import Store
from switchboard.twilio.dates import Clock, system_clock
from switchboard.twilio.sids import SidSource


def open_store(
    database_url: str,
    *,
    clock: Clock = system_clock,
    sids: SidSource | None = None,
    durable: bool = True,
) -> Store:
    """The store for a database URL. The schema must already be migrated (`migrate.upgrade`).

    `durable=False` skips the flush to disk at each commit (SQLite `synchronous=OFF`,
    PostgreSQL `synchronous_commit=off`): for throwaway test databases only
    (`switchboard.testing`), where a commit then costs microseconds rather than an fsync. A crash
    of the process loses nothing; a crash of the machine may lose the last commits.
    """
    if database_url.startswith("sqlite:"):
        from switchboard.store.sqlite import SqliteStore

        return SqliteStore(database_url, clock=clock, sids=sids or SidSource(), durable=durable)
    if is_postgres(database_url):
        from switchboard.store.postgres import PostgresStore

        return PostgresStore(database_url, clock=clock, sids=sids or SidSource(), durable=durable)
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
