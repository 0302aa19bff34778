"""API keys: the Keys resource, authenticating with a key, what a key may not do, stored secrets,
and Access Tokens signed with a key made through the API or the CLI, verified against the
server's database."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
from typing import Any

import pytest
from conftest import Creds, Server, query, random_number, run_cli
from errors import assert_error, assert_sdk_error
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant
from twilio.rest import Client

from switchboard.store import open_store
from switchboard.twilio import tokens
from switchboard.twilio.errors import TwilioError

ROOT = "/2010-04-01/Accounts"
SK_RE = re.compile(r"^SK[0-9a-f]{32}$")
UNKNOWN_SK = "SK" + "0123456789abcdef" * 2


@pytest.fixture
def account(module_server: Server) -> Creds:
    """A fresh subaccount of the main account: its keys and resources are this test's alone."""
    return module_server.subaccount(friendly_name="Keys test")


def keys_path(account_sid: str, sid: str | None = None) -> str:
    base = f"{ROOT}/{account_sid}/Keys"
    return f"{base}.json" if sid is None else f"{base}/{sid}.json"


def apps_path(account_sid: str, sid: str | None = None) -> str:
    base = f"{ROOT}/{account_sid}/Applications"
    return f"{base}.json" if sid is None else f"{base}/{sid}.json"


def numbers_path(account_sid: str, sid: str | None = None) -> str:
    base = f"{ROOT}/{account_sid}/IncomingPhoneNumbers"
    return f"{base}.json" if sid is None else f"{base}/{sid}.json"


