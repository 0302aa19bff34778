"""The request log's tools, over raw HTTP against a real server and real webhook receivers:

- `GET …/Requests` filters: `CallSid`, `MessageSid`, `Purpose`, `Url` (part, case-sensitive,
  LIKE's wildcards literal), `Outcome` (ok|failed), `ErrorCode`; they combine, pages stay full
  and their URIs carry the filters; a bad value is a 400 (20001) naming the parameter; an empty
  value is no filter.
- `GET …/Requests/{RQ}`: one request, as the list shows it; 404 for unknown or malformed SIDs.
- `POST …/Requests/{RQ}/Replay`: the same request again (method, URL, parameters), signed with
  the account's auth token as it is now, logged beside the original with `replay_of`; through the
  webhook target policy (a refused address is a failed delivery, logged, and nothing is sent).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from conftest import Server, random_number, run_cli
from receiver import Receiver

EXT = "/switchboard/v1/Accounts"
ROOT = "/2010-04-01/Accounts"
CALLER = "+14155550123"


@dataclass
class Tenant:
    """A fresh subaccount of the module's server (a log of its own), its receiver, a number."""

    sid: str
    token: str
    http: httpx.Client
    receiver: Receiver
    number: str

    def log(self, **query: Any) -> dict[str, Any]:
        resp = self.http.get(f"{EXT}/{self.sid}/Requests", params=query)
        assert resp.status_code == 200, resp.text
        page: dict[str, Any] = resp.json()
        return page

    def call(self, **form: str) -> dict[str, Any]:
        resp = self.http.post(
            f"{EXT}/{self.sid}/InboundCalls", data={"To": self.number, "From": CALLER, **form}
        )
        assert resp.status_code == 201, resp.text
        trace: dict[str, Any] = resp.json()
        return trace

    def message(self, body: str = "hi") -> dict[str, Any]:
        resp = self.http.post(
            f"{EXT}/{self.sid}/InboundMessages",
            data={"To": self.number, "From": CALLER, "Body": body},
        )
        assert resp.status_code == 201, resp.text
        trace: dict[str, Any] = resp.json()
        return trace

    def update_app(self, app_sid: str, **form: str) -> None:
        resp = self.http.post(f"{ROOT}/{self.sid}/Applications/{app_sid}.json", data=form)
        assert resp.status_code == 200, resp.text


@pytest.fixture
def tenant(module_server: Server) -> Iterator[Tenant]:
    with module_server.http() as main:
        resp = main.post(f"{ROOT}.json", data={"FriendlyName": "log tools"})
        assert resp.status_code == 201, resp.text
        sub = resp.json()
    receiver = Receiver(sub["auth_token"])
    http = module_server.http(sub["sid"], sub["auth_token"])
    try:
        voice = receiver.script("/voice", body="<Response><Say>Hi</Say></Response>")
        status = receiver.script("/status")
        sms = receiver.script("/sms", body="<Response/>")
        receiver.script("/broken", status=500, content_type="text/plain", body="boom")
        fallback = receiver.script("/fallback", body="<Response><Say>Sorry</Say></Response>")
        app = http.post(
            f"{ROOT}/{sub['sid']}/Applications.json",
            data={
                "FriendlyName": "tools",
                "VoiceUrl": voice,
                "VoiceFallbackUrl": fallback,
                "StatusCallback": status,
                "SmsUrl": sms,
            },
        ).json()
        number = random_number()
        made = http.post(
            f"{ROOT}/{sub['sid']}/IncomingPhoneNumbers.json",
            data={
                "PhoneNumber": number,
                "VoiceApplicationSid": app["sid"],
                "SmsApplicationSid": app["sid"],
            },
        )
        assert made.status_code == 201, made.text
        yield Tenant(sub["sid"], sub["auth_token"], http, receiver, number)
    finally:
        http.close()
        receiver.close()


def app_sid(t: Tenant) -> str:
    resp = t.http.get(f"{ROOT}/{t.sid}/Applications.json")
    sid: str = resp.json()["applications"][0]["sid"]
    return sid


def sids(page: dict[str, Any]) -> list[str]:
    return [r["sid"] for r in page["requests"]]


# Filters


