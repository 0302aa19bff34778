"""The dispatcher in-process, over a fake store: path -> route -> auth -> handler -> reply,
with no server, no socket and no database. (The same paths over HTTP, against both real stores,
are tests/api/.)"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import pytest
from errors import assert_error

from switchboard.api.context import Services
from switchboard.api.dispatch import Dispatcher
from switchboard.api.render import Reply
from switchboard.config import Settings
from switchboard.store.base import Store
from switchboard.store.tx import Keyset
from switchboard.twilio.resources import Account, Record
from switchboard.twilio.sids import SidSource

TOKEN = "t" * 32
MAIN = Account("AC" + "1" * 32, "AC" + "1" * 32, "Main", "active", "Full", TOKEN, True, 0, 0)
OTHER = Account("AC" + "2" * 32, "AC" + "2" * 32, "Other", "active", "Full", "u" * 32, False, 0, 0)
NOW = 1_700_000_000_000_000


class FakeStore(Store):
    """Accounts and applications in dictionaries: just what these requests need."""

    def __init__(self) -> None:
        self.clock = lambda: NOW
        self.sids = SidSource(lambda: NOW // 1000)
        self.accounts = {a.sid: a for a in (MAIN, OTHER)}
        self.apps: dict[str, Record] = {}

    async def get_account(self, sid: str) -> Account | None:
        return self.accounts.get(sid)

    async def get_key(self, sid: str) -> Record | None:
        return None

    async def create_application(self, account_sid: str, values: dict[str, Any]) -> Record:
        sid = self.sids.new("AP")
        record = {**values, "sid": sid, "account_sid": account_sid}
        record.update(date_created=NOW, date_updated=NOW)
        self.apps[sid] = record
        return record

    async def get_application(self, account_sid: str, sid: str) -> Record | None:
        record = self.apps.get(sid)
        return record if record and record["account_sid"] == account_sid else None

    async def application_account(self, sid: str) -> str | None:
        return self.apps[sid]["account_sid"] if sid in self.apps else None

    async def list_applications(
        self, account_sid: str, *, friendly_name: str | None, page: Keyset
    ) -> list[Record]:
        rows = sorted(
            (r for r in self.apps.values() if r["account_sid"] == account_sid),
            key=lambda r: r["sid"],
        )
        return [r for r in rows if page.after is None or r["sid"] > page.after][: page.limit]


def _unsupported(name: str) -> Callable[..., Any]:
    async def method(self: FakeStore, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(name)

    return method


for _name in Store.__abstractmethods__:
    if _name not in FakeStore.__dict__:
        setattr(FakeStore, _name, _unsupported(_name))
FakeStore.__abstractmethods__ = frozenset()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


def call(
    store: FakeStore,
    method: str,
    path: str,
    form: dict[str, str] | None = None,
    *,
    auth: Account | None = MAIN,
) -> Reply:
    headers = []
    if auth is not None:
        basic = base64.b64encode(f"{auth.sid}:{auth.auth_token}".encode()).decode()
        headers.append((b"authorization", f"Basic {basic}".encode()))
    body = urlencode(form or {}).encode()
    if form is not None:
        headers.append((b"content-type", b"application/x-www-form-urlencoded"))
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1234),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    dispatcher = Dispatcher(Services(store, Settings()))
    return asyncio.run(dispatcher.handle(scope, receive))


def apps(account: Account = MAIN) -> str:
    return f"/2010-04-01/Accounts/{account.sid}/Applications"


def test_create_then_fetch_json_and_xml(store: FakeStore) -> None:
    created = call(store, "POST", apps() + ".json", {"FriendlyName": "IVR"})
    assert created.status == 201
    body = orjson.loads(created.body)
    assert body["friendly_name"] == "IVR"
    assert body["voice_method"] == "POST"
    assert body["uri"] == f"{apps()}/{body['sid']}.json"
    assert body["date_created"] == "Tue, 14 Nov 2023 22:13:20 +0000"
    fetched = call(store, "GET", f"{apps()}/{body['sid']}.json")
    assert (fetched.status, orjson.loads(fetched.body)) == (200, body)
    xml = call(store, "GET", f"{apps()}/{body['sid']}").body.decode()
    assert f"<Uri>{apps()}/{body['sid']}</Uri>" in xml
    assert xml.startswith("<?xml version='1.0' encoding='UTF-8'?><TwilioResponse><Application>")


def test_list_page_envelope(store: FakeStore) -> None:
    for i in range(3):
        call(store, "POST", apps() + ".json", {"FriendlyName": f"a{i}"})
    reply = call(store, "GET", apps() + ".json")
    body = orjson.loads(reply.body)
    assert [a["friendly_name"] for a in body["applications"]] == ["a0", "a1", "a2"]
    assert body["uri"] == f"{apps()}.json?PageSize=50&Page=0"
    assert body["next_page_uri"] is None


def as_response(reply: Reply) -> httpx.Response:
    """A reply as the response tests/errors.py checks (every path here asks for JSON)."""
    return httpx.Response(reply.status, headers=reply.headers, content=reply.body)


def test_errors_are_twilio_shaped(store: FakeStore) -> None:
    missing = call(store, "GET", f"{apps()}/AP{'0' * 32}.json")
    assert_error(as_response(missing), 404, 20404, xml=False)
    unauth = call(store, "GET", apps() + ".json", auth=None)
    assert_error(as_response(unauth), 401, 20003, xml=False)
    foreign = call(store, "GET", apps(OTHER) + ".json")
    assert_error(as_response(foreign), 401, 20003, xml=False)
    bad = call(store, "POST", apps() + ".json", {"VoiceUrl": "not a url"})
    assert_error(as_response(bad), 400, 21402, xml=False)
    assert store.apps == {}


def test_method_not_allowed_names_the_allowed_methods(store: FakeStore) -> None:
    reply = call(store, "PUT", apps() + ".json")
    assert_error(as_response(reply), 405, 20004, xml=False)
    assert (b"allow", b"GET, POST") in reply.headers


def test_unknown_path_is_twilio_404(store: FakeStore) -> None:
    reply = call(store, "GET", "/2010-04-01/Nothing.json")
    message = "The requested resource /2010-04-01/Nothing.json was not found"
    assert_error(as_response(reply), 404, 20404, message, xml=False)


def test_unexpected_store_failure_is_500_without_details(store: FakeStore) -> None:
    # Deleting is not implemented by the fake: the dispatcher must answer a clean 500.
    created = orjson.loads(call(store, "POST", apps() + ".json").body)
    reply = call(store, "DELETE", f"{apps()}/{created['sid']}.json")
    assert reply.status == 500
    assert orjson.loads(reply.body) == {
        "code": 20500,
        "message": "An internal server error has occurred",
        "more_info": "https://www.twilio.com/docs/errors/20500",
        "status": 500,
    }


def test_repeated_parameters_first_wins_and_getall_keeps_every_value() -> None:
    from switchboard.api.wire import parse_query

    params = parse_query(b"Input=1&Body=a&Input=2&Input=speech%3Ayes")
    assert params["Input"] == "1"
    assert params.getall("Input") == ["1", "2", "speech:yes"]
    assert params.getall("Missing") == []
    assert dict(params) == {"Input": "1", "Body": "a"}
