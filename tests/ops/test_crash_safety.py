"""Crash safety: SIGKILL at a random moment while many clients write, several times over.

Six clients, each with a subaccount of its own, create, update and delete applications (and
create numbers linked to them) as fast as the server answers. At a random moment the server is
killed with SIGKILL; after the restart:

- every acknowledged create is there (unless later acknowledged deleted), with exactly the last
  acknowledged state; every acknowledged delete is gone;
- a write that was in flight at the kill either landed completely or not at all (an update shows
  its old or its new value, a delete either the record or nothing, a create either nothing or
  the complete record it asked for);
- every record is complete and well-formed (all 21 fields of an application), every number's
  application link points at an application that exists, and nothing exists that nobody asked
  for;
- the database passes its own integrity check (SQLite: PRAGMA integrity_check and
  foreign_key_check; PostgreSQL: amcheck over every index and heap).

Three kill cycles per store, each killing the server once at least `MIN_ACKNOWLEDGED` writes are
acknowledged, after a random extra moment: how much happens before the kill does not depend on
the machine's speed. The seed of each run is in the failure message, to replay it.
"""

from __future__ import annotations

import random
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from conftest import APPLICATION_KEYS, Server, query

ROOT = "/2010-04-01/Accounts"
WORKERS = 6
CYCLES = 3
# The SIGKILL comes once at least MIN_ACKNOWLEDGED writes of the cycle are acknowledged, however
# long that takes on a busy machine (at most ACK_TIMEOUT seconds), then after a random extra
# moment of writing: enough always happens before it, at whatever speed the machine runs.
MIN_ACKNOWLEDGED = 60
ACK_TIMEOUT = 120.0
EXTRA_WINDOW = (0.0, 1.2)  # seconds

APP_FIELDS = APPLICATION_KEYS
URL_FIELDS = {
    "message_status_callback",
    "sms_fallback_url",
    "sms_status_callback",
    "sms_url",
    "status_callback",
    "voice_fallback_url",
    "voice_url",
}
METHOD_FIELDS = {
    "sms_fallback_method",
    "sms_method",
    "status_callback_method",
    "voice_fallback_method",
    "voice_method",
}
BOOL_FIELDS = {"voice_caller_id_lookup", "public_application_connect_enabled"}
# Parameter -> field; the values the workers send are already in their stored form.
PARAMS = {
    "FriendlyName": "friendly_name",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "StatusCallback": "status_callback",
    "VoiceCallerIdLookup": "voice_caller_id_lookup",
    "PublicApplicationConnectEnabled": "public_application_connect_enabled",
}
DATE_RE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000$"
)
AP_RE = re.compile(r"^AP[0-9a-f]{32}$")


def stored(form: dict[str, str]) -> dict[str, Any]:
    """The fields a form sets, as the API shows them."""
    out: dict[str, Any] = {}
    for param, value in form.items():
        key = PARAMS[param]
        out[key] = (value == "true") if key in BOOL_FIELDS else value
    return out


@dataclass
class App:
    sid: str
    confirmed: dict[str, Any] | None  # the last acknowledged state; None: acknowledged deleted
    pending: tuple[str, dict[str, str]] | None = None  # ("update"|"delete", form) at the kill


@dataclass
class Number:
    sid: str
    phone: str
    app_sid: str  # the application it was linked to when created


