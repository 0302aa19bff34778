"""The baseline: the least a Python ASGI server can do to answer the same requests.

A bare ASGI callable (no framework, no auth, no validation) served by uvicorn exactly as
Switchboard is (uvloop + httptools when installed, no access log), over the same SQLite file,
running the same statements and returning the same bytes (orjson on the row, keys in the same
order, the same list envelope):

- fetch: `SELECT <columns> FROM applications WHERE account_sid = ? AND sid = ?`
- list: `... WHERE account_sid = ? [AND sid > ?] ORDER BY sid LIMIT 51` (keyset, PageToken=PA...)
- create: the same INSERT, one `BEGIN IMMEDIATE ... COMMIT` per request, WAL with
  `synchronous=FULL`, so every 201 is durable (no application count: no rules at all)
- update: SELECT + UPDATE of the sent columns and `date_updated` in one transaction
- delete: DELETE in one transaction

Reads run on the event loop's connection (as Switchboard's do); writes run on one writer thread
with its own connection (as Switchboard's do), so an fsync never stalls the loop.

    python -m bench.baseline --port 9000 --database bench/.data/work/sqlite-1k.db
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

import orjson

from switchboard.store.schema import APPLICATIONS
from switchboard.twilio.dates import rfc2822
from switchboard.twilio.fields import Kind
from switchboard.twilio.resources import APPLICATION
from switchboard.twilio.sids import SidSource

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Row = tuple[Any, ...]

COLUMNS = APPLICATIONS.columns
SELECT = APPLICATIONS.select
INSERT = APPLICATIONS.insert
_INDEX = {c: i for i, c in enumerate(COLUMNS)}
# (json key, column index or -1, kind) in the JSON order.
_PLAN = [(f.key, _INDEX.get(f.key, -1), f.kind) for f in APPLICATION.fields]
_PARAM_TO_COLUMN = {f.param: f.key for f in APPLICATION.fields if f.writable}
_DEFAULTS = {f.key: f.default for f in APPLICATION.fields if f.writable}
JSON_HEADERS = [(b"content-type", b"application/json")]
PREFIX = "/2010-04-01/Accounts/"


def app_json(row: Row, uri: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, i, kind in _PLAN:
        if kind is Kind.URI:
            out[key] = uri
        elif kind is Kind.DATE:
            out[key] = rfc2822(row[i])
        elif kind is Kind.BOOL:
            out[key] = bool(row[i])
        else:
            out[key] = row[i]
    return out


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class Baseline:
    def __init__(self, path: str) -> None:
        self.path = path
        self.reader: sqlite3.Connection | None = None
        self.writer: sqlite3.Connection | None = None
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer")
        self.sids = SidSource()

    # Lifecycle

    def open(self) -> None:
        self.reader = _connect(self.path)
        self.reader.execute("PRAGMA query_only=ON")
        self.pool.submit(self._open_writer).result()

    def _open_writer(self) -> None:
        self.writer = _connect(self.path)
        self.writer.execute("PRAGMA journal_mode=WAL")
        self.writer.execute("PRAGMA synchronous=FULL")

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for conn in (self.reader, self.writer):
            if conn is not None:
                conn.close()

    # Writes, on the writer thread

    def _tx(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        conn = self.writer
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    async def write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.pool, self._tx, fn)

    # Handlers: each returns (status, body)

    def fetch(self, account: str, sid: str, uri: str) -> tuple[int, bytes]:
        assert self.reader is not None
        row = self.reader.execute(
            f"{SELECT} WHERE account_sid = ? AND sid = ?", (account, sid)
        ).fetchone()
        if row is None:
            return 404, b'{"status":404}'
        return 200, orjson.dumps(app_json(row, uri))

    def list(self, account: str, path: str, query: bytes) -> tuple[int, bytes]:
        assert self.reader is not None
        params = dict(parse_qsl(query.decode()))
        size = int(params.get("PageSize", "50"))
        page = int(params.get("Page", "0"))
        token = params.get("PageToken")
        if token:
            rows = self.reader.execute(
                f"{SELECT} WHERE account_sid = ? AND sid > ? ORDER BY sid LIMIT ?",
                (account, token[2:], size + 1),
            ).fetchall()
        else:
            rows = self.reader.execute(
                f"{SELECT} WHERE account_sid = ? ORDER BY sid LIMIT ?", (account, size + 1)
            ).fetchall()
        has_more = len(rows) > size
        rows = rows[:size]
        base = f"{PREFIX}{account}/Applications"
        items = [app_json(r, f"{base}/{r[_INDEX['sid']]}.json") for r in rows]
        sids = [item["sid"] for item in items]

        def uri(n: int, tok: str | None) -> str:
            tail = f"&PageToken={tok}" if tok else ""
            return f"{path}?PageSize={size}&Page={n}{tail}"

        start = page * size
        body = {
            "applications": items,
            "end": start + max(len(sids) - 1, 0),
            "first_page_uri": uri(0, None),
            "next_page_uri": uri(page + 1, f"PA{sids[-1]}") if has_more else None,
            "page": page,
            "page_size": size,
            "previous_page_uri": (
                uri(page - 1, f"PB{sids[0]}") if token and sids and page > 0 else None
            ),
            "start": start,
            "uri": uri(page, token),
        }
        return 200, orjson.dumps(body)

    async def create(self, account: str, form: bytes) -> tuple[int, bytes]:
        record: dict[str, Any] = dict(_DEFAULTS)
        for name, value in parse_qsl(form.decode(), keep_blank_values=True):
            column = _PARAM_TO_COLUMN.get(name)
            if column is not None:
                record[column] = value
        now = time.time_ns() // 1000
        record.update(
            account_sid=account, sid=self.sids.new("AP"), date_created=now, date_updated=now
        )
        row = tuple(record[c] for c in COLUMNS)
        await self.write(lambda conn: conn.execute(INSERT, row))
        uri = f"{PREFIX}{account}/Applications/{record['sid']}.json"
        return 201, orjson.dumps(app_json(row, uri))

    async def update(self, account: str, sid: str, uri: str, form: bytes) -> tuple[int, bytes]:
        changes: dict[str, Any] = {}
        for name, value in parse_qsl(form.decode(), keep_blank_values=True):
            column = _PARAM_TO_COLUMN.get(name)
            if column is not None:
                changes.setdefault(column, value)

        def run(conn: sqlite3.Connection) -> Row | None:
            row = conn.execute(
                f"{SELECT} WHERE account_sid = ? AND sid = ?", (account, sid)
            ).fetchone()
            if row is None:
                return None
            values = list(row)
            for column, value in changes.items():
                values[_INDEX[column]] = value
            at = _INDEX["date_updated"]
            values[at] = max(time.time_ns() // 1000, values[at] + 1)
            keys = [*changes, "date_updated"]
            conn.execute(
                f"UPDATE applications SET {', '.join(f'{k} = ?' for k in keys)} "
                "WHERE account_sid = ? AND sid = ?",
                [values[_INDEX[k]] for k in keys] + [account, sid],
            )
            return tuple(values)

        row = await self.write(run)
        if row is None:
            return 404, b'{"status":404}'
        return 200, orjson.dumps(app_json(row, uri))

    async def delete(self, account: str, sid: str) -> tuple[int, bytes]:
        changed = await self.write(
            lambda conn: (
                conn.execute(
                    "DELETE FROM applications WHERE account_sid = ? AND sid = ?", (account, sid)
                ).rowcount
            )
        )
        return (204, b"") if changed else (404, b'{"status":404}')

    # Routing

    async def route(self, method: str, path: str, query: bytes, body: bytes) -> tuple[int, bytes]:
        if path == "/healthz":
            return 200, b'{"status":"ok"}'
        if not path.startswith(PREFIX):
            return 404, b'{"status":404}'
        parts = path[len(PREFIX) :].split("/")
        account = parts[0]
        if len(parts) == 2 and parts[1] == "Applications.json":
            if method == "GET":
                return self.list(account, path, query)
            if method == "POST":
                return await self.create(account, body)
        elif len(parts) == 3 and parts[1] == "Applications" and parts[2].endswith(".json"):
            sid = parts[2][:-5]
            if method == "GET":
                return self.fetch(account, sid, path)
            if method == "POST":
                return await self.update(account, sid, path, body)
            if method == "DELETE":
                return await self.delete(account, sid)
        return 404, b'{"status":404}'


def build(path: str) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    baseline = Baseline(path)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    baseline.open()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    baseline.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        status, body = await baseline.route(
            scope["method"], scope["path"], scope["query_string"], b"".join(chunks)
        )
        headers = [(b"content-length", str(len(body)).encode())]
        if status != 204:
            headers += JSON_HEADERS
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="The benchmark's baseline server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True, help="SQLite file (already migrated)")
    parser.add_argument("--server", choices=("uvicorn", "granian"), default="uvicorn")
    args = parser.parse_args()
    if args.server == "granian":  # the very runner Switchboard's --server granian uses
        import socket

        from switchboard.api.servers import serve_granian

        sock = socket.create_server(("127.0.0.1", args.port), backlog=2048)
        raise SystemExit(serve_granian(build(args.database), sock))
    uvicorn.run(
        build(args.database),
        host="127.0.0.1",
        port=args.port,
        access_log=False,
        log_level="warning",
        server_header=False,
    )


if __name__ == "__main__":
    main()
