"""Voice SDK clients end to end: tokens minted by twilio-python and twilio-node, a real
`switchboard serve`, real receivers.

A device's call (`…/ClientCalls`) requests its grant's TwiML App with exactly the parameters
Twilio sends for a client call, signed so that twilio's `RequestValidator` accepts it, then runs
as any call (trace, status callback, request log, interactive continuation). Devices registered
with `…/Clients` are rung by `<Dial><Client>`: the action hears `DialCallStatus` as Twilio
reports it, and the device's record shows the call with its `<Parameter>`s. Every refusal has
the Voice SDK's code and requests nothing.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from conftest import Databases, Server, clean_env, run_cli
from contract import node_sdk
from receiver import Receiver
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

SERVER_ARGS = ("--webhook-timeout", "2")
ROOT = "/2010-04-01/Accounts"
EXT = "/switchboard/v1/Accounts"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_names = itertools.count()

MINT_JS = """
const twilio = require("twilio");
const job = JSON.parse(require("fs").readFileSync(0, "utf8"));
const AccessToken = twilio.jwt.AccessToken;
const token = new AccessToken(job.accountSid, job.keySid, job.secret,
                              { identity: job.identity, ttl: 600 });
token.addGrant(new AccessToken.VoiceGrant(job.grant));
console.log(JSON.stringify({ token: token.toJwt() }));
"""


def unique(name: str) -> str:
    """An identity no other test of the module registers."""
    return f"{name}_{next(_names)}"


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


class Tenant:
    """An account with an API key that signs its tokens."""

    def __init__(self, server: Server, sid: str, token: str) -> None:
        self.server, self.sid, self.token = server, sid, token
        with server.http(sid, token) as h:
            key = h.post(f"{ROOT}/{sid}/Keys.json", data={"FriendlyName": "tokens"})
        assert key.status_code == 201, key.text
        self.key_sid, self.secret = key.json()["sid"], key.json()["secret"]

    def http(self) -> httpx.Client:
        return self.server.http(self.sid, self.token)

    def mint(self, grant: VoiceGrant, identity: str = "alice", **extra: Any) -> str:
        """A token as twilio-python mints it."""
        token = AccessToken(self.sid, self.key_sid, self.secret, identity=identity, **extra)
        token.add_grant(grant)
        return str(token.to_jwt())

    def app(self, **fields: str) -> str:
        with self.http() as h:
            made = h.post(f"{ROOT}/{self.sid}/Applications.json", data=fields)
        assert made.status_code == 201, made.text
        sid: str = made.json()["sid"]
        return sid

    def path(self, tail: str) -> str:
        return f"{EXT}/{self.sid}{tail}"


@pytest.fixture(scope="module")
def main(module_server: Server) -> Tenant:
    return Tenant(module_server, module_server.account_sid, module_server.auth_token)


@pytest.fixture(scope="module")
def other(module_server: Server) -> Tenant:
    made = module_server.create_account("Other tenant")
    return Tenant(module_server, made["sid"], made["auth_token"])


def post(h: httpx.Client, path: str, *pairs: tuple[str, str]) -> httpx.Response:
    """A form with repeated names (`Param`, `Input`), in the order given."""
    return h.post(path, content=urlencode(pairs), headers=FORM)


def place(t: Tenant, token: str, *pairs: tuple[str, str]) -> dict[str, Any]:
    with t.http() as h:
        resp = post(h, t.path("/ClientCalls"), ("Token", token), *pairs)
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def register(t: Tenant, identity: str, *pairs: tuple[str, str]) -> dict[str, Any]:
    token = t.mint(VoiceGrant(incoming_allow=True), identity)
    with t.http() as h:
        resp = post(h, t.path("/Clients"), ("Token", token), *pairs)
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def refusal(resp: httpx.Response) -> tuple[int, int]:
    body = resp.json()
    assert list(body) == ["code", "message", "more_info", "status"], body
    assert body["status"] == resp.status_code
    return resp.status_code, body["code"]


def all_signed(receiver: Receiver) -> None:
    got = receiver.requests()
    assert got, "no webhook request at all"
    bad = [(r.method, r.path) for r in got if not r.signature_valid]
    assert not bad, f"requests whose X-Twilio-Signature does not validate: {bad}"


# A device's call through its application


def test_a_device_calls_through_its_grants_application(
    main: Tenant, receiver: Receiver, http: httpx.Client
) -> None:
    app = main.app(
        FriendlyName="softphone",
        VoiceUrl=receiver.script("/voice", body="<Response><Say>Connecting you</Say></Response>"),
        StatusCallback=receiver.script("/status"),
    )
    grant = VoiceGrant(
        outgoing_application_sid=app, outgoing_application_params={"agent": "7", "vip": True}
    )
    token = main.mint(grant, "alice")

    trace = place(main, token, ("Param", "To=+15005550006"), ("Param", "note=hello there"))

    [voice] = receiver.requests("/voice")
    assert voice.signature_valid
    assert voice.form == {
        "AccountSid": main.sid,
        "ApiVersion": "2010-04-01",
        "ApplicationSid": app,
        "CallSid": trace["call_sid"],
        "CallStatus": "ringing",
        "Called": "",
        "Caller": "client:alice",
        "Direction": "inbound",
        "From": "client:alice",
        "To": "+15005550006",
        "agent": "7",
        "vip": "true",
        "note": "hello there",
    }
    assert trace["status"] == "completed"
    assert (trace["from"], trace["to"]) == ("client:alice", "+15005550006")
    assert (trace["application_sid"], trace["direction"]) == (app, "inbound")
    assert trace["duration"] == 1  # "Connecting you": 0.8 s
    [status] = receiver.wait_for("/status")
    assert status.signature_valid
    assert status.form["CallStatus"] == "completed"
    assert status.form["From"] == "client:alice"
    assert status.form["agent"] == "7"
    assert [r["purpose"] for r in trace["requests"]] == ["voice_url", "status_callback"]
    stored = http.get(main.path(f"/InboundCalls/{trace['call_sid']}")).json()
    assert stored["requests"] == trace["requests"]
    logged = http.get(main.path("/Requests")).json()["requests"]
    assert {r["sid"] for r in trace["requests"]} <= {r["sid"] for r in logged}


def test_without_a_to_param_to_is_empty(main: Tenant, receiver: Receiver) -> None:
    app = main.app(VoiceUrl=receiver.script("/voice"))
    trace = place(main, main.mint(VoiceGrant(outgoing_application_sid=app), "bare"))
    [voice] = receiver.requests("/voice")
    assert (voice.form["To"], voice.form["Called"]) == ("", "")
    assert trace["to"] == ""


def test_an_interactive_device_call_continues_like_an_inbound_one(
    main: Tenant, receiver: Receiver, http: httpx.Client
) -> None:
    menu = '<Response><Gather numDigits="1" action="/choice"><Say>Press</Say></Gather></Response>'
    app = main.app(VoiceUrl=receiver.script("/menu", body=menu))
    receiver.script("/choice", body="<Response><Say>Thanks</Say></Response>")
    token = main.mint(VoiceGrant(outgoing_application_sid=app), "agent")

    paused = place(main, token, ("Interactive", "true"))

    assert paused["status"] == "in-progress"
    assert paused["waiting"]["verb"] == "Gather"
    resp = http.post(main.path(f"/InboundCalls/{paused['call_sid']}/Input"), data={"Input": "4"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "completed"
    [choice] = receiver.requests("/choice")
    assert (choice.form["Digits"], choice.form["From"]) == ("4", "client:agent")
    all_signed(receiver)


def test_a_subaccounts_token_through_the_parents_path(main: Tenant, receiver: Receiver) -> None:
    """The parent's credentials may act for the subaccount: its token places the call in the
    subaccount, signed with the subaccount's auth token."""
    with main.http() as h:
        made = h.post(f"{ROOT}.json", data={"FriendlyName": "team"})
    assert made.status_code == 201, made.text
    child = Tenant(main.server, made.json()["sid"], made.json()["auth_token"])
    child_receiver = Receiver(child.token)
    try:
        app = child.app(VoiceUrl=child_receiver.script("/voice"))
        token = child.mint(VoiceGrant(outgoing_application_sid=app))
        trace = place(main, token)
        assert trace["account_sid"] == child.sid
        [voice] = child_receiver.requests("/voice")
        assert voice.signature_valid and voice.form["AccountSid"] == child.sid
        # The other way round: the subaccount cannot use its parent's tokens.
        parent_token = main.mint(VoiceGrant(outgoing_application_sid=main.app(FriendlyName="p")))
        with child.http() as h:
            resp = post(h, child.path("/ClientCalls"), ("Token", parent_token))
        assert refusal(resp) == (401, 20103)
    finally:
        child_receiver.close()


