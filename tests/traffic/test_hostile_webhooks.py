"""Webhook receivers that attack the server that calls them, against a real `switchboard serve`
with `--webhook-timeout 2`:

- a receiver trickling one byte every 0.5 s (in its headers or its body, behind an HTTP
  redirect or not) holds the call no longer than the timeout: 11200;
- a gzip bomb (a few hundred KB inflating to 256 MiB) fails 11750 and the server's memory does not
  grow; a small gzip answer is read as Twilio reads it (Twilio asks for `Accept-Encoding: gzip`);
- an encoding that was not asked for (br) is refused: 11200.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from conftest import Server
from hostile import TWIML, Hostile, gzip_bomb, gzipped
from inbound import new_number, place_call, send_sms
from procfs import memory_kib
from twilio.rest import Client

TIMEOUT = 2.0
MARGIN = 1.5  # the server's own work, on a busy two-core machine
SERVER_ARGS = ("--webhook-timeout", str(TIMEOUT))


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    receiver = Hostile(interval=0.5)
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb(256)


def number_for(server: Server, voice_url: str) -> str:
    client: Client = server.client()
    number = new_number()
    client.incoming_phone_numbers.create(phone_number=number, voice_url=voice_url)
    return number


@pytest.mark.parametrize("path", ["/trickle-body", "/trickle-head", "/bounce"])
def test_trickling_receiver_is_cut_at_the_timeout(
    path: str, module_server: Server, hostile: Hostile, http: httpx.Client
) -> None:
    hostile.answer("/bounce", status=302, Location="/trickle-body")
    number = number_for(module_server, hostile.url(path))

    started = time.monotonic()
    trace = place_call(http, module_server, number)
    elapsed = time.monotonic() - started

    assert elapsed < TIMEOUT + MARGIN, f"the call took {elapsed:.1f} s"
    assert trace["status"] == "failed", trace
    [request] = trace["requests"]
    assert request["error_code"] == 11200, request
    assert "within 2 s" in request["error_message"], request
    assert request["duration_ms"] < (TIMEOUT + MARGIN) * 1000, request


def test_small_gzip_answer_is_read(
    module_server: Server, hostile: Hostile, http: httpx.Client
) -> None:
    url = hostile.answer(
        "/gzip", gzipped(TWIML), Content_Type="text/xml", Content_Encoding="gzip"
    )
    trace = place_call(http, module_server, number_for(module_server, url))

    assert trace["status"] == "completed", trace
    assert [v["verb"] for v in trace["verbs"]] == ["Say"]
    [request] = trace["requests"]
    assert request["headers"]["Accept-Encoding"] == "gzip"
    assert request["response_body"] == TWIML.decode()


def test_gzip_bomb_fails_11750_and_memory_does_not_grow(
    module_server: Server, hostile: Hostile, http: httpx.Client, bomb: bytes
) -> None:
    assert len(bomb) < 300 * 1024
    assert module_server.proc is not None
    pid = module_server.proc.pid
    fine = hostile.answer("/fine", gzipped(TWIML), Content_Type="text/xml", Content_Encoding="gzip")
    url = hostile.answer("/bomb", bomb, Content_Type="text/xml", Content_Encoding="gzip")
    fine_number, bomb_number = number_for(module_server, fine), number_for(module_server, url)
    for _ in range(3):  # warm up every code path the bomb takes, bar the bomb itself
        assert place_call(http, module_server, fine_number)["status"] == "completed"
    before = memory_kib(pid)

    for _ in range(7):
        trace = place_call(http, module_server, bomb_number)
        assert trace["status"] == "failed", trace
        [request] = trace["requests"]
        assert request["error_code"] == 11750, request
    grown = memory_kib(pid) - before

    assert hostile.count("/bomb") == 7
    assert grown < 5 * 1024, f"the server's RSS grew by {grown} KiB"


def test_unrequested_encoding_is_refused(
    module_server: Server, hostile: Hostile, http: httpx.Client
) -> None:
    url = hostile.answer("/br", b"\x1b\x00\x00", Content_Type="text/xml", Content_Encoding="br")
    trace = place_call(http, module_server, number_for(module_server, url))

    assert trace["status"] == "failed", trace
    [request] = trace["requests"]
    assert request["error_code"] == 11200, request
    assert "Content-Encoding" in request["error_message"], request


def test_odd_connection_overrides_are_ignored_not_a_500(
    module_server: Server, hostile: Hostile, http: httpx.Client
) -> None:
    """Twilio's connection overrides come from the URL's fragment, which the owner of the
    URL writes: digits Python calls digits and `int` refuses ("²", percent-encoded) were a
    500 with a traceback for the simulated call (and a failing job for a callback). They are
    ignored, as any other value that is not a number of milliseconds."""
    url = hostile.answer("/odd", TWIML, Content_Type="text/xml") + "#rt=%C2%B2&ct=%D9%A3"
    trace = place_call(http, module_server, number_for(module_server, url))

    assert trace["status"] == "completed", trace
    [request] = trace["requests"]
    assert request["status_code"] == 200 and "#" not in request["url"], request
    assert hostile.count("/odd") == 1


# URLs our HTTP client cannot use, from a stored URL or from the TwiML, fail the one request,
# never the call or the message: each was a 500 with a traceback.
UNUSABLE = [
    "http://[1::2::3]/x",  # a bracketed host that is no IPv6 address: urljoin refuses it
    "http://xn--ab.com/x",  # an A-label that decodes to nothing IDNA allows: httpx refuses it
    "http://127.0.0.1:99999/x",  # a port past 65535: the connect refuses it
    "http://" + "a" * 64 + ".example/x",  # a label over 63 characters: IDNA refuses it
]


@pytest.mark.parametrize("url", UNUSABLE)
def test_an_unusable_url_in_the_twiml_fails_its_request_not_the_call(
    url: str, module_server: Server, hostile: Hostile, http: httpx.Client
) -> None:
    twiml = f"<Response><Redirect>{url}</Redirect></Response>".encode()
    first = hostile.answer("/first", twiml, Content_Type="text/xml")
    client: Client = module_server.client()
    number = new_number()
    client.incoming_phone_numbers.create(phone_number=number, voice_url=first, sms_url=first)

    call = place_call(http, module_server, number)
    assert call["status"] == "failed", call
    ok, redirect = call["requests"]
    assert ok["status_code"] == 200 and redirect["purpose"] == "redirect", call
    assert redirect["error_code"] == 11205 and redirect["url"] == url, redirect

    message = send_sms(http, module_server, number)
    assert [r["error_code"] for r in message["requests"]] == [None, 11205], message


def test_a_stored_url_httpx_cannot_decode_fails_its_request_not_the_call(
    module_server: Server, http: httpx.Client
) -> None:
    """`xn--ab.com` passes the API's URL check (letters, digits, hyphens) but decodes to
    nothing IDNA allows; the call to its number fails its request, 11205."""
    trace = place_call(http, module_server, number_for(module_server, "http://xn--ab.com/x"))
    assert trace["status"] == "failed", trace
    [request] = trace["requests"]
    assert request["error_code"] == 11205, request
