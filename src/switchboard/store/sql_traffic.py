"""Simulated traffic: traces and the webhook request log, each bounded to the newest rows of
an account."""

from __future__ import annotations

from typing import Any

import orjson

from switchboard.store.sql_base import SqlBase
from switchboard.store.tx import Keyset, Tx, in_list_order, keyset
from switchboard.twilio.resources import Record


class TrafficSql(SqlBase):
    async def save_trace(
        self,
        account_sid: str,
        sid: str,
        kind: str,
        status: str,
        body: dict[str, Any],
        requests: list[dict[str, Any]],
        *,
        keep: int,
    ) -> None:
        async def run(tx: Tx) -> None:
            now = self.clock()
            await tx.run(
                "INSERT INTO traces (sid, account_sid, kind, status, body, date_created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (sid, account_sid, kind, status, orjson.dumps(body).decode(), now),
            )
            await tx.many(
                "INSERT INTO webhook_requests (sid, account_sid, trace_sid, body, date_created) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (self.sids.new("RQ"), account_sid, sid, orjson.dumps(r).decode(), now)
                    for r in requests
                ],
            )
            for table, added in (("traces", 1), ("webhook_requests", len(requests))):
                await self._trim_log(tx, table, account_sid, added, keep)

        await self._write(run)

    @staticmethod
    async def _trim_log(tx: Tx, table: str, account_sid: str, added: int, keep: int) -> None:
        """Count `added` new rows of the account's log `table`, then delete its oldest rows
        beyond the newest `keep`. The size row is locked until the transaction ends, so
        concurrent writers of one account's log count (and trim) one after the other."""
        await tx.run(
            "INSERT INTO log_sizes (account_sid, log, size) VALUES (?, ?, ?) "
            "ON CONFLICT (account_sid, log) DO UPDATE SET size = log_sizes.size + excluded.size",
            (account_sid, table, added),
        )
        row = await tx.one(
            "SELECT size FROM log_sizes WHERE account_sid = ? AND log = ?", (account_sid, table)
        )
        excess = (row[0] if row else 0) - keep
        if excess <= 0:
            return
        # "Newest" is by SID (time-ordered), as the log is listed: the `excess` smallest go,
        # which leaves exactly the newest `keep` while the count matches the rows.
        deleted = await tx.run(
            f"DELETE FROM {table} WHERE sid IN (SELECT sid FROM {table} "
            "WHERE account_sid = ? ORDER BY sid LIMIT ?)",
            (account_sid, excess),
        )
        await tx.run(
            "UPDATE log_sizes SET size = size - ? WHERE account_sid = ? AND log = ?",
            (deleted, account_sid, table),
        )

    async def get_trace(self, account_sid: str, sid: str, kind: str) -> dict[str, Any] | None:
        async with self.reading() as tx:
            row = await tx.one(
                "SELECT body FROM traces WHERE account_sid = ? AND sid = ? AND kind = ?",
                (account_sid, sid, kind),
            )
        return orjson.loads(row[0]) if row else None

    async def list_requests(self, account_sid: str, page: Keyset) -> list[Record]:
        where, args = ["account_sid = ?"], [account_sid]
        tail = keyset(where, args, page, descending=True)
        async with self.reading() as tx:
            rows = await tx.all(
                "SELECT sid, trace_sid, body, date_created FROM webhook_requests "
                f"WHERE {' AND '.join(where)} {tail}",
                args,
            )
        return [
            {"sid": sid, "trace_sid": trace_sid, "date_created": created, **orjson.loads(body)}
            for sid, trace_sid, body, created in in_list_order(rows, page)
        ]