def test_a_node_minted_token_calls_and_registers(
    main: Tenant, receiver: Receiver, tmp_path: Path
) -> None:
    node_sdk.require()
    script = tmp_path / "mint.js"
    script.write_text(MINT_JS)

    def node_token(identity: str, grant: dict[str, Any]) -> str:
        job = {"accountSid": main.sid, "keySid": main.key_sid, "secret": main.secret,
               "identity": identity, "grant": grant}  # fmt: skip
        token: str = node_sdk.run(job, clean_env(), script)["token"]
        return token

    app = main.app(VoiceUrl=receiver.script("/voice"))
    outgoing = node_token(
        "node_caller",
        {"outgoingApplicationSid": app, "outgoingApplicationParams": {"crm": "42"}},
    )
    trace = place(main, outgoing, ("Param", "To=+15005550006"))
    [voice] = receiver.requests("/voice")
    assert voice.signature_valid
    assert (voice.form["From"], voice.form["crm"]) == ("client:node_caller", "42")
    assert trace["status"] == "completed"
    identity = unique("node_device")
    incoming = node_token(identity, {"incomingAllow": True})
    with main.http() as h:
        resp = post(h, main.path("/Clients"), ("Token", incoming))
    assert resp.status_code == 201, resp.text
    assert (resp.json()["identity"], resp.json()["key_sid"]) == (identity, main.key_sid)