def test_each_filter_and_their_combination(tenant: Tenant) -> None:
    t = tenant
    ok_call = t.call()  # voice_url 200, status_callback
    t.update_app(app_sid(t), VoiceUrl=t.receiver.url("/broken"))
    failed_call = t.call()  # voice_url 500 (11200), fallback, status_callback
    message = t.message()  # sms_url
    everything = t.log()["requests"]
    assert len(everything) == 6

    def only(**query: str) -> list[str]:
        got = t.log(**query)["requests"]
        return [f"{r['purpose']}:{r.get('call_sid') or r.get('message_sid')}" for r in got]

    ok, bad, sm = ok_call["call_sid"], failed_call["call_sid"], message["message_sid"]
    assert only(CallSid=ok) == [f"status_callback:{ok}", f"voice_url:{ok}"]
    assert only(MessageSid=sm) == [f"sms_url:{sm}"]
    assert only(Purpose="voice_url") == [f"voice_url:{bad}", f"voice_url:{ok}"]
    assert only(Purpose="voice") == []  # exact, not a part
    assert only(Url="/broken") == [f"voice_url:{bad}"]
    assert only(Url="/BROKEN") == []  # case-sensitive, on either database
    assert only(Outcome="failed") == [f"voice_url:{bad}"]
    assert len(only(Outcome="ok")) == 5
    assert only(ErrorCode="11200") == [f"voice_url:{bad}"]
    assert only(ErrorCode="1120") == []  # the whole code
    assert only(CallSid=bad, Outcome="ok") == [
        f"status_callback:{bad}",
        f"voice_fallback_url:{bad}",
    ]
    assert only(CallSid=bad, Purpose="status_callback", Url=t.receiver.base_url) == [
        f"status_callback:{bad}"
    ]
    # An empty value is no filter.
    assert t.log(Purpose="", Url="", CallSid="")["requests"] == everything


def test_url_filter_takes_like_wildcards_and_json_escapes_literally(tenant: Tenant) -> None:
    t = tenant
    odd = t.receiver.script("/odd%25_x")  # a literal %25 and _ in the path
    t.update_app(app_sid(t), VoiceUrl=odd)
    t.call()
    t.update_app(app_sid(t), VoiceUrl=t.receiver.url("/oddA5Bx"))
    t.call()
    assert [r["url"] for r in t.log(Url="%25_")["requests"]] == [odd]
    # What JSON escapes (a quote, a backslash) never is in a URL, and matches nothing.
    assert t.log(Url='"')["requests"] == t.log(Url="\\")["requests"] == []
    assert t.log(Url="%")["requests"][0]["url"] == odd
    assert len(t.log(Url="odd")["requests"]) == 2


def test_filtered_pages_are_full_and_their_uris_keep_the_filters(tenant: Tenant) -> None:
    t = tenant
    calls = [t.call()["call_sid"] for _ in range(5)]  # 10 requests: 5 voice_url, 5 callbacks
    wanted = [r["sid"] for r in t.log(Purpose="voice_url")["requests"]]
    assert len(wanted) == 5

    page = t.log(Purpose="voice_url", PageSize=2)
    assert "Purpose=voice_url" in page["next_page_uri"]
    assert "Purpose=voice_url" in page["first_page_uri"]
    seen, pages = sids(page), [page]
    while page["next_page_uri"]:
        page = t.http.get(page["next_page_uri"]).json()
        assert len(page["requests"]) in (1, 2)
        assert all(r["purpose"] == "voice_url" for r in page["requests"])
        seen += sids(page)
        pages.append(page)
    assert seen == wanted
    assert [len(p["requests"]) for p in pages] == [2, 2, 1]
    # And back again, towards newer requests, with the filter still applied.
    back = t.http.get(pages[-1]["previous_page_uri"]).json()
    assert sids(back) == wanted[2:4]
    assert "Purpose=voice_url" in back["previous_page_uri"]
    back = t.http.get(back["previous_page_uri"]).json()
    assert sids(back) == wanted[0:2]
    assert back["previous_page_uri"] is None
    # Newest first: the last call's request leads.
    assert t.log(Purpose="voice_url", PageSize=1)["requests"][0]["call_sid"] == calls[-1]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CallSid", "CA123"),
        ("CallSid", "SM" + "0" * 32),
        ("MessageSid", "CA" + "0" * 32),
        ("Purpose", "Voice URL"),
        ("Purpose", "x" * 65),
        ("Outcome", "maybe"),
        ("ErrorCode", "11200x"),
        ("ErrorCode", "-1"),
        ("Url", "x" * 4097),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(tenant: Tenant, name: str, value: str) -> None:
    resp = tenant.http.get(f"{EXT}/{tenant.sid}/Requests", params={name: value})
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert list(body) == ["code", "message", "more_info", "status"]
    assert body["code"] == 20001 and name in body["message"]


