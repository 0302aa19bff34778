"""The outbox survives SIGKILL, and several servers share it without running a job twice.

- One server (each store) with messages in flight is killed with SIGKILL and restarted: every
  status callback of every message arrives (sending, sent, delivered), and each message ends
  `delivered`.
- Three servers over one PostgreSQL database: with no crash every callback arrives exactly once
  (`FOR UPDATE SKIP LOCKED`: each job is claimed by one process); with one server killed mid-run
  every callback still arrives, through the others, once its claims' lease runs out.

What a crash may duplicate, and is counted: a job claimed by the killed process whose callback
was sent but whose completion was not yet committed runs again elsewhere, so its receiver sees
that callback twice (the request log records it once). Such duplicates are at most the jobs the
killed process held at the moment of the kill (rows still claimed in `jobs` right after it).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Databases, Server, query
from receiver import Receiver

pytestmark = pytest.mark.slow

# Short steps, and a short lease (2 x webhook timeout + 5 s) so that a dead process's claims
# come back within seconds.
ARGS = ("--delivery-delay", "0.2", "--webhook-timeout", "1")
STATUSES = ("sending", "sent", "delivered")
SENDER = "+15005550006"  # Twilio's test From: any account's own
BACKLOG = 1024  # the receiver takes every connection of a burst (a refused one is a lost callback)


def send(server: Server, receiver: Receiver, count: int, tag: str) -> list[str]:
    sids = []
    with server.http() as h:
        for i in range(count):
            resp = h.post(
                f"/2010-04-01/Accounts/{server.account_sid}/Messages.json",
                data={
                    "To": f"+1415555{i:04d}",
                    "From": SENDER,
                    "Body": f"{tag} {i}",
                    "StatusCallback": receiver.url(f"/{tag}"),
                },
            )
            assert resp.status_code == 201, resp.text
            sids.append(resp.json()["sid"])
    return sids


def settle(server: Server, timeout: float = 90) -> None:
    with server.http() as h:
        resp = h.post(
            f"/switchboard/v1/Accounts/{server.account_sid}/Settle",
            data={"Timeout": str(timeout)},
            timeout=timeout + 10,
        )
    assert resp.status_code == 200, resp.text


def callbacks(receiver: Receiver, path: str) -> Counter[tuple[str, str]]:
    return Counter((r.form["MessageSid"], r.form["MessageStatus"]) for r in receiver.requests(path))


def claimed_jobs(database_url: str) -> int:
    """Jobs held by a claim right now (after a kill: the dead process's)."""
    [(count,)] = query(database_url, "SELECT COUNT(*) FROM jobs WHERE owner IS NOT NULL")
    return int(count)


def wait_for_callbacks(receiver: Receiver, path: str, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.requests(path)) < count:
        assert time.monotonic() < deadline, f"only {len(receiver.requests(path))} callbacks"
        time.sleep(0.01)


def check_all_arrived(
    receiver: Receiver, path: str, sids: list[str], server: Server, allowed_twice: int
) -> int:
    got = callbacks(receiver, path)
    missing = [(sid, s) for sid in sids for s in STATUSES if got[(sid, s)] == 0]
    if missing:
        with server.http() as h:
            failed = h.get(
                f"/switchboard/v1/Accounts/{server.account_sid}/Requests",
                params={"Outcome": "failed"},
            ).json()["requests"]
        why = [(r["error_code"], r["error_message"]) for r in failed[:3]]
        raise AssertionError(f"{len(missing)} callbacks never arrived, e.g. {missing[:3]}: {why}")
    twice = sum(n - 1 for n in got.values() if n > 1)
    assert twice <= allowed_twice, f"{twice} repeated callbacks, at most {allowed_twice} allowed"
    with server.http() as h:
        for sid in sids:
            resp = h.get(f"/2010-04-01/Accounts/{server.account_sid}/Messages/{sid}.json")
            assert resp.json()["status"] == "delivered", resp.text
    return twice


def test_sigkill_with_jobs_pending_loses_no_callback(
    database_url: str, tmp_path: Path, store_kind: str
) -> None:
    server = Server(database_url, tmp_path, ARGS)
    server.start()
    receiver = Receiver(server.auth_token, backlog=BACKLOG)
    try:
        sids = send(server, receiver, 40, "kill")
        # Killed once a part of the callbacks arrived: steps are then pending, due and claimed.
        wait_for_callbacks(receiver, "/kill", 15)
        server.kill()
        in_flight = claimed_jobs(database_url)
        [(pending,)] = query(database_url, "SELECT COUNT(*) FROM jobs")
        assert pending > 0, "nothing was pending at the kill: the test proves nothing"
        server.start()
        settle(server)
        twice = check_all_arrived(receiver, "/kill", sids, server, allowed_twice=in_flight)
        print(f"{store_kind}: {pending} jobs pending at the kill, {in_flight} claimed, "
              f"{twice} callbacks repeated")  # fmt: skip
        # The request log holds each callback once, whatever the receiver saw.
        logged: Counter[tuple[str, str]] = Counter()
        with server.http() as h:
            for sid in sids:
                resp = h.get(
                    f"/switchboard/v1/Accounts/{server.account_sid}/Requests",
                    params={"MessageSid": sid},
                )
                for r in resp.json()["requests"]:
                    logged[(sid, r["params"]["MessageStatus"])] += 1
        assert set(logged.values()) == {1} and len(logged) == len(sids) * len(STATUSES)
    finally:
        receiver.close()
        server.stop()


@pytest.fixture
def pg_servers(databases: Databases, tmp_path: Path) -> Iterator[list[Server]]:
    url = databases.postgres(tmp_path)
    first = Server(url, tmp_path, ARGS)
    first.start()
    group = [first]
    for _ in range(2):
        other = Server(url, tmp_path, ARGS)
        other.account_sid, other.auth_token = first.account_sid, first.auth_token
        group.append(other)
    threads = [threading.Thread(target=s.start) for s in group[1:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        yield group
    finally:
        for s in group:
            s.stop()


def test_three_servers_run_each_job_once_and_take_over_a_killed_ones(
    pg_servers: list[Server],
) -> None:
    a, b, c = pg_servers
    receiver = Receiver(a.auth_token, backlog=BACKLOG)
    try:
        # No crash: every callback exactly once, whichever process ran it.
        sids: list[str] = []
        senders = [
            threading.Thread(target=lambda s=s, t=t: sids.extend(send(s, receiver, 30, t)))
            for s, t in ((a, "calm"), (b, "calm"), (c, "calm"))
        ]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        settle(a)
        got = callbacks(receiver, "/calm")
        assert len(sids) == 90
        assert set(got) == {(sid, s) for sid in sids for s in STATUSES}
        assert set(got.values()) == {1}, "a job ran twice across the servers"
        # One server killed mid-run: the others take its claims over after the lease.
        more = send(a, receiver, 20, "crash") + send(b, receiver, 20, "crash")
        wait_for_callbacks(receiver, "/crash", 20)
        b.kill()
        in_flight = claimed_jobs(a.database_url)
        settle(a)
        check_all_arrived(receiver, "/crash", more, a, allowed_twice=in_flight)
    finally:
        receiver.close()
