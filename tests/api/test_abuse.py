"""Abuse limits and webhook target policy, against real servers started with the flags.

- `--rate-limit R` (requests per second per account, bucket of ceil(R)), `--concurrency-limit N`
  (requests in flight per account): beyond them, Twilio's 429 with code 20429 and Retry-After.
- `--auth-failure-limit N`: after N failed authentications (401 20003 with credentials) from one
  client address within 60 s, every request from that address gets 429 20429 until the window
  passes; other addresses are not affected.
- All off by default: a local server has one user.
- `--webhook-deny-private`, `--webhook-allow X`, `--webhook-deny X`: a refused webhook target
  fails that request with 11200 and nothing is sent to it; redirects are checked at every hop.

Receivers listen on 127.0.0.1 and 127.0.0.2 (both loopback on Linux), and clients connect from
other loopback addresses to be other "client addresses".
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Server, random_number, run_cli
from errors import assert_error, describe
from receiver import Listener, reply

from switchboard.api.limits import Limits
from switchboard.twilio.errors import TwilioError

ROOT = "/2010-04-01/Accounts"
EXT = "/switchboard/v1/Accounts"


# Helpers


def assert_429(resp: httpx.Response) -> int:
    """Twilio's 429: code 20429, Retry-After in whole seconds >= 1. Returns it."""
    assert_error(resp, 429, 20429)
    retry_after = resp.headers.get("retry-after")
    assert retry_after is not None and retry_after.isdigit(), resp.headers
    assert int(retry_after) >= 1, retry_after
    return int(retry_after)


def from_address(server: Server, address: str, auth: tuple[str, str] | None) -> httpx.Client:
    """A client whose connections come from `address` (a loopback address other than .1)."""
    return httpx.Client(
        base_url=server.url,
        auth=auth,
        timeout=30,
        transport=httpx.HTTPTransport(local_address=address),
    )


