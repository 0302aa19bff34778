"""Webhook receivers that misbehave on purpose, on 127.0.0.1: they trickle bytes, or answer with
raw bytes and headers of their choice (a gzip bomb). Every handler stops by itself: when the
client goes away, or after `MAX_SECONDS`.
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                path = self.path.split("?", 1)[0]
                with hostile.lock:
                    hostile.hits.append(path)
                    answer = hostile.answers.get(path)
                try:
                    if path == "/trickle-body":
                        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                        self._trickle(head + b"Content-Length: 100000\r\n\r\n", b"<" * 100000)
                    elif path == "/trickle-head":
                        self._trickle(b"", b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n" * 99)
                    elif answer is not None:
                        status, headers, body = answer
                        self.send_response(status)
                        for name, value in headers.items():
                            self.send_header(name, value)
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                    else:
                        self.send_error(404)
                except OSError:
                    pass  # the client gave up: what a timeout test wants
                self.close_connection = True

            def _trickle(self, at_once: bytes, slowly: bytes) -> None:
                self.wfile.write(at_once)
                self.wfile.flush()
                deadline = time.monotonic() + MAX_SECONDS
                for byte in slowly:
                    if time.monotonic() > deadline:
                        return
                    time.sleep(hostile.interval)
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()

            do_GET = _handle
            do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

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
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
