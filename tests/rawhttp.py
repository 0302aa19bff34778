"""HTTP/1.1 as bytes on a socket, for requests no client library sends (heads past every limit,
a Content-Length that lies): send them, read all that comes back, read that as a response."""

from __future__ import annotations

import contextlib
import re
import socket
import time

import httpx


def exchange(port: int, *pieces: bytes, timeout: float = 10.0) -> tuple[bytes, float]:
    """Send the pieces (one write each) on a fresh connection to 127.0.0.1; all that came back
    until the server closed it, and how long the whole exchange took. A refusal may reset the
    connection mid-send: then read what arrived."""
    out: list[bytes] = []
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for piece in pieces:
                sock.sendall(piece)
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                out.append(chunk)
    return b"".join(out), time.monotonic() - started


def status_of(raw: bytes) -> int | None:
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", raw)
    return int(match.group(1)) if match else None


def as_response(raw: bytes, request: bytes | None = None) -> httpx.Response:
    """The answer `raw` as an httpx.Response: status, headers, body, and with `request` (the bytes
    that asked) its method and path, which tests/errors.py reads."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines]
    resp = httpx.Response(int(status_line.split()[1]), headers=headers, content=body)
    if request is not None:
        method, target, _ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        resp.request = httpx.Request(method, "http://127.0.0.1" + target)
    return resp
