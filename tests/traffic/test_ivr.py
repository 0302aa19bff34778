"""Whole calls, verb by verb: real IVRs on local receivers, driven by a scripted or a live caller.

A real `switchboard serve` process executes each document as Twilio would (`<Gather>` and
`<Record>` request their actions with what the caller did, `<Dial>` reaches another account's
number through that account's application), on a simulated clock. Every request the receivers
get, actions included, must pass twilio's own `RequestValidator` under the right account's token.
"""

from __future__ import annotations

import io
import itertools
import time
import wave
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from conftest import Databases, Server, run_cli
from receiver import Receiver, Recorded
from twilio.rest import Client

CALLER = "+14155550199"
SERVER_ARGS = ("--webhook-timeout", "2")
_numbers = itertools.count(2000)


def new_number() -> str:
    return f"+1500555{next(_numbers):04d}"


@pytest.fixture
def receiver(module_server: Server) -> Iterator[Receiver]:
    rcv = Receiver(module_server.auth_token)
    try:
        yield rcv
    finally:
        rcv.close()


@pytest.fixture
def http(module_server: Server) -> Iterator[httpx.Client]:
    with module_server.http() as c:
        yield c


def calls(server: Server, account_sid: str | None = None) -> str:
    return f"/switchboard/v1/Accounts/{account_sid or server.account_sid}/InboundCalls"


def app_number(client: Client, **app_fields: Any) -> str:
    app = client.applications.create(friendly_name="ivr", **app_fields)
    number = new_number()
    client.incoming_phone_numbers.create(phone_number=number, voice_application_sid=app.sid)
    return number


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post(http: httpx.Client, path: str, *pairs: tuple[str, str]) -> httpx.Response:
    """A form with repeated names (`Input`, `DialStatus`), in the order given."""
    return http.post(path, content=urlencode(pairs), headers=FORM)


def call(http: httpx.Client, server: Server, number: str, *pairs: tuple[str, str]) -> Any:
    resp = post(http, calls(server), ("To", number), ("From", CALLER), *pairs)
    assert resp.status_code == 201, resp.text
    return resp.json()


def all_signed(receiver: Receiver) -> None:
    got = receiver.requests()
    assert got, "no webhook request at all"
    bad = [(r.method, r.path) for r in got if not r.signature_valid]
    assert not bad, f"requests whose X-Twilio-Signature does not validate: {bad}"


MENU = (
    '<Response><Gather numDigits="1" action="/choice">'
    "<Say>For sales press 1, for support press 2</Say></Gather>"
    "<Redirect>/menu</Redirect></Response>"
)


def choice(request: Recorded) -> str:
    digits = request.form.get("Digits")
    if digits == "1":
        return "<Response><Say>Sales</Say><Hangup/></Response>"
    if digits == "2":
        return "<Response><Say>Support</Say><Hangup/></Response>"
    return "<Response><Say>Not a choice</Say><Redirect>/menu</Redirect></Response>"


def test_a_menu_loops_on_bad_digits_until_a_good_one(
    module_server: Server, receiver: Receiver, http: httpx.Client
) -> None:
    client = module_server.client()
    receiver.respond("/choice", choice)
    number = app_number(
        client,
        voice_url=receiver.script("/menu", body=MENU),
        status_callback=receiver.script("/status"),
    )

    trace = call(http, module_server, number, ("Input", "7"), ("Input", "9"), ("Input", "2"))

    assert trace["status"] == "completed", trace
    digits = [r.form["Digits"] for r in receiver.requests("/choice")]
    assert digits == ["7", "9", "2"]
    assert len(receiver.requests("/menu")) == 3  # the first answer and two redirects back
    purposes = [r["purpose"] for r in trace["requests"]]
    assert purposes == [
        "voice_url", "gather_action", "redirect", "gather_action", "redirect", "gather_action",
        "status_callback",
    ]  # fmt: skip
    for got in receiver.requests("/choice"):
        assert got.form["CallSid"] == trace["call_sid"]
        assert got.form["CallStatus"] == "in-progress"
        assert got.form["AccountSid"] == module_server.account_sid
    assert [v["verb"] for v in trace["verbs"]][-2:] == ["Say", "Hangup"]
    # Three prompts of 8 words (3.2 s) and a key (0.5 s) each, "Not a choice" twice (1.2 s),
    # "Support" (0.4 s): 13.9 s of call time, reported in whole seconds.
    assert trace["duration"] == 14
    [status] = receiver.wait_for("/status")
    assert status.form["CallDuration"] == "14"
    assert trace["verbs"][0]["at"] == 0
    all_signed(receiver)


