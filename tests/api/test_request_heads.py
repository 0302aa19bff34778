"""Hostile request heads: bounded on every path, before any credentials are looked at.

- A request line and headers over 32 KiB, or more than 100 header fields, get a 431 with a
  Twilio-style body (JSON on `.json` paths, XML elsewhere) and the connection closes; the
  server never holds the rest (a 64 MiB header leaves its peak memory where it was).
- Up to the limits, requests are served as before; bodies are not heads (a 1 MiB form body, and
  pipelined requests sharing a read with a body, are served).
- The server keeps serving other connections meanwhile.
"""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
from conftest import Server
from errors import assert_error
from procfs import memory_kib
from rawhttp import as_response, exchange, status_of

from switchboard.api.protocol import MAX_HEAD_BYTES, MAX_HEADER_FIELDS

MIB = 1 << 20


def head(target: str, *lines: str) -> bytes:
    return "".join([f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n", *lines, "\r\n"]).encode()


def assert_431(raw: bytes, as_json: bool) -> None:
    """Twilio's 431 (JSON on `.json` paths, XML elsewhere), and the connection closes."""
    resp = as_response(raw)
    error = assert_error(resp, 431, 20001, xml=not as_json)
    assert str(MAX_HEAD_BYTES) in error["message"]
    assert resp.headers["connection"].lower() == "close"


def assert_serving(server: Server) -> None:
    assert server.proc is not None and server.proc.poll() is None, "server died"
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
    assert server.http().get(server.apps_path()).status_code == 200


# Over the byte limit


@pytest.mark.parametrize(
    ("label", "target", "as_json"),
    [
        ("healthz", "/healthz", False),
        ("console", "/console/", False),
        ("api-json", "/2010-04-01/Accounts/AC{sid}/Applications.json", True),
        ("api-xml", "/2010-04-01/Accounts/AC{sid}/Applications", False),
        ("extension", "/switchboard/v1/Accounts/AC{sid}/Requests", True),
    ],
)
def test_a_64_mib_header_is_refused_at_once_and_never_held(
    module_server: Server, label: str, target: str, as_json: bool
) -> None:
    """Sent as a client would (1 MiB writes), without credentials: 431 within a second of the
    limit, the connection closed long before 64 MiB went through, peak memory unchanged."""
    server = module_server
    target = target.format(sid=server.account_sid[2:])
    peak_before = memory_kib(server.proc.pid, "VmHWM")
    start = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ".encode()
    raw, took = exchange(server.port, start, *([b"a" * MIB] * 64), b"\r\n\r\n")
    assert_431(raw, as_json)
    assert took < 5, f"{label}: {took:.1f} s"
    grown = memory_kib(server.proc.pid, "VmHWM") - peak_before
    assert grown < 16 * 1024, f"{label}: peak memory grew by {grown} KiB"
    assert_serving(server)


def sized_head(server: Server, size: int) -> bytes:
    """A request for the main account's list, `size` bytes long, padded with a cookie."""
    lines = [f"Authorization: {server.authorization}\r\n", "Connection: close\r\n", "Cookie: c="]
    bare = head(server.apps_path(), *lines, "\r\n")
    request = head(server.apps_path(), *lines, "c" * (size - len(bare)), "\r\n")
    assert len(request) == size
    return request


def pieces_of(request: bytes, size: int) -> list[bytes]:
    return [request[i : i + size] for i in range(0, len(request), size)]


WRITES = [
    pytest.param(MAX_HEAD_BYTES * 2, id="one-write"),
    pytest.param(1024, id="1-kib-writes"),
    pytest.param(7, id="7-byte-writes"),
]


@pytest.mark.parametrize("write", WRITES)
def test_the_limit_is_exact_however_the_head_is_cut(module_server: Server, write: int) -> None:
    """MAX_HEAD_BYTES is served, one byte more is not: in one write or in many."""
    server = module_server
    raw, _ = exchange(server.port, *pieces_of(sized_head(server, MAX_HEAD_BYTES), write))
    assert status_of(raw) == 200, raw[:300]
    raw, _ = exchange(server.port, *pieces_of(sized_head(server, MAX_HEAD_BYTES + 1), write))
    assert_431(raw, as_json=True)


@pytest.mark.parametrize("part", ["query", "path"])
def test_a_request_line_over_the_limit_is_431(module_server: Server, part: str) -> None:
    server = module_server
    if part == "query":
        target = f"{server.apps_path()}?FriendlyName={'q' * MAX_HEAD_BYTES}"
        as_json = True  # the path, before the query, ends in .json
    else:
        target = f"/2010-04-01/Accounts/{server.account_sid}/Applications/AP{'0' * MAX_HEAD_BYTES}"
        as_json = False
    raw, _ = exchange(server.port, head(target, f"Authorization: {server.authorization}\r\n"))
    assert_431(raw, as_json)


# Over the field count


def test_more_than_the_allowed_header_fields_is_431(module_server: Server) -> None:
    server = module_server
    extra = MAX_HEADER_FIELDS - 2  # with Host and Authorization: exactly the limit
    auth = f"Authorization: {server.authorization}\r\n"
    fields = [auth, *(f"X-F{i}: v\r\n" for i in range(extra))]
    raw, _ = exchange(server.port, head(server.apps_path(), *fields, "Connection: close\r\n"))
    assert status_of(raw) == 431, raw[:300]  # Connection: close is field 101
    raw, _ = exchange(server.port, head(server.apps_path(), *fields))
    assert status_of(raw) == 200, raw[:300]


def test_ten_thousand_tiny_headers_are_refused_and_the_server_stays_small(
    module_server: Server,
) -> None:
    server = module_server
    peak_before = memory_kib(server.proc.pid, "VmHWM")
    fields = "".join(f"X-{i}: v\r\n" for i in range(100_000)).encode()  # ~1 MiB
    raw, took = exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", fields)
    assert_431(raw, as_json=False)
    assert took < 5
    assert memory_kib(server.proc.pid, "VmHWM") - peak_before < 16 * 1024
    assert_serving(server)


# Others are served meanwhile; bodies are not heads


def test_others_are_served_while_oversized_heads_arrive(module_server: Server) -> None:
    server = module_server
    stop = threading.Event()
    refused: list[int | str | None] = []

    def attack() -> None:
        while not stop.is_set():
            try:
                raw, _ = exchange(server.port, b"GET /healthz HTTP/1.1\r\nX: ", b"z" * (4 * MIB))
            except OSError as exc:  # a timeout: the server waited for the rest
                refused.append(repr(exc))
            else:
                refused.append(status_of(raw))

    threads = [threading.Thread(target=attack) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        http = server.http()
        deadline = time.monotonic() + 3
        served = 0
        while time.monotonic() < deadline:
            assert http.get(server.apps_path()).status_code == 200
            served += 1
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert served > 10
    assert refused and set(refused) <= {431, None}, refused


def test_a_one_mib_form_body_is_not_a_head(module_server: Server) -> None:
    server = module_server
    sub = server.http().post("/2010-04-01/Accounts.json", data={"FriendlyName": "bodies"}).json()
    http = server.http()
    path = server.apps_path(sub["sid"])
    body = b"FriendlyName=big&Padding=" + b"p" * (MIB - 100)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    resp = http.post(path, content=body, headers=form)
    assert resp.status_code == 201, resp.text[:300]
    assert [a["friendly_name"] for a in http.get(path).json()["applications"]] == ["big"]


def test_pipelined_requests_after_a_large_body_are_served(module_server: Server) -> None:
    """The second request's head shares a read with the first one's body: not counted as head."""
    server = module_server
    sub = server.http().post("/2010-04-01/Accounts.json", data={"FriendlyName": "pipe"}).json()
    path = server.apps_path(sub["sid"])
    body = b"FriendlyName=piped&Padding=" + b"p" * 600_000
    first = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {server.authorization}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    second = head(path, f"Authorization: {server.authorization}\r\n", "Connection: close\r\n")
    raw, _ = exchange(server.port, first + second)
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", raw) == [b"201", b"200"], raw[:300]
    listed = server.http().get(path).json()["applications"]
    assert [a["friendly_name"] for a in listed] == ["piped"]
