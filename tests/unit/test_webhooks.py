"""Webhook delivery pieces, in-process: reading an answer within 64 KiB however it is encoded,
the timeout as a bound on the whole request, the computed voice parameters, and the one factory
that builds a Router from the settings.

The deadline tests run a trickling HTTP server in the test's own event loop, on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from switchboard.config import Settings
from switchboard.traffic import answer
from switchboard.traffic.call_params import billed_minutes, call_token
from switchboard.traffic.factory import media_base, open_simulator
from switchboard.traffic.targets import TargetPolicy
from switchboard.traffic.transport import Http1Transport, plain_target
from switchboard.traffic.webhooks import (
    MAX_BODY,
    Webhooks,
    _header_pairs,
    _overrides,
    idempotency_token,
    join,
    request_url,
)
from switchboard.twilio.signature import compute_signature

LIMIT = 64 * 1024


class Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def response(body: bytes, size: int = 16 * 1024, **headers: str) -> httpx.Response:
    """An answer arriving in chunks of `size` bytes, as a network read gives them."""
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    named = {k.replace("_", "-"): v for k, v in headers.items()}
    return httpx.Response(200, headers=named, stream=Chunks(chunks))


def read(resp: httpx.Response) -> bytes:
    return asyncio.run(answer.read(resp, LIMIT))


def failure(resp: httpx.Response) -> answer.AnswerError:
    with pytest.raises(answer.AnswerError) as caught:
        read(resp)
    return caught.value


def zeros_gzip(mib: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    return b"".join([*(packer.compress(block) for _ in range(mib)), packer.flush()])


# Reading an answer


def test_the_limit_is_64_kib() -> None:
    assert MAX_BODY == LIMIT


@pytest.mark.parametrize("encoding", ["", "identity", "gzip", "x-gzip", " GZIP "])
def test_up_to_the_limit_is_read_in_any_accepted_encoding(encoding: str) -> None:
    body = b"<Response>" + b" " * (LIMIT - 21) + b"</Response>"
    assert len(body) == LIMIT
    raw = gzip.compress(body) if "gzip" in encoding.lower() else body
    assert read(response(raw, Content_Encoding=encoding)) == body


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_one_byte_over_the_limit_is_11750(encoding: str) -> None:
    body = b"x" * (LIMIT + 1)
    raw = gzip.compress(body) if encoding == "gzip" else body
    assert failure(response(raw, Content_Encoding=encoding)).code == 11750


def test_gzip_bomb_is_stopped_without_inflating_it() -> None:
    bomb = zeros_gzip(64)  # ~64 KB inflating to 64 MiB, in one read
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        error = failure(response(bomb, size=len(bomb), Content_Encoding="gzip"))
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert error.code == 11750
    assert peak < 1024 * 1024, f"reading the bomb took {peak} bytes"


@pytest.mark.parametrize("encoding", ["br", "deflate", "zstd", "compress", "gzip, gzip"])
def test_encodings_not_asked_for_are_refused(encoding: str) -> None:
    error = failure(response(b"<Response/>", Content_Encoding=encoding))
    assert error.code == 11200
    assert "Content-Encoding" in str(error)


def test_corrupt_and_truncated_gzip_are_11200() -> None:
    good = gzip.compress(b"<Response/>")
    corrupt = good[:10] + b"\xff" * 8 + good[18:]
    assert failure(response(corrupt, Content_Encoding="gzip")).code == 11200
    assert "truncated" in str(failure(response(good[:-6], Content_Encoding="gzip")))


# The timeout bounds the whole request


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _serve(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


async def _trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Headers at once, then one body byte every 0.1 s (for at most 10 s)."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100\r\n\r\n")
    try:
        for _ in range(100):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.1)
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def _deliver(url_suffix: str, timeout: float, handler: Handler) -> tuple[Any, float]:
    server, base = await _serve(handler)
    try:
        async with Http1Transport() as transport:
            webhooks = Webhooks(transport, timeout=timeout)
            started = time.monotonic()
            delivery = await webhooks.send("voice_url", "POST", base + url_suffix, {}, "t" * 32)
            return delivery, time.monotonic() - started
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("suffix", ["/hook", "/hook#rt=15000", "/hook#ct=10000&rt=15000"])
def test_a_trickle_is_cut_at_the_timeout(suffix: str) -> None:
    """Each byte comes well within any read timeout; the request as a whole does not. The URL's
    own overrides cannot lengthen it past the server's timeout."""
    delivery, elapsed = asyncio.run(_deliver(suffix, 0.5, _trickle))
    assert elapsed < 0.5 + 0.4, elapsed
    assert delivery.error_code == 11200
    assert "within 0.5 s" in (delivery.error_message or "")


