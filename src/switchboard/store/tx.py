"""What a database driver implements for the store (`Tx`), and the SQL helpers every store
module shares: keyset paging and constraint errors.

SQL is written with `?` placeholders; a driver with another paramstyle rewrites them once per
statement text (see `postgres.py`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Row = Sequence[Any]


@dataclass(frozen=True)
class Keyset:
    """One page of a list in SID (= creation) order: the rows after `after`, or the `limit`
    rows closest before `before` (still returned in list order)."""

    after: str | None
    before: str | None
    limit: int


async def every_page(
    fetch: Callable[[Keyset], Awaitable[list[Any]]], size: int = 1000
) -> list[Any]:
    """Every row of a keyset-paged list, page after page (export, the CLI's lists)."""
    rows: list[Any] = []
    after = None
    while True:
        page = await fetch(Keyset(after, None, size))
        rows.extend(page)
        if len(page) < size:
            return rows
        after = page[-1]["sid"]


class IntegrityError(Exception):
    """A constraint stopped a write: `unique` or `foreign_key`."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class Tx(Protocol):
    async def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None: ...

    async def all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]: ...

    async def run(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Execute; the number of rows changed. Raises IntegrityError on a constraint."""

    async def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    async def lock_account(self, sid: str) -> None:
        """Serialise writers per account until the transaction ends (a no-op where every
        write transaction is serialised anyway, as in SQLite)."""

    async def lock_name(self, name: str) -> None:
        """Serialise the transactions that take the lock `name` until each ends: for writes
        that decide on a row that may not exist yet (a no-op where every write transaction is
        serialised anyway, as in SQLite)."""


def keyset(
    where: list[str],
    args: list[Any],
    page: Keyset,
    *,
    descending: bool = False,
    column: str = "sid",
) -> str:
    """Adds the keyset condition for a list in SID order; returns the ORDER BY ... LIMIT tail.

    `descending`: the list runs newest first, so `after` means smaller SIDs. `column`: the
    ordering column, when not the SID itself (`page` then holds that column's values).
    """
    forward, backward = ("<", ">") if descending else (">", "<")
    order = "DESC" if descending else "ASC"
    if page.after is not None:
        where.append(f"{column} {forward} ?")
        args.append(page.after)
    elif page.before is not None:
        where.append(f"{column} {backward} ?")
        args.append(page.before)
        order = "ASC" if descending else "DESC"
    args.append(page.limit)
    return f"ORDER BY {column} {order} LIMIT ?"


def in_list_order(rows: list[Any], page: Keyset) -> list[Any]:
    """Rows fetched towards a `before` token come closest-first: put them back in list order."""
    if page.before is not None:
        rows.reverse()
    return rows


def like_pattern(raw: str, *, any_one: str | None = "*") -> str:
    """A partial-match filter -> SQL LIKE (with `ESCAPE '\\'`): `any_one` (unless None) matches
    one character; LIKE's own wildcards in `raw` match only themselves."""
    escaped = raw.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "%" + (escaped.replace(any_one, "_") if any_one else escaped) + "%"


class just(contextlib.AbstractAsyncContextManager[Tx]):
    """`reading()` for a store whose read connection is always the same one.

    A class, not `@asynccontextmanager`: it runs on every read, and a generator-based context
    manager costs several times more.
    """

    __slots__ = ("tx",)

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def __aenter__(self) -> Tx:
        return self.tx

    async def __aexit__(self, *exc: object) -> None:
        return None
