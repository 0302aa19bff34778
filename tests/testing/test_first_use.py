"""Credentials accepted on first use (`Engine(provision=True)`, what `mock()` runs): the SID and
token, API key or subaccount the code under test uses are created before its first request, and
nothing else is: wrong secrets are still refused, as Twilio refuses them."""

from __future__ import annotations

import secrets

import pytest
import testing_fixtures
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from switchboard.testing import InProcessHttpClient
from switchboard.testing.engine import Engine
from switchboard.testing.provision import Provisioner

ENGINE_OPTIONS = {"provision": True}
engine = testing_fixtures.engine


def sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@pytest.fixture
def http(engine: Engine) -> InProcessHttpClient:
    engine.reset()
    return InProcessHttpClient(engine)


def test_an_account_sid_and_token_make_that_account(http: InProcessHttpClient) -> None:
    account_sid, token = sid("AC"), "whatever-the-code-uses"
    client = Client(account_sid, token, http_client=http)
    app = client.applications.create(friendly_name="first use")
    assert app.account_sid == account_sid
    account = client.api.accounts(account_sid).fetch()
    assert account.owner_account_sid == account_sid  # top-level
    assert account.status == "active"


def test_another_token_for_a_known_account_is_refused(http: InProcessHttpClient) -> None:
    account_sid = sid("AC")
    Client(account_sid, "right", http_client=http).applications.create(friendly_name="a")
    with pytest.raises(TwilioRestException) as refused:
        Client(account_sid, "wrong", http_client=http).applications.create(friendly_name="b")
    assert (refused.value.status, refused.value.code) == (401, 20003)
    with pytest.raises(TwilioRestException) as still:
        # Wrong credentials create nothing, not even the subaccount their path names.
        client = Client(account_sid, "wrong", account_sid=sid("AC"), http_client=http)
        client.applications.create(friendly_name="c")
    assert still.value.status == 401


def test_an_api_key_with_account_sid(http: InProcessHttpClient) -> None:
    key_sid, secret, account_sid = sid("SK"), "key-secret", sid("AC")
    client = Client(key_sid, secret, account_sid=account_sid, http_client=http)
    app = client.applications.create(friendly_name="by key")
    assert app.account_sid == account_sid
    assert client.applications(app.sid).fetch().friendly_name == "by key"
    with pytest.raises(TwilioRestException) as refused:
        Client(key_sid, "other", account_sid=account_sid, http_client=http).applications(
            app.sid
        ).fetch()
    assert refused.value.status == 401


def test_a_key_for_an_existing_account(http: InProcessHttpClient, engine: Engine) -> None:
    account = engine.create_account()
    key_sid = sid("SK")
    client = Client(key_sid, "s3cret", account_sid=account.sid, http_client=http)
    client.applications.create(friendly_name="keyed")
    owner = Client(account.sid, account.auth_token, http_client=http)
    assert [a.friendly_name for a in owner.applications.list()] == ["keyed"]
    assert [k.sid for k in owner.keys.list()] == [key_sid]


def test_a_path_naming_an_unknown_account_makes_a_subaccount(http: InProcessHttpClient) -> None:
    parent, sub = sid("AC"), sid("AC")
    client = Client(parent, "parent-token", account_sid=sub, http_client=http)
    app = client.applications.create(friendly_name="in the subaccount")
    assert app.account_sid == sub
    fetched = Client(parent, "parent-token", http_client=http).api.accounts(sub).fetch()
    assert fetched.owner_account_sid == parent


def test_a_subaccount_gets_no_subaccounts(http: InProcessHttpClient, engine: Engine) -> None:
    parent, sub = sid("AC"), sid("AC")
    Client(parent, "p", account_sid=sub, http_client=http).applications.list()
    sub_token = Client(parent, "p", http_client=http).api.accounts(sub).fetch().auth_token
    deeper = sid("AC")
    with pytest.raises(TwilioRestException) as refused:
        Client(sub, sub_token, account_sid=deeper, http_client=http).applications.create(
            friendly_name="x"
        )
    assert refused.value.status in (401, 404)
    assert engine.run(engine.store.get_account(deeper)) is None


def test_after_a_reset_what_was_used_is_made_again(
    http: InProcessHttpClient, engine: Engine
) -> None:
    account_sid = sid("AC")
    client = Client(account_sid, "t", http_client=http)
    client.applications.create(friendly_name="before")
    engine.reset()
    assert engine.run(engine.store.get_account(account_sid)) is None
    assert client.applications.list() == []
    assert engine.run(engine.store.get_account(account_sid)) is not None


def test_malformed_credentials_are_left_to_the_api(
    http: InProcessHttpClient, engine: Engine
) -> None:
    with pytest.raises(TwilioRestException) as refused:
        Client("ACnot-a-sid", "t", http_client=http).applications.create(friendly_name="x")
    assert refused.value.status in (401, 404)
    accounts = engine.run(engine.store.list_accounts())
    assert [a.sid for a in accounts] == [engine.main.sid]  # type: ignore[union-attr]


def test_concurrent_first_uses_make_one_account(engine: Engine) -> None:
    engine.reset()
    provisioner = Provisioner(engine.store)
    account_sid = sid("AC")
    path = f"/2010-04-01/Accounts/{account_sid}/Applications.json"

    async def race() -> None:
        import asyncio

        await asyncio.gather(*(provisioner.ensure(account_sid, "t", path) for _ in range(5)))

    engine.run(race())
    accounts = engine.run(engine.store.list_accounts())
    assert [a.sid for a in accounts].count(account_sid) == 1


def test_an_account_made_for_a_key_takes_the_first_token_used(http: InProcessHttpClient) -> None:
    key_sid, account_sid = sid("SK"), sid("AC")
    Client(key_sid, "k", account_sid=account_sid, http_client=http).applications.list()
    client = Client(account_sid, "the-code's-token", http_client=http)
    assert client.applications.create(friendly_name="adopted").account_sid == account_sid
    with pytest.raises(TwilioRestException) as refused:
        Client(account_sid, "a-third-token", http_client=http).applications.create(
            friendly_name="x"
        )
    assert refused.value.status == 401
