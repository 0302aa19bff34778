"""The in-process engine and the `Switchboard` a test holds: HTTP on 127.0.0.1 from a thread of
the test process, reset, the request log and simulated traffic helpers, and the throwaway
(non-durable) store it runs on; on both stores."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
import testing_fixtures
from conftest import Databases, query
from receiver import Receiver
from twilio.base.exceptions import TwilioRestException

from switchboard.store import migrate, open_store
from switchboard.testing import Engine, Switchboard

engine = testing_fixtures.engine
board = testing_fixtures.board
receiver = testing_fixtures.receiver
CALLER = "+14155550123"


def test_http_and_in_process_serve_the_same_store(board: Switchboard) -> None:
    assert board.base_url is None  # not serving HTTP until asked
    app = board.client().applications.create(friendly_name="in process")
    base_url = board.engine.serve_http()
    assert base_url.startswith("http://127.0.0.1:")
    assert board.base_url == base_url
    over_http = board.client()  # now over HTTP, as README's recipe says
    assert over_http.api.base_url == base_url and over_http.edge is None
    assert [a.sid for a in over_http.applications.list()] == [app.sid]
    raw = httpx.get(
        f"{base_url}/2010-04-01/Accounts/{board.account_sid}/Applications/{app.sid}.json",
        auth=(board.account_sid, board.auth_token),
    )
    assert raw.status_code == 200 and raw.json()["friendly_name"] == "in process"
    assert board.engine.serve_http() == base_url  # once


def test_reset_keeps_only_the_main_account(board: Switchboard, engine: Engine) -> None:
    client = board.client()
    client.applications.create(friendly_name="gone after reset")
    client.api.accounts.create(friendly_name="a subaccount")
    fresh = Switchboard.fresh(engine)
    assert fresh.account_sid != board.account_sid
    accounts = engine.run(engine.store.list_accounts())
    assert {a.sid for a in accounts} == {engine.main.sid, fresh.account_sid}  # type: ignore[union-attr]
    assert fresh.client().applications.list() == []
    with pytest.raises(TwilioRestException) as gone:
        client.applications.create(friendly_name="x")
    assert gone.value.status == 401


def test_simulated_traffic_and_the_request_log_oldest_first(
    board: Switchboard, receiver: Receiver
) -> None:
    client = board.client()
    app = client.applications.create(
        friendly_name="log",
        voice_url=receiver.script("/voice", body="<Response><Say>Hi</Say></Response>"),
        sms_url=receiver.script("/sms", body="<Response><Message>Got it</Message></Response>"),
    )
    client.incoming_phone_numbers.create(
        phone_number="+15005550006", voice_application_sid=app.sid, sms_application_sid=app.sid
    )
    call = board.simulate_call("+15005550006", CALLER, CallerName="Alice")
    message = board.simulate_sms("+15005550006", CALLER, "hello")
    assert call["status"] == "completed" and call["verbs"][0]["text"] == "Hi"
    assert message["messages"][0]["body"] == "Got it"
    log = board.requests()
    assert [r["purpose"] for r in log] == ["voice_url", "sms_url"]
    assert log[0]["call_sid"] == call["call_sid"]
    assert log[1]["params"]["Body"] == "hello"
    assert all(r.signature_valid for r in receiver.requests())


def test_helpers_raise_the_sdks_exception_on_errors(board: Switchboard) -> None:
    with pytest.raises(TwilioRestException) as unknown:
        board.simulate_call("+15005550099", CALLER)
    assert (unknown.value.status, unknown.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException) as bad:
        board.simulate_sms("not-a-number", CALLER)
    assert bad.value.status == 400


def test_the_engine_cannot_wait_on_itself(engine: Engine) -> None:
    async def inner() -> str:
        async def noop() -> None: ...

        try:
            engine.run(noop())
        except RuntimeError as exc:
            return str(exc)
        return "no error"

    assert "own thread" in engine.run(inner())
    assert engine.run(engine.arun(asyncio.sleep(0, "same loop"))) == "same loop"


def test_the_repr_never_shows_the_token(board: Switchboard) -> None:
    assert board.auth_token not in repr(board)
    assert board.account_sid in repr(board)


def test_a_temporary_engine_cleans_up_after_itself() -> None:
    with Engine() as own:
        url = own.database_url
        assert url is not None
        folder = Path(url.removeprefix("sqlite:///")).parent
        base_url = own.serve_http()
        assert httpx.get(f"{base_url}/healthz").status_code == 200
        threads = {t.name for t in threading.enumerate()}
        assert "switchboard-engine" in threads
    assert not folder.exists()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base_url}/healthz", timeout=2)
    with pytest.raises(RuntimeError, match="not running"):
        own.create_account()
    own.stop()  # twice is harmless


# The store's `durable` switch, which the engine's store runs with


def synchronous_setting(store: object) -> int:
    writer = store._writer  # type: ignore[attr-defined]
    answer: list[int] = []
    ready = threading.Event()

    def read() -> None:
        answer.append(writer.conn.execute("PRAGMA synchronous").fetchone()[0])
        ready.set()

    writer.loop.call_soon_threadsafe(read)
    ready.wait(10)
    return answer[0]


def test_a_throwaway_store_skips_the_flush(
    store_kind: str, databases: Databases, tmp_path: Path
) -> None:
    url = databases.new(store_kind, tmp_path)
    migrate.upgrade(url)

    async def settings() -> tuple[object, object]:
        seen: list[object] = []
        for durable in (True, False):
            store = open_store(url, durable=durable)
            await store.open()
            try:
                if store_kind == "sqlite":
                    seen.append(synchronous_setting(store))
                else:
                    async with store.pool.acquire() as conn:  # type: ignore[attr-defined]
                        seen.append(await conn.fetchval("SHOW synchronous_commit"))
                account = await store.create_account(f"durable={durable}")
                assert await store.get_account(account.sid) is not None
            finally:
                await store.close()
        return seen[0], seen[1]

    durable, throwaway = asyncio.run(settings())
    if store_kind == "sqlite":
        assert (durable, throwaway) == (2, 0)  # FULL, OFF
    else:
        assert (durable, throwaway) == ("on", "off")
    names = {row[0] for row in query(url, "SELECT friendly_name FROM accounts")}
    assert names == {"durable=True", "durable=False"}


def test_a_key_keeps_the_sid_it_is_given(engine: Engine) -> None:
    account = engine.create_account()
    sid = "SK" + "ab" * 16
    record = engine.run(engine.store.create_key(account.sid, "given", "s3cret", sid=sid))
    assert record["sid"] == sid and "secret" not in record
    key = engine.run(engine.store.get_key(sid))
    assert key is not None and key.account_sid == account.sid and key.secret == "s3cret"


def shape(url: str) -> dict[str, object]:
    """Every table's columns, indexes, primary key and foreign keys, as SQLAlchemy reads them.
    Columns by name: their order differs (migrations append), and no query relies on it."""
    from sqlalchemy import create_engine, inspect

    db = create_engine(url)
    try:
        with db.connect() as conn:
            found = inspect(conn)
            return {
                table: (
                    sorted(
                        (c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)
                    ),
                    sorted((i["name"], i["column_names"]) for i in found.get_indexes(table)),
                    found.get_pk_constraint(table)["constrained_columns"],
                    sorted(str(fk) for fk in found.get_foreign_keys(table)),
                    conn.exec_driver_sql("PRAGMA journal_mode").scalar(),
                )
                for table in found.get_table_names()
                if table != "alembic_version"
            }
    finally:
        db.dispose()


def test_the_temporary_schema_is_the_migrated_one(tmp_path: Path) -> None:
    """The engine makes its temporary database from the metadata, without Alembic: the tables,
    columns, indexes and constraints must be exactly what the migrations build (which
    tests/ops/test_migrations.py checks against the metadata too)."""
    from switchboard.testing.engine import create_schema

    fresh, migrated = f"sqlite:///{tmp_path / 'fresh.db'}", f"sqlite:///{tmp_path / 'migrated.db'}"
    create_schema(fresh)
    migrate.upgrade(migrated)
    made = shape(fresh)
    assert made == shape(migrated)
    assert {"accounts", "applications", "incoming_phone_numbers", "api_keys"} <= set(made)
    assert all(table[-1] == "wal" for table in made.values())


def test_answers_over_keep_alive_are_not_held_back(board: Switchboard) -> None:
    """The server's connections send at once (TCP_NODELAY): with Nagle's algorithm on, each
    answer on a kept-alive connection waited 40 ms for the client's delayed ACK."""
    base_url = board.engine.serve_http()
    with httpx.Client(base_url=base_url, auth=(board.account_sid, board.auth_token)) as http:
        for _ in range(3):
            assert http.get(f"/2010-04-01/Accounts/{board.account_sid}.json").status_code == 200

        async def nodelay() -> list[int]:
            connections = board.engine._http.server_state.connections
            sockets = [c.transport.get_extra_info("socket") for c in connections]
            return [s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in sockets]

        flags = board.engine.run(nodelay())
    assert flags and all(flags)


