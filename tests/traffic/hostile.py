"""Webhook receivers that misbehave on purpose, on 127.0.0.1: they trickle bytes, or answer with
raw bytes and headers of their choice (a gzip bomb). Every handler stops by itself: when the
client goes away, or after `MAX_SECONDS`.
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler

from receiver import Listener, reply

MAX_SECONDS = 30.0
TWIML = b"<Response><Say>Hello</Say></Response>"


def gzip_bomb(inflated_mib: int) -> bytes:
    """A gzip stream of `inflated_mib` MiB of zeros (about 1 KiB per MiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    parts = [packer.compress(block) for _ in range(inflated_mib)]
    parts.append(packer.flush())
    return b"".join(parts)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


class Hostile:
    """`Hostile()`: listening at once; `close()` in teardown.

    Paths:
    - `/trickle-body`: a 200 with a large Content-Length, then one byte every `interval` s;
    - `/trickle-head`: the status line and headers themselves, one byte every `interval` s;
    - any path given to `answer()`: those raw bytes with those headers.
    """

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.answers: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[str] = []
        self.lock = threading.Lock()
        self.listener = Listener(self._respond, keep_alive=True)
        self.port = self.listener.port
        self.base_url = self.listener.base_url

    def url(self, path: str) -> str:
        return self.listener.url(path)

    def _respond(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        path = handler.path.split("?", 1)[0]
        with self.lock:
            self.hits.append(path)
            answer = self.answers.get(path)
        try:
            if path == "/trickle-body":
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                self._trickle(handler, head + b"Content-Length: 100000\r\n\r\n", b"<" * 100000)
            elif path == "/trickle-head":
                self._trickle(handler, b"", b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n" * 99)
            elif answer is not None:
                reply(handler, *answer)
            else:
                handler.send_error(404)
        except OSError:
            pass  # the client gave up: what a timeout test wants
        handler.close_connection = True

    def _trickle(self, handler: BaseHTTPRequestHandler, at_once: bytes, slowly: bytes) -> None:
        handler.wfile.write(at_once)
        handler.wfile.flush()
        deadline = time.monotonic() + MAX_SECONDS
        for byte in slowly:
            if time.monotonic() > deadline:
                return
            time.sleep(self.interval)
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    def answer(self, path: str, body: bytes = b"", status: int = 200, **headers: str) -> str:
        """Serve `body` as is at `path`, with these headers (`Content_Type` -> Content-Type)."""
        named = {k.replace("_", "-"): v for k, v in headers.items()}
        with self.lock:
            self.answers[path] = (status, named, body)
        return self.url(path)

    def count(self, path: str) -> int:
        with self.lock:
            return self.hits.count(path)

    def close(self) -> None:
        self.listener.close()
