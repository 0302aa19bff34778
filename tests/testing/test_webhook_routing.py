"""`route(origin, app)`: webhooks for an origin answered by a WSGI (Flask) or ASGI (Starlette)
app of the test process, signed exactly as over HTTP so `RequestValidator` passes, with no port
for the app; other origins still go over the network (a real receiver on 127.0.0.1)."""

from __future__ import annotations

import gzip
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import testing_fixtures
from flask import Flask, abort, request
from receiver import Receiver
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from switchboard.testing import InProcessHttpClient, Switchboard, route
from switchboard.testing.routes import is_asgi, origin_of, routed

engine = testing_fixtures.engine
board = testing_fixtures.board
receiver = testing_fixtures.receiver

APP = "https://myapp.test"
CALLER = "+14155550123"
SAY = "<Response><Say>Hello from the app</Say></Response>"


def number_for(board: Switchboard, voice_url: str, method: str = "POST", **extra: str) -> str:
    client = board.client()
    number = "+15005550006"
    client.incoming_phone_numbers.create(
        phone_number=number, voice_url=voice_url, voice_method=method, **extra
    )
    return number


def flask_app(
    auth_token: str, seen: list[dict[str, Any]], board: Switchboard | None = None
) -> Flask:
    """Validates every request as a production app does; answers a <Say>. With `board`, it
    also calls the Twilio API while answering (the app's own client, in process)."""
    app = Flask("under_test")
    validator = RequestValidator(auth_token)

    @app.route("/voice", methods=["GET", "POST"])
    def voice() -> Any:
        signature = request.headers.get("X-Twilio-Signature", "")
        params = request.form if request.method == "POST" else {}
        if not validator.validate(request.url, params, signature):
            abort(403)
        seen.append({"url": request.url, "form": dict(request.form), "args": dict(request.args)})
        if board is not None:
            http = InProcessHttpClient(board)
            client = Client(board.account_sid, board.auth_token, http_client=http)
            seen[-1]["apps"] = len(client.applications.list())
        return SAY, 200, {"Content-Type": "text/xml"}

    @app.post("/broken")
    def broken() -> Any:
        raise RuntimeError("the handler has a bug")

    return app


@pytest.fixture
def seen() -> list[dict[str, Any]]:
    return []


def test_a_flask_app_gets_signed_requests_and_answers(
    board: Switchboard, seen: list[dict[str, Any]]
) -> None:
    number = number_for(board, f"{APP}/voice")
    board.route(APP, flask_app(board.auth_token, seen, board))
    call = board.simulate_call(number, CALLER)
    assert call["status"] == "completed", call
    said = {"verb": "Say", "attributes": {}, "text": "Hello from the app", "at": 0}
    assert call["verbs"] == [said]
    [hit] = seen
    assert hit["url"] == f"{APP}/voice"
    assert hit["form"]["CallSid"] == call["call_sid"]
    assert hit["apps"] == 0  # the app's own API call, made while Switchboard waited for it
    [logged] = board.requests()
    assert (logged["url"], logged["status_code"]) == (f"{APP}/voice", 200)


def test_a_get_webhook_signs_its_query_string(
    board: Switchboard, seen: list[dict[str, Any]]
) -> None:
    number = number_for(board, f"{APP}/voice?tenant=7", method="GET")
    board.route(APP, flask_app(board.auth_token, seen))
    call = board.simulate_call(number, CALLER)
    assert call["status"] == "completed", call
    [hit] = seen
    assert hit["url"].startswith(f"{APP}/voice?tenant=7&")
    assert hit["args"]["CallSid"] == call["call_sid"]


def test_another_token_fails_the_signature_check(
    board: Switchboard, seen: list[dict[str, Any]]
) -> None:
    number = number_for(board, f"{APP}/voice")
    board.route(APP, flask_app("not-the-account-token", seen))
    call = board.simulate_call(number, CALLER)
    assert (call["status"], call["error_code"]) == ("failed", 11200)
    assert call["requests"][0]["status_code"] == 403
    assert seen == []