def test_starting_never_imports_alembic() -> None:
    """Alembic's import was a fifth of the start: the temporary database needs no migration,
    and the store imports `migrate` (for `sqlite_path`) without it."""
    script = (
        "import sys\n"
        "from switchboard.testing import Engine\n"
        "with Engine() as engine:\n"
        "    engine.serve_http()\n"
        "    engine.create_account()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_the_empty_schema_is_kept_between_runs(tmp_path: Path) -> None:
    """The empty database an engine copies is made once per schema and kept in the user's cache
    folder: a second process neither makes it again nor imports SQLAlchemy to start."""
    script = (
        "import sys\n"
        "from switchboard.testing import Engine\n"
        "with Engine() as engine:\n"
        "    engine.create_account()\n"
        "print('sqlalchemy' in sys.modules)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}

    def start() -> str:
        run = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env
        )
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    assert start() == "True"  # the first run makes it
    [kept] = (tmp_path / "switchboard").iterdir()
    assert kept.name.startswith("empty-") and kept.suffix == ".db"
    made = kept.stat().st_mtime_ns
    assert start() == "False"  # the second copies it
    assert [p.name for p in (tmp_path / "switchboard").iterdir()] == [kept.name]
    assert kept.stat().st_mtime_ns == made
    tables = query(f"sqlite:///{kept}", "SELECT name FROM sqlite_master WHERE type = 'table'")
    assert {"applications", "jobs", "messages", "calls"} <= {row[0] for row in tables}


def test_an_unwritable_cache_folder_falls_back_to_a_temporary_one(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # the cache folder cannot be made inside a file
    script = (
        "from switchboard.testing import Engine\n"
        "with Engine() as engine:\n"
        "    print(engine.create_account().sid[:2])\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(blocked)}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "AC"
