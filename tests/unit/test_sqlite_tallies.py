"""The SQLite writer's tallies: counts a round's writes add to, settled once before its COMMIT.

A simulated call adds a trace and a request to its account's logs; with each write counting and
trimming the logs itself, a round of N calls made N upserts and 2N trims. Now the writes of a
round `tally` what they add and one `settle` stores the sums (and trims) in the same transaction:
- the tallies of the writes that succeeded add up, a failed write's are forgotten with its rows;
- a `settle` that fails fails the whole round: no write of it is acknowledged or kept;
- `tally` outside a round (or on a writer with nothing to settle) is a mistake, and says so;
- through the store: many calls' traces saved at once share rounds and still leave exactly the
  newest `keep` of each log, counted right.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Hashable
from pathlib import Path
from typing import Any

import pytest

from switchboard.store import migrate, open_store
from switchboard.store.base import TraceWrite
from switchboard.store.sqlite import SqliteStore, Tallies, _Writer
from switchboard.store.tx import Tx


def _writer(tmp_path: Path, settled: list[Tallies], fail_settle: bool = False) -> _Writer:
    path = str(tmp_path / "w.db")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (n INTEGER)")
    conn.close()

    async def settle(tx: Tx, tallies: Tallies) -> None:
        settled.append(dict(tallies))
        await tx.run("INSERT INTO t (n) VALUES (?)", (-sum(tallies.values()),))
        if fail_settle:
            raise sqlite3.OperationalError("settle failed")

    return _Writer(path, settle=settle)


def _rows(tmp_path: Path) -> list[int]:
    conn = sqlite3.connect(str(tmp_path / "w.db"))
    try:
        return sorted(n for (n,) in conn.execute("SELECT n FROM t"))
    finally:
        conn.close()


@contextlib.asynccontextmanager
async def _store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """A SQLite store on a new database, open."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    migrate.upgrade(url)
    store = open_store(url)
    assert isinstance(store, SqliteStore)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def _one_round(writer: _Writer, fns: list[Any]) -> list[Any]:
    """Submit `fns` while the writer is held in a round of its own, so they share the next."""
    held, release = threading.Event(), threading.Event()

    async def hold(tx: Tx) -> None:
        held.set()
        release.wait(10)

    first = asyncio.ensure_future(writer.submit(hold))
    await asyncio.get_running_loop().run_in_executor(None, held.wait, 10)
    futures = [asyncio.ensure_future(writer.submit(fn)) for fn in fns]
    await asyncio.sleep(0.05)  # every submit queued behind the held round
    release.set()
    await first
    return await asyncio.gather(*futures, return_exceptions=True)


def _adding(writer: _Writer, key: Hashable, n: int, fail: bool = False) -> Any:
    async def fn(tx: Tx) -> int:
        await tx.run("INSERT INTO t (n) VALUES (?)", (n,))
        writer.tally({key: n})
        if fail:
            raise ValueError("this write fails")
        return n

    return fn


def test_a_round_settles_the_sum_of_its_successful_writes_once(tmp_path: Path) -> None:
    settled: list[Tallies] = []
    writer = _writer(tmp_path, settled)

    async def main() -> list[Any]:
        fns = [_adding(writer, "a", 1), _adding(writer, "a", 2), _adding(writer, "b", 10)]
        fns.append(_adding(writer, "a", 100, fail=True))
        return await _one_round(writer, fns)

    try:
        results = asyncio.run(main())
    finally:
        writer.stop()
    assert results[:3] == [1, 2, 10]
    assert isinstance(results[3], ValueError)
    assert settled == [{"a": 3, "b": 10}]  # one settle, the failed write's 100 not in it
    assert _rows(tmp_path) == [-13, 1, 2, 10]  # the failed write's row rolled back too


def test_a_failing_settle_fails_the_whole_round(tmp_path: Path) -> None:
    settled: list[Tallies] = []
    writer = _writer(tmp_path, settled, fail_settle=True)

    async def main() -> list[Any]:
        return await _one_round(writer, [_adding(writer, "a", 1), _adding(writer, "a", 2)])

    try:
        results = asyncio.run(main())
    finally:
        writer.stop()
    assert settled == [{"a": 3}]
    assert all(isinstance(r, sqlite3.OperationalError) for r in results)
    assert _rows(tmp_path) == []  # nothing of the round kept