@pytest.fixture
def launch(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """`launch(*flags)`: a server on the test's database, started with these flags; every server
    a test launches is stopped at its end."""
    with contextlib.ExitStack() as started:
        yield lambda *flags: started.enter_context(Server(database_url, tmp_path, flags))


def new_account(server: Server) -> tuple[str, str]:
    made = server.create_account(f"other {secrets.token_hex(3)}")
    return made["sid"], made["auth_token"]


# Off by default


def test_no_limits_by_default(server: Server) -> None:
    """200 quick requests (16 clients at once, a quarter with a wrong token) and 50 more failed
    logins: never a 429."""
    apps = server.apps_path()

    def client(i: int) -> list[int]:
        statuses = []
        with server.http() as good, server.http(server.account_sid, "0" * 32) as bad:
            for j in range(i, 200, 16):
                statuses.append((bad if j % 4 == 0 else good).get(apps).status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = [s for part in pool.map(client, range(16)) for s in part]
    assert len(statuses) == 200
    assert sorted(set(statuses)) == [200, 401], statuses
    with server.http(server.account_sid, "1" * 32) as bad:
        assert all(bad.get(apps).status_code == 401 for _ in range(50))
    with server.http() as h:
        assert h.get(apps).status_code == 200


# Rate


def test_rate_limit_per_account(launch: Callable[..., Server], database_url: str) -> None:
    """--rate-limit 0.5: a bucket of one request, refilled every two seconds (slow enough that
    nothing refills while the test looks)."""
    server = launch("--rate-limit", "0.5")
    other_sid, other_token = new_account(server)
    made = run_cli(
        "keys",
        "create",
        "--account",
        server.account_sid,
        "--json",
        database_url=database_url,
    )
    key = json.loads(made.stdout)
    with server.http() as h:
        first = h.get(server.apps_path())
        assert first.status_code == 200, describe(first)
        waits = [assert_429(h.get(server.apps_path())) for _ in range(5)]
        assert set(waits) <= {1, 2}, waits
        assert_429(h.get(server.apps_path(suffix="")))  # the XML form of the same 429
        assert_429(h.post(server.apps_path(), data={"FriendlyName": "refused"}))
        # An API key acts as its account: the same bucket.
        with server.http(key["sid"], key["secret"]) as as_key:
            assert_429(as_key.get(server.apps_path()))
        # Another account has its own.
        with server.http(other_sid, other_token) as other:
            resp = other.get(server.apps_path(other_sid))
            assert resp.status_code == 200, describe(resp)
            assert_429(other.get(server.apps_path(other_sid)))
        # Waiting what Retry-After says lets a request through again.
        time.sleep(assert_429(h.get(server.apps_path())))
        resp = h.get(server.apps_path())
        assert resp.status_code == 200, describe(resp)
        assert all(a["friendly_name"] != "refused" for a in resp.json()["applications"])


# Concurrency


class Hook:
    """A webhook target on `host` (127.0.0.1 or another loopback address): scripted answers
    per path (status, headers, body, delay), every request recorded."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, tuple[int, dict[str, str], str, float]] = {}
        self.seen: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.listener = Listener(self._respond, host)
        self.port = self.listener.port
        self.base = self.listener.base_url

    def _respond(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        with self.lock:
            self.seen.append((handler.command, handler.path))
        path = handler.path.split("?", 1)[0]
        status, headers, text, delay = self.routes.get(
            path, (200, {"Content-Type": "text/xml"}, "<Response/>", 0.0)
        )
        if delay:
            time.sleep(delay)
        reply(handler, status, headers, text.encode())

    def route(
        self,
        path: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        body: str = "<Response/>",
        delay: float = 0.0,
    ) -> str:
        self.routes[path] = (status, headers or {"Content-Type": "text/xml"}, body, delay)
        return f"{self.base}{path}"

    def hits(self, path: str | None = None) -> int:
        with self.lock:
            return sum(1 for _, p in self.seen if path is None or p.split("?")[0] == path)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def hooks() -> Iterator[dict[str, Hook]]:
    made = {"one": Hook("127.0.0.1"), "two": Hook("127.0.0.2")}
    try:
        yield made
    finally:
        for hook in made.values():
            hook.close()


@dataclass
class Line:
    """A number whose calls and messages are served by one application of the account."""

    server: Server
    account_sid: str
    auth: tuple[str, str]
    app_sid: str = ""
    number: str = ""
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.server.url, auth=self.auth, timeout=60)
        app = self.http.post(
            f"{ROOT}/{self.account_sid}/Applications.json", data={"FriendlyName": "hooked"}
        )
        assert app.status_code == 201, app.text
        self.app_sid = app.json()["sid"]
        self.number = random_number()
        made = self.http.post(
            f"{ROOT}/{self.account_sid}/IncomingPhoneNumbers.json",
            data={
                "PhoneNumber": self.number,
                "VoiceApplicationSid": self.app_sid,
                "SmsApplicationSid": self.app_sid,
            },
        )
        assert made.status_code == 201, made.text

    def point(self, voice_url: str, sms_url: str | None = None) -> None:
        form = {"VoiceUrl": voice_url, "SmsUrl": sms_url or voice_url}
        resp = self.http.post(
            f"{ROOT}/{self.account_sid}/Applications/{self.app_sid}.json", data=form
        )
        assert resp.status_code == 200, describe(resp)

    def call(self) -> httpx.Response:
        return self.http.post(
            f"{EXT}/{self.account_sid}/InboundCalls", data={"To": self.number, "From": "+1415"}
        )

    def message(self) -> httpx.Response:
        return self.http.post(
            f"{EXT}/{self.account_sid}/InboundMessages",
            data={"To": self.number, "From": "+1415", "Body": "hi"},
        )

    def close(self) -> None:
        self.http.close()


def main_line(server: Server) -> Line:
    return Line(server, server.account_sid, (server.account_sid, server.auth_token))


def test_concurrency_limit_per_account(
    launch: Callable[..., Server], hooks: dict[str, Hook]
) -> None:
    server = launch("--concurrency-limit", "2")
    other_sid, other_token = new_account(server)
    line = main_line(server)
    slow = hooks["one"].route("/slow", delay=2.0)
    line.point(slow)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            in_flight = [pool.submit(line.call) for _ in range(2)]
            deadline = time.monotonic() + 10
            while hooks["one"].hits("/slow") < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert hooks["one"].hits("/slow") == 2
            # Two requests of the account are in flight: a third is refused at once...
            with server.http() as h:
                assert_429(h.get(server.apps_path()))
                assert_429(h.get(server.apps_path(suffix="")))
            third = line.call()
            assert_429(third)
            # ...another account's are not.
            with server.http(other_sid, other_token) as other:
                resp = other.get(server.apps_path(other_sid))
                assert resp.status_code == 200, describe(resp)
            done = [f.result(timeout=30) for f in in_flight]
        for resp in done:
            assert resp.status_code == 201, describe(resp)
            assert resp.json()["status"] == "completed", resp.text
        assert hooks["one"].hits("/slow") == 2  # the refused call requested nothing
        with server.http() as h:
            resp = h.get(server.apps_path())
            assert resp.status_code == 200, describe(resp)
    finally:
        line.close()


# Failed authentication, per client address


def test_auth_failure_limit_per_address(launch: Callable[..., Server]) -> None:
    server = launch("--auth-failure-limit", "5")
    good = (server.account_sid, server.auth_token)
    wrong = (server.account_sid, "0" * 32)
    apps = server.apps_path()
    with server.http() as h:
        closed = h.post(f"{ROOT}.json", data={"FriendlyName": "closed"}).json()
        assert h.post(f"{ROOT}/{closed['sid']}.json", data={"Status": "closed"}).is_success

    # Requests without credentials, and credentials of a closed account (20005), do not count.
    with from_address(server, "127.0.0.2", None) as anonymous:
        for _ in range(10):
            assert anonymous.get(apps).status_code == 401
    with from_address(server, "127.0.0.2", (closed["sid"], closed["auth_token"])) as shut:
        for _ in range(10):
            assert_error(shut.get(server.apps_path(closed["sid"])), 401, 20005)
    with from_address(server, "127.0.0.2", good) as h:
        assert h.get(apps).status_code == 200

    # Five failures from 127.0.0.3: the next request from there is refused, even a good one.
    # (A forged X-Forwarded-For does not make it another address: 127.0.0.3 is no trusted proxy.)
    with from_address(server, "127.0.0.3", wrong) as attacker:
        for i in range(5):
            resp = attacker.get(apps, headers={"X-Forwarded-For": f"10.0.0.{i}"})
            assert_error(resp, 401, 20003)
        retry_after = assert_429(attacker.get(apps, headers={"X-Forwarded-For": "10.0.0.9"}))
        assert 1 <= retry_after <= 60, retry_after
        attacker.auth = good
        assert_429(attacker.get(apps))
        assert_429(attacker.get(f"{EXT}/{server.account_sid}/Requests"))
        assert_429(attacker.get(server.apps_path(suffix="")))
        # (The health check is not behind the limit: a load balancer must see the server.)
        assert attacker.get("/healthz").status_code == 200

    # Unknown account SIDs, unknown keys and garbage Basic count as well.
    with from_address(server, "127.0.0.4", ("SK" + "0" * 32, "x")) as keyed:
        for auth in [("SK" + "0" * 32, "x"), ("AC" + "0" * 32, "y"), ("nobody", "z")] * 2:
            keyed.auth = auth
            if keyed.get(apps).status_code == 429:
                break
        keyed.auth = good
        assert_429(keyed.get(apps))

    # Other addresses are unaffected: 127.0.0.2 and 127.0.0.1.
    with from_address(server, "127.0.0.2", good) as h:
        assert h.get(apps).status_code == 200
    with server.http() as h:
        assert h.get(apps).status_code == 200

    # Not even 127.0.0.1 (uvicorn's default trusted proxy) is trusted unless FORWARDED_ALLOW_IPS
    # names it: failures under ever-new forged X-Forwarded-For addresses count against it.
    # (Last, since it locks 127.0.0.1 out for a minute.)
    with from_address(server, "127.0.0.1", wrong) as forger:
        for i in range(5):
            resp = forger.get(apps, headers={"X-Forwarded-For": f"203.0.113.{i}"})
            assert resp.status_code == 401, describe(resp)
        assert_429(forger.get(apps, headers={"X-Forwarded-For": "203.0.113.99"}))


def test_limits_with_a_fake_clock() -> None:
    """The windows and buckets themselves, without waiting a minute: the failure window ends,
    the bucket refills, the concurrency slot frees, memory stays bounded."""
    now = [1000.0]
    limits = Limits(rate=2, concurrency=1, auth_failures=3, clock=lambda: now[0])
    for _ in range(3):
        limits.check_client("10.0.0.1")
        limits.auth_failed("10.0.0.1")
    with pytest.raises(TwilioError) as info:
        limits.check_client("10.0.0.1")
    assert (info.value.code, info.value.status) == (20429, 429)
    assert info.value.headers == {"Retry-After": "60"}
    limits.check_client("10.0.0.2")  # another address
    now[0] += 59.5
    with pytest.raises(TwilioError) as info:
        limits.check_client("10.0.0.1")
    assert info.value.headers == {"Retry-After": "1"}
    now[0] += 0.6
    limits.check_client("10.0.0.1")  # the window passed

    limits.acquire("AC1")
    limits.release("AC1")
    limits.acquire("AC1")
    limits.release("AC1")
    with pytest.raises(TwilioError) as info:
        limits.acquire("AC1")  # the bucket (2) is empty
    assert info.value.headers == {"Retry-After": "1"}
    limits.acquire("AC2")  # another account
    limits.release("AC2")
    now[0] += 0.5  # one token back at 2/s
    limits.acquire("AC1")
    with pytest.raises(TwilioError):
        now[0] += 10
        limits.acquire("AC1")  # one in flight already
    limits.release("AC1")
    limits.acquire("AC1")
    limits.release("AC1")

    spray = Limits(auth_failures=5, clock=lambda: now[0])
    for i in range(20_000):
        spray.auth_failed(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
    assert len(spray._failures) <= 10_001


# Webhook targets


def trace_requests(resp: httpx.Response) -> list[dict[str, Any]]:
    assert resp.status_code == 201, describe(resp)
    requests: list[dict[str, Any]] = resp.json()["requests"]
    return requests


def assert_refused(resp: httpx.Response, *why: str) -> None:
    """The flow's webhook request failed with 11200 for one of the reasons `why`, nothing was
    answered, and the flow failed."""
    requests = trace_requests(resp)
    assert requests, resp.text
    for request in requests:
        assert request["error_code"] == 11200, request
        assert any(w in (request["error_message"] or "") for w in why), request
        assert request["status_code"] is None, request
    assert resp.json()["status"] == "failed", resp.text


def assert_delivered(resp: httpx.Response) -> None:
    requests = trace_requests(resp)
    assert requests and all(r["error_code"] is None for r in requests), resp.text
    assert resp.json()["status"] == "completed", resp.text


def loopback_spellings(port: int) -> list[str]:
    """127.0.0.1 (and the host itself) written every way a resolver accepts."""
    return [
        f"http://127.0.0.1:{port}/hook",
        f"http://localhost:{port}/hook",
        f"http://LOCALHOST:{port}/hook",
        f"http://127.1:{port}/hook",
        f"http://0x7f.0.0.1:{port}/hook",
        f"http://0177.0.0.1:{port}/hook",
        f"http://2130706433:{port}/hook",
        f"http://[::ffff:127.0.0.1]:{port}/hook",
        f"http://[::ffff:7f00:1]:{port}/hook",
        f"http://[::1]:{port}/hook",
        f"http://0.0.0.0:{port}/hook",
    ]


def unresolvable_spellings(port: int) -> list[str]:
    """Spellings this host's resolver refuses: a connection failure (11205) is as good as a
    refusal (11200), as long as nothing is sent."""
    return [f"http://127.0.0.1.:{port}/hook", f"http://localhost.:{port}/hook"]


def test_deny_private_refuses_loopback_however_spelled(
    launch: Callable[..., Server], hooks: dict[str, Hook]
) -> None:
    server = launch("--webhook-deny-private")
    line = main_line(server)
    hook = hooks["one"]
    hook.route("/hook")
    problems = []
    try:
        for url in loopback_spellings(hook.port):
            line.point(url)
            for kind, resp in (("call", line.call()), ("sms", line.message())):
                try:
                    assert_refused(resp, "private")
                except AssertionError as exc:
                    problems.append(f"{kind} {url}: {exc}")
        for url in unresolvable_spellings(hook.port):
            line.point(url)
            for request in trace_requests(line.call()):
                if request["error_code"] not in (11200, 11205):
                    problems.append(f"call {url}: {request}")
        # Private addresses that are not loopback.
        line.point("http://10.255.255.1:9/hook")
        assert_refused(line.call(), "private")
        line.point("http://169.254.169.254/latest/meta-data/")  # the cloud metadata address
        assert_refused(line.call(), "private")
    finally:
        line.close()
    assert hook.hits() == 0, hook.seen
    assert not problems, "\n".join(problems)


def test_allow_entry_overrides_deny_private_and_redirects_are_checked_per_hop(
    launch: Callable[..., Server], hooks: dict[str, Hook]
) -> None:
    server = launch(
        "--webhook-deny-private",
        "--webhook-allow",
        "127.0.0.1/32",
    )
    line = main_line(server)
    one, two = hooks["one"], hooks["two"]
    try:
        line.point(one.route("/ok"))
        assert_delivered(line.call())
        assert_delivered(line.message())
        assert one.hits("/ok") == 2

        # 127.0.0.2 is loopback and not on the allow list (which, once given, is exclusive).
        line.point(two.route("/direct"))
        assert_refused(line.call(), "not on the allow list")
        assert two.hits() == 0

        # An allowed host that redirects to an allowed one: followed.
        line.point(one.route("/bounce-ok", 302, {"Location": "/ok"}))
        assert_delivered(line.call())
        assert one.hits("/ok") == 3

        # An allowed host that redirects to a denied one: the second hop is refused.
        target = two.route("/inside")
        for status in (301, 302, 303, 307, 308):
            line.point(one.route(f"/bounce-{status}", status, {"Location": target}))
            resp = line.call()
            assert_refused(resp, "not on the allow list", "private")
            assert one.hits(f"/bounce-{status}") == 1
        assert two.hits() == 0, two.seen
    finally:
        line.close()


def test_deny_list_by_address_and_by_domain(
    launch: Callable[..., Server], hooks: dict[str, Hook]
) -> None:
    server = launch(
        "--webhook-deny",
        "127.0.0.1/32",
        "--webhook-deny",
        ".blocked.test",
        "--webhook-deny",
        "exact.test",
    )
    line = main_line(server)
    one, two = hooks["one"], hooks["two"]
    try:
        line.point(one.route("/hook"))
        assert_refused(line.call(), "denied")
        line.point(f"http://localhost:{one.port}/hook")  # resolves to a denied address
        assert_refused(line.call(), "denied")
        for url in (
            "http://a.blocked.test/x",
            "http://deep.a.blocked.test/x",
            "http://exact.test/",
        ):
            line.point(url)
            assert_refused(line.call(), "denied")
        assert one.hits() == 0
        # Not denied (and no deny-private): delivered.
        line.point(two.route("/fine"))
        assert_delivered(line.call())
        assert two.hits("/fine") == 1
        # A redirect from an allowed target onto a denied one.
        line.point(two.route("/bounce", 302, {"Location": one.route("/hook")}))
        assert_refused(line.call(), "denied")
        assert one.hits() == 0
    finally:
        line.close()


def test_deny_list_is_not_bypassed_by_other_spellings_of_loopback(
    launch: Callable[..., Server], hooks: dict[str, Hook]
) -> None:
    """`--webhook-deny 127.0.0.0/8` refuses the IPv4-mapped IPv6 spellings of 127.0.0.1 and
    `0.0.0.0` (this host), whether configured as the URL or reached by a TwiML `<Redirect>`
    from an allowed target."""
    server = launch("--webhook-deny", "127.0.0.0/8")
    line = main_line(server)
    one, two = hooks["one"], hooks["two"]  # 127.0.0.1 (denied), 127.0.0.2 (denied too)
    port = one.port
    spellings = [
        f"http://[::ffff:127.0.0.1]:{port}/hook",
        f"http://[::ffff:7f00:1]:{port}/hook",
        f"http://0.0.0.0:{port}/hook",
        f"http://0:{port}/hook",
    ]
    problems = []
    try:
        one.route("/hook")
        for url in spellings:
            line.point(url)
            for kind, resp in (("call", line.call()), ("sms", line.message())):
                try:
                    assert_refused(resp, "denied")
                except AssertionError as exc:
                    problems.append(f"{kind} {url}: {exc}")
        assert one.hits() == 0, one.seen
        assert two.hits() == 0
    finally:
        line.close()
    assert not problems, "\n".join(problems)
    server.stop()

    # Through <Redirect>: a server that denies only 127.0.0.1, so the first document (on
    # 127.0.0.2) is fetched, and its redirect onto a spelling of 127.0.0.1 is refused.
    server = launch("--webhook-deny", "127.0.0.1/32")
    line = main_line(server)
    try:
        for url in spellings:
            twiml = f"<Response><Redirect>{url}</Redirect></Response>"
            line.point(two.route("/start", body=twiml))
            resp = line.call()
            requests = trace_requests(resp)
            assert [r["purpose"] for r in requests] == ["voice_url", "redirect"], requests
            assert requests[0]["error_code"] is None, requests
            assert requests[1]["error_code"] == 11200, requests
            assert "denied" in requests[1]["error_message"], requests
            assert resp.json()["status"] == "failed"
        assert one.hits() == 0, one.seen
        assert two.hits("/start") == len(spellings)
    finally:
        line.close()


def test_allow_list_only(launch: Callable[..., Server], hooks: dict[str, Hook]) -> None:
    server = launch("--webhook-allow", "127.0.0.2")
    line = main_line(server)
    one, two = hooks["one"], hooks["two"]
    try:
        line.point(one.route("/hook"))
        assert_refused(line.call(), "not on the allow list")
        line.point(f"http://localhost:{one.port}/hook")
        assert_refused(line.call(), "not on the allow list")
        line.point(two.route("/fine"))
        assert_delivered(line.call())
        line.point(two.route("/bounce", 302, {"Location": one.route("/hook")}))
        assert_refused(line.call(), "not on the allow list")
        assert one.hits() == 0
        assert two.hits("/fine") == 1 and two.hits("/bounce") == 1
    finally:
        line.close()


def test_no_policy_by_default_reaches_local_receivers(
    server: Server, hooks: dict[str, Hook]
) -> None:
    """Local use: without any flag, webhooks on 127.0.0.1 are requested."""
    line = main_line(server)
    try:
        line.point(hooks["one"].route("/local"))
        assert_delivered(line.call())
        assert hooks["one"].hits("/local") == 1
    finally:
        line.close()
