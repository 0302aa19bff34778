"""The Applications resource over raw HTTP: status codes, headers, exact bodies, paging, XML.

Most tests share the module's server and make the applications they look at; the tests that count
or page over all of an account's applications have a server of their own (`server`).
"""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from conftest import APPLICATION_KEYS, APPLICATION_WITH_EVERY_FIELD, PAGE_KEYS, Server
from errors import XML_HEAD, assert_error

APP_KEYS = list(APPLICATION_KEYS)
ENVELOPE_KEYS = sorted([*PAGE_KEYS, "applications"])
DATE_RE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000$"
)
SID_RE = re.compile(r"^AP[0-9a-f]{32}$")
UNKNOWN_SID = "AP" + "0123456789abcdef" * 2
FORM = "application/x-www-form-urlencoded"

# Every writable parameter, with a non-default value, and the JSON value it should produce.
FULL_FORM: dict[str, str] = {
    "FriendlyName": "Every field set",
    "ApiVersion": "2008-08-01",
    "VoiceUrl": "https://example.com/voice",
    "VoiceMethod": "GET",
    "VoiceFallbackUrl": "https://example.com/voice-fallback",
    "VoiceFallbackMethod": "GET",
    "StatusCallback": "https://example.com/status",
    "StatusCallbackMethod": "GET",
    "VoiceCallerIdLookup": "true",
    "SmsUrl": "https://example.com/sms",
    "SmsMethod": "GET",
    "SmsFallbackUrl": "https://example.com/sms-fallback",
    "SmsFallbackMethod": "GET",
    "SmsStatusCallback": "https://example.com/sms-status",
    "MessageStatusCallback": "https://example.com/message-status",
    "PublicApplicationConnectEnabled": "true",
}
FULL_JSON = APPLICATION_WITH_EVERY_FIELD
DEFAULT_JSON: dict[str, Any] = {
    "friendly_name": None,
    "api_version": "2010-04-01",
    "voice_url": None,
    "voice_method": "POST",
    "voice_fallback_url": None,
    "voice_fallback_method": "POST",
    "status_callback": None,
    "status_callback_method": "POST",
    "voice_caller_id_lookup": False,
    "sms_url": None,
    "sms_method": "POST",
    "sms_fallback_url": None,
    "sms_fallback_method": "POST",
    "sms_status_callback": None,
    "message_status_callback": None,
    "public_application_connect_enabled": False,
}
URL_PARAMS = [
    "VoiceUrl",
    "VoiceFallbackUrl",
    "StatusCallback",
    "SmsUrl",
    "SmsFallbackUrl",
    "SmsStatusCallback",
    "MessageStatusCallback",
]
METHOD_PARAMS = [
    "VoiceMethod",
    "VoiceFallbackMethod",
    "StatusCallbackMethod",
    "SmsMethod",
    "SmsFallbackMethod",
]


