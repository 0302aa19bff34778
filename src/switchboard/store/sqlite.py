"""The embedded store: one SQLite file in WAL mode.

Reads run inline on the event loop's own connection: they take microseconds and WAL readers
never wait for writers. Writes go to one writer thread with its own connection, so an fsync
(`synchronous=FULL`: a committed write survives a crash) never stalls the event loop. Each write is
a `BEGIN IMMEDIATE` transaction, which also serialises writers of other processes on the same
file, so the per-account application limit holds across `--workers`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from switchboard.store.base import Store
from switchboard.store.migrate import sqlite_path
from switchboard.twilio import errors
from switchboard.twilio.dates import Clock
from switchboard.twilio.fields import APPLICATION_FIELDS, APPLICATION_LIMIT, Kind, stored_fields
from switchboard.twilio.resources import Account, Record
from switchboard.twilio.sids import SidSource, new_auth_token

T = TypeVar("T")

APP_COLUMNS = tuple(f.key for f in stored_fields(APPLICATION_FIELDS))
APP_BOOLS = tuple(i for i, f in enumerate(stored_fields(APPLICATION_FIELDS)) if f.kind is Kind.BOOL)
_APP_SELECT = f"SELECT {', '.join(APP_COLUMNS)} FROM applications"
_APP_INSERT = (
    f"INSERT INTO applications ({', '.join(APP_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in APP_COLUMNS)})"
)
ACCOUNT_COLUMNS = (
    "sid, owner_account_sid, friendly_name, status, type, auth_token, is_main, "
    "date_created, date_updated"
)


def _app_record(row: tuple[Any, ...]) -> Record:
    record = dict(zip(APP_COLUMNS, row, strict=True))
    for i in APP_BOOLS:
        key = APP_COLUMNS[i]
        record[key] = bool(record[key])
    return record


def _account(row: tuple[Any, ...]) -> Account:
    sid, owner, name, status, type_, token, is_main, created, updated = row
    return Account(sid, owner, name, status, type_, token, bool(is_main), created, updated)


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class SqliteStore(Store):
    def __init__(self, database_url: str, *, clock: Clock, sids: SidSource) -> None:
        self.path = sqlite_path(database_url)
        self.clock = clock
        self.sids = sids
        self._reader: sqlite3.Connection | None = None
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

    def _writer(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._writer_local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._writer_local.conn = conn
        return conn

    @property
    def reader(self) -> sqlite3.Connection:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
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

    # Accounts

    async def get_account(self, sid: str) -> Account | None:
        row = self.reader.execute(
            f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE sid = ?", (sid,)
        ).fetchone()
        return _account(row) if row else None

    async def list_accounts(self) -> list[Account]:
        rows = self.reader.execute(f"SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY sid")
        return [_account(r) for r in rows]

    def _insert_account(
        self,
        conn: sqlite3.Connection,
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

    async def ensure_main_account(
        self, sid: str | None, auth_token: str | None
    ) -> tuple[Account, bool]:
        def run(conn: sqlite3.Connection) -> tuple[Account, bool]:
            if sid is not None and auth_token is not None:
                row = conn.execute(
                    f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE sid = ?", (sid,)
                ).fetchone()
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
                row = conn.execute(
                    f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE sid = ?", (sid,)
                ).fetchone()
                return _account(row), False
            row = conn.execute(
                f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE is_main = 1 ORDER BY sid LIMIT 1"
            ).fetchone()
            if row is not None:
                return _account(row), False
            return self._insert_account(conn, "Main account", None, None, None, True), True

        return await self._write(run)

    # Applications

    async def get_application(self, account_sid: str, sid: str) -> Record | None:
        row = self.reader.execute(
            f"{_APP_SELECT} WHERE account_sid = ? AND sid = ?", (account_sid, sid)
        ).fetchone()
        return _app_record(row) if row else None

    async def application_account(self, sid: str) -> str | None:
        row = self.reader.execute(
            "SELECT account_sid FROM applications WHERE sid = ?", (sid,)
        ).fetchone()
        return row[0] if row else None

    async def list_applications(
        self,
        account_sid: str,
        *,
        friendly_name: str | None,
        after: str | None,
        before: str | None,
        limit: int,
    ) -> list[Record]:
        where = ["account_sid = ?"]
        args: list[Any] = [account_sid]
        if friendly_name is not None:
            where.append("friendly_name = ?")
            args.append(friendly_name)
        order = "ASC"
        if after is not None:
            where.append("sid > ?")
            args.append(after)
        elif before is not None:
            where.append("sid < ?")
            args.append(before)
            order = "DESC"
        args.append(limit)
        rows = self.reader.execute(
            f"{_APP_SELECT} WHERE {' AND '.join(where)} ORDER BY sid {order} LIMIT ?", args
        ).fetchall()
        if order == "DESC":
            rows.reverse()
        return [_app_record(r) for r in rows]

    async def create_application(self, account_sid: str, values: dict[str, Any]) -> Record:
        def run(conn: sqlite3.Connection) -> Record:
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
            conn.execute(_APP_INSERT, [record[c] for c in APP_COLUMNS])
            return record

        return await self._write(run)

    async def update_application(
        self, account_sid: str, sid: str, changes: dict[str, Any]
    ) -> Record | None:
        def run(conn: sqlite3.Connection) -> Record | None:
            row = conn.execute(
                f"{_APP_SELECT} WHERE account_sid = ? AND sid = ?", (account_sid, sid)
            ).fetchone()
            if row is None:
                return None
            record = _app_record(row)
            # date_updated moves on every update, even within the same microsecond.
            record.update(changes, date_updated=max(self.clock(), record["date_updated"] + 1))
            keys = [*changes, "date_updated"]
            conn.execute(
                f"UPDATE applications SET {', '.join(f'{k} = ?' for k in keys)} "
                "WHERE account_sid = ? AND sid = ?",
                [record[k] for k in keys] + [account_sid, sid],
            )
            return record

        return await self._write(run)

    async def delete_application(self, account_sid: str, sid: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "DELETE FROM applications WHERE account_sid = ? AND sid = ?", (account_sid, sid)
            )
            return cur.rowcount > 0

        return await self._write(run)
