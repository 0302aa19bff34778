"""The embedded store: one SQLite file in WAL mode.

Reads run inline on the event loop's own connection: they take microseconds and WAL readers
never wait for writers. Writes run on one writer thread (with its own event loop and connection),
so an fsync (`synchronous=FULL`: a committed write survives a crash) never stalls the server's
loop. Each write is a `BEGIN IMMEDIATE` transaction, which also serialises writers of other
processes on the same file, so the per-account application limit holds across `--workers`.
Those processes take turns through a lock file beside the database (`<file>-writer.lock`).

When the file cannot take writes (disk full, I/O error, read-only, deleted or replaced under the
server), writes answer 503 and `ping` (the health check) says no until a write succeeds again;
the reason is logged once, as one line, when it starts and when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from switchboard.store.base import StoreUnavailable
from switchboard.store.migrate import sqlite_path
from switchboard.store.sql import SqlStore
from switchboard.store.tx import IntegrityError, Row, Tx, just
from switchboard.twilio.dates import Clock
from switchboard.twilio.sids import SidSource

try:
    import fcntl
except ImportError:  # Windows has none: there SQLite's own busy wait decides
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
log = logging.getLogger("switchboard.store")

# Primary result codes that say the file cannot keep (or give back) data, whatever the request:
# answered 503, not 500. (BUSY is not among them: it is a lock wait that ran out.)
_UNAVAILABLE_CODES = frozenset(
    (
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_NOTADB,
    )
)


def unavailable_reason(exc: BaseException) -> str | None:
    """Why the database cannot be used, when `exc` says so (`database or disk is full
    (SQLITE_FULL)`); None for errors of the request itself."""
    if isinstance(exc, StoreUnavailable):
        return str(exc)
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _UNAVAILABLE_CODES:
            return f"{exc} ({exc.sqlite_errorname})"
    return None


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class SqliteTx(Tx):
    """Runs statements synchronously on one connection (the awaits never suspend)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    async def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self.conn.execute(sql, args).fetchone()
        return row

    async def all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return self.conn.execute(sql, args).fetchall()

    async def run(self, sql: str, args: Sequence[Any] = ()) -> int:
        try:
            return self.conn.execute(sql, args).rowcount
        except sqlite3.IntegrityError as exc:
            kind = "unique" if "UNIQUE" in str(exc) else "foreign_key"
            raise IntegrityError(kind) from exc

    async def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    async def lock_account(self, sid: str) -> None:
        """BEGIN IMMEDIATE already holds the database's write lock."""

    async def lock_name(self, name: str) -> None:
        """BEGIN IMMEDIATE already holds the database's write lock."""


# Counts the writes of a round add to (keyed by what they count), settled once at its end.
Tallies = dict[Hashable, int]


