"""`POST /switchboard/v1/Accounts/{AC}/SignatureCheck` over raw HTTP: whether an
`X-Twilio-Signature` is valid for the account's auth token, judged as twilio's own
`RequestValidator` judges it (the URL as given, without its port, with its default port), for a
real webhook a real receiver got and for signatures twilio-python computes. The answer is valid or
not with a hint, never the expected signature. Missing or bad input is a Twilio-style 400.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from conftest import Server, random_number
from receiver import Receiver
from twilio.request_validator import RequestValidator

EXT = "/switchboard/v1/Accounts"
ROOT = "/2010-04-01/Accounts"


@pytest.fixture(scope="module")
def sub(module_server: Server) -> dict[str, str]:
    with module_server.http() as main:
        resp = main.post(f"{ROOT}.json", data={"FriendlyName": "signature checks"})
        assert resp.status_code == 201, resp.text
        made: dict[str, str] = resp.json()
        return made


@pytest.fixture
def http(module_server: Server) -> Iterator[httpx.Client]:
    with module_server.http() as client:
        yield client


def check(http: httpx.Client, account_sid: str, **form: str) -> dict[str, Any]:
    resp = http.post(f"{EXT}/{account_sid}/SignatureCheck", data=form)
    assert resp.status_code == 200, resp.text
    answer: dict[str, Any] = resp.json()
    assert set(answer) == {"account_sid", "valid", "url", "hint"}
    assert answer["account_sid"] == account_sid
    return answer


def test_a_real_webhook_checks_valid(module_server: Server, http: httpx.Client) -> None:
    srv = module_server
    rcv = Receiver(srv.auth_token)
    try:
        client = srv.client()
        app = client.applications.create(friendly_name="sig", voice_url=rcv.script("/v?x=1"))
        number = random_number()
        client.incoming_phone_numbers.create(phone_number=number, voice_application_sid=app.sid)
        resp = http.post(
            f"{EXT}/{srv.account_sid}/InboundCalls",
            data={"To": number, "From": "+14155550100", "CallerName": "A & B=c"},
        )
        assert resp.status_code == 201, resp.text
        [got] = rcv.wait_for("/v")
    finally:
        rcv.close()
    signature = got.header("X-Twilio-Signature") or ""
    assert got.signature_valid
    answer = check(http, srv.account_sid, Url=got.url, Params=got.body, Signature=signature)
    assert answer == {
        "account_sid": srv.account_sid,
        "valid": True,
        "url": got.url,
        "hint": None,
    }
    # One parameter changed, one left out, the URL changed: not valid.
    changed = got.body.replace("ringing", "completed")
    for url, body in (
        (got.url, changed),
        (got.url, got.body.rsplit("&", 1)[0]),
        (got.url.replace("x=1", "x=2"), got.body),
    ):
        answer = check(http, srv.account_sid, Url=url, Params=body, Signature=signature)
        assert answer["valid"] is False and answer["url"] is None
        assert "Not signed with this account's auth token" in answer["hint"]


@pytest.mark.parametrize(
    ("signed", "given"),
    [
        ("https://example.com:443/hook?a=1", "https://example.com/hook?a=1"),
        ("https://example.com/hook?a=1", "https://example.com:443/hook?a=1"),
        ("http://user@example.com:80/hook", "http://user@example.com/hook"),
        ("http://[::1]/hook", "http://[::1]:80/hook"),
    ],
)
def test_the_url_is_tried_with_and_without_its_port(
    module_server: Server, http: httpx.Client, signed: str, given: str
) -> None:
    params = {"b": "2", "a": "1 & 2", "Empty": ""}
    signature = RequestValidator(module_server.auth_token).compute_signature(signed, params)
    answer = check(
        http, module_server.account_sid, Url=given, Params=urlencode(params), Signature=signature
    )
    assert (answer["valid"], answer["url"]) == (True, signed)


def test_a_get_signature_checked_with_parameters_gets_a_hint(
    module_server: Server, http: httpx.Client
) -> None:
    url = "https://example.com/hook?CallSid=CA1&From=%2B1415"
    signature = RequestValidator(module_server.auth_token).compute_signature(url, {})
    assert check(http, module_server.account_sid, Url=url, Signature=signature)["valid"]
    answer = check(
        http, module_server.account_sid, Url=url, Params="CallSid=CA1", Signature=signature
    )
    assert answer["valid"] is False
    assert "signature of the URL alone" in answer["hint"]


def test_each_account_is_checked_with_its_own_token(
    module_server: Server, http: httpx.Client, sub: dict[str, str]
) -> None:
    url, params = "https://example.com/sms", {"Body": "hi"}
    by_sub = RequestValidator(sub["auth_token"]).compute_signature(url, params)
    form = {"Url": url, "Params": "Body=hi", "Signature": by_sub}
    assert check(http, sub["sid"], **form)["valid"] is True  # the parent, on the sub's path
    assert check(http, module_server.account_sid, **form)["valid"] is False
    with module_server.http(sub["sid"], sub["auth_token"]) as as_sub:
        assert check(as_sub, sub["sid"], **form)["valid"] is True
        refused = as_sub.post(f"{EXT}/{module_server.account_sid}/SignatureCheck", data=form)
        assert refused.status_code == 401 and refused.json()["code"] == 20003


def test_an_api_key_session_can_check_but_never_learns_the_signature(
    module_server: Server,
) -> None:
    key = module_server.client().new_keys.create(friendly_name="checker")
    url = "https://example.com/voice"
    expected = RequestValidator(module_server.auth_token).compute_signature(url, {"A": "1"})
    with module_server.http(key.sid, key.secret) as as_key:
        resp = as_key.post(
            f"{EXT}/{module_server.account_sid}/SignatureCheck",
            data={"Url": url, "Params": "A=2", "Signature": "bm90IGl0"},
        )
    assert resp.status_code == 200 and resp.json()["valid"] is False
    assert expected not in resp.text
    assert RequestValidator(module_server.auth_token).compute_signature(url, {"A": "2"}) not in (
        resp.text
    )


@pytest.mark.parametrize(
    ("form", "code", "words"),
    [
        ({"Signature": "x"}, 20001, "Url is required"),
        ({"Url": "https://example.com/"}, 20001, "Signature is required"),
        ({"Url": "not a url", "Signature": "x"}, 21402, "Url is not a valid URL"),
        ({"Url": "ftp://example.com/", "Signature": "x"}, 21402, "Url is not a valid URL"),
        (
            {"Url": "https://example.com/", "Signature": "x", "Params": "a=1&a=2"},
            20001,
            "names 'a' twice",
        ),
    ],
)
def test_bad_input_is_a_twilio_style_400(
    module_server: Server, http: httpx.Client, form: dict[str, str], code: int, words: str
) -> None:
    resp = http.post(f"{EXT}/{module_server.account_sid}/SignatureCheck", data=form)
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert list(body) == ["code", "message", "more_info", "status"]
    assert body["code"] == code and words in body["message"]
    assert http.get(f"{EXT}/{module_server.account_sid}/SignatureCheck").status_code == 405