def test_a_speech_flow(module_server: Server, receiver: Receiver, http: httpx.Client) -> None:
    client = module_server.client()
    body = (
        '<Response><Gather input="speech dtmf" speechTimeout="auto" action="/heard">'
        "<Say>How can we help?</Say></Gather></Response>"
    )
    receiver.script("/heard", body="<Response><Say>Connecting you to billing</Say></Response>")
    number = app_number(client, voice_url=receiver.script("/ask", body=body))

    trace = call(http, module_server, number, ("Input", "speech:I have a billing question"))

    [heard] = receiver.requests("/heard")
    assert heard.signature_valid
    assert heard.form["SpeechResult"] == "I have a billing question"
    assert heard.form["Confidence"] == "0.9"
    assert "Digits" not in heard.form
    assert trace["status"] == "completed"
    all_signed(receiver)


def test_a_voicemail_records_and_its_wav_downloads(
    module_server: Server, receiver: Receiver, http: httpx.Client
) -> None:
    client = module_server.client()
    body = (
        "<Response><Say>Leave a message after the beep</Say>"
        '<Record maxLength="60" action="/saved" recordingStatusCallback="/recording"/>'
        "</Response>"
    )
    receiver.script("/saved", body="<Response><Say>Thank you</Say></Response>")
    receiver.script("/recording")
    number = app_number(client, voice_url=receiver.script("/vm", body=body))

    trace = call(http, module_server, number, ("Input", "record:7"))

    [saved] = receiver.requests("/saved")
    assert saved.signature_valid
    sid = saved.form["RecordingSid"]
    assert saved.form["RecordingDuration"] == "7"
    assert saved.form["Digits"] == ""
    url = saved.form["RecordingUrl"]
    account = module_server.account_sid
    assert url == f"{module_server.url}/2010-04-01/Accounts/{account}/Recordings/{sid}"
    [status] = receiver.wait_for("/recording")
    assert status.signature_valid
    assert status.form["RecordingStatus"] == "completed"
    assert status.form["RecordingSid"] == sid
    assert trace["recordings"] == [sid]

    for media in (url, url + ".wav"):
        resp = httpx.get(media, auth=(module_server.account_sid, module_server.auth_token))
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"] == "audio/x-wav"
        with wave.open(io.BytesIO(resp.content)) as wav:
            assert wav.getnframes() / wav.getframerate() == 7.0
            assert wav.getnchannels() == 1
    auth = (module_server.account_sid, module_server.auth_token)
    assert httpx.get(url + ".mp3", auth=auth).status_code == 404  # MP3 is not served
    assert httpx.get(url + ".wav").status_code == 401  # media needs the account's credentials

    recording = client.recordings(sid).fetch()
    assert recording.duration == "7"
    assert recording.call_sid == trace["call_sid"]
    assert recording.source == "RecordVerb"
    all_signed(receiver)


def test_dial_to_another_accounts_number(
    module_server: Server, receiver: Receiver, http: httpx.Client
) -> None:
    """A's application dials B's number: B's application answers a real inbound call, signed
    with B's token, with its own trace and status callback; A's action hears how it went."""
    client = module_server.client()
    other = module_server.create_account("Callee account")
    b_receiver = Receiver(other["auth_token"])
    try:
        b_client = module_server.client(other["sid"], other["auth_token"])
        b_number = app_number(
            b_client,
            voice_url=b_receiver.script(
                "/b/voice",
                body='<Response><Gather numDigits="1" action="/b/menu"><Say>Hello from B</Say>'
                "</Gather></Response>",
            ),
            status_callback=b_receiver.script("/b/status"),
        )
        b_receiver.script("/b/menu", body='<Response><Pause length="20"/></Response>')
        receiver.script("/after", body="<Response><Say>Goodbye</Say></Response>")
        number = app_number(
            client,
            voice_url=receiver.script(
                "/dial",
                body=f'<Response><Dial action="/after" callerId="+15005550006">{b_number}'
                "</Dial></Response>",
            ),
        )

        trace = call(http, module_server, number, ("Input", "3"))

        [b_call] = b_receiver.requests("/b/voice")
        assert b_call.signature_valid  # B's token, not A's
        assert b_call.form["AccountSid"] == other["sid"]
        assert b_call.form["To"] == b_number
        assert b_call.form["From"] == "+15005550006"
        assert b_call.form["Direction"] == "inbound"
        [b_menu] = b_receiver.requests("/b/menu")
        assert b_menu.form["Digits"] == "3"  # the caller talks to B's IVR
        [b_status] = b_receiver.wait_for("/b/status")
        assert b_status.signature_valid
        assert b_status.form["CallDuration"] == "22"  # 1.2 s prompt, 0.5 s key, 20 s pause
        [after] = receiver.requests("/after")
        assert after.signature_valid
        assert after.form["DialCallStatus"] == "completed"
        assert after.form["DialCallDuration"] == "22"
        assert after.form["DialBridged"] == "true"
        assert after.form["DialCallSid"].startswith("CA")
        dial = trace["verbs"][0]
        b_sid = dial["callee_call_sid"]
        assert b_sid == b_call.form["CallSid"]
        # B's trace is B's: A cannot read it, B can.
        assert http.get(f"{calls(module_server)}/{b_sid}").status_code == 404
        with module_server.http(other["sid"], other["auth_token"]) as b_http:
            b_trace = b_http.get(f"{calls(module_server, other['sid'])}/{b_sid}").json()
        assert b_trace["status"] == "completed"
        assert [r["purpose"] for r in b_trace["requests"]] == [
            "voice_url", "gather_action", "status_callback",
        ]  # fmt: skip
        all_signed(b_receiver)
        all_signed(receiver)
    finally:
        b_receiver.close()


