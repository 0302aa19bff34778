"""`InProcessHttpClient` and `AsyncInProcessHttpClient`: the official SDK, unchanged, answered
by a Switchboard inside the test process, with no socket opened, on both stores."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import pytest
import requests
import testing_fixtures
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from switchboard.testing import AsyncInProcessHttpClient, InProcessHttpClient, Switchboard, route

engine = testing_fixtures.engine
board = testing_fixtures.board


class SocketCreated(AssertionError):
    """Raised by `socket.socket()` while sockets are forbidden."""


def forbid_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Creating any socket (TCP, UDP, Unix, a socketpair) fails from here on."""

    def refuse(self: socket.socket, *args: object, **kwargs: object) -> None:
        raise SocketCreated(f"a socket was created: {args}")

    monkeypatch.setattr(socket.socket, "__init__", refuse)


def sdk(board: Switchboard) -> Client:
    return Client(board.account_sid, board.auth_token, http_client=InProcessHttpClient(board))


def test_the_sdk_creates_fetches_updates_lists_and_deletes(board: Switchboard) -> None:
    client = sdk(board)
    app = client.applications.create(friendly_name="Front desk", voice_url="https://x.test/v")
    assert app.sid.startswith("AP") and app.account_sid == board.account_sid
    assert client.applications(app.sid).fetch().voice_url == "https://x.test/v"
    assert client.applications(app.sid).update(friendly_name="Desk").friendly_name == "Desk"
    assert [a.sid for a in client.applications.list()] == [app.sid]
    assert client.applications(app.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        client.applications(app.sid).fetch()
    assert (gone.value.status, gone.value.code) == (404, 20404)


def test_no_socket_is_opened_for_api_calls(
    board: Switchboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = sdk(board)
    forbid_sockets(monkeypatch)
    app = client.applications.create(friendly_name="no sockets")
    client.applications(app.sid).update(voice_url="https://x.test/voice")
    assert client.applications(app.sid).fetch().voice_url == "https://x.test/voice"
    assert len(client.applications.list(page_size=1)) == 1
    client.applications(app.sid).delete()
    # The patch bites: the same request over the SDK's own HTTP client cannot even start.
    with pytest.raises(SocketCreated):
        requests.get("http://127.0.0.1:9/", timeout=1)


def test_the_async_client_opens_no_socket_either(
    board: Switchboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    http = AsyncInProcessHttpClient(board)
    client = Client(board.account_sid, board.auth_token, http_client=http)

    async def scenario() -> list[str]:
        app = await client.applications.create_async(friendly_name="async")
        fetched = await client.applications(app.sid).fetch_async()
        return [fetched.friendly_name, *(a.sid for a in await client.applications.list_async())]

    loop = asyncio.new_event_loop()  # before the patch: a loop's self-pipe is a socketpair
    forbid_sockets(monkeypatch)
    try:
        name, *sids = loop.run_until_complete(scenario())
    finally:
        monkeypatch.undo()
        loop.close()
    assert name == "async" and len(sids) == 1


def test_paging_follows_next_page_uri(board: Switchboard) -> None:
    client = sdk(board)
    made = [client.applications.create(friendly_name=f"app {i}").sid for i in range(7)]
    assert [a.sid for a in client.applications.list(page_size=3)] == made
    first = client.applications.page(page_size=3)
    assert [a.sid for a in first.next_page()] == made[3:6]


def test_errors_are_the_sdks_exceptions_with_twilios_codes(board: Switchboard) -> None:
    client = sdk(board)
    with pytest.raises(TwilioRestException) as bad:
        client.applications.create(friendly_name="x", voice_url="not a url")
    assert bad.value.status == 400
    assert bad.value.code == 21402  # Invalid Url


def test_unknown_credentials_are_refused_on_a_given_engine(board: Switchboard) -> None:
    stranger = Client("AC" + "5" * 32, "nope", http_client=InProcessHttpClient(board))
    with pytest.raises(TwilioRestException) as refused:
        stranger.applications.create(friendly_name="x")
    assert (refused.value.status, refused.value.code) == (401, 20003)


def test_edge_and_region_change_nothing(
    board: Switchboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    client = sdk(board)
    assert client.edge == "sydney"
    app = client.applications.create(friendly_name="edge")
    assert client.applications(app.sid).fetch().sid == app.sid
    last = client.http_client._test_only_last_request
    assert last is not None and last.url.startswith("https://api.sydney.au1.twilio.com/")


def test_the_last_request_and_response_are_kept_and_logged(
    board: Switchboard, caplog: pytest.LogCaptureFixture
) -> None:
    client = sdk(board)
    caplog.set_level("INFO", logger="switchboard.testing.http_client")
    client.applications.create(friendly_name="logged")
    http = client.http_client
    assert http._test_only_last_request.method == "POST"
    assert http._test_only_last_request.data == {"FriendlyName": "logged"}
    response = http._test_only_last_response
    assert response.status_code == 201
    assert response.headers["Content-Type"].startswith("application/json")
    assert "POST Request: https://api.twilio.com/2010-04-01/Accounts/" in caplog.text
    assert board.auth_token not in caplog.text


def test_xml_without_the_json_suffix(board: Switchboard) -> None:
    http = InProcessHttpClient(board)
    url = f"https://api.twilio.com/2010-04-01/Accounts/{board.account_sid}/Applications"
    response = http.request("GET", url, auth=(board.account_sid, board.auth_token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert response.text.startswith("<?xml")


def test_timeouts_must_be_positive(board: Switchboard) -> None:
    with pytest.raises(ValueError):
        InProcessHttpClient(board, timeout=0)
    with pytest.raises(ValueError):
        InProcessHttpClient(board).request("GET", "https://api.twilio.com/", timeout=-1)


def test_the_sync_client_inside_a_running_event_loop(board: Switchboard) -> None:
    """Code under test may call the blocking SDK from an async function: the app runs on its
    own loop, so blocking the caller's loop cannot stall it."""
    client = sdk(board)

    async def handler() -> str:
        return str(client.applications.create(friendly_name="from a loop").friendly_name)

    assert asyncio.run(handler()) == "from a loop"


def test_the_async_client_from_several_event_loops(board: Switchboard) -> None:
    async def create(name: str) -> str:
        async with AsyncInProcessHttpClient(board) as http:
            client = Client(board.account_sid, board.auth_token, http_client=http)
            app = await client.applications.create_async(friendly_name=name)
            return str(app.friendly_name)

    assert asyncio.run(create("one")) == "one"
    assert asyncio.run(create("two")) == "two"
    client = sdk(board)
    assert sorted(a.friendly_name for a in client.applications.list()) == ["one", "two"]


def test_a_client_of_its_own_accepts_credentials_and_stops_with_close() -> None:
    http = InProcessHttpClient()
    own = http.engine
    sid, token = "AC" + "7" * 32, "my-token"
    client = Client(sid, token, http_client=http)
    app = client.applications.create(friendly_name="mine")
    assert app.account_sid == sid
    with pytest.raises(TwilioRestException) as wrong:
        Client(sid, "another-token", http_client=http).applications(app.sid).fetch()
    assert wrong.value.status == 401
    database = own.database_url
    assert database is not None and database.startswith("sqlite:///")
    http.close()
    assert own.app is None and own.database_url is None
    with pytest.raises(RuntimeError, match="not running"):
        client.applications.list()


def test_a_timeout_raises_what_the_sdks_clients_raise(board: Switchboard) -> None:
    """The app answers late (its webhook is slow): the caller gives up after its timeout with
    requests' ReadTimeout (sync) or TimeoutError (async); the request itself runs to its end."""
    release = threading.Event()

    def slow(environ: object, start_response: Any) -> list[bytes]:
        release.wait(10)
        start_response("200 OK", [("Content-Type", "text/xml")])
        return [b"<Response/>"]

    client = sdk(board)
    client.incoming_phone_numbers.create(
        phone_number="+15005550006", voice_url="https://slow.test/"
    )
    url = f"https://api.twilio.com/switchboard/v1/Accounts/{board.account_sid}/InboundCalls"
    form = {"To": "+15005550006", "From": "+14155550123"}
    credentials = (board.account_sid, board.auth_token)
    with route("https://slow.test", slow):
        hasty = InProcessHttpClient(board, timeout=0.2)
        with pytest.raises(requests.exceptions.ReadTimeout):
            hasty.request("POST", url, data=form, auth=credentials)

        async def impatient() -> None:
            http = AsyncInProcessHttpClient(board)
            await http.request("POST", url, data=form, auth=credentials, timeout=0.2)

        with pytest.raises(TimeoutError):
            asyncio.run(impatient())
        release.set()
        deadline = time.monotonic() + 10
        while len(board.requests()) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert [r["status_code"] for r in board.requests()] == [200, 200]
