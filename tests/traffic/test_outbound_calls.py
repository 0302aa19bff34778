"""Calls made with `Calls.json` (issue 15), end to end through twilio-python: a real `switchboard
serve` process, its outbox worker moving each call on, real receivers on 127.0.0.1 checking every
`X-Twilio-Signature` with twilio's RequestValidator.

The contract: create answers 201 `queued` at once; jobs then post the status callbacks asked for
(`initiated`, `ringing`, `answered` -> `in-progress`, `completed`; by default only the last), with
`SequenceNumber` 0, 1, …, `CallbackSource`, `Timestamp`; the answered call requests its document
(the application's `voice_url` for `ApplicationSid`, signed, `Direction=outbound-api`); a
Switchboard number answers as an inbound call of its own account (Twilio-to-Twilio); a
`client:` address rings Voice SDK devices; an update redirects or ends it; each refusal is
Twilio's code, and the test credentials' magic numbers provoke them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import jsonschema_rs
import pytest
from conftest import SPEC_SUBSET, Server
from errors import assert_error, assert_sdk_error
from inbound import new_number
from receiver import Receiver
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant
from twilio.rest import Client

SERVER_ARGS = ("--webhook-timeout", "2", "--delivery-delay", "0.05")
HANDSET = "+14155550142"  # a number of no Switchboard account: a handset
SAY = "<Response><Say>Hello there</Say></Response>"
ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


@pytest.fixture(scope="module")
def caller_id(module_server: Server) -> str:
    """A number of the main account, the From of these calls."""
    number = new_number()
    module_server.client().incoming_phone_numbers.create(phone_number=number)
    return number


def settle(server: Server, account_sid: str | None = None, auth_token: str | None = None) -> None:
    sid = account_sid or server.account_sid
    with server.http(sid, auth_token) as h:
        resp = h.post(f"/switchboard/v1/Accounts/{sid}/Settle", data={"Timeout": "30"})
    assert resp.status_code == 200, resp.text


def trace_of(server: Server, sid: str) -> dict[str, Any]:
    with server.http() as h:
        resp = h.get(f"/switchboard/v1/Accounts/{server.account_sid}/InboundCalls/{sid}")
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def waiting(server: Server, sid: str) -> bool:
    """Whether the call waits for its far end (its trace exists once its first step ran)."""
    with server.http() as h:
        resp = h.get(f"/switchboard/v1/Accounts/{server.account_sid}/InboundCalls/{sid}")
    return resp.status_code == 200 and resp.json().get("waiting") is not None


def wait_until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def all_signed(*receivers: Receiver) -> None:
    got = [r for rcv in receivers for r in rcv.requests()]
    assert got, "no webhook request at all"
    bad = [(r.method, r.path) for r in got if not r.signature_valid]
    assert not bad, f"requests whose X-Twilio-Signature does not validate: {bad}"


def statuses(receiver: Receiver, path: str = "/status") -> list[str]:
    return [r.params["CallStatus"] for r in receiver.requests(path)]


@pytest.fixture
def other_tenant(module_server: Server) -> Iterator[tuple[str, str]]:
    made = module_server.create_account("Far end")
    yield made["sid"], made["auth_token"]


# Through an application


def test_application_call_runs_its_voice_url_and_posts_every_event(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str
) -> None:
    voice = receiver.script("/voice", body=SAY)
    status = receiver.url("/status")
    app = client.applications.create(
        friendly_name="outbound", voice_url=voice, status_callback=status
    )
    ignored = receiver.url("/ignored")

    call = client.calls.create(
        to=HANDSET,
        from_=caller_id,
        application_sid=app.sid,
        status_callback=ignored,  # ApplicationSid: the application's callback serves, not this
        status_callback_event=ALL_EVENTS,
    )

    assert call.status == "queued"
    assert call.direction == "outbound-api"
    assert (call.to, call._from) == (HANDSET, caller_id)
    assert call.start_time is None and call.end_time is None and call.duration is None
    settle(module_server)

    [request] = receiver.requests("/voice")
    params = request.params
    assert params["CallSid"] == call.sid
    assert params["ApplicationSid"] == app.sid
    assert params["Direction"] == "outbound-api"
    assert params["CallStatus"] == "in-progress"
    assert (params["To"], params["From"]) == (HANDSET, caller_id)
    callbacks = receiver.requests("/status")
    assert [c.params["CallStatus"] for c in callbacks] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert [c.params["SequenceNumber"] for c in callbacks] == ["0", "1", "2", "3"]
    assert {c.params["CallbackSource"] for c in callbacks} == {"call-progress-events"}
    assert all(c.params["Timestamp"].endswith("+0000") for c in callbacks)
    assert int(callbacks[-1].params["CallDuration"]) >= 1  # the <Say> takes call time
    assert receiver.requests("/ignored") == []
    all_signed(receiver)

    fetched = client.calls(call.sid).fetch()
    assert fetched.status == "completed"
    assert fetched.duration == callbacks[-1].params["CallDuration"]
    assert fetched.start_time is not None and fetched.end_time is not None
    assert fetched.end_time >= fetched.start_time


def test_url_call_posts_only_completed_by_default(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str
) -> None:
    voice = receiver.script("/voice", body=SAY)
    call = client.calls.create(
        to=HANDSET, from_=caller_id, url=voice, method="GET", status_callback=receiver.url("/s")
    )
    settle(module_server)
    [request] = receiver.requests("/voice")
    assert request.method == "GET"
    assert request.params["Direction"] == "outbound-api"
    assert statuses(receiver, "/s") == ["completed"]
    assert receiver.requests("/s")[0].params["SequenceNumber"] == "0"
    assert client.calls(call.sid).fetch().status == "completed"
    all_signed(receiver)


def test_twiml_call_needs_no_request(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str
) -> None:
    call = client.calls.create(
        to=HANDSET, from_=caller_id, twiml=SAY, status_callback=receiver.url("/s")
    )
    settle(module_server)
    assert statuses(receiver, "/s") == ["completed"]
    trace = trace_of(module_server, call.sid)
    assert [v["verb"] for v in trace["verbs"]] == ["Say"]
    assert trace["status"] == "completed"
    assert trace["direction"] == "outbound-api"


def test_a_failing_document_fails_the_call(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str
) -> None:
    broken = receiver.script("/broken", status=500, body="oops")
    call = client.calls.create(
        to=HANDSET, from_=caller_id, url=broken, status_callback=receiver.url("/s")
    )
    settle(module_server)
    assert statuses(receiver, "/s") == ["failed"]
    assert client.calls(call.sid).fetch().status == "failed"


def test_fallback_url_serves_when_url_fails_and_get_callbacks(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str
) -> None:
    call = client.calls.create(
        to=HANDSET,
        from_=caller_id,
        url=receiver.script("/down", status=503, body="no"),
        fallback_url=receiver.script("/fallback", body=SAY),
        status_callback=receiver.url("/s"),
        status_callback_method="GET",
    )
    settle(module_server)
    [fallback] = receiver.requests("/fallback")
    assert fallback.params["ErrorCode"] == "11200"
    assert fallback.params["CallSid"] == call.sid
    [done] = receiver.requests("/s")
    assert done.method == "GET"
    assert done.query["CallStatus"] == "completed"
    assert client.calls(call.sid).fetch().status == "completed"
    all_signed(receiver)


# Twilio-to-Twilio


def test_a_call_to_a_switchboard_number_arrives_there_as_inbound(
    module_server: Server, client: Client, caller_id: str, other_tenant: tuple[str, str]
) -> None:
    sid, token = other_tenant
    theirs = Receiver(token)
    ours = Receiver(module_server.auth_token)
    try:
        far = new_number()
        module_server.client(sid, token).incoming_phone_numbers.create(
            phone_number=far,
            voice_url=theirs.script("/in", body="<Response><Say>You reached us</Say></Response>"),
        )
        call = client.calls.create(
            to=far, from_=caller_id, url=ours.script("/out", body=SAY), send_digits="12"
        )
        settle(module_server)
        [inbound] = theirs.requests("/in")
        assert inbound.params["Direction"] == "inbound"
        assert inbound.params["AccountSid"] == sid
        assert (inbound.params["To"], inbound.params["From"]) == (far, caller_id)
        assert inbound.params["CallSid"] != call.sid
        [outbound] = ours.requests("/out")
        assert outbound.params["CallSid"] == call.sid
        assert outbound.params["Direction"] == "outbound-api"
        all_signed(theirs)  # signed with that account's token
        all_signed(ours)
        assert client.calls(call.sid).fetch().status == "completed"
    finally:
        theirs.close()
        ours.close()


# Voice SDK clients


def test_a_client_call_with_no_device_is_no_answer(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str
) -> None:
    call = client.calls.create(
        to="client:nobody_here",
        from_=caller_id,
        url=receiver.script("/voice", body=SAY),
        status_callback=receiver.url("/s"),
        status_callback_event=["ringing", "answered", "completed"],
    )
    settle(module_server)
    assert statuses(receiver, "/s") == ["ringing", "no-answer"]
    assert receiver.requests("/voice") == []
    fetched = client.calls(call.sid).fetch()
    assert (fetched.status, fetched.duration) == ("no-answer", "0")


def test_a_client_call_rings_a_registered_device(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str
) -> None:
    key = client.new_keys.create(friendly_name="devices")
    identity = f"alice_{time.monotonic_ns()}"
    token = AccessToken(module_server.account_sid, key.sid, key.secret, identity=identity)
    token.add_grant(VoiceGrant(incoming_allow=True))
    with module_server.http() as h:
        registered = h.post(
            f"/switchboard/v1/Accounts/{module_server.account_sid}/Clients",
            data={"Token": token.to_jwt(), "Input": "7"},
        )
    assert registered.status_code == 201, registered.text
    pressed_url = receiver.script("/pressed", body=SAY)
    gather = f'<Response><Gather numDigits="1" action="{pressed_url}"/></Response>'
    call = client.calls.create(
        to=f"client:{identity}", from_=caller_id, url=receiver.script("/voice", body=gather)
    )
    settle(module_server)
    [voice] = receiver.requests("/voice")
    assert voice.params["To"] == f"client:{identity}"
    [pressed] = receiver.requests("/pressed")
    assert pressed.params["Digits"] == "7"  # the device's side of the call
    assert client.calls(call.sid).fetch().status == "completed"
    with module_server.http() as h:
        device = h.get(
            f"/switchboard/v1/Accounts/{module_server.account_sid}/Clients/"
            f"{registered.json()['sid']}"
        ).json()
    assert [c["call_sid"] for c in device["calls"]] == [call.sid]
    all_signed(receiver)


# Recording, answering machines


def test_record_makes_a_recording_and_posts_its_callback(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str
) -> None:
    call = client.calls.create(
        to=HANDSET,
        from_=caller_id,
        twiml='<Response><Say>Recorded</Say><Pause length="3"/></Response>',
        record=True,
        recording_status_callback=receiver.url("/rec"),
        status_callback=receiver.url("/s"),
    )
    settle(module_server)
    [done] = receiver.requests("/s")
    [recording] = client.recordings.list(call_sid=call.sid)
    assert recording.source == "OutboundAPI"
    assert recording.duration == done.params["CallDuration"]
    assert done.params["RecordingSid"] == recording.sid
    assert done.params["RecordingUrl"].endswith(f"/Recordings/{recording.sid}")
    [rec] = receiver.requests("/rec")
    assert rec.params["RecordingStatus"] == "completed"
    assert rec.params["RecordingSid"] == recording.sid
    assert rec.params["CallSid"] == call.sid
    all_signed(receiver)


def test_machine_detection_reports_who_answered(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str
) -> None:
    call = client.calls.create(
        to=HANDSET,
        from_=caller_id,
        url=receiver.script("/voice", body=SAY),
        machine_detection="Enable",
    )
    plain = client.calls.create(to=HANDSET, from_=caller_id, url=receiver.url("/voice"))
    settle(module_server)
    by_sid = {r.params["CallSid"]: r.params for r in receiver.requests("/voice")}
    assert by_sid[call.sid]["AnsweredBy"] == "human"  # a handset answers as a human by default
    assert "AnsweredBy" not in by_sid[plain.sid]
    assert client.calls(call.sid).fetch().answered_by == "human"
    assert client.calls(plain.sid).fetch().answered_by is None


# Handsets: how a number outside Switchboard answers (`Handsets/{E164}`)


def handset(server: Server, number: str, *pairs: tuple[str, str]) -> None:
    with server.http() as h:
        resp = h.post(
            f"/switchboard/v1/Accounts/{server.account_sid}/Handsets/{number}",
            content=urlencode(pairs),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("outcome", ["busy", "no-answer", "failed"])
def test_a_handset_that_does_not_answer(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str, outcome: str
) -> None:
    number = f"+1415555{len(outcome):02d}{ord(outcome[0]) % 100:02d}"
    handset(module_server, number, ("CallOutcome", outcome))
    call = client.calls.create(
        to=number,
        from_=caller_id,
        url=receiver.script("/voice", body=SAY),
        status_callback=receiver.url("/s"),
        status_callback_event=ALL_EVENTS,
    )
    settle(module_server)
    assert statuses(receiver, "/s") == ["initiated", "ringing", outcome]
    assert receiver.requests("/s")[-1].params["CallDuration"] == "0"
    assert receiver.requests("/voice") == []
    fetched = client.calls(call.sid).fetch()
    assert (fetched.status, fetched.duration, fetched.start_time) == (outcome, "0", None)


def test_a_handset_answers_gathers_hangs_up_and_is_a_machine(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str
) -> None:
    number = "+14155550188"
    handset(
        module_server,
        number,
        ("Input", "42#"),
        ("CallDuration", "20"),
        ("AnsweredBy", "machine_end_beep"),
    )
    menu = receiver.script("/menu", body='<Response><Pause length="60"/></Response>')
    gather = f'<Response><Gather action="{menu}"/></Response>'
    call = client.calls.create(
        to=number,
        from_=caller_id,
        url=receiver.script("/voice", body=gather),
        machine_detection="DetectMessageEnd",
        status_callback=receiver.url("/s"),
    )
    settle(module_server)
    [voice] = receiver.requests("/voice")
    assert voice.params["AnsweredBy"] == "machine_end_beep"
    [menu_request] = receiver.requests("/menu")
    assert menu_request.params["Digits"] == "42"
    [done] = receiver.requests("/s")
    assert done.params["CallDuration"] == "20"  # the handset hung up during the <Pause>
    assert done.params["AnsweredBy"] == "machine_end_beep"
    fetched = client.calls(call.sid).fetch()
    assert (fetched.duration, fetched.answered_by) == ("20", "machine_end_beep")


# Updates


def test_update_twiml_redirects_a_call_waiting_for_its_far_end(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str
) -> None:
    waits = '<Response><Gather input="dtmf" timeout="60"><Say>Press</Say></Gather></Response>'
    call = client.calls.create(
        to=HANDSET,
        from_=caller_id,
        url=receiver.script("/voice", body=waits),
        status_callback=receiver.url("/s"),
    )
    wait_until(lambda: waiting(module_server, call.sid))
    assert client.calls(call.sid).fetch().status == "in-progress"

    updated = client.calls(call.sid).update(twiml="<Response><Say>Goodbye</Say></Response>")

    assert updated.sid == call.sid
    settle(module_server)
    trace = trace_of(module_server, call.sid)
    assert [v["verb"] for v in trace["verbs"]] == ["Gather", "Say"]
    assert trace["verbs"][-1]["text"] == "Goodbye"
    assert trace["verbs"][0].get("interrupted")
    assert statuses(receiver, "/s") == ["completed"]
    assert client.calls(call.sid).fetch().status == "completed"


def test_update_status_completed_hangs_up_a_waiting_call(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str
) -> None:
    waits = '<Response><Gather timeout="60"/><Say>never</Say></Response>'
    call = client.calls.create(to=HANDSET, from_=caller_id, url=receiver.script("/v", body=waits))
    wait_until(lambda: waiting(module_server, call.sid))
    client.calls(call.sid).update(status="completed")
    settle(module_server)
    assert client.calls(call.sid).fetch().status == "completed"
    assert [v["verb"] for v in trace_of(module_server, call.sid)["verbs"]] == ["Gather"]


def test_silence_at_a_gather_times_out_as_on_twilio(
    module_server: Server, client: Client, receiver: Receiver, caller_id: str
) -> None:
    waits = '<Response><Gather timeout="1"/><Say>Nothing heard</Say></Response>'
    call = client.calls.create(to=HANDSET, from_=caller_id, url=receiver.script("/v", body=waits))
    settle(module_server)
    trace = trace_of(module_server, call.sid)
    assert [v["verb"] for v in trace["verbs"]] == ["Gather", "Say"]
    assert trace["verbs"][0]["heard"] == "timeout"
    assert client.calls(call.sid).fetch().status == "completed"


def test_ended_calls_refuse_updates_and_can_be_deleted(
    module_server: Server, client: Client, http: httpx.Client, caller_id: str
) -> None:
    call = client.calls.create(to=HANDSET, from_=caller_id, twiml=SAY)
    path = f"/2010-04-01/Accounts/{module_server.account_sid}/Calls/{call.sid}.json"
    assert_error(http.delete(path), 400, 21220)  # queued: only an ended call is deleted
    settle(module_server)
    assert_error(http.post(path, data={"Twiml": SAY}), 400, 21220)
    assert_error(http.post(path, data={"Status": "canceled"}), 400, 21220)
    assert http.delete(path).status_code == 204
    assert_error(http.get(path), 404, 20404)


def test_cancel_before_it_is_answered(database_url: str, tmp_path: Path) -> None:
    """A server whose steps are 2 s apart: the call is still queued when it is canceled; the
    `completed` event reports it (CallStatus=canceled), and its document is never requested."""
    with Server(database_url, tmp_path, ("--delivery-delay", "2")) as slow:
        rcv = Receiver(slow.auth_token)
        try:
            client = slow.client()
            number = new_number()
            client.incoming_phone_numbers.create(phone_number=number)
            call = client.calls.create(
                to=HANDSET,
                from_=number,
                url=rcv.script("/voice", body=SAY),
                status_callback=rcv.url("/s"),
                status_callback_event=ALL_EVENTS,
            )
            canceled = client.calls(call.sid).update(status="canceled")
            assert canceled.status == "canceled"
            assert canceled.duration == "0"
            settle(slow)
            assert statuses(rcv, "/s") == ["canceled"]
            assert rcv.requests("/voice") == []
            assert client.calls(call.sid).fetch().status == "canceled"
            assert_sdk_error(lambda: client.calls(call.sid).update(status="canceled"), 400, 21220)
        finally:
            rcv.close()


# The representation


def draft4(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema says it (null is one more type)."""
    if isinstance(node, list):
        return [draft4(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: draft4(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def test_every_answer_is_the_specs_call(
    module_server: Server, http: httpx.Client, caller_id: str
) -> None:
    """Create, fetch, update and list answers validate against `api.v2010.account.call` (and the
    list's envelope), before and after the call ran."""
    spec = json.loads(SPEC_SUBSET.read_text())

    def validator(schema: dict[str, Any]) -> Any:
        schema = {**draft4(schema), "components": draft4(spec["components"])}
        return jsonschema_rs.Draft4Validator(schema, validate_formats=True)

    one = validator({"$ref": "#/components/schemas/api.v2010.account.call"})
    listing = spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Calls.json"]["get"]
    page = validator(listing["responses"]["200"]["content"]["application/json"]["schema"])
    base = f"/2010-04-01/Accounts/{module_server.account_sid}/Calls"
    made = http.post(f"{base}.json", data={"To": HANDSET, "From": caller_id, "Twiml": SAY})
    assert made.status_code == 201, made.text
    sid = made.json()["sid"]
    answers = [made.json(), http.get(f"{base}/{sid}.json").json()]
    settle(module_server)
    answers.append(http.get(f"{base}/{sid}.json").json())
    for answer in answers:
        errors = [str(e) for e in one.iter_errors(answer)]
        assert errors == [], (answer, errors)
    listed = http.get(f"{base}.json", params={"PageSize": "2"}).json()
    assert [str(e) for e in page.iter_errors(listed)] == []
    assert list(answers[-1])[:3] == ["account_sid", "answered_by", "api_version"]
    assert answers[-1]["uri"] == f"{base}/{sid}.json"


# Listing


def test_list_filters(
    module_server: Server, client: Client, caller_id: str, receiver: Receiver
) -> None:
    to = "+14155550177"
    made = [client.calls.create(to=to, from_=caller_id, twiml=SAY) for _ in range(3)]
    settle(module_server)
    listed = client.calls.list(to=to)
    assert [c.sid for c in listed] == [c.sid for c in reversed(made)]  # newest first
    assert {c.status for c in client.calls.list(to=to, status="completed")} == {"completed"}
    assert client.calls.list(to=to, status="busy") == []
    assert len(client.calls.list(from_=caller_id, to=to, page_size=2)) == 3
    today = time.strftime("%Y-%m-%d", time.gmtime())
    with module_server.http() as h:
        resp = h.get(
            f"/2010-04-01/Accounts/{module_server.account_sid}/Calls.json",
            params={"To": to, "StartTime>": today},
        )
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["calls"]) == 3
    assert resp.json()["calls"][0]["subresource_uris"]["recordings"].endswith("/Recordings.json")


# Refusals


@pytest.mark.parametrize(
    ("to", "from_", "code"),
    [
        ("+15005550001", None, 21217),
        ("+15005550002", None, 21214),
        ("+15005550003", None, 21215),
        ("+15005550004", None, 21216),
        (HANDSET, "+15005550001", 21212),
        (HANDSET, "+15005550007", 21210),
        (HANDSET, "+14155550999", 21210),  # not a number of the account
        ("sip:alice@example.com", None, 21217),
    ],
)
def test_test_numbers_and_refusals_through_the_sdk(
    client: Client, caller_id: str, to: str, from_: str | None, code: int
) -> None:
    assert_sdk_error(
        lambda: client.calls.create(to=to, from_=from_ or caller_id, twiml=SAY), 400, code
    )


def test_magic_from_number_is_the_accounts_own(module_server: Server, client: Client) -> None:
    call = client.calls.create(to=HANDSET, from_="+15005550006", twiml=SAY)
    assert call.status == "queued"
    settle(module_server)


def test_raw_http_error_bodies(module_server: Server, http: httpx.Client, caller_id: str) -> None:
    path = f"/2010-04-01/Accounts/{module_server.account_sid}/Calls.json"
    assert_error(http.post(path, data={"To": HANDSET, "From": caller_id}), 400, 21205)
    assert_error(http.post(path, data={"From": caller_id, "Twiml": SAY}), 400, 21201)
    assert_error(http.post(path, data={"To": HANDSET, "Twiml": SAY}), 400, 21213)
    form = {"To": HANDSET, "From": caller_id}
    assert_error(http.post(path, data={**form, "Url": "nope"}), 400, 21205)
    assert_error(http.post(path, data={**form, "Url": "http://a/b", "Method": "PUT"}), 400, 21209)
    assert_error(http.post(path, data={**form, "Twiml": "<Nope/"}), 400, 20001)
    assert_error(http.post(path, data={**form, "Twiml": SAY, "Url": "http://a/b"}), 400, 20001)
    bad_app = {**form, "ApplicationSid": "AP" + "0" * 32}
    assert_error(http.post(path, data=bad_app), 400, 21218)
    xml = http.post(path.removesuffix(".json"), data=form)
    assert_error(xml, 400, 21205)  # XML without `.json`
    missing = f"/2010-04-01/Accounts/{module_server.account_sid}/Calls/CA{'0' * 32}.json"
    assert_error(http.get(missing), 404, 20404)
    assert_error(http.post(missing, data={"Status": "canceled"}), 404, 20404)
    assert_error(http.delete(missing), 404, 20404)
