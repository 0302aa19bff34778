"""The webhook baseline: the least a Python program can do to run the `call` and `ivr` ops.

A bare asyncio client, no server in front: `-c` tasks, each on its own keep-alive connection to
the same webhook receiver Switchboard calls, loop for `-d` seconds over the accounts and numbers
of the op's request file. Per call, what Switchboard's simulated call does, and nothing else:

- one read: the number's voice application's URL (`incoming_phone_numbers` joined to
  `applications`, on the loop's own SQLite connection);
- the same form (built by `inbound_params`, the call's SID fresh, encoded by the same
  `forms.urlencode`), signed the same way
  (`X-Twilio-Signature`, HMAC-SHA1 with the account's token), POSTed to the receiver over raw
  asyncio streams; for `ivr` three POSTs (the Gather document, its action with `Digits=1`, the
  Dial's action with `DialCallStatus`), following the receiver's fixed paths (no TwiML parsing);
- the same rows stored: a trace, one `webhook_requests` row per POST (their bodies copied from
  the newest such rows Switchboard stored in the same database, so the same sizes), both logs'
  `log_sizes` counted, in one transaction on a writer thread (WAL, `synchronous=FULL`, group
  commit: every write waiting when a round starts goes into its one COMMIT).

Once the time is up, and its CPU time taken, it deletes what it stored and takes its rows off
`log_sizes` again: it never trims the logs, and left in they would put the account's logs some
25,000 rows over Switchboard's bound, which Switchboard's next call would then trim in one
statement (a stall of half a second in the next measured run: its p99).

It prints the `BENCHJSON` line of the load generators (calls, seconds, latency percentiles per
call, errors), so the bench reads it as one more server's run.

    python -m bench.hookbase --database F.db --requests call.tsv --receiver URL -c 32 -d 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import queue
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from switchboard.traffic.call_params import inbound_params
from switchboard.twilio.forms import urlencode
from switchboard.twilio.sids import SidSource
from switchboard.twilio.signature import compute_signature

IVR_STEPS: tuple[tuple[str, dict[str, str]], ...] = (
    ("", {}),
    ("/choice", {"Digits": "1"}),
    ("/after", {"DialCallStatus": "completed"}),
)


class Writer:
    """One thread, one connection; each round commits every write queued when it starts."""

    def __init__(self, path: str, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: queue.Queue[tuple[list[tuple[str, tuple[Any, ...]]], asyncio.Future[None]]]
        self.queue = queue.Queue()
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA busy_timeout=30000")
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = self.loop.create_future()
        self.queue.put((statements, fut))
        return fut

    def _run(self) -> None:
        while True:
            batch = [self.queue.get()]
            while not self.queue.empty():
                batch.append(self.queue.get_nowait())
            error: BaseException | None = None
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                for statements, _ in batch:
                    for sql, args in statements:
                        self.conn.execute(sql, args)
                self.conn.execute("COMMIT")
            except BaseException as exc:
                error = exc
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
            for _, fut in batch:
                self.loop.call_soon_threadsafe(_settle, fut, error)


def _settle(fut: asyncio.Future[None], error: BaseException | None) -> None:
    if fut.done():
        return
    if error is None:
        fut.set_result(None)
    else:
        fut.set_exception(error)


class Http:
    """One keep-alive HTTP/1.1 connection to the receiver: POST a form, read the answer."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, signature: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])


