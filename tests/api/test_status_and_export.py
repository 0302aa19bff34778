"""The console's server endpoints over raw HTTP:

- `GET /switchboard/v1/Accounts/{AC}/Status`: the version, the database kind (never its URL or
  password), the schema revision, the account's own counts, the limits, and which test-suite
  controls this caller may use.
- `GET /switchboard/v1/Export`: the same fixture `switchboard export` writes (YAML, or JSON with
  `Format=json`), for a main account's own auth token only, and only with `--allow-reset`;
  never cached.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import Databases, Server, random_number, run_cli

from switchboard import __version__
from switchboard.store import migrate

EXT = "/switchboard/v1"
ROOT = "/2010-04-01/Accounts"
STATUS_KEYS = [
    "account_sid",
    "version",
    "database",
    "schema_revision",
    "counts",
    "limits",
    "controls",
    "uri",
]
COUNT_KEYS = [
    "applications",
    "incoming_phone_numbers",
    "keys",
    "subaccounts",
    "calls",
    "messages",
    "requests",
]


def status_of(http: httpx.Client, account_sid: str) -> dict[str, Any]:
    resp = http.get(f"{EXT}/Accounts/{account_sid}/Status")
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert list(body) == STATUS_KEYS
    return body


def test_status_counts_the_accounts_own_resources(server: Server, store_kind: str) -> None:
    with server.http() as http:
        fresh = status_of(http, server.account_sid)
        assert fresh["account_sid"] == server.account_sid
        assert fresh["version"] == __version__
        assert fresh["database"] == {"sqlite": "sqlite", "postgres": "postgresql"}[store_kind]
        assert fresh["schema_revision"] == migrate.current_revision(server.database_url)
        assert list(fresh["counts"]) == COUNT_KEYS
        assert set(fresh["counts"].values()) == {0}
        assert fresh["limits"] == {"applications": 1000, "request_log": 10000}
        assert fresh["controls"] == {"reset": False, "export": False}
        assert fresh["uri"] == f"{EXT}/Accounts/{server.account_sid}/Status"

        sub = http.post(f"{ROOT}.json", data={"FriendlyName": "child"}).json()
        app = http.post(
            f"{ROOT}/{server.account_sid}/Applications.json",
            data={
                "FriendlyName": "a",
                "VoiceUrl": "http://127.0.0.1:1/v",
                "SmsUrl": "http://127.0.0.1:1/s",
            },
        ).json()
        http.post(f"{ROOT}/{server.account_sid}/Applications.json", data={"FriendlyName": "b"})
        number = random_number()
        http.post(
            f"{ROOT}/{server.account_sid}/IncomingPhoneNumbers.json",
            data={
                "PhoneNumber": number,
                "VoiceApplicationSid": app["sid"],
                "SmsApplicationSid": app["sid"],
            },
        )
        http.post(f"{ROOT}/{server.account_sid}/Keys.json")
        for _ in range(2):
            http.post(
                f"{EXT}/Accounts/{server.account_sid}/InboundCalls",
                data={"To": number, "From": "+1415"},
            )
        http.post(
            f"{EXT}/Accounts/{server.account_sid}/InboundMessages",
            data={"To": number, "From": "+1415", "Body": "x"},
        )
        http.post(f"{ROOT}/{sub['sid']}/Applications.json", data={"FriendlyName": "theirs"})
        counts = status_of(http, server.account_sid)["counts"]
        assert counts == {
            "applications": 2,
            "incoming_phone_numbers": 1,
            "keys": 1,
            "subaccounts": 1,
            "calls": 2,
            "messages": 1,
            "requests": 3,  # one refused voice URL per call, one SMS URL
        }
        # The parent reads its subaccount's status through the subaccount's path.
        theirs = status_of(http, sub["sid"])["counts"]
        assert theirs == {**dict.fromkeys(COUNT_KEYS, 0), "applications": 1}


def test_status_never_shows_the_database_url(
    databases: Databases, store_kind: str, tmp_path: Path
) -> None:
    url = databases.new(store_kind, tmp_path)
    secret = "pw-" + "s3cr3t"
    if store_kind == "postgres":
        # The test server trusts local connections, so any password is accepted.
        url = url.replace("postgresql://postgres@", f"postgresql://postgres:{secret}@")
    srv = Server(url, tmp_path)
    srv.start()
    try:
        with srv.http() as http:
            resp = http.get(f"{EXT}/Accounts/{srv.account_sid}/Status")
        assert resp.status_code == 200
        assert secret not in resp.text and "127.0.0.1:5432" not in resp.text
        assert str(tmp_path) not in resp.text and ".db" not in resp.text
    finally:
        srv.stop()


@pytest.fixture
def reset_server(database_url: str, tmp_path: Path) -> Any:
    srv = Server(database_url, tmp_path, extra_args=("--allow-reset",))
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def test_export_is_the_cli_export_for_the_main_account_only(reset_server: Server) -> None:
    srv = reset_server
    with srv.http() as http:
        sub = http.post(f"{ROOT}.json", data={"FriendlyName": "child"}).json()
        http.post(
            f"{ROOT}/{srv.account_sid}/Applications.json",
            data={"FriendlyName": "Ünïcode app", "VoiceUrl": "https://example.com/v"},
        )
        http.post(
            f"{ROOT}/{sub['sid']}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": random_number()},
        )
        assert status_of(http, srv.account_sid)["controls"] == {"reset": True, "export": True}
        assert status_of(http, sub["sid"])["controls"] == {"reset": True, "export": True}

        as_yaml = http.get(f"{EXT}/Export")
        as_json = http.get(f"{EXT}/Export", params={"Format": "json"})
    cli = run_cli("export", database_url=srv.database_url).stdout
    assert as_yaml.status_code == 200, as_yaml.text
    assert as_yaml.text == cli
    assert as_yaml.headers["content-type"] == "application/yaml; charset=utf-8"
    assert as_yaml.headers["cache-control"] == "no-store"
    assert as_yaml.headers["content-disposition"] == (
        'attachment; filename="switchboard-export.yaml"'
    )
    assert as_json.status_code == 200
    assert as_json.headers["content-type"] == "application/json"
    assert json.loads(as_json.text) == yaml.safe_load(cli)
    assert as_json.text.endswith("}\n") and "Ünïcode app" in as_json.text
    exported = {a["sid"]: a for a in yaml.safe_load(cli)["accounts"]}
    assert exported[srv.account_sid]["auth_token"] == srv.auth_token
    assert exported[sub["sid"]]["owner_account_sid"] == srv.account_sid

    # Anyone else: 403 (20403), as for the reset; wrong or no credentials: 401.
    key = srv.client().new_keys.create(friendly_name="k")
    other = srv.create_account("Another top-level account")
    for sid, secret in (
        (sub["sid"], sub["auth_token"]),
        (key.sid, key.secret),
        (other["sid"], other["auth_token"]),
    ):
        with srv.http(sid, secret) as http:
            resp = http.get(f"{EXT}/Export")
            assert resp.status_code == 403 and resp.json()["code"] == 20403, resp.text
            assert "auth_token" not in resp.text
            ac = sid if sid.startswith("AC") else srv.account_sid
            assert status_of(http, ac)["controls"] == {"reset": False, "export": False}
    assert httpx.get(f"{srv.url}{EXT}/Export").status_code == 401
    with srv.http() as http:
        resp = http.get(f"{EXT}/Export", params={"Format": "xml"})
        assert resp.status_code == 400 and resp.json()["code"] == 20001
        assert http.post(f"{EXT}/Export").status_code == 405


def test_export_is_refused_without_allow_reset(server: Server) -> None:
    with server.http() as http:
        resp = http.get(f"{EXT}/Export")
    assert resp.status_code == 403
    body = resp.json()
    assert body["code"] == 20403 and "--allow-reset" in body["message"]
    assert server.auth_token not in resp.text