def test_the_total_time_override_shortens_the_whole_request() -> None:
    """`#tt=` (Twilio's total time, ms) bounds the request as a whole below the server's
    timeout: the trickle is cut at 0.3 s, not at 2 s."""
    delivery, elapsed = asyncio.run(_deliver("/hook#tt=300", 2.0, _trickle))
    assert 0.3 <= elapsed < 0.3 + 0.4, elapsed
    assert delivery.error_code == 11200
    assert "within 0.3 s" in (delivery.error_message or "")
    assert "#" not in delivery.url  # the fragment is neither sent nor recorded


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("", ("http://h/x", 5.0, 10.0, 10.0)),
        ("#ct=1000&rt=2000&tt=3000", ("http://h/x", 1.0, 2.0, 3.0)),
        ("#ct=1&rt=1&tt=1", ("http://h/x", 0.1, 0.1, 0.1)),  # Twilio's least: 100 ms
        ("#ct=99999&rt=99999&tt=99999", ("http://h/x", 10.0, 15.0, 10.0)),  # tt: the server's
        ("#tt=-5&rt=x&e=ie1&sni=y", ("http://h/x", 5.0, 10.0, 10.0)),  # not numbers: ignored
        # Digits that are not ASCII ones (Python's isdigit takes them; int refuses "²" and
        # reads "٣" as 3), and more digits than int reads: ignored, never an error.
        ("#rt=%C2%B2&ct=%D9%A3&tt=" + "9" * 5000, ("http://h/x", 5.0, 10.0, 10.0)),
    ],
)
def test_connection_overrides_are_read_from_the_fragment_and_clamped(
    fragment: str, expected: tuple[str, float, float, float]
) -> None:
    assert _overrides("http://h/x" + fragment, 10.0) == expected