# Devices that are rung


def test_a_client_calls_another_client(
    main: Tenant, receiver: Receiver, http: httpx.Client
) -> None:
    bob = unique("bob")
    device = register(main, bob, ("Input", "1"))
    dial = (
        f'<Response><Dial action="/after" callerId="client:alice"><Client url="/whisper">'
        f'<Identity>{bob}</Identity><Parameter name="ticket" value="42"/></Client></Dial>'
        "</Response>"
    )
    app = main.app(VoiceUrl=receiver.script("/voice", body=dial))
    receiver.script("/whisper", body='<Response><Gather numDigits="1" action="/take"/></Response>')
    receiver.script("/take")
    receiver.script("/after", body="<Response><Hangup/></Response>")
    token = main.mint(VoiceGrant(outgoing_application_sid=app), "alice")

    trace = place(main, token, ("DialDuration", "30"))

    [after] = receiver.requests("/after")
    assert after.form["DialCallStatus"] == "completed"
    assert after.form["DialBridged"] == "true"
    assert after.form["DialCallDuration"] == "31"  # the key (0.5 s) and 30 s bridged
    [take] = receiver.requests("/take")
    assert take.form["Digits"] == "1"  # bob's device pressed 1 in the whisper
    assert (take.form["To"], take.form["From"]) == (f"client:{bob}", "client:alice")
    assert take.form["ParentCallSid"] == trace["call_sid"]
    fetched = http.get(main.path(f"/Clients/{device['sid']}"))
    assert fetched.status_code == 200, fetched.text
    [call] = fetched.json()["calls"]
    assert call["call_sid"] == after.form["DialCallSid"]
    assert call["parent_call_sid"] == trace["call_sid"]
    assert (call["from"], call["to"]) == ("client:alice", f"client:{bob}")
    assert call["parameters"] == {"ticket": "42"}
    assert call["status"] == "accepted"
    listed = http.get(main.path("/Clients"), params={"PageSize": "1000"}).json()
    assert device["sid"] in [d["sid"] for d in listed["clients"]]
    assert listed["uri"].startswith(f"{EXT}/{main.sid}/Clients")
    all_signed(receiver)


@pytest.mark.parametrize(
    ("answers", "status", "seconds"),
    [([], "no-answer", 10), (["reject"], "busy", 0), (["ignore", "reject"], "no-answer", 10)],
)
def test_what_the_dial_action_hears(
    main: Tenant, receiver: Receiver, answers: list[str], status: str, seconds: int
) -> None:
    carol = unique("carol")
    for answer in answers:
        register(main, carol, ("Answer", answer))
    dial = f'<Response><Dial timeout="10" action="/after"><Client>{carol}</Client></Dial>'
    dial += "</Response>"
    app = main.app(VoiceUrl=receiver.script("/voice", body=dial))
    receiver.script("/after")
    trace = place(main, main.mint(VoiceGrant(outgoing_application_sid=app)))
    [after] = receiver.requests("/after")
    assert (after.form["DialCallStatus"], after.form["DialBridged"]) == (status, "false")
    assert "DialCallDuration" not in after.form
    assert trace["duration"] == seconds


