"""SQLite's reset runs in a write round of its own with foreign key enforcement off (so SQLite
empties each table at once): the same result as every store's reset, in order with the writes
around it, and enforcement back on for every write after it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from switchboard.store import migrate, open_store
from switchboard.store.sqlite import SqliteStore, _Pending, _rounds
from switchboard.store.tx import IntegrityError, Tx


def pending(unchecked: bool) -> Any:
    return _Pending(fn=None, future=None, caller=None, unchecked=unchecked)  # type: ignore[arg-type]


def test_rounds_keep_order_and_put_each_unchecked_write_alone() -> None:
    a, b, reset, c, second, d = (pending(u) for u in (False, False, True, False, True, False))
    assert _rounds([a, b, reset, c, second, d]) == [[a, b], [reset], [c], [second], [d]]
    assert _rounds([reset]) == [[reset]]
    assert _rounds([]) == []


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    url = f"sqlite:///{tmp_path / 'reset.db'}"
    migrate.upgrade(url)
    made = open_store(url)
    assert isinstance(made, SqliteStore)
    return made


def test_reset_among_concurrent_writes(store: SqliteStore) -> None:
    async def scenario() -> tuple[set[str], set[str], str]:
        await store.open()
        try:
            main, _ = await store.ensure_main_account(None, None)
            before = await store.create_account("before")
            values = [
                {"friendly_name": f"app {i}", "voice_url": "https://x.test/v"} for i in range(50)
            ]
            apps = await store.create_applications(before.sid, values)
            await store.create_number(
                before.sid,
                {"voice_application_sid": apps[0]["sid"]},
                phone_number="+15005550006",
                area_code=None,
                number_type=None,
            )
            # Queued together: a write, the reset, a write; they land in that order.
            doomed, _, kept = await asyncio.gather(
                store.create_account("queued before the reset"),
                store.reset(),
                store.create_account("queued after the reset"),
            )
            accounts = {a.sid for a in await store.list_accounts()}
            number = await store.create_number(
                kept.sid, {}, phone_number="+15005550007", area_code=None, number_type=None
            )

            async def dangling(tx: Tx) -> None:  # a link to no application
                await tx.run(
                    "UPDATE incoming_phone_numbers SET voice_application_sid = ? WHERE sid = ?",
                    ("AP" + "0" * 32, number["sid"]),
                )

            with pytest.raises(IntegrityError) as refused:
                await store._write(dangling)
            return accounts, {main.sid, kept.sid, doomed.sid}, str(refused.value.__cause__)
        finally:
            await store.close()

    accounts, made, refusal = asyncio.run(scenario())
    assert len(accounts) == 2 and accounts < made  # main and `kept`; `doomed` went with it
    assert "FOREIGN KEY" in refusal  # enforcement is back on after the reset's round


def test_statement_journals_are_kept_in_memory_except_for_the_reset(store: SqliteStore) -> None:
    """Every write's SAVEPOINT journal is in memory (a temporary file cost the writer most of its
    kernel time); the reset, whose journal holds every page it empties, keeps a file, and the
    writes after it are back in memory."""
    MEMORY, FILE = 2, 1  # PRAGMA temp_store's answers

    async def temp_store(tx: Tx) -> int:
        row = await tx.one("PRAGMA temp_store")
        assert row is not None
        return int(row[0])

    async def scenario() -> tuple[int, int, int]:
        await store.open()
        try:
            writer = store._writer
            assert writer is not None
            before = await store._write(temp_store)
            during = await writer.submit(temp_store, unchecked=True)
            await store.reset()
            after = await store._write(temp_store)
            return before, during, after
        finally:
            await store.close()

    assert asyncio.run(scenario()) == (MEMORY, FILE, MEMORY)
