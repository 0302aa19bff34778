"""`switchboard.testing.mock()`: inside it every `twilio.rest.Client` of the process, however
and whenever it was made, talks to a fresh in-process Switchboard; leaving it restores each
client's own HTTP client. (In-process only: no store parameter, these run once.)"""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

import pytest
from twilio.base.client_base import ClientBase
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from switchboard.testing import Engine, InProcessHttpClient, Switchboard, mock
from switchboard.testing.mocking import _active

SID = "AC" + "a1" * 16
TOKEN = "code-under-test-token"


def engine_folder(switchboard: Switchboard) -> Path:
    url = switchboard.engine.database_url
    assert url is not None
    return Path(url.removeprefix("sqlite:///")).parent


def assert_restored() -> None:
    assert "http_client" not in ClientBase.__dict__
    assert _active == []


def test_client_reading_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    with mock() as switchboard:
        client = Client()  # what code under test usually does
        app = client.applications.create(friendly_name="from env")
        assert app.account_sid == SID
        # The environment's account is the main one, as with `switchboard serve`.
        assert (switchboard.account_sid, switchboard.auth_token) == (SID, TOKEN)
        assert [a.sid for a in switchboard.client().applications.list()] == [app.sid]
    assert_restored()


def test_a_client_made_before_the_mock_and_after_it() -> None:
    before = Client(SID, TOKEN)  # a module-level client in the code under test
    own = before.http_client
    assert isinstance(own, TwilioHttpClient)
    with mock() as switchboard:
        app = before.applications.create(friendly_name="made before")
        assert before.http_client.timeout is own.timeout  # the rest is still its own
    assert before.http_client is own
    assert app.sid.startswith("AP")
    assert switchboard.engine.database_url is None  # its engine stopped with the mock
    assert_restored()


def test_a_client_with_an_http_client_of_its_own() -> None:
    with mock():
        custom = TwilioHttpClient(timeout=3)
        client = Client(SID, TOKEN, http_client=custom)
        client.applications.create(friendly_name="custom")
        assert client.applications.list()[0].friendly_name == "custom"
    assert client.http_client is custom


def test_an_explicit_in_process_client_is_kept(tmp_path: Path) -> None:
    with Engine(provision=True) as other:
        explicit = InProcessHttpClient(other)
        with mock() as switchboard:
            client = Client(SID, TOKEN, http_client=explicit)
            client.applications.create(friendly_name="elsewhere")
            assert client.http_client is explicit
            assert Client(SID, TOKEN).applications.list() == []  # the mock's engine
            assert switchboard.engine is not other
        assert [a.friendly_name for a in client.applications.list()] == ["elsewhere"]


def test_the_async_api() -> None:
    async def code_under_test() -> list[str]:
        client = Client(SID, TOKEN, http_client=AsyncTwilioHttpClient())
        await client.applications.create_async(friendly_name="async")
        apps = await client.applications.list_async()
        await client.http_client.close()
        return [a.friendly_name for a in apps]

    with mock():
        assert asyncio.run(code_under_test()) == ["async"]
    assert_restored()


def test_api_keys_and_subaccounts() -> None:
    key, secret, sub = "SK" + secrets.token_hex(16), "key-secret", "AC" + secrets.token_hex(16)
    with mock():
        by_key = Client(key, secret, account_sid=SID)
        assert by_key.applications.create(friendly_name="by key").account_sid == SID
        in_sub = Client(SID, TOKEN, account_sid=sub)
        assert in_sub.applications.create(friendly_name="in sub").account_sid == sub
        assert Client(SID, TOKEN).api.accounts(sub).fetch().owner_account_sid == SID
        with pytest.raises(TwilioRestException) as refused:
            Client(SID, "not-the-token").applications.create(friendly_name="x")
        assert refused.value.status == 401


def test_each_decorated_call_gets_a_fresh_switchboard() -> None:
    @mock()
    def signup(name: str) -> list[str]:
        client = Client(SID, TOKEN)
        client.applications.create(friendly_name=name)
        return [a.friendly_name for a in client.applications.list()]

    assert signup("first") == ["first"]
    assert signup("second") == ["second"]
    assert signup.__name__ == "signup"
    assert_restored()


def test_decorating_a_coroutine_function() -> None:
    @mock()
    async def signup() -> str:
        client = Client(SID, TOKEN)
        return str(client.applications.create(friendly_name="coroutine").friendly_name)

    assert asyncio.run(signup()) == "coroutine"
    assert_restored()


def test_mocks_nest_and_the_innermost_answers() -> None:
    with mock() as outer:
        Client(SID, TOKEN).applications.create(friendly_name="outer")
        with mock() as inner:
            assert Client(SID, TOKEN).applications.list() == []
            Client(SID, TOKEN).applications.create(friendly_name="inner")
            assert inner.engine is not outer.engine
        assert [a.friendly_name for a in Client(SID, TOKEN).applications.list()] == ["outer"]
        assert "http_client" in ClientBase.__dict__
    assert_restored()


def test_leaving_restores_everything_even_after_an_error() -> None:
    client = Client(SID, TOKEN)
    own = client.http_client
    with pytest.raises(ZeroDivisionError), mock() as switchboard:
        folder = engine_folder(switchboard)
        assert folder.is_dir()
        _ = 1 / 0
    assert client.http_client is own
    assert not folder.exists()  # the engine stopped and its database went with it
    assert switchboard.engine.app is None
    assert_restored()


def test_one_mock_cannot_be_entered_twice() -> None:
    active = mock()
    with active, pytest.raises(RuntimeError, match="already active"):
        active.__enter__()
    assert_restored()


def test_the_environment_is_read_only_when_both_variables_are_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    with mock() as switchboard:
        assert switchboard.account_sid != SID
        assert switchboard.account_sid.startswith("AC")
    assert "TWILIO_AUTH_TOKEN" not in os.environ
