"""The embedded store: one SQLite file in WAL mode.

Reads run inline on the event loop's own connection: they take microseconds and WAL readers
never wait for writers. Writes go to one writer thread with its own connection, so an fsync
(`synchronous=FULL`: a committed write survives a crash) never stalls the event loop. Each write is
a `BEGIN IMMEDIATE` transaction, which also serialises writers of other processes on the same
file, so the per-account application limit holds across `--workers`.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import orjson

from switchboard.store.base import Keyset, NumberFilter, Store
from switchboard.store.migrate import sqlite_path
from switchboard.store.tables import (
    ACCOUNT_COLUMNS,
    APPLICATIONS,
    KEY_COLUMNS,
    PHONE_NUMBERS,
    TableSpec,
)
from switchboard.twilio import errors, rules
from switchboard.twilio.dates import Clock
from switchboard.twilio.fields import APPLICATION_LIMIT, format_phone_number
from switchboard.twilio.resources import Account, Record
from switchboard.twilio.sids import SidSource, new_auth_token

T = TypeVar("T")
Conn = sqlite3.Connection
APP_LINKS = ("voice_application_sid", "sms_application_sid")
KEY_KEYS = tuple(c.strip() for c in KEY_COLUMNS.split(","))


def _account(row: Sequence[Any]) -> Account:
    sid, owner, name, status, type_, token, is_main, created, updated = row
    return Account(sid, owner, name, status, type_, token, bool(is_main), created, updated)


def _connect(path: str) -> Conn:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _keyset(where: list[str], args: list[Any], page: Keyset) -> str:
    """Adds the keyset condition; returns the ORDER BY ... LIMIT tail."""
    order = "ASC"
    if page.after is not None:
        where.append("sid > ?")
        args.append(page.after)
    elif page.before is not None:
        where.append("sid < ?")
        args.append(page.before)
        order = "DESC"
    args.append(page.limit)
    return f"ORDER BY sid {order} LIMIT ?"


def _ascending(rows: list[Any], page: Keyset) -> list[Any]:
    if page.before is not None:
        rows.reverse()
    return rows


class SqliteStore(Store):
    def __init__(self, database_url: str, *, clock: Clock, sids: SidSource) -> None:
        self.path = sqlite_path(database_url)
        self.clock = clock
        self.sids = sids
        self._reader: Conn | None = None
        self._writer_local = threading.local()
        self._executor: ThreadPoolExecutor | None = None

    # Connections

    async def open(self) -> None:
        if self._reader is not None:
            return
        self._reader = _connect(self.path)
        self._reader.execute("PRAGMA query_only=ON")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    async def close(self) -> None:
        if self._executor is not None:
            self._executor.submit(self._close_writer).result()
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _close_writer(self) -> None:
        conn = getattr(self._writer_local, "conn", None)
        if conn is not None:
            conn.close()
            self._writer_local.conn = None

    def _writer(self) -> Conn:
        conn: Conn | None = getattr(self._writer_local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._writer_local.conn = conn
        return conn

    @property
    def reader(self) -> Conn:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader

    async def _write(self, fn: Callable[[Conn], T]) -> T:
        """Run `fn` in one IMMEDIATE transaction on the writer thread; commit before returning."""
        if self._executor is None:
            raise RuntimeError("store is not open")

        def run() -> T:
            conn = self._writer()
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        return await asyncio.get_running_loop().run_in_executor(self._executor, run)

    async def ping(self) -> bool:
        try:
            self.reader.execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    # Generic record helpers

    def _get(self, conn: Conn, spec: TableSpec, account_sid: str, sid: str) -> Record | None:
        row = conn.execute(
            f"{spec.select} WHERE account_sid = ? AND sid = ?", (account_sid, sid)
        ).fetchone()
        return spec.record(row) if row else None

    def _owner(self, spec: TableSpec, sid: str) -> str | None:
        row = self.reader.execute(
            f"SELECT account_sid FROM {spec.name} WHERE sid = ?", (sid,)
        ).fetchone()
        return row[0] if row else None

    def _list(
        self, spec: TableSpec, where: list[str], args: list[Any], page: Keyset
    ) -> list[Record]:
        tail = _keyset(where, args, page)
        rows = self.reader.execute(
            f"{spec.select} WHERE {' AND '.join(where)} {tail}", args
        ).fetchall()
        return [spec.record(r) for r in _ascending(rows, page)]

    def _update(
        self,
        conn: Conn,
        spec: TableSpec,
        record: Record,
        changes: dict[str, Any],
        where_account: str,
    ) -> Record:
        # date_updated moves on every update, even within the same microsecond.
        record.update(changes, date_updated=max(self.clock(), record["date_updated"] + 1))
        keys = [*changes, "date_updated"]
        conn.execute(
            f"UPDATE {spec.name} SET {', '.join(f'{k} = ?' for k in keys)} "
            "WHERE account_sid = ? AND sid = ?",
            [spec.value(k, record[k]) for k in keys] + [where_account, record["sid"]],
        )
        return record

    def _delete(self, spec: TableSpec, account_sid: str, sid: str) -> Callable[[Conn], bool]:
        def run(conn: Conn) -> bool:
            cur = conn.execute(
                f"DELETE FROM {spec.name} WHERE account_sid = ? AND sid = ?", (account_sid, sid)
            )
            return cur.rowcount > 0

        return run

    # Accounts

    async def get_account(self, sid: str) -> Account | None:
        row = self.reader.execute(
            f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE sid = ?", (sid,)
        ).fetchone()
        return _account(row) if row else None

    async def list_accounts(self) -> list[Account]:
        rows = self.reader.execute(f"SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY sid")
        return [_account(r) for r in rows]

    async def list_account_family(
        self, root_sid: str, *, friendly_name: str | None, status: str | None, page: Keyset
    ) -> list[Account]:
        where = ["(sid = ? OR owner_account_sid = ?)"]
        args: list[Any] = [root_sid, root_sid]
        if friendly_name is not None:
            where.append("friendly_name = ?")
            args.append(friendly_name)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        tail = _keyset(where, args, page)
        rows = self.reader.execute(
            f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {' AND '.join(where)} {tail}", args
        ).fetchall()
        return [_account(r) for r in _ascending(rows, page)]

    def _insert_account(
        self,
        conn: Conn,
        friendly_name: str,
        owner_sid: str | None,
        sid: str | None,
        auth_token: str | None,
        is_main: bool,
    ) -> Account:
        now = self.clock()
        sid = sid or self.sids.new("AC")
        account = Account(
            sid=sid,
            owner_account_sid=owner_sid or sid,
            friendly_name=friendly_name,
            status="active",
            type="Full",
            auth_token=auth_token or new_auth_token(),
            is_main=is_main,
            date_created=now,
            date_updated=now,
        )
        conn.execute(
            f"INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account.sid,
                account.owner_account_sid,
                account.friendly_name,
                account.status,
                account.type,
                account.auth_token,
                int(account.is_main),
                account.date_created,
                account.date_updated,
            ),
        )
        return account

    async def create_account(
        self,
        friendly_name: str,
        *,
        owner_sid: str | None = None,
        sid: str | None = None,
        auth_token: str | None = None,
        is_main: bool = False,
    ) -> Account:
        return await self._write(
            lambda conn: self._insert_account(
                conn, friendly_name, owner_sid, sid, auth_token, is_main
            )
        )

    async def update_account(
        self, sid: str, *, friendly_name: str | None = None, status: str | None = None
    ) -> Account | None:
        def run(conn: Conn) -> Account | None:
            row = conn.execute(
                f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE sid = ?", (sid,)
            ).fetchone()
            if row is None:
                return None
            account = _account(row)
            if status is not None:
                rules.check_status_change(account.status, status)
            updated = max(self.clock(), account.date_updated + 1)
            conn.execute(
                "UPDATE accounts SET friendly_name = ?, status = ?, date_updated = ? WHERE sid = ?",
                (
                    friendly_name if friendly_name is not None else account.friendly_name,
                    status if status is not None else account.status,
                    updated,
                    sid,
                ),
            )
            row = conn.execute(
                f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE sid = ?", (sid,)
            ).fetchone()
            return _account(row)

        return await self._write(run)

    async def ensure_main_account(
        self, sid: str | None, auth_token: str | None
    ) -> tuple[Account, bool]:
        def run(conn: Conn) -> tuple[Account, bool]:
            select = f"SELECT {ACCOUNT_COLUMNS} FROM accounts"
            if sid is not None and auth_token is not None:
                row = conn.execute(f"{select} WHERE sid = ?", (sid,)).fetchone()
                if row is None:
                    return self._insert_account(
                        conn, "Main account", None, sid, auth_token, True
                    ), True
                conn.execute(
                    "UPDATE accounts SET auth_token = ?, is_main = 1, status = 'active', "
                    "date_updated = ? WHERE sid = ? AND (auth_token != ? OR is_main = 0 "
                    "OR status != 'active')",
                    (auth_token, self.clock(), sid, auth_token),
                )
                row = conn.execute(f"{select} WHERE sid = ?", (sid,)).fetchone()
                return _account(row), False
            row = conn.execute(f"{select} WHERE is_main = 1 ORDER BY sid LIMIT 1").fetchone()
            if row is not None:
                return _account(row), False
            return self._insert_account(conn, "Main account", None, None, None, True), True

        return await self._write(run)

    # API keys

    async def create_key(
        self, account_sid: str, friendly_name: str | None, secret_hash: str
    ) -> Record:
        def run(conn: Conn) -> Record:
            now = self.clock()
            record = dict(
                zip(
                    KEY_KEYS,
                    (self.sids.new("SK"), account_sid, friendly_name, secret_hash, now, now),
                    strict=True,
                )
            )
            conn.execute(
                f"INSERT INTO api_keys ({KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                [record[k] for k in KEY_KEYS],
            )
            return record

        return await self._write(run)

    async def get_key(self, sid: str) -> Record | None:
        row = self.reader.execute(
            f"SELECT {KEY_COLUMNS} FROM api_keys WHERE sid = ?", (sid,)
        ).fetchone()
        return dict(zip(KEY_KEYS, row, strict=True)) if row else None

    async def list_keys(self, account_sid: str, page: Keyset) -> list[Record]:
        where, args = ["account_sid = ?"], [account_sid]
        tail = _keyset(where, args, page)
        rows = self.reader.execute(
            f"SELECT {KEY_COLUMNS} FROM api_keys WHERE {' AND '.join(where)} {tail}", args
        ).fetchall()
        return [dict(zip(KEY_KEYS, r, strict=True)) for r in _ascending(rows, page)]

    async def update_key(self, account_sid: str, sid: str, friendly_name: str) -> Record | None:
        def run(conn: Conn) -> Record | None:
            row = conn.execute(
                f"SELECT {KEY_COLUMNS} FROM api_keys WHERE account_sid = ? AND sid = ?",
                (account_sid, sid),
            ).fetchone()
            if row is None:
                return None
            record = dict(zip(KEY_KEYS, row, strict=True))
            record["friendly_name"] = friendly_name
            record["date_updated"] = max(self.clock(), record["date_updated"] + 1)
            conn.execute(
                "UPDATE api_keys SET friendly_name = ?, date_updated = ? WHERE sid = ?",
                (friendly_name, record["date_updated"], sid),
            )
            return record

        return await self._write(run)

    async def delete_key(self, account_sid: str, sid: str) -> bool:
        def run(conn: Conn) -> bool:
            cur = conn.execute(
                "DELETE FROM api_keys WHERE account_sid = ? AND sid = ?", (account_sid, sid)
            )
            return cur.rowcount > 0

        return await self._write(run)

    # Applications

    async def get_application(self, account_sid: str, sid: str) -> Record | None:
        return self._get(self.reader, APPLICATIONS, account_sid, sid)

    async def application_account(self, sid: str) -> str | None:
        return self._owner(APPLICATIONS, sid)

    async def list_applications(
        self, account_sid: str, *, friendly_name: str | None, page: Keyset
    ) -> list[Record]:
        where, args = ["account_sid = ?"], [account_sid]
        if friendly_name is not None:
            where.append("friendly_name = ?")
            args.append(friendly_name)
        return self._list(APPLICATIONS, where, args, page)

    async def create_application(self, account_sid: str, values: dict[str, Any]) -> Record:
        def run(conn: Conn) -> Record:
            (count,) = conn.execute(
                "SELECT count(*) FROM applications WHERE account_sid = ?", (account_sid,)
            ).fetchone()
            if count >= APPLICATION_LIMIT:
                raise errors.application_limit()
            now = self.clock()
            record = {
                **values,
                "account_sid": account_sid,
                "sid": self.sids.new("AP"),
                "date_created": now,
                "date_updated": now,
            }
            conn.execute(APPLICATIONS.insert, APPLICATIONS.row(record))
            return record

        return await self._write(run)

    async def update_application(
        self, account_sid: str, sid: str, changes: dict[str, Any]
    ) -> Record | None:
        def run(conn: Conn) -> Record | None:
            record = self._get(conn, APPLICATIONS, account_sid, sid)
            if record is None:
                return None
            return self._update(conn, APPLICATIONS, record, changes, account_sid)

        return await self._write(run)

    async def delete_application(self, account_sid: str, sid: str) -> bool:
        # The foreign keys (ON DELETE SET NULL) clear the numbers' links in this transaction.
        return await self._write(self._delete(APPLICATIONS, account_sid, sid))

    # IncomingPhoneNumbers

    @staticmethod
    def _check_links(conn: Conn, account_sid: str, values: dict[str, Any]) -> None:
        for key in APP_LINKS:
            app_sid = values.get(key)
            if app_sid is None:
                continue
            found = conn.execute(
                "SELECT 1 FROM applications WHERE sid = ? AND account_sid = ?",
                (app_sid, account_sid),
            ).fetchone()
            if found is None:
                param = "VoiceApplicationSid" if key.startswith("voice") else "SmsApplicationSid"
                raise errors.application_not_accessible(param, app_sid)

    async def get_number(self, account_sid: str, sid: str) -> Record | None:
        return self._get(self.reader, PHONE_NUMBERS, account_sid, sid)

    async def number_account(self, sid: str) -> str | None:
        return self._owner(PHONE_NUMBERS, sid)

    async def find_number(self, account_sid: str, phone_number: str) -> Record | None:
        row = self.reader.execute(
            f"{PHONE_NUMBERS.select} WHERE account_sid = ? AND phone_number = ?",
            (account_sid, phone_number),
        ).fetchone()
        return PHONE_NUMBERS.record(row) if row else None

    async def list_numbers(
        self, account_sid: str, *, filters: NumberFilter, page: Keyset
    ) -> list[Record]:
        where, args = ["account_sid = ?"], [account_sid]
        for column, value in (
            ("friendly_name", filters.friendly_name),
            ("origin", filters.origin),
            ("type", filters.type),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if filters.phone_number is not None:
            where.append("phone_number LIKE ? ESCAPE '\\'")
            args.append(rules.phone_like_pattern(filters.phone_number))
        return self._list(PHONE_NUMBERS, where, args, page)

    async def create_number(
        self,
        account_sid: str,
        values: dict[str, Any],
        *,
        phone_number: str | None,
        area_code: str | None,
        number_type: str | None,
    ) -> Record:
        def run(conn: Conn) -> Record:
            self._check_links(conn, account_sid, values)
            if phone_number is not None:
                taken = conn.execute(
                    "SELECT 1 FROM incoming_phone_numbers WHERE phone_number = ?", (phone_number,)
                ).fetchone()
                if taken:
                    raise errors.phone_number_unavailable(phone_number)
                number = phone_number
            else:
                number = self._free_number(conn, area_code or "")
            now = self.clock()
            record = {
                **{f.key: f.default for f in PHONE_NUMBERS.fields if f.stored},
                **values,
                "account_sid": account_sid,
                "sid": self.sids.new("PN"),
                "phone_number": number,
                "type": rules.number_type(number, number_type),
                "date_created": now,
                "date_updated": now,
            }
            if record["friendly_name"] is None:
                record["friendly_name"] = format_phone_number(number)
            conn.execute(PHONE_NUMBERS.insert, PHONE_NUMBERS.row(record))
            return record

        return await self._write(run)

    @staticmethod
    def _free_number(conn: Conn, area_code: str) -> str:
        """A random free +1 number in the area code (exchange 200-999, as NANP allows)."""
        for _ in range(200):
            exchange = 200 + secrets.randbelow(800)
            candidate = f"+1{area_code}{exchange}{secrets.randbelow(10_000):04d}"
            taken = conn.execute(
                "SELECT 1 FROM incoming_phone_numbers WHERE phone_number = ?", (candidate,)
            ).fetchone()
            if not taken:
                return candidate
        raise errors.no_numbers_in_area_code(area_code)

    async def update_number(
        self, account_sid: str, sid: str, changes: dict[str, Any], *, move_to: str | None = None
    ) -> Record | None:
        def run(conn: Conn) -> Record | None:
            record = self._get(conn, PHONE_NUMBERS, account_sid, sid)
            if record is None:
                return None
            target = move_to or account_sid
            self._check_links(conn, target, changes)
            all_changes = dict(changes)
            if target != account_sid:
                all_changes["account_sid"] = target
                for key in APP_LINKS:
                    # A link kept from the old account would point across accounts: clear it.
                    if key not in changes and record[key] is not None:
                        all_changes[key] = None
            return self._update(conn, PHONE_NUMBERS, record, all_changes, account_sid)

        return await self._write(run)

    async def delete_number(self, account_sid: str, sid: str) -> bool:
        return await self._write(self._delete(PHONE_NUMBERS, account_sid, sid))

    # Simulated traffic

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
        def run(conn: Conn) -> None:
            now = self.clock()
            conn.execute(
                "INSERT INTO traces (sid, account_sid, kind, status, body, date_created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (sid, account_sid, kind, status, orjson.dumps(body).decode(), now),
            )
            conn.executemany(
                "INSERT INTO webhook_requests (sid, account_sid, trace_sid, body, date_created) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (self.sids.new("RQ"), account_sid, sid, orjson.dumps(r).decode(), now)
                    for r in requests
                ],
            )
            for table in ("traces", "webhook_requests"):
                # Everything older than the account's `keep` newest rows goes.
                conn.execute(
                    f"DELETE FROM {table} WHERE account_sid = ? AND sid < ("
                    f"SELECT sid FROM {table} WHERE account_sid = ? "
                    "ORDER BY sid DESC LIMIT 1 OFFSET ?)",
                    (account_sid, account_sid, keep - 1),
                )

        await self._write(run)

    async def get_trace(self, account_sid: str, sid: str, kind: str) -> dict[str, Any] | None:
        row = self.reader.execute(
            "SELECT body FROM traces WHERE account_sid = ? AND sid = ? AND kind = ?",
            (account_sid, sid, kind),
        ).fetchone()
        return orjson.loads(row[0]) if row else None

    async def list_requests(self, account_sid: str, page: Keyset) -> list[Record]:
        where, args = ["account_sid = ?"], [account_sid]
        order = "DESC"
        if page.after is not None:
            where.append("sid < ?")
            args.append(page.after)
        elif page.before is not None:
            where.append("sid > ?")
            args.append(page.before)
            order = "ASC"
        args.append(page.limit)
        rows = self.reader.execute(
            "SELECT sid, trace_sid, body, date_created FROM webhook_requests "
            f"WHERE {' AND '.join(where)} ORDER BY sid {order} LIMIT ?",
            args,
        ).fetchall()
        if order == "ASC":
            rows.reverse()
        return [
            {"sid": sid, "trace_sid": trace_sid, "date_created": created, **orjson.loads(body)}
            for sid, trace_sid, body, created in rows
        ]
