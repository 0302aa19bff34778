"""Durability: what the server acknowledged survives a clean restart and a SIGKILL."""

from __future__ import annotations

import fcntl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from conftest import APPLICATION_KEYS, Server, query
from errors import assert_error, assert_sdk_error

APP_ATTRS = APPLICATION_KEYS


def sdk_fields(app: Any) -> dict[str, Any]:
    """Every documented field of an SDK ApplicationInstance."""
    return {name: getattr(app, name) for name in APP_ATTRS}


def integrity_check(database_url: str) -> list[str]:
    """SQLite's own integrity check; on PostgreSQL, amcheck over every btree index."""
    if database_url.startswith("sqlite:///"):
        return [row[0] for row in query(database_url, "PRAGMA integrity_check")]
    query(database_url, "CREATE EXTENSION IF NOT EXISTS amcheck")
    indexes = query(
        database_url,
        "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree' "
        "AND c.relnamespace = 'public'::regnamespace",
    )
    assert indexes, "no indexes found"
    for (index,) in indexes:
        query(database_url, f"SELECT bt_index_check('{index}'::regclass, true)")
    return ["ok"]


def list_all(http: httpx.Client, server: Server) -> list[dict[str, Any]]:
    resp = http.get(server.apps_path(), params={"PageSize": 1000})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["next_page_uri"] is None
    apps: list[dict[str, Any]] = body["applications"]
    return apps


def test_restart_keeps_acknowledged_state(server: Server) -> None:
    client = server.client()
    a = client.applications.create(
        friendly_name="alpha",
        voice_url="https://example.com/a/voice",
        voice_method="GET",
        sms_url="https://example.com/a/sms",
        voice_caller_id_lookup=True,
    )
    b = client.applications.create(
        friendly_name="bravo",
        status_callback="https://example.com/b/status",
        status_callback_method="GET",
        public_application_connect_enabled=True,
    )
    c = client.applications.create(friendly_name="charlie")
    b_updated = client.applications(b.sid).update(
        friendly_name="bravo-2",
        voice_url="https://example.com/b/voice",
        sms_method="GET",
        message_status_callback="https://example.com/b/msg",
    )
    assert b_updated.friendly_name == "bravo-2"
    assert client.applications(c.sid).delete() is True

    expected = {a.sid: sdk_fields(a), b.sid: sdk_fields(b_updated)}

    server.restart()

    client = server.client()
    for sid, fields in expected.items():
        assert sdk_fields(client.applications(sid).fetch()) == fields
    assert_sdk_error(lambda: client.applications(c.sid).fetch(), 404, 20404)
    listed = client.applications.list()
    assert sorted(app.sid for app in listed) == sorted(expected)
    for app in listed:
        assert sdk_fields(app) == expected[app.sid]


def create_concurrently(server: Server, n: int, threads: int) -> list[dict[str, Any]]:
    """`n` creates over raw HTTP from `threads` threads; every 201 body, in no particular order."""
    acknowledged: list[dict[str, Any]] = []
    lock = threading.Lock()
    local = threading.local()
    clients: list[httpx.Client] = []

    def one(i: int) -> None:
        http: httpx.Client | None = getattr(local, "http", None)
        if http is None:
            http = server.http()
            local.http = http
            with lock:
                clients.append(http)
        resp = http.post(
            server.apps_path(),
            data={
                "FriendlyName": f"app-{i:03d}",
                "VoiceUrl": f"https://example.com/{i}/voice",
                "VoiceMethod": "GET" if i % 2 else "POST",
                "SmsUrl": f"https://example.com/{i}/sms",
                "VoiceCallerIdLookup": "true" if i % 3 == 0 else "false",
            },
        )
        if resp.status_code == 201:
            with lock:
                acknowledged.append(resp.json())

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(one, range(n)))
    finally:
        for http in clients:
            http.close()
    return acknowledged