@dataclass
class Worker:
    """One client: its own subaccount, its own records, its own random stream."""

    index: int
    account: str
    token: str
    rng: random.Random
    apps: dict[str, App] = field(default_factory=dict)
    numbers: dict[str, Number] = field(default_factory=dict)
    pending_app_creates: list[dict[str, str]] = field(default_factory=list)
    pending_number_creates: list[str] = field(default_factory=list)  # phone numbers
    acknowledged: int = 0
    errors: list[str] = field(default_factory=list)
    counter: int = 0

    def live(self) -> list[App]:
        return [a for a in self.apps.values() if a.confirmed is not None and a.pending is None]

    def form(self) -> dict[str, str]:
        self.counter += 1
        rng, n = self.rng, self.counter
        form = {"FriendlyName": f"w{self.index}-{n}-{secrets.token_hex(3)}"}
        for param in ("VoiceUrl", "SmsUrl", "StatusCallback"):
            if rng.random() < 0.6:
                form[param] = f"https://example.com/{self.index}/{n}/{param.lower()}"
        for param in ("VoiceMethod", "SmsMethod"):
            if rng.random() < 0.5:
                form[param] = rng.choice(["GET", "POST"])
        for param in ("VoiceCallerIdLookup", "PublicApplicationConnectEnabled"):
            if rng.random() < 0.5:
                form[param] = rng.choice(["true", "false"])
        return form

    def run(self, base_url: str, stop: threading.Event) -> None:
        apps_path = f"{ROOT}/{self.account}/Applications"
        with httpx.Client(base_url=base_url, auth=(self.account, self.token), timeout=10) as h:
            while not stop.is_set():
                live = self.live()
                roll = self.rng.random()
                if not live or roll < 0.4:
                    form = self.form()
                    try:
                        resp = h.post(f"{apps_path}.json", data=form)
                    except httpx.TransportError:
                        self.pending_app_creates.append(form)
                        return
                    if self.expect(resp, 201):
                        body = resp.json()
                        self.apps[body["sid"]] = App(body["sid"], body)
                elif roll < 0.75:
                    app = self.rng.choice(live)
                    form = self.form()
                    try:
                        resp = h.post(f"{apps_path}/{app.sid}.json", data=form)
                    except httpx.TransportError:
                        app.pending = ("update", form)
                        return
                    if self.expect(resp, 200):
                        app.confirmed = resp.json()
                elif roll < 0.9:
                    app = self.rng.choice(live)
                    try:
                        resp = h.delete(f"{apps_path}/{app.sid}.json")
                    except httpx.TransportError:
                        app.pending = ("delete", {})
                        return
                    if self.expect(resp, 204):
                        app.confirmed = None
                else:
                    app = self.rng.choice(live)
                    phone = f"+1{self.rng.randint(200, 999)}{self.rng.randint(0, 9_999_999):07d}"
                    try:
                        resp = h.post(
                            f"{ROOT}/{self.account}/IncomingPhoneNumbers.json",
                            data={"PhoneNumber": phone, "VoiceApplicationSid": app.sid},
                        )
                    except httpx.TransportError:
                        self.pending_number_creates.append(phone)
                        return
                    if resp.status_code == 400 and resp.json().get("code") == 21422:
                        continue  # another worker holds that number: not a write
                    if self.expect(resp, 201):
                        body = resp.json()
                        self.numbers[body["sid"]] = Number(body["sid"], phone, app.sid)

    def expect(self, resp: httpx.Response, status: int) -> bool:
        if resp.status_code == status:
            self.acknowledged += 1
            return True
        req = resp.request
        self.errors.append(f"{req.method} {req.url.path} -> {resp.status_code} {resp.text[:300]}")
        return False


def integrity_problems(database_url: str) -> list[str]:
    """The database's own consistency checks; [] when all is well."""
    if database_url.startswith("sqlite:///"):
        problems = [row[0] for row in query(database_url, "PRAGMA integrity_check")]
        problems = [p for p in problems if p != "ok"]
        problems += [repr(row) for row in query(database_url, "PRAGMA foreign_key_check")]
        return problems
    query(database_url, "CREATE EXTENSION IF NOT EXISTS amcheck")
    problems = []
    indexes = query(
        database_url,
        "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree' "
        "AND c.relnamespace = 'public'::regnamespace",
    )
    if not indexes:
        problems.append("no indexes found")
    for (index,) in indexes:
        try:
            query(database_url, f"SELECT bt_index_check('{index}'::regclass, true)")
        except Exception as exc:
            problems.append(f"index {index}: {exc}")
    tables = query(
        database_url,
        "SELECT c.oid::regclass::text FROM pg_class c "
        "WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace",
    )
    for (table,) in tables:
        rows = query(database_url, f"SELECT * FROM verify_heapam('{table}'::regclass)")
        problems += [f"heap {table}: {row}" for row in rows]
    return problems


def app_shape_problems(app: dict[str, Any], account: str) -> list[str]:
    """Every field present and well-formed: nothing half-written."""
    problems = []
    if tuple(app) != APP_FIELDS:
        problems.append(f"fields {list(app)}")
        return problems
    sid = app["sid"]
    checks = [
        AP_RE.match(sid) is not None,
        app["account_sid"] == account,
        app["api_version"] == "2010-04-01",
        bool(DATE_RE.match(app["date_created"])),
        bool(DATE_RE.match(app["date_updated"])),
        app["uri"] == f"{ROOT}/{account}/Applications/{sid}.json",
        isinstance(app["friendly_name"], str) and bool(app["friendly_name"]),
        all(app[k] in ("GET", "POST") for k in METHOD_FIELDS),
        all(isinstance(app[k], bool) for k in BOOL_FIELDS),
        all(app[k] is None or app[k].startswith("https://example.com/") for k in URL_FIELDS),
    ]
    if not all(checks):
        problems.append(f"malformed {sid}: {app}")
    return problems