def snake(param: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", param).lower()


# Fixtures


@pytest.fixture(scope="module")
def other(module_server: Server) -> dict[str, str]:
    """A second top-level account on the module's server."""
    return module_server.create_account("Account B")


@pytest.fixture
def app(module_server: Server, http: httpx.Client) -> dict[str, Any]:
    """A fresh application of the module server's main account, with every field set."""
    resp = http.post(module_server.apps_path(), data=FULL_FORM)
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


# Helpers


def app_path(
    server: Server, sid: str, account_sid: str | None = None, suffix: str = ".json"
) -> str:
    return f"/2010-04-01/Accounts/{account_sid or server.account_sid}/Applications/{sid}{suffix}"


def assert_json(resp: httpx.Response) -> None:
    assert resp.headers["content-type"].split(";")[0].strip() == "application/json"


def assert_auth_error(resp: httpx.Response) -> None:
    assert_error(resp, 401, 20003, "Authenticate")
    assert resp.headers["www-authenticate"] == 'Basic realm="Twilio API"'


def assert_not_found(resp: httpx.Response, path: str) -> None:
    assert_error(resp, 404, 20404, f"The requested resource {path} was not found")


def list_sids(http: httpx.Client, path: str) -> list[str]:
    resp = http.get(path, params={"PageSize": "1000"})
    assert resp.status_code == 200, resp.text
    return [a["sid"] for a in resp.json()["applications"]]


def assert_create_refused(
    http: httpx.Client,
    server: Server,
    status: int,
    code: int | None,
    message: str | None = None,
    **request: Any,
) -> None:
    """A create (`request`: httpx's `data=` or `content=` and `headers=`) answered with this
    error, and no application made."""
    before = list_sids(http, server.apps_path())
    assert_error(http.post(server.apps_path(), **request), status, code, message)
    assert list_sids(http, server.apps_path()) == before


def assert_update_refused(
    http: httpx.Client,
    path: str,
    app: dict[str, Any],
    status: int,
    code: int | None,
    message: str | None = None,
    **request: Any,
) -> None:
    """An update of `app` at `path` answered with this error, and the application unchanged."""
    assert_error(http.post(path, **request), status, code, message)
    assert http.get(path).json() == app


def create_many(http: httpx.Client, path: str, count: int, name: str | None = None) -> list[str]:
    sids = []
    for i in range(count):
        resp = http.post(path, data={"FriendlyName": name or f"app-{i}"})
        assert resp.status_code == 201, resp.text
        sids.append(resp.json()["sid"])
    return sids


def get_page(http: httpx.Client, uri: str) -> dict[str, Any]:
    resp = http.get(uri)
    assert resp.status_code == 200, resp.text
    assert_json(resp)
    body: dict[str, Any] = resp.json()
    assert sorted(body) == ENVELOPE_KEYS
    for record in body["applications"]:
        assert list(record) == APP_KEYS
    return body


def page_sids(page: dict[str, Any]) -> list[str]:
    return [a["sid"] for a in page["applications"]]


# Lifecycle: status codes, headers, bodies


def test_create_returns_201_with_every_field(module_server: Server, http: httpx.Client) -> None:
    resp = http.post(module_server.apps_path(), data=FULL_FORM)
    assert resp.status_code == 201
    assert_json(resp)
    body = json.loads(resp.content)
    assert list(body) == APP_KEYS
    for key, value in FULL_JSON.items():
        assert body[key] == value, key
    assert SID_RE.match(body["sid"])
    assert body["account_sid"] == module_server.account_sid
    assert body["uri"] == app_path(module_server, body["sid"])
    assert DATE_RE.match(body["date_created"])
    assert DATE_RE.match(body["date_updated"])
    assert body["date_created"] == body["date_updated"]


def test_create_without_params_uses_defaults(module_server: Server, http: httpx.Client) -> None:
    resp = http.post(module_server.apps_path())
    assert resp.status_code == 201
    assert_json(resp)
    body = resp.json()
    assert list(body) == APP_KEYS
    for key, value in DEFAULT_JSON.items():
        assert body[key] == value, key
    assert SID_RE.match(body["sid"])


def test_fetch_returns_200_and_the_same_record(
    module_server: Server, http: httpx.Client, app: dict[str, Any]
) -> None:
    resp = http.get(app_path(module_server, app["sid"]))
    assert resp.status_code == 200
    assert_json(resp)
    assert list(resp.json()) == APP_KEYS
    assert resp.json() == app


def test_list_returns_200_json(
    module_server: Server, http: httpx.Client, app: dict[str, Any]
) -> None:
    resp = http.get(module_server.apps_path())
    assert resp.status_code == 200
    assert_json(resp)
    assert sorted(resp.json()) == ENVELOPE_KEYS
    assert app["sid"] in page_sids(resp.json())


def test_update_via_post_changes_only_sent_fields_and_moves_date_updated(
    module_server: Server, http: httpx.Client, app: dict[str, Any]
) -> None:
    time.sleep(1.1)
    resp = http.post(
        app_path(module_server, app["sid"]),
        data={"FriendlyName": "renamed", "SmsUrl": "http://example.org/new", "SmsMethod": "POST"},
    )
    assert resp.status_code == 200
    assert_json(resp)
    body = resp.json()
    assert list(body) == APP_KEYS
    expected = {
        **app,
        "friendly_name": "renamed",
        "sms_url": "http://example.org/new",
        "sms_method": "POST",
    }
    for key in APP_KEYS:
        if key != "date_updated":
            assert body[key] == expected[key], key
    assert DATE_RE.match(body["date_updated"])
    assert parsedate_to_datetime(body["date_updated"]) > parsedate_to_datetime(body["date_created"])
    assert http.get(app_path(module_server, app["sid"])).json() == body


def test_update_with_empty_url_clears_it(
    module_server: Server, http: httpx.Client, app: dict[str, Any]
) -> None:
    resp = http.post(
        app_path(module_server, app["sid"]), data={"VoiceUrl": "", "SmsFallbackUrl": ""}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["voice_url"] is None
    assert body["sms_fallback_url"] is None
    assert body["sms_url"] == FULL_JSON["sms_url"]
    assert http.get(app_path(module_server, app["sid"])).json()["voice_url"] is None


def test_unknown_params_are_ignored(module_server: Server, http: httpx.Client) -> None:
    resp = http.post(module_server.apps_path(), data={"Foo": "bar", "FriendlyName": "with foo"})
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert list(created) == APP_KEYS
    assert created["friendly_name"] == "with foo"
    resp = http.post(
        app_path(module_server, created["sid"]), data={"Foo": "bar", "friendly_name": "x"}
    )
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    assert list(updated) == APP_KEYS
    assert {k: v for k, v in updated.items() if k != "date_updated"} == {
        k: v for k, v in created.items() if k != "date_updated"
    }


@pytest.mark.parametrize("value", ["get", "Get", "GET", "post", "pOsT"])
@pytest.mark.parametrize("param", METHOD_PARAMS)
def test_methods_accepted_in_any_case_and_stored_upper(
    module_server: Server, http: httpx.Client, param: str, value: str
) -> None:
    resp = http.post(module_server.apps_path(), data={param: value})
    assert resp.status_code == 201, resp.text
    assert resp.json()[snake(param)] == value.upper()
    sid = resp.json()["sid"]
    flipped = "get" if value.upper() == "POST" else "post"
    resp = http.post(app_path(module_server, sid), data={param: flipped})
    assert resp.status_code == 200, resp.text
    assert resp.json()[snake(param)] == flipped.upper()


@pytest.mark.parametrize(
    ("value", "expected"), [("True", True), ("FALSE", False), ("true", True), ("false", False)]
)
@pytest.mark.parametrize("param", ["VoiceCallerIdLookup", "PublicApplicationConnectEnabled"])
def test_booleans_accepted_in_any_case(
    module_server: Server, http: httpx.Client, param: str, value: str, expected: bool
) -> None:
    resp = http.post(module_server.apps_path(), data={param: value})
    assert resp.status_code == 201, resp.text
    assert resp.json()[snake(param)] is expected
    resp = http.post(app_path(module_server, resp.json()["sid"]), data={param: value})
    assert resp.status_code == 200, resp.text
    assert resp.json()[snake(param)] is expected


@pytest.mark.parametrize("version", ["2008-08-01", "2010-04-01"])
def test_api_versions_accepted(module_server: Server, http: httpx.Client, version: str) -> None:
    resp = http.post(module_server.apps_path(), data={"ApiVersion": version})
    assert resp.status_code == 201, resp.text
    assert resp.json()["api_version"] == version


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("x" * 64, id="64-ascii"),
        pytest.param("\U0001f600" * 64, id="64-emoji"),
        pytest.param("é" * 64, id="64-accented"),
        pytest.param("x", id="1-char"),
    ],
)
def test_friendly_name_up_to_64_code_points(
    module_server: Server, http: httpx.Client, name: str
) -> None:
    resp = http.post(module_server.apps_path(), data={"FriendlyName": name})
    assert resp.status_code == 201, resp.text
    assert resp.json()["friendly_name"] == name
    resp = http.post(app_path(module_server, resp.json()["sid"]), data={"FriendlyName": name[::-1]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["friendly_name"] == name[::-1]


def test_delete_returns_204_empty_then_404(
    module_server: Server, http: httpx.Client, app: dict[str, Any]
) -> None:
    path = app_path(module_server, app["sid"])
    resp = http.delete(path)
    assert resp.status_code == 204
    assert resp.content == b""
    assert_not_found(http.get(path), path)
    assert_not_found(http.delete(path), path)
    assert_not_found(http.post(path, data={"FriendlyName": "ghost"}), path)
    assert app["sid"] not in list_sids(http, module_server.apps_path())


# Validation errors on create and update


def _url_cases() -> list[Any]:
    cases = [
        pytest.param("VoiceUrl", bad, id=f"VoiceUrl-{bad}")
        for bad in ("ftp://x", "not a url", "http://", "/relative", "https://", "example.com/x")
    ]
    rotating = ["ftp://x", "not a url", "http://", "/relative", "mailto:a@example.com", "//x"]
    cases += [
        pytest.param(param, rotating[i % len(rotating)], id=f"{param}-{rotating[i % 6]}")
        for i, param in enumerate(URL_PARAMS[1:])
    ]
    return cases


def _method_cases() -> list[Any]:
    cases = [
        pytest.param("VoiceMethod", bad, id=f"VoiceMethod-{bad or 'empty'}")
        for bad in ("PUT", "", "DELETE", "PATCH", "HEAD", "GETT")
    ]
    rotating = ["PUT", "", "delete", "patch"]
    cases += [
        pytest.param(param, rotating[i % 4], id=f"{param}-{rotating[i % 4] or 'empty'}")
        for i, param in enumerate(METHOD_PARAMS[1:])
    ]
    return cases


# (form, status, code, exact message or None)
VALIDATION_CASES: list[Any] = [
    pytest.param({"FriendlyName": "x" * 65}, 400, 20002, None, id="FriendlyName-65"),
    pytest.param({"FriendlyName": "\U0001f600" * 65}, 400, 20002, None, id="FriendlyName-65-emoji"),
    pytest.param({"ApiVersion": "2011-01-01"}, 400, 20001, None, id="ApiVersion-2011"),
    pytest.param({"ApiVersion": "v1"}, 400, 20001, None, id="ApiVersion-v1"),
    pytest.param({"ApiVersion": ""}, 400, 20001, None, id="ApiVersion-empty"),
    pytest.param({"VoiceCallerIdLookup": "yes"}, 400, 20001, None, id="VoiceCallerIdLookup-yes"),
    pytest.param({"VoiceCallerIdLookup": "1"}, 400, 20001, None, id="VoiceCallerIdLookup-1"),
    pytest.param({"PublicApplicationConnectEnabled": "no"}, 400, 20001, None, id="PACE-no"),
    pytest.param({"PublicApplicationConnectEnabled": ""}, 400, 20001, None, id="PACE-empty"),
    # One bad value among good ones: nothing of the request is applied.
    pytest.param(
        {"FriendlyName": "fine", "VoiceUrl": "https://ok.example.com", "SmsMethod": "PUT"},
        400,
        21403,
        None,
        id="mixed-good-and-bad",
    ),
]


@pytest.mark.parametrize(("param", "value"), _url_cases())
def test_create_with_invalid_url_is_21402(
    module_server: Server, http: httpx.Client, param: str, value: str
) -> None:
    form = {"FriendlyName": "bad url", param: value}
    message = f"{param} is not a valid URL: {value}"
    assert_create_refused(http, module_server, 400, 21402, message, data=form)


@pytest.mark.parametrize(("param", "value"), _url_cases())
def test_update_with_invalid_url_is_21402_and_changes_nothing(
    module_server: Server, http: httpx.Client, app: dict[str, Any], param: str, value: str
) -> None:
    path, form = app_path(module_server, app["sid"]), {"FriendlyName": "changed?", param: value}
    message = f"{param} is not a valid URL: {value}"
    assert_update_refused(http, path, app, 400, 21402, message, data=form)


@pytest.mark.parametrize(("param", "value"), _method_cases())
def test_create_with_invalid_method_is_21403(
    module_server: Server, http: httpx.Client, param: str, value: str
) -> None:
    form = {"FriendlyName": "bad method", param: value}
    assert_create_refused(http, module_server, 400, 21403, data=form)


@pytest.mark.parametrize(("param", "value"), _method_cases())
def test_update_with_invalid_method_is_21403_and_changes_nothing(
    module_server: Server, http: httpx.Client, app: dict[str, Any], param: str, value: str
) -> None:
    path, form = app_path(module_server, app["sid"]), {"FriendlyName": "changed?", param: value}
    assert_update_refused(http, path, app, 400, 21403, data=form)


@pytest.mark.parametrize(("form", "status", "code", "message"), VALIDATION_CASES)
def test_create_validation_errors(
    module_server: Server,
    http: httpx.Client,
    form: dict[str, str],
    status: int,
    code: int,
    message: str | None,
) -> None:
    assert_create_refused(http, module_server, status, code, message, data=form)


@pytest.mark.parametrize(("form", "status", "code", "message"), VALIDATION_CASES)
def test_update_validation_errors_change_nothing(
    module_server: Server,
    http: httpx.Client,
    app: dict[str, Any],
    form: dict[str, str],
    status: int,
    code: int,
    message: str | None,
) -> None:
    path, form = app_path(module_server, app["sid"]), {"SmsUrl": "https://x.example.com/", **form}
    assert_update_refused(http, path, app, status, code, message, data=form)


BODY_CASES: list[Any] = [
    pytest.param(b"FriendlyName=%FF", FORM, 400, 20001, id="not-utf8"),
    pytest.param(b"FriendlyName=ok&VoiceUrl=%C3%28", FORM, 400, 20001, id="not-utf8-second"),
    pytest.param(b'{"FriendlyName": "json"}', "application/json", 415, None, id="json-body"),
    pytest.param(b"FriendlyName=big&Foo=" + b"a" * (1024 * 1024), FORM, 413, None, id="over-1MiB"),
]


@pytest.mark.parametrize(("content", "content_type", "status", "code"), BODY_CASES)
def test_create_with_bad_body(
    module_server: Server,
    http: httpx.Client,
    content: bytes,
    content_type: str,
    status: int,
    code: int | None,
) -> None:
    headers = {"Content-Type": content_type}
    assert_create_refused(http, module_server, status, code, content=content, headers=headers)


@pytest.mark.parametrize(("content", "content_type", "status", "code"), BODY_CASES)
def test_update_with_bad_body_changes_nothing(
    module_server: Server,
    http: httpx.Client,
    app: dict[str, Any],
    content: bytes,
    content_type: str,
    status: int,
    code: int | None,
) -> None:
    path, headers = app_path(module_server, app["sid"]), {"Content-Type": content_type}
    assert_update_refused(http, path, app, status, code, content=content, headers=headers)


# Paging parameter errors


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        pytest.param({"PageSize": "abc"}, 400, 20001, id="PageSize-abc"),
        pytest.param({"PageSize": "1.5"}, 400, 20001, id="PageSize-1.5"),
        pytest.param({"PageSize": "0"}, 400, 20001, id="PageSize-0"),
        pytest.param({"PageSize": "-1"}, 400, 20001, id="PageSize--1"),
        pytest.param({"Page": "abc"}, 400, 20001, id="Page-abc"),
        pytest.param({"Page": "1.5"}, 400, 20001, id="Page-1.5"),
        pytest.param({"Page": "1000000000000"}, 400, 20001, id="Page-beyond-deepest"),
        pytest.param({"PageToken": "garbage"}, 400, 21481, id="PageToken-garbage"),
        pytest.param({"PageToken": "PA"}, 400, 21481, id="PageToken-PA"),
        pytest.param({"PageToken": "PAXX" + "0" * 32}, 400, 21481, id="PageToken-PAXX"),
        pytest.param({"PageToken": "PAPN" + "0" * 32}, 400, 21481, id="PageToken-PAPN"),
        pytest.param({"PageToken": "PAAP" + "z" * 32}, 400, 21481, id="PageToken-nonhex"),
        pytest.param({"PageToken": "PAAP" + "0" * 31}, 400, 21481, id="PageToken-short"),
        pytest.param({"PageToken": "PCAP" + "0" * 32}, 400, 21481, id="PageToken-PC"),
        pytest.param({"Page": "2"}, 400, 70002, id="Page-2-no-token"),
        pytest.param({"Page": "1", "PageSize": "5"}, 400, 70002, id="Page-1-no-token"),
    ],
)
def test_list_paging_param_errors(
    module_server: Server, http: httpx.Client, params: dict[str, str], status: int, code: int
) -> None:
    assert_error(http.get(module_server.apps_path(), params=params), status, code)