@pytest.mark.parametrize(("outcome", "duration"), [("busy", "0"), ("no-answer", "30")])
def test_busy_and_no_answer_dial_outcomes(
    outcome: str, duration: str, module_server: Server, receiver: Receiver, http: httpx.Client
) -> None:
    client = module_server.client()
    receiver.script("/after", body="<Response><Say>Nobody</Say></Response>")
    number = app_number(
        client,
        voice_url=receiver.script(
            "/dial", body='<Response><Dial action="/after">+15558675309</Dial></Response>'
        ),
        status_callback=receiver.script("/status"),
    )

    trace = call(http, module_server, number, ("DialStatus", outcome))

    [after] = receiver.requests("/after")
    assert after.signature_valid
    assert after.form["DialCallStatus"] == outcome
    assert after.form["DialBridged"] == "false"
    assert "DialCallDuration" not in after.form
    [status] = receiver.wait_for("/status")
    assert status.form["CallDuration"] == str(int(duration) + 1)  # + "Nobody" (0.4 s)
    assert trace["verbs"][0]["status"] == outcome


def test_the_caller_hangs_up_mid_gather(
    module_server: Server, receiver: Receiver, http: httpx.Client
) -> None:
    client = module_server.client()
    body = (
        '<Response><Gather timeout="10" action="/g"><Say>Enter your PIN</Say></Gather>'
        "</Response>"
    )
    number = app_number(
        client,
        voice_url=receiver.script("/pin", body=body),
        status_callback=receiver.script("/status"),
    )

    trace = call(http, module_server, number, ("HangupAfter", "4"))

    assert receiver.requests("/g") == []  # a Gather cut short requests no action
    [status] = receiver.wait_for("/status")
    assert status.signature_valid
    assert status.form["CallStatus"] == "completed"
    assert status.form["CallDuration"] == "4"
    assert trace["duration"] == 4


def test_bad_caller_scripts_are_refused(
    module_server: Server, receiver: Receiver, http: httpx.Client
) -> None:
    client = module_server.client()
    number = app_number(client, voice_url=receiver.script("/v"))
    for pair in [
        ("Input", "12x"),
        ("DialStatus", "maybe"),
        ("DialDuration", "-1"),
        ("HangupAfter", "soon"),
        ("Interactive", "yes"),
        ("InteractiveTimeout", "0"),
    ]:
        resp = post(http, calls(module_server), ("To", number), ("From", CALLER), pair)
        assert resp.status_code == 400, (pair, resp.text)
        assert resp.json()["code"] == 20001, pair
    assert receiver.requests() == []


# Interactive calls


def test_an_interactive_call_waits_for_its_caller(
    module_server: Server, receiver: Receiver, http: httpx.Client
) -> None:
    client = module_server.client()
    receiver.respond("/choice", choice)
    number = app_number(
        client,
        voice_url=receiver.script("/menu", body=MENU),
        status_callback=receiver.script("/status"),
    )

    first = call(http, module_server, number, ("Interactive", "true"))

    assert first["status"] == "in-progress"
    assert first["waiting"]["verb"] == "Gather"
    assert first["waiting"]["attributes"] == {"numDigits": "1", "action": "/choice"}
    assert first["waiting"]["prompts"] == [
        {"verb": "Say", "attributes": {}, "text": "For sales press 1, for support press 2"}
    ]
    sid = first["call_sid"]
    assert receiver.requests("/status") == []  # not over yet
    base = f"{calls(module_server)}/{sid}"
    fetched = http.get(base).json()
    assert fetched["status"] == "in-progress"
    assert fetched["waiting"] == first["waiting"]

    second = http.post(f"{base}/Input", data={"Input": "5"})
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "in-progress"  # a bad choice: the menu again
    third = http.post(f"{base}/Input", data={"Input": "1"})
    assert third.status_code == 200, third.text
    done = third.json()
    assert done["status"] == "completed"
    assert "waiting" not in done
    assert [r.form["Digits"] for r in receiver.requests("/choice")] == ["5", "1"]
    assert [r["purpose"] for r in done["requests"]] == [
        "voice_url", "gather_action", "redirect", "gather_action", "status_callback",
    ]  # fmt: skip
    [status] = receiver.wait_for("/status")
    assert status.form["CallStatus"] == "completed"

    again = http.post(f"{base}/Input", data={"Input": "1"})
    assert again.status_code == 400
    assert again.json()["code"] == 21220
    unknown = http.post(f"{calls(module_server)}/CA{'0' * 32}/Input", data={"Input": "1"})
    assert unknown.status_code == 404
    all_signed(receiver)


