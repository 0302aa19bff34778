"""Simulated traffic: traces and the webhook request log (each bounded to the newest rows of an
account), recordings, and interactive calls paused between two inputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from switchboard.store.base import LiveCall, RecordingFilter, RequestFilter, TraceWrite
from switchboard.store.schema import PHONE_NUMBERS, RECORDINGS
from switchboard.store.sql_base import SqlBase
from switchboard.store.tx import Keyset, Tx, in_list_order, keyset, like_pattern
from switchboard.twilio.resources import Record


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


_LOGS = {"traces": "traces", "webhook_requests": "webhook_requests"}  # log -> its table


class TrafficSql(SqlBase):
    # Traces and the request log

    async def save_traffic(
        self,
        traces: Sequence[TraceWrite],
        *,
        keep: int,
        live: LiveCall | None = None,
        finished: str | None = None,
    ) -> None:
        async def run(tx: Tx) -> None:
            await self._save_traces(tx, traces, keep)
            if live is not None:
                await self._keep_live(tx, live)
            if finished is not None:
                await tx.run("DELETE FROM live_calls WHERE sid = ?", (finished,))

        await self._write(run)

    async def _save_traces(self, tx: Tx, traces: Sequence[TraceWrite], keep: int) -> None:
        """Store each trace (insert, or replace its body) and its new requests; trim the logs."""
        now = self.clock()
        added: dict[tuple[str, str], int] = {}
        for t in traces:
            # Both logs of every account written to are trimmed (`keep` may have shrunk).
            added.setdefault((t.account_sid, "traces"), 0)
            added.setdefault((t.account_sid, "webhook_requests"), 0)
            body = _json(t.body)
            replaced = not t.new and await tx.run(
                "UPDATE traces SET status = ?, body = ? WHERE sid = ? AND account_sid = ?",
                (t.status, body, t.sid, t.account_sid),
            )
            if not replaced:
                await tx.run(
                    "INSERT INTO traces (sid, account_sid, kind, status, body, date_created) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (t.sid, t.account_sid, t.kind, t.status, body, now),
                )
                added[(t.account_sid, "traces")] += 1
            if t.requests:
                await self._insert_requests(tx, t.account_sid, t.sid, t.requests, now)
                added[(t.account_sid, "webhook_requests")] += len(t.requests)
        await self._count_logs(tx, added, keep)

    async def log_requests(
        self, account_sid: str, trace_sid: str, requests: list[dict[str, Any]], *, keep: int
    ) -> list[str]:
        async def run(tx: Tx) -> list[str]:
            rows = [(self.sids.new("RQ"), r) for r in requests]
            await self._insert_requests(tx, account_sid, trace_sid, rows, self.clock())
            await self._count_logs(tx, {(account_sid, "webhook_requests"): len(requests)}, keep)
            return [sid for sid, _ in rows]

        return await self._write(run)

    @staticmethod
    async def _insert_requests(
        tx: Tx,
        account_sid: str,
        trace_sid: str,
        requests: Sequence[tuple[str, dict[str, Any]]],
        now: int,
    ) -> None:
        """Each (SID, request) as a row of the log (compact JSON: `_narrowing` relies on it)."""
        await tx.many(
            "INSERT INTO webhook_requests (sid, account_sid, trace_sid, body, date_created) "
            "VALUES (?, ?, ?, ?, ?)",
            [(sid, account_sid, trace_sid, _json(r), now) for sid, r in requests],
        )

    async def _count_logs(self, tx: Tx, added: dict[tuple[str, str], int], keep: int) -> None:
        """Count the new rows of each (account, log) and trim the logs, in `tx` (a store whose
        writes share a transaction may do it once for all of them: SQLite's rounds)."""
        await self._trim_logs(tx, added, keep)

    @staticmethod
    async def _trim_logs(tx: Tx, added: dict[tuple[str, str], int], keep: int) -> None:
        """Count the new rows of each (account, log) in `added`, then delete each log's oldest
        rows beyond the newest `keep`. The size rows are locked until the transaction ends, in
        one order (sorted), so concurrent writers of one account's log count (and trim) one
        after the other. The counts as they now stand come back from the one upsert that
        makes them (all its rows fetched: SQLite finishes a writing statement only when it is
        stepped to its end)."""
        if not added:
            return
        keys = sorted(added)
        rows = await tx.all(
            "INSERT INTO log_sizes (account_sid, log, size) VALUES "
            + ", ".join("(?, ?, ?)" for _ in keys)
            + " ON CONFLICT (account_sid, log) DO UPDATE SET size = log_sizes.size + "
            "excluded.size RETURNING account_sid, log, size",
            [value for key in keys for value in (*key, added[key])],
        )
        for account_sid, log, size in rows:
            excess = size - keep
            if excess <= 0:
                continue
            table = _LOGS[log]  # the name of a table we wrote, never text from elsewhere
            # "Newest" is by SID (time-ordered), as the log is listed: the `excess` smallest
            # go, which leaves exactly the newest `keep` while the count matches the rows.
            deleted = await tx.run(
                f"DELETE FROM {table} WHERE sid IN (SELECT sid FROM {table} "
                "WHERE account_sid = ? ORDER BY sid LIMIT ?)",
                (account_sid, excess),
            )
            await tx.run(
                "UPDATE log_sizes SET size = size - ? WHERE account_sid = ? AND log = ?",
                (deleted, account_sid, table),
            )

    async def get_trace(
        self, account_sid: str, sid: str, kind: str, *, requests: bool = True
    ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        async with self.reading() as tx:
            row = await tx.one(
                "SELECT body FROM traces WHERE account_sid = ? AND sid = ? AND kind = ?",
                (account_sid, sid, kind),
            )
            if row is None:
                return None
            if not requests:
                return orjson.loads(row[0]), []
            rows = await tx.all(
                "SELECT sid, body FROM webhook_requests WHERE trace_sid = ? AND account_sid = ?",
                (sid, account_sid),
            )
        return orjson.loads(row[0]), [{"sid": s, **orjson.loads(b)} for s, b in rows]

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

    async def locate_number(self, phone_number: str) -> Record | None:
        async with self.reading() as tx:
            row = await tx.one(f"{PHONE_NUMBERS.select} WHERE phone_number = ?", (phone_number,))
        return PHONE_NUMBERS.record(row) if row else None

    # Recordings

    async def create_recording(self, values: dict[str, Any]) -> Record:
        record = self._new_record(RECORDINGS, values, values.get("sid"))

        async def run(tx: Tx) -> Record:
            await tx.run(RECORDINGS.insert, RECORDINGS.row(record))
            return record

        return await self._write(run)

    async def get_recording(self, account_sid: str, sid: str) -> Record | None:
        async with self.reading() as tx:
            return await self._get(tx, RECORDINGS, account_sid, sid)

    async def recording_account(self, sid: str) -> str | None:
        return await self._owner(RECORDINGS, sid)

    async def list_recordings(
        self, account_sid: str, filters: RecordingFilter, page: Keyset
    ) -> list[Record]:
        where: list[str] = ["account_sid = ?"]
        args: list[Any] = [account_sid]
        if filters.call_sid is not None:
            where.append("call_sid = ?")
            args.append(filters.call_sid)
        if filters.conference_sid is not None:
            where.append("conference_sid = ?")
            args.append(filters.conference_sid)
        if filters.created_from is not None:
            where.append("date_created >= ?")
            args.append(filters.created_from)
        if filters.created_before is not None:
            where.append("date_created < ?")
            args.append(filters.created_before)
        tail = keyset(where, args, page, descending=True)
        async with self.reading() as tx:
            rows = await tx.all(f"{RECORDINGS.select} WHERE {' AND '.join(where)} {tail}", args)
        return [RECORDINGS.record(r) for r in in_list_order(rows, page)]

    async def delete_recording(self, account_sid: str, sid: str) -> bool:
        return await self._delete(RECORDINGS, account_sid, sid)

    # Interactive calls

    @staticmethod
    async def _keep_live(tx: Tx, live: LiveCall) -> None:
        """Store (or replace) a paused call's state, released for the next continuation."""
        changed = await tx.run(
            "UPDATE live_calls SET state = ?, expires_at = ?, claimed_until = 0 WHERE sid = ?",
            (_json(live.state), live.expires_at, live.sid),
        )
        if not changed:
            await tx.run(
                "INSERT INTO live_calls (sid, account_sid, state, expires_at, claimed_until) "
                "VALUES (?, ?, ?, ?, 0)",
                (live.sid, live.account_sid, _json(live.state), live.expires_at),
            )

    async def claim_live_call(
        self, account_sid: str, sid: str, lease_until: int
    ) -> tuple[str, dict[str, Any] | None]:
        now = self.clock()

        async def run(tx: Tx) -> tuple[str, dict[str, Any] | None]:
            row = await tx.one(
                "UPDATE live_calls SET claimed_until = ? "
                "WHERE sid = ? AND account_sid = ? AND claimed_until < ? RETURNING state",
                (lease_until, sid, account_sid, now),
            )
            if row is not None:
                return "claimed", orjson.loads(row[0])
            exists = await tx.one(
                "SELECT 1 FROM live_calls WHERE sid = ? AND account_sid = ?", (sid, account_sid)
            )
            return ("busy" if exists else "gone"), None

        return await self._write(run)

    async def claim_expired_calls(
        self, lease_until: int, limit: int
    ) -> list[tuple[str, str, dict[str, Any]]]:
        now = self.clock()

        async def run(tx: Tx) -> list[tuple[str, str, dict[str, Any]]]:
            # The outer conditions are checked again on each row as it is updated, so two
            # processes sweeping at once never claim the same call.
            rows = await tx.all(
                "UPDATE live_calls SET claimed_until = ? "
                "WHERE expires_at < ? AND claimed_until < ? AND sid IN "
                "(SELECT sid FROM live_calls WHERE expires_at < ? AND claimed_until < ? "
                "ORDER BY expires_at LIMIT ?) RETURNING account_sid, sid, state",
                (lease_until, now, now, now, now, limit),
            )
            return [(a, s, orjson.loads(state)) for a, s, state in rows]

        return await self._write(run)


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