async def run(args: argparse.Namespace) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    db = sqlite3.connect(args.database, isolation_level=None)
    db.execute("PRAGMA busy_timeout=30000")
    calls: list[tuple[str, str, str]] = []  # (account SID, token, To)
    tokens = dict(db.execute("SELECT sid, auth_token FROM accounts").fetchall())
    for line in Path(args.requests).read_text().splitlines():
        _method, path, _auth, body = line.split("\t", 3)
        account = path.split("/")[4]
        calls.append((account, tokens[account], dict(parse_qsl(body))["To"]))
    ivr = args.op == "ivr"
    steps = IVR_STEPS if ivr else (("", {}),)
    trace_body, request_body = _templates(db, len(steps))
    writer = Writer(args.database, loop)
    sids = SidSource()
    receiver = urlsplit(args.receiver)
    host, port = receiver.hostname or "127.0.0.1", receiver.port or 80
    latencies: list[float] = []
    stored: list[tuple[str, str, list[str]]] = []  # (account, call SID, request SIDs)
    errors = 0
    deadline = time.monotonic() + args.duration

    async def one_call(http: Http, account: str, token: str, to: str) -> None:
        row = db.execute(
            "SELECT a.sid, a.voice_url FROM incoming_phone_numbers n JOIN applications a "
            "ON a.sid = n.voice_application_sid WHERE n.account_sid = ? AND n.phone_number = ?",
            (account, to),
        ).fetchone()
        app_sid, voice_url = row
        call_sid = sids.new("CA")
        params = inbound_params(
            account_sid=account, api_version="2010-04-01", application_sid=app_sid,
            call_sid=call_sid, from_="+15005550006", to=to, form={}, caller_id_lookup=False,
            issued_at=int(time.time()),
        )  # fmt: skip
        now = time.time_ns() // 1000
        statements: list[tuple[str, tuple[Any, ...]]] = [
            (
                "INSERT INTO traces (sid, account_sid, kind, status, body, date_created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (call_sid, account, "call", "completed", trace_body, now),
            )
        ]
        requests: list[str] = []
        for suffix, extra in steps:
            url = voice_url + suffix
            form = {**params, **extra}
            status = await http.post(
                urlsplit(url).path, urlencode(form).encode(), compute_signature(url, form, token)
            )
            if status != 200:
                raise RuntimeError(f"receiver answered {status}")
            requests.append(sids.new("RQ"))
            statements.append(
                (
                    "INSERT INTO webhook_requests (sid, account_sid, trace_sid, body, "
                    "date_created) VALUES (?, ?, ?, ?, ?)",
                    (requests[-1], account, call_sid, request_body, now),
                )
            )
        for log, added in (("traces", 1), ("webhook_requests", len(steps))):
            statements.append(
                (
                    "INSERT INTO log_sizes (account_sid, log, size) VALUES (?, ?, ?) ON CONFLICT "
                    "(account_sid, log) DO UPDATE SET size = log_sizes.size + excluded.size",
                    (account, log, added),
                )
            )
        await writer.write(statements)
        stored.append((account, call_sid, requests))

    async def task(index: int) -> None:
        nonlocal errors
        http = Http(host, port)
        i = index
        while time.monotonic() < deadline:
            account, token, to = calls[i % len(calls)]
            i += 1
            started = time.perf_counter()
            try:
                await one_call(http, account, token, to)
            except (OSError, RuntimeError, sqlite3.Error, asyncio.IncompleteReadError):
                errors += 1
                http = Http(host, port)
                continue
            latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    await asyncio.gather(*(task(i) for i in range(args.connections)))
    seconds = time.monotonic() - started
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e6 if latencies else 0

    cpu_us = _cpu_seconds() * 1e6  # this process's own, user + system; not the clean-up's
    deleted = _unstore(writer.conn, stored)
    return {
        "requests": len(latencies),
        "duration_us": seconds * 1e6,
        "p50_us": pct(0.50),
        "p99_us": pct(0.99),
        "connect": 0, "read": 0, "write": 0, "timeout": 0, "status": errors,
        "cpu_us": cpu_us,
        "stored": deleted,  # traces stored (each found and deleted again)
    }  # fmt: skip


def _unstore(conn: sqlite3.Connection, stored: list[tuple[str, str, list[str]]]) -> int:
    """Delete the traces and requests this run stored and take them off `log_sizes`, in one
    transaction (the writer thread is idle: every write was awaited); the traces deleted."""
    counts: dict[tuple[str, str], int] = {}
    for account, _, requests in stored:
        counts[(account, "traces")] = counts.get((account, "traces"), 0) + 1
        counts[(account, "webhook_requests")] = (
            counts.get((account, "webhook_requests"), 0) + len(requests)
        )
    conn.execute("BEGIN IMMEDIATE")
    deleted = conn.executemany(
        "DELETE FROM traces WHERE sid = ?", [(sid,) for _, sid, _ in stored]
    ).rowcount
    conn.executemany(
        "DELETE FROM webhook_requests WHERE sid = ?",
        [(sid,) for _, _, requests in stored for sid in requests],
    )
    conn.executemany(
        "UPDATE log_sizes SET size = size - ? WHERE account_sid = ? AND log = ?",
        [(n, account, log) for (account, log), n in counts.items()],
    )
    conn.execute("COMMIT")
    return deleted


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _templates(db: sqlite3.Connection, requests: int) -> tuple[str, str]:
    """The body of the newest trace Switchboard stored with `requests` webhook requests, and of
    its first request (so the rows stored are the size of Switchboard's); else small stand-ins."""
    row = db.execute(
        "SELECT t.body, (SELECT r.body FROM webhook_requests r WHERE r.trace_sid = t.sid "
        "ORDER BY r.sid LIMIT 1) FROM traces t WHERE (SELECT count(*) FROM webhook_requests r "
        "WHERE r.trace_sid = t.sid) = ? ORDER BY t.sid DESC LIMIT 1",
        (requests,),
    ).fetchone()
    if row is None or row[1] is None:
        return json.dumps({"status": "completed", "events": []}), json.dumps({"status": 200})
    return row[0], row[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database", required=True, help="the SQLite file the bench serves")
    p.add_argument("--requests", required=True, help="the op's request file (call.tsv, ivr.tsv)")
    p.add_argument("--receiver", required=True, help="the receiver's base URL")
    p.add_argument("--op", choices=("call", "ivr"), default="call")
    p.add_argument("-c", "--connections", type=int, default=32)
    p.add_argument("-d", "--duration", type=float, default=5.0)
    args = p.parse_args()
    import uvloop  # as under Switchboard's servers

    print("BENCHJSON " + json.dumps(uvloop.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
