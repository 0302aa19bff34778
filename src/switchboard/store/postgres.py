"""PostgreSQL: many stateless Switchboard processes over one database (asyncpg pool).

The same logic as SQLite (`sql.SqlStore`). What differs is how writers are serialised: SQLite
holds one write lock for the whole file, PostgreSQL locks the account row (`FOR UPDATE`) where an
exact per-account rule needs it, and lets constraints (unique numbers, foreign keys to
applications) settle the remaining races.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import asyncpg

from switchboard.store.base import StoreUnavailable
from switchboard.store.sql import SqlStore
from switchboard.store.tx import IntegrityError, Row, Tx
from switchboard.twilio.dates import Clock
from switchboard.twilio.sids import SidSource

T = TypeVar("T")
_PLACEHOLDER = re.compile(r"\?")
_translated: dict[str, str] = {}


def _pg(sql: str) -> str:
    """`?` placeholders -> `$1, $2, ...`, once per statement text."""
    out = _translated.get(sql)
    if out is None:
        counter = iter(range(1, 10_000))
        out = _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)
        _translated[sql] = out
    return out


def asyncpg_dsn(database_url: str) -> str:
    """asyncpg takes `postgresql://`; SQLAlchemy-style `postgresql+driver://` is accepted too."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", database_url)


class PostgresTx(Tx):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        row = await self.conn.fetchrow(_pg(sql), *args)
        return tuple(row) if row is not None else None

    async def all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return [tuple(r) for r in await self.conn.fetch(_pg(sql), *args)]

    async def run(self, sql: str, args: Sequence[Any] = ()) -> int:
        try:
            status = await self.conn.execute(_pg(sql), *args)
        except asyncpg.UniqueViolationError as exc:
            raise IntegrityError("unique") from exc
        except asyncpg.ForeignKeyViolationError as exc:
            raise IntegrityError("foreign_key") from exc
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self.conn.executemany(_pg(sql), rows)

    async def lock_account(self, sid: str) -> None:
        await self.conn.execute("SELECT 1 FROM accounts WHERE sid = $1 FOR UPDATE", sid)

    async def lock_name(self, name: str) -> None:
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", name)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What the pool sends a connection on release: nothing. asyncpg's default reset is a round
    trip of four statements (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET
    ALL;`) after every read and write, for session state this store never leaves: its advisory
    locks are transaction-scoped, it opens no cursor outside a transaction, LISTENs to nothing
    and SETs nothing (`server_settings` belong to the connection). asyncpg itself still rolls
    back a transaction left open and drops listeners before calling this."""


class PostgresStore(SqlStore):
    SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"

    def __init__(
        self,
        database_url: str,
        *,
        clock: Clock,
        sids: SidSource,
        pool_size: int = 10,
        durable: bool = True,
    ) -> None:
        super().__init__(clock=clock, sids=sids)
        self.dsn = asyncpg_dsn(database_url)
        self.pool_size = pool_size
        self.durable = durable
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        if self._pool is None:
            settings = {} if self.durable else {"synchronous_commit": "off"}
            self._pool = await asyncpg.create_pool(
                self.dsn,
                min_size=1,
                max_size=self.pool_size,
                command_timeout=60,
                server_settings=settings,
                reset=_keep_session,
            )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("store is not open")
        return self._pool

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; failing to get one means the database is unavailable."""
        try:
            acquired = self.pool.acquire(timeout=10)
            conn = await acquired.__aenter__()
        except Exception as exc:
            raise StoreUnavailable(str(exc)) from exc
        try:
            yield conn
        finally:
            await acquired.__aexit__(None, None, None)

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[Tx]:
        async with self._connection() as conn:
            yield PostgresTx(conn)

    def reading(self) -> contextlib.AbstractAsyncContextManager[Tx]:
        return self._reading()

    async def _write(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        async with self._connection() as conn, conn.transaction():
            return await fn(PostgresTx(conn))

    async def ping(self) -> bool:
        try:
            async with self.pool.acquire(timeout=2) as conn:
                await conn.fetchval("SELECT 1", timeout=2)
        except Exception:
            return False
        return True

    def unavailable(self, exc: BaseException) -> bool:
        # A connection lost mid-statement counts too (the server went away).
        return isinstance(
            exc,
            StoreUnavailable
            | OSError
            | asyncpg.InterfaceError
            | asyncpg.CannotConnectNowError
            | asyncpg.PostgresConnectionError
            | asyncpg.AdminShutdownError
            # Class 53: disk full, out of memory, too many connections.
            | asyncpg.InsufficientResourcesError,
        )
