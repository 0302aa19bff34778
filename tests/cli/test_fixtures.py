"""Fixtures and reset: `switchboard seed FILE.yaml`, `switchboard export`, and
`POST /switchboard/v1/reset` (main-account credentials, only with `serve --allow-reset`).

Seeding runs the CLI against the database of a real running server, then reads the result back
through the API and the official SDK, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import Databases, Server, query, run_cli
from errors import assert_error

from switchboard.config import Settings
from switchboard.fixtures import FixtureError, parse_fixture

ROOT = "/2010-04-01/Accounts"
RESET = "/switchboard/v1/reset"


def sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def number() -> str:
    """A fresh +1 500 number (unique across the session: numbers are unique per server)."""
    return f"+1500{secrets.randbelow(10**7):07d}"


def write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def seed(path: Path, database_url: str, check: bool = True) -> str:
    out = run_cli("seed", str(path), database_url=database_url, check=False)
    if check:
        assert out.returncode == 0, out.stderr + out.stdout
        return out.stdout
    assert out.returncode != 0, out.stdout
    return out.stderr


def export(database_url: str, output: Path | None = None) -> dict[str, Any]:
    args = ["export"] if output is None else ["export", "--output", str(output)]
    out = run_cli(*args, database_url=database_url)
    text = out.stdout if output is None else output.read_text()
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def fixture_doc(main_sid: str) -> tuple[dict[str, Any], dict[str, str]]:
    """A fixture with a top-level account (two applications, two numbers) and a subaccount."""
    ids = {
        "account": sid("AC"),
        "token": secrets.token_hex(16),
        "sub": sid("AC"),
        "sub_token": secrets.token_hex(16),
        "voice_app": sid("AP"),
        "number": number(),
        "number_sid": sid("PN"),
        "other_number": number(),
        "sub_number": number(),
    }
    doc = {
        "accounts": [
            # The subaccount first: seed writes owners before their subaccounts anyway.
            {
                "sid": ids["sub"],
                "auth_token": ids["sub_token"],
                "friendly_name": "Fixture subaccount",
                "owner_account_sid": ids["account"],
                "status": "suspended",
                "incoming_phone_numbers": [{"phone_number": ids["sub_number"]}],
            },
            {
                "sid": ids["account"],
                "auth_token": ids["token"],
                "friendly_name": "Fixture account",
                "applications": [
                    {
                        "sid": ids["voice_app"],
                        "friendly_name": "Voice app",
                        "voice_url": "https://example.com/voice",
                        "voice_method": "get",
                        "voice_fallback_url": "https://example.com/fallback",
                        "voice_caller_id_lookup": True,
                        "status_callback": "https://example.com/status",
                    },
                    {"friendly_name": "SMS app", "sms_url": "https://example.com/sms"},
                ],
                "incoming_phone_numbers": [
                    {
                        "sid": ids["number_sid"],
                        "phone_number": ids["number"],
                        "voice_application_sid": ids["voice_app"],
                        "friendly_name": "Front desk",
                    },
                    {"phone_number": ids["other_number"], "type": "mobile"},
                ],
            },
        ]
    }
    return doc, ids


# Seed


def test_seed_loads_accounts_applications_and_numbers(
    server: Server, tmp_path: Path
) -> None:
    doc, ids = fixture_doc(server.account_sid)
    out = seed(write(tmp_path / "fx.yaml", doc), server.database_url)
    assert "accounts: 2 created, 0 updated, 0 unchanged" in out
    assert "applications: 2 created, 0 updated, 0 unchanged" in out
    assert "numbers: 3 created, 0 updated, 0 unchanged" in out

    # The seeded credentials work at once against the running server, through the SDK.
    client = server.client(ids["account"], ids["token"])
    account = client.api.v2010.accounts(ids["account"]).fetch()
    assert account.friendly_name == "Fixture account"
    assert account.status == "active"
    app = client.applications(ids["voice_app"]).fetch()
    assert app.voice_url == "https://example.com/voice"
    assert app.voice_method == "GET"  # the API's rules: methods are stored upper-case
    assert app.voice_caller_id_lookup is True
    assert app.sms_url is None
    apps = {a.friendly_name: a for a in client.applications.list()}
    assert set(apps) == {"Voice app", "SMS app"}
    assert re.fullmatch(r"AP[0-9a-f]{32}", apps["SMS app"].sid)
    assert apps["SMS app"].sms_url == "https://example.com/sms"

    numbers = {n.phone_number: n for n in client.incoming_phone_numbers.list()}
    assert set(numbers) == {ids["number"], ids["other_number"]}
    front = numbers[ids["number"]]
    assert front.sid == ids["number_sid"]
    assert front.voice_application_sid == ids["voice_app"]
    assert front.friendly_name == "Front desk"
    assert numbers[ids["other_number"]].friendly_name.startswith("(500) ")

    # The subaccount: owned by the account, suspended (so its own credentials are refused).
    with server.http(ids["account"], ids["token"]) as h:
        sub = h.get(f"{ROOT}/{ids['sub']}.json").json()
    assert sub["owner_account_sid"] == ids["account"]
    assert sub["status"] == "suspended"
    with server.http(ids["sub"], ids["sub_token"]) as h:
        refused = h.get(f"{ROOT}/{ids['sub']}/Applications.json")
    assert_error(refused, 401, 20005)


def test_seed_is_idempotent(server: Server, tmp_path: Path) -> None:
    doc, ids = fixture_doc(server.account_sid)
    path = write(tmp_path / "fx.yaml", doc)
    seed(path, server.database_url)
    before = export(server.database_url)
    dates_before = query(
        server.database_url, "SELECT sid, date_updated FROM applications ORDER BY sid"
    )

    out = seed(path, server.database_url)
    assert "accounts: 0 created, 0 updated, 2 unchanged" in out
    assert "applications: 0 created, 0 updated, 2 unchanged" in out
    assert "numbers: 0 created, 0 updated, 3 unchanged" in out
    assert export(server.database_url) == before
    # Unchanged records are not even touched.
    assert query(
        server.database_url, "SELECT sid, date_updated FROM applications ORDER BY sid"
    ) == dates_before
    client = server.client(ids["account"], ids["token"])
    assert len(client.applications.list()) == 2  # the SID-less one was found by its name


def test_seed_replaces_changed_values(server: Server, tmp_path: Path) -> None:
    doc, ids = fixture_doc(server.account_sid)
    seed(write(tmp_path / "fx.yaml", doc), server.database_url)
    main = doc["accounts"][1]
    main["friendly_name"] = "Renamed"
    main["auth_token"] = new_token = secrets.token_hex(16)
    main["applications"][0] = {"sid": ids["voice_app"], "friendly_name": "Voice app v2"}
    main["incoming_phone_numbers"][0]["voice_application_sid"] = None
    out = seed(write(tmp_path / "fx2.yaml", doc), server.database_url)
    assert "accounts: 0 created, 1 updated, 1 unchanged" in out
    assert "applications: 0 created, 1 updated, 1 unchanged" in out
    assert "numbers: 0 created, 1 updated, 2 unchanged" in out

    with server.http(ids["account"], ids["token"]) as h:
        assert h.get(server.apps_path(ids["account"])).status_code == 401  # the old token
    client = server.client(ids["account"], new_token)
    assert client.api.v2010.accounts(ids["account"]).fetch().friendly_name == "Renamed"
    app = client.applications(ids["voice_app"]).fetch()
    # A fixture describes the whole application: what it leaves out is back to the default.
    assert (app.friendly_name, app.voice_url, app.voice_method) == ("Voice app v2", None, "POST")
    assert app.voice_caller_id_lookup is False
    assert client.incoming_phone_numbers(ids["number_sid"]).fetch().voice_application_sid is None


def test_export_then_seed_reproduces_the_data(
    server: Server, tmp_path: Path, databases: Databases, store_kind: str
) -> None:
    doc, ids = fixture_doc(server.account_sid)
    seed(write(tmp_path / "fx.yaml", doc), server.database_url)
    # Something made through the API too, not only seeded.
    with server.http() as h:
        made = h.post(
            server.apps_path(), data={"FriendlyName": "Made by API", "SmsUrl": "http://x.test/s"}
        )
        assert made.status_code == 201, made.text

    dump = tmp_path / "export.yaml"
    first = export(server.database_url, dump)
    assert dump.stat().st_mode & 0o077 == 0  # it holds auth tokens: owner-only
    assert "auth tokens" in dump.read_text().splitlines()[0]
    by_sid = {a["sid"]: a for a in first["accounts"]}
    assert by_sid[server.account_sid]["main"] is True
    assert by_sid[ids["sub"]]["owner_account_sid"] == ids["account"]
    main_apps = {a["friendly_name"]: a for a in by_sid[server.account_sid]["applications"]}
    assert main_apps["Made by API"]["sid"] == made.json()["sid"]
    # Owners come before their subaccounts.
    order = [a["sid"] for a in first["accounts"]]
    assert order.index(ids["account"]) < order.index(ids["sub"])

    fresh = databases.new(store_kind, tmp_path)
    run_cli("db", "upgrade", database_url=fresh)  # seed fills a database; it makes none
    out = seed(dump, fresh)
    assert "accounts: 3 created" in out
    assert export(fresh) == first


def test_seeded_database_serves_its_main_account(
    tmp_path: Path, databases: Databases, store_kind: str
) -> None:
    """An exported main account stays the main one: `serve` without TWILIO_* variables uses it."""
    url = databases.new(store_kind, tmp_path)
    token = secrets.token_hex(16)
    doc = {
        "accounts": [
            {"sid": (ac := sid("AC")), "auth_token": token, "friendly_name": "M", "main": True}
        ]
    }
    run_cli("db", "upgrade", database_url=url)
    seed(write(tmp_path / "main.yaml", doc), url)
    listed = run_cli("accounts", "list", "--json", database_url=url)
    assert '"main": true' in listed.stdout
    assert ac in listed.stdout


BAD_FIXTURES: list[tuple[str, str]] = [
    ("accounts: [{sid: AC1, auth_token: x, friendly_name: y}]", "accounts[0].sid: must be AC"),
    ("accounts: [{sid: {ac}, friendly_name: y}]", "accounts[0]: `auth_token` is required"),
    ("accounts: [{sid: {ac}, auth_token: 1234, friendly_name: y}]", "accounts[0].auth_token"),
    (
        "accounts: [{sid: {ac}, auth_token: x, friendly_name: ''}]",
        "accounts[0].friendly_name: Invalid FriendlyName",
    ),
    ("accounts: [{sid: {ac}, auth_token: x, friendly_name: y, status: gone}]", ".status: must"),
    (
        "accounts: [{sid: {ac}, auth_token: x, friendly_name: y, "
        "applications: [{friendly_name: a, voice_url: 'not a url'}]}]",
        "accounts[0].applications[0].voice_url: VoiceUrl is not a valid URL: not a url",
    ),
    (
        "accounts: [{sid: {ac}, auth_token: x, friendly_name: y, "
        "applications: [{friendly_name: a, voice_method: PUT}]}]",
        "accounts[0].applications[0].voice_method: VoiceMethod is not valid: PUT",
    ),
    (
        "accounts: [{sid: {ac}, auth_token: x, friendly_name: y, "
        "applications: [{friendly_name: a, voice_caller_id_lookup: maybe}]}]",
        "voice_caller_id_lookup: VoiceCallerIdLookup must be true or false",
    ),
    (
        "accounts: [{sid: {ac}, auth_token: x, friendly_name: y, "
        "applications: [{friendly_name: a, voice_urll: 'http://x.test'}]}]",
        "unknown key 'voice_urll'",
    ),
    (
        "accounts: [{sid: {ac}, auth_token: x, friendly_name: y, applications: [{voice_url: "
        "'http://x.test'}]}]",
        "give a `sid` or a `friendly_name`",
    ),
    (
        "accounts: [{sid: {ac}, auth_token: x, friendly_name: y, "
        "applications: [{friendly_name: a}, {friendly_name: a}]}]",
        "names another application",
    ),
    (
        "accounts: [{sid: {ac}, auth_token: x, friendly_name: y, "
        "incoming_phone_numbers: [{phone_number: '5550006'}]}]",
        "incoming_phone_numbers[0].phone_number: PhoneNumber is invalid",
    ),
    (
        "accounts: [{sid: {ac}, auth_token: x, friendly_name: y, "
        "incoming_phone_numbers: [{phone_number: '+15005550006', voice_application_sid: nope}]}]",
        "voice_application_sid: VoiceApplicationSid is not accessible",
    ),
    ("accounts: [{sid: {ac}, auth_token: x, friendly_name: y, colour: red}]", "unknown key(s)"),
    ("applications: []", "unknown top-level key(s) ['applications']"),
    ("accounts: [oops", "is not valid YAML"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_FIXTURES[:-1])
def test_fixture_validation_messages(text: str, expected: str) -> None:
    """The same rules as the API, and a message that says where (no store needed)."""
    with pytest.raises(FixtureError) as caught:
        parse_fixture(yaml.safe_load(text.replace("{ac}", sid("AC"))))
    assert expected in caught.value.message, caught.value.message


@pytest.mark.parametrize("index", [0, 5, len(BAD_FIXTURES) - 1])
def test_seed_rejects_bad_input_clearly(tmp_path: Path, database_url: str, index: int) -> None:
    text, expected = BAD_FIXTURES[index]
    run_cli("db", "upgrade", database_url=database_url)
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace("{ac}", sid("AC")))
    err = seed(path, database_url, check=False)
    assert "bad fixture: " in err and expected in err, err
    assert "Traceback" not in err
    assert query(database_url, "SELECT count(*) FROM accounts") == [(0,)]


def test_seed_conflicts_write_nothing(server: Server, tmp_path: Path) -> None:
    """A number owned by another account, an application SID of another account, a link to an
    application of another account: the whole seed fails and nothing is written."""
    client = server.client()
    taken = client.incoming_phone_numbers.create(phone_number=number())
    foreign_app = client.applications.create(friendly_name="main's")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"incoming_phone_numbers": [{"phone_number": taken.phone_number}]}, "21422"),
        ({"applications": [{"sid": foreign_app.sid, "friendly_name": "x"}]}, "another account"),
        (
            {
                "incoming_phone_numbers": [
                    {"phone_number": number(), "voice_application_sid": foreign_app.sid}
                ]
            },
            "21420",
        ),
        ({"owner_account_sid": sid("AC")}, "is not an account"),
    ]
    for extra, expected in cases:
        account: dict[str, Any] = {
            "sid": sid("AC"),
            "auth_token": "t",
            "friendly_name": "Conflicting",
            "applications": [{"friendly_name": "would be created"}],
            **extra,
        }
        err = seed(write(tmp_path / "c.yaml", {"accounts": [account]}), server.database_url, False)
        assert "nothing was written" in err and expected in err, err
        assert query(
            server.database_url, f"SELECT count(*) FROM accounts WHERE sid = '{account['sid']}'"
        ) == [(0,)]
    assert query(
        server.database_url, "SELECT count(*) FROM applications WHERE friendly_name = 'x'"
    ) == [(0,)]


def test_seed_respects_the_application_limit(server: Server, tmp_path: Path) -> None:
    apps = [{"friendly_name": f"app {i}"} for i in range(1001)]
    account = {"sid": sid("AC"), "auth_token": "t", "friendly_name": "Big", "applications": apps}
    doc = {"accounts": [account]}
    err = seed(write(tmp_path / "big.yaml", doc), server.database_url, check=False)
    assert "accounts[0].applications[1000]" in err and "21301" in err, err
    assert query(server.database_url, "SELECT count(*) FROM applications") == [(0,)]


# Reset


@pytest.fixture
def resettable(database_url: str, tmp_path: Path) -> Iterator[Server]:
    with Server(database_url, tmp_path, extra_args=("--allow-reset",)) as srv:
        yield srv


def test_reset_is_refused_without_allow_reset(server: Server) -> None:
    with server.http() as h:
        app = h.post(server.apps_path(), data={"FriendlyName": "kept"})
        resp = h.post(RESET)
        assert "--allow-reset" in assert_error(resp, 403, 20403)["message"]
        assert h.get(server.apps_path()).json()["applications"][0]["sid"] == app.json()["sid"]


def populate(srv: Server) -> dict[str, Any]:
    """Something of every kind: applications, a number, a trace and its webhook requests, a
    subaccount, an API key, another top-level account."""
    client = srv.client()
    app = client.applications.create(friendly_name="doomed", voice_url="http://127.0.0.1:1/voice")
    num = client.incoming_phone_numbers.create(phone_number=number(), voice_application_sid=app.sid)
    with srv.http() as h:
        traced = h.post(
            f"/switchboard/v1/Accounts/{srv.account_sid}/InboundCalls",
            data={"To": num.phone_number, "From": "+14155550100"},
        )
        assert traced.status_code == 201, traced.text
        sub = h.post(f"{ROOT}.json", data={"FriendlyName": "doomed sub"}).json()
    key = client.new_keys.create(friendly_name="doomed key")
    other = srv.create_account("Other top-level")
    return {"app": app.sid, "sub": sub, "key": key, "other": other}


def test_reset_refused_for_others_than_a_main_account(resettable: Server) -> None:
    made = populate(resettable)
    sub, key, other = made["sub"], made["key"], made["other"]
    for creds in (
        (sub["sid"], sub["auth_token"]),  # a subaccount of the main account
        (key.sid, key.secret),  # the main account's own API key
        (other["sid"], other["auth_token"]),  # a top-level account that is not the main one
    ):
        with resettable.http(*creds) as h:
            resp = h.post(RESET)
        assert_error(resp, 403, 20403)
    with resettable.http(resettable.account_sid, "wrong") as h:
        assert h.post(RESET).status_code == 401
    with httpx.Client(base_url=resettable.url) as anonymous:
        assert anonymous.post(RESET).status_code == 401
    with resettable.http() as h:
        assert h.get(RESET).status_code == 405
        assert len(h.get(resettable.apps_path()).json()["applications"]) == 1


def test_reset_empties_everything_but_the_main_account(resettable: Server) -> None:
    made = populate(resettable)
    url = resettable.database_url
    for table in ("applications", "incoming_phone_numbers", "traces", "webhook_requests"):
        assert query(url, f"SELECT count(*) FROM {table}")[0][0] > 0, table

    with resettable.http() as h:
        resp = h.post(RESET)
        assert resp.status_code == 204, resp.text
        assert resp.content == b""

        # The main account's credentials still work, and it holds nothing.
        assert h.get(resettable.apps_path()).json()["applications"] == []
        numbers = h.get(f"{ROOT}/{resettable.account_sid}/IncomingPhoneNumbers.json").json()
        assert numbers["incoming_phone_numbers"] == []
        log = h.get(f"/switchboard/v1/Accounts/{resettable.account_sid}/Requests").json()
        assert log["requests"] == []
        accounts = h.get(f"{ROOT}.json").json()["accounts"]
        assert [a["sid"] for a in accounts] == [resettable.account_sid]
        assert h.get(f"{ROOT}/{resettable.account_sid}/Keys.json").json()["keys"] == []

    for table in (
        "applications",
        "incoming_phone_numbers",
        "traces",
        "webhook_requests",
        "api_keys",
    ):
        assert query(url, f"SELECT count(*) FROM {table}") == [(0,)], table
    assert query(url, "SELECT sid FROM accounts") == [(resettable.account_sid,)]

    # Everyone else's credentials are gone.
    for creds in (
        (made["sub"]["sid"], made["sub"]["auth_token"]),
        (made["key"].sid, made["key"].secret),
        (made["other"]["sid"], made["other"]["auth_token"]),
    ):
        with resettable.http(*creds) as h:
            assert h.get(resettable.apps_path(resettable.account_sid)).status_code == 401

    # A reset store is usable at once, and resetting twice is fine.
    client = resettable.client()
    assert client.applications.create(friendly_name="after reset").sid.startswith("AP")
    with resettable.http() as h:
        assert h.post(RESET).status_code == 204
        assert h.get(resettable.apps_path()).json()["applications"] == []


def test_reset_then_seed(resettable: Server, tmp_path: Path) -> None:
    """The test-suite loop: reset, seed, run."""
    doc, ids = fixture_doc(resettable.account_sid)
    path = write(tmp_path / "fx.yaml", doc)
    for _ in range(2):
        with resettable.http() as h:
            assert h.post(RESET).status_code == 204
        out = seed(path, resettable.database_url)
        assert "accounts: 2 created" in out
        client = resettable.client(ids["account"], ids["token"])
        assert len(client.applications.list()) == 2


def test_allow_reset_setting_round_trips_through_the_environment() -> None:
    assert Settings().allow_reset is False
    settings = Settings(allow_reset=True)
    assert Settings.from_env(settings.to_env()).allow_reset is True
    assert Settings.from_env({"SWITCHBOARD_ALLOW_RESET": "0"}).allow_reset is False
    flag_wins = Settings.from_env({"SWITCHBOARD_ALLOW_RESET": "1"}, allow_reset=False)
    assert flag_wins.allow_reset is False
