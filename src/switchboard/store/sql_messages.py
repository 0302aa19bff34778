"""Messages and their media, handsets (numbers outside Switchboard) and opt-outs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from switchboard.store.base import Handset, MessageFilter, NewJob, Sending, StepRead
from switchboard.store.schema import ACCOUNTS, MEDIA_TABLE, MESSAGES
from switchboard.store.sql_jobs import JobsSql
from switchboard.store.tx import Keyset, Tx, in_list_order, keyset
from switchboard.twilio.resources import Record

_HANDSET_COLUMNS = (
    "account_sid, phone_number, message_outcome, message_error_code, call_outcome, answered_by, "
    "call_duration, "
    "input, date_created, date_updated"
)

# What `Store.send_message` reads first: one row whatever exists (the handset's columns are
# NULL when the account set none).
# A step of a sent message: the message, its trace's body, its account's token (one read).
_FOR_STEP = (
    f"SELECT {', '.join(f'm.{c}' for c in MESSAGES.columns)}, t.body, "
    f"a.{ACCOUNTS.column_of['auth_token']} FROM messages m "
    "LEFT JOIN traces t ON t.account_sid = m.account_sid AND t.sid = m.sid "
    "AND t.kind = 'message' "
    "LEFT JOIN accounts a ON a.sid = m.account_sid "
    "WHERE m.account_sid = ? AND m.sid = ?"
)

_SENDING = (
    "SELECT (SELECT capabilities FROM incoming_phone_numbers "
    "WHERE account_sid = ? AND phone_number = ?), "
    "EXISTS (SELECT 1 FROM opt_outs WHERE account_sid = ? AND sender = ? AND recipient = ?), "
    "EXISTS (SELECT 1 FROM incoming_phone_numbers WHERE phone_number = ?), "
    + ", ".join(f"h.{column.strip()}" for column in _HANDSET_COLUMNS.split(","))
    + " FROM (SELECT 1 AS one) AS one LEFT JOIN handsets AS h "
    "ON h.account_sid = ? AND h.phone_number = ?"
)


def _sending(row: Sequence[Any]) -> Sending:
    capabilities, opted_out, ours, *handset = row
    if isinstance(capabilities, str | bytes):
        capabilities = orjson.loads(capabilities)
    found = _handset(handset) if handset[0] is not None else None
    return Sending(capabilities, bool(opted_out), bool(ours), found)


def _handset(row: Sequence[Any]) -> Handset:
    account_sid, number, message, code, call, answered_by, duration, input_, created, updated = row
    return Handset(
        account_sid,
        number,
        message,
        code,
        call,
        answered_by,
        int(duration),
        tuple(orjson.loads(input_)),
        created,
        updated,
    )


class MessagesSql(JobsSql):
    async def create_message(
        self, record: Record, media: Sequence[Record], jobs: Sequence[NewJob]
    ) -> Record:
        async def run(tx: Tx) -> Record:
            await self._insert_message(tx, record, media, jobs)
            return record

        out = await self._write(run)
        self._announce(jobs)
        return out

    async def send_message(
        self,
        record: Record,
        media: Sequence[Record],
        first_step: Callable[[Sending], Sequence[NewJob]],
    ) -> Record:
        jobs: list[NewJob] = []

        async def run(tx: Tx) -> Record:
            account_sid, sender, recipient = record["account_sid"], record["from"], record["to"]
            row = await tx.one(
                _SENDING,
                (account_sid, sender, account_sid, sender, recipient, recipient,
                 account_sid, recipient),
            )  # fmt: skip
            assert row is not None  # one row, always
            jobs[:] = first_step(_sending(row))
            await self._insert_message(tx, record, media, jobs)
            return record

        out = await self._write(run)
        self._announce(jobs)
        return out

    async def _insert_message(
        self, tx: Tx, record: Record, media: Sequence[Record], jobs: Sequence[NewJob]
    ) -> None:
        await tx.run(MESSAGES.insert, MESSAGES.row(record))
        if media:
            await tx.many(MEDIA_TABLE.insert, [MEDIA_TABLE.row(m) for m in media])
        await self._insert_jobs(tx, jobs)

    async def get_message(self, account_sid: str, sid: str) -> Record | None:
        async with self.reading() as tx:
            return await self._get(tx, MESSAGES, account_sid, sid)

    async def message_for_step(self, account_sid: str, sid: str) -> StepRead | None:
        async with self.reading() as tx:
            row = await tx.one(_FOR_STEP, (account_sid, sid))
        if row is None:
            return None
        *message, trace, auth_token = row
        return StepRead(
            MESSAGES.record(message), orjson.loads(trace) if trace is not None else None, auth_token
        )

    async def message_account(self, sid: str) -> str | None:
        return await self._owner(MESSAGES, sid)

    async def list_messages(
        self, account_sid: str, filters: MessageFilter, page: Keyset
    ) -> list[Record]:
        where: list[str] = ["account_sid = ?"]
        args: list[Any] = [account_sid]
        if filters.to is not None:
            where.append("to_ = ?")
            args.append(filters.to)
        if filters.from_ is not None:
            where.append("from_ = ?")
            args.append(filters.from_)
        if filters.sent_from is not None:
            where.append("date_sent >= ?")
            args.append(filters.sent_from)
        if filters.sent_until is not None:
            where.append("date_sent < ?")
            args.append(filters.sent_until)
        if filters.direction:
            where.append(f"direction IN ({', '.join('?' for _ in filters.direction)})")
            args.extend(filters.direction)
        if filters.status:
            where.append(f"status IN ({', '.join('?' for _ in filters.status)})")
            args.extend(filters.status)
        # SM and MM SIDs: ordered by their time-ordered part (`order_key`), tokens likewise.
        by_key = Keyset(
            page.after[2:] if page.after else None,
            page.before[2:] if page.before else None,
            page.limit,
        )
        tail = keyset(where, args, by_key, descending=True, column="order_key")
        async with self.reading() as tx:
            rows = await tx.all(f"{MESSAGES.select} WHERE {' AND '.join(where)} {tail}", args)
        return [MESSAGES.record(r) for r in in_list_order(rows, page)]

    async def update_message(
        self, account_sid: str, sid: str, changes: dict[str, Any]
    ) -> Record | None:
        async def run(tx: Tx) -> Record | None:
            record = await self._get(tx, MESSAGES, account_sid, sid)
            if record is None:
                return None
            return await self._update(tx, MESSAGES, record, changes, account_sid)

        return await self._write(run)

    async def delete_message(self, account_sid: str, sid: str) -> bool:
        async def run(tx: Tx) -> bool:
            gone = await tx.run(
                "DELETE FROM messages WHERE account_sid = ? AND sid = ?", (account_sid, sid)
            )
            if gone:
                await tx.run(
                    "DELETE FROM media WHERE account_sid = ? AND parent_sid = ?",
                    (account_sid, sid),
                )
            return gone > 0

        return await self._write(run)

    async def list_media(self, account_sid: str, message_sid: str, page: Keyset) -> list[Record]:
        where = ["account_sid = ?", "parent_sid = ?"]
        args: list[Any] = [account_sid, message_sid]
        tail = keyset(where, args, page)  # in the order given (MediaUrl0, MediaUrl1...)
        async with self.reading() as tx:
            rows = await tx.all(f"{MEDIA_TABLE.select} WHERE {' AND '.join(where)} {tail}", args)
        return [MEDIA_TABLE.record(r) for r in in_list_order(rows, page)]

    async def get_media(self, account_sid: str, message_sid: str, sid: str) -> Record | None:
        async with self.reading() as tx:
            record = await self._get(tx, MEDIA_TABLE, account_sid, sid)
        return record if record is not None and record["parent_sid"] == message_sid else None

    async def delete_media(self, account_sid: str, message_sid: str, sid: str) -> bool:
        async def run(tx: Tx) -> bool:
            gone = await tx.run(
                "DELETE FROM media WHERE account_sid = ? AND parent_sid = ? AND sid = ?",
                (account_sid, message_sid, sid),
            )
            return gone > 0

        return await self._write(run)

    # Handsets and opt-outs

    async def get_handset(self, account_sid: str, phone_number: str) -> Handset | None:
        async with self.reading() as tx:
            row = await tx.one(
                f"SELECT {_HANDSET_COLUMNS} FROM handsets "
                "WHERE account_sid = ? AND phone_number = ?",
                (account_sid, phone_number),
            )
        return _handset(row) if row else None

    async def put_handset(self, handset: Handset) -> Handset:
        now = self.clock()

        async def run(tx: Tx) -> Handset:
            row = await tx.one(
                f"INSERT INTO handsets ({_HANDSET_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (account_sid, phone_number) DO UPDATE SET "
                "message_outcome = excluded.message_outcome, "
                "message_error_code = excluded.message_error_code, "
                "call_outcome = excluded.call_outcome, answered_by = excluded.answered_by, "
                "call_duration = excluded.call_duration, input = excluded.input, "
                f"date_updated = excluded.date_updated RETURNING {_HANDSET_COLUMNS}",
                (
                    handset.account_sid,
                    handset.phone_number,
                    handset.message_outcome,
                    handset.message_error_code,
                    handset.call_outcome,
                    handset.answered_by,
                    handset.call_duration,
                    orjson.dumps(list(handset.input)).decode(),
                    now,
                    now,
                ),
            )
            assert row is not None
            return _handset(row)

        return await self._write(run)

    async def set_opt_out(self, account_sid: str, sender: str, recipient: str, out: bool) -> None:
        now = self.clock()

        async def run(tx: Tx) -> None:
            if out:
                await tx.run(
                    "INSERT INTO opt_outs (account_sid, sender, recipient, date_created) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (account_sid, sender, recipient) DO NOTHING",
                    (account_sid, sender, recipient, now),
                )
            else:
                await tx.run(
                    "DELETE FROM opt_outs WHERE account_sid = ? AND sender = ? AND recipient = ?",
                    (account_sid, sender, recipient),
                )

        await self._write(run)

    async def opted_out_of(self, account_sid: str, recipient: str) -> list[str]:
        async with self.reading() as tx:
            rows = await tx.all(
                "SELECT sender FROM opt_outs WHERE account_sid = ? AND recipient = ? "
                "ORDER BY sender",
                (account_sid, recipient),
            )
        return [row[0] for row in rows]
