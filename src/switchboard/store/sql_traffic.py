"""Simulated traffic: traces and the webhook request log, each bounded to the newest rows of
an account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from switchboard.store.base import RequestFilter
from switchboard.store.sql_base import SqlBase
from switchboard.store.tx import Keyset, Tx, in_list_order, keyset, like_pattern
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
            await self._insert_requests(tx, account_sid, sid, requests, now)
            for table, added in (("traces", 1), ("webhook_requests", len(requests))):
                await self._trim_log(tx, table, account_sid, added, keep)

        await self._write(run)

    async def log_requests(
        self, account_sid: str, trace_sid: str, requests: list[dict[str, Any]], *, keep: int
    ) -> list[str]:
        async def run(tx: Tx) -> list[str]:
            sids = await self._insert_requests(tx, account_sid, trace_sid, requests, self.clock())
            await self._trim_log(tx, "webhook_requests", account_sid, len(requests), keep)
            return sids

        return await self._write(run)

    async def _insert_requests(
        self, tx: Tx, account_sid: str, trace_sid: str, requests: list[dict[str, Any]], now: int
    ) -> list[str]:
        """Each request as a row of the log (compact JSON: `_narrowing` relies on it)."""
        sids = [self.sids.new("RQ") for _ in requests]
        await tx.many(
            "INSERT INTO webhook_requests (sid, account_sid, trace_sid, body, date_created) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (sid, account_sid, trace_sid, orjson.dumps(r).decode(), now)
                for sid, r in zip(sids, requests, strict=True)
            ],
        )
        return sids

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

    async def list_requests(
        self, account_sid: str, page: Keyset, filters: RequestFilter | None = None
    ) -> list[Record]:
        filters = filters or RequestFilter()
        where, args = ["account_sid = ?"], [account_sid]
        if filters.trace_sid is not None:
            where.append("trace_sid = ?")
            args.append(filters.trace_sid)
        for pattern in _narrowing(filters):
            where.append("body LIKE ? ESCAPE '\\'")
            args.append(pattern)
        if not filters.on_body:  # the SQL is exact: one page, one query
            return await self._requests(where, args, page)
        # The body conditions are checked here, exactly; the SQL only narrows. Scan in batches
        # until the page is full or the log ends.
        batch = max(page.limit, 200)
        cursor = Keyset(page.after, page.before, batch)
        found: list[Record] = []
        while True:
            rows = await self._requests(list(where), list(args), cursor, in_order=False)
            found += [r for r in rows if filters.matches(r)]
            if len(found) >= page.limit or len(rows) < batch:
                return in_list_order(found[: page.limit], page)
            last = rows[-1]["sid"]
            cursor = Keyset(None, last, batch) if page.before else Keyset(last, None, batch)

    async def _requests(
        self, where: list[str], args: list[Any], page: Keyset, *, in_order: bool = True
    ) -> list[Record]:
        """A keyset page of the log; `in_order=False` leaves a `before` page closest-first."""
        tail = keyset(where, args, page, descending=True)
        async with self.reading() as tx:
            rows = await tx.all(
                "SELECT sid, trace_sid, body, date_created FROM webhook_requests "
                f"WHERE {' AND '.join(where)} {tail}",
                args,
            )
        if in_order:
            rows = in_list_order(rows, page)
        return [_request(row) for row in rows]

    async def get_request(self, account_sid: str, sid: str) -> Record | None:
        async with self.reading() as tx:
            row = await tx.one(
                "SELECT sid, trace_sid, body, date_created FROM webhook_requests "
                "WHERE account_sid = ? AND sid = ?",
                (account_sid, sid),
            )
        return _request(row) if row else None


def _request(row: Sequence[Any]) -> Record:
    sid, trace_sid, body, created = row
    return {"sid": sid, "trace_sid": trace_sid, "date_created": created, **orjson.loads(body)}


def _narrowing(filters: RequestFilter) -> list[str]:
    """LIKE patterns every stored body that `filters` match also matches (a superset: never
    one fewer). Bodies are compact JSON (`_insert_requests`), so a value appears in its row as
    its JSON text. `failed` has no such pattern; it is checked on the rows alone."""
    parts: list[str] = []
    if filters.purpose is not None:
        parts.append('"purpose":' + orjson.dumps(filters.purpose).decode())
    if filters.url is not None:
        parts.append(orjson.dumps(filters.url).decode()[1:-1])
    if filters.error_code is not None:
        parts.append(f'"error_code":{filters.error_code}')
    if filters.failed is False:
        parts.append('"error_code":null')
    return [like_pattern(part, any_one=None) for part in parts]