def test_tally_outside_a_round_or_without_settle_is_refused(tmp_path: Path) -> None:
    settled: list[Tallies] = []
    writer = _writer(tmp_path, settled)
    path = str(tmp_path / "w.db")
    plain = _Writer(path)  # no settle

    async def main() -> Any:
        with pytest.raises(RuntimeError, match="tally"):
            writer.tally({"a": 1})

        async def fn(tx: Tx) -> None:
            plain.tally({"a": 1})

        return await asyncio.gather(plain.submit(fn), return_exceptions=True)

    try:
        [result] = asyncio.run(main())
    finally:
        writer.stop()
        plain.stop()
    assert isinstance(result, RuntimeError)
    assert settled == []


def test_calls_saved_at_once_share_rounds_and_keep_exactly_the_newest(tmp_path: Path) -> None:
    """200 new traces of one account, each with two requests, saved concurrently (so they share
    rounds): the logs hold exactly the newest `keep`, and `log_sizes` says so."""
    async def main() -> tuple[list[str], list[str], int, dict[str, int]]:
        async with _store(tmp_path) as store:
            account = await store.create_account("tallies")
            sids = [store.sids.new("CA") for _ in range(200)]

            async def save(sid: str) -> None:
                requests = [(store.sids.new("RQ"), {"n": i}) for i in range(2)]
                write = TraceWrite(account.sid, sid, "call", "completed", {}, requests, new=True)
                await store.save_traffic([write], keep=50)

            await asyncio.gather(*(save(sid) for sid in sids))
            assert store._reader is not None
            conn = store._reader.conn
            kept = [r[0] for r in conn.execute("SELECT sid FROM traces ORDER BY sid")]
            requests = conn.execute("SELECT count(*) FROM webhook_requests").fetchone()[0]
            sizes = dict(conn.execute("SELECT log, size FROM log_sizes").fetchall())
            return sids, kept, requests, sizes

    sids, kept, requests, sizes = asyncio.run(main())
    assert kept == sorted(sids)[-50:]
    assert requests == 50
    assert sizes == {"traces": 50, "webhook_requests": 50}


def test_writes_of_one_round_asking_different_keeps_leave_the_smallest(tmp_path: Path) -> None:
    """Two writes in one round, one keeping 5 and one 2 of the same account's logs: the logs
    end with the newest 2, and `log_sizes` counts them."""
    async def main() -> tuple[list[str], list[str], dict[str, int]]:
        async with _store(tmp_path) as store:
            account = await store.create_account("keeps")
            sids = [store.sids.new("CA") for _ in range(6)]

            async def save(sid: str, keep: int) -> None:
                write = TraceWrite(account.sid, sid, "call", "completed", {}, [], new=True)
                await store.save_traffic([write], keep=keep)

            for sid in sids[:4]:
                await save(sid, 10)
            assert store._writer is not None
            settled: list[Tallies] = []
            settle = store._writer._settle
            assert settle is not None

            async def spy(tx: Tx, tallies: Tallies) -> None:
                settled.append(dict(tallies))
                await settle(tx, tallies)

            store._writer._settle = spy
            saves = [lambda tx, s=sid, k=keep: _saved(store, account.sid, s, k, tx)
                     for sid, keep in ((sids[4], 5), (sids[5], 2))]  # fmt: skip
            await _one_round(store._writer, saves)
            assert len(settled) == 1  # the two writes shared one round
            assert store._reader is not None
            conn = store._reader.conn
            kept = [r[0] for r in conn.execute("SELECT sid FROM traces ORDER BY sid")]
            sizes = dict(conn.execute("SELECT log, size FROM log_sizes").fetchall())
            return sorted(sids), kept, sizes

    sids, kept, sizes = asyncio.run(main())
    assert kept == sids[-2:]
    assert sizes == {"traces": 2, "webhook_requests": 0}


async def _saved(store: SqliteStore, account_sid: str, sid: str, keep: int, tx: Tx) -> None:
    """What `save_traffic` runs in its round, for one new trace with no requests."""
    write = TraceWrite(account_sid, sid, "call", "completed", {}, [], new=True)
    await store._save_traces(tx, [write], keep)
