"""IncomingPhoneNumbers: create, list and filters, update, application links, moves, delete, XML.

Raw HTTP and the official SDK. Most tests share one module-scoped server and work in a fresh
subaccount of their own; the tests that need the exact number +18089255327 get a server each.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PAGE_KEYS, SPEC_SUBSET, Creds, Server, random_number
from errors import assert_error, assert_sdk_error

ROOT = "/2010-04-01/Accounts"
ENVELOPE_KEYS = {*PAGE_KEYS, "incoming_phone_numbers"}
PN_RE = re.compile(r"^PN[0-9a-f]{32}$")
DATE_RE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000$"
)
NUMBER = "+18089255327"
UNKNOWN_AP = "AP" + "0123456789abcdef" * 2
TRUNK = "TK" + "abcdef0123456789" * 2
SPEC = json.loads(Path(SPEC_SUBSET).read_text())
SCHEMA_PROPERTIES: list[str] = list(
    SPEC["components"]["schemas"]["api.v2010.account.incoming_phone_number"]["properties"]
)
METHOD_KEYS = (
    "sms_fallback_method",
    "sms_method",
    "status_callback_method",
    "voice_fallback_method",
    "voice_method",
)


# Fixtures and helpers


@pytest.fixture
def acct(module_server: Server) -> Creds:
    """A fresh subaccount of the main account for this test alone."""
    return module_server.subaccount(friendly_name="Numbers test")


def numbers_path(account_sid: str, tail: str = "", suffix: str = ".json") -> str:
    return f"{ROOT}/{account_sid}/IncomingPhoneNumbers{tail}{suffix}"


def number_path(account_sid: str, sid: str, suffix: str = ".json") -> str:
    return numbers_path(account_sid, f"/{sid}", suffix)


def apps_path(account_sid: str, sid: str | None = None) -> str:
    base = f"{ROOT}/{account_sid}/Applications"
    return f"{base}.json" if sid is None else f"{base}/{sid}.json"


def create(h: httpx.Client, account_sid: str, tail: str = "", **form: str) -> dict[str, Any]:
    resp = h.post(numbers_path(account_sid, tail), data=form)
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def fetch(h: httpx.Client, account_sid: str, sid: str) -> dict[str, Any]:
    resp = h.get(number_path(account_sid, sid))
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def create_app(h: httpx.Client, account_sid: str, name: str = "App") -> str:
    resp = h.post(apps_path(account_sid), data={"FriendlyName": name})
    assert resp.status_code == 201, resp.text
    sid: str = resp.json()["sid"]
    return sid


def listed(h: httpx.Client, account_sid: str, tail: str = "", **params: str) -> list[str]:
    resp = h.get(numbers_path(account_sid, tail), params={"PageSize": "1000", **params})
    assert resp.status_code == 200, resp.text
    return [n["phone_number"] for n in resp.json()["incoming_phone_numbers"]]


def assert_default_number(body: dict[str, Any], account_sid: str, phone_number: str) -> None:
    assert PN_RE.match(body["sid"])
    assert body["account_sid"] == account_sid
    assert body["phone_number"] == phone_number
    assert body["api_version"] == "2010-04-01"
    for key in METHOD_KEYS:
        assert body[key] == "POST", key
    assert body["capabilities"] == {"voice": True, "sms": True, "mms": True, "fax": True}
    assert body["sms_url"] == ""
    assert body["sms_fallback_url"] == ""
    assert body["status_callback"] == ""
    for key in (
        "voice_url",
        "voice_fallback_url",
        "trunk_sid",
        "voice_application_sid",
        "sms_application_sid",
    ):
        assert body[key] is None, key
    assert body["voice_caller_id_lookup"] is False
    assert body["origin"] == "twilio"
    assert body["status"] == "in-use"
    assert body["beta"] is False
    assert body["emergency_status"] == "Inactive"
    assert body["address_requirements"] == "none"
    assert body["voice_receive_mode"] == "voice"
    assert DATE_RE.match(body["date_created"])
    assert DATE_RE.match(body["date_updated"])
    assert (
        body["uri"] == f"/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{body['sid']}.json"
    )


# Create


def test_spec_lists_35_properties() -> None:
    assert len(SCHEMA_PROPERTIES) == 35


def test_create_by_phone_number_http(server: Server) -> None:
    with server.http() as h:
        resp = h.post(numbers_path(server.account_sid), data={"PhoneNumber": NUMBER})
    assert resp.status_code == 201, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    missing = [p for p in SCHEMA_PROPERTIES if p not in body]
    assert missing == []
    assert_default_number(body, server.account_sid, NUMBER)
    assert body["friendly_name"] == "(808) 925-5327"
    assert body["type"] == "local"
    assert body["uri"].endswith(f"/IncomingPhoneNumbers/{body['sid']}.json")
    with server.http() as h:
        assert fetch(h, server.account_sid, body["sid"]) == body


def test_create_by_phone_number_sdk(server: Server) -> None:
    c = server.client()
    number = c.incoming_phone_numbers.create(phone_number=NUMBER)
    assert number.sid is not None and PN_RE.match(number.sid)
    assert number.account_sid == server.account_sid
    assert number.phone_number == NUMBER
    assert number.friendly_name == "(808) 925-5327"
    assert number.capabilities == {"voice": True, "sms": True, "mms": True, "fax": True}
    assert number.voice_method == "POST"
    assert number.sms_method == "POST"
    assert number.sms_url == ""
    assert number.voice_url is None
    assert number.voice_application_sid is None
    assert number.origin == "twilio"
    assert number.status == "in-use"
    assert number.beta is False
    assert number.emergency_status == "Inactive"
    assert number.address_requirements == "none"
    assert number.voice_receive_mode == "voice"
    assert (
        number.uri
        == f"/2010-04-01/Accounts/{server.account_sid}/IncomingPhoneNumbers/{number.sid}.json"
    )
    fetched = c.incoming_phone_numbers(number.sid).fetch()
    assert fetched.phone_number == NUMBER
    assert fetched.date_created == number.date_created


def test_create_with_settings(module_server: Server, acct: Creds) -> None:
    form = {
        "PhoneNumber": random_number(),
        "FriendlyName": "Support line",
        "VoiceUrl": "https://example.com/voice",
        "VoiceMethod": "GET",
        "SmsUrl": "https://example.com/sms",
        "SmsMethod": "GET",
        "StatusCallback": "https://example.com/status",
        "VoiceCallerIdLookup": "true",
    }
    with module_server.http_as(acct) as h:
        body = create(h, acct.sid, **form)
    assert body["friendly_name"] == "Support line"
    assert body["voice_url"] == "https://example.com/voice"
    assert body["voice_method"] == "GET"
    assert body["sms_url"] == "https://example.com/sms"
    assert body["sms_method"] == "GET"
    assert body["status_callback"] == "https://example.com/status"
    assert body["voice_caller_id_lookup"] is True
    assert body["voice_fallback_method"] == "POST"


def test_create_by_area_code(module_server: Server, acct: Creds) -> None:
    pattern = re.compile(r"^\+1415[2-9]\d{6}$")
    with module_server.http_as(acct) as h:
        first = create(h, acct.sid, AreaCode="415")
        second = create(h, acct.sid, AreaCode="415")
    for body in (first, second):
        assert pattern.match(body["phone_number"]), body["phone_number"]
        assert body["type"] == "local"
        digits = body["phone_number"]
        assert body["friendly_name"] == f"({digits[2:5]}) {digits[5:8]}-{digits[8:]}"
        assert_default_number(body, acct.sid, digits)
    assert first["phone_number"] != second["phone_number"]
    assert first["sid"] != second["sid"]
    sdk = module_server.client_as(acct).incoming_phone_numbers.create(area_code="415")
    assert sdk.phone_number is not None and pattern.match(sdk.phone_number)
    assert sdk.phone_number not in (first["phone_number"], second["phone_number"])


def test_create_needs_phone_number_or_area_code(module_server: Server, acct: Creds) -> None:
    with module_server.http_as(acct) as h:
        assert_error(h.post(numbers_path(acct.sid)), 400, 20001)
        assert_error(h.post(numbers_path(acct.sid), data={"FriendlyName": "x"}), 400, 20001)
        assert_error(h.post(numbers_path(acct.sid, "/Local"), data={}), 400, 20001)
        assert listed(h, acct.sid) == []
    c = module_server.client_as(acct)
    assert_sdk_error(lambda: c.incoming_phone_numbers.create(), 400, 20001)


@pytest.mark.parametrize("tail", ["/Local", "/TollFree", "/Mobile"])
def test_typed_create_requires_phone_number(module_server: Server, acct: Creds, tail: str) -> None:
    with module_server.http_as(acct) as h:
        assert_error(h.post(numbers_path(acct.sid, tail)), 400, 20001)
        assert_error(h.post(numbers_path(acct.sid, tail), data={"AreaCode": "415"}), 400, 20001)
        assert listed(h, acct.sid) == []


@pytest.mark.parametrize("bad", ["12345", "+0123", "abc"])
def test_malformed_phone_number(module_server: Server, acct: Creds, bad: str) -> None:
    with module_server.http_as(acct) as h:
        assert_error(h.post(numbers_path(acct.sid), data={"PhoneNumber": bad}), 400, 21421)
        assert_error(
            h.post(numbers_path(acct.sid, "/Local"), data={"PhoneNumber": bad}), 400, 21421
        )
        assert listed(h, acct.sid) == []


@pytest.mark.parametrize("bad", ["12", "abc", "099", "4155"])
def test_bad_area_code(module_server: Server, acct: Creds, bad: str) -> None:
    with module_server.http_as(acct) as h:
        assert_error(h.post(numbers_path(acct.sid), data={"AreaCode": bad}), 400, 21451)
        assert listed(h, acct.sid) == []


def test_number_already_held_by_any_account(module_server: Server, acct: Creds) -> None:
    number = random_number()
    other_top = module_server.top_level("Other top-level")
    sibling = module_server.subaccount(friendly_name="Numbers test")
    with module_server.http_as(acct) as h:
        held = create(h, acct.sid, PhoneNumber=number)
        assert_error(h.post(numbers_path(acct.sid), data={"PhoneNumber": number}), 400, 21422)
        assert_error(
            h.post(numbers_path(acct.sid, "/Local"), data={"PhoneNumber": number}), 400, 21422
        )
    for creds in (other_top, sibling, Creds(module_server.account_sid, module_server.auth_token)):
        with module_server.http_as(creds) as h:
            assert_error(h.post(numbers_path(creds.sid), data={"PhoneNumber": number}), 400, 21422)
            assert listed(h, creds.sid, PhoneNumber=number) == []
    c = module_server.client_as(other_top)
    assert_sdk_error(lambda: c.incoming_phone_numbers.create(phone_number=number), 400, 21422)
    with module_server.http_as(acct) as h:
        assert fetch(h, acct.sid, held["sid"])["account_sid"] == acct.sid
        assert listed(h, acct.sid) == [number]


def test_number_types(module_server: Server, acct: Creds) -> None:
    toll_free = random_number("800")
    mobile = random_number()
    local = random_number()
    explicit_toll_free = random_number("888")
    with module_server.http_as(acct) as h:
        assert create(h, acct.sid, PhoneNumber=toll_free)["type"] == "tollfree"
        assert create(h, acct.sid, "/Mobile", PhoneNumber=mobile)["type"] == "mobile"
        local_body = create(h, acct.sid, "/Local", PhoneNumber=local)
        assert local_body["type"] == "local"
        assert local_body["uri"] == number_path(acct.sid, local_body["sid"])
        made = create(h, acct.sid, "/TollFree", PhoneNumber=explicit_toll_free)
        assert made["type"] == "tollfree"
        assert made["friendly_name"] == (
            f"(888) {explicit_toll_free[5:8]}-{explicit_toll_free[8:]}"
        )


def test_typed_create_sdk(module_server: Server, acct: Creds) -> None:
    c = module_server.client_as(acct)
    local = c.incoming_phone_numbers.local.create(phone_number=random_number())
    toll_free = c.incoming_phone_numbers.toll_free.create(phone_number=random_number("877"))
    mobile = c.incoming_phone_numbers.mobile.create(phone_number=random_number())
    # The typed instances carry no `type` attribute in the SDK: fetch it from the main resource.
    types = {local.sid: "local", toll_free.sid: "tollfree", mobile.sid: "mobile"}
    for sid, expected in types.items():
        assert c.incoming_phone_numbers(sid).fetch().type == expected
    assert local.account_sid == toll_free.account_sid == mobile.account_sid == acct.sid
    assert toll_free.capabilities == {"voice": True, "sms": True, "mms": True, "fax": True}
    assert_sdk_error(
        lambda: c.incoming_phone_numbers.local.create(phone_number="12345"), 400, 21421
    )


# List


def test_list_envelope_and_filters(server: Server) -> None:
    other = random_number("212")
    with server.http() as h:
        mine = create(h, server.account_sid, PhoneNumber=NUMBER)
        create(h, server.account_sid, PhoneNumber=other, FriendlyName="Other line")
        resp = h.get(numbers_path(server.account_sid))
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert set(body) == ENVELOPE_KEYS
        assert {n["phone_number"] for n in body["incoming_phone_numbers"]} == {NUMBER, other}
        assert body["page"] == 0
        assert body["page_size"] == 50
        assert body["next_page_uri"] is None
        assert body["uri"].startswith(numbers_path(server.account_sid) + "?")

        def only(**params: str) -> list[str]:
            return listed(h, server.account_sid, **params)

        assert only(PhoneNumber="925") == [NUMBER]
        assert only(PhoneNumber="9255327") == [NUMBER]
        assert only(PhoneNumber=NUMBER) == [NUMBER]
        assert only(PhoneNumber="808*255") == [NUMBER]
        assert only(PhoneNumber="808*2") == [NUMBER]  # * is one digit: 808, 9, 2
        assert only(PhoneNumber="808*9") == []  # ... so 808*9 does not match 8089
        assert only(PhoneNumber="8*8*2*5") == [NUMBER]
        assert only(PhoneNumber="999999") == []
        assert only(FriendlyName="(808) 925-5327") == [NUMBER]
        assert only(FriendlyName="(808) 925") == []
        assert only(FriendlyName="Other line") == [other]
        assert sorted(only(Origin="twilio")) == sorted([NUMBER, other])
        assert only(Origin="hosted") == []
        assert sorted(only(Beta="true")) == sorted([NUMBER, other])
        assert sorted(only(Beta="false")) == sorted([NUMBER, other])
        assert only(PhoneNumber="925", FriendlyName="(808) 925-5327", Origin="twilio") == [NUMBER]
        assert_error(h.get(numbers_path(server.account_sid), params={"Beta": "maybe"}), 400, 20001)
        filtered = h.get(numbers_path(server.account_sid), params={"PhoneNumber": "925"}).json()
        assert [n["sid"] for n in filtered["incoming_phone_numbers"]] == [mine["sid"]]
        assert "PhoneNumber=925" in filtered["uri"]
    c = server.client()
    assert [n.phone_number for n in c.incoming_phone_numbers.list(phone_number="925")] == [NUMBER]
    assert [n.phone_number for n in c.incoming_phone_numbers.list(phone_number="808*255")] == [
        NUMBER
    ]
    assert [
        n.phone_number for n in c.incoming_phone_numbers.list(friendly_name="(808) 925-5327")
    ] == [NUMBER]
    assert len(c.incoming_phone_numbers.list(beta=False)) == 2
    assert len(c.incoming_phone_numbers.list(beta=True, origin="twilio")) == 2


def test_typed_lists_show_only_their_type(module_server: Server, acct: Creds) -> None:
    local = random_number()
    toll_free = random_number("855")
    mobile = random_number()
    with module_server.http_as(acct) as h:
        create(h, acct.sid, PhoneNumber=local)
        create(h, acct.sid, PhoneNumber=toll_free)
        create(h, acct.sid, "/Mobile", PhoneNumber=mobile)
        assert sorted(listed(h, acct.sid)) == sorted([local, toll_free, mobile])
        assert listed(h, acct.sid, "/Local") == [local]
        assert listed(h, acct.sid, "/TollFree") == [toll_free]
        assert listed(h, acct.sid, "/Mobile") == [mobile]
        resp = h.get(numbers_path(acct.sid, "/Local"))
        assert set(resp.json()) == ENVELOPE_KEYS
        assert resp.json()["uri"].startswith(numbers_path(acct.sid, "/Local") + "?")
    c = module_server.client_as(acct)
    assert [n.phone_number for n in c.incoming_phone_numbers.local.list()] == [local]
    assert [n.phone_number for n in c.incoming_phone_numbers.toll_free.list()] == [toll_free]
    assert [n.phone_number for n in c.incoming_phone_numbers.mobile.list()] == [mobile]


def test_list_paging(module_server: Server, acct: Creds) -> None:
    numbers = sorted(random_number() for _ in range(3))
    with module_server.http_as(acct) as h:
        for number in numbers:
            create(h, acct.sid, PhoneNumber=number)
        first = h.get(numbers_path(acct.sid), params={"PageSize": "1"}).json()
        assert len(first["incoming_phone_numbers"]) == 1
        assert first["page_size"] == 1
        assert first["next_page_uri"] is not None
        second = h.get(first["next_page_uri"]).json()
        assert len(second["incoming_phone_numbers"]) == 1
        assert second["page"] == 1
        assert (
            second["incoming_phone_numbers"][0]["sid"] != first["incoming_phone_numbers"][0]["sid"]
        )
    c = module_server.client_as(acct)
    paged = c.incoming_phone_numbers.list(page_size=1)
    assert sorted(n.phone_number for n in paged) == numbers
    assert len({n.sid for n in paged}) == 3
    assert len(c.incoming_phone_numbers.list(page_size=1, limit=2)) == 2


def test_list_is_per_account(module_server: Server, acct: Creds) -> None:
    other = module_server.subaccount(friendly_name="Numbers test")
    with module_server.http_as(acct) as h:
        number = create(h, acct.sid, AreaCode="212")["phone_number"]
    with module_server.http_as(other) as h:
        assert listed(h, other.sid) == []
        assert listed(h, other.sid, PhoneNumber=number) == []
    with module_server.http_as(acct) as h:
        assert listed(h, acct.sid) == [number]


# Update


def test_update_fields(module_server: Server, acct: Creds) -> None:
    with module_server.http_as(acct) as h:
        made = create(h, acct.sid, PhoneNumber=random_number())
        path = number_path(acct.sid, made["sid"])
        form = {
            "FriendlyName": "Renamed",
            "VoiceUrl": "https://example.com/voice",
            "VoiceMethod": "GET",
            "VoiceFallbackUrl": "https://example.com/voice-fallback",
            "VoiceFallbackMethod": "GET",
            "SmsUrl": "https://example.com/sms",
            "SmsMethod": "GET",
            "SmsFallbackUrl": "https://example.com/sms-fallback",
            "SmsFallbackMethod": "GET",
            "StatusCallback": "https://example.com/status",
            "StatusCallbackMethod": "GET",
            "VoiceCallerIdLookup": "true",
        }
        resp = h.post(path, data=form)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["friendly_name"] == "Renamed"
        assert body["voice_url"] == "https://example.com/voice"
        assert body["voice_fallback_url"] == "https://example.com/voice-fallback"
        assert body["sms_url"] == "https://example.com/sms"
        assert body["sms_fallback_url"] == "https://example.com/sms-fallback"
        assert body["status_callback"] == "https://example.com/status"
        for key in METHOD_KEYS:
            assert body[key] == "GET", key
        assert body["voice_caller_id_lookup"] is True
        assert body["phone_number"] == made["phone_number"]
        assert body["sid"] == made["sid"]
        assert body["date_created"] == made["date_created"]
        assert fetch(h, acct.sid, made["sid"]) == body
        # Only what is sent changes.
        again = h.post(path, data={"VoiceMethod": "POST"}).json()
        assert again["voice_method"] == "POST"
        assert again["voice_url"] == "https://example.com/voice"
        assert again["friendly_name"] == "Renamed"


def test_update_sdk(module_server: Server, acct: Creds) -> None:
    c = module_server.client_as(acct)
    made = c.incoming_phone_numbers.create(phone_number=random_number())
    updated = c.incoming_phone_numbers(made.sid).update(
        voice_url="https://example.com/v", sms_url="https://example.com/s", friendly_name="SDK"
    )
    assert updated.voice_url == "https://example.com/v"
    assert updated.sms_url == "https://example.com/s"
    assert updated.friendly_name == "SDK"
    assert c.incoming_phone_numbers(made.sid).fetch().voice_url == "https://example.com/v"
    assert_sdk_error(
        lambda: c.incoming_phone_numbers(made.sid).update(voice_url="not a url"), 400, 21402
    )
    assert_sdk_error(
        lambda: c.incoming_phone_numbers(made.sid).update(voice_method="PUT"), 400, 21403
    )


@pytest.mark.parametrize(
    "param", ["VoiceUrl", "VoiceFallbackUrl", "SmsUrl", "SmsFallbackUrl", "StatusCallback"]
)
def test_update_invalid_url(module_server: Server, acct: Creds, param: str) -> None:
    with module_server.http_as(acct) as h:
        made = create(h, acct.sid, PhoneNumber=random_number())
        for bad in ("not a url", "example.com/voice"):
            body = assert_error(
                h.post(number_path(acct.sid, made["sid"]), data={param: bad}), 400, 21402
            )
            assert body["message"] == f"{param} is not a valid URL: {bad}"
        assert fetch(h, acct.sid, made["sid"]) == made
        # The same on create: nothing is created.
        bad_create = h.post(
            numbers_path(acct.sid), data={"PhoneNumber": random_number(), param: "nope"}
        )
        assert_error(bad_create, 400, 21402)
        assert listed(h, acct.sid) == [made["phone_number"]]


@pytest.mark.parametrize(
    "param",
    [
        "VoiceMethod",
        "VoiceFallbackMethod",
        "SmsMethod",
        "SmsFallbackMethod",
        "StatusCallbackMethod",
    ],
)
def test_update_invalid_method(module_server: Server, acct: Creds, param: str) -> None:
    with module_server.http_as(acct) as h:
        made = create(h, acct.sid, PhoneNumber=random_number())
        for bad in ("PUT", "DELETE", "x"):
            assert_error(h.post(number_path(acct.sid, made["sid"]), data={param: bad}), 400, 21403)
        assert fetch(h, acct.sid, made["sid"]) == made
        bad_create = h.post(
            numbers_path(acct.sid), data={"PhoneNumber": random_number(), param: "PATCH"}
        )
        assert_error(bad_create, 400, 21403)
        assert listed(h, acct.sid) == [made["phone_number"]]


def test_update_unknown_number(module_server: Server, acct: Creds) -> None:
    with module_server.http_as(acct) as h:
        unknown = "PN" + "0" * 32
        body = assert_error(
            h.post(number_path(acct.sid, unknown), data={"FriendlyName": "x"}), 404, 20404
        )
        assert number_path(acct.sid, unknown) in body["message"]
        assert_error(h.get(number_path(acct.sid, unknown)), 404, 20404)
        assert_error(h.delete(number_path(acct.sid, unknown)), 404, 20404)


# Application links


def test_link_applications_of_same_account(module_server: Server, acct: Creds) -> None:
    with module_server.http_as(acct) as h:
        voice_app = create_app(h, acct.sid, "voice")
        sms_app = create_app(h, acct.sid, "sms")
        made = create(
            h,
            acct.sid,
            PhoneNumber=random_number(),
            VoiceApplicationSid=voice_app,
            SmsApplicationSid=sms_app,
        )
        assert made["voice_application_sid"] == voice_app
        assert made["sms_application_sid"] == sms_app
        plain = create(h, acct.sid, PhoneNumber=random_number())
        resp = h.post(
            number_path(acct.sid, plain["sid"]),
            data={"VoiceApplicationSid": sms_app, "SmsApplicationSid": voice_app},
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["voice_application_sid"] == sms_app
        assert resp.json()["sms_application_sid"] == voice_app
        fetched = fetch(h, acct.sid, plain["sid"])
        assert fetched["voice_application_sid"] == sms_app
        assert fetched["sms_application_sid"] == voice_app
        # An empty value clears a link.
        cleared = h.post(number_path(acct.sid, plain["sid"]), data={"VoiceApplicationSid": ""})
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["voice_application_sid"] is None
        assert cleared.json()["sms_application_sid"] == voice_app
    c = module_server.client_as(acct)
    sdk = c.incoming_phone_numbers.create(
        phone_number=random_number(), voice_application_sid=voice_app
    )
    assert sdk.voice_application_sid == voice_app
    assert (
        c.incoming_phone_numbers(sdk.sid).update(sms_application_sid=sms_app).sms_application_sid
        == sms_app
    )


@pytest.mark.parametrize("param", ["VoiceApplicationSid", "SmsApplicationSid"])
@pytest.mark.parametrize("kind", ["other_account", "unknown", "malformed"])
def test_link_inaccessible_application(
    module_server: Server, acct: Creds, param: str, kind: str
) -> None:
    other = module_server.subaccount(friendly_name="Numbers test")
    with module_server.http_as(other) as h:
        foreign_app = create_app(h, other.sid, "foreign")
    bad = {"other_account": foreign_app, "unknown": UNKNOWN_AP, "malformed": "APx"}[kind]
    with module_server.http_as(acct) as h:
        own_app = create_app(h, acct.sid, "own")
        number = random_number()
        assert_error(
            h.post(numbers_path(acct.sid), data={"PhoneNumber": number, param: bad}), 400, 21420
        )
        assert_error(
            h.post(numbers_path(acct.sid, "/Local"), data={"PhoneNumber": number, param: bad}),
            400,
            21420,
        )
        assert listed(h, acct.sid) == []
        made = create(h, acct.sid, PhoneNumber=number, VoiceApplicationSid=own_app)
        before = fetch(h, acct.sid, made["sid"])
        body = assert_error(
            h.post(
                number_path(acct.sid, made["sid"]),
                data={param: bad, "FriendlyName": "should not change"},
            ),
            400,
            21420,
        )
        assert param in body["message"]
        assert fetch(h, acct.sid, made["sid"]) == before
    with module_server.http_as(other) as h:
        assert listed(h, other.sid) == []


def test_link_inaccessible_application_sdk(module_server: Server, acct: Creds) -> None:
    other = module_server.subaccount(friendly_name="Numbers test")
    foreign = module_server.client_as(other).applications.create(friendly_name="foreign").sid
    c = module_server.client_as(acct)
    assert_sdk_error(
        lambda: c.incoming_phone_numbers.create(
            phone_number=random_number(), voice_application_sid=foreign
        ),
        400,
        21420,
    )
    made = c.incoming_phone_numbers.create(phone_number=random_number())
    assert_sdk_error(
        lambda: c.incoming_phone_numbers(made.sid).update(sms_application_sid=foreign), 400, 21420
    )
    assert c.incoming_phone_numbers(made.sid).fetch().sms_application_sid is None


def test_voice_application_and_trunk_exclude_each_other(module_server: Server, acct: Creds) -> None:
    with module_server.http_as(acct) as h:
        app = create_app(h, acct.sid)
        made = create(h, acct.sid, PhoneNumber=random_number(), TrunkSid=TRUNK)
        assert made["trunk_sid"] == TRUNK
        assert made["voice_application_sid"] is None
        path = number_path(acct.sid, made["sid"])
        linked = h.post(path, data={"VoiceApplicationSid": app})
        assert linked.status_code == 200, linked.text
        assert linked.json()["voice_application_sid"] == app
        assert linked.json()["trunk_sid"] is None
        assert fetch(h, acct.sid, made["sid"])["trunk_sid"] is None
        trunked = h.post(path, data={"TrunkSid": TRUNK})
        assert trunked.status_code == 200, trunked.text
        assert trunked.json()["trunk_sid"] == TRUNK
        assert trunked.json()["voice_application_sid"] is None
        assert fetch(h, acct.sid, made["sid"])["voice_application_sid"] is None
        # The SMS link is independent of the trunk.
        sms = h.post(path, data={"SmsApplicationSid": app}).json()
        assert sms["trunk_sid"] == TRUNK
        assert sms["sms_application_sid"] == app
        created = create(h, acct.sid, PhoneNumber=random_number(), VoiceApplicationSid=app)
        assert created["trunk_sid"] is None


def test_deleting_application_clears_links(module_server: Server, acct: Creds) -> None:
    with module_server.http_as(acct) as h:
        app_x = create_app(h, acct.sid, "X")
        app_y = create_app(h, acct.sid, "Y")
        linked_x = create(
            h,
            acct.sid,
            PhoneNumber=random_number(),
            VoiceApplicationSid=app_x,
            SmsApplicationSid=app_x,
        )
        linked_y = create(
            h,
            acct.sid,
            PhoneNumber=random_number(),
            VoiceApplicationSid=app_y,
            SmsApplicationSid=app_y,
        )
        mixed = create(
            h,
            acct.sid,
            PhoneNumber=random_number(),
            VoiceApplicationSid=app_x,
            SmsApplicationSid=app_y,
        )
        assert h.delete(apps_path(acct.sid, app_x)).status_code == 204
        after_x = fetch(h, acct.sid, linked_x["sid"])
        assert after_x["voice_application_sid"] is None
        assert after_x["sms_application_sid"] is None
        after_y = fetch(h, acct.sid, linked_y["sid"])
        assert after_y["voice_application_sid"] == app_y
        assert after_y["sms_application_sid"] == app_y
        after_mixed = fetch(h, acct.sid, mixed["sid"])
        assert after_mixed["voice_application_sid"] is None
        assert after_mixed["sms_application_sid"] == app_y
        listed_x = [
            n
            for n in h.get(numbers_path(acct.sid)).json()["incoming_phone_numbers"]
            if n["sid"] == linked_x["sid"]
        ]
        assert listed_x[0]["voice_application_sid"] is None


def test_deleting_application_clears_links_sdk(module_server: Server, acct: Creds) -> None:
    c = module_server.client_as(acct)
    app = c.applications.create(friendly_name="doomed")
    number = c.incoming_phone_numbers.create(
        phone_number=random_number(), voice_application_sid=app.sid, sms_application_sid=app.sid
    )
    assert c.applications(app.sid).delete() is True
    after = c.incoming_phone_numbers(number.sid).fetch()
    assert after.voice_application_sid is None
    assert after.sms_application_sid is None


# Moving a number between accounts


def test_move_number_to_subaccount_and_back(module_server: Server) -> None:
    parent = module_server.top_level("Mover")
    child = module_server.subaccount(parent, "Move target")
    unrelated = module_server.top_level("Unrelated")
    with module_server.http_as(parent) as h:
        app = create_app(h, parent.sid, "parent app")
        made = create(
            h,
            parent.sid,
            PhoneNumber=random_number(),
            VoiceApplicationSid=app,
            SmsApplicationSid=app,
            VoiceUrl="https://example.com/voice",
        )
        sid = made["sid"]
        # To an unrelated account: refused, nothing changes.
        before = fetch(h, parent.sid, sid)
        assert_error(
            h.post(number_path(parent.sid, sid), data={"AccountSid": unrelated.sid}), 400, 20001
        )
        assert_error(
            h.post(number_path(parent.sid, sid), data={"AccountSid": "AC" + "9" * 32}), 400, 20001
        )
        assert fetch(h, parent.sid, sid) == before

        moved = h.post(number_path(parent.sid, sid), data={"AccountSid": child.sid})
        assert moved.status_code == 200, moved.text
        body = moved.json()
        assert body["account_sid"] == child.sid
        assert body["uri"] == number_path(child.sid, sid)
        assert body["voice_application_sid"] is None
        assert body["sms_application_sid"] is None
        assert body["voice_url"] == "https://example.com/voice"
        assert body["phone_number"] == made["phone_number"]
        assert listed(h, parent.sid) == []
        assert listed(h, child.sid) == [made["phone_number"]]
        assert_error(h.get(number_path(parent.sid, sid)), 404, 20404)
        assert fetch(h, child.sid, sid)["account_sid"] == child.sid
    with module_server.http_as(child) as h:
        assert listed(h, child.sid) == [made["phone_number"]]
        assert fetch(h, child.sid, sid)["voice_application_sid"] is None
    with module_server.http_as(unrelated) as h:
        assert listed(h, unrelated.sid) == []
    with module_server.http_as(parent) as h:
        back = h.post(number_path(child.sid, sid), data={"AccountSid": parent.sid})
        assert back.status_code == 200, back.text
        assert back.json()["account_sid"] == parent.sid
        assert back.json()["uri"] == number_path(parent.sid, sid)
        assert listed(h, parent.sid) == [made["phone_number"]]
        assert listed(h, child.sid) == []
        assert fetch(h, parent.sid, sid)["account_sid"] == parent.sid


def test_move_number_sdk(module_server: Server) -> None:
    parent = module_server.top_level("SDK mover")
    child = module_server.subaccount(parent, "SDK target")
    c = module_server.client_as(parent)
    app = c.applications.create(friendly_name="parent app")
    number = c.incoming_phone_numbers.create(
        phone_number=random_number(), voice_application_sid=app.sid
    )
    moved = c.incoming_phone_numbers(number.sid).update(account_sid=child.sid)
    assert moved.account_sid == child.sid
    assert moved.voice_application_sid is None
    assert c.incoming_phone_numbers.list() == []
    child_numbers = module_server.client_as(child).incoming_phone_numbers.list()
    assert [n.sid for n in child_numbers] == [number.sid]
    back = (
        c.api.v2010.accounts(child.sid)
        .incoming_phone_numbers(number.sid)
        .update(account_sid=parent.sid)
    )
    assert back.account_sid == parent.sid
    assert [n.sid for n in c.incoming_phone_numbers.list()] == [number.sid]


def test_move_with_link_to_target_application(module_server: Server) -> None:
    parent = module_server.top_level("Linker")
    child = module_server.subaccount(parent, "Linked target")
    with module_server.http_as(parent) as h:
        parent_app = create_app(h, parent.sid)
        child_app = create_app(h, child.sid)
        made = create(h, parent.sid, PhoneNumber=random_number())
        # A link to the parent's app is not valid in the child's account.
        assert_error(
            h.post(
                number_path(parent.sid, made["sid"]),
                data={"AccountSid": child.sid, "VoiceApplicationSid": parent_app},
            ),
            400,
            21420,
        )
        assert fetch(h, parent.sid, made["sid"]) == made
        moved = h.post(
            number_path(parent.sid, made["sid"]),
            data={"AccountSid": child.sid, "VoiceApplicationSid": child_app},
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["account_sid"] == child.sid
        assert moved.json()["voice_application_sid"] == child_app


# Delete and isolation


def test_delete_number(module_server: Server, acct: Creds) -> None:
    with module_server.http_as(acct) as h:
        made = create(h, acct.sid, PhoneNumber=random_number())
        resp = h.delete(number_path(acct.sid, made["sid"]))
        assert resp.status_code == 204, resp.text
        assert resp.content == b""
        assert_error(h.get(number_path(acct.sid, made["sid"])), 404, 20404)
        assert_error(h.delete(number_path(acct.sid, made["sid"])), 404, 20404)
        assert listed(h, acct.sid) == []
        # The number is free again.
        again = create(h, acct.sid, PhoneNumber=made["phone_number"])
        assert again["sid"] != made["sid"]
    c = module_server.client_as(acct)
    assert c.incoming_phone_numbers(again["sid"]).delete() is True
    assert_sdk_error(lambda: c.incoming_phone_numbers(again["sid"]).fetch(), 404, 20404)


def test_other_account_cannot_see_or_delete_number(module_server: Server, acct: Creds) -> None:
    other_top = module_server.top_level("Snoop")
    sibling = module_server.subaccount(friendly_name="Numbers test")
    with module_server.http_as(acct) as h:
        made = create(h, acct.sid, PhoneNumber=random_number())
    sid = made["sid"]
    for creds in (other_top, sibling):
        with module_server.http_as(creds) as h:
            assert_error(h.get(number_path(creds.sid, sid)), 404, 20404)
            assert_error(h.delete(number_path(creds.sid, sid)), 404, 20404)
            assert_error(
                h.post(number_path(creds.sid, sid), data={"FriendlyName": "x"}), 404, 20404
            )
            assert_error(h.get(number_path(acct.sid, sid)), 401, 20003)
            assert_error(h.delete(number_path(acct.sid, sid)), 401, 20003)
            assert_error(h.post(number_path(acct.sid, sid), data={"FriendlyName": "x"}), 401, 20003)
            assert_error(h.get(numbers_path(acct.sid)), 401, 20003)
            assert listed(h, creds.sid) == []
        numbers = module_server.client_as(creds).incoming_phone_numbers
        assert_sdk_error(numbers(sid).fetch, 404, 20404)
        assert_sdk_error(numbers(sid).delete, 404, 20404)
    with module_server.http_as(acct) as h:
        assert fetch(h, acct.sid, sid) == made


def test_wrong_sid_shapes_are_not_found(module_server: Server, acct: Creds) -> None:
    with module_server.http_as(acct) as h:
        app = create_app(h, acct.sid)
        for sid in (app, "PNx", "pn" + "0" * 32):
            assert_error(h.get(number_path(acct.sid, sid)), 404, 20404)


# XML


def test_number_xml(module_server: Server, acct: Creds) -> None:
    with module_server.http_as(acct) as h:
        made = create(h, acct.sid, PhoneNumber=random_number())
        resp = h.get(number_path(acct.sid, made["sid"], suffix=""))
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/xml")
    assert (
        "<Capabilities><Voice>true</Voice><SMS>true</SMS><MMS>true</MMS><Fax>true</Fax>"
        "</Capabilities>"
    ) in resp.text
    root = ET.fromstring(resp.content)
    assert root.tag == "TwilioResponse"
    number = root.find("IncomingPhoneNumber")
    assert number is not None
    assert number.findtext("Sid") == made["sid"]
    assert number.findtext("PhoneNumber") == made["phone_number"]
    assert number.findtext("AccountSid") == acct.sid
    assert number.findtext("VoiceMethod") == "POST"
    assert number.findtext("Beta") == "false"
    capabilities = number.find("Capabilities")
    assert capabilities is not None
    assert [(c.tag, c.text) for c in capabilities] == [
        ("Voice", "true"),
        ("SMS", "true"),
        ("MMS", "true"),
        ("Fax", "true"),
    ]
    uri = number.findtext("Uri")
    assert uri is not None and uri.endswith(f"/IncomingPhoneNumbers/{made['sid']}")


def test_number_list_xml(module_server: Server, acct: Creds) -> None:
    with module_server.http_as(acct) as h:
        made = [create(h, acct.sid, PhoneNumber=random_number()) for _ in range(2)]
        resp = h.get(numbers_path(acct.sid, suffix=""), params={"PageSize": "5"})
        typed = h.get(numbers_path(acct.sid, "/Local", suffix=""))
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(resp.content)
    assert root.tag == "TwilioResponse"
    page = root.find("IncomingPhoneNumbers")
    assert page is not None
    assert page.get("page") == "0"
    assert page.get("pagesize") == "5"
    for attr in ("start", "end", "uri", "firstpageuri", "nextpageuri", "previouspageuri"):
        assert attr in page.attrib, attr
    sids = [n.findtext("Sid") for n in page.findall("IncomingPhoneNumber")]
    assert sorted(s or "" for s in sids) == sorted(m["sid"] for m in made)
    assert typed.status_code == 200
    typed_page = ET.fromstring(typed.content).find("IncomingPhoneNumbers")
    assert typed_page is not None
    assert len(typed_page.findall("IncomingPhoneNumber")) == 2


def test_number_xml_error(module_server: Server, acct: Creds) -> None:
    with module_server.http_as(acct) as h:
        resp = h.post(numbers_path(acct.sid, suffix=""), data={"PhoneNumber": "12345"})
    assert_error(resp, 400, 21421, xml=True)
