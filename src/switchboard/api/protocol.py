"""The HTTP/1.1 connection: uvicorn's httptools protocol with a bounded request head.

uvicorn's httptools protocol has no limit of its own: httptools joins a header's pieces until
the header ends, so one 64 MiB header is held (several times over, while it is joined) before
any application code runs. This protocol refuses a request whose request line and headers pass
`MAX_HEAD_BYTES`, or whose header fields pass `MAX_HEADER_FIELDS`, with a Twilio-style 431, and
closes the connection. (uvicorn's h11 protocol, used when httptools is not installed, is bounded
by `h11_max_incomplete_event_size` instead; it answers a plain 400.)
"""

from __future__ import annotations

import logging
from typing import Any

from switchboard.api import render
from switchboard.twilio import errors

log = logging.getLogger("switchboard.api")

# Node's default is 16 KiB and Go's 1 MiB. 32 KiB leaves room for the cookies browsers pile up
# on 127.0.0.1 and for a long list query, and bounds what one connection can make us hold.
MAX_HEAD_BYTES = 32 * 1024
MAX_HEADER_FIELDS = 100  # Apache's LimitRequestFields; the SDKs send about 8, browsers 20
# After a refusal, what the client still sends is read and dropped for this long before the
# connection closes: closing with unread bytes would reset it, and the client could lose the 431.
LINGER_SECONDS = 1.0
_TOO_LONG = f"request line and headers over {MAX_HEAD_BYTES} bytes"
_TOO_MANY = f"more than {MAX_HEADER_FIELDS} header fields"

try:
    import httptools
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools
    httptools = None  # type: ignore[assignment]


def uvicorn_options() -> dict[str, Any]:
    """What `switchboard serve` passes to `uvicorn.run` for the HTTP protocol."""
    if httptools is None:  # pragma: no cover
        return {"http": "h11", "h11_max_incomplete_event_size": MAX_HEAD_BYTES}
    return {"http": f"{__name__}:BoundedHttpToolsProtocol"}


if httptools is not None:

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        """Counts the bytes of each request head as they arrive; refuses it past the limits.

        A head still incomplete after a read is counted read by read, and refused as soon as
        it passes the limit, so the parser never holds more than the limit and one read
        (256 KiB at most). A head that completes within a read is measured when it completes,
        only when that read could have made it too long. A read that starts inside a body and
        leaves a pipelined request's head incomplete is not counted (where the body ends in it
        is unknown): the next reads are. Normal requests pay one comparison per read.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._in_head = True  # a head is in progress, or (between requests) comes next
            self._head_bytes = 0  # counted so far of the head in progress
            self._heads_done = 0
            self._may_overflow = False  # the current read could take the head past the limit
            self._fields = 0
            self._refusal: str | None = None
            self._closing = False

        def data_received(self, data: bytes) -> None:
            if self._closing:
                return  # lingering: read and dropped
            in_head, done = self._in_head, self._heads_done
            self._may_overflow = self._head_bytes + len(data) > MAX_HEAD_BYTES
            super().data_received(data)
            if in_head and self._in_head and done == self._heads_done and not self._closing:
                self._head_bytes += len(data)
                if self._head_bytes > MAX_HEAD_BYTES:
                    self._refuse(_TOO_LONG)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._fields = 0

        def on_header(self, name: bytes, value: bytes) -> None:
            self._fields += 1
            if self._fields > MAX_HEADER_FIELDS:
                self._stop(_TOO_MANY)
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._heads_done += 1
            self._in_head = False
            self._head_bytes = 0
            if self._may_overflow and self._head_size() > MAX_HEAD_BYTES:
                self._stop(_TOO_LONG)
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._in_head = True

        def _head_size(self) -> int:
            """The head's length as sent (`Name: value` with one space, as clients write it)."""
            line = len(self.parser.get_method()) + 1 + len(self.url) + len(" HTTP/1.1\r\n")
            return line + sum(len(k) + len(v) + 4 for k, v in self.headers) + 2

        def _stop(self, why: str) -> None:
            """Stop the parser from a callback; uvicorn then calls send_400_response."""
            self._refusal = why
            raise ValueError(why)

        def send_400_response(self, msg: str) -> None:
            if self._refusal is not None:
                self._refuse(self._refusal)
            else:
                super().send_400_response(msg)

        def _refuse(self, why: str) -> None:
            """A 431 with a Twilio-style body for the path (as far as it came), then close."""
            self._closing = True
            if self.transport.is_closing():
                return  # the client is gone already
            url: bytes = getattr(self, "url", b"")  # set when the request line begins
            path = url.split(b"?", 1)[0].decode("latin-1")
            peer = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
            log.warning("refused a request from %s: %s", peer, why)
            reply = render.error(
                render.representation(path),
                errors.request_head_too_large(MAX_HEAD_BYTES, MAX_HEADER_FIELDS),
            )
            head = [STATUS_LINE[reply.status]]
            for name, value in [*self.server_state.default_headers, *reply.headers]:
                head += [name, b": ", value, b"\r\n"]
            head.append(b"connection: close\r\n\r\n")
            self.transport.write(b"".join(head) + reply.body)
            if self.transport.can_write_eof():
                self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