def create_key(server: Server, owner: Creds, name: str = "A key") -> dict[str, Any]:
    with server.http(owner.sid, owner.token) as h:
        resp = h.post(keys_path(owner.sid), data={"FriendlyName": name})
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def cli_keys_create(
    server: Server, account_sid: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`switchboard keys create --account AC… --json` on the server's database."""
    return run_cli(
        "keys",
        "create",
        "--account",
        account_sid,
        "--json",
        database_url=server.database_url,
        check=check,
    )


def key_client(server: Server, key_sid: str, secret: str, account_sid: str) -> Client:
    client = Client(username=key_sid, password=secret, account_sid=account_sid)
    client.api.base_url = server.url
    client.edge = client.region = None  # as README says: ignore TWILIO_EDGE / TWILIO_REGION
    return client


# The Keys resource


def test_key_lifecycle_http(module_server: Server, account: Creds) -> None:
    with module_server.http(account.sid, account.token) as h:
        created = h.post(keys_path(account.sid), data={"FriendlyName": "Deploy key"})
        assert created.status_code == 201, created.text
        assert created.headers["content-type"].startswith("application/json")
        key = created.json()
        sid = key["sid"]
        assert SK_RE.match(sid), sid
        assert isinstance(key["secret"], str) and len(key["secret"]) >= 16
        assert key["friendly_name"] == "Deploy key"
        assert key["date_created"] and key["date_updated"]

        fetched = h.get(keys_path(account.sid, sid))
        assert fetched.status_code == 200, fetched.text
        assert "secret" not in fetched.json()
        assert fetched.json()["sid"] == sid
        assert fetched.json()["friendly_name"] == "Deploy key"
        assert key["secret"] not in fetched.text

        listed = h.get(keys_path(account.sid))
        assert listed.status_code == 200, listed.text
        assert [k["sid"] for k in listed.json()["keys"]] == [sid]
        assert all("secret" not in k for k in listed.json()["keys"])
        assert key["secret"] not in listed.text

        updated = h.post(keys_path(account.sid, sid), data={"FriendlyName": "Renamed key"})
        assert updated.status_code == 200, updated.text
        assert updated.json()["friendly_name"] == "Renamed key"
        assert "secret" not in updated.json()
        assert h.get(keys_path(account.sid, sid)).json()["friendly_name"] == "Renamed key"
        too_long = h.post(keys_path(account.sid, sid), data={"FriendlyName": "x" * 65})
        assert_error(too_long, 400, 20002)

        deleted = h.delete(keys_path(account.sid, sid))
        assert deleted.status_code == 204, deleted.text
        assert deleted.content == b""
        assert_error(h.get(keys_path(account.sid, sid)), 404, 20404)
        assert_error(h.delete(keys_path(account.sid, sid)), 404, 20404)
        assert h.get(keys_path(account.sid)).json()["keys"] == []


def test_key_lifecycle_sdk(module_server: Server, account: Creds) -> None:
    client = module_server.client(account.sid, account.token)
    new = client.new_keys.create(friendly_name="SDK key")
    assert new.sid is not None and SK_RE.match(new.sid)
    assert new.secret
    assert new.friendly_name == "SDK key"
    assert [k.sid for k in client.keys.list()] == [new.sid]
    fetched = client.keys(new.sid).fetch()
    assert fetched.sid == new.sid
    assert fetched.friendly_name == "SDK key"
    assert not hasattr(fetched, "secret")
    assert client.keys(new.sid).update(friendly_name="SDK renamed").friendly_name == "SDK renamed"
    assert client.keys(new.sid).fetch().friendly_name == "SDK renamed"
    assert client.keys(new.sid).delete() is True
    assert_sdk_error(lambda: client.keys(new.sid).fetch(), 404, 20404)
    assert client.keys.list() == []


def test_keys_are_per_account(module_server: Server, account: Creds) -> None:
    key = create_key(module_server, account)
    with module_server.http() as h:  # the main account: the key is its subaccount's, not its own
        assert_error(h.get(keys_path(module_server.account_sid, key["sid"])), 404, 20404)
        main_keys = h.get(keys_path(module_server.account_sid)).json()["keys"]
        assert key["sid"] not in {k["sid"] for k in main_keys}
    with module_server.http(account.sid, account.token) as h:
        assert_error(h.get(keys_path(account.sid, UNKNOWN_SK)), 404, 20404)
        assert_error(h.get(keys_path(account.sid, "SKnot-a-sid")), 404, 20404)


# Authenticating with a key


def test_key_authenticates_for_applications_and_numbers(
    module_server: Server, account: Creds
) -> None:
    key = create_key(module_server, account)
    client = key_client(module_server, key["sid"], key["secret"], account.sid)
    app = client.applications.create(friendly_name="made with a key")
    assert app.account_sid == account.sid
    assert [a.sid for a in client.applications.list()] == [app.sid]
    assert client.applications(app.sid).fetch().friendly_name == "made with a key"
    number = client.incoming_phone_numbers.create(
        phone_number=random_number(), voice_application_sid=app.sid
    )
    assert number.account_sid == account.sid
    assert number.voice_application_sid == app.sid
    assert [n.sid for n in client.incoming_phone_numbers.list()] == [number.sid]
    assert client.incoming_phone_numbers(number.sid).fetch().sid == number.sid
    assert client.incoming_phone_numbers(number.sid).delete() is True
    assert client.applications(app.sid).delete() is True
    assert client.applications.list() == []
    assert client.incoming_phone_numbers.list() == []
    # The same over raw HTTP.
    with module_server.http(key["sid"], key["secret"]) as h:
        made = h.post(apps_path(account.sid), data={"FriendlyName": "http key app"})
        assert made.status_code == 201, made.text
        assert h.get(apps_path(account.sid, made.json()["sid"])).status_code == 200
        num = h.post(numbers_path(account.sid), data={"AreaCode": "415"})
        assert num.status_code == 201, num.text
        assert h.get(numbers_path(account.sid, num.json()["sid"])).status_code == 200
        assert h.delete(numbers_path(account.sid, num.json()["sid"])).status_code == 204
        assert h.delete(apps_path(account.sid, made.json()["sid"])).status_code == 204


def test_key_acts_only_as_its_account(module_server: Server, account: Creds) -> None:
    key = create_key(module_server, account)
    with module_server.http(key["sid"], key["secret"]) as h:
        assert_error(h.get(apps_path(module_server.account_sid)), 401, 20003)
        assert_error(
            h.post(numbers_path(module_server.account_sid), data={"AreaCode": "415"}), 401, 20003
        )


def test_wrong_secret_is_refused(module_server: Server, account: Creds) -> None:
    key = create_key(module_server, account)
    wrong = ("0" if key["secret"][0] != "0" else "1") + key["secret"][1:]
    with module_server.http(key["sid"], wrong) as h:
        assert_error(h.get(apps_path(account.sid)), 401, 20003)
    with module_server.http(key["sid"], "") as h:
        assert_error(h.get(apps_path(account.sid)), 401, 20003)
    with module_server.http(UNKNOWN_SK, key["secret"]) as h:
        assert_error(h.get(apps_path(account.sid)), 401, 20003)
    # The key's secret is not the account's token, and the token does not work with the key SID.
    with module_server.http(key["sid"], account.token) as h:
        assert_error(h.get(apps_path(account.sid)), 401, 20003)
    with module_server.http(account.sid, key["secret"]) as h:
        assert_error(h.get(apps_path(account.sid)), 401, 20003)
    client = key_client(module_server, key["sid"], wrong, account.sid)
    assert_sdk_error(lambda: client.applications.create(friendly_name="x"), 401, 20003)
    assert_sdk_error(lambda: client.applications.list(), 401, 20003)


def test_deleted_key_is_refused(module_server: Server, account: Creds) -> None:
    key = create_key(module_server, account)
    with module_server.http(key["sid"], key["secret"]) as h:
        assert h.get(apps_path(account.sid)).status_code == 200
    with module_server.http(account.sid, account.token) as h:
        assert h.delete(keys_path(account.sid, key["sid"])).status_code == 204
    with module_server.http(key["sid"], key["secret"]) as h:
        assert_error(h.get(apps_path(account.sid)), 401, 20003)
        assert_error(h.post(apps_path(account.sid), data={"FriendlyName": "x"}), 401, 20003)
    client = key_client(module_server, key["sid"], key["secret"], account.sid)
    assert_sdk_error(lambda: client.applications.list(), 401, 20003)


def test_key_of_suspended_account_is_refused(module_server: Server, account: Creds) -> None:
    key = create_key(module_server, account)
    with module_server.http() as h:
        resp = h.post(f"{ROOT}/{account.sid}.json", data={"Status": "suspended"})
        assert resp.status_code == 200, resp.text
    with module_server.http(key["sid"], key["secret"]) as h:
        assert_error(h.get(apps_path(account.sid)), 401, 20005)
    with module_server.http() as h:
        assert h.post(f"{ROOT}/{account.sid}.json", data={"Status": "active"}).status_code == 200
    with module_server.http(key["sid"], key["secret"]) as h:
        assert h.get(apps_path(account.sid)).status_code == 200


def test_standard_key_cannot_manage_accounts_or_keys(module_server: Server, account: Creds) -> None:
    key = create_key(module_server, account)
    other = create_key(module_server, account, "Other key")
    with module_server.http(key["sid"], key["secret"]) as h:
        assert_error(h.get(f"{ROOT}.json"), 403, 20403)
        assert_error(h.post(f"{ROOT}.json", data={"FriendlyName": "by key"}), 403, 20403)
        assert_error(h.get(f"{ROOT}/{account.sid}.json"), 403, 20403)
        assert_error(
            h.post(f"{ROOT}/{account.sid}.json", data={"FriendlyName": "by key"}), 403, 20403
        )
        assert_error(h.get(keys_path(account.sid)), 403, 20403)
        assert_error(h.post(keys_path(account.sid), data={"FriendlyName": "by key"}), 403, 20403)
        assert_error(h.get(keys_path(account.sid, other["sid"])), 403, 20403)
        assert_error(h.delete(keys_path(account.sid, other["sid"])), 403, 20403)
    client = key_client(module_server, key["sid"], key["secret"], account.sid)
    assert_sdk_error(lambda: client.api.v2010.accounts.list(), 403, 20403)
    assert_sdk_error(lambda: client.api.v2010.accounts.create(friendly_name="x"), 403, 20403)
    assert_sdk_error(lambda: client.new_keys.create(friendly_name="x"), 403, 20403)
    assert_sdk_error(lambda: client.keys.list(), 403, 20403)
    # Nothing was made, and the other key still exists.
    with module_server.http(account.sid, account.token) as h:
        keys = h.get(keys_path(account.sid)).json()["keys"]
        assert sorted(k["sid"] for k in keys) == sorted([key["sid"], other["sid"]])
        assert [a["sid"] for a in h.get(f"{ROOT}.json").json()["accounts"]] == [account.sid]


# Storage


def key_rows(database_url: str) -> list[dict[str, Any]]:
    columns = ("sid", "account_sid", "friendly_name", "secret_hash", "secret")
    return [
        dict(zip(columns, row, strict=True))
        for row in query(database_url, f"SELECT {', '.join(columns)} FROM api_keys")
    ]


def test_secret_is_stored_for_token_verification(module_server: Server, account: Creds) -> None:
    """A new key keeps its secret (an Access Token's HMAC is checked with it) and no hash; the
    secret is in its own row's `secret` column and nowhere else in the table."""
    key = create_key(module_server, account)
    rows = key_rows(module_server.database_url)
    mine = [r for r in rows if r["sid"] == key["sid"]]
    assert len(mine) == 1
    assert mine[0]["secret"] == key["secret"]
    assert mine[0]["secret_hash"] is None
    for row in rows:
        for column, value in row.items():
            if row is not mine[0] or column != "secret":
                assert key["secret"] not in str(value), f"secret found in api_keys.{column}"


def test_secret_is_in_no_answer_but_the_create_response(
    module_server: Server, account: Creds
) -> None:
    key = create_key(module_server, account)
    sid, secret = key["sid"], key["secret"]
    base = f"{ROOT}/{account.sid}/Keys"
    with module_server.http(account.sid, account.token) as h:
        answers = [
            h.get(f"{base}/{sid}.json"),
            h.get(f"{base}/{sid}"),  # XML
            h.get(f"{base}.json"),
            h.get(base),
            h.post(f"{base}/{sid}.json", data={"FriendlyName": "renamed"}),
            h.post(f"{base}/{sid}", data={"FriendlyName": "renamed again"}),
            h.post(f"{base}/{sid}.json"),  # no change: the stored record as it is
            h.post(f"{base}/{sid}.json", data={"FriendlyName": "x" * 65}),  # an error
        ]
    assert [a.status_code for a in answers] == [200] * 7 + [400]
    assert sid in answers[0].text and sid in answers[1].text and sid in answers[3].text
    for answer in answers:
        assert secret not in answer.text, answer.text
        assert "secret" not in answer.text.lower(), answer.text


# Access Tokens signed with a key's secret


def verify_token(server: Server, token: str) -> tokens.VoiceToken:
    """Verify `token` in-process against the server's database (the flows that take tokens,
    devices connecting, come later and will call the same `tokens.verify`)."""

    async def run() -> tokens.VoiceToken:
        store = open_store(server.database_url)
        await store.open()
        try:
            return await tokens.verify(token, store.get_key, time.time())
        finally:
            await store.close()

    return asyncio.run(run())


def refused(server: Server, token: str) -> TwilioError:
    with pytest.raises(TwilioError) as info:
        verify_token(server, token)
    return info.value


def voice_token(account_sid: str, key: dict[str, Any], app_sid: str, identity: str) -> str:
    token = AccessToken(account_sid, key["sid"], key["secret"], identity=identity, ttl=600)
    token.add_grant(
        VoiceGrant(
            incoming_allow=True,
            outgoing_application_sid=app_sid,
            outgoing_application_params={"queue": "support"},
        )
    )
    return str(token.to_jwt())


def make_app(server: Server, owner: Creds) -> str:
    with server.http(owner.sid, owner.token) as h:
        resp = h.post(apps_path(owner.sid), data={"FriendlyName": "Voice SDK app"})
    assert resp.status_code == 201, resp.text
    sid: str = resp.json()["sid"]
    return sid


def test_token_signed_with_an_api_key_verifies(module_server: Server, account: Creds) -> None:
    key = create_key(module_server, account, "Token key")
    app = make_app(module_server, account)
    verified = verify_token(module_server, voice_token(account.sid, key, app, "alice"))
    assert verified == tokens.VoiceToken(
        identity="alice",
        account_sid=account.sid,
        key_sid=key["sid"],
        incoming_allowed=True,
        outgoing_application_sid=app,
        outgoing_params={"queue": "support"},
        expires=verified.expires,
    )
    # Made with the SDK's NewKey too.
    new = module_server.client(account.sid, account.token).new_keys.create(friendly_name="SDK key")
    sdk_key = {"sid": new.sid, "secret": new.secret}
    assert (
        verify_token(module_server, voice_token(account.sid, sdk_key, app, "bob")).key_sid
        == new.sid
    )
    # A wrong secret, the key's account swapped for another: refused.
    forged = voice_token(account.sid, {**key, "secret": sdk_key["secret"]}, app, "alice")
    assert refused(module_server, forged).code == 20107
    assert (
        refused(module_server, voice_token(module_server.account_sid, key, app, "alice")).code
        == 20103
    )


def test_token_signed_with_a_cli_key_verifies(module_server: Server, account: Creds) -> None:
    out = cli_keys_create(module_server, account.sid)
    made = json.loads(out.stdout)
    app = make_app(module_server, account)
    verified = verify_token(module_server, voice_token(account.sid, made, app, "carol"))
    assert (verified.identity, verified.key_sid, verified.account_sid) == (
        "carol",
        made["sid"],
        account.sid,
    )
    row = [r for r in key_rows(module_server.database_url) if r["sid"] == made["sid"]]
    assert row[0]["secret"] == made["secret"] and row[0]["secret_hash"] is None


def test_token_of_a_deleted_key_is_refused(module_server: Server, account: Creds) -> None:
    key = create_key(module_server, account)
    app = make_app(module_server, account)
    token = voice_token(account.sid, key, app, "alice")
    assert verify_token(module_server, token).identity == "alice"
    with module_server.http(account.sid, account.token) as h:
        assert h.delete(keys_path(account.sid, key["sid"])).status_code == 204
    err = refused(module_server, token)
    assert (err.code, err.status) == (20103, 401)
    assert err.message.endswith(f"iss {key['sid']} is not an API key of account {account.sid}")


def test_token_signed_with_another_accounts_key_is_refused(
    module_server: Server, account: Creds
) -> None:
    """The main account's key cannot sign for its subaccount, nor the subaccount's for its
    parent: a token is bound to the key's own account."""
    with module_server.http() as h:
        resp = h.post(keys_path(module_server.account_sid), data={"FriendlyName": "Main key"})
    assert resp.status_code == 201, resp.text
    main_key = resp.json()
    sub_key = create_key(module_server, account)
    app = make_app(module_server, account)
    for token_account, key in [(account.sid, main_key), (module_server.account_sid, sub_key)]:
        err = refused(module_server, voice_token(token_account, key, app, "alice"))
        assert err.code == 20103, err
        assert main_key["secret"] not in err.message and sub_key["secret"] not in err.message
    assert verify_token(
        module_server, voice_token(module_server.account_sid, main_key, app, "alice")
    )


# CLI


def test_cli_key_authenticates_over_http(module_server: Server, account: Creds) -> None:
    out = cli_keys_create(module_server, account.sid)
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, out.stdout
    made = json.loads(lines[0])
    assert isinstance(made, dict)
    assert SK_RE.match(made["sid"])
    assert isinstance(made["secret"], str) and made["secret"]
    with module_server.http(made["sid"], made["secret"]) as h:
        resp = h.get(apps_path(account.sid))
        assert resp.status_code == 200, resp.text
        created = h.post(apps_path(account.sid), data={"FriendlyName": "via CLI key"})
        assert created.status_code == 201, created.text
        assert created.json()["account_sid"] == account.sid
    with module_server.http(account.sid, account.token) as h:
        keys = h.get(keys_path(account.sid)).json()["keys"]
        assert [k["sid"] for k in keys] == [made["sid"]]
    client = key_client(module_server, made["sid"], made["secret"], account.sid)
    assert [a.friendly_name for a in client.applications.list()] == ["via CLI key"]


def test_cli_refuses_unknown_account(module_server: Server) -> None:
    out = cli_keys_create(module_server, "AC" + "e" * 32, check=False)
    assert out.returncode != 0
    assert "secret" not in out.stdout
