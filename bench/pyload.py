"""The load generator used when wrk is not installed (and by the test guard): asyncio streams.

N keep-alive connections send the requests of a request file (the format `requests.lua` reads:
`METHOD \\t PATH \\t AUTHORIZATION \\t BODY`) in turn, round robin, for a bounded time; each
request's latency is taken from writing it to reading the end of its answer. Prints one line,
`BENCHJSON {...}`, with the keys wrk's script prints.

`paced` is the other way to load a server: each request at its own moment (a rate, not as fast
as the server answers), as the callback-lag measurement sends messages and calls.

    python -m bench.pyload --url http://127.0.0.1:8080 --requests FILE -c 16 -d 5
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    status_errors: int = 0  # answers with a status >= 400
    connect: int = 0
    read: int = 0


def request_bytes(method: str, target: str, auth: str, body: str, host: str) -> bytes:
    """One HTTP/1.1 request as written on a keep-alive connection (a form body, if any)."""
    head = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    if auth:
        head.append(f"Authorization: {auth}")
    data = body.encode()
    if data:
        head.append("Content-Type: application/x-www-form-urlencoded")
    if data or method in ("POST", "PUT", "PATCH"):
        head.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


def load_requests(path: Path, host: str) -> list[bytes]:
    out: list[bytes] = []
    for line in path.read_text().splitlines():
        parts = line.split("\t", 3)
        if len(parts) != 4:
            continue
        method, target, auth, body = parts
        out.append(request_bytes(method, target, auth, body, host))
    if not out:
        raise ValueError(f"no requests in {path}")
    return out


async def _read_answer(reader: asyncio.StreamReader, *, keep: bool = True) -> tuple[int, bytes]:
    """An answer's status and (`keep`) body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    body = []
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if keep:
                body.append(chunk[:-2])
            if size == 0:
                break
    elif length:
        chunk = await reader.readexactly(length)
        if keep:
            body.append(chunk)
    return status, b"".join(body)


async def _connection(
    host: str,
    port: int,
    requests: list[bytes],
    counter: itertools.count[int],
    deadline: float,
    tally: Tally,
) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        tally.connect += 1
        return
    n = len(requests)
    try:
        while True:
            started = time.perf_counter()
            if started >= deadline:
                break
            writer.write(requests[next(counter) % n])
            try:
                status, _ = await _read_answer(reader, keep=False)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                tally.read += 1
                break
            tally.latencies.append(time.perf_counter() - started)
            if status >= 400:
                tally.status_errors += 1
    finally:
        writer.close()


async def run(
    url: str, requests: list[bytes], connections: int, duration: float
) -> dict[str, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    tally = Tally()
    counter = itertools.count()
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(
        *(_connection(host, port, requests, counter, deadline, tally) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    lat = sorted(tally.latencies)

    def pct(p: float) -> float:
        if not lat:
            return 0.0
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1e6

    return {
        "requests": len(lat),
        "duration_us": elapsed * 1e6,
        "p50_us": pct(50),
        "p99_us": pct(99),
        "mean_us": (sum(lat) / len(lat) * 1e6) if lat else 0.0,
        "max_us": lat[-1] * 1e6 if lat else 0.0,
        "connect": tally.connect,
        "read": tally.read,
        "write": 0,
        "status": tally.status_errors,
        "timeout": 0,
    }


async def paced(
    url: str, requests: Sequence[bytes], rate: float, connections: int = 64
) -> list[tuple[int, bytes]]:
    """Send request i at `i / rate` seconds from the start, whatever the answers take, on
    `connections` keep-alive connections (a request falls behind its moment only while every
    one of them waits for an answer); each request's status and body, in order (status 0: its
    connection failed).

    Raw streams, not an HTTP client library. The bench sent with an `httpx.AsyncClient` until
    2026-12-03: at 1,400 requests a second it spent 10.4 ms of CPU on each (its pool's
    bookkeeping grows with the requests waiting for a connection) and had the answers to 2,800
    after 29 s, not 2 s (97 a second on average); this sends them on time at 150 µs each. Its
    callback lags were measured at a small part of the rate they named, beside a client taking
    the CPU the webhook receiver shares with the load generator (docs/performance.md).
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    answers: list[tuple[int, bytes]] = [(0, b"")] * len(requests)
    counter = itertools.count()
    start = time.monotonic()

    async def connection() -> None:
        reader = writer = None
        try:
            while (i := next(counter)) < len(requests):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                assert reader is not None
                writer.write(requests[i])
                answers[i] = await _read_answer(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            pass  # this connection's request stays (0, b""); the others carry on
        finally:
            if writer is not None:
                writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description="Python load generator (wrk stand-in)")
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=Path, required=True)
    parser.add_argument("-c", "--connections", type=int, default=16)
    parser.add_argument("-d", "--duration", type=float, default=5.0)
    args = parser.parse_args()
    host = urlsplit(args.url).netloc
    requests = load_requests(args.requests, host)
    coro = run(args.url, requests, args.connections, args.duration)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(coro)
    else:
        result = uvloop.run(coro)
    print("BENCHJSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