@pytest.mark.parametrize("page_size", ["1000", "1001", "100000"])
def test_list_page_size_is_served_up_to_1000(
    module_server: Server, http: httpx.Client, page_size: str
) -> None:
    # The SDKs send list(limit=N) as PageSize=N and rely on Twilio's cap (no 20007).
    resp = http.get(module_server.apps_path(), params={"PageSize": page_size})
    assert resp.status_code == 200, resp.text
    assert resp.json()["page_size"] == 1000
    assert resp.json()["uri"].endswith("?PageSize=1000&Page=0")


@pytest.mark.parametrize("direction", ["PA", "PB"])
def test_page_token_naming_another_accounts_application_is_21481(
    module_server: Server, http: httpx.Client, other: dict[str, str], direction: str
) -> None:
    with module_server.http(other["sid"], other["auth_token"]) as b:
        resp = b.post(module_server.apps_path(other["sid"]), data={"FriendlyName": "B's"})
        assert resp.status_code == 201, resp.text
        b_sid = resp.json()["sid"]
    resp = http.get(module_server.apps_path(), params={"PageToken": direction + b_sid, "Page": "1"})
    assert_error(resp, 400, 21481)


# Not found


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("sid", [UNKNOWN_SID, "APnope", "PN" + "0" * 32])
def test_unknown_application_sid_is_404(
    module_server: Server, http: httpx.Client, method: str, sid: str
) -> None:
    path = app_path(module_server, sid)
    data = {"FriendlyName": "x"} if method == "POST" else None
    assert_not_found(http.request(method, path, data=data), path)


