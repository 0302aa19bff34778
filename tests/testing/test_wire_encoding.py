"""`switchboard.testing.wire`: an SDK request becomes the ASGI call `requests` would have made
over HTTP (the same bytes: None left out, lists repeated, Basic auth), in-process."""

from __future__ import annotations

import base64

import orjson
import requests

from switchboard.testing.wire import Answer, encode


def test_form_like_requests_none_dropped_lists_repeated() -> None:
    call = encode(
        "post",
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json",
        data={"To": "+15005550006", "Url": None, "StatusCallbackEvent": ["initiated", "ringing"]},
    )
    prepared = requests.Request(
        "POST",
        "https://api.twilio.com/x",
        data={"To": "+15005550006", "Url": None, "StatusCallbackEvent": ["initiated", "ringing"]},
    ).prepare()
    assert call.method == "POST"
    assert call.body == prepared.body.encode()
    assert call.body == (
        b"To=%2B15005550006&StatusCallbackEvent=initiated&StatusCallbackEvent=ringing"
    )
    headers = dict(call.headers)
    assert headers[b"content-type"] == b"application/x-www-form-urlencoded"
    assert headers[b"content-length"] == str(len(call.body)).encode()


def test_query_params_join_a_query_already_in_the_url() -> None:
    call = encode(
        "GET",
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Applications.json?PageSize=2&Page=1",
        params={"FriendlyName": "a b", "Skip": None},
    )
    scope = call.scope()
    assert scope["path"] == "/2010-04-01/Accounts/AC1/Applications.json"
    assert scope["query_string"] == b"PageSize=2&Page=1&FriendlyName=a+b"
    assert call.body == b""
    assert b"content-length" not in dict(call.headers)


def test_basic_auth_host_and_the_sdks_own_headers() -> None:
    call = encode(
        "GET",
        "https://api.twilio.com/2010-04-01/Accounts.json",
        headers={"User-Agent": "twilio-python/9", "Accept": "application/json"},
        auth=("AC123", "tok:en"),
    )
    headers = dict(call.headers)
    assert headers[b"authorization"] == b"Basic " + base64.b64encode(b"AC123:tok:en")
    assert headers[b"host"] == b"api.twilio.com"
    assert headers[b"user-agent"] == b"twilio-python/9"
    assert headers[b"accept"] == b"application/json"
    scope = call.scope()
    assert scope["scheme"] == "https"
    assert scope["server"] == ("api.twilio.com", 443)


def test_json_bodies_for_json_content_types() -> None:
    call = encode(
        "POST",
        "https://x.twilio.com/v1/Things",
        data={"a": [1, 2]},
        headers={"Content-Type": "application/json"},
    )
    assert orjson.loads(call.body) == {"a": [1, 2]}
    assert dict(call.headers)[b"content-type"] == b"application/json"


def test_paths_are_quoted_as_requests_requotes_them() -> None:
    scope = encode("GET", "http://h/2010-04-01/Accounts/AC1/Applications/AP x%2F.json").scope()
    assert scope["raw_path"] == b"/2010-04-01/Accounts/AC1/Applications/AP%20x%2F.json"
    assert scope["path"] == "/2010-04-01/Accounts/AC1/Applications/AP x/.json"
    assert scope["server"] == ("h", 80)


def test_a_post_without_data_still_says_its_length() -> None:
    headers = dict(encode("POST", "http://h/reset").headers)
    assert headers[b"content-length"] == b"0"
    assert b"authorization" not in headers


def test_answer_text_and_json() -> None:
    answer = Answer(201, {"content-type": "application/json"}, b'{"sid": "AP1"}')
    assert answer.json() == {"sid": "AP1"}
    assert answer.text == '{"sid": "AP1"}'