def test_call_and_message_filters_are_exclusive(tenant: Tenant) -> None:
    params = {"CallSid": "CA" + "0" * 32, "MessageSid": "SM" + "0" * 32}
    resp = tenant.http.get(f"{EXT}/{tenant.sid}/Requests", params=params)
    assert resp.status_code == 400 and resp.json()["code"] == 20001


# One request


def test_fetch_one_request_as_the_list_shows_it(tenant: Tenant) -> None:
    t = tenant
    t.call()
    listed = t.log()["requests"]
    for item in listed:
        resp = t.http.get(f"{EXT}/{t.sid}/Requests/{item['sid']}")
        assert resp.status_code == 200, resp.text
        assert resp.json() == item
    for sid in ("RQ" + "0" * 32, "RQ123", "CA" + "0" * 32):
        resp = t.http.get(f"{EXT}/{t.sid}/Requests/{sid}")
        assert resp.status_code == 404 and resp.json()["code"] == 20404


# Replay


def replay(t: Tenant, sid: str) -> dict[str, Any]:
    resp = t.http.post(f"{EXT}/{t.sid}/Requests/{sid}/Replay")
    assert resp.status_code == 201, resp.text
    item: dict[str, Any] = resp.json()
    return item


def test_replay_sends_the_same_request_signed_and_logs_it(tenant: Tenant) -> None:
    t = tenant
    trace = t.call()
    [original] = t.log(Purpose="voice_url")["requests"]
    [first] = t.receiver.wait_for("/voice")

    item = replay(t, original["sid"])
    got = t.receiver.wait_for("/voice", 2)
    assert len(got) == 2
    again = got[1]
    assert again.signature_valid
    assert (again.method, again.url, again.form) == (first.method, first.url, first.form)
    assert again.header("X-Twilio-Signature") == first.header("X-Twilio-Signature")
    assert again.header("I-Twilio-Idempotency-Token") != first.header("I-Twilio-Idempotency-Token")
    assert again.header("User-Agent") == first.header("User-Agent")

    assert item["sid"] != original["sid"] and item["sid"].startswith("RQ")
    assert item["replay_of"] == original["sid"]
    assert item["call_sid"] == trace["call_sid"]
    assert (item["purpose"], item["method"], item["url"]) == ("voice_url", "POST", original["url"])
    assert item["params"] == original["params"]
    assert item["status_code"] == 200 and item["error_code"] is None
    assert item["response_body"] == "<Response><Say>Hi</Say></Response>"
    # Logged: newest first, beside the original, which is unchanged.
    log = t.log()["requests"]
    assert log[0] == item
    assert original in log
    assert t.http.get(f"{EXT}/{t.sid}/Requests/{item['sid']}").json() == item


def test_replay_of_a_get_request_requests_the_same_url(tenant: Tenant) -> None:
    t = tenant
    t.update_app(app_sid(t), VoiceMethod="GET")
    t.call(FromCity="Paris & Co")
    [original] = t.log(Purpose="voice_url")["requests"]
    assert original["method"] == "GET" and "?" in original["url"]
    item = replay(t, original["sid"])
    first, again = t.receiver.wait_for("/voice", 2)
    assert again.method == "GET" and again.url == first.url  # the query not doubled
    assert again.query["FromCity"] == "Paris & Co"
    assert again.signature_valid
    assert item["url"] == original["url"] and item["params"] == original["params"]