def test_devices_are_per_account_and_unregister(
    main: Tenant, other: Tenant, receiver: Receiver, http: httpx.Client
) -> None:
    dana = unique("dana")
    mine = register(main, dana)
    other_receiver = Receiver(other.token)
    try:
        dial = f'<Response><Dial action="/after"><Client>{dana}</Client></Dial></Response>'
        app = other.app(VoiceUrl=other_receiver.script("/voice", body=dial))
        other_receiver.script("/after")
        place(other, other.mint(VoiceGrant(outgoing_application_sid=app)))
        [after] = other_receiver.requests("/after")
        assert after.form["DialCallStatus"] == "no-answer"  # main's dana does not ring for B
        assert http.get(main.path(f"/Clients/{mine['sid']}")).json()["calls"] == []
        with other.http() as b:
            assert b.get(other.path(f"/Clients/{mine['sid']}")).status_code == 404
            assert b.delete(other.path(f"/Clients/{mine['sid']}")).status_code == 404
    finally:
        other_receiver.close()
    assert http.delete(main.path(f"/Clients/{mine['sid']}")).status_code == 204
    assert http.get(main.path(f"/Clients/{mine['sid']}")).status_code == 404
    dial = f'<Response><Dial action="/after"><Client>{dana}</Client></Dial></Response>'
    app = main.app(VoiceUrl=receiver.script("/voice", body=dial))
    receiver.script("/after")
    place(main, main.mint(VoiceGrant(outgoing_application_sid=app)))
    assert receiver.requests("/after")[0].form["DialCallStatus"] == "no-answer"


# Refusals: the Voice SDK's codes, and nothing requested


def test_token_refusals(main: Tenant, other: Tenant, receiver: Receiver) -> None:
    app = main.app(VoiceUrl=receiver.script("/voice"))
    theirs = other.app(FriendlyName="theirs")
    grant = VoiceGrant(outgoing_application_sid=app)
    with main.http() as h:
        key = h.post(f"{ROOT}/{main.sid}/Keys.json", data={"FriendlyName": "doomed"}).json()
        assert h.delete(f"{ROOT}/{main.sid}/Keys/{key['sid']}.json").status_code == 204
    deleted = AccessToken(main.sid, key["sid"], key["secret"], identity="alice")
    deleted.add_grant(grant)
    foreign_key = AccessToken(main.sid, other.key_sid, other.secret, identity="alice")
    foreign_key.add_grant(grant)
    cases = {
        "expired": (main.mint(grant, valid_until=1_700_000_000, nbf=1_699_999_000), 20104),
        "a deleted key": (str(deleted.to_jwt()), 20103),
        "another account's key": (str(foreign_key.to_jwt()), 20103),
        "another account's token": (other.mint(VoiceGrant(outgoing_application_sid=theirs)),
                                    20103),
        "another account's application": (main.mint(VoiceGrant(outgoing_application_sid=theirs)),
                                          21218),
        "an incoming-only token": (main.mint(VoiceGrant(incoming_allow=True)), 20106),
        "a tampered token": (main.mint(grant)[:-2] + "AA", 20107),
        "not a token": ("hello", 20101),
    }  # fmt: skip
    problems = []
    with main.http() as h:
        for what, (token, code) in cases.items():
            resp = post(h, main.path("/ClientCalls"), ("Token", token))
            want = (400 if code == 21218 else 401, code)
            if refusal(resp) != want:
                problems.append(f"{what}: want {want}: {resp.status_code} {resp.text}")
        outgoing_only = main.mint(grant, "eve")
        resp = post(h, main.path("/Clients"), ("Token", outgoing_only))
        if refusal(resp) != (401, 20106):
            problems.append(f"register an outgoing-only token: {resp.text}")
        resp = post(h, main.path("/ClientCalls"), ("Param", "To=+1"))
        if refusal(resp) != (400, 20001):
            problems.append(f"no token: {resp.text}")
        listed = h.get(main.path("/Clients"), params={"PageSize": "1000"}).json()["clients"]
    assert not problems, "\n".join(problems)
    assert "eve" not in [d["identity"] for d in listed]
    assert receiver.requests() == []


def test_messages_say_what_is_wrong(main: Tenant, other: Tenant) -> None:
    theirs = other.app(FriendlyName="theirs")
    grant = VoiceGrant(outgoing_application_sid=theirs)
    with main.http() as h:
        foreign = post(h, main.path("/ClientCalls"), ("Token", other.mint(grant)))
        elsewhere = post(h, main.path("/ClientCalls"), ("Token", main.mint(grant)))
    assert foreign.json()["message"] == (
        f"Invalid Access Token issuer/subject: sub {other.sid} is not an account these "
        "credentials may act for"
    )
    assert elsewhere.json()["message"] == f"Invalid ApplicationSid: {theirs}"
    for resp in (foreign, elsewhere):
        assert main.secret not in resp.text and other.secret not in resp.text


