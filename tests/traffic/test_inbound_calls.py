"""Simulated inbound calls: POST /switchboard/v1/Accounts/{AC}/InboundCalls, end to end.

A real `switchboard serve` process requests a real HTTP receiver on 127.0.0.1; the receiver checks
every `X-Twilio-Signature` with twilio's own RequestValidator.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import threading
import time
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from conftest import Server, clean_env, free_port, run_cli
from errors import assert_error
from inbound import CALLER, calls_path, new_number, place_call
from receiver import Receiver
from twilio.rest import Client

CALL_SID = re.compile(r"^CA[0-9a-f]{32}$")
GEO = ("City", "State", "Zip", "Country")
SAY_PLAY = "<Response><Say>Hi</Say><Play>http://x/a.mp3</Play></Response>"
GEO_FORM = {
    "FromCity": "SAN FRANCISCO",
    "FromState": "CA",
    "FromZip": "94103",
    "FromCountry": "US",
    "ToCity": "OAKLAND",
    "ToState": "CA",
    "ToZip": "94612",
    "ToCountry": "US",
}
SERVER_ARGS = ("--webhook-timeout", "1")  # timeout cases stay quick


# Helpers


def number_with_app(client: Client, **app_fields: Any) -> tuple[str, str]:
    """A number whose voice (and SMS) is served by a new application; (number, app sid)."""
    app = client.applications.create(friendly_name="inbound", **app_fields)
    number = new_number()
    client.incoming_phone_numbers.create(
        phone_number=number, voice_application_sid=app.sid, sms_application_sid=app.sid
    )
    return number, app.sid


def number_with_urls(client: Client, **number_fields: Any) -> str:
    number = new_number()
    client.incoming_phone_numbers.create(phone_number=number, **number_fields)
    return number


def closed_port_url(path: str = "/voice") -> str:
    """A URL on 127.0.0.1 where nothing listens: connection refused."""
    return f"http://127.0.0.1:{free_port()}{path}"


# Voice through an application


def test_application_voice_url_gets_signed_twilio_params(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    url = receiver.script("/voice", body=SAY_PLAY)
    number, app_sid = number_with_app(client, voice_url=url)

    trace = place_call(http, module_server, number, **GEO_FORM)

    assert CALL_SID.match(trace["call_sid"])
    assert trace["account_sid"] == module_server.account_sid
    assert trace["from"] == CALLER
    assert trace["to"] == number
    assert trace["status"] == "completed"
    assert trace["application_sid"] == app_sid
    assert trace["error_code"] is None
    assert trace["twiml"] == SAY_PLAY
    assert [v["verb"] for v in trace["verbs"]] == ["Say", "Play"]
    assert trace["verbs"][0]["text"] == "Hi"
    assert trace["verbs"][1]["text"] == "http://x/a.mp3"

    [got] = receiver.requests("/voice")
    assert got.method == "POST"
    assert got.signature_valid
    assert got.header("User-Agent") == "TwilioProxy/1.1"
    p = got.form
    assert p["CallSid"] == trace["call_sid"]
    assert p["AccountSid"] == module_server.account_sid
    assert p["ApplicationSid"] == app_sid
    assert p["From"] == CALLER
    assert p["To"] == number
    assert p["Caller"] == CALLER
    assert p["Called"] == number
    assert p["CallStatus"] == "ringing"
    assert p["ApiVersion"] == "2010-04-01"
    assert p["Direction"] == "inbound"
    for side in ("From", "To"):
        for part in GEO:
            assert p[f"{side}{part}"] == GEO_FORM[f"{side}{part}"]

    [req] = trace["requests"]
    assert req["purpose"] == "voice_url"
    assert req["method"] == "POST"
    assert req["url"] == url
    assert req["status_code"] == 200
    assert req["error_code"] is None
    assert req["params"]["CallSid"] == trace["call_sid"]
    assert req["headers"]["X-Twilio-Signature"] == got.header("X-Twilio-Signature")


def test_geographic_params_present_even_when_not_given(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(client, voice_url=receiver.script("/voice"))
    place_call(http, module_server, number)
    [got] = receiver.requests("/voice")
    assert got.signature_valid  # blank values are signed too
    for side in ("From", "To"):
        for part in GEO:
            assert f"{side}{part}" in got.form


def test_number_own_voice_url_without_application(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    url = receiver.script("/own", body="<Response><Say>Own</Say></Response>")
    number = number_with_urls(client, voice_url=url)

    trace = place_call(http, module_server, number)

    assert trace["status"] == "completed"
    assert trace["application_sid"] is None
    assert [v["verb"] for v in trace["verbs"]] == ["Say"]
    [got] = receiver.requests("/own")
    assert got.signature_valid
    assert "ApplicationSid" not in got.form
    assert got.form["CallSid"] == trace["call_sid"]


def test_application_wins_over_number_voice_url(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    app = client.applications.create(voice_url=receiver.script("/app"))
    number = new_number()
    client.incoming_phone_numbers.create(
        phone_number=number,
        voice_url=receiver.script("/number"),
        voice_application_sid=app.sid,
    )

    trace = place_call(http, module_server, number)

    assert trace["application_sid"] == app.sid
    assert len(receiver.requests("/app")) == 1
    assert receiver.requests("/number") == []


def test_get_voice_method_sends_params_in_query(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    url = receiver.script("/voice-get")
    number, app_sid = number_with_app(client, voice_url=url, voice_method="GET")

    trace = place_call(http, module_server, number)

    assert trace["status"] == "completed"
    [got] = receiver.requests("/voice-get")
    assert got.method == "GET"
    assert got.body == ""
    assert got.signature_valid  # validated with {} params: the URL alone is signed
    assert receiver.validator.validate(got.url, {}, got.header("X-Twilio-Signature") or "")
    assert got.query["CallSid"] == trace["call_sid"]
    assert got.query["ApplicationSid"] == app_sid
    assert got.query["CallStatus"] == "ringing"
    assert trace["requests"][0]["method"] == "GET"
    assert trace["requests"][0]["url"] == got.url


def test_post_voice_method_sends_form_body(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    url = receiver.script("/voice-post")
    number, _ = number_with_app(client, voice_url=url, voice_method="POST")

    trace = place_call(http, module_server, number)

    [got] = receiver.requests("/voice-post")
    assert got.method == "POST"
    assert got.path == "/voice-post"  # no query string
    assert (got.header("Content-Type") or "").startswith("application/x-www-form-urlencoded")
    assert got.form["CallSid"] == trace["call_sid"]
    assert got.signature_valid


# Fallback


FAILURES: dict[str, tuple[dict[str, Any], int]] = {
    "connection-refused": ({}, 11205),
    "http-500": ({"status": 500, "body": "boom", "content_type": "text/plain"}, 11200),
    "timeout": ({"delay": 3.0}, 11200),
    "not-xml": ({"body": "not xml", "content_type": "text/xml"}, 12100),
    "wrong-root": ({"body": "<Foo><Say>x</Say></Foo>", "content_type": "text/xml"}, 12100),
    "json-content-type": (
        {"body": '{"say": "hi"}', "content_type": "application/json"},
        12300,
    ),
}


@pytest.mark.parametrize("kind", list(FAILURES))
def test_failure_falls_back_with_error_code_and_url(
    kind: str,
    module_server: Server,
    receiver: Receiver,
    client: Client,
    http: httpx.Client,
) -> None:
    script, code = FAILURES[kind]
    if kind == "connection-refused":
        primary = closed_port_url()
    else:
        primary = receiver.script("/primary", **script)
    fallback = receiver.script("/fallback", body="<Response><Say>Sorry</Say></Response>")
    number, app_sid = number_with_app(client, voice_url=primary, voice_fallback_url=fallback)

    started = time.monotonic()
    trace = place_call(http, module_server, number)
    assert time.monotonic() - started < 5

    assert trace["status"] == "completed", trace
    assert trace["error_code"] is None
    assert [r["purpose"] for r in trace["requests"]] == ["voice_url", "voice_fallback_url"]
    first, second = trace["requests"]
    assert first["error_code"] == code
    assert first["url"] == primary
    assert second["error_code"] is None
    assert [v["verb"] for v in trace["verbs"]] == ["Say"]

    [got] = receiver.requests("/fallback")
    assert got.signature_valid
    assert got.form["ErrorCode"] == str(code)
    assert got.form["ErrorUrl"] == primary
    assert got.form["CallSid"] == trace["call_sid"]
    assert got.form["ApplicationSid"] == app_sid
    assert got.form["CallStatus"] == "ringing"
    assert got.form["From"] == CALLER


def test_fallback_failing_too_fails_with_its_error(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    primary = receiver.script("/primary", status=500)
    fallback = receiver.script("/fallback", body="not xml")
    number, _ = number_with_app(client, voice_url=primary, voice_fallback_url=fallback)

    trace = place_call(http, module_server, number)

    assert trace["status"] == "failed"
    assert trace["error_code"] == 12100
    assert [r["error_code"] for r in trace["requests"]] == [11200, 12100]
    assert trace["verbs"] == []


def test_primary_failure_without_fallback_fails(
    module_server: Server, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(client, voice_url=closed_port_url())

    trace = place_call(http, module_server, number)

    assert trace["status"] == "failed"
    assert trace["error_code"] == 11205
    assert len(trace["requests"]) == 1


# Caller name


@pytest.mark.parametrize("lookup", [True, False])
def test_caller_name_only_with_caller_id_lookup(
    lookup: bool,
    module_server: Server,
    receiver: Receiver,
    client: Client,
    http: httpx.Client,
) -> None:
    number, _ = number_with_app(
        client, voice_url=receiver.script("/voice"), voice_caller_id_lookup=lookup
    )

    place_call(http, module_server, number, CallerName="JANE DOE")

    [got] = receiver.requests("/voice")
    assert got.signature_valid
    if lookup:
        assert got.form["CallerName"] == "JANE DOE"
    else:
        assert "CallerName" not in got.form


# Status callback


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_status_callback_completed(
    method: str,
    module_server: Server,
    receiver: Receiver,
    client: Client,
    http: httpx.Client,
) -> None:
    number, _ = number_with_app(
        client,
        voice_url=receiver.script("/voice", body=SAY_PLAY),
        status_callback=receiver.script("/status"),
        status_callback_method=method,
    )

    trace = place_call(http, module_server, number)

    assert trace["status"] == "completed"
    assert trace["duration"] == 6  # "Hi" at 150 words a minute (0.4 s) + one play (5 s)
    [got] = receiver.wait_for("/status", 1)
    assert got.method == method
    assert got.signature_valid
    p = got.params
    assert p["CallStatus"] == "completed"
    assert p["CallDuration"] == "6"
    assert p["CallSid"] == trace["call_sid"]
    assert p["AccountSid"] == module_server.account_sid
    assert p["From"] == CALLER
    assert p["To"] == number
    assert p["Direction"] == "inbound"
    assert p["ApiVersion"] == "2010-04-01"
    purposes = [r["purpose"] for r in trace["requests"]]
    assert purposes == ["voice_url", "status_callback"]


def test_status_callback_reports_failed_flow(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(
        client,
        voice_url=receiver.script("/voice", status=500),
        status_callback=receiver.script("/status"),
    )

    trace = place_call(http, module_server, number)

    assert trace["status"] == "failed"
    [got] = receiver.wait_for("/status", 1)
    assert got.signature_valid
    assert got.params["CallStatus"] == "failed"
    assert got.params["CallSid"] == trace["call_sid"]
    assert got.params["SipResponseCode"] == "500"  # our choice for a failed application


@pytest.mark.parametrize(
    ("seconds", "minutes"), [("0", "0"), ("49", "1"), ("60", "1"), ("61", "2")]
)
def test_status_callback_duration_is_whole_minutes_rounded_up(
    seconds: str,
    minutes: str,
    module_server: Server,
    receiver: Receiver,
    client: Client,
    http: httpx.Client,
) -> None:
    pause = f'<Response><Pause length="{seconds}"/></Response>'
    number, _ = number_with_app(
        client,
        voice_url=receiver.script("/voice", body=pause),
        status_callback=receiver.script("/status"),
    )

    place_call(http, module_server, number)

    [got] = receiver.wait_for("/status", 1)
    assert got.signature_valid
    assert got.form["CallDuration"] == seconds
    assert got.form["Duration"] == minutes
    assert got.form["SipResponseCode"] == "200"
    assert got.form["CallbackSource"] == "call-progress-events"
    assert got.form["SequenceNumber"] == "0"


# SHAKEN/STIR and CallToken


def _b64url_json(part: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def test_inbound_call_carries_stir_verstat_and_call_token(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(
        client,
        voice_url=receiver.script("/voice", body="<Response><Redirect>/next</Redirect></Response>"),
        status_callback=receiver.script("/status"),
    )
    receiver.script("/next")

    trace = place_call(http, module_server, number)

    [got] = receiver.requests("/voice")
    assert got.signature_valid  # both are signed like every other parameter
    assert got.form["StirVerstat"] == "TN-Validation-Passed-A"
    token = got.form["CallToken"]
    # As in real captures: URL-encoded JSON, so still percent-encoded once the form is decoded.
    assert token.startswith("%7B%22parentCallInfoToken%22%3A%22eyJhbGciOiJFUzI1NiJ9.")
    assert token.endswith("%22%2C%22identityHeaderTokens%22%3A%5B%5D%7D")
    decoded = json.loads(unquote(token))
    assert list(decoded) == ["parentCallInfoToken", "identityHeaderTokens"]
    assert decoded["identityHeaderTokens"] == []
    header, claims, signature = decoded["parentCallInfoToken"].split(".")
    assert _b64url_json(header) == {"alg": "ES256"}
    body = _b64url_json(claims)
    assert list(body) == ["callSid", "from", "to", "iat"]
    assert body["callSid"] == trace["call_sid"]
    assert body["from"] == CALLER
    assert body["to"] == number
    assert re.fullmatch(r"[0-9]{10}", body["iat"]), body
    assert abs(int(body["iat"]) - time.time()) < 600
    assert len(base64.urlsafe_b64decode(signature + "==")) == 64  # an ES256 signature's size
    # The same values follow the call: the redirect and the status callback carry them too.
    [redirected] = receiver.requests("/next")
    [status] = receiver.wait_for("/status", 1)
    for later in (redirected, status):
        assert later.signature_valid
        assert later.form["CallToken"] == token
        assert later.form["StirVerstat"] == "TN-Validation-Passed-A"


@pytest.mark.parametrize("verstat", ["TN-Validation-Failed-C", "No-TN-Validation", ""])
def test_stir_verstat_can_be_chosen_or_left_out(
    verstat: str, module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(client, voice_url=receiver.script("/voice"))

    place_call(http, module_server, number, StirVerstat=verstat)

    [got] = receiver.requests("/voice")
    assert got.signature_valid
    if verstat:
        assert got.form["StirVerstat"] == verstat
    else:  # a call that carried no SHAKEN identity: Twilio sends no StirVerstat
        assert "StirVerstat" not in got.form
    assert "CallToken" in got.form


def test_call_duration_is_no_longer_given_but_measured(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    """The simulated clock measures a call; a `CallDuration` parameter would contradict it."""
    number, _ = number_with_app(client, voice_url=receiver.script("/voice"))
    form = {"To": number, "From": CALLER, "CallDuration": "42"}
    assert_error(http.post(calls_path(module_server), data=form), 400, 20001)
    assert receiver.requests() == []


def test_unknown_stir_verstat_is_refused(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(client, voice_url=receiver.script("/voice"))
    form = {"To": number, "From": CALLER, "StirVerstat": "TN-Validation-Passed-Z"}
    assert_error(http.post(calls_path(module_server), data=form), 400, 20001)
    assert receiver.requests() == []


# <Redirect>


def test_redirect_relative_get(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    first = receiver.script(
        "/start",
        body='<Response><Say>One</Say><Redirect method="GET">/next</Redirect></Response>',
    )
    receiver.script("/next", body="<Response><Play>http://x/b.mp3</Play></Response>")
    number, _ = number_with_app(client, voice_url=first)

    trace = place_call(http, module_server, number)

    assert trace["status"] == "completed", trace
    assert [v["verb"] for v in trace["verbs"]] == ["Say", "Redirect", "Play"]
    assert [r["purpose"] for r in trace["requests"]] == ["voice_url", "redirect"]
    [got] = receiver.requests("/next")
    assert got.method == "GET"
    assert got.signature_valid
    assert got.query["CallStatus"] == "in-progress"
    assert got.query["CallSid"] == trace["call_sid"]
    assert trace["requests"][1]["method"] == "GET"
    assert trace["requests"][1]["url"].startswith(receiver.url("/next"))


def test_redirect_loop_is_bounded(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    url = receiver.script("/loop", body="<Response><Redirect>/loop</Redirect></Response>")
    number, _ = number_with_app(client, voice_url=url)

    started = time.monotonic()
    trace = place_call(http, module_server, number)
    assert time.monotonic() - started < 10

    assert trace["status"] == "failed"
    assert trace["error_code"] == 11215
    hits = len(receiver.requests("/loop"))
    assert 5 <= hits <= 15
    assert len(trace["requests"]) == hits


# Concurrency


def test_slow_webhook_does_not_block_other_requests(server: Server) -> None:
    rcv = Receiver(server.auth_token)
    try:
        client = server.client()
        app = client.applications.create(voice_url=rcv.script("/slow", delay=3.0))
        number = "+15005550999"
        client.incoming_phone_numbers.create(phone_number=number, voice_application_sid=app.sid)
        result: dict[str, Any] = {}

        def call() -> None:
            with server.http() as h:
                resp = h.post(calls_path(server), data={"To": number, "From": CALLER})
                result["status"] = resp.status_code
                result["body"] = resp.json()

        worker = threading.Thread(target=call)
        worker.start()
        try:
            assert len(rcv.wait_for("/slow", 1, timeout=5)) == 1  # the call is now waiting
            with server.http() as h:
                started = time.monotonic()
                resp = h.get(server.apps_path())
                elapsed = time.monotonic() - started
            assert resp.status_code == 200
            assert elapsed < 0.5, f"took {elapsed:.2f}s while a webhook was pending"
            assert worker.is_alive()  # the slow call really was still pending
        finally:
            worker.join(timeout=20)
        assert result["status"] == 201
        assert result["body"]["status"] == "completed"
    finally:
        rcv.close()


# Reading a trace back


def test_fetch_trace_by_sid(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(client, voice_url=receiver.script("/voice", body=SAY_PLAY))
    trace = place_call(http, module_server, number)

    resp = http.get(f"{calls_path(module_server)}/{trace['call_sid']}")

    assert resp.status_code == 200
    stored = resp.json()
    assert stored["call_sid"] == trace["call_sid"]
    assert stored["status"] == "completed"
    assert stored["twiml"] == SAY_PLAY
    assert [v["verb"] for v in stored["verbs"]] == ["Say", "Play"]
    assert [r["purpose"] for r in stored["requests"]] == ["voice_url"]


def test_fetch_unknown_trace_is_404(module_server: Server, http: httpx.Client) -> None:
    resp = http.get(f"{calls_path(module_server)}/CA{'0' * 32}")
    assert_error(resp, 404, 20404)


# Errors


def test_to_not_a_number_of_the_account(module_server: Server, http: httpx.Client) -> None:
    resp = http.post(calls_path(module_server), data={"To": "+15005559876", "From": CALLER})
    assert_error(resp, 404, 20404)


def test_missing_to(module_server: Server, http: httpx.Client) -> None:
    resp = http.post(calls_path(module_server), data={"From": CALLER})
    assert_error(resp, 400, 21604)


def test_missing_from(module_server: Server, client: Client, http: httpx.Client) -> None:
    number = number_with_urls(client, voice_url="http://127.0.0.1:9/voice")
    resp = http.post(calls_path(module_server), data={"To": number})
    assert_error(resp, 400, 21603)


def test_bad_credentials(module_server: Server, client: Client) -> None:
    number = number_with_urls(client, voice_url="http://127.0.0.1:9/voice")
    form = {"To": number, "From": CALLER}
    path = calls_path(module_server)
    wrong = httpx.post(
        module_server.url + path, data=form, auth=(module_server.account_sid, "0" * 32)
    )
    assert_error(wrong, 401, 20003)
    anonymous = httpx.post(module_server.url + path, data=form)
    assert_error(anonymous, 401, 20003)


def test_other_accounts_credentials(module_server: Server, client: Client) -> None:
    number = number_with_urls(client, voice_url="http://127.0.0.1:9/voice")
    other = module_server.create_account("Other calls")
    with module_server.http(other["sid"], other["auth_token"]) as h:
        resp = h.post(calls_path(module_server), data={"To": number, "From": CALLER})
    assert_error(resp, 401, 20003)


# CLI


def test_cli_simulate_call_completed(
    module_server: Server, receiver: Receiver, client: Client
) -> None:
    number, _ = number_with_app(client, voice_url=receiver.script("/voice", body=SAY_PLAY))

    out = run_cli(
        "simulate", "call", "--to", number, "--from", CALLER,
        database_url=module_server.database_url, check=False,
    )

    assert out.returncode == 0, out.stderr
    assert "voice_url" in out.stdout
    assert "completed" in out.stdout
    [got] = receiver.requests("/voice")
    assert got.signature_valid  # signed with the main account's token
    assert got.form["AccountSid"] == module_server.account_sid


def test_cli_simulate_call_failed_exits_nonzero(
    module_server: Server, client: Client
) -> None:
    number, _ = number_with_app(client, voice_url=closed_port_url())

    out = run_cli(
        "simulate", "call", "--to", number, "--from", CALLER,
        database_url=module_server.database_url, check=False,
    )

    assert out.returncode != 0
    assert "failed" in out.stdout


def test_cli_simulate_call_json(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, app_sid = number_with_app(client, voice_url=receiver.script("/voice", body=SAY_PLAY))

    out = run_cli(
        "simulate", "call", "--to", number, "--from", CALLER, "--json",
        database_url=module_server.database_url, check=False,
    )

    assert out.returncode == 0, out.stderr
    trace = json.loads(out.stdout)
    assert CALL_SID.match(trace["call_sid"])
    assert trace["status"] == "completed"
    assert trace["application_sid"] == app_sid
    assert trace["account_sid"] == module_server.account_sid
    assert [v["verb"] for v in trace["verbs"]] == ["Say", "Play"]
    [got] = receiver.requests("/voice")
    assert got.form["CallSid"] == trace["call_sid"]
    # The CLI stored its trace in the shared database: the server can read it back.
    resp = http.get(f"{calls_path(module_server)}/{trace['call_sid']}")
    assert resp.status_code == 200
    assert resp.json()["call_sid"] == trace["call_sid"]


@pytest.mark.parametrize(
    ("setting", "why"),
    [
        ({"SWITCHBOARD_WEBHOOK_DENY": "127.0.0.0/8"}, "denied"),
        ({"SWITCHBOARD_WEBHOOK_DENY_PRIVATE": "1"}, "private"),
        ({"SWITCHBOARD_WEBHOOK_ALLOW": "hooks.example.com"}, "not on the allow list"),
    ],
)
def test_cli_simulate_applies_the_webhook_target_policy(
    setting: dict[str, str], why: str, module_server: Server, receiver: Receiver, client: Client
) -> None:
    """`switchboard simulate` builds its router as `serve` does: the same settings refuse the
    same targets."""
    number, _ = number_with_app(client, voice_url=receiver.script("/voice", body=SAY_PLAY))

    out = subprocess.run(
        [
            sys.executable, "-m", "switchboard.cli", "simulate", "call",
            "--to", number, "--from", CALLER, "--json",
            "--database-url", module_server.database_url,
        ],
        env=clean_env(**setting),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert out.returncode == 1, (out.stdout, out.stderr)
    trace = json.loads(out.stdout)
    assert trace["status"] == "failed"
    [request] = trace["requests"]
    assert request["error_code"] == 11200, request
    assert why in request["error_message"], request
    assert receiver.requests() == []