class _Writer:
    """A thread running its own event loop, owning the write connection, with group commit.

    Writes that arrive while a commit is being fsynced wait in a queue; the next round runs
    them all in one transaction, each inside its own SAVEPOINT (a failing one is rolled back
    alone), and one COMMIT makes the whole round durable. Every caller is answered only after
    that COMMIT returns, so each acknowledged write is on disk, at the cost of one fsync per round
    rather than one per write.

    A write may also `tally` what it added to a count kept in the database (the request log's
    rows per account): the writes that succeeded add up, and `settle` stores the sums in the
    same transaction just before the COMMIT, so a round of N writes makes one count update
    (and one trim) instead of N. A failing `settle` fails the round, as a failing COMMIT does.
    """

    def __init__(
        self,
        path: str,
        durable: bool = True,
        settle: Callable[[Tx, Tallies], Awaitable[None]] | None = None,
    ) -> None:
        self.path = path
        self.durable = durable
        self._settle = settle
        self._tallies: Tallies = {}  # the round's, of the writes that succeeded
        self._tallied: Tallies = {}  # the running write's, until it succeeds
        self._in_round = False
        self.loop = asyncio.new_event_loop()
        self.conn: sqlite3.Connection | None = None
        self.failure: str | None = None  # why the last round failed, until one commits
        self._file: tuple[int, int] | None = None  # (device, inode) of the file opened
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._draining = False
        self._turn = _WriteTurn(path)
        self.thread = threading.Thread(target=self._main, name="sqlite-writer", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.conn = _connect(self.path)
        self._file = _identity(self.path)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={'FULL' if self.durable else 'OFF'}")
        # Each write of a round runs in a SAVEPOINT, so SQLite first copies every page it changes
        # into a statement journal. By default that journal moves to a temporary file once one
        # write's copies pass about 30 pages, and the round's later writes copy into that file
        # until the COMMIT: in a message drain, 88 % of the writer's pwrite64 calls (two a page
        # copied) and most of its kernel time (docs/performance.md). In memory a copy
        # is a memcpy, and what one write changes is small; an unchecked write (`reset`, which
        # empties every table: its copies are the whole file) keeps a file (`_round`).
        self.conn.execute("PRAGMA temp_store=MEMORY")
        self.tx = SqliteTx(self.conn)
        self.loop.run_forever()
        self.conn.close()

    async def submit(self, fn: Callable[[Tx], Awaitable[T]], *, unchecked: bool = False) -> T:
        """Run `fn` in the next round. `unchecked`: in a round of its own, with foreign key
        enforcement off (for writes that keep the references whole themselves)."""
        caller = asyncio.get_running_loop()
        future: asyncio.Future[T] = caller.create_future()
        with self._lock:
            self._queue.append(_Pending(fn, future, caller, unchecked))
            start = not self._draining
            self._draining = True
        if start:
            self.loop.call_soon_threadsafe(self._drain)
        return await future

    def _drain(self) -> None:
        while True:
            with self._lock:
                batch, self._queue = self._queue, []
                if not batch:
                    self._draining = False
                    return
            for group in _rounds(batch):
                self._round(group)

    def _round(self, batch: list[_Pending]) -> None:
        conn = self.conn
        assert conn is not None
        outcomes: list[tuple[_Pending, Any, BaseException | None]] = []
        unchecked = batch[0].unchecked  # then alone in its round (`_rounds`)
        self._turn.take()
        try:
            # Write nothing when the path names another file, or none: a file replaced there
            # shares our `-wal`, and the next process to open it would replay our frames into it.
            self.check_file()
            if unchecked:
                conn.execute("PRAGMA foreign_keys=OFF")  # only outside a transaction
                conn.execute("PRAGMA temp_store=FILE")  # its journal may be the whole file
            conn.execute("BEGIN IMMEDIATE")
            if self.failure is not None:
                # Only a commit that wrote a page proves the disk takes writes again (one whose
                # writes all failed, or changed nothing, commits without touching it).
                _run_sync(_probe(self.tx))
            self._in_round = True
            for pending in batch:
                conn.execute("SAVEPOINT write")
                try:
                    result = _run_sync(pending.fn(self.tx))
                except Exception as exc:
                    self._tallied.clear()
                    try:
                        conn.execute("ROLLBACK TO write")
                        conn.execute("RELEASE write")
                    except sqlite3.Error as undo:
                        # SQLite ended the whole transaction itself (disk full, I/O error): the
                        # round fails, with that cause rather than "no such savepoint".
                        raise (exc if isinstance(exc, sqlite3.Error) else undo) from None
                    outcomes.append((pending, None, exc))
                    continue
                conn.execute("RELEASE write")
                outcomes.append((pending, result, None))
                self._add_tallied()
            self._in_round = False
            if self._tallies:
                assert self._settle is not None  # `tally` refuses without one
                _run_sync(self._settle(self.tx, self._tallies))
            conn.execute("COMMIT")
            # Moved while this round ran: what it committed is not at the path, so not
            # acknowledged (it is there again if the file is moved back). Two stats per
            # round cost 2-7 µs, against 0.3-5 ms for the COMMIT's fsync.
            self.check_file()
        except Exception as exc:  # the round itself failed (disk full, file gone, lock timeout)
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            outcomes = [(pending, None, exc) for pending in batch]
            self._failed(exc)
        else:
            self._succeeded()
        finally:
            self._in_round = False
            self._tallies.clear()
            self._tallied.clear()
            if unchecked:
                conn.execute("PRAGMA foreign_keys=ON")
                conn.execute("PRAGMA temp_store=MEMORY")
            self._turn.give()
        # One wake-up of each caller's loop per round, not one per write (each is a write to
        # that loop's self-pipe, and the loop's thread reads it back).
        by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
        for pending, result, error in outcomes:
            by_loop.setdefault(pending.caller, []).append((pending.future, result, error))
        for caller, settled in by_loop.items():
            caller.call_soon_threadsafe(_settle_all, settled)

    def tally(self, counts: Tallies) -> None:
        """Add to the round's tallies (from a write running in it, on this thread): settled
        before its COMMIT if the write succeeds, forgotten if it fails."""
        if not self._in_round or self._settle is None:
            raise RuntimeError("tally is for a write running in a round of a writer that settles")
        for key, n in counts.items():
            self._tallied[key] = self._tallied.get(key, 0) + n

    def _add_tallied(self) -> None:
        for key, n in self._tallied.items():
            self._tallies[key] = self._tallies.get(key, 0) + n
        self._tallied.clear()

    def moved(self) -> bool:
        """The path no longer names the file this writer opened."""
        return _identity(self.path) != self._file

    def check_file(self) -> None:
        """Raise StoreUnavailable unless the path still names the file this writer opened."""
        now = _identity(self.path)
        if now != self._file:
            what = "deleted or moved away" if now is None else "replaced by another file"
            raise StoreUnavailable(f"the file was {what} while in use")

    def _failed(self, exc: BaseException) -> None:
        reason = unavailable_reason(exc)
        if reason is not None and reason != self.failure:
            log.warning(
                "SQLite database %s cannot take writes: %s. Writes answer 503 until one succeeds",
                self.path,
                reason,
            )
            self.failure = reason

    def _succeeded(self) -> None:
        if self.failure is not None:
            self.failure = None
            log.warning("SQLite database %s takes writes again", self.path)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()
        self._turn.close()


class _WriteTurn:
    """Whose turn it is to write, among the processes serving one SQLite file (`--workers`).

    SQLite serialises writers by itself, but one that finds the write lock taken polls for it,
    sleeping up to 100 ms between tries: with two processes writing, a commit could wait most
    of a second (a p99 of 730 ms for creates, measured). An exclusive `flock` on a file beside
    the database, held from BEGIN to COMMIT, queues them in the kernel instead: the waiting
    process wakes as soon as the other is done. Writes that queue meanwhile join its next round.
    Anything else writing the file (a `sqlite3` shell) is still serialised by SQLite itself.
    """

    def __init__(self, db_path: str) -> None:
        self.fd: int | None = None
        if fcntl is not None:
            self.fd = os.open(f"{db_path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)

    def take(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)

    def give(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:  # gone, or its directory is
        return None
    return st.st_dev, st.st_ino


async def _probe(tx: Tx) -> None:
    """A write that changes nothing yet must reach the disk: user_version set to itself."""
    row = await tx.one("PRAGMA user_version")
    await tx.run(f"PRAGMA user_version = {int(row[0]) if row else 0}")


async def _nothing(tx: Tx) -> None:
    """A round with no write of its own (it still probes when the store is failing)."""


@dataclass
class _Pending:
    fn: Callable[[Tx], Awaitable[Any]]
    future: asyncio.Future[Any]
    caller: asyncio.AbstractEventLoop
    unchecked: bool = False


def _rounds(batch: list[_Pending]) -> list[list[_Pending]]:
    """The batch as rounds, in order: checked writes together, each unchecked one alone."""
    rounds: list[list[_Pending]] = []
    for pending in batch:
        if pending.unchecked or not rounds or rounds[-1][0].unchecked:
            rounds.append([pending])
        else:
            rounds[-1].append(pending)
    return rounds


def _run_sync(coro: Awaitable[T]) -> T:
    """Run a coroutine that never suspends (SqliteTx's awaits complete at once)."""
    gen = coro.__await__()
    try:
        gen.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    gen.close()
    raise RuntimeError("a SQLite write suspended; it must not await anything but the Tx")


_Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


def _settle_all(outcomes: list[_Outcome]) -> None:
    for future, result, error in outcomes:
        if future.done():  # cancelled meanwhile: nobody waits (and raising would strand the rest)
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


class SqliteStore(SqlStore):
    def __init__(
        self, database_url: str, *, clock: Clock, sids: SidSource, durable: bool = True
    ) -> None:
        super().__init__(clock=clock, sids=sids)
        self.path = sqlite_path(database_url)
        self.durable = durable
        self._reader: SqliteTx | None = None
        self._writer: _Writer | None = None

    async def open(self) -> None:
        if self._reader is not None:
            return
        conn = _connect(self.path)
        conn.execute("PRAGMA query_only=ON")
        self._reader = SqliteTx(conn)
        self._writer = _Writer(self.path, self.durable, self._settle_logs)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        if self._reader is not None:
            self._reader.conn.close()
            self._reader = None

    async def _count_logs(self, tx: Tx, added: dict[tuple[str, str], int], keep: int) -> None:
        """Counted (and trimmed) once per round, for all its writes, by `_settle_logs`."""
        if self._writer is None:
            raise RuntimeError("store is not open")
        self._writer.tally({(account_sid, log, keep): n for (account_sid, log), n in added.items()})

    async def _settle_logs(self, tx: Tx, tallies: Tallies) -> None:
        """The round's new rows of each (account, log), then each log trimmed to its newest
        `keep`: by `keep`, largest first, so a log that writes of one round asked to keep
        different numbers of is left with the smallest."""
        by_keep: dict[int, dict[tuple[str, str], int]] = {}
        for tallied, n in tallies.items():
            account_sid, log, keep = cast(tuple[str, str, int], tallied)
            by_keep.setdefault(keep, {})[(account_sid, log)] = n
        for keep in sorted(by_keep, reverse=True):
            await self._trim_logs(tx, by_keep[keep], keep)

    def reading(self) -> contextlib.AbstractAsyncContextManager[Tx]:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return just(self._reader)

    async def _write(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        if self._writer is None:
            raise RuntimeError("store is not open")
        return await self._writer.submit(fn)

    async def reset(self) -> None:
        """As every store's, in a round of its own with foreign keys off: children are deleted
        before their parents, so nothing can dangle, and SQLite then empties each table at
        once instead of checking each deleted application's numbers (1000 applications: 0.3 ms
        rather than 5 to 15)."""
        if self._writer is None:
            raise RuntimeError("store is not open")
        await self._writer.submit(self._reset_rows, unchecked=True)

    async def ping(self) -> bool:
        """The database answers, and takes writes: after a failed write (or with the file gone
        from its path) only a probe write that commits turns the answer back to yes."""
        try:
            writer = self._writer
            if writer is None:
                return False
            if writer.failure is not None or writer.moved():
                await writer.submit(_nothing)
            async with self.reading() as tx:
                await tx.one("SELECT 1")
        except (sqlite3.Error, StoreUnavailable, RuntimeError):
            return False
        return True

    def unavailable(self, exc: BaseException) -> bool:
        return unavailable_reason(exc) is not None
