"""The SQLite store when its file cannot take writes, in-process.

- Disk full (provoked with `PRAGMA max_page_count`), read-only (`PRAGMA query_only` on the
  writer's connection, which fails writes as a read-only mount does): the write raises an error
  the store calls `unavailable` (the API answers 503), `ping` is False until a write commits
  again, and nothing acknowledged is lost.
- The file deleted, moved away, or replaced under the store: writes raise StoreUnavailable and
  nothing is written to whatever is now at the path; moved back, writes resume.
- Errors of the request itself (a constraint, a Twilio rule) are not `unavailable`.

The same with a real full disk (tmpfs) and real servers is in tests/ops/test_disk_failures.py.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from switchboard.store import migrate, open_store
from switchboard.store.base import StoreUnavailable
from switchboard.store.sqlite import SqliteStore, unavailable_reason
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.params import parse_params
from switchboard.twilio.resources import APPLICATION

VALUES = parse_params(APPLICATION.fields, {"FriendlyName": "app"}, create=True)


def run(test: Callable[[SqliteStore, Path], Awaitable[None]], tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)

    async def main() -> None:
        store = open_store(url)
        assert isinstance(store, SqliteStore)
        await store.open()
        try:
            await test(store, path)
        finally:
            await store.close()

    asyncio.run(main())


def on_writer(store: SqliteStore, sql: str) -> None:
    """Run a statement on the writer's own connection, on its thread, between rounds."""
    writer = store._writer
    assert writer is not None and writer.conn is not None
    done = threading.Event()

    def execute() -> None:
        assert writer.conn is not None
        writer.conn.execute(sql)
        done.set()

    writer.loop.call_soon_threadsafe(execute)
    assert done.wait(10)


async def app_sids(store: SqliteStore, account: str) -> set[str]:
    async with store.reading() as tx:
        rows = await tx.all("SELECT sid FROM applications WHERE account_sid = ?", (account,))
    return {row[0] for row in rows}


def test_a_full_database_is_unavailable_until_a_write_commits(tmp_path: Path) -> None:
    async def test(store: SqliteStore, path: Path) -> None:
        account = (await store.create_account("full")).sid
        acknowledged = {(await store.create_application(account, VALUES))["sid"]}
        async with store.reading() as tx:
            row = await tx.one("PRAGMA page_count")
        assert row is not None
        on_writer(store, f"PRAGMA max_page_count = {row[0]}")
        failure: BaseException | None = None
        for _ in range(2000):  # a page fills up within a few dozen applications
            try:
                acknowledged.add((await store.create_application(account, VALUES))["sid"])
            except Exception as exc:
                failure = exc
                break
        assert failure is not None, "the capped file never filled"
        assert store.unavailable(failure)
        assert "SQLITE_FULL" in (unavailable_reason(failure) or "")
        assert store._writer is not None and store._writer.failure is not None
        assert await app_sids(store, account) == acknowledged  # reads go on, nothing lost
        on_writer(store, "PRAGMA max_page_count = 1073741823")
        acknowledged.add((await store.create_application(account, VALUES))["sid"])
        assert store._writer.failure is None
        assert await store.ping()
        assert await app_sids(store, account) == acknowledged

    run(test, tmp_path)


def test_a_read_only_database_fails_ping_until_a_write_commits(tmp_path: Path) -> None:
    async def test(store: SqliteStore, path: Path) -> None:
        account = (await store.create_account("ro")).sid
        assert await store.ping()
        on_writer(store, "PRAGMA query_only = ON")
        with pytest.raises(sqlite3.Error) as caught:
            await store.create_application(account, VALUES)
        assert store.unavailable(caught.value)
        assert "SQLITE_READONLY" in (unavailable_reason(caught.value) or "")
        assert not await store.ping()
        assert not await store.ping()  # still: every ping tries a write
        on_writer(store, "PRAGMA query_only = OFF")
        assert await store.ping()
        assert store._writer is not None and store._writer.failure is None
        await store.create_application(account, VALUES)

    run(test, tmp_path)


def at_path(path: Path) -> list[Any]:
    """The applications of whatever database is at `path` now (none when there is none)."""
    if not path.exists():
        return []
    check = sqlite3.connect(path)
    try:
        return check.execute("SELECT sid, friendly_name FROM applications ORDER BY sid").fetchall()
    finally:
        check.close()


@pytest.mark.parametrize("how", ["deleted", "moved", "replaced"])
def test_a_file_gone_from_its_path_takes_no_writes(tmp_path: Path, how: str) -> None:
    async def test(store: SqliteStore, path: Path) -> None:
        account = (await store.create_account("gone")).sid
        before = (await store.create_application(account, VALUES))["sid"]
        other = tmp_path / "other.db"
        if how == "deleted":
            path.unlink()
        elif how == "moved":
            path.rename(tmp_path / "away.db")
        else:
            migrate.upgrade(f"sqlite:///{other}")
            shutil.copyfile(other, tmp_path / "replacement.db")
            os.replace(tmp_path / "replacement.db", path)
        seen = at_path(path)
        assert not await store.ping()
        for _ in range(2):
            with pytest.raises(StoreUnavailable, match=r"deleted or moved away|replaced"):
                await store.create_application(account, VALUES)
        assert not await store.ping()
        assert at_path(path) == seen  # nothing written to whatever is at the path now
        if how == "moved":
            (tmp_path / "away.db").rename(path)
            assert await store.ping()
            after = (await store.create_application(account, VALUES))["sid"]
            assert await app_sids(store, account) == {before, after}

    run(test, tmp_path)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (StoreUnavailable("gone"), True),
        (sqlite3.IntegrityError("UNIQUE constraint failed"), False),
        (sqlite3.OperationalError("no such table"), False),
        (TwilioError(20001, 400, "bad"), False),
        (ValueError("x"), False),
    ],
)
def test_request_errors_are_not_unavailability(error: BaseException, unavailable: bool) -> None:
    assert (unavailable_reason(error) is not None) is unavailable


def test_sqlite_error_codes_are_classified(tmp_path: Path) -> None:
    """Real errors: a read-only connection, a file that is not a database, a busy lock."""
    db = tmp_path / "x.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.close()
    ro = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.Error) as readonly:
        ro.execute("INSERT INTO t VALUES (1)")
    ro.close()
    assert "SQLITE_READONLY" in (unavailable_reason(readonly.value) or "")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(sqlite3.Error) as notadb:
        sqlite3.connect(junk).execute("SELECT * FROM sqlite_master")
    assert "SQLITE_NOTADB" in (unavailable_reason(notadb.value) or "")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    waiter = sqlite3.connect(db, timeout=0)
    with pytest.raises(sqlite3.Error) as busy:
        waiter.execute("INSERT INTO t VALUES (2)")
    holder.close()
    waiter.close()
    assert unavailable_reason(busy.value) is None  # a lock wait that ran out: not the disk