def test_an_app_that_raises_answers_500_and_keeps_the_error(
    board: Switchboard, seen: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    number = number_for(board, f"{APP}/broken")
    app = flask_app(board.auth_token, seen)
    app.config["PROPAGATE_EXCEPTIONS"] = True  # as under Flask's testing mode
    the_route = board.route(APP, app)
    call = board.simulate_call(number, CALLER)
    assert (call["status"], call["error_code"]) == ("failed", 11200)
    assert call["requests"][0]["status_code"] == 500
    [error] = the_route.errors
    assert str(error) == "the handler has a bug"
    assert "the handler has a bug" in caplog.text


def starlette_app(auth_token: str, board: Switchboard) -> Starlette:
    """An ASGI app whose `async def` handler calls the blocking SDK: it runs on a loop of its
    own, so it cannot stall the engine waiting for its answer."""
    validator = RequestValidator(auth_token)

    async def voice(req: Request) -> Response:
        form = dict(parse_qsl((await req.body()).decode(), keep_blank_values=True))
        if not validator.validate(str(req.url), form, req.headers["x-twilio-signature"]):
            return Response(status_code=403)
        client = board.client()
        name = client.applications.list()[0].friendly_name
        body = gzip.compress(f"<Response><Say>{name}</Say></Response>".encode())
        headers = {"Content-Encoding": "gzip"}
        return Response(body, media_type="text/xml", headers=headers)

    return Starlette(routes=[StarletteRoute("/voice", voice, methods=["POST"])])


def test_an_asgi_app_on_its_own_loop(board: Switchboard) -> None:
    client = board.client()
    app = client.applications.create(friendly_name="ASGI", voice_url=f"{APP}/voice")
    client.incoming_phone_numbers.create(phone_number="+15005550007", voice_application_sid=app.sid)
    with route(APP, starlette_app(board.auth_token, board)) as the_route:
        assert the_route.interface == "asgi"
        call = board.simulate_call("+15005550007", CALLER)
    assert call["status"] == "completed", call
    assert call["verbs"][0]["text"] == "ASGI"  # gzip as sent, inflated by Switchboard
    assert call["requests"][0]["headers"]["X-Twilio-Signature"]


def test_other_origins_and_removed_routes_go_over_the_network(
    board: Switchboard, receiver: Receiver, seen: list[dict[str, Any]]
) -> None:
    voice = receiver.script("/voice", body="<Response><Say>from the network</Say></Response>")
    number = number_for(board, voice)
    with route(receiver.base_url, flask_app(board.auth_token, seen)):
        assert board.simulate_call(number, CALLER)["verbs"][0]["text"] == "Hello from the app"
    assert board.simulate_call(number, CALLER)["verbs"][0]["text"] == "from the network"
    assert len(seen) == 1
    [over_http] = receiver.requests("/voice")
    assert over_http.signature_valid


def test_the_newest_route_wins_and_removing_it_uncovers_the_one_before(
    board: Switchboard,
) -> None:
    number = number_for(board, f"{APP}/voice")

    def saying(text: str) -> Any:
        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/xml")])
            return [f"<Response><Say>{text}</Say></Response>".encode()]

        return app

    with route(APP, saying("first")):
        second = route(f"{APP}:443/", saying("second"))  # the same origin, spelled otherwise
        assert board.simulate_call(number, CALLER)["verbs"][0]["text"] == "second"
        second.remove()
        second.remove()  # twice is harmless
        assert board.simulate_call(number, CALLER)["verbs"][0]["text"] == "first"


def test_the_fixtures_routes_end_with_the_test(board: Switchboard) -> None:
    board.route("https://gone.test", lambda environ, start: [])
    assert routed(httpx.URL("https://gone.test/x")) is not None
    board.close()  # what the fixture does at teardown
    assert routed(httpx.URL("https://gone.test/x")) is None


# Unit: origins and interfaces


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://MyApp.test", ("https", "myapp.test", 443)),
        ("https://myapp.test/", ("https", "myapp.test", 443)),
        ("http://myapp.test", ("http", "myapp.test", 80)),
        ("http://127.0.0.1:5000", ("http", "127.0.0.1", 5000)),
        ("https://myapp.test.:8443", ("https", "myapp.test", 8443)),
    ],
)
def test_origins(given: str, origin: tuple[str, str, int]) -> None:
    assert origin_of(given) == origin


@pytest.mark.parametrize(
    "given",
    [
        "myapp.test",
        "ftp://myapp.test",
        "https://myapp.test/voice",
        "https://u:p@myapp.test",
        "https://myapp.test?x=1",
        "https://",
    ],
)
def test_what_is_not_an_origin(given: str) -> None:
    with pytest.raises(ValueError):
        origin_of(given)


def test_wsgi_and_asgi_are_told_apart() -> None:
    async def asgi(scope: Any, receive: Any, send: Any) -> None: ...

    def wsgi(environ: Any, start_response: Any) -> list[bytes]:
        return []

    assert is_asgi(asgi) and is_asgi(Starlette())
    assert not is_asgi(wsgi) and not is_asgi(Flask("x"))
    with pytest.raises(ValueError, match="interface"):
        route(APP, wsgi, interface="cgi")
