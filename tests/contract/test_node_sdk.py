"""The Applications resource through twilio-node (the npm package `twilio`, its major version
pinned in node/package.json), against a real server of the session's store kind.

node/sdk.js sets the client up as README says (`client.api.baseUrl`, then `edge`/`region`
cleared) and runs with TWILIO_EDGE and TWILIO_REGION set in its environment: create, fetch,
update, a list across several pages, a list with a limit, delete, and a fetch of the deleted
record, which must be a `RestException` with status 404 and code 20404. It prints what the SDK
returned and every URL it requested; the assertions are here, with raw HTTP to cross-check.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import node_sdk
import pytest
from conftest import Server, clean_env

EDGE_ENV = {"TWILIO_EDGE": "ie1", "TWILIO_REGION": "au1"}
SID_RE = re.compile(r"^AP[0-9a-f]{32}$")
MORE = 4  # applications created besides the first: five in all
PAGE_SIZE = 2  # so the list takes three pages


@pytest.fixture(scope="module")
def node() -> None:
    node_sdk.require()


@pytest.fixture(scope="module")
def crud(module_server: Server, node: None) -> dict[str, Any]:
    job = {
        "url": module_server.url,
        "accountSid": module_server.account_sid,
        "authToken": module_server.auth_token,
        "scenario": "crud",
        "more": MORE,
        "pageSize": PAGE_SIZE,
    }
    result: dict[str, Any] = node_sdk.run(job, clean_env(**EDGE_ENV))
    return result


def test_create_fetch_update(crud: dict[str, Any], module_server: Server) -> None:
    created = crud["created"]
    assert SID_RE.match(created["sid"])
    assert created["accountSid"] == module_server.account_sid
    assert created["friendlyName"] == "node app"
    assert created["voiceUrl"] == "https://example.com/voice"
    assert created["voiceMethod"] == "GET"
    assert created["smsUrl"] == "https://example.com/sms"
    assert created["voiceCallerIdLookup"] is True
    assert crud["fetched"] == created

    updated = crud["updated"]
    assert updated["sid"] == created["sid"]
    assert updated["friendlyName"] == "node app, renamed"
    assert updated["voiceUrl"] == "https://example.com/voice-2"
    assert updated["smsUrl"] == "https://example.com/sms"  # only what was sent changes
    assert updated["dateCreated"] == created["dateCreated"]
    assert datetime.fromisoformat(updated["dateUpdated"]) >= datetime.fromisoformat(
        created["dateUpdated"]
    )


def test_list_across_pages(crud: dict[str, Any], module_server: Server) -> None:
    everything = [crud["created"]["sid"], *crud["others"]]
    assert len(everything) == 1 + MORE
    assert crud["listed"] == everything
    assert crud["limited"] == everything[:3]

    path = f"{module_server.url}/2010-04-01/Accounts/{module_server.account_sid}/Applications.json"
    pages = [
        r["url"]
        for r in crud["requests"]
        if r["method"] == "GET" and r["url"].startswith(f"{path}?")
    ]
    # The unlimited list: the first page, then a next page per PageToken, to the end.
    assert [parse_qs(urlsplit(url).query) for url in pages[:3]] == [
        {"PageSize": ["2"]},
        {"PageSize": ["2"], "Page": ["1"], "PageToken": [f"PA{everything[1]}"]},
        {"PageSize": ["2"], "Page": ["2"], "PageToken": [f"PA{everything[3]}"]},
    ]


def test_delete_then_fetch_is_a_404_rest_exception(
    crud: dict[str, Any], module_server: Server
) -> None:
    sid = crud["created"]["sid"]
    assert crud["removed"] is True
    missing = crud["missing"]
    assert missing is not None, "fetching the deleted application did not throw"
    assert missing["restException"] is True
    assert missing["status"] == 404
    assert missing["code"] == 20404
    assert sid in missing["message"]
    assert missing["moreInfo"] == "https://www.twilio.com/docs/errors/20404"
    assert crud["after"] == crud["others"]
    with module_server.http() as http:
        assert http.get(module_server.apps_path(suffix="") + f"/{sid}.json").status_code == 404


def test_every_request_reached_the_local_server(
    crud: dict[str, Any], module_server: Server
) -> None:
    # TWILIO_EDGE/TWILIO_REGION were set in node's environment; the recipe kept the host.
    methods = [r["method"] for r in crud["requests"]]
    assert methods.count("POST") == 2 + MORE  # creates and the update
    assert methods.count("DELETE") == 1
    assert all(r["url"].startswith(f"{module_server.url}/2010-04-01/") for r in crud["requests"])
    with module_server.http() as http:
        listed = http.get(module_server.apps_path(), params={"PageSize": 1000}).json()
    assert [a["sid"] for a in listed["applications"]] == crud["others"]