def test_a_prompt_answer_is_untouched_by_the_deadline() -> None:
    async def prompt(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = gzip.compress(b"<Response/>")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Encoding: gzip\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    delivery, _ = asyncio.run(_deliver("/hook", 0.5, prompt))
    assert delivery.ok, delivery
    assert delivery.body == "<Response/>"
    assert delivery.headers["Accept-Encoding"] == "gzip"


# The lean path (Http1Transport.exchange) writes what httpx.Request would


class _Adapter(httpx.AsyncBaseTransport):
    """Any transport but the lean one: Webhooks sends it `httpx.Request`s."""

    def __init__(self, inner: Http1Transport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.inner.handle_async_request(request)


URLS = [
    "http://Example.COM:80/a/./b/../c",
    "http://example.com/pa th/é?q=1 2&r=ü#frag",
    "http://[::1]:8080/x?y",
    "http://example.com",
    "http://user:pw@example.com:81/p;x?a=%41",
]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(("method", "content"), [("POST", b"A=1&B=%2B"), ("POST", b""),
                                                 ("GET", None), ("PUT", b"")])  # fmt: skip
def test_the_lean_request_has_httpxs_target_and_headers(
    url: str, method: str, content: bytes | None
) -> None:
    headers = {"Accept": "*/*", "X-Twilio-Signature": "abc=", "Connection": "keep-alive"}
    made = httpx.Request(method, url, headers=headers, content=content)
    target = plain_target(url)
    assert target is not None
    assert target.path == made.url.raw_path
    assert target.origin == (made.url.host, made.url.port or 80)
    assert _header_pairs(method, target.netloc, headers, content) == made.headers.raw


def test_only_plain_http_takes_the_lean_path() -> None:
    assert plain_target("https://example.com/") is None
    assert plain_target("ftp://example.com/") is None
    assert plain_target("/relative") is None
    with pytest.raises(httpx.InvalidURL):
        plain_target("http://example.com:x/")
    for undecodable in ("http://xn--ab.com/", "http://[1::2::3]/"):  # ValueErrors, from httpx
        with pytest.raises(httpx.InvalidURL):
            plain_target(undecodable)


def test_a_url_urlsplit_refuses_is_joined_and_extended_as_written() -> None:
    """`urljoin` and `urlsplit` raise on a malformed bracketed host; the URL is then kept as
    written (its request fails as an invalid URL, 11205)."""
    assert join("http://a/b/c", "d?e=1") == "http://a/b/d?e=1"
    assert join("http://a/b/c", "http://[1::2::3]/x") == "http://[1::2::3]/x"
    assert join("http://[1::2::3]/b", "d") == "d"
    assert request_url("http://[1::2::3]/x?q=1", "GET", {"A": "b"}) == "http://[1::2::3]/x?q=1&A=b"
    assert request_url("http://[1::2::3]/x", "GET", {"A": "b"}) == "http://[1::2::3]/x?A=b"
    assert _overrides("http://[1::2::3]/x#rt=100", 10.0) == ("http://[1::2::3]/x", 5.0, 10.0, 10.0)


async def _capture(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Records each request; answers `/rNNN` with a redirect NNN to `/dest?z=1`, the rest 200."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            request = head + await reader.readexactly(length)
            _captured.append(request)
            path = request.split(b" ", 2)[1]
            if path.startswith(b"/r"):
                writer.write(b"HTTP/1.1 " + path[2:5] + b" Moved\r\nLocation: /dest?z=1\r\n"
                             b"Content-Length: 0\r\n\r\n")  # fmt: skip
            else:
                writer.write(OK_XML)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


OK_XML = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 11\r\n\r\n<Response/>"
_captured: list[bytes] = []


def test_the_lean_path_and_httpxs_send_the_same_bytes() -> None:
    """POST, GET, an empty form, 303 (POST becomes GET) and 307 (the body sent again) redirects:
    the bytes on the wire, the idempotency token aside, are the same through `exchange` as
    through an `httpx.Request`."""
    params = {"CallSid": "CA" + "a" * 32, "From": "+15005550006", "Body": "hé & =%"}

    async def send_all(hooks: Webhooks, base: str) -> list[bytes]:
        _captured.clear()
        for method, path, form in [
            ("POST", "/a/../voice path?x=1#rt=2000", params),
            ("GET", "/status?x=1", params),
            ("POST", "/empty", {}),
            ("POST", "/r303", params),
            ("POST", "/r307", params),
        ]:
            delivery = await hooks.send("voice_url", method, base + path, form, "t" * 32)
            assert delivery.ok, delivery
            assert delivery.body == "<Response/>"
        return [re.sub(rb"Token: [0-9a-f-]{36}", b"Token: -", r) for r in _captured]

    async def main() -> tuple[list[bytes], list[bytes]]:
        server, base = await _serve(_capture)
        try:
            async with Http1Transport() as transport:
                lean = Webhooks(transport)
                assert lean._lean is transport
                general = Webhooks(_Adapter(transport))
                assert general._lean is None
                return await send_all(lean, base), await send_all(general, base)
        finally:
            server.close()
            await server.wait_closed()

    lean, general = asyncio.run(main())
    assert len(lean) == 7
    assert lean == general


# Computed voice parameters


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(0, 0), (1, 1), (49, 1), (59, 1), (60, 1), (61, 2), (3600, 60)]
)
def test_billed_minutes(seconds: int, minutes: int) -> None:
    assert billed_minutes(seconds) == minutes


def test_call_token_is_stable_and_shaped_like_twilios() -> None:
    sid = "CA" + "a" * 32
    token = call_token(sid, "+14155550123", "+15005550006", 1_700_000_000)
    assert token == call_token(sid, "+14155550123", "+15005550006", 1_700_000_000)
    assert token != call_token("CA" + "b" * 32, "+14155550123", "+15005550006", 1_700_000_000)
    assert token.startswith("%7B%22parentCallInfoToken%22%3A%22eyJhbGciOiJFUzI1NiJ9.")
    jwt = json.loads(unquote(token))["parentCallInfoToken"]
    assert all(c.isalnum() or c in "-_." for c in jwt)
    assert jwt.count(".") == 2


def test_call_token_is_its_json_percent_encoded() -> None:
    """The pieces made once (the JWT's header, the quoted JSON around the JWT) give what
    encoding the whole token each time gave, whatever the numbers hold."""
    import base64
    import hashlib
    from urllib.parse import quote

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    def compact(value: object) -> str:
        return json.dumps(value, separators=(",", ":"))

    for sid, from_, to, iat in [("CA" + "a" * 32, "+14155550123", "+15005550006", 1_700_000_000),
                                ("CA1", 'client:Zoë "x"', "日本 & %", 0)]:  # fmt: skip
        claims = {"callSid": sid, "from": from_, "to": to, "iat": str(iat)}
        signed = f"{b64(compact({'alg': 'ES256'}).encode())}.{b64(compact(claims).encode())}"
        jwt = f"{signed}.{b64(hashlib.sha512(signed.encode()).digest())}"
        whole = compact({"parentCallInfoToken": jwt, "identityHeaderTokens": []})
        assert call_token(sid, from_, to, iat) == quote(whole, safe="")


def test_the_idempotency_token_is_a_random_uuid4_as_str_writes_it() -> None:
    import uuid

    tokens = {idempotency_token() for _ in range(2000)}
    assert len(tokens) == 2000
    for token in tokens:
        parsed = uuid.UUID(token)
        assert str(parsed) == token
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_the_signature_is_hmac_sha1_of_the_url_and_sorted_params() -> None:
    import base64
    import hashlib
    import hmac

    params = {"b": "2", "a": "1 é", "A": "+"}
    signed = "http://x/y?z=1" + "A+" + "a1 é" + "b2"
    expected = hmac.new(b"token", signed.encode(), hashlib.sha1).digest()
    assert compute_signature("http://x/y?z=1", params, "token") == base64.b64encode(
        expected
    ).decode()


# One factory for serve and simulate


def test_open_simulator_applies_the_settings() -> None:
    settings = Settings(
        webhook_timeout=3.5,
        webhook_allow=(".example.com",),
        webhook_deny=("10.0.0.0/8",),
        webhook_deny_private=True,
        request_log_limit=7,
        port=8123,
    )

    async def build() -> tuple[Any, bool]:
        store: Any = object()
        async with open_simulator(store, settings) as simulator:
            assert simulator.store is store
            assert simulator.keep == 7
            assert simulator.media_base == "http://127.0.0.1:8123"
            webhooks = simulator.webhooks
            assert isinstance(webhooks.transport, Http1Transport)
            got = await webhooks.transport.handle_async_request(httpx.Request("GET", base))
            await got.aread()
            kept = sum(map(len, webhooks.transport._idle.values()))
        return webhooks, kept

    async def main() -> tuple[Any, int]:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            await reader.read()

        nonlocal base
        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        try:
            return await build()
        finally:
            server.close()

    base = ""
    webhooks, kept = asyncio.run(main())
    assert kept == 1  # the transport was open inside the block (a connection kept alive) ...
    assert webhooks.transport._idle == {}  # ... and closed on exit
    assert webhooks.timeout == 3.5
    assert webhooks.targets == TargetPolicy((".example.com",), ("10.0.0.0/8",), True)


@pytest.mark.parametrize(
    ("host", "base"),
    [("127.0.0.1", "http://127.0.0.1:80"), ("0.0.0.0", "http://127.0.0.1:80"), ("::1", "http://[::1]:80")],
)
def test_media_base_names_a_reachable_address(host: str, base: str) -> None:
    assert media_base(Settings(host=host, port=80)) == base