def test_an_interactive_call_hangs_up_or_expires(
    module_server: Server, receiver: Receiver, http: httpx.Client
) -> None:
    client = module_server.client()
    number = app_number(
        client,
        voice_url=receiver.script("/menu", body=MENU),
        status_callback=receiver.script("/status"),
    )
    first = call(http, module_server, number, ("Interactive", "true"))
    resp = http.post(f"{calls(module_server)}/{first['call_sid']}/Hangup")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "completed"
    assert len(receiver.wait_for("/status")) == 1

    started = time.monotonic()
    expiring = call(
        http, module_server, number, ("Interactive", "true"), ("InteractiveTimeout", "1")
    )
    statuses = receiver.wait_for("/status", 2, timeout=15)
    assert len(statuses) == 2, "nobody completed the expired call"
    assert time.monotonic() - started < 15
    assert statuses[1].form["CallSid"] == expiring["call_sid"]
    assert statuses[1].form["CallStatus"] == "completed"
    deadline = time.monotonic() + 5  # the trace is saved just after its last callback
    while (ended := http.get(f"{calls(module_server)}/{expiring['call_sid']}").json())[
        "status"
    ] != "completed" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ended["status"] == "completed"
    assert any("expired" in w for w in ended["warnings"])
    time.sleep(2.5)  # another sweep: the call stays completed, its callback sent once
    assert len(receiver.requests("/status")) == 2


# The CLI


def test_cli_runs_a_scripted_ivr(module_server: Server, receiver: Receiver) -> None:
    client = module_server.client()
    receiver.respond("/choice", choice)
    number = app_number(client, voice_url=receiver.script("/menu", body=MENU))

    out = run_cli(
        "simulate", "call", "--to", number, "--from", CALLER, "--input", "4", "--input", "1",
        "--json", database_url=module_server.database_url, check=False,
    )  # fmt: skip

    assert out.returncode == 0, out.stderr
    assert [r.form["Digits"] for r in receiver.requests("/choice")] == ["4", "1"]
    all_signed(receiver)


def test_cli_refuses_a_bad_script(module_server: Server, receiver: Receiver) -> None:
    client = module_server.client()
    number = app_number(client, voice_url=receiver.script("/menu", body=MENU))
    out = run_cli(
        "simulate", "call", "--to", number, "--from", CALLER, "--dial-status", "maybe",
        database_url=module_server.database_url, check=False,
    )  # fmt: skip
    assert out.returncode != 0
    assert "20001" in out.stderr
    assert receiver.requests() == []


# Several processes on PostgreSQL


def test_an_interactive_call_continues_in_another_process(
    databases: Databases, tmp_path: Path
) -> None:
    """Paused in one server process, continued through another over one PostgreSQL: the state
    is in the database, and two continuations sent at once never both run."""
    url = databases.postgres(tmp_path)
    first = Server(url, tmp_path)
    first.start()
    second = Server(url, tmp_path)
    second.account_sid, second.auth_token = first.account_sid, first.auth_token
    second.start()
    receiver = Receiver(first.auth_token)
    try:
        client = first.client()
        slow = receiver.script("/slow", body="<Response><Say>done</Say></Response>", delay=1.0)
        body = MENU.replace('action="/choice"', f'action="{slow}"')
        number = app_number(
            client,
            voice_url=receiver.script("/menu", body=body),
            status_callback=receiver.script("/status"),
        )
        with first.http() as one, second.http() as two:
            paused = call(one, first, number, ("Interactive", "true"))
            path = f"{calls(first)}/{paused['call_sid']}/Input"
            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(lambda h: h.post(path, data={"Input": "2"}), [two, one]))
        codes = sorted(a.status_code for a in answers)
        assert codes == [200, 409], [a.text for a in answers]
        [won] = [a for a in answers if a.status_code == 200]
        assert won.json()["status"] == "completed"
        [busy] = [a for a in answers if a.status_code == 409]
        assert busy.json()["code"] == 21220
        assert len(receiver.requests("/slow")) == 1  # the action ran once
        assert len(receiver.wait_for("/status")) == 1
        all_signed(receiver)
    finally:
        receiver.close()
        second.stop()
        first.stop()
