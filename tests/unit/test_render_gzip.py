"""Compression in `render`: which answers may be compressed, and how Accept-Encoding is read.

In-process: `ListReply` and `Reply` called with a scope and a `send` that records the ASGI
messages. A single record, and a list page under the threshold, must not even read the request's
headers (the scope's headers raise if anything iterates them).
"""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import pytest

from switchboard.api import render
from switchboard.api.render import GZIP_MIN_BYTES, JSON, ListReply, Reply, accepts_gzip
from switchboard.twilio.resources import APPLICATION


class Untouchable(list[tuple[bytes, bytes]]):
    def __iter__(self) -> Any:
        raise AssertionError("the request headers were read")


def scope(accept: str | None) -> dict[str, Any]:
    headers = [(b"host", b"x")]
    if accept is not None:
        headers.append((b"accept-encoding", accept.encode()))
    return {"type": "http", "headers": headers}


def sent(reply: Reply, the_scope: dict[str, Any]) -> tuple[dict[bytes, bytes], bytes]:
    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    async def receive() -> dict[str, Any]:
        raise AssertionError("nothing to receive")

    asyncio.run(reply(the_scope, receive, send))
    start, body = messages
    return dict(start["headers"]), body["body"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, False),
        ("", False),
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("Gzip", True),
        (" deflate ,  gzip ; q=0.2 ", True),
        ("x-gzip", True),
        ("*", True),
        ("*;q=0.1", True),
        ("identity", False),
        ("deflate", False),
        ("gzip;q=0", False),
        ("gzip; q=0.0", False),
        ("gzip;q=0, *", False),  # an explicit refusal wins over the wildcard
        ("*;q=0", False),
        ("gzip;q=2", False),  # out of range: not a valid q-value
        ("gzip;q=", False),
        ("gzipx", False),
    ],
)
def test_accepts_gzip(accept: str | None, expected: bool) -> None:
    assert accepts_gzip(scope(accept)) is expected


def test_accept_encoding_in_several_fields_is_one_list() -> None:
    two = {"type": "http", "headers": [(b"accept-encoding", b"br"), (b"accept-encoding", b"gzip")]}
    assert accepts_gzip(two)


def test_a_large_list_is_compressed_when_accepted_and_varies() -> None:
    body = b'{"applications":[' + b'{"sid":"AP0"},' * 1000 + b"{}]}"
    headers, out = sent(ListReply(body, JSON), scope("gzip"))
    assert headers[b"content-encoding"] == b"gzip"
    assert headers[b"vary"] == b"Accept-Encoding"
    assert headers[b"content-length"] == str(len(out)).encode()
    assert headers[b"content-type"] == b"application/json"
    assert gzip.decompress(out) == body
    headers, out = sent(ListReply(body, JSON), scope(None))
    assert out == body
    assert b"content-encoding" not in headers
    assert headers[b"vary"] == b"Accept-Encoding"


@pytest.mark.parametrize("size", [0, 1, GZIP_MIN_BYTES - 1])
def test_a_small_list_never_reads_the_headers(size: int) -> None:
    body = b"x" * size
    headers, out = sent(ListReply(body, JSON), {"type": "http", "headers": Untouchable()})
    assert out == body
    assert b"vary" not in headers
    assert b"content-encoding" not in headers


def test_the_threshold_is_inclusive() -> None:
    headers, out = sent(ListReply(b"y" * GZIP_MIN_BYTES, JSON), scope("gzip"))
    assert headers[b"content-encoding"] == b"gzip"
    assert gzip.decompress(out) == b"y" * GZIP_MIN_BYTES


def test_one_record_however_large_never_reads_the_headers() -> None:
    record: dict[str, Any] = {field.key: None for field in APPLICATION.fields}
    record.update(account_sid="AC" + "0" * 32, sid="AP" + "0" * 32)
    record.update(date_created=1_700_000_000_000_000, date_updated=1_700_000_000_000_000)
    record["friendly_name"] = "z" * 64
    record["voice_url"] = "https://example.com/" + "v" * (2 * GZIP_MIN_BYTES)
    for rep in (render.AS_JSON, render.AS_XML):
        reply = render.one(rep, APPLICATION, record)
        assert len(reply.body) > GZIP_MIN_BYTES
        assert type(reply) is Reply
        headers, out = sent(reply, {"type": "http", "headers": Untouchable()})
        assert out == reply.body
        assert b"vary" not in headers


def test_every_list_page_is_a_list_reply() -> None:
    meta = {k: None for k in ("end", "first_page_uri", "next_page_uri", "page", "page_size")}
    meta.update({"previous_page_uri": None, "start": 0, "uri": "/u"})
    for rep in (render.AS_JSON, render.AS_XML):
        page = render.page(rep, APPLICATION, [], meta)
        assert isinstance(page, ListReply)
    assert isinstance(render.plain_page("requests", [], meta), ListReply)
