"""The PostgreSQL store's pool hands a connection back without asyncpg's reset round trip
(`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;` after every read and
write), yet a connection still comes back clean: a transaction left open is rolled back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import Databases

from switchboard.store import migrate
from switchboard.store.postgres import PostgresStore, asyncpg_dsn
from switchboard.twilio.dates import system_clock
from switchboard.twilio.sids import SidSource


@pytest.fixture
def pg_url(databases: Databases, tmp_path: Path) -> str:
    url = databases.postgres(tmp_path)
    migrate.upgrade(url)
    return url


def test_a_released_connection_gets_no_reset_query_and_no_open_transaction(pg_url: str) -> None:
    async def scenario() -> tuple[list[str], str | None, bool]:
        import asyncpg

        # One connection: every use of the pool is the same one.
        store = PostgresStore(pg_url, clock=system_clock, sids=SidSource(), pool_size=1)
        await store.open()
        watcher = await asyncpg.connect(asyncpg_dsn(pg_url))
        try:
            pid = await store.pool.fetchval("SELECT pg_backend_pid()")
            account = await store.create_account("pool")  # a write: a transaction
            assert await store.get_account(account.sid) is not None  # a read
            last = await watcher.fetch(
                "SELECT query FROM pg_stat_activity WHERE pid = $1", pid
            )
            # A transaction left open by hand comes back rolled back all the same (asyncpg logs
            # that it rolled one back).
            async with store.pool.acquire() as conn:
                await conn.execute("BEGIN")
                await conn.execute("CREATE TEMP TABLE left_open (n int)")
            async with store.pool.acquire() as conn:
                table = await conn.fetchval("SELECT to_regclass('pg_temp.left_open')::text")
                in_tx = conn.is_in_transaction()  # as the server's last ReadyForQuery said
            return [str(r["query"]) for r in last], table, in_tx
        finally:
            await watcher.close()
            await store.close()

    queries, temp_table, in_transaction = asyncio.run(scenario())
    assert len(queries) == 1 and "RESET ALL" not in queries[0]
    assert "accounts" in queries[0]  # the read's own statement was the last one sent
    assert temp_table is None  # rolled back with its transaction
    assert not in_transaction