@pytest.mark.parametrize(
    ("path", "pairs"),
    [
        ("/ClientCalls", [("Token", "")]),
        ("/ClientCalls", [("Token", "x" * 20_000)]),
        ("/ClientCalls", [("Token", "é.é.é")]),
        ("/ClientCalls", [("Token", "a.b.c"), ("Param", "")]),
        ("/ClientCalls", [("Token", "a.b.c"), ("Param", "To")]),
        ("/ClientCalls", [("Token", "a.b.c"), ("Interactive", "maybe")]),
        ("/ClientCalls", [("Token", "a.b.c"), ("Input", "speech:")]),
        ("/Clients", [("Token", "a.b.c"), ("Answer", "")]),
        ("/Clients", [("Token", "a.b.c"), ("HangupAfter", "-1")]),
        ("/Clients", [("Token", "{}.{}.{}")]),
    ],
)
def test_bad_input_is_a_twilio_error(
    main: Tenant, receiver: Receiver, path: str, pairs: list[tuple[str, str]]
) -> None:
    with main.http() as h:
        resp = post(h, main.path(path), *pairs)
    status, code = refusal(resp)
    assert status in (400, 401) and 20001 <= code <= 20157, resp.text
    assert receiver.requests() == []


@pytest.mark.parametrize("sid", ["DV123", "DV" + "G" * 32, "AP" + "0" * 32, "DV" + "0" * 32])
def test_unknown_or_malformed_device_sids_are_404(main: Tenant, sid: str) -> None:
    with main.http() as h:
        for method in ("GET", "DELETE"):
            assert refusal(h.request(method, main.path(f"/Clients/{sid}"))) == (404, 20404)
        listed = h.get(main.path("/Clients"), params={"PageSize": "0"})
    assert refusal(listed) == (400, 20001)


def test_no_token_or_secret_reaches_the_servers_output(main: Tenant, module_server: Server) -> None:
    """After every flow of this module (tokens, registrations, refusals), the server's log holds
    neither a key's secret nor any part of a token's signature."""
    token = main.mint(VoiceGrant(incoming_allow=True), unique("quiet"))
    register(main, unique("quiet"))
    log = module_server.log_path.read_text()
    assert main.secret not in log
    assert token.rsplit(".", 1)[1] not in log


# The command line


def test_cli_client_call(main: Tenant, receiver: Receiver, module_server: Server) -> None:
    app = main.app(VoiceUrl=receiver.script("/voice", body="<Response><Say>hi</Say></Response>"))
    token = main.mint(VoiceGrant(outgoing_application_sid=app), "cli_user")
    out = run_cli(
        "simulate", "client-call", "--token", token, "--param", "To=+15005550006", "--json",
        database_url=module_server.database_url, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    trace = json.loads(out.stdout)
    assert (trace["from"], trace["status"]) == ("client:cli_user", "completed")
    [voice] = receiver.requests("/voice")
    assert voice.signature_valid and voice.form["To"] == "+15005550006"
    bad = run_cli(
        "simulate", "client-call", "--token", token, "--param", "From=+1",
        database_url=module_server.database_url, check=False,
    )  # fmt: skip
    assert bad.returncode == 1 and "20001" in bad.stderr
    assert token not in bad.stderr + out.stdout


# Several processes on PostgreSQL


def test_a_device_registered_through_one_process_rings_from_another(
    databases: Databases, tmp_path: Path
) -> None:
    url = databases.postgres(tmp_path)
    first = Server(url, tmp_path)
    first.start()
    second = Server(url, tmp_path)
    second.account_sid, second.auth_token = first.account_sid, first.auth_token
    second.start()
    receiver = Receiver(first.auth_token)
    try:
        one = Tenant(first, first.account_sid, first.auth_token)
        two = Tenant(second, first.account_sid, first.auth_token)
        two.key_sid, two.secret = one.key_sid, one.secret
        device = register(one, "frank")
        dial = '<Response><Dial action="/after"><Client>frank</Client></Dial></Response>'
        app = two.app(VoiceUrl=receiver.script("/voice", body=dial))
        receiver.script("/after")
        place(two, two.mint(VoiceGrant(outgoing_application_sid=app)), ("DialDuration", "5"))
        [after] = receiver.requests("/after")
        assert after.form["DialCallStatus"] == "completed"
        with first.http() as h:
            [call] = h.get(one.path(f"/Clients/{device['sid']}")).json()["calls"]
        assert call["status"] == "accepted"
    finally:
        receiver.close()
        second.stop()
        first.stop()
