"""The webhook client's HTTP/1.1 transport: httpx's interface, a lean connection underneath.

httpx's own transport (httpcore over anyio, h11 parsing in Python) was half of a server's busy
time on simulated calls (`python -m bench.profile --ops call`: 55 % of the event loop thread's
samples), mostly per request and not per byte: every request asked every pooled connection
whether its socket was readable (a `poll` each), and each read went through anyio's layers. Here
a connection is an `asyncio.Protocol` whose bytes go straight into httptools (the C parser
uvicorn already uses), so a webhook costs one write and the parser's callbacks.

What it keeps of httpx's behaviour, because `webhooks.py` and its tests rely on it:

- the same request bytes (the request line, then `request.headers` as httpx built them, Host
  and Content-Length included, then the body; `Webhooks` writes the same header pairs itself
  for `exchange`, `tests/unit/test_webhooks.py` compares the two);
- keep-alive per origin: an idle connection is reused (newest first) unless the server closed
  it, sent anything while it was idle, or has been idle `IDLE_SECONDS` (shorter than the
  usual server keep-alive of 5 s, so we do not race the server's own close); at most
  `KEEP_IDLE` idle connections per origin. A server may still close a kept-alive connection
  just as a request goes out on it (one that closes after each answer without saying
  `Connection: close` always does): when a reused connection ends before the first byte of
  its answer, the request is sent once more on a new connection, as Go's client and urllib3
  do. Such a server may have read the first copy; Twilio's `I-Twilio-Idempotency-Token`
  header, the same on both, is there to tell. A new connection is never retried;
- httpx's exceptions, so failures keep their Twilio codes: `ConnectTimeout`/`ReadTimeout`
  (11200), `ConnectError`/`ReadError`/`RemoteProtocolError` (11205);
- the timeouts in `request.extensions["timeout"]`: connect, and read (each wait for bytes);
  `Webhooks.send` bounds the whole request besides;
- the body streamed as it arrives, undecoded (`answer.read` inflates and bounds it), reading
  paused while more than `HIGH_WATER` bytes wait unread;
- a body that ends with the connection (no Content-Length, not chunked) is read to the end and
  the connection not reused; a connection cut before its body's end is a `RemoteProtocolError`.

`exchange` is the transport itself: a request as the pieces it is written from (method, `Target`,
header pairs, body, timeouts). `Webhooks` calls it directly for plain-HTTP URLs, so a webhook
builds no `httpx.Request` (its URL parsing and header normalising were 9 % of a server's busy
time on calls); `handle_async_request`, httpx's interface, is a thin adapter over it for
everything else (`https://`, the testing toolkit's `RoutedTransport`).

Not HTTP/1.1's whole client side: no pipelining, no `Expect: 100-continue` (a 1xx answer is
skipped), no upgrade. `https://` URLs go to httpx's own transport (made on first use: its TLS
context costs tens of milliseconds).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from functools import lru_cache
from typing import NamedTuple, cast

import httptools
import httpx

KEEP_IDLE = 128  # idle connections kept per origin: more than the outbox runs at once (64)
IDLE_SECONDS = 4.0  # an idle connection older than this is closed rather than reused
HIGH_WATER = 256 * 1024  # unread body bytes at which reading pauses (resumes at a quarter)

Origin = tuple[str, int]


class Target(NamedTuple):
    """A plain-HTTP URL as a request is written from it."""

    origin: Origin  # where to connect
    netloc: bytes  # the Host header
    path: bytes  # the request line's target: path and query


@lru_cache(maxsize=512)
def plain_target(url: str) -> Target | None:
    """Where an `http://` URL goes, as httpx parses it (so the same bytes: dot segments removed,
    percent-encoding, a default port dropped); None for any other scheme or no host. Cached: a
    server requests the same few URLs over and over. Raises `httpx.InvalidURL`, also for what
    httpx raises otherwise on a host it cannot decode (`xn--ab.com`: the `idna` package's
    errors, or a malformed bracketed host's `ValueError`)."""
    try:
        parsed = httpx.URL(url)
        host = parsed.host
    except ValueError as exc:
        raise httpx.InvalidURL(str(exc)) from None
    if parsed.scheme != "http" or not host:
        return None
    return Target((host, parsed.port or 80), parsed.netloc, parsed.raw_path)


class _Closed(Exception):
    """The connection ended before the first byte of the answer."""


def _expire(waiter: asyncio.Future[None], late: str) -> None:
    if not waiter.done():
        waiter.set_exception(httpx.ReadTimeout(late))


class Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: a request written, its answer parsed as it arrives."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser: httptools.HttpResponseParser | None = None  # while an answer is awaited
        self.closed = False  # the server closed, or the connection was lost
        self.dirty = False  # bytes arrived that no request asked for
        self.idle_since = 0.0
        self._waiter: asyncio.Future[None] | None = None
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.done = False  # the whole answer arrived
        self.framed = True  # its length is known (else it ends with the connection)
        self.keep_alive = False  # the answer lets the connection be reused
        self.informational = False
        self.received = 0  # bytes of the answer so far
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.paused = False
        self.error: httpx.TransportError | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if self.parser is None or self.error is not None:
            self.dirty = True
            return
        self.received += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.error = httpx.RemoteProtocolError("the server switched protocols")
        except httptools.HttpParserError as exc:
            self.error = httpx.RemoteProtocolError(f"a malformed answer: {exc}")
        if self.buffered > HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()

    # httptools callbacks

    def on_message_begin(self) -> None:
        if self.done:
            self.dirty = True  # a second answer to one request

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        assert self.parser is not None
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # an interim answer: the real one follows
            self.informational = True
            return
        self.status = status
        self.head_done = True
        # Read now: the parser forgets it once the message is complete.
        self.keep_alive = self.parser.should_keep_alive()
        if status in (204, 304):
            return
        names = {name.lower() for name, _ in self.headers}
        self.framed = b"content-length" in names or b"transfer-encoding" in names

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)

    def on_message_complete(self) -> None:
        if self.informational:
            self.informational = False
            self.headers = []
            return
        self.done = True

    # Waiting for the answer

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait(self, timeout: float | None, late: str) -> None:
        """Until bytes, the end or an error arrive; httpx's ReadTimeout (`late`) after
        `timeout` seconds with nothing. The timer fails the waiter itself: half the cost of
        `asyncio.timeout`, which cancels the task and turns the cancellation back."""
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        timer = None if timeout is None else loop.call_later(timeout, _expire, waiter, late)
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    async def send(self, data: bytes, read_timeout: float | None) -> None:
        """Write a whole request; return once the answer's head is in (`status`, `headers`)."""
        assert self.transport is not None
        self._reset()
        self.parser = httptools.HttpResponseParser(self)
        self.transport.write(data)
        while not self.head_done:
            if self.error is not None:
                raise self.error
            if self.closed:
                if self.received:
                    raise httpx.RemoteProtocolError("closed in the middle of the answer")
                raise _Closed()
            await self._wait(read_timeout, "no answer within the read timeout")

    async def body(self, read_timeout: float | None) -> AsyncIterator[bytes]:
        while True:
            while self.chunks:
                chunk = self.chunks.popleft()
                self.buffered -= len(chunk)
                if self.paused and self.buffered <= HIGH_WATER // 4 and self.transport:
                    self.paused = False
                    self.transport.resume_reading()
                yield chunk
            if self.error is not None:
                raise self.error
            if self.done:
                return
            if self.closed:
                if not self.framed:  # it ends with the connection: this is its end
                    self.done = True
                    return
                raise httpx.RemoteProtocolError("the connection closed before the whole answer")
            await self._wait(read_timeout, "the answer stalled past the read timeout")

    def reusable(self) -> bool:
        return (
            self.done
            and self.keep_alive
            and self.framed
            and not self.closed
            and not self.dirty
            and self.error is None
        )

    def idle(self) -> None:
        self.parser = None
        self.idle_since = time.monotonic()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _Answer(httpx.AsyncByteStream):
    """An answer's body; closing it hands the connection back or closes it."""

    def __init__(self, pool: Http1Transport, origin: Origin, conn: Connection, read: float | None):
        self.pool, self.origin, self.conn, self.read = pool, origin, conn, read

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.conn.body(self.read):
            yield chunk

    async def aclose(self) -> None:
        self.pool.release(self.origin, self.conn)


