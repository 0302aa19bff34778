"""The webhook client's HTTP/1.1 transport (traffic/transport.py), against small servers run in
the test's own event loop on 127.0.0.1: the bytes it sends, keep-alive and when a connection is
not reused, every way an answer can be framed or cut, and the exceptions httpx would raise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import uvloop

from switchboard.traffic import transport
from switchboard.traffic.transport import Http1Transport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 11\r\n\r\n<Response/>"


class Served:
    """A server answering with `handler`; counts the connections it accepted."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []

    async def __aenter__(self) -> Served:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                await self.handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        self.server = await asyncio.start_server(accept, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        request = head + await reader.readexactly(length)
        self.requests.append(request)
        return request


LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,  # what a server runs (its transports are not asyncio's)
}
_loop = ["asyncio"]


@pytest.fixture(autouse=True, params=sorted(LOOPS))
def loop_kind(request: pytest.FixtureRequest) -> None:
    _loop[0] = request.param


def run(coro: Awaitable[Any]) -> Any:
    async def main() -> Any:
        return await coro

    with asyncio.Runner(loop_factory=LOOPS[_loop[0]]) as runner:
        return runner.run(main())


async def fetch(
    client: httpx.AsyncClient, url: str, *, method: str = "POST", content: bytes = b"a=1"
) -> tuple[int, bytes, httpx.Headers]:
    timeout = httpx.Timeout(2.0, connect=1.0)
    async with client.stream(method, url, content=content, timeout=timeout) as resp:
        body = b"".join([chunk async for chunk in resp.aiter_raw()])
        return resp.status_code, body, resp.headers


def keep_answering(answer: bytes, served: list[Served]) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await served[0].read_request(reader)
            writer.write(answer)
            await writer.drain()

    return handler


# The request and keep-alive


def test_the_request_is_sent_as_httpx_built_it_and_the_connection_is_kept() -> None:
    async def go() -> None:
        box: list[Served] = []
        async with Served(keep_answering(OK, box)) as s:
            box.append(s)
            async with httpx.AsyncClient(transport=Http1Transport(), trust_env=False) as client:
                headers = {"X-Twilio-Signature": "sig", "User-Agent": "TwilioProxy/1.1"}
                for _ in range(3):
                    async with client.stream(
                        "POST", s.url + "/hook?x=1&y=%20", content=b"Digits=1", headers=headers
                    ) as resp:
                        assert resp.status_code == 200
                        assert await resp.aread() == b"<Response/>"
                        assert resp.headers["content-type"] == "text/xml"
            assert s.connections == 1
            first = s.requests[0]
            assert first.startswith(b"POST /hook?x=1&y=%20 HTTP/1.1\r\n")
            assert f"Host: {s.url[7:]}\r\n".encode() in first
            assert b"X-Twilio-Signature: sig\r\n" in first
            assert b"Content-Length: 8\r\n" in first
            assert first.endswith(b"\r\n\r\nDigits=1")

    run(go())


def test_a_get_has_no_body() -> None:
    async def go() -> None:
        box: list[Served] = []
        async with Served(keep_answering(OK, box)) as s:
            box.append(s)
            async with httpx.AsyncClient(transport=Http1Transport()) as client:
                status, body, _ = await fetch(client, s.url + "/a?b=c", method="GET", content=b"")
            assert (status, body) == (200, b"<Response/>")
            assert s.requests[0].startswith(b"GET /a?b=c HTTP/1.1\r\n")
            assert s.requests[0].endswith(b"\r\n\r\n")

    run(go())


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ],
)
def test_a_connection_the_server_will_close_is_not_reused(answer: bytes) -> None:
    async def go() -> None:
        box: list[Served] = []
        async with Served(keep_answering(answer, box)) as s:
            box.append(s)
            async with httpx.AsyncClient(transport=Http1Transport()) as client:
                for _ in range(2):
                    assert (await fetch(client, s.url))[:2] == (200, b"ok")
            assert s.connections == 2

    run(go())


def test_a_connection_closed_while_idle_is_not_reused() -> None:
    async def go() -> None:
        async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await s.read_request(reader)
            writer.write(OK)  # says keep-alive, then closes
            await writer.drain()

        async with Served(once) as s:
            async with httpx.AsyncClient(transport=Http1Transport()) as client:
                assert (await fetch(client, s.url))[0] == 200
                await asyncio.sleep(0.05)  # the close reaches the client
                assert (await fetch(client, s.url))[0] == 200
            assert s.connections == 2

    run(go())


def test_a_server_closing_after_each_answer_unannounced_gets_each_request_once() -> None:
    """It says nothing of closing (HTTP/1.1, no `Connection: close`): the next request goes out
    on the connection before its close is seen, and is sent again on a new one."""

    async def go() -> None:
        async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await s.read_request(reader)
            writer.write(OK)

        async with Served(once) as s:
            async with httpx.AsyncClient(transport=Http1Transport()) as client:
                for _ in range(5):
                    assert (await fetch(client, s.url))[:2] == (200, b"<Response/>")
            assert len(s.requests) == 5
            assert 5 <= s.connections <= 9  # a retried request costs one connection more

    run(go())


