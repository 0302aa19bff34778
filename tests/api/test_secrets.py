"""Secrets: auth tokens and API-key secrets never leak into logs, traces, the request log or an
export; credentials are compared in constant time; key secrets are stored in their key's row only
(Access Tokens are checked with them), those of keys made before migration 0005 as salted hashes.

The leak test runs a server with `--access-log`, drives authenticated traffic of every kind
(account tokens, subaccount tokens, key secrets, wrong tokens and secrets, errors, simulated calls
and messages with webhooks that fail and fall back), then scans the server's whole log, every
stored trace and request-log entry, and every webhook request the receiver got, for every token
and secret and their HTTP Basic forms. (A server started without TWILIO_* variables prints the
generated main token once on purpose: see README and tests/test_cli.py.)
"""

from __future__ import annotations

import ast
import base64
import inspect
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REPO, Server, query, run_cli
from receiver import Receiver

from switchboard.twilio import rules, tokens
from switchboard.twilio.resources import ApiKey

ROOT = "/2010-04-01/Accounts"
EXT = "/switchboard/v1/Accounts"


def basic_forms(user: str, secret: str) -> list[str]:
    """How a credential shows up in an Authorization header."""
    raw = f"{user}:{secret}".encode()
    return [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]


@pytest.fixture
def logged_server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    with Server(database_url, tmp_path, ("--access-log", "--webhook-timeout", "2")) as srv:
        yield srv


class Traffic:
    """Drives requests and remembers every secret it used, and every trace it made."""

    def __init__(self, server: Server, receiver: Receiver) -> None:
        self.server = server
        self.receiver = receiver
        self.credentials: list[tuple[str, str]] = []  # (user, secret)
        self.call_sids: dict[str, list[str]] = {}  # account -> CA…
        self.message_sids: dict[str, list[str]] = {}  # account -> SM…

    def client(self, user: str, secret: str) -> httpx.Client:
        self.credentials.append((user, secret))
        return httpx.Client(base_url=self.server.url, auth=(user, secret), timeout=30)

    def workout(self, h: httpx.Client, account: str) -> None:
        """Everything one principal may do on `account`, and a few things it may not."""
        base = f"{ROOT}/{account}"
        voice = self.receiver.script("/voice", body="<Response><Say>Hi</Say></Response>")
        broken = self.receiver.script("/broken", status=500, body="oops")
        app = h.post(
            f"{base}/Applications.json",
            data={
                "FriendlyName": "secret test",
                "VoiceUrl": broken,
                "VoiceFallbackUrl": voice,
                "SmsUrl": voice,
                "StatusCallback": self.receiver.url("/status"),
            },
        )
        assert app.status_code == 201, app.text
        sid = app.json()["sid"]
        number = f"+1415{secrets.randbelow(10_000_000):07d}"
        made = h.post(
            f"{base}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": number, "VoiceApplicationSid": sid, "SmsApplicationSid": sid},
        )
        assert made.status_code == 201, made.text
        assert h.get(f"{base}/Applications/{sid}.json").status_code == 200
        assert h.get(f"{base}/Applications/{sid}").status_code == 200  # XML
        assert h.get(f"{base}/Applications.json", params={"PageSize": 2}).status_code == 200
        assert h.post(f"{base}/Applications/{sid}.json", data={"SmsMethod": "GET"}).is_success
        # Errors of every kind.
        assert h.post(f"{base}/Applications.json", data={"VoiceUrl": "nope"}).status_code == 400
        assert h.get(f"{base}/Applications/AP{'0' * 32}.json").status_code == 404
        assert h.delete(f"{base}/Applications.json").status_code == 405
        big = h.post(f"{base}/Applications.json", content=b"a=" + b"b" * 1_100_000)
        assert big.status_code == 413
        assert h.post(f"{base}/Applications.json", json={"a": 1}).status_code == 415
        # Simulated traffic: a failing primary, a fallback, a status callback, an SMS reply.
        call = h.post(f"{EXT}/{account}/InboundCalls", data={"To": number, "From": "+1415"})
        assert call.status_code == 201, call.text
        self.call_sids.setdefault(account, []).append(call.json()["call_sid"])
        message = h.post(
            f"{EXT}/{account}/InboundMessages",
            data={"To": number, "From": "+1415", "Body": "hello"},
        )
        assert message.status_code == 201, message.text
        self.message_sids.setdefault(account, []).append(message.json()["message_sid"])
        assert h.get(f"{EXT}/{account}/Requests").status_code == 200