class Http1Transport(httpx.AsyncBaseTransport):
    """Plain-HTTP webhooks over kept-alive `Connection`s; `https://` through httpx's transport."""

    def __init__(self) -> None:
        self._idle: dict[Origin, list[Connection]] = {}
        self._tls: httpx.AsyncHTTPTransport | None = None
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "http":
            if self._tls is None:
                self._tls = httpx.AsyncHTTPTransport(trust_env=False)
            return await self._tls.handle_async_request(request)
        timeouts = request.extensions.get("timeout") or {}
        return await self.exchange(
            request.method.encode("ascii"),
            Target((url.host, url.port or 80), url.netloc, url.raw_path),
            request.headers.raw,
            await request.aread(),
            timeouts.get("connect"),
            timeouts.get("read"),
        )

    async def exchange(
        self,
        method: bytes,
        target: Target,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        connect_timeout: float | None,
        read_timeout: float | None,
    ) -> httpx.Response:
        """Send one plain-HTTP request: the request line, `headers` as given (Host and
        Content-Length included: nothing is added), `body`; the answer once its head is in."""
        head = [method, b" ", target.path, b" HTTP/1.1\r\n"]
        for name, value in headers:
            head += (name, b": ", value, b"\r\n")
        head.append(b"\r\n")
        data = b"".join(head) + body
        origin = target.origin
        conn = self._take(origin)
        while True:
            fresh = conn is None
            if conn is None:
                conn = await self._connect(origin, connect_timeout)
            try:
                await conn.send(data, read_timeout)
                break
            except _Closed:
                conn.close()
                if fresh:
                    raise httpx.RemoteProtocolError("closed without an answer") from None
                conn = None  # a kept-alive connection the server had closed: a new one
            except BaseException:
                conn.close()
                raise
        return httpx.Response(
            conn.status,
            headers=conn.headers,
            stream=_Answer(self, origin, conn, read_timeout),
            extensions={"http_version": b"HTTP/1.1"},
        )

    def _take(self, origin: Origin) -> Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if conn.closed or conn.dirty or now - conn.idle_since > IDLE_SECONDS:
                conn.close()
                continue
            return conn
        return None

    async def _connect(self, origin: Origin, timeout: float | None) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                _, conn = await loop.create_connection(Connection, origin[0], origin[1])
        except TimeoutError:
            raise httpx.ConnectTimeout("no connection within the connect timeout") from None
        except (OSError, ValueError, OverflowError) as exc:
            # ValueError: a name IDNA cannot encode (a label over 63 characters, `a..b`);
            # OverflowError: a port past 65535, which httpx's URL lets through.
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from None
        return conn

    def release(self, origin: Origin, conn: Connection) -> None:
        if self._closed or not conn.reusable():
            conn.close()
            return
        conn.idle()
        idle = self._idle.setdefault(origin, [])
        idle.append(conn)
        while len(idle) > KEEP_IDLE:
            idle.pop(0).close()

    async def aclose(self) -> None:
        self._closed = True  # an answer still being read closes its connection when done
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
        if self._tls is not None:
            await self._tls.aclose()