def test_unknown_path_under_account_is_404(module_server: Server, http: httpx.Client) -> None:
    path = f"/2010-04-01/Accounts/{module_server.account_sid}/Nope.json"
    assert_not_found(http.get(path), path)


@pytest.mark.parametrize("path", ["/nope.json", "/2010-04-01/Nope.json"])
def test_unknown_path_is_404_json(module_server: Server, http: httpx.Client, path: str) -> None:
    assert_not_found(http.get(path), path)


def test_unknown_path_without_suffix_is_404_xml(module_server: Server, http: httpx.Client) -> None:
    assert_error(http.get("/nope"), 404, 20404, "The requested resource /nope was not found")


# Authentication


def _auth_requests(server: Server, sid: str) -> list[tuple[str, str, dict[str, str] | None]]:
    return [
        ("GET", server.apps_path(), None),
        ("POST", server.apps_path(), {"FriendlyName": "intruder"}),
        ("GET", app_path(server, sid), None),
        ("POST", app_path(server, sid), {"FriendlyName": "intruder"}),
        ("DELETE", app_path(server, sid), None),
    ]


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param(None, id="missing"),
        pytest.param("wrong-token", id="wrong-token"),
        pytest.param("unknown-account", id="unknown-account"),
        pytest.param("account-b", id="account-b-on-a"),
        pytest.param("not-basic", id="bearer-scheme"),
    ],
)
def test_bad_credentials_are_401(
    module_server: Server,
    http: httpx.Client,
    other: dict[str, str],
    app: dict[str, Any],
    credentials: str | None,
) -> None:
    before = list_sids(http, module_server.apps_path())
    headers: dict[str, str] = {}
    auth: tuple[str, str] | None = None
    if credentials == "wrong-token":
        auth = (module_server.account_sid, "0" * 32)
    elif credentials == "unknown-account":
        auth = ("AC" + "f" * 32, module_server.auth_token)
    elif credentials == "account-b":
        auth = (other["sid"], other["auth_token"])
    elif credentials == "not-basic":
        headers["Authorization"] = f"Bearer {module_server.auth_token}"
    with httpx.Client(base_url=module_server.url, auth=auth, headers=headers, timeout=30) as client:
        for method, path, data in _auth_requests(module_server, app["sid"]):
            resp = client.request(method, path, data=data)
            assert_auth_error(resp)
    assert list_sids(http, module_server.apps_path()) == before
    assert http.get(app_path(module_server, app["sid"])).json() == app


