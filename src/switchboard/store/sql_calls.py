"""Calls made with `Calls.json`: the record, written with its first jobs in one transaction, and
status changes that happen only from the status the caller expects (a cancel and a job moving
the same call on can never both win)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from switchboard.store.base import CallFilter, LiveCall, NewJob, TraceWrite
from switchboard.store.schema import CALLS
from switchboard.store.sql_jobs import JobsSql
from switchboard.store.tx import Keyset, Tx, in_list_order, keyset
from switchboard.twilio.resources import Record


class CallsSql(JobsSql):
    async def create_call(self, record: Record, jobs: Sequence[NewJob]) -> Record:
        async def run(tx: Tx) -> None:
            await tx.run(CALLS.insert, CALLS.row(record))
            await self._insert_jobs(tx, jobs)

        await self._write(run)
        self._announce(jobs)
        return record

    async def get_call(self, account_sid: str, sid: str) -> Record | None:
        async with self.reading() as tx:
            return await self._get(tx, CALLS, account_sid, sid)

    async def call_account(self, sid: str) -> str | None:
        return await self._owner(CALLS, sid)

    async def list_calls(self, account_sid: str, filters: CallFilter, page: Keyset) -> list[Record]:
        where: list[str] = ["account_sid = ?"]
        args: list[Any] = [account_sid]
        for column, value in (
            ("to_", filters.to),
            ("from_", filters.from_),
            ("parent_call_sid", filters.parent_call_sid),
            ("status", filters.status),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        for column, low, high in (
            ("start_time", filters.started_from, filters.started_before),
            ("end_time", filters.ended_from, filters.ended_before),
        ):
            if low is not None:
                where.append(f"{column} >= ?")
                args.append(low)
            if high is not None:
                where.append(f"{column} < ?")
                args.append(high)
        tail = keyset(where, args, page, descending=True)
        async with self.reading() as tx:
            rows = await tx.all(f"{CALLS.select} WHERE {' AND '.join(where)} {tail}", args)
        return [CALLS.record(r) for r in in_list_order(rows, page)]

    async def transition_call(
        self,
        account_sid: str,
        sid: str,
        expected: Sequence[str],
        changes: dict[str, Any],
        jobs: Sequence[NewJob] = (),
    ) -> Record | None:
        async def run(tx: Tx) -> Record | None:
            record = await self._get(tx, CALLS, account_sid, sid)
            if record is None or record["status"] not in expected:
                return None
            marks = ", ".join("?" for _ in expected)
            keys = [*changes, "date_updated"]
            now = max(self.clock(), record["date_updated"] + 1)
            values = {**changes, "date_updated": now}
            changed = await tx.run(
                f"UPDATE calls SET {', '.join(f'{CALLS.column_of[k]} = ?' for k in keys)} "
                f"WHERE account_sid = ? AND sid = ? AND status IN ({marks})",
                [CALLS.value(k, values[k]) for k in keys] + [account_sid, sid, *expected],
            )
            if not changed:
                return None
            await self._insert_jobs(tx, jobs)
            return {**record, **values}

        updated = await self._write(run)
        if updated is not None:
            self._announce(jobs)
        return updated

    async def save_call_traffic(
        self,
        traces: Sequence[TraceWrite],
        *,
        keep: int,
        live: LiveCall | None,
        finished: str | None,
        jobs: Sequence[NewJob],
        call: tuple[str, str, dict[str, Any]] | None = None,
        superseded: tuple[str, str] | None = None,
    ) -> None:
        async def run(tx: Tx) -> None:
            if superseded is not None:
                # Jobs nobody holds that this write makes pointless (a paused call's wait, once
                # it was continued another way); a claimed one runs and finds nothing to do.
                await tx.run(
                    "DELETE FROM jobs WHERE kind = ? AND subject = ? AND owner IS NULL",
                    superseded,
                )
            await self._save_traces(tx, traces, keep)
            if live is not None:
                await self._keep_live(tx, live)
            if finished is not None:
                await tx.run("DELETE FROM live_calls WHERE sid = ?", (finished,))
            await self._insert_jobs(tx, jobs)
            if call is not None:
                account_sid, sid, changes = call
                keys = [*changes, "date_updated"]
                values = {**changes, "date_updated": self.clock()}
                await tx.run(
                    f"UPDATE calls SET {', '.join(f'{CALLS.column_of[k]} = ?' for k in keys)} "
                    "WHERE account_sid = ? AND sid = ?",
                    [CALLS.value(k, values[k]) for k in keys] + [account_sid, sid],
                )

        await self._write(run)
        self._announce(jobs)

    async def delete_call(self, account_sid: str, sid: str) -> bool:
        return await self._delete(CALLS, account_sid, sid)
