"""The SQL store's foundation: what a driver adapter supplies, and the record helpers every
concern (`sql_accounts`, `sql_resources`, `sql_traffic`, `sql_seed`) builds on."""

from __future__ import annotations

import contextlib
from abc import abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from switchboard.store.base import Store
from switchboard.store.schema import Table
from switchboard.store.tx import Keyset, Tx, in_list_order, keyset
from switchboard.twilio.dates import Clock
from switchboard.twilio.resources import Record
from switchboard.twilio.sids import SidSource

T = TypeVar("T")


class SqlBase(Store):
    # What claiming a job adds to its SELECT: PostgreSQL skips rows other transactions hold;
    # SQLite has one writer at a time, so there is nothing to skip.
    SKIP_LOCKED = ""

    def __init__(self, *, clock: Clock, sids: SidSource) -> None:
        self.clock = clock
        self.sids = sids

    # What an adapter (SQLite, PostgreSQL) supplies

    @abstractmethod
    def reading(self) -> contextlib.AbstractAsyncContextManager[Tx]:
        """A connection for reads (autocommit: each statement sees committed data)."""

    @abstractmethod
    async def _write(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """Run `fn` in one transaction; commit (durably) before returning; roll back on error."""

    # Record helpers

    @staticmethod
    async def _get(tx: Tx, table: Table, account_sid: str, sid: str) -> Record | None:
        row = await tx.one(table.select_one, (account_sid, sid))
        return table.record(row) if row else None

    async def _owner(self, table: Table, sid: str) -> str | None:
        async with self.reading() as tx:
            row = await tx.one(f"SELECT account_sid FROM {table.name} WHERE sid = ?", (sid,))
        return row[0] if row else None

    async def _list(
        self, table: Table, where: list[str], args: list[Any], page: Keyset
    ) -> list[Record]:
        tail = keyset(where, args, page)
        async with self.reading() as tx:
            rows = await tx.all(f"{table.select} WHERE {' AND '.join(where)} {tail}", args)
        return [table.record(r) for r in in_list_order(rows, page)]

    async def _update(
        self, tx: Tx, table: Table, record: Record, changes: dict[str, Any], account_sid: str
    ) -> Record:
        """Apply `changes` to `record` and to its row, which `account_sid` owns."""
        # date_updated moves on every update, even within the same microsecond.
        record.update(changes, date_updated=max(self.clock(), record["date_updated"] + 1))
        keys = [*changes, "date_updated"]
        await tx.run(
            f"UPDATE {table.name} SET {', '.join(f'{table.column_of[k]} = ?' for k in keys)} "
            "WHERE account_sid = ? AND sid = ?",
            [table.value(k, record[k]) for k in keys] + [account_sid, record["sid"]],
        )
        return record

    async def _delete(self, table: Table, account_sid: str, sid: str) -> bool:
        async def run(tx: Tx) -> bool:
            changed = await tx.run(
                f"DELETE FROM {table.name} WHERE account_sid = ? AND sid = ?", (account_sid, sid)
            )
            return changed > 0

        return await self._write(run)

    def _new_record(self, table: Table, values: dict[str, Any], sid: str | None = None) -> Record:
        """A new row's record: every stored field's default, the values, a fresh SID (unless
        given), the dates."""
        now = self.clock()
        return {
            **table.resource.defaults(),
            **values,
            "sid": sid or self.sids.new(table.resource.prefix),
            "date_created": now,
            "date_updated": now,
        }
