"""Per-request cost of the ASGI apps alone, without uvicorn, sockets or a load generator.

Calls Switchboard's app (`build_app`) and the baseline's straight from one event loop, one
request after another, on a working copy of a cached SQLite data set, and prints microseconds
per request. What this leaves out (HTTP parsing, the event loop's I/O, syscalls) costs both
servers the same, so the HTTP benchmark's ratio follows from these numbers:
`ratio = (base_us + http_us) / (ours_us + http_us)`.

    python -m bench.inprocess [--size 1k] [--requests 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from bench import dataset as ds
from bench.baseline import build as build_baseline
from bench.load import basic
from bench.workload import DEEP_INDEX, app_path, apps_path
from switchboard.api.app import build_app
from switchboard.config import Settings
from switchboard.store import open_store
from switchboard.store.base import Keyset

Message = MutableMapping[str, Any]
App = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[Message]],
        Callable[[Message], Awaitable[None]],
    ],
    Awaitable[None],
]


def _scope(target: str, auth: bytes) -> dict[str, Any]:
    path, _, query = target.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", auth)],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }


async def per_request_us(app: App, targets: list[str], auth: bytes, n: int) -> float:
    """Microseconds per request, after a warm-up; the app's lifespan runs around it."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    events: list[Message] = []

    async def lifespan_receive() -> Message:
        return await inbox.get()

    async def lifespan_send(message: Message) -> None:
        events.append(message)

    await inbox.put({"type": "lifespan.startup"})

    async def run_lifespan() -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        await app(scope, lifespan_receive, lifespan_send)

    lifespan = asyncio.create_task(run_lifespan())
    while not events:
        await asyncio.sleep(0.01)
    statuses: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scopes = [_scope(t, auth) for t in targets]
    try:
        for scope in scopes[:200]:
            await app(dict(scope), receive, send)
        if any(s != 200 for s in statuses):
            raise RuntimeError(f"unexpected statuses {set(statuses)}")
        started = time.perf_counter()
        for i in range(n):
            await app(dict(scopes[i % len(scopes)]), receive, send)
        elapsed = time.perf_counter() - started
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await lifespan
    return elapsed / n * 1e6


async def main_async(size: ds.Size, n: int) -> None:
    dataset = await ds.sqlite_dataset(size, print)
    work = ds.sqlite_working_copy(dataset)
    url = f"sqlite:///{work}"
    account = dataset.accounts[0]
    store = open_store(url)
    await store.open()
    rows = await store.list_applications(
        account.sid, friendly_name=None, page=Keyset(None, None, 1000)
    )
    await store.close()
    sids = [r["sid"] for r in rows]
    rng = random.Random(1)
    auth = basic(account.sid, account.auth_token).encode()
    cases = {
        "fetch": ([app_path(account.sid, rng.choice(sids)) for _ in range(1000)], n),
        "list": ([apps_path(account.sid) + "?PageSize=50"], max(n // 10, 100)),
        "list_deep": (
            [apps_path(account.sid) + f"?PageSize=50&Page=19&PageToken=PA{sids[DEEP_INDEX]}"],
            max(n // 10, 100),
        ),
    }
    print(f"{size.name}: microseconds per request in-process (no HTTP server), n={n}")
    print(f"{'op':<10} {'switchboard':>12} {'baseline':>10} {'difference':>11}")
    for op, (targets, count) in cases.items():
        ours = await per_request_us(build_app(Settings(database_url=url)), targets, auth, count)
        base = await per_request_us(build_baseline(str(work)), targets, auth, count)
        print(f"{op:<10} {ours:>12.1f} {base:>10.1f} {ours - base:>11.1f}")
    ds.remove_sqlite(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1k", help="1k, 100k or 1m (SQLite)")
    parser.add_argument("--requests", type=int, default=20000, help="fetches to time")
    args = parser.parse_args()
    coro = main_async(ds.parse_size(args.size), args.requests)
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)
    else:
        uvloop.run(coro)


if __name__ == "__main__":
    main()
