"""`switchboard applications|numbers create|list|get|update|delete` and `keys list|get|delete`.

The CLI works on the database of a real running server; what it makes is read back through the
API (raw HTTP) and the official SDK. The CLI must store nothing the API would refuse, and refuse
it in the API's words: the same code and message as the HTTP answer to the same parameter.
"""

from __future__ import annotations

import json
import secrets
import shlex
import time
from typing import Any

import httpx
import pytest
from conftest import Server, random_number, run_cli

ROOT = "/2010-04-01/Accounts"


def cli(server: Server, command: str, *args: str, check: bool = True) -> Any:
    """Run `command` (shell words) and `args` with --json against the server's database; its
    JSON output (or, with check=False, the finished process)."""
    words = [*shlex.split(command), *args, "--json"]
    out = run_cli(*words, database_url=server.database_url, check=False)
    assert "Traceback" not in out.stderr, out.stderr
    if check:
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)
    return out


def api(server: Server, path: str, account_sid: str | None = None) -> httpx.Response:
    with server.http() as h:
        return h.get(f"{ROOT}/{account_sid or server.account_sid}/{path}")


def count_apps(server: Server) -> int:
    return len(api(server, "Applications.json").json()["applications"])


# Applications


def test_application_create_is_the_apis_record(module_server: Server) -> None:
    made = cli(
        module_server,
        "applications create --friendly-name 'CLI app' --voice-url https://example.com/voice"
        " --voice-method get --voice-caller-id-lookup true"
        " --status-callback https://example.com/status",
    )
    assert made["account_sid"] == module_server.account_sid  # the main account by default
    fetched = api(module_server, f"Applications/{made['sid']}.json")
    assert fetched.status_code == 200
    assert fetched.json() == made  # the very JSON the API answers
    app = module_server.client().applications(made["sid"]).fetch()
    assert (app.voice_method, app.voice_caller_id_lookup) == ("GET", True)  # the API's rules
    assert cli(module_server, f"applications get {made['sid']}") == made


@pytest.mark.parametrize(
    ("option", "param", "value"),
    [
        ("--voice-url", "VoiceUrl", "not a url"),
        ("--sms-fallback-url", "SmsFallbackUrl", "ftp://example.com/x"),
        ("--voice-method", "VoiceMethod", "PUT"),
        ("--voice-caller-id-lookup", "VoiceCallerIdLookup", "maybe"),
        ("--friendly-name", "FriendlyName", "x" * 65),
        ("--api-version", "ApiVersion", "2011-01-01"),
    ],
)
def test_bad_values_fail_as_the_api_does(
    module_server: Server, option: str, param: str, value: str
) -> None:
    before = count_apps(module_server)
    with module_server.http() as h:
        answer = h.post(module_server.apps_path(), data={param: value})
    assert answer.status_code == 400
    body = answer.json()

    out = cli(module_server, "applications create", option, value, check=False)

    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr == f"error {body['code']}: {body['message']}\n"
    assert count_apps(module_server) == before  # nothing stored


def test_application_update_list_and_delete(module_server: Server) -> None:
    name = f"listed-{secrets.token_hex(3)}"
    made = cli(module_server, f"applications create --friendly-name {name} --sms-url http://x.test/")
    sid = made["sid"]

    changed = cli(
        module_server, f"applications update {sid} --voice-url https://x.test/v2 --sms-url ''"
    )
    assert changed["voice_url"] == "https://x.test/v2"
    assert changed["sms_url"] is None  # "" clears a URL, as on the API
    assert changed["friendly_name"] == name  # what was not given is kept
    assert api(module_server, f"Applications/{sid}.json").json() == changed

    assert cli(module_server, f"applications list --friendly-name {name}") == [changed]
    api_list = api(module_server, "Applications.json?PageSize=1000").json()["applications"]
    assert cli(module_server, "applications list") == api_list
    table = run_cli("applications", "list", database_url=module_server.database_url)
    assert sid in table.stdout and name in table.stdout

    assert cli(module_server, f"applications delete {sid}") == {"sid": sid, "deleted": True}
    assert api(module_server, f"Applications/{sid}.json").status_code == 404
    again = cli(module_server, f"applications delete {sid}", check=False)
    assert again.returncode == 1
    assert again.stderr.startswith(f"error 20404: The requested resource {ROOT}/")
    shapeless = cli(module_server, "applications get APnot-a-sid", check=False)
    assert shapeless.returncode == 1 and shapeless.stderr.startswith("error 20404:")


def test_update_without_options_is_a_usage_error(module_server: Server) -> None:
    made = cli(module_server, "applications create --friendly-name unchanged")
    out = cli(module_server, f"applications update {made['sid']}", check=False)
    assert out.returncode == 2
    assert "nothing to change" in out.stderr


# Numbers


