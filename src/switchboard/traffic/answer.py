"""Read a webhook's answer without trusting its size: at most `limit` bytes once decoded.

Twilio asks for `Accept-Encoding: gzip` (real captures show it), so a gzip answer is accepted.
It is inflated here, incrementally, never producing more than one byte past the limit however
small the compressed body is (a few hundred KB of gzip can inflate to gigabytes). Any other
encoding was not asked for and is refused.
"""

from __future__ import annotations

import zlib

import httpx

GZIP = frozenset({"gzip", "x-gzip"})
IDENTITY = frozenset({"", "identity"})


class AnswerError(Exception):
    """The answer cannot be used: Twilio's `code` (11750 too large, 11200 unreadable)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Identity:
    def feed(self, data: bytes, room: int) -> bytes:
        return data

    def finish(self) -> None:
        pass


class _Gzip:
    """Inflates one gzip member; `feed` returns at most `room` bytes (more would not fit)."""

    def __init__(self) -> None:
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            return self._inflate.decompress(data, room)  # room >= 1: 0 would mean unbounded
        except zlib.error:
            raise AnswerError(11200, "HTTP retrieval failure: the gzip body is corrupt") from None

    def finish(self) -> None:
        if not self._inflate.eof:
            raise AnswerError(11200, "HTTP retrieval failure: the gzip body is truncated")


def _decoder(content_encoding: str) -> _Identity | _Gzip:
    encoding = content_encoding.strip().lower()
    if encoding in IDENTITY:
        return _Identity()
    if encoding in GZIP:
        return _Gzip()
    raise AnswerError(
        11200, f"HTTP retrieval failure: unsupported Content-Encoding {encoding[:40]!r}"
    )


def too_large(limit: int) -> AnswerError:
    return AnswerError(11750, f"TwiML response body too large (over {limit // 1024} KiB)")


async def read(response: httpx.Response, limit: int) -> bytes:
    """The decoded body. Raises AnswerError once it passes `limit` or cannot be decoded."""
    decoder = _decoder(response.headers.get("content-encoding", ""))
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += decoder.feed(chunk, limit + 1 - len(body))
        if len(body) > limit:
            raise too_large(limit)
    decoder.finish()
    return bytes(body)