def stored_texts(server: Server, traffic: Traffic, auths: dict[str, tuple[str, str]]) -> list[str]:
    """Every trace and every request-log page, as the API returns them."""
    texts: list[str] = []
    for account, (user, secret) in auths.items():
        with httpx.Client(base_url=server.url, auth=(user, secret), timeout=30) as h:
            url: str | None = f"{EXT}/{account}/Requests?PageSize=1000"
            while url:
                page = h.get(url)
                assert page.status_code == 200, page.text
                texts.append(page.text)
                url = page.json().get("next_page_uri")
            for sid in traffic.call_sids.get(account, []):
                resp = h.get(f"{EXT}/{account}/InboundCalls/{sid}")
                assert resp.status_code == 200, resp.text
                texts.append(resp.text)
            for sid in traffic.message_sids.get(account, []):
                resp = h.get(f"{EXT}/{account}/InboundMessages/{sid}")
                assert resp.status_code == 200, resp.text
                texts.append(resp.text)
    return texts


def table_dump(database_url: str) -> dict[str, str]:
    """Every table's rows as text, by table name."""
    if database_url.startswith("sqlite:///"):
        names = [
            row[0]
            for row in query(database_url, "SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {name: repr(query(database_url, f'SELECT * FROM "{name}"')) for name in names}
    names = [
        row[0]
        for row in query(
            database_url,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        )
    ]
    return {name: repr(query(database_url, f'SELECT t::text FROM "{name}" t')) for name in names}


def test_no_secret_in_logs_traces_or_webhooks(logged_server: Server) -> None:
    server = logged_server
    receiver = Receiver(server.auth_token)
    traffic = Traffic(server, receiver)
    try:
        main = traffic.client(server.account_sid, server.auth_token)
        sub_body = main.post(f"{ROOT}.json", data={"FriendlyName": "sub"}).json()
        sub_sid, sub_token = sub_body["sid"], sub_body["auth_token"]
        key = main.post(f"{ROOT}/{server.account_sid}/Keys.json", data={"FriendlyName": "k"})
        assert key.status_code == 201, key.text
        key_sid, key_secret = key.json()["sid"], key.json()["secret"]
        sub = traffic.client(sub_sid, sub_token)
        sub_key = sub.post(f"{ROOT}/{sub_sid}/Keys.json").json()
        other = server.create_account("Other")  # a top-level account made with the CLI
        cli_key = run_cli(
            "keys",
            "create",
            "--account",
            other["sid"],
            "--json",
            database_url=server.database_url,
        )
        other_key = json.loads(cli_key.stdout)

        traffic.workout(main, server.account_sid)
        traffic.workout(main, sub_sid)  # a parent on its child's paths
        traffic.workout(sub, sub_sid)
        with traffic.client(key_sid, key_secret) as as_key:
            traffic.workout(as_key, server.account_sid)
        with traffic.client(sub_key["sid"], sub_key["secret"]) as as_sub_key:
            traffic.workout(as_sub_key, sub_sid)
        with traffic.client(other["sid"], other["auth_token"]) as as_other:
            traffic.workout(as_other, other["sid"])
            # Credentials that do not grant the path.
            assert as_other.get(f"{ROOT}/{server.account_sid}/Applications.json").status_code == 401
        with traffic.client(other_key["sid"], other_key["secret"]) as as_other_key:
            assert as_other_key.get(f"{ROOT}/{other['sid']}/Applications.json").is_success
            assert as_other_key.get(f"{ROOT}/{other['sid']}/Keys.json").status_code == 403

        # Failing authentication: wrong tokens and secrets, tokens in the wrong place.
        wrong_token = secrets.token_hex(16)
        wrong_secret = rules.new_key_secret()
        for user, secret in [
            (server.account_sid, wrong_token),
            (key_sid, wrong_secret),
            (sub_sid, server.auth_token),  # a real token with the wrong SID
            (server.auth_token, server.auth_token),  # a token where the SID belongs
            ("AC" + "0" * 32, sub_token),
            (key_sid, server.auth_token),
        ]:
            with traffic.client(user, secret) as bad:
                resp = bad.get(f"{ROOT}/{server.account_sid}/Applications.json")
                assert resp.status_code == 401, resp.text
                resp = bad.post(f"{EXT}/{server.account_sid}/InboundCalls", data={"To": "+1"})
                assert resp.status_code == 401, resp.text
        raw_headers = [
            f"Basic {server.auth_token}",  # not base64 at all
            f"Bearer {server.auth_token}",
            f"Basic {base64.b64encode(server.auth_token.encode()).decode()}",  # no colon
            f"{server.auth_token}",
        ]
        for header in raw_headers:
            resp = httpx.get(
                f"{server.url}{ROOT}/{server.account_sid}/Applications.json",
                headers={"Authorization": header},
            )
            assert resp.status_code == 401, resp.text
        main.close()
        sub.close()

        auths = {
            server.account_sid: (server.account_sid, server.auth_token),
            sub_sid: (sub_sid, sub_token),
            other["sid"]: (other["sid"], other["auth_token"]),
        }
        stored = stored_texts(server, traffic, auths)
        assert any('"requests"' in text for text in stored)
        webhooks = [f"{r.method} {r.path}\n{r.headers}\n{r.body}" for r in receiver.requests()]
        assert len(webhooks) >= 10, len(webhooks)
    finally:
        receiver.close()
    server.stop()  # flush everything the process wrote
    log = server.log_path.read_text(errors="replace")
    assert f"GET {ROOT}/{server.account_sid}/Applications.json" in log, "no access log?"
    assert "401" in log and "413" in log

    needles: dict[str, str] = {}
    for user, secret in [
        *traffic.credentials,
        (server.account_sid, server.auth_token),
        (sub_sid, sub_token),
        (key_sid, key_secret),
        (other["sid"], other["auth_token"]),
        (other_key["sid"], other_key["secret"]),
        (sub_key["sid"], sub_key["secret"]),
    ]:
        needles[secret] = f"the secret of {user}"
        for form in basic_forms(user, secret):
            needles[form] = f"the Basic form of {user}:…"
    leaks = []
    for where, text in [
        ("server log", log),
        *((f"stored trace/request log #{i}", t) for i, t in enumerate(stored)),
        *((f"webhook request #{i}", t) for i, t in enumerate(webhooks)),
    ]:
        for needle, what in needles.items():
            if needle in text:
                at = text.index(needle)
                leaks.append(f"{what} in {where}: …{text[max(0, at - 80) : at + 40]!r}…")
    assert not leaks, "\n".join(leaks)


def test_secrets_at_rest(server: Server) -> None:
    """In the database: key secrets only in `api_keys` (they check Access Tokens' signatures),
    auth tokens only in `accounts` (they sign webhooks), never in traces or request logs."""
    receiver = Receiver(server.auth_token)
    try:
        with server.http() as h:
            keys = [h.post(f"{ROOT}/{server.account_sid}/Keys.json").json() for _ in range(3)]
            sub = h.post(f"{ROOT}.json").json()
            app = h.post(
                server.apps_path(),
                data={"VoiceUrl": receiver.script("/v"), "SmsUrl": receiver.url("/v")},
            ).json()
            number = "+14155550199"
            h.post(
                f"{ROOT}/{server.account_sid}/IncomingPhoneNumbers.json",
                data={"PhoneNumber": number, "VoiceApplicationSid": app["sid"]},
            )
            for key in keys:
                with server.http(key["sid"], key["secret"]) as as_key:
                    resp = as_key.post(
                        f"{EXT}/{server.account_sid}/InboundCalls",
                        data={"To": number, "From": "+1415"},
                    )
                    assert resp.status_code == 201, resp.text
    finally:
        receiver.close()
    dump = table_dump(server.database_url)
    assert "api_keys" in dump and "accounts" in dump, sorted(dump)
    problems = []
    for table, text in dump.items():
        for key in keys:
            if key["secret"] in text and table != "api_keys":
                problems.append(f"a key secret in {table}")
        for token in (server.auth_token, sub["auth_token"]):
            if token in text and table != "accounts":
                problems.append(f"an auth token in {table}")
    assert not problems, problems
    stored = query(server.database_url, "SELECT sid, secret, secret_hash FROM api_keys")
    assert sorted(stored) == sorted((k["sid"], k["secret"], None) for k in keys)


# Constant-time comparison: read the code (a timing measurement would be flaky).


def _function(path: Path, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    raise AssertionError(f"no function {name} in {path}")


SECRET_WORDS = ("password", "secret", "token", "digest", "candidate", "expected", "hash")


def _names(node: ast.AST) -> set[str]:
    out: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            out.add(sub.id.lower())
        elif isinstance(sub, ast.Attribute):
            out.add(sub.attr.lower())
    return out


def _plain_comparisons_of_secrets(fn: ast.AST) -> list[str]:
    """`==`, `!=`, `in`, `startswith`... applied to anything named like a secret."""
    found = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Compare) and any(
            isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) for op in node.ops
        ):
            operands = [node.left, *node.comparators]
            if any(
                any(word in name for word in SECRET_WORDS for name in _names(operand))
                for operand in operands
            ):
                found.append(ast.unparse(node))
    return found


def _calls(fn: ast.AST) -> list[str]:
    return [ast.unparse(node.func) for node in ast.walk(fn) if isinstance(node, ast.Call)]


def test_auth_compares_in_constant_time() -> None:
    auth = REPO / "src" / "switchboard" / "api" / "auth.py"
    fn = _function(auth, "authenticate")
    assert "hmac.compare_digest" in _calls(fn), "authenticate must use hmac.compare_digest"
    assert "rules.key_secret_matches" in _calls(fn), "key secrets must go through the rules"
    assert not _plain_comparisons_of_secrets(fn), _plain_comparisons_of_secrets(fn)
    # Every function of the module, too (no helper compares a secret with ==).
    tree = ast.parse(auth.read_text())
    assert not _plain_comparisons_of_secrets(tree), _plain_comparisons_of_secrets(tree)

    source = Path(inspect.getsourcefile(rules) or "")
    fn = _function(source, "verify_secret")
    assert "hmac.compare_digest" in _calls(fn), "verify_secret must use hmac.compare_digest"
    leftovers = [c for c in _plain_comparisons_of_secrets(fn) if "scheme" not in c]
    assert not leftovers, leftovers
    fn = _function(source, "key_secret_matches")
    assert {"hmac.compare_digest", "verify_secret"} <= set(_calls(fn))
    assert not _plain_comparisons_of_secrets(fn), _plain_comparisons_of_secrets(fn)
    # An Access Token's signature, too.
    fn = _function(Path(inspect.getsourcefile(tokens) or ""), "_check_signature")
    assert "hmac.compare_digest" in _calls(fn)
    assert not _plain_comparisons_of_secrets(fn), _plain_comparisons_of_secrets(fn)


def test_unknown_accounts_cost_a_comparison_too() -> None:
    """An unknown account SID still runs compare_digest (against a dummy), so whether an account
    exists does not change the path taken before the answer."""
    auth = REPO / "src" / "switchboard" / "api" / "auth.py"
    fn = _function(auth, "authenticate")
    source = ast.unparse(fn)
    compare_at = source.index("hmac.compare_digest")
    # The compare happens before (not instead of) the "no such account" refusal.
    for node in ast.walk(fn):
        if isinstance(node, ast.If) and "compare_digest" in ast.unparse(node.test):
            assert "account is None" in ast.unparse(node.test), ast.unparse(node.test)
            tests = ast.unparse(node.test)
            assert tests.index("compare_digest") < tests.index("account is None"), tests
            break
    else:
        raise AssertionError(f"no `if` around compare_digest in authenticate: {source}")
    assert compare_at > 0


def test_verify_secret_behaves() -> None:
    secret = rules.new_key_secret()
    stored = rules.hash_secret(secret)
    assert secret not in stored
    assert stored != rules.hash_secret(secret)  # salted
    assert rules.verify_secret(secret, stored)
    assert not rules.verify_secret(secret + "x", stored)
    assert not rules.verify_secret(secret[:-1], stored)
    assert not rules.verify_secret("", stored)
    assert not rules.verify_secret(secret, "")
    assert not rules.verify_secret(secret, "md5$x$y")
    assert not rules.verify_secret(secret, stored.replace("sha256", "sha1"))


def test_key_secret_matches() -> None:
    """A key made since 0005 is checked against its secret, one made before against its hash;
    no key matches nothing, not even the dummy it compares against."""
    secret = rules.new_key_secret()
    new = ApiKey("SK" + "1" * 32, "AC" + "1" * 32, None, 0, 0, secret=secret, secret_hash=None)
    old = ApiKey("SK" + "2" * 32, "AC" + "1" * 32, None, 0, 0, None, rules.hash_secret(secret))
    for key in (new, old):
        assert rules.key_secret_matches(secret, key)
        assert not rules.key_secret_matches(secret + "x", key)
        assert not rules.key_secret_matches("", key)
    assert not rules.key_secret_matches(old.secret_hash or "", old)  # the hash is no password
    broken = ApiKey("SK" + "3" * 32, "AC" + "1" * 32, None, 0, 0, None, None)
    assert not rules.key_secret_matches("", broken)
    for guess in (secret, "", "0" * 32):
        assert not rules.key_secret_matches(guess, None)
    assert secret not in repr(new) and (old.secret_hash or "?") not in repr(old)


def test_export_holds_no_key_secret(server: Server) -> None:
    """`switchboard export` writes accounts (with their tokens) and no API key, though the
    database now keeps key secrets."""
    with server.http() as h:
        key = h.post(f"{ROOT}/{server.account_sid}/Keys.json").json()
    out = run_cli("export", database_url=server.database_url)
    assert server.account_sid in out.stdout
    assert key["secret"] not in out.stdout
    assert key["sid"] not in out.stdout
