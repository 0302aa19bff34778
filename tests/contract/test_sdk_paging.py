"""Both official SDKs' `list(limit=2500)` over lists longer than a page can be.

The SDKs send `PageSize=2500` uncapped and rely on the server to serve pages of at most 1000, as
Twilio does; the next page's URI then says `PageSize=1000`. Every record must come back exactly
once, in creation order: over 1100 incoming numbers (no per-account cap; also through the typed
`Local` list) and over exactly 1000 applications (the cap: one full page and no next one). The
records are loaded with `switchboard seed` (the store's bulk path: one transaction, in file
order) into an account of their own, on a server of the session's store kind.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import node_sdk
import pytest
from conftest import Server, clean_env, run_cli

LIMIT = 2500
NUMBERS = [f"+14152{i:06d}" for i in range(1100)]
APP_NAMES = [f"app-{i:04d}" for i in range(1000)]
EDGE_ENV = {"TWILIO_EDGE": "ie1", "TWILIO_REGION": "au1"}


@dataclass(frozen=True)
class Live:
    """The module's server, and the account the records were seeded into."""

    server: Server
    sid: str
    token: str


@dataclass(frozen=True)
class Case:
    python: str  # attribute path from twilio-python's Client
    node: str  # attribute path from twilio-node's client
    list_path: str  # under /2010-04-01/Accounts/{AC}
    key: str  # the record's attribute that names it in the fixture (twilio-python's spelling)
    node_key: str  # the same in twilio-node's spelling
    expected: list[str]  # those names, in the order they were created


CASES = [
    Case(
        "incoming_phone_numbers",
        "incomingPhoneNumbers",
        "/IncomingPhoneNumbers.json",
        "phone_number",
        "phoneNumber",
        NUMBERS,
    ),
    Case(
        "incoming_phone_numbers.local",
        "incomingPhoneNumbers.local",
        "/IncomingPhoneNumbers/Local.json",
        "phone_number",
        "phoneNumber",
        NUMBERS,
    ),
    Case(
        "applications",
        "applications",
        "/Applications.json",
        "friendly_name",
        "friendlyName",
        APP_NAMES,
    ),
]
IDS = ["numbers", "local-numbers", "applications"]


@pytest.fixture(scope="module")
def live(module_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Live:
    sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    account = {
        "sid": sid,
        "auth_token": token,
        "friendly_name": "Paging",
        "applications": [{"friendly_name": name} for name in APP_NAMES],
        "incoming_phone_numbers": [{"phone_number": number} for number in NUMBERS],
    }
    fixture = tmp_path_factory.mktemp("paging") / "paging.json"
    fixture.write_text(json.dumps({"accounts": [account]}))
    out = run_cli("seed", str(fixture), database_url=module_server.database_url)
    assert "applications: 1000 created" in out.stdout, out.stdout
    assert "numbers: 1100 created" in out.stdout, out.stdout
    return Live(module_server, sid, token)


def resolve(root: Any, dotted: str) -> Any:
    for name in dotted.split("."):
        root = getattr(root, name)
    return root


def assert_pages(case: Case, urls: list[str], sids: list[str], live: Live) -> None:
    """The SDK asked for PageSize=2500 first, then followed next pages of 1000 to the end."""
    path = f"/2010-04-01/Accounts/{live.sid}{case.list_path}"
    assert all(url.startswith(live.server.url + path) for url in urls), urls
    queries = [parse_qs(urlsplit(url).query) for url in urls]
    expected = [{"PageSize": [str(LIMIT)]}] + [
        {"PageSize": ["1000"], "Page": [str(n)], "PageToken": [f"PA{sids[1000 * n - 1]}"]}
        for n in range(1, (len(sids) + 999) // 1000)
    ]
    assert queries == expected


def assert_every_record_once_in_order(case: Case, sids: list[str], keys: list[str]) -> None:
    assert keys == case.expected  # exactly once each, in the order they were created
    assert sids == sorted(set(sids))
    assert all(re.fullmatch(r"(PN|AP)[0-9a-f]{32}", sid) for sid in sids)


# twilio-python


@pytest.fixture
def recorded(live: Live, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[str]]:
    """twilio-python for the seeded account, with TWILIO_EDGE/REGION set, recording every URL."""
    for name, value in EDGE_ENV.items():
        monkeypatch.setenv(name, value)
    client = live.server.client(live.sid, live.token)
    urls: list[str] = []
    send: Callable[..., Any] = client.http_client.request

    def request(method: str, url: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
        urls.append(f"{url}?{query}" if query else url)
        return send(method, url, params=params, **kw)

    client.http_client.request = request  # type: ignore[method-assign]
    return client, urls


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_python_list_with_limit_2500(case: Case, live: Live, recorded: Any) -> None:
    client, urls = recorded
    records = resolve(client, case.python).list(limit=LIMIT)
    sids = [r.sid for r in records]
    assert_every_record_once_in_order(case, sids, [getattr(r, case.key) for r in records])
    assert_pages(case, urls, sids, live)


def test_python_stream_with_limit_stops_at_the_limit(live: Live, recorded: Any) -> None:
    client, urls = recorded
    records = list(client.incoming_phone_numbers.stream(limit=1050))
    assert [r.phone_number for r in records] == NUMBERS[:1050]
    assert len(urls) == 2


# twilio-node


@pytest.fixture(scope="module")
def node() -> None:
    node_sdk.require()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_node_list_with_limit_2500(case: Case, live: Live, node: None) -> None:
    job = {
        "url": live.server.url,
        "accountSid": live.sid,
        "authToken": live.token,
        "scenario": "list",
        "resource": case.node,
        "key": case.node_key,
        "limit": LIMIT,
    }
    result = node_sdk.run(job, clean_env(**EDGE_ENV))
    assert all(r["method"] == "GET" for r in result["requests"])
    assert_every_record_once_in_order(case, result["sids"], result["keys"])
    assert_pages(case, [r["url"] for r in result["requests"]], result["sids"], live)