def test_path_naming_an_unknown_account_is_401(module_server: Server, http: httpx.Client) -> None:
    assert_auth_error(http.get(module_server.apps_path("AC" + "e" * 32)))
    assert_auth_error(http.get(module_server.apps_path("ACnope")))


def test_unknown_account_path_with_its_own_sid_as_username_is_401(module_server: Server) -> None:
    ghost = "AC" + "d" * 32
    with module_server.http(ghost, "a" * 32) as client:
        assert_auth_error(client.get(module_server.apps_path(ghost)))


# Method not allowed


@pytest.mark.parametrize(
    ("method", "which"),
    [("PUT", "list"), ("PATCH", "list"), ("PUT", "instance"), ("PATCH", "instance")],
)
def test_unsupported_method_is_405(
    module_server: Server, http: httpx.Client, app: dict[str, Any], method: str, which: str
) -> None:
    path = module_server.apps_path() if which == "list" else app_path(module_server, app["sid"])
    resp = http.request(method, path, data={"FriendlyName": "put"})
    assert_error(resp, 405, 20004)
    # RFC 9110: a 405 lists the methods the path does allow.
    assert resp.headers["allow"] == ("GET, POST" if which == "list" else "GET, POST, DELETE")
    assert http.get(app_path(module_server, app["sid"])).json() == app


