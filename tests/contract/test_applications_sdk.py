"""The Applications resource through the official twilio-python SDK, against a real server."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import APPLICATION_WITH_EVERY_FIELD, Server
from errors import assert_sdk_error
from twilio.rest import Client

SID_RE = re.compile(r"^AP[0-9a-f]{32}$")

ALL_PARAMS = APPLICATION_WITH_EVERY_FIELD

URL_ATTRS = (
    "voice_url",
    "voice_fallback_url",
    "status_callback",
    "sms_url",
    "sms_fallback_url",
    "sms_status_callback",
    "message_status_callback",
)
METHOD_ATTRS = (
    "voice_method",
    "voice_fallback_method",
    "status_callback_method",
    "sms_method",
    "sms_fallback_method",
)
BOOL_ATTRS = ("voice_caller_id_lookup", "public_application_connect_enabled")


def _sids(apps: list[Any]) -> list[str]:
    return [a.sid for a in apps]


def _create_many(client: Client, count: int, prefix: str = "app") -> list[str]:
    return [client.applications.create(friendly_name=f"{prefix}-{i}").sid for i in range(count)]


# Create


def test_create_with_all_params_round_trips(server: Server) -> None:
    client = server.client()
    app = client.applications.create(**ALL_PARAMS)
    for name, value in ALL_PARAMS.items():
        assert getattr(app, name) == value, name
    assert SID_RE.match(app.sid)
    assert app.account_sid == server.account_sid

    fetched = client.applications(app.sid).fetch()
    for name, value in ALL_PARAMS.items():
        assert getattr(fetched, name) == value, name
    assert fetched.sid == app.sid


def test_create_with_no_params_has_defaults(server: Server) -> None:
    client = server.client()
    app = client.applications.create()
    assert SID_RE.match(app.sid)
    assert app.account_sid == server.account_sid
    assert app.friendly_name is None
    for name in URL_ATTRS:
        assert getattr(app, name) is None, name
    for name in METHOD_ATTRS:
        assert getattr(app, name) == "POST", name
    for name in BOOL_ATTRS:
        assert getattr(app, name) is False, name
    assert app.api_version == "2010-04-01"
    assert isinstance(app.date_created, datetime)
    assert isinstance(app.date_updated, datetime)
    assert app.date_created.utcoffset() == timedelta(0)
    assert app.uri == f"/2010-04-01/Accounts/{server.account_sid}/Applications/{app.sid}.json"
    assert app.uri.endswith(".json")


def test_create_lowercase_method_is_stored_uppercase(server: Server) -> None:
    client = server.client()
    app = client.applications.create(voice_method="get", sms_method="post")
    assert app.voice_method == "GET"
    assert app.sms_method == "POST"
    fetched = client.applications(app.sid).fetch()
    assert fetched.voice_method == "GET"
    assert fetched.sms_method == "POST"


def test_update_lowercase_method_is_stored_uppercase(server: Server) -> None:
    client = server.client()
    app = client.applications.create()
    updated = client.applications(app.sid).update(voice_method="get", sms_fallback_method="Get")
    assert updated.voice_method == "GET"
    assert updated.sms_fallback_method == "GET"
    assert client.applications(app.sid).fetch().voice_method == "GET"


# Fetch, update, delete


def test_fetch_returns_the_created_record(server: Server) -> None:
    client = server.client()
    app = client.applications.create(friendly_name="fetch me", voice_url="https://example.com/v")
    fetched = client.applications(app.sid).fetch()
    assert fetched.sid == app.sid
    assert fetched.account_sid == server.account_sid
    assert fetched.friendly_name == "fetch me"
    assert fetched.voice_url == "https://example.com/v"
    assert fetched.date_created == app.date_created
    assert fetched.date_updated == app.date_updated
    assert fetched.uri == app.uri


def test_update_changes_only_sent_params(server: Server) -> None:
    client = server.client()
    app = client.applications.create(**ALL_PARAMS)
    updated = client.applications(app.sid).update(
        friendly_name="renamed",
        voice_url="https://example.org/new-voice",
        voice_method="POST",
        public_application_connect_enabled=False,
    )
    changed = {
        "friendly_name": "renamed",
        "voice_url": "https://example.org/new-voice",
        "voice_method": "POST",
        "public_application_connect_enabled": False,
    }
    expected = {**ALL_PARAMS, **changed}
    for record in (updated, client.applications(app.sid).fetch()):
        for name, value in expected.items():
            assert getattr(record, name) == value, name
        assert record.sid == app.sid
        assert record.account_sid == app.account_sid
        assert record.date_created == app.date_created


def test_update_with_no_params_keeps_everything(server: Server) -> None:
    client = server.client()
    app = client.applications.create(**ALL_PARAMS)
    updated = client.applications(app.sid).update()
    for name, value in ALL_PARAMS.items():
        assert getattr(updated, name) == value, name


def test_delete_returns_true_and_fetch_then_404s(server: Server) -> None:
    client = server.client()
    app = client.applications.create(friendly_name="doomed")
    assert client.applications(app.sid).delete() is True
    assert_sdk_error(lambda: client.applications(app.sid).fetch(), 404, 20404)
    assert app.sid not in _sids(client.applications.list())


def test_delete_twice_404s(server: Server) -> None:
    client = server.client()
    app = client.applications.create()
    assert client.applications(app.sid).delete() is True
    assert_sdk_error(lambda: client.applications(app.sid).delete(), 404, 20404)


# List and stream


def test_list_across_pages_in_creation_order(server: Server) -> None:
    client = server.client()
    created = _create_many(client, 7)
    assert created == sorted(created)
    listed = client.applications.list(page_size=2)
    assert _sids(listed) == created
    assert [a.friendly_name for a in listed] == [f"app-{i}" for i in range(7)]


def test_stream_across_pages_in_creation_order(server: Server) -> None:
    client = server.client()
    created = _create_many(client, 7)
    assert _sids(list(client.applications.stream(page_size=3))) == created


def test_list_with_limit(server: Server) -> None:
    client = server.client()
    created = _create_many(client, 7)
    assert _sids(client.applications.list(limit=3)) == created[:3]
    assert _sids(client.applications.list(limit=5, page_size=2)) == created[:5]


def test_list_filters_on_exact_friendly_name(server: Server) -> None:
    client = server.client()
    wanted = [client.applications.create(friendly_name="Alpha Beta").sid for _ in range(3)]
    client.applications.create(friendly_name="Alpha")
    client.applications.create(friendly_name="alpha beta")
    client.applications.create(friendly_name="Alpha Beta ")
    client.applications.create()
    listed = client.applications.list(friendly_name="Alpha Beta", page_size=2)
    assert _sids(listed) == wanted
    assert client.applications.list(friendly_name="nobody") == []


def test_list_empty(server: Server) -> None:
    assert server.client().applications.list() == []


def test_stream_and_delete_removes_everything(server: Server) -> None:
    client = server.client()
    created = _create_many(client, 7)
    deleted: list[str] = []
    for app in client.applications.stream(page_size=2):
        assert app.delete() is True
        deleted.append(app.sid)
    assert deleted == created
    assert client.applications.list() == []


def test_accounts_see_only_their_own_applications(server: Server) -> None:
    client = server.client()
    mine = _create_many(client, 3, "mine")
    other = server.create_account()
    other_client = server.client(other["sid"], other["auth_token"])
    theirs = _create_many(other_client, 2, "theirs")
    assert _sids(client.applications.list()) == mine
    assert _sids(other_client.applications.list()) == theirs
    assert_sdk_error(lambda: other_client.applications(mine[0]).fetch(), 404, 20404)


# Errors


ERROR_CASES: list[tuple[str, dict[str, Any], int, int]] = [
    ("bad voice_url", {"voice_url": "not a url"}, 400, 21402),
    ("ftp voice_url", {"voice_url": "ftp://example.com/x"}, 400, 21402),
    ("bad sms_fallback_url", {"sms_fallback_url": "/relative"}, 400, 21402),
    ("bad status_callback", {"status_callback": "http://"}, 400, 21402),
    ("bad voice_method", {"voice_method": "PUT"}, 400, 21403),
    ("bad sms_method", {"sms_method": "DELETE"}, 400, 21403),
    ("long friendly_name", {"friendly_name": "x" * 65}, 400, 20002),
    ("bad api_version", {"api_version": "2020-01-01"}, 400, 20001),
]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [pytest.param(p, s, c, id=name) for name, p, s, c in ERROR_CASES],
)
def test_create_error_raises_twilio_rest_exception(
    module_server: Server, params: dict[str, Any], status: int, code: int
) -> None:
    client = module_server.client()
    before = _sids(client.applications.list())
    assert_sdk_error(lambda: client.applications.create(**params), status, code)
    assert _sids(client.applications.list()) == before


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [pytest.param(p, s, c, id=name) for name, p, s, c in ERROR_CASES],
)
def test_update_error_raises_and_changes_nothing(
    module_server: Server, params: dict[str, Any], status: int, code: int
) -> None:
    client = module_server.client()
    app = client.applications.create(**ALL_PARAMS)
    assert_sdk_error(
        lambda: client.applications(app.sid).update(**{"friendly_name": "changed?", **params}),
        status,
        code,
    )
    after = client.applications(app.sid).fetch()
    for name, value in ALL_PARAMS.items():
        assert getattr(after, name) == value, name
    assert after.date_updated == app.date_updated


UNKNOWN_SID = "AP" + "0" * 32


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda c: c.applications(UNKNOWN_SID).fetch(), id="fetch"),
        pytest.param(lambda c: c.applications(UNKNOWN_SID).update(friendly_name="x"), id="update"),
        pytest.param(lambda c: c.applications(UNKNOWN_SID).delete(), id="delete"),
        pytest.param(lambda c: c.applications("APnope").fetch(), id="malformed-sid"),
    ],
)
def test_unknown_sid_raises_404(module_server: Server, operation: Callable[[Client], Any]) -> None:
    assert_sdk_error(lambda: operation(module_server.client()), 404, 20404)


def test_wrong_credentials_raise_401(module_server: Server) -> None:
    client = module_server.client(auth_token="0" * 32)
    assert_sdk_error(lambda: client.applications.create(friendly_name="nope"), 401, 20003)
