"""Many Switchboard processes over one PostgreSQL: everything stays exactly as correct."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from conftest import Databases, Server, clean_env, free_port, query, run_cli
from errors import assert_error

pytestmark = pytest.mark.slow


@pytest.fixture
def pg_url(databases: Databases, tmp_path: Path) -> str:
    """Only PostgreSQL is shared by processes on several machines."""
    return databases.postgres(tmp_path)


@pytest.fixture
def servers(pg_url: str, tmp_path: Path) -> Iterator[list[Server]]:
    """Three servers on one database, started at the same moment (migrations race too)."""
    first = Server(pg_url, tmp_path)
    group = [first]
    for _ in range(2):
        other = Server(pg_url, tmp_path)
        other.account_sid, other.auth_token = first.account_sid, first.auth_token
        group.append(other)
    threads = [threading.Thread(target=s.start) for s in group]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        for s in group:
            assert s.proc is not None and s.proc.poll() is None, s.log_path.read_text()
        yield group
    finally:
        for s in group:
            s.stop()


def test_application_limit_is_exact_across_processes(servers: list[Server]) -> None:
    clients = [s.http() for s in servers]
    path = servers[0].apps_path()

    def create(i: int) -> httpx.Response:
        return clients[i % len(clients)].post(path, data={"FriendlyName": f"app {i}"})

    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(create, range(1030)))
    created = [r for r in results if r.status_code == 201]
    refused = [r for r in results if r.status_code == 400]
    assert len(created) == 1000
    assert len(refused) == 30
    for r in refused:
        assert_error(r, 400, 21301)
    sids = [r.json()["sid"] for r in created]
    assert len(set(sids)) == 1000, "SIDs collided"
    listed = clients[1].get(path, params={"PageSize": 1000}).json()["applications"]
    assert sorted(a["sid"] for a in listed) == sorted(sids)
    for c in clients:
        c.close()


def test_delete_and_link_race_never_leaves_a_dangling_link(servers: list[Server]) -> None:
    a, b = servers[0].http(), servers[1].http()
    base = f"/2010-04-01/Accounts/{servers[0].account_sid}"
    pairs = []
    for i in range(40):
        app = a.post(f"{base}/Applications.json", data={"FriendlyName": f"r{i}"}).json()["sid"]
        number = a.post(
            f"{base}/IncomingPhoneNumbers.json", data={"PhoneNumber": f"+1415555{i:04d}"}
        ).json()["sid"]
        pairs.append((app, number))

    def delete(app: str) -> int:
        return a.delete(f"{base}/Applications/{app}.json").status_code

    def link(app: str, number: str) -> int:
        return b.post(
            f"{base}/IncomingPhoneNumbers/{number}.json",
            data={"VoiceApplicationSid": app, "SmsApplicationSid": app},
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        deletes = [pool.submit(delete, app) for app, _ in pairs]
        links = [pool.submit(link, app, number) for app, number in pairs]
        assert {f.result() for f in deletes} == {204}
        assert {f.result() for f in links} <= {200, 400}
    for _, number in pairs:
        n = b.get(f"{base}/IncomingPhoneNumbers/{number}.json").json()
        assert n["voice_application_sid"] is None
        assert n["sms_application_sid"] is None
    dangling = query(
        servers[0].database_url,
        "SELECT count(*) FROM incoming_phone_numbers n WHERE voice_application_sid IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.sid = n.voice_application_sid)",
    )
    assert dangling == [(0,)]


def test_paging_neither_repeats_nor_skips_while_others_insert(servers: list[Server]) -> None:
    reader, writers = servers[0].http(), [s.http() for s in servers[1:]]
    path = servers[0].apps_path()
    original = set()
    for i in range(120):
        original.add(writers[i % 2].post(path, data={"FriendlyName": f"o{i}"}).json()["sid"])
    stop = threading.Event()

    def insert() -> int:
        n = 0
        while not stop.is_set() and n < 400:
            writers[n % 2].post(path, data={"FriendlyName": "new"})
            n += 1
        return n

    with ThreadPoolExecutor(max_workers=2) as pool:
        inserting = [pool.submit(insert) for _ in range(2)]
        seen: list[str] = []
        url: str | None = f"{path}?PageSize=7"
        while url:
            body = reader.get(url).json()
            seen.extend(a["sid"] for a in body["applications"])
            url = body["next_page_uri"]
            time.sleep(0.01)
        stop.set()
        inserted = sum(f.result() for f in inserting)
    assert inserted > 0
    assert len(seen) == len(set(seen)), "a page repeated a row"
    assert original <= set(seen), "a row that existed when listing started was skipped"


def _until(predicate: Any, timeout: float = 1.0) -> float:
    """Seconds until `predicate()` holds; fails after `timeout`."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            pytest.fail(f"not honoured within {timeout} s")
        time.sleep(0.02)