# Paging envelope


def test_paging_envelope_forward_and_back(server: Server) -> None:
    path = server.apps_path()
    with server.http() as http:
        sids = create_many(http, path, 5)
        assert sids == sorted(sids)

        first = get_page(http, f"{path}?PageSize=2")
        assert page_sids(first) == sids[0:2]
        assert first["page"] == 0
        assert first["page_size"] == 2
        assert first["start"] == 0
        assert first["end"] == 1
        assert first["uri"] == f"{path}?PageSize=2&Page=0"
        assert first["first_page_uri"] == f"{path}?PageSize=2&Page=0"
        assert first["next_page_uri"] == f"{path}?PageSize=2&Page=1&PageToken=PA{sids[1]}"
        assert first["previous_page_uri"] is None

        second = get_page(http, first["next_page_uri"])
        assert page_sids(second) == sids[2:4]
        assert second["page"] == 1
        assert second["page_size"] == 2
        assert second["start"] == 2
        assert second["end"] == 3
        assert second["uri"] == first["next_page_uri"]
        assert second["first_page_uri"] == f"{path}?PageSize=2&Page=0"
        assert second["next_page_uri"] == f"{path}?PageSize=2&Page=2&PageToken=PA{sids[3]}"
        assert second["previous_page_uri"] == f"{path}?PageSize=2&Page=0&PageToken=PB{sids[2]}"

        last = get_page(http, second["next_page_uri"])
        assert page_sids(last) == sids[4:5]
        assert last["page"] == 2
        assert last["start"] == 4
        assert last["end"] == 4
        assert last["uri"] == second["next_page_uri"]
        assert last["next_page_uri"] is None
        assert last["previous_page_uri"] == f"{path}?PageSize=2&Page=1&PageToken=PB{sids[4]}"

        back = get_page(http, last["previous_page_uri"])
        assert page_sids(back) == sids[2:4]
        assert back["page"] == 1
        assert back["start"] == 2
        assert back["end"] == 3

        back_to_first = get_page(http, second["previous_page_uri"])
        assert page_sids(back_to_first) == sids[0:2]
        assert back_to_first["page"] == 0
        assert back_to_first["start"] == 0
        assert back_to_first["end"] == 1
        assert back_to_first["previous_page_uri"] is None
        assert back_to_first["next_page_uri"] is not None
        assert page_sids(get_page(http, back_to_first["next_page_uri"])) == sids[2:4]


def test_paging_echoes_filters_first(server: Server) -> None:
    path = server.apps_path()
    with server.http() as http:
        matching = []
        for i in range(5):
            matching += create_many(http, path, 1, "a b")
            create_many(http, path, 1, f"other {i}")
        first = get_page(http, f"{path}?FriendlyName=a%20b&PageSize=2")
        assert page_sids(first) == matching[0:2]
        assert first["uri"] == f"{path}?FriendlyName=a+b&PageSize=2&Page=0"
        assert first["first_page_uri"] == f"{path}?FriendlyName=a+b&PageSize=2&Page=0"
        assert (
            first["next_page_uri"]
            == f"{path}?FriendlyName=a+b&PageSize=2&Page=1&PageToken=PA{matching[1]}"
        )
        seen = page_sids(first)
        page = first
        while page["next_page_uri"] is not None:
            page = get_page(http, page["next_page_uri"])
            assert page["first_page_uri"] == first["first_page_uri"]
            assert page["uri"].startswith(f"{path}?FriendlyName=a+b&PageSize=2&Page=")
            seen += page_sids(page)
        assert seen == matching
        assert all(a["friendly_name"] == "a b" for a in page["applications"])

        special = get_page(http, path + "?FriendlyName=" + "x%26y%3Dz%2B%C3%A9")
        assert special["applications"] == []
        assert special["uri"] == f"{path}?FriendlyName=x%26y%3Dz%2B%C3%A9&PageSize=50&Page=0"