def test_an_answer_closed_before_it_all_arrived_closes_its_connection() -> None:
    async def go() -> None:
        async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                await s.read_request(reader)
                writer.write(OK[:-3])
                await writer.drain()
                await asyncio.sleep(0.1)
                writer.write(OK[-3:])
                await writer.drain()

        async with Served(slow) as s:
            async with httpx.AsyncClient(transport=Http1Transport()) as client:
                async with client.stream("POST", s.url, content=b"") as resp:
                    assert resp.status_code == 200  # closed with its body on the way
                assert (await fetch(client, s.url))[:2] == (200, b"<Response/>")
                assert (await fetch(client, s.url))[:2] == (200, b"<Response/>")
            assert s.connections == 2  # the first one closed, the second one reused

    run(go())


def test_idle_connections_are_dropped_after_a_while(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "IDLE_SECONDS", 0.05)

    async def go() -> None:
        box: list[Served] = []
        async with Served(keep_answering(OK, box)) as s:
            box.append(s)
            async with httpx.AsyncClient(transport=Http1Transport()) as client:
                await fetch(client, s.url)
                await asyncio.sleep(0.1)
                await fetch(client, s.url)
            assert s.connections == 2

    run(go())


# How an answer is framed


@pytest.mark.parametrize(
    ("answer", "body"),
    [
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
         b"abcde"),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b""),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", b"ok"),
    ],
)  # fmt: skip
def test_framings(answer: bytes, body: bytes) -> None:
    async def go() -> None:
        box: list[Served] = []
        async with Served(keep_answering(answer, box)) as s:
            box.append(s)
            async with httpx.AsyncClient(transport=Http1Transport()) as client:
                for _ in range(2):
                    got = await fetch(client, s.url)
                    assert got[1] == body
            assert s.connections == 1  # each framing leaves the connection reusable

    run(go())


def test_an_answer_that_ends_with_the_connection_is_read_to_its_end() -> None:
    async def go() -> None:
        async def until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await s.read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n<Resp")
            await writer.drain()
            await asyncio.sleep(0.02)
            writer.write(b"onse/>")
            await writer.drain()

        async with Served(until_close) as s:
            async with httpx.AsyncClient(transport=Http1Transport()) as client:
                assert (await fetch(client, s.url))[:2] == (200, b"<Response/>")
                assert (await fetch(client, s.url))[:2] == (200, b"<Response/>")
            assert s.connections == 2

    run(go())


def test_a_large_answer_streams_through_with_reading_paused_between() -> None:
    big = bytes(range(256)) * 8 * 1024  # 2 MiB

    async def go() -> None:
        async def large(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await s.read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(big) + big)
            await writer.drain()
            await reader.read()

        async with Served(large) as s, httpx.AsyncClient(transport=Http1Transport()) as client:
            async with client.stream("GET", s.url) as resp:
                got = bytearray()
                async for chunk in resp.aiter_raw():
                    got += chunk
                    await asyncio.sleep(0)  # a slow reader
            assert bytes(got) == big

    run(go())


# Failures, as httpx reports them


def failure(handler: Handler, timeout: float = 2.0) -> Exception:
    async def go() -> Exception:
        async with Served(handler) as s, httpx.AsyncClient(transport=Http1Transport()) as client:
            try:
                async with client.stream(
                    "POST", s.url, content=b"x", timeout=httpx.Timeout(timeout)
                ) as resp:
                    await resp.aread()
            except httpx.TransportError as exc:
                return exc
        raise AssertionError("no failure")

    result: Exception = run(go())
    return result


def test_closed_without_an_answer() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")

    assert isinstance(failure(hang_up), httpx.RemoteProtocolError)


def test_cut_before_the_end_of_its_body() -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await writer.drain()

    assert isinstance(failure(cut), httpx.RemoteProtocolError)


def test_a_malformed_answer() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(1)

    assert isinstance(failure(garbage), httpx.RemoteProtocolError)


def test_no_answer_within_the_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(2)

    assert isinstance(failure(silent, timeout=0.2), httpx.ReadTimeout)


def test_a_body_that_stalls_past_the_read_timeout() -> None:
    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await writer.drain()
        await asyncio.sleep(2)

    assert isinstance(failure(stall, timeout=0.2), httpx.ReadTimeout)


def test_refused() -> None:
    async def go() -> Exception:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()  # nothing listens on that port now
        async with httpx.AsyncClient(transport=Http1Transport()) as client:
            with pytest.raises(httpx.ConnectError) as caught:
                await client.post(f"http://127.0.0.1:{port}/", content=b"")
        return caught.value

    assert "ConnectError" in type(run(go())).__name__


def test_https_goes_through_httpx_transport() -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=Http1Transport()) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get("https://127.0.0.1:1/")

    run(go())
