"""Soak: 64 concurrent clients, a mixed workload, for a bounded time, on each store.

Each client has its own connection and works in one of four subaccounts: it creates, fetches,
lists, updates and deletes its own applications (at most 8, so the 1000-application limit is
never near), and places simulated calls and messages whose webhooks go to a fast local receiver.
After a warm-up the server's resident memory is measured, then again at the end:

- zero 5xx, zero connection errors, every answer the one expected (every request of a client
  is on its own records, so nothing else can be right);
- resident memory grows by less than 10% over the measured period;
- no file descriptors are left behind once the clients are gone (beyond the database pools,
  which fill during the warm-up, and the webhook client's kept-alive connections to the
  receiver, counted apart and bounded by `KEEP_IDLE`: how many it keeps follows how many ran at
  once, which follows the machine's speed).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest
from conftest import Server
from procfs import connections_to, memory_kib, open_fds
from receiver import Listener, reply

from switchboard.traffic.transport import KEEP_IDLE

ROOT = "/2010-04-01/Accounts"
EXT = "/switchboard/v1/Accounts"
CLIENTS = 64
ACCOUNTS = 4
WARM_UP = 5.0  # seconds before the first memory reading
MEASURED = 20.0  # seconds between the two readings
MAX_APPS = 8  # per client
MAX_RSS_GROWTH = 0.10


class FastReceiver:
    """A webhook receiver built for load: HTTP/1.1 keep-alive, a deep accept queue (the
    standard library's default of 5 refuses connections under a burst), every answer TwiML."""

    def __init__(self) -> None:
        self.hits = 0
        self.lock = threading.Lock()
        self.listener = Listener(self._respond, keep_alive=True, backlog=512)
        self.url = self.listener.base_url

    def _respond(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        with self.lock:
            self.hits += 1
        reply(handler, 200, {"Content-Type": "text/xml"}, b"<Response><Say>soak</Say></Response>")

    def close(self) -> None:
        self.listener.close()


@dataclass
class Tenant:
    sid: str
    token: str
    number: str


@dataclass
class Tally:
    ops: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    connection_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def note(self, op: str, resp: httpx.Response, want: int) -> bool:
        self.ops[op] += 1
        self.statuses[resp.status_code] += 1
        if resp.status_code >= 500:
            self.server_errors.append(self._line(op, resp))
        elif resp.status_code != want:
            self.unexpected.append(self._line(op, resp))
        return resp.status_code == want

    @staticmethod
    def _line(op: str, resp: httpx.Response) -> str:
        req = resp.request
        return f"{op}: {req.method} {req.url.path} -> {resp.status_code} {resp.text[:300]}"


async def client_loop(
    index: int, base_url: str, tenant: Tenant, deadline: float, tally: Tally
) -> None:
    rng = random.Random(index)
    apps: list[str] = []
    base = f"{ROOT}/{tenant.sid}/Applications"
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(
        base_url=base_url, auth=(tenant.sid, tenant.token), timeout=30, limits=limits
    ) as h:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            roll = rng.random()
            try:
                if not apps or (roll < 0.15 and len(apps) < MAX_APPS):
                    resp = await h.post(
                        f"{base}.json",
                        data={"FriendlyName": f"soak {index}-{n}", "VoiceUrl": "https://e.x/v"},
                    )
                    if tally.note("create", resp, 201):
                        apps.append(resp.json()["sid"])
                elif roll < 0.45:
                    sid = rng.choice(apps)
                    resp = await h.get(f"{base}/{sid}.json")
                    if tally.note("fetch", resp, 200) and resp.json()["sid"] != sid:
                        tally.unexpected.append(f"fetch {sid} answered {resp.text[:200]}")
                elif roll < 0.6:
                    resp = await h.get(f"{base}.json", params={"PageSize": 20})
                    tally.note("list", resp, 200)
                elif roll < 0.75:
                    sid = rng.choice(apps)
                    resp = await h.post(f"{base}/{sid}.json", data={"FriendlyName": f"u{n}"})
                    tally.note("update", resp, 200)
                elif roll < 0.85 and len(apps) > 1:
                    sid = apps.pop(rng.randrange(len(apps)))
                    resp = await h.delete(f"{base}/{sid}.json")
                    tally.note("delete", resp, 204)
                elif roll < 0.95:
                    resp = await h.post(
                        f"{EXT}/{tenant.sid}/InboundCalls",
                        data={"To": tenant.number, "From": "+14155550100"},
                    )
                    if tally.note("call", resp, 201) and resp.json()["status"] != "completed":
                        tally.unexpected.append(f"call failed: {resp.text[:300]}")
                else:
                    resp = await h.post(
                        f"{EXT}/{tenant.sid}/InboundMessages",
                        data={"To": tenant.number, "From": "+14155550100", "Body": "soak"},
                    )
                    if tally.note("message", resp, 201) and resp.json()["status"] != "completed":
                        tally.unexpected.append(f"message failed: {resp.text[:300]}")
            except httpx.TransportError as exc:
                tally.connection_errors.append(f"{type(exc).__name__}: {exc}")


async def run_clients(base_url: str, tenants: list[Tenant], seconds: float, tally: Tally) -> None:
    deadline = time.monotonic() + seconds
    await asyncio.gather(
        *(
            client_loop(i, base_url, tenants[i % len(tenants)], deadline, tally)
            for i in range(CLIENTS)
        )
    )


@pytest.fixture
def soak_server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    with Server(database_url, tmp_path, ("--webhook-timeout", "5")) as srv:
        yield srv


@pytest.mark.slow
def test_soak_64_clients(soak_server: Server) -> None:
    server = soak_server
    assert server.proc is not None
    pid = server.proc.pid
    receiver = FastReceiver()
    receiver_port = receiver.listener.port
    voice, sms = f"{receiver.url}/voice", f"{receiver.url}/sms"
    tenants: list[Tenant] = []
    try:
        with server.http() as h:
            for i in range(ACCOUNTS):
                sub = h.post(f"{ROOT}.json", data={"FriendlyName": f"soak {i}"}).json()
                app = h.post(
                    f"{ROOT}/{sub['sid']}/Applications.json",
                    data={"FriendlyName": "router", "VoiceUrl": voice, "SmsUrl": sms},
                ).json()
                number = f"+1500555{i:04d}"
                made = h.post(
                    f"{ROOT}/{sub['sid']}/IncomingPhoneNumbers.json",
                    data={
                        "PhoneNumber": number,
                        "VoiceApplicationSid": app["sid"],
                        "SmsApplicationSid": app["sid"],
                    },
                )
                assert made.status_code == 201, made.text
                tenants.append(Tenant(sub["sid"], sub["auth_token"], number))
        fds_before = open_fds(pid)

        async def soak() -> tuple[int, int, int, list[int], int]:
            warm = Tally()
            await run_clients(server.url, tenants, WARM_UP, warm)
            problems = warm.server_errors + warm.connection_errors + warm.unexpected
            assert not problems, "\n".join(["during the warm-up:", *problems[:20]])
            await asyncio.sleep(1.0)  # the warm-up clients' connections are closed
            fds_warm = open_fds(pid)  # with the database pools filled
            pooled_warm = connections_to(pid, receiver_port)
            start = memory_kib(pid)
            samples: list[int] = []

            async def sample() -> None:
                while True:
                    await asyncio.sleep(1)
                    samples.append(memory_kib(pid))

            sampler = asyncio.create_task(sample())
            began = time.monotonic()
            await run_clients(server.url, tenants, MEASURED, tally)
            elapsed = time.monotonic() - began
            sampler.cancel()
            rate = int(sum(tally.ops.values()) / elapsed)
            return fds_warm, pooled_warm, start, samples, rate

        tally = Tally()
        fds_warm, pooled_warm, start, samples, rate = asyncio.run(soak())
        end = memory_kib(pid)
        time.sleep(1.0)  # the clients have closed their connections
        fds_after = open_fds(pid)
        pooled_after = connections_to(pid, receiver_port)
    finally:
        receiver.close()

    summary = (
        f"{sum(tally.ops.values())} requests ({rate}/s): {dict(tally.ops)}; statuses "
        f"{dict(tally.statuses)}; RSS {start} -> {end} KiB "
        f"(samples {samples}); fds {fds_before} -> {fds_warm} after the warm-up -> {fds_after} "
        f"(kept-alive webhook connections {pooled_warm} -> {pooled_after}); "
        f"webhooks {receiver.hits}"
    )
    print(summary)
    assert not tally.server_errors, "\n".join([summary, *tally.server_errors[:20]])
    assert not tally.connection_errors, "\n".join([summary, *tally.connection_errors[:20]])
    assert not tally.unexpected, "\n".join([summary, *tally.unexpected[:20]])
    assert all(tally.ops[op] > 0 for op in ("create", "fetch", "list", "update", "delete")), summary
    assert tally.ops["call"] > 0 and tally.ops["message"] > 0, summary
    assert receiver.hits >= tally.ops["call"] + tally.ops["message"], summary
    assert (end - start) / start < MAX_RSS_GROWTH, summary
    # The database pools fill during the warm-up; after that, 64 clients for 20 s must not
    # leave descriptors behind. The webhook client keeps idle connections to the receiver, as
    # many as ran at once (up to KEEP_IDLE), and how many ran at once follows the machine's
    # speed (the outbox runs 16 or 64 jobs at once, by how busy the server is): they are counted
    # apart, bounded by KEEP_IDLE.
    others_warm, others_after = fds_warm - pooled_warm, fds_after - pooled_after
    assert others_after <= others_warm + 8, summary
    assert pooled_after <= KEEP_IDLE, summary
    assert server.proc is not None and server.proc.poll() is None, "the server died"
    log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
