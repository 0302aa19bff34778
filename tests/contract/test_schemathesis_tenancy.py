"""Property-based conformance of the Accounts and IncomingPhoneNumbers APIs (schemathesis).

Every operation of those paths in the subset spec, with generated valid and invalid requests,
against one live server authenticated as its main account: no 5xx, every 2xx body matches the
spec's response schema, and every 4xx is Twilio's four-key JSON error. Path parameters are forced
to real SIDs (or left generated, which must give a clean 4xx).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from conftest import SPEC_SUBSET, Server, random_number
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

MAX_EXAMPLES = 60
MAX_ACCOUNT_CREATES = 4  # each example of POST /Accounts.json makes a real subaccount
ERROR_KEYS = {"code", "message", "more_info", "status"}
ACCOUNTS_CREATE = "POST /2010-04-01/Accounts.json"

# As in tests/test_schemathesis.py: the spec marks the list envelope's `uri`, `first_page_uri`,
# `next_page_uri` and `previous_page_uri` as `format: uri` (absolute), yet Twilio answers (and
# twilio-python needs) host-relative paths. Only those four keys are relaxed to URI references.
RELATIVE_URI_KEYS = {"uri", "first_page_uri", "next_page_uri", "previous_page_uri"}


def relative_page_uris(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: relative_page_uris(v) for k, v in node.items()}
        props = out.get("properties")
        if isinstance(props, dict):
            for key in RELATIVE_URI_KEYS & set(props):
                if isinstance(props[key], dict) and props[key].get("format") == "uri":
                    props[key] = {**props[key], "format": "uri-reference"}
        return out
    if isinstance(node, list):
        return [relative_page_uris(v) for v in node]
    return node


def empty_in_examples(spec: dict[str, Any]) -> set[str]:
    """Keys whose value is "" in some response example of the spec."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if value == "":
                    found.add(key)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for item in spec["paths"].values():
        for op in item.values():
            if isinstance(op, dict):
                walk(op.get("responses", {}))
    return found


def allow_example_empty_urls(spec: dict[str, Any]) -> dict[str, Any]:
    """Let the IncomingPhoneNumber `format: uri` fields be "" where the spec's examples are "".

    The spec's own fetch/create/list examples answer `sms_url: ""`, `sms_fallback_url: ""` and
    `status_callback: ""` for unset URLs (contract section 4), and Switchboard copies them; the
    schema's `format: uri` refuses "". Only "" is added for those keys; any other value must
    still be a URI.
    """
    empty = empty_in_examples(spec)
    for name, schema in spec["components"]["schemas"].items():
        if not name.startswith("api.v2010.account.incoming_phone_number"):
            continue
        props = schema.get("properties", {})
        for key in sorted(empty & set(props)):
            prop = props[key]
            if prop.get("format") != "uri":
                continue
            inner = {k: v for k, v in prop.items() if k != "nullable"}
            props[key] = {
                "anyOf": [inner, {"type": "string", "maxLength": 0}],
                "nullable": prop.get("nullable", False),
            }
    return spec


RAW_SPEC = allow_example_empty_urls(
    relative_page_uris(json.loads(Path(SPEC_SUBSET).read_text()))
)
SCHEMA = schemathesis.openapi.from_dict(RAW_SPEC).include(
    path_regex=(
        r"^/2010-04-01/Accounts(/\{Sid\})?\.json$"
        r"|^/2010-04-01/Accounts/\{AccountSid\}/IncomingPhoneNumbers"
        r"(/\{Sid\}|/Local|/TollFree|/Mobile)?\.json$"
    )
)
OPERATIONS: list[Any] = [result.ok() for result in SCHEMA.get_all_operations()]  # type: ignore[union-attr]


def test_all_tenancy_operations_are_covered() -> None:
    numbers = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers"
    expected = [
        "GET /2010-04-01/Accounts.json",
        "POST /2010-04-01/Accounts.json",
        "GET /2010-04-01/Accounts/{Sid}.json",
        "POST /2010-04-01/Accounts/{Sid}.json",
        f"GET {numbers}.json",
        f"POST {numbers}.json",
        f"GET {numbers}/{{Sid}}.json",
        f"POST {numbers}/{{Sid}}.json",
        f"DELETE {numbers}/{{Sid}}.json",
    ]
    for kind in ("Local", "TollFree", "Mobile"):
        expected += [f"GET {numbers}/{kind}.json", f"POST {numbers}/{kind}.json"]
    assert sorted(op.label for op in OPERATIONS) == sorted(expected)


@dataclass
class Live:
    server: Server
    session: requests.Session
    http: httpx.Client
    child_sid: str  # a subaccount of the main account (may end up suspended or closed)
    number_sid: str  # a number of the main account that exists for the whole module

    def new_number(self) -> str:
        resp = self.http.post(
            f"/2010-04-01/Accounts/{self.server.account_sid}/IncomingPhoneNumbers.json",
            data={"AreaCode": "415"},
        )
        assert resp.status_code == 201, resp.text
        sid: str = resp.json()["sid"]
        return sid


@pytest.fixture(scope="module")
def live(module_server: Server) -> Iterator[Live]:
    server = module_server
    session = requests.Session()
    session.auth = (server.account_sid, server.auth_token)
    http = server.http()
    try:
        child = http.post("/2010-04-01/Accounts.json", data={"FriendlyName": "child"})
        assert child.status_code == 201, child.text
        base = f"/2010-04-01/Accounts/{server.account_sid}"
        app = http.post(f"{base}/Applications.json", data={"FriendlyName": "linked"})
        assert app.status_code == 201, app.text
        number = http.post(
            f"{base}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": "+18089255327", "VoiceApplicationSid": app.json()["sid"]},
        )
        assert number.status_code == 201, number.text
        yield Live(server, session, http, child.json()["sid"], number.json()["sid"])
    finally:
        http.close()
        session.close()