def listed(h: httpx.Client, path: str, key: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    url: str | None = f"{path}?PageSize=1000"
    while url:
        resp = h.get(url)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        out.update((item["sid"], item) for item in body[key])
        url = body["next_page_uri"]
    return out


def verify_worker(server: Server, w: Worker) -> list[str]:
    """Compare what the server has with what the worker was told; then make the worker's view
    exact again (in-flight writes resolved as found) for the next cycle."""
    problems: list[str] = []
    base = f"{ROOT}/{w.account}"
    with server.http(w.account, w.token) as h:
        apps = listed(h, f"{base}/Applications.json", "applications")
        numbers = listed(h, f"{base}/IncomingPhoneNumbers.json", "incoming_phone_numbers")
        for sid in list(apps)[:5]:  # a fetch answers what the list shows
            fetched = h.get(f"{base}/Applications/{sid}.json")
            if fetched.status_code != 200 or fetched.json() != apps[sid]:
                problems.append(f"fetch {sid}: {fetched.status_code} {fetched.text[:200]}")

    for body in apps.values():
        problems += app_shape_problems(body, w.account)
    for app in w.apps.values():
        found = apps.get(app.sid)
        before = app.confirmed
        if app.pending is None:
            if found != before:
                problems.append(f"{app.sid}: acknowledged {before}, found {found}")
        elif app.pending[0] == "delete":
            if found is not None and found != before:
                problems.append(f"{app.sid}: delete in flight, found {found} (was {before})")
        else:
            assert before is not None
            new = stored(app.pending[1])
            landed = found is not None and all(found[k] == v for k, v in new.items())
            unchanged_elsewhere = found is not None and all(
                found[k] == before[k] for k in APP_FIELDS if k not in new and k != "date_updated"
            )
            if found != before and not (landed and unchanged_elsewhere):
                problems.append(f"{app.sid}: update {new} in flight; was {before}, found {found}")
        app.confirmed, app.pending = found, None
    # Records nobody was told about: only creates that were in flight, each complete.
    unknown = [body for sid, body in apps.items() if sid not in w.apps]
    for body in unknown:
        matches = [
            form
            for form in w.pending_app_creates
            if all(body[k] == v for k, v in stored(form).items())
        ]
        if not matches:
            problems.append(f"{body['sid']} exists but nobody created it: {body}")
        else:
            w.pending_app_creates.remove(matches[0])
            w.apps[body["sid"]] = App(body["sid"], body)
    w.pending_app_creates.clear()

    for number in w.numbers.values():
        got = numbers.get(number.sid)
        if got is None:
            problems.append(f"acknowledged number {number.sid} ({number.phone}) is gone")
            continue
        link = got["voice_application_sid"]
        if link is not None and (link != number.app_sid or link not in apps):
            problems.append(f"{number.sid} links to {link}, which is not there")
        if link is None and number.app_sid in apps:
            problems.append(f"{number.sid} lost its link to {number.app_sid}, which exists")
    for sid, got in numbers.items():
        if sid in w.numbers:
            continue
        if got["phone_number"] not in w.pending_number_creates:
            problems.append(f"number {sid} exists but nobody created it: {got}")
            continue
        link = got["voice_application_sid"]
        if link is not None and link not in apps:
            problems.append(f"{sid} (created in flight) links to missing {link}")
        w.numbers[sid] = Number(sid, got["phone_number"], link or "")
    w.pending_number_creates.clear()
    return problems


def acknowledged_by(workers: list[Worker], count: int, deadline: float) -> None:
    """Return once the workers have together had `count` writes acknowledged."""
    while sum(w.acknowledged for w in workers) < count:
        got = sum(w.acknowledged for w in workers)
        errors = [e for w in workers for e in w.errors]
        assert time.monotonic() < deadline, f"only {got} writes acknowledged in time: {errors[:5]}"
        time.sleep(0.005)


@pytest.mark.slow
def test_sigkill_under_concurrent_writes_loses_nothing_acknowledged(server: Server) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    workers = []
    with server.http() as h:
        for i in range(WORKERS):
            made = h.post(f"{ROOT}.json", data={"FriendlyName": f"crash worker {i}"})
            assert made.status_code == 201, made.text
            body = made.json()
            workers.append(Worker(i, body["sid"], body["auth_token"], random.Random(rng.random())))

    report: list[str] = []
    for cycle in range(CYCLES):
        for w in workers:
            w.acknowledged = 0
        stop = threading.Event()
        threads = [
            threading.Thread(target=w.run, args=(server.url, stop), daemon=True) for w in workers
        ]
        began = time.monotonic()
        for t in threads:
            t.start()
        try:
            acknowledged_by(workers, MIN_ACKNOWLEDGED, began + ACK_TIMEOUT)
        except BaseException:
            stop.set()
            raise
        time.sleep(rng.uniform(*EXTRA_WINDOW))
        delay = time.monotonic() - began
        server.kill()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads), "a client hung after the kill"
        acknowledged = sum(w.acknowledged for w in workers)
        in_flight = sum(
            len(w.pending_app_creates)
            + len(w.pending_number_creates)
            + sum(1 for a in w.apps.values() if a.pending)
            for w in workers
        )
        report.append(
            f"cycle {cycle}: killed after {delay:.2f}s, {acknowledged} acknowledged writes, "
            f"{in_flight} in flight"
        )
        where = f"seed {seed}, " + "; ".join(report)

        problems = [f"client error: {e}" for w in workers for e in w.errors]
        problems += [f"integrity: {p}" for p in integrity_problems(server.database_url)]
        assert acknowledged >= MIN_ACKNOWLEDGED, f"too little happened before the kill ({where})"
        server.start()
        for w in workers:
            problems += [f"worker {w.index}: {p}" for p in verify_worker(server, w)]
        assert not problems, "\n".join([where, *problems[:50]])
        # The restarted server takes writes again.
        with server.http() as h:
            assert h.post(server.apps_path(), data={"FriendlyName": "after"}).status_code == 201
    print("; ".join(report))