def test_suspension_and_token_rotation_reach_every_process(servers: list[Server]) -> None:
    parent = servers[0].http()
    sub = parent.post("/2010-04-01/Accounts.json", data={"FriendlyName": "sub"}).json()
    sub_path = f"/2010-04-01/Accounts/{sub['sid']}/Applications.json"
    for s in servers:
        assert s.http(sub["sid"], sub["auth_token"]).get(sub_path).status_code == 200
    parent.post(f"/2010-04-01/Accounts/{sub['sid']}.json", data={"Status": "suspended"})
    for s in servers[1:]:
        http = s.http(sub["sid"], sub["auth_token"])
        _until(lambda http=http: http.get(sub_path).status_code == 401)
    parent.post(f"/2010-04-01/Accounts/{sub['sid']}.json", data={"Status": "active"})

    old = sub["auth_token"]
    out = run_cli(
        "accounts", "rotate-token", sub["sid"], "--json", database_url=servers[0].database_url
    )
    import json

    new = json.loads(out.stdout)["auth_token"]
    assert new != old
    for s in servers:
        new_http, old_http = s.http(sub["sid"], new), s.http(sub["sid"], old)
        _until(lambda h=new_http: h.get(sub_path).status_code == 200)
        _until(lambda h=old_http: h.get(sub_path).status_code == 401)


def test_healthz_follows_the_database(pg_url: str, tmp_path: Path) -> None:
    server = Server(pg_url, tmp_path)
    server.start()
    name = pg_url.rsplit("/", 1)[1]
    admin = os.environ.get(
        "SWITCHBOARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    )
    try:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        down = httpx.get(f"{server.url}/healthz")
        assert_error(down, 503, 20503, xml=False)  # /healthz answers JSON
        api = server.http().get(server.apps_path())
        assert api.status_code == 503, api.text
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        _until(lambda: httpx.get(f"{server.url}/healthz").status_code == 200, timeout=10)
        assert server.http().get(server.apps_path()).status_code == 200
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        server.stop()


def test_serve_refuses_a_schema_newer_than_itself(pg_url: str, tmp_path: Path) -> None:
    run_cli("db", "upgrade", database_url=pg_url)
    query(pg_url, "UPDATE alembic_version SET version_num = '9999_future'")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "switchboard.cli",
            "serve",
            "--port",
            str(free_port()),
            "--database-url",
            pg_url,
        ],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "newer than this Switchboard knows" in proc.stderr


def test_workers_flag_runs_several_processes(pg_url: str, tmp_path: Path) -> None:
    server = Server(pg_url, tmp_path, ("--workers", "2"))
    server.start()
    try:
        assert server.proc is not None
        children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
        _until(lambda: len(children.read_text().split()) >= 2, timeout=20)
        http = server.http()
        for i in range(20):
            assert http.post(server.apps_path(), data={"FriendlyName": f"w{i}"}).status_code == 201
        listed = http.get(server.apps_path(), params={"PageSize": 100}).json()["applications"]
        assert len(listed) == 20
    finally:
        if server.proc is not None:
            server.proc.send_signal(signal.SIGINT)
        server.stop()


@pytest.mark.parametrize("given", [True, False], ids=["sid-and-token-given", "none-given"])
def test_servers_starting_together_agree_on_one_main_account(pg_url: str, given: bool) -> None:
    """`serve` makes the main account if it is missing: eight at once (each with its own
    connection pool, as separate processes have) make exactly one, and all answer with it.
    Without a lock each found none and inserted its own (a duplicate key, or two main
    accounts)."""
    import asyncio

    from switchboard.store import migrate, open_store

    migrate.upgrade(pg_url)
    sid = "AC" + "5" * 32 if given else None
    token = "a" * 32 if given else None

    async def race() -> list[tuple[Any, bool]]:
        stores = [open_store(pg_url) for _ in range(8)]
        for store in stores:
            await store.open()
        try:
            return list(
                await asyncio.gather(*(s.ensure_main_account(sid, token) for s in stores))
            )
        finally:
            for store in stores:
                await store.close()

    results = asyncio.run(race())
    assert [created for _, created in results].count(True) == 1
    assert len({account.sid for account, _ in results}) == 1
    if given:
        assert results[0][0].sid == sid
        assert {account.auth_token for account, _ in results} == {token}
    rows = query(pg_url, "SELECT sid FROM accounts WHERE is_main")
    assert [r[0] for r in rows] == [results[0][0].sid]