def test_empty_list_envelope(server: Server) -> None:
    path = server.apps_path()
    with server.http() as http:
        resp = http.get(path)
        assert resp.status_code == 200
        assert_json(resp)
        body = resp.json()
        assert sorted(body) == ENVELOPE_KEYS
        assert body == {
            "applications": [],
            "end": 0,
            "first_page_uri": f"{path}?PageSize=50&Page=0",
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": f"{path}?PageSize=50&Page=0",
        }


def test_default_page_size_is_50(server: Server) -> None:
    path = server.apps_path()
    with server.http() as http:
        sids = create_many(http, path, 51)
        first = get_page(http, path)
        assert first["page_size"] == 50
        assert page_sids(first) == sids[:50]
        assert first["end"] == 49
        assert first["next_page_uri"] == f"{path}?PageSize=50&Page=1&PageToken=PA{sids[49]}"
        second = get_page(http, first["next_page_uri"])
        assert page_sids(second) == sids[50:]
        assert second["start"] == 50
        assert second["end"] == 50
        assert second["next_page_uri"] is None


def test_keyset_paging_is_stable_under_inserts(server: Server) -> None:
    path = server.apps_path()
    with server.http() as http:
        original = create_many(http, path, 6)
        page = get_page(http, f"{path}?PageSize=3")
        seen = page_sids(page)
        added = create_many(http, path, 2, "late")
        while page["next_page_uri"] is not None:
            page = get_page(http, page["next_page_uri"])
            seen += page_sids(page)
        for sid in original:
            assert seen.count(sid) == 1, sid
        assert len(seen) == len(set(seen))
        assert set(seen) <= set(original) | set(added)


def test_paging_survives_deleting_the_token_row(server: Server) -> None:
    path = server.apps_path()
    with server.http() as http:
        sids = create_many(http, path, 5)
        first = get_page(http, f"{path}?PageSize=2")
        assert http.delete(app_path(server, sids[1])).status_code == 204
        second = get_page(http, first["next_page_uri"])
        assert page_sids(second) == sids[2:4]


# XML


APP_XML_TAGS = {"".join(part[:1].upper() + part[1:] for part in key.split("_")) for key in APP_KEYS}


def _xml_app(resp: httpx.Response, status: int) -> ET.Element:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].split(";")[0].strip() == "application/xml"
    assert resp.text.startswith(XML_HEAD)
    root = ET.fromstring(resp.content)
    assert root.tag == "TwilioResponse"
    assert [child.tag for child in root] == ["Application"]
    element = root[0]
    tags = [child.tag for child in element]
    assert len(tags) == len(APP_KEYS)
    assert set(tags) == APP_XML_TAGS
    return element


def test_xml_create_fetch_update_delete(module_server: Server, http: httpx.Client) -> None:
    xml_path = module_server.apps_path(suffix="")
    created = _xml_app(
        http.post(xml_path, data={"FriendlyName": "xml & <app>", "VoiceCallerIdLookup": "true"}),
        201,
    )
    sid = created.findtext("Sid") or ""
    assert SID_RE.match(sid)
    assert created.findtext("AccountSid") == module_server.account_sid
    assert created.findtext("FriendlyName") == "xml & <app>"
    assert created.findtext("ApiVersion") == "2010-04-01"
    assert created.findtext("VoiceMethod") == "POST"
    assert created.findtext("VoiceCallerIdLookup") == "true"
    assert created.findtext("PublicApplicationConnectEnabled") == "false"
    assert DATE_RE.match(created.findtext("DateCreated") or "")
    assert DATE_RE.match(created.findtext("DateUpdated") or "")
    uri = created.findtext("Uri")
    assert uri == app_path(module_server, sid, suffix="")
    for tag in ("VoiceUrl", "SmsUrl", "StatusCallback", "MessageStatusCallback"):
        empty = created.find(tag)
        assert empty is not None
        assert empty.text is None
        assert len(empty) == 0

    instance = app_path(module_server, sid, suffix="")
    fetched = _xml_app(http.get(instance), 200)
    assert ET.tostring(fetched) == ET.tostring(created)

    updated = _xml_app(
        http.post(instance, data={"VoiceUrl": "https://example.com/v?a=1&b=2", "SmsMethod": "get"}),
        200,
    )
    assert updated.findtext("VoiceUrl") == "https://example.com/v?a=1&b=2"
    assert updated.findtext("SmsMethod") == "GET"
    assert updated.findtext("FriendlyName") == "xml & <app>"

    # The JSON view of the same record agrees.
    as_json = http.get(app_path(module_server, sid)).json()
    assert as_json["voice_url"] == "https://example.com/v?a=1&b=2"
    assert as_json["uri"] == app_path(module_server, sid)

    resp = http.delete(instance)
    assert resp.status_code == 204
    assert resp.content == b""
    assert_error(http.get(instance), 404, 20404)