def test_number_linked_to_an_application(module_server: Server) -> None:
    app = cli(module_server, "applications create --friendly-name 'for a number'")["sid"]
    phone = random_number()
    made = cli(
        module_server,
        f"numbers create --phone-number {phone} --voice-application {app}"
        " --sms-url https://example.com/own-sms --friendly-name 'Front desk'",
    )
    sid = made["sid"]
    assert api(module_server, f"IncomingPhoneNumbers/{sid}.json").json() == made
    number = module_server.client().incoming_phone_numbers(sid).fetch()
    assert number.phone_number == phone
    assert number.voice_application_sid == app
    assert number.sms_url == "https://example.com/own-sms"

    # Twilio's rule: a trunk replaces the voice application (and the long option name works).
    trunk = "TK" + secrets.token_hex(16)
    changed = cli(module_server, f"numbers update {sid} --trunk-sid {trunk}")
    assert (changed["trunk_sid"], changed["voice_application_sid"]) == (trunk, None)
    relinked = cli(module_server, f"numbers update {sid} --voice-application-sid {app}")
    assert (relinked["trunk_sid"], relinked["voice_application_sid"]) == (None, app)

    found = cli(module_server, f"numbers list --phone-number {phone[2:8]}")
    assert [n["sid"] for n in found] == [sid]
    assert cli(module_server, f"numbers delete {sid}")["deleted"] is True
    assert api(module_server, f"IncomingPhoneNumbers/{sid}.json").status_code == 404


def test_number_by_area_code(module_server: Server) -> None:
    made = cli(module_server, "numbers create --area-code 415")
    assert made["phone_number"].startswith("+1415")
    assert made["type"] == "local"


def test_number_refusals(module_server: Server) -> None:
    other = module_server.create_account("Other for numbers")
    with module_server.http(other["sid"], other["auth_token"]) as h:
        foreign = h.post(f"{ROOT}/{other['sid']}/Applications.json", data={"FriendlyName": "x"})
    phone = random_number()
    cases = [
        (f"--phone-number {phone} --voice-application {foreign.json()['sid']}", 1, "error 21420:"),
        ("--phone-number 555-0100", 1, "error 21421: PhoneNumber is invalid: 555-0100"),
        ("--area-code 41", 1, "error 21451: Invalid area code: 41"),
        (f"--phone-number {phone} --voice-method PUT", 1, "error 21403:"),
        ("", 2, "give either --phone-number"),
        (f"--phone-number {phone} --area-code 415", 2, "give either --phone-number"),
    ]
    for args, status, message in cases:
        out = cli(module_server, f"numbers create {args}", check=False)
        assert out.returncode == status, (args, out.stderr)
        assert message in out.stderr, (args, out.stderr)
    numbers = api(module_server, f"IncomingPhoneNumbers.json?PhoneNumber={phone[1:]}").json()
    assert numbers["incoming_phone_numbers"] == []  # none of them made the number
    taken = cli(module_server, f"numbers create --phone-number {phone}")
    twice = cli(module_server, f"numbers create --phone-number {phone}", check=False)
    assert twice.stderr == f"error 21422: PhoneNumber {phone} is not available\n"
    assert cli(module_server, f"numbers get {taken['sid']}") == taken


# Accounts and keys


def test_account_option(module_server: Server) -> None:
    other = module_server.create_account("Other for apps")
    made = cli(
        module_server, f"applications create --friendly-name theirs --account {other['sid']}"
    )
    assert made["account_sid"] == other["sid"]
    with module_server.http(other["sid"], other["auth_token"]) as h:
        assert h.get(f"{ROOT}/{other['sid']}/Applications/{made['sid']}.json").status_code == 200
    # The main account does not see it, and the CLI does not find it there either.
    assert api(module_server, f"Applications/{made['sid']}.json").status_code == 404
    assert cli(module_server, f"applications get {made['sid']}", check=False).returncode == 1
    unknown = "AC" + "0" * 32
    out = cli(module_server, f"applications list --account {unknown}", check=False)
    assert (out.returncode, out.stderr) == (1, f"error: no account {unknown} in this database\n")


def test_keys_list_get_delete(module_server: Server) -> None:
    made = cli(module_server, "keys create --friendly-name CI")  # the main account's
    sid, secret = made["sid"], made["secret"]
    apps = f"{ROOT}/{module_server.account_sid}/Applications.json"
    with httpx.Client(base_url=module_server.url, auth=(sid, secret)) as h:
        assert h.get(apps).status_code == 200

    listed = run_cli("keys", "list", "--json", database_url=module_server.database_url)
    table = run_cli("keys", "list", database_url=module_server.database_url)
    for out in (listed, table):
        assert sid in out.stdout
        assert secret not in out.stdout and "sha256$" not in out.stdout
    assert sid in [k["sid"] for k in json.loads(listed.stdout)]
    assert cli(module_server, f"keys get {sid}") == api(module_server, f"Keys/{sid}.json").json()

    assert cli(module_server, f"keys delete {sid}")["deleted"] is True
    deadline = time.monotonic() + 5  # another process's cache honours it within half a second
    with httpx.Client(base_url=module_server.url, auth=(sid, secret)) as h:
        while h.get(apps).status_code != 401:
            assert time.monotonic() < deadline, "the deleted key still works"
            time.sleep(0.1)
    assert cli(module_server, f"keys get {sid}", check=False).returncode == 1