def test_sigkill_keeps_acknowledged_writes(server: Server) -> None:
    acknowledged = create_concurrently(server, 30, 4)
    assert len(acknowledged) == 30

    with server.http() as http:
        deleted = acknowledged.pop(7)
        assert http.delete(server.apps_path(suffix=f"/{deleted['sid']}.json")).status_code == 204
        updated = acknowledged[3]
        resp = http.post(
            server.apps_path(suffix=f"/{updated['sid']}.json"),
            data={"FriendlyName": "renamed", "SmsMethod": "GET"},
        )
        assert resp.status_code == 200, resp.text
        acknowledged[3] = resp.json()

    server.kill()
    assert integrity_check(server.database_url) == ["ok"]
    server.start()

    with server.http() as http:
        for app in acknowledged:
            resp = http.get(server.apps_path(suffix=f"/{app['sid']}.json"))
            assert resp.status_code == 200, resp.text
            assert resp.json() == app
        resp = http.get(server.apps_path(suffix=f"/{deleted['sid']}.json"))
        assert_error(resp, 404, 20404)
        listed = list_all(http, server)
    assert sorted(listed, key=lambda a: a["sid"]) == sorted(acknowledged, key=lambda a: a["sid"])


def test_sigkill_during_concurrent_writes(server: Server) -> None:
    """Kill while four writers are busy: every 201 that reached a client is on disk."""
    acknowledged: list[dict[str, Any]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w: int) -> None:
        with server.http() as http:
            i = 0
            while not stop.is_set():
                try:
                    resp = http.post(
                        server.apps_path(), data={"FriendlyName": f"w{w}-{i}"}, timeout=5
                    )
                except httpx.TransportError:
                    return  # the server died under this request: its outcome is unknown
                if resp.status_code == 201:
                    with lock:
                        acknowledged.append(resp.json())
                i += 1

    threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            with lock:
                if len(acknowledged) >= 30:
                    break
            time.sleep(0.01)
        server.kill()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    assert len(acknowledged) >= 30

    assert integrity_check(server.database_url) == ["ok"]
    server.start()
    with server.http() as http:
        listed = {a["sid"]: a for a in list_all(http, server)}
    for app in acknowledged:
        assert listed.get(app["sid"]) == app


def test_sqlite_writers_take_turns_through_the_lock_file(tmp_path: Path) -> None:
    """Processes on one SQLite file (`--workers`, or `switchboard` CLI commands) take turns to
    write through `<file>-writer.lock`: while another holds it, a create waits (and is then
    answered 201), and reads go on. Waiting on the lock, not polling SQLite's busy handler, is
    what keeps a two-worker p99 in milliseconds (docs/performance.md)."""
    database_url = f"sqlite:///{tmp_path / 'turns.db'}"  # SQLite's own: PostgreSQL has row locks
    lock_path = tmp_path / "turns.db-writer.lock"
    server = Server(database_url, tmp_path)
    server.start()
    try:
        _take_turns(server, lock_path)
    finally:
        server.stop()
    names = {row[0] for row in query(database_url, "SELECT friendly_name FROM applications")}
    assert names == {"before", "during"}


def _take_turns(server: Server, lock_path: Path) -> None:
    with server.http() as http:
        first = http.post(server.apps_path(), data={"FriendlyName": "before"})
        assert first.status_code == 201, first.text
        with open(lock_path, "a+") as lock:  # the server made the file on its first write
            fcntl.flock(lock, fcntl.LOCK_EX)
            done = threading.Event()
            answer: list[httpx.Response] = []

            def create() -> None:
                answer.append(http.post(server.apps_path(), data={"FriendlyName": "during"}))
                done.set()

            writer = threading.Thread(target=create)
            writer.start()
            assert not done.wait(1.0), "the create did not wait for the writer's turn"
            with server.http() as reader:
                read = reader.get(server.apps_path(), params={"PageSize": 50})
            assert read.status_code == 200, read.text
            assert [a["friendly_name"] for a in read.json()["applications"]] == ["before"]
            fcntl.flock(lock, fcntl.LOCK_UN)
        writer.join(timeout=30)
        assert done.is_set() and answer[0].status_code == 201, answer and answer[0].text