def test_replay_of_a_fallback_keeps_its_error_parameters(tenant: Tenant) -> None:
    t = tenant
    t.update_app(app_sid(t), VoiceUrl=t.receiver.url("/broken"))
    t.call()
    [fallback] = t.log(Purpose="voice_fallback_url")["requests"]
    assert fallback["params"]["ErrorCode"] == "11200"
    item = replay(t, fallback["sid"])
    again = t.receiver.wait_for("/fallback", 2)[1]
    assert again.form["ErrorCode"] == "11200"
    assert again.form["ErrorUrl"] == t.receiver.url("/broken")
    assert again.signature_valid and item["purpose"] == "voice_fallback_url"
    # A failed request replayed fails again, and is logged as such (still a 201).
    [broken] = t.log(Purpose="voice_url")["requests"]
    failed = replay(t, broken["sid"])
    assert failed["status_code"] == 500 and failed["error_code"] == 11200


def test_replay_signs_with_the_token_the_account_has_now(
    tenant: Tenant, module_server: Server
) -> None:
    t = tenant
    t.call()
    [original] = t.log(Purpose="voice_url")["requests"]
    out = run_cli(
        "accounts", "rotate-token", t.sid, "--json", database_url=module_server.database_url
    )
    token = json.loads(out.stdout)["auth_token"]
    with module_server.http(t.sid, token) as http:
        # The server trusts what it read for up to half a second: try until a deadline, not a
        # number of times (50 refusals can all fit inside that half second).
        deadline = time.monotonic() + 2.0
        while True:
            resp = http.post(f"{EXT}/{t.sid}/Requests/{original['sid']}/Replay")
            if resp.status_code != 401 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert resp.status_code == 201, resp.text
    renewed = Receiver(token)
    try:
        again = t.receiver.wait_for("/voice", 2)[1]
        assert not again.signature_valid  # not the old token's signature any more
        assert renewed.validator.validate(
            again.url, again.form, again.header("X-Twilio-Signature") or ""
        )
    finally:
        renewed.close()


def test_replay_goes_through_the_webhook_target_policy(database_url: str, tmp_path: Any) -> None:
    srv = Server(database_url, tmp_path)
    srv.start()
    rcv = Receiver(srv.auth_token)
    try:
        client = srv.client()
        app = client.applications.create(friendly_name="p", voice_url=rcv.script("/voice"))
        number = random_number()
        client.incoming_phone_numbers.create(phone_number=number, voice_application_sid=app.sid)
        base = f"{EXT}/{srv.account_sid}"
        with srv.http() as http:
            assert http.post(f"{base}/InboundCalls", data={"To": number, "From": CALLER})
            [original] = http.get(f"{base}/Requests").json()["requests"]
        assert len(rcv.wait_for("/voice")) == 1
        srv.extra_args = ("--webhook-deny-private",)
        srv.restart()
        with srv.http() as http:
            resp = http.post(f"{base}/Requests/{original['sid']}/Replay")
            assert resp.status_code == 201, resp.text
            item = resp.json()
            assert item["error_code"] == 11200 and "private" in item["error_message"]
            assert item["status_code"] is None and item["replay_of"] == original["sid"]
            assert http.get(f"{base}/Requests").json()["requests"][0] == item
        assert len(rcv.requests("/voice")) == 1  # nothing was sent
    finally:
        rcv.close()
        srv.stop()


def test_replay_of_unknown_or_foreign_requests_is_404(
    tenant: Tenant, module_server: Server
) -> None:
    t = tenant
    t.call()
    [mine] = t.log(Purpose="voice_url")["requests"]
    with module_server.http() as parent:
        # The parent reaches the subaccount's log only through the subaccount's path.
        own = f"{EXT}/{module_server.account_sid}/Requests/{mine['sid']}"
        assert parent.post(f"{own}/Replay").status_code == 404
        assert parent.get(own).status_code == 404
        resp = parent.post(f"{EXT}/{t.sid}/Requests/{mine['sid']}/Replay")
        assert resp.status_code == 201
    assert len(t.receiver.requests("/voice")) == 2
    resp = t.http.post(f"{EXT}/{t.sid}/Requests/RQ{'0' * 32}/Replay")
    assert resp.status_code == 404 and resp.json()["code"] == 20404
    resp = t.http.get(f"{EXT}/{t.sid}/Requests/{mine['sid']}/Replay")
    assert resp.status_code == 405 and resp.headers["allow"] == "POST"