def test_xml_list(server: Server) -> None:
    json_path = server.apps_path()
    xml_path = server.apps_path(suffix="")
    with server.http() as http:
        sids = create_many(http, json_path, 3)
        resp = http.get(xml_path, params={"PageSize": "2"})
        assert resp.status_code == 200
        assert resp.headers["content-type"].split(";")[0].strip() == "application/xml"
        assert resp.text.startswith(XML_HEAD)
        root = ET.fromstring(resp.content)
        assert root.tag == "TwilioResponse"
        assert [child.tag for child in root] == ["Applications"]
        apps = root[0]
        assert set(apps.attrib) == {
            "page",
            "pagesize",
            "start",
            "end",
            "uri",
            "firstpageuri",
            "previouspageuri",
            "nextpageuri",
        }
        assert apps.attrib["page"] == "0"
        assert apps.attrib["pagesize"] == "2"
        assert apps.attrib["start"] == "0"
        assert apps.attrib["end"] == "1"
        assert apps.attrib["uri"] == f"{xml_path}?PageSize=2&Page=0"
        assert apps.attrib["firstpageuri"] == f"{xml_path}?PageSize=2&Page=0"
        assert apps.attrib["previouspageuri"] == ""
        assert apps.attrib["nextpageuri"] == f"{xml_path}?PageSize=2&Page=1&PageToken=PA{sids[1]}"
        assert [child.tag for child in apps] == ["Application", "Application"]
        assert [child.findtext("Sid") for child in apps] == sids[:2]
        assert [child.findtext("Uri") for child in apps] == [
            app_path(server, s, suffix="") for s in sids[:2]
        ]
        for child in apps:
            assert {c.tag for c in child} == APP_XML_TAGS

        resp = http.get(apps.attrib["nextpageuri"])
        assert resp.status_code == 200
        page2 = ET.fromstring(resp.content)[0]
        assert page2.attrib["page"] == "1"
        assert page2.attrib["start"] == "2"
        assert page2.attrib["end"] == "2"
        assert page2.attrib["nextpageuri"] == ""
        assert page2.attrib["uri"] == apps.attrib["nextpageuri"]
        assert page2.attrib["previouspageuri"] == (
            f"{xml_path}?PageSize=2&Page=0&PageToken=PB{sids[2]}"
        )
        assert [child.findtext("Sid") for child in page2] == sids[2:]


def test_xml_empty_list(server: Server) -> None:
    xml_path = server.apps_path(suffix="")
    with server.http() as http:
        resp = http.get(xml_path)
        assert resp.status_code == 200
        apps = ET.fromstring(resp.content)[0]
        assert apps.tag == "Applications"
        assert len(apps) == 0
        assert apps.attrib["start"] == "0"
        assert apps.attrib["end"] == "0"
        assert apps.attrib["pagesize"] == "50"
        assert apps.attrib["nextpageuri"] == ""


def test_xml_errors(module_server: Server, http: httpx.Client) -> None:
    missing = app_path(module_server, UNKNOWN_SID, suffix="")
    assert_error(http.get(missing), 404, 20404, f"The requested resource {missing} was not found")

    xml_path = module_server.apps_path(suffix="")
    assert_error(
        http.post(xml_path, data={"VoiceUrl": "ftp://x"}),
        400,
        21402,
        "VoiceUrl is not a valid URL: ftp://x",
    )

    resp = httpx.get(module_server.url + xml_path)
    assert_error(resp, 401, 20003, "Authenticate")
    assert resp.headers["www-authenticate"] == 'Basic realm="Twilio API"'


# Isolation between accounts


def test_accounts_are_isolated(server: Server) -> None:
    b = server.create_account("B")
    a_path, b_path = server.apps_path(), server.apps_path(b["sid"])
    with server.http() as a_http, server.http(b["sid"], b["auth_token"]) as b_http:
        a_sids = create_many(a_http, a_path, 3)
        b_sids = create_many(b_http, b_path, 2)
        a_app = a_http.get(app_path(server, a_sids[0])).json()

        # B's credentials on A's paths: 401.
        assert_auth_error(b_http.get(a_path))
        assert_auth_error(b_http.post(a_path, data={"FriendlyName": "sneaky"}))
        assert_auth_error(b_http.get(app_path(server, a_sids[0])))
        assert_auth_error(b_http.post(app_path(server, a_sids[0]), data={"FriendlyName": "x"}))
        assert_auth_error(b_http.delete(app_path(server, a_sids[0])))

        # B's own path naming A's application: 404.
        foreign = app_path(server, a_sids[0], account_sid=b["sid"])
        assert_not_found(b_http.get(foreign), foreign)
        assert_not_found(b_http.post(foreign, data={"FriendlyName": "x"}), foreign)
        assert_not_found(b_http.delete(foreign), foreign)

        # And the other way round.
        assert_auth_error(a_http.get(b_path))
        mirrored = app_path(server, b_sids[0])
        assert_not_found(a_http.get(mirrored), mirrored)

        # Each list holds only its own account's applications.
        assert list_sids(b_http, b_path) == b_sids
        assert list_sids(a_http, a_path) == a_sids
        assert a_http.get(app_path(server, a_sids[0])).json() == a_app
        for record in b_http.get(b_path).json()["applications"]:
            assert record["account_sid"] == b["sid"]