def check_response(case: Any, response: Any) -> None:
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    status = response.status_code
    if 400 <= status < 500:
        try:
            body = response.json()
        except ValueError:
            raise AssertionError(f"4xx body is not JSON: {response.text[:200]!r}") from None
        assert isinstance(body, dict), response.text
        assert set(body) == ERROR_KEYS, response.text
        assert body["status"] == status
        assert isinstance(body["code"], int)
        assert isinstance(body["message"], str)
        assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_tenancy_conforms(live: Live, operation: Any, mode: GenerationMode) -> None:
    main_sid = live.server.account_sid
    path_params = {"AccountSid": main_sid} if "{AccountSid}" in operation.path else {}
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_params)
    is_account = operation.path == "/2010-04-01/Accounts/{Sid}.json"
    is_number = "{Sid}" in operation.path and not is_account
    is_delete = operation.method.upper() == "DELETE"
    # Generated phone numbers are almost never valid E.164: to reach the 201 answers (and check
    # their bodies), a valid, unused number replaces the generated one in some positive cases.
    is_number_create = operation.method.upper() == "POST" and operation.path.endswith(
        ("/IncomingPhoneNumbers.json", "/Local.json", "/TollFree.json", "/Mobile.json")
    )
    examples = MAX_ACCOUNT_CREATES if operation.label == ACCOUNTS_CREATE else MAX_EXAMPLES
    # For /Accounts/{Sid}: the main account, its subaccount, or whatever was generated.
    account_choices = st.sampled_from([main_sid, live.child_sid, None])

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=strategy,
        use_real_sid=st.booleans(),
        account_choice=account_choices,
        valid_number=st.booleans(),
    )
    def run(case: Any, use_real_sid: bool, account_choice: str | None, valid_number: bool) -> None:
        if "AccountSid" in path_params:
            case.path_parameters["AccountSid"] = main_sid
        if is_account and account_choice is not None:
            case.path_parameters["Sid"] = account_choice
        if is_number and use_real_sid:
            case.path_parameters["Sid"] = live.new_number() if is_delete else live.number_sid
        if (
            is_number_create
            and valid_number
            and mode == GenerationMode.POSITIVE
            and isinstance(case.body, dict)
        ):
            case.body.pop("AreaCode", None)
            case.body["PhoneNumber"] = random_number()
        response = case.call(base_url=live.server.url, session=live.session, timeout=30)
        try:
            check_response(case, response)
        except AssertionError as exc:
            request = response.request
            exc.add_note(
                f"{request.method} {request.url} -> {response.status_code}: {response.text[:500]}"
            )
            raise

    run()


# Paths schemathesis finds only now and then (an encoded control character in a path segment),
# pinned: whatever the answer, never a 5xx; a 4xx is Twilio's error, as JSON when the path ends
# in .json, else JSON or the XML <RestException> (a path without .json asks for XML).
ODD_PATHS = [
    "/2010-04-01/Accounts/%0A.json",
    "/2010-04-01/Accounts/{main}%0A.json",
    "/2010-04-01/Accounts%0A.json",
    "/2010-04-01/Accounts.json%0A",
    "/2010-04-01/Accounts/{main}/IncomingPhoneNumbers/%0A.json",
    "/2010-04-01/Accounts/{main}/IncomingPhoneNumbers/" + "0" * 34 + "%0A.json",
    "/2010-04-01/Accounts/{main}/IncomingPhoneNumbers/PN" + "0" * 32 + "%0D.json",
    "/2010-04-01/Accounts/{main}/IncomingPhoneNumbers/PN" + "0" * 32 + "%00.json",
    "/2010-04-01/Accounts/{main}/IncomingPhoneNumbers/Local%0A.json",
    "/2010-04-01/Accounts/{main}/IncomingPhoneNumbers.json%0A",
    "/2010-04-01/Accounts/{main}%0A/IncomingPhoneNumbers.json",
    "/2010-04-01/Accounts/%09/IncomingPhoneNumbers.json",
]
XML_ERROR_TAGS = ["Code", "Message", "MoreInfo", "Status"]


@pytest.mark.parametrize("template", ODD_PATHS)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_odd_paths_get_twilio_errors(live: Live, method: str, template: str) -> None:
    path = template.replace("{main}", live.server.account_sid)
    response = live.http.request(method, path)
    where = f"{method} {response.request.url} -> {response.status_code}: {response.text[:300]!r}"
    assert response.status_code < 500, where
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", "")
    if path.endswith(".json") or content_type.startswith("application/json"):
        try:
            body = response.json()
        except ValueError:
            raise AssertionError(f"4xx body is not JSON: {where}") from None
        assert set(body) == ERROR_KEYS, where
        assert body["status"] == response.status_code, where
        return
    assert content_type.startswith("application/xml"), where
    exc = ET.fromstring(response.content).find("RestException")
    assert exc is not None, where
    assert [child.tag for child in exc] == XML_ERROR_TAGS, where
    assert exc.findtext("Status") == str(response.status_code), where


def test_main_account_survives(live: Live) -> None:
    """Whatever was generated, the main account is still active and still holds its number."""
    resp = live.http.get(f"/2010-04-01/Accounts/{live.server.account_sid}.json")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "active"
    number = live.http.get(
        f"/2010-04-01/Accounts/{live.server.account_sid}/IncomingPhoneNumbers/"
        f"{live.number_sid}.json"
    )
    assert number.status_code == 200, number.text
    assert number.json()["account_sid"] == live.server.account_sid
