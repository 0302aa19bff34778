"""A small, quick version of the benchmark (`python -m bench`, docs/performance.md).

A 1000-application SQLite database built through the store, one Switchboard and one bare ASGI
baseline over it on each HTTP server (uvicorn, Granian), a few seconds of fetch load on each
from the Python load generator; simulated calls (`call`, `ivr`) against the webhook baseline
(`bench/hookbase.py`) with the same receiver; `switchboard serve` to its first 200 and each
worker's idle memory (`bench/startup.py`). It fails only on a gross regression (the ratios
below are about half of what the same code measures on a busy machine) or any failed request,
except the idle memory, which load does not move: that is the target itself, 60 MB.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `bench` lives at the repository root, beside `src`
    sys.path.insert(0, str(REPO))

import pytest  # noqa: E402

from bench import procs, startup  # noqa: E402
from bench.dataset import SIZES, Dataset, populate  # noqa: E402
from bench.load import LoadResult, Req, basic, run_load, write_requests  # noqa: E402
from bench.workload import Workload, app_path  # noqa: E402
from switchboard.store import migrate, open_store  # noqa: E402
from switchboard.store.base import Keyset  # noqa: E402

GUARD_RATIO = 0.4  # measured 0.70-0.74 on a quiet 2-core machine (2026-11-26)
GUARD_CALL_RATIO = 0.05  # call / webhook baseline; see docs/performance.md for what it measures
GUARD_IVR_RATIO = 0.15  # ivr / call: three documents per call (target 1/3)
GUARD_MESSAGE_RATIO = (
    0.15  # message create / application create; 0.42 on a busy machine (target 0.7)
)
IDLE_RSS_LIMIT = 60 * 2**20  # bytes, each serving process at rest
WARMUP_SECONDS = 1
SECONDS = 3
CONNECTIONS = 16


async def _app_sids(url: str, account_sid: str) -> list[str]:
    store = open_store(url)
    await store.open()
    try:
        rows = await store.list_applications(
            account_sid, friendly_name=None, page=Keyset(None, None, 1000)
        )
    finally:
        await store.close()
    return [r["sid"] for r in rows]


def _load(proc: procs.Proc, requests: Path, seconds: int) -> LoadResult:
    return run_load("python", proc.url, requests, connections=CONNECTIONS, duration=seconds)


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_fetch_is_not_grossly_slower_than_the_baseline(tmp_path: Path, server: str) -> None:
    db = tmp_path / "guard.db"
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    account = asyncio.run(populate(url, SIZES["1k"], lambda _: None))[0]
    sids = asyncio.run(_app_sids(url, account.sid))
    assert len(sids) == 1000
    auth = basic(account.sid, account.auth_token)
    rng = random.Random(7)
    requests = write_requests(
        tmp_path / "fetch.tsv",
        [Req("GET", app_path(account.sid, rng.choice(sids)), auth) for _ in range(500)],
    )

    started: list[procs.Proc] = []
    try:
        ours = procs.start_switchboard(
            url,
            workers=1,
            account_sid=account.sid,
            auth_token=account.auth_token,
            log_dir=tmp_path,
            server=server,
        )
        started.append(ours)
        base = procs.start_baseline(db, log_dir=tmp_path, server=server)
        started.append(base)

        probe = app_path(account.sid, sids[0])
        for proc in (ours, base):
            answer = httpx.get(proc.url + probe, headers={"Authorization": auth}, timeout=10)
            assert answer.status_code == 200, answer.text

        for proc in (ours, base):
            _load(proc, requests, WARMUP_SECONDS)
        ours_result = _load(ours, requests, SECONDS)
        base_result = _load(base, requests, SECONDS)
    finally:
        for proc in reversed(started):
            proc.stop()

    assert all(p.proc.poll() is not None for p in started)
    assert ours_result.errors == 0, ours_result
    assert base_result.errors == 0, base_result
    assert base_result.rps > 0
    ratio = ours_result.rps / base_result.rps
    print(
        f"guard ({server}): fetch {ours_result.rps:.0f}, baseline {base_result.rps:.0f} req/s: "
        f"{ratio:.2f}"
    )
    assert ratio >= GUARD_RATIO, (
        f"Switchboard fetch {ours_result.rps:.0f} req/s is {ratio:.2f} x the bare baseline's "
        f"{base_result.rps:.0f} req/s (guard: >= {GUARD_RATIO})"
    )


async def _call_workload(url: str, directory: Path, receiver_url: str) -> Workload:
    """The bench's own `call` and `ivr` request files, over a fresh 1k data set."""
    accounts = await populate(url, SIZES["1k"], lambda _: None)
    store = open_store(url)
    await store.open()
    try:
        workload = Workload(Dataset(SIZES["1k"], "sqlite", url, accounts, 0.0), store, directory,
                            receiver_url)  # fmt: skip
        await workload.prepare()
    finally:
        await store.close()
    return workload


@contextlib.contextmanager
def _served_workload(db: Path) -> Iterator[tuple[procs.Proc, Workload, procs.Proc]]:
    """A fresh 1k SQLite database at `db` with the bench's request files, the bench's receiver,
    and one Switchboard (1 worker) serving it; both stopped on the way out."""
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    started: list[procs.Proc] = []
    try:
        receiver = procs.start_receiver(log_dir=db.parent)
        started.append(receiver)
        workload = asyncio.run(_call_workload(url, db.parent, receiver.url))
        account = workload.dataset.accounts[0]
        ours = procs.start_switchboard(
            url,
            workers=1,
            account_sid=account.sid,
            auth_token=account.auth_token,
            log_dir=db.parent,
        )
        started.append(ours)
        yield receiver, workload, ours
    finally:
        for proc in reversed(started):
            proc.stop()


def test_simulated_calls_against_the_webhook_baseline(tmp_path: Path) -> None:
    """`call` and `ivr` on Switchboard, and the webhook baseline with the same receiver, over the
    same SQLite file: no failed call, the same rows stored per call, and no gross regression."""
    db = tmp_path / "calls.db"
    with _served_workload(db) as (receiver, workload, ours):
        _load(ours, workload.files["call"], WARMUP_SECONDS)
        call = _load(ours, workload.files["call"], SECONDS)
        ivr = _load(ours, workload.files["ivr"], SECONDS)
        before = _logs(db)
        hook = procs.run_hookbase(
            str(db), workload.files["call"], receiver.url, op="call",
            connections=CONNECTIONS, duration=SECONDS,
        )  # fmt: skip
        after = _logs(db)
    for result in (call, ivr, hook):
        assert result.errors == 0, result
        assert result.requests > 0, result
    # One trace per call, committed before it counts (its clean-up found and deleted each),
    # and the logs left as they were: Switchboard's next run does not trim the baseline's rows.
    assert hook.stored == hook.requests
    assert after == before
    # Switchboard's ivr traces carry three webhook requests each, as the baseline's would.
    per_trace = query_one(
        db,
        "SELECT max(n) FROM (SELECT count(*) AS n FROM webhook_requests GROUP BY trace_sid)",
    )
    assert per_trace == 3
    ratio, ivr_ratio = call.rps / hook.rps, ivr.rps / call.rps
    print(
        f"guard: call {call.rps:.0f}/s, webhook baseline {hook.rps:.0f}/s: {ratio:.2f}; "
        f"ivr {ivr.rps:.0f}/s: {ivr_ratio:.2f} of call"
    )
    assert ratio >= GUARD_CALL_RATIO, f"call / webhook baseline {ratio:.2f} < {GUARD_CALL_RATIO}"
    assert ivr_ratio >= GUARD_IVR_RATIO, f"ivr / call {ivr_ratio:.2f} < {GUARD_IVR_RATIO}"


def _logs(db: Path) -> tuple[int, int, list[tuple[Any, ...]]]:
    """Both logs' rows, and `log_sizes`."""
    return (
        query_one(db, "SELECT count(*) FROM traces"),
        query_one(db, "SELECT count(*) FROM webhook_requests"),
        query_all(db, "SELECT * FROM log_sizes ORDER BY account_sid, log"),
    )


async def _create_files(url: str, workload: Workload) -> tuple[Path, Path]:
    """Two request files of application creates (each into fresh accounts, as the bench's)."""
    workload.store = open_store(url)
    await workload.store.open()
    try:
        warm = await workload.requests_for("create", 5000)
        warm = warm.rename(warm.with_name("create-warm.tsv"))
        return warm, await workload.requests_for("create", 20000)
    finally:
        await workload.store.close()


def test_outbound_messages_and_calls_deliver_every_callback(tmp_path: Path) -> None:
    """The `message` and `outbound_call` ops: created under load beside application creates,
    then every status callback delivered to the bench's receiver once the outbox settles (three
    a message, four a call), none missing, and message creates not grossly slower than
    application creates."""
    db = tmp_path / "outbound.db"
    url = f"sqlite:///{db}"
    with _served_workload(db) as (receiver, workload, ours):
        warm_creates, creates = asyncio.run(_create_files(url, workload))
        _load(ours, warm_creates, WARMUP_SECONDS)
        create = _load(ours, creates, SECONDS)
        message = _load(ours, workload.files["message"], SECONDS)
        call = _load(ours, workload.files["outbound_call"], SECONDS)
        with httpx.Client(base_url=ours.url, timeout=320) as client:
            for acct in workload.message_accounts:
                settled = client.post(
                    f"/switchboard/v1/Accounts/{acct.sid}/Settle",
                    data={"Timeout": "300"},
                    auth=(acct.sid, acct.auth_token),
                )
                assert settled.status_code == 200, settled.text
            arrivals = httpx.get(f"{receiver.url}/status-log", timeout=30).json()
    for result in (create, message, call):
        assert result.errors == 0, result
        assert result.requests > 0, result
    messages = query_one(db, "SELECT count(*) FROM messages WHERE direction = 'outbound-api'")
    calls = query_one(db, "SELECT count(*) FROM calls")
    assert messages >= message.requests and calls >= call.requests
    by_sid: dict[str, int] = {}
    for sid, _status, _arrived in arrivals:
        by_sid[sid] = by_sid.get(sid, 0) + 1
    message_callbacks = sum(n for sid, n in by_sid.items() if sid.startswith(("SM", "MM")))
    call_callbacks = sum(n for sid, n in by_sid.items() if sid.startswith("CA"))
    assert message_callbacks == 3 * messages  # sending, sent, delivered: none lost, none twice
    assert call_callbacks == 4 * calls  # initiated, ringing, answered, completed
    ratio = message.rps / create.rps
    print(f"guard: message create {message.rps:.0f}/s, application create {create.rps:.0f}/s")
    assert ratio >= GUARD_MESSAGE_RATIO, f"message / application create {ratio:.2f}"


def query_one(db: Path, sql: str) -> int:
    value: int = query_all(db, sql)[0][0]
    return value


def query_all(db: Path, sql: str) -> list[tuple[Any, ...]]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_start_and_idle_memory_per_worker(tmp_path: Path, server: str) -> None:
    """`switchboard serve` on a fresh database to its first 200 (gross: 15 s), and each worker
    of 1 and of 2 at rest within 60 MB (what it imports, whatever the machine's load)."""
    url = f"sqlite:///{tmp_path / 'start.db'}"
    seconds, proc = startup.start_once(url, server, 1, None, tmp_path)
    try:
        account_sid = query_main(tmp_path / "start.db")
        each, supervisor = startup.idle_rss(
            proc, 1, "Basic eA==", f"/2010-04-01/Accounts/{account_sid}.json"
        )
    finally:
        proc.stop()
    assert seconds < 15, seconds
    assert supervisor == 0 and len(each) == 1
    _, proc = startup.start_once(url, server, 2, None, tmp_path)
    try:
        two, supervisor = startup.idle_rss(proc, 2, "Basic eA==", "/healthz")
    finally:
        proc.stop()
    assert len(two) == 2 and supervisor > 0
    for rss in [*each, *two]:
        assert rss <= IDLE_RSS_LIMIT, f"a {server} worker at rest holds {rss / 2**20:.1f} MB"


def query_main(db: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        sid: str = conn.execute("SELECT sid FROM accounts WHERE is_main").fetchone()[0]
    finally:
        conn.close()
    return sid


def test_pinning_and_spread_helpers() -> None:
    """The bench pins with taskset (1-worker servers on the first CPU, load on the others)."""
    cpus = procs.cpus()
    assert procs.server_cpus() == str(cpus[0])
    assert procs.load_cpus() == ",".join(map(str, cpus[1:] or cpus))
    assert procs.pinned(["wrk"], None) == ["wrk"]
    assert procs.pinned(["wrk"], "1") == ["taskset", "-c", "1", "wrk"]


def test_profile_report_sorts_samples_by_layer_and_function(tmp_path: Path) -> None:
    """`python -m bench.profile` reads py-spy's raw stacks; its arithmetic, on a known file."""
    from bench.profile import read_stacks, report

    raw = tmp_path / "fetch.txt"
    api = "fetch (switchboard/api/applications.py:52)"  # py-spy's names: from the package root
    store = "one (/x/site-packages/switchboard/store/sqlite.py:42)"  # or a full path
    http = "data_received (uvicorn/protocols/http/httptools_impl.py:120)"
    raw.write_text(
        f"run (main.py:1);{api};{store} 30\n"
        f"run (main.py:1);{api} 10\n"
        f"run (main.py:1);{http} 60\n"
        "not a stack line\n"
    )
    leaves = read_stacks(raw)
    assert leaves == {store: 30, api: 10, http: 60}
    text = report("fetch", leaves, top=2)
    assert text.splitlines()[0] == "fetch: 100 busy samples"
    assert "60.0%  uvicorn (HTTP parsing in httptools, ASGI messages, socket writes)" in text
    assert "30.0%  switchboard store (SQL statements, sqlite3/asyncpg calls, rows)" in text
    assert "10.0%  switchboard API (auth, routing, parsing, rendering)" in text
    assert "60.0%  data_received (uvicorn/protocols/http/httptools_impl.py:120)" in text
    assert "30.0%  one (store/sqlite.py:42)" in text
    assert "applications.py" not in text.split("top 2 functions")[1]  # only the top two


def test_paced_sends_each_request_at_its_moment() -> None:
    """The callback-lag runs send at a rate, not as fast as answers come (`pyload.paced`): a
    real server on 127.0.0.1 sees request i about i / rate seconds after the start, every
    answer's status and body come back in order, and a server that closes without answering
    leaves status 0 for that request alone."""
    import time

    from bench import pyload

    seen: list[float] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                body = await reader.readexactly(length)
                seen.append(time.monotonic())
                if body == b"n=drop":
                    break  # closed with no answer
                status = b"201 Created" if body != b"n=3" else b"400 Bad Request"
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\nContent-Length: " + str(len(body)).encode()
                    + b"\r\n\r\n" + body
                )  # fmt: skip
        writer.close()

    async def run() -> tuple[float, list[tuple[int, bytes]]]:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        host = f"127.0.0.1:{port}"
        bodies = [f"n={i}" for i in range(40)]
        bodies[7] = "n=drop"
        wire = [pyload.request_bytes("POST", "/x", "Basic a", b, host) for b in bodies]
        started = time.monotonic()
        async with server:
            answers = await pyload.paced(f"http://{host}", wire, rate=200, connections=4)
        return started, answers

    started, answers = asyncio.run(run())
    assert [a for a in answers if a[0] == 201] == [
        (201, f"n={i}".encode()) for i in range(40) if i not in (3, 7)
    ]
    assert answers[3] == (400, b"n=3") and answers[7] == (0, b"")
    assert len(seen) == 40
    for i, at in enumerate(sorted(seen)):
        assert at - started >= i / 200 - 0.002, f"request {i} sent early"
    assert sorted(seen)[-1] - started < 39 / 200 + 2.0  # and not grossly late (a busy machine)


def test_delivery_rate_counts_the_callbacks_after_the_sending() -> None:
    """The callbacks' delivery rate: those that arrived after the sending stopped, up to the
    95th percentile of them, per second."""
    import math

    from bench.cli import delivery_rate

    stopped = 1_000_000_000
    before = [["SM0", "sent", stopped - 5 - i] for i in range(10)]  # during it: not counted
    after = [[f"SM{i}", "sent", stopped + 1_000 * (i + 1)] for i in range(95)]  # 1 a ms
    trailing = [[f"SM{i}", "delivered", stopped + 1_000_000 + i] for i in range(5)]  # 1 s late
    rate = delivery_rate(before + after + trailing, stopped)
    assert rate == pytest.approx(1000, rel=0.01)  # 95 callbacks in 95 ms; the last 5 % left out
    assert math.isnan(delivery_rate(after[:5], stopped))  # too few to tell


def test_the_call_ceiling_is_the_webhook_baseline_over_it_plus_a_bare_request() -> None:
    """By CPU: a call costing the webhook baseline's 133 µs plus a bare fetch's 89 µs (and
    nothing more) would be 133 / 222 of the webhook baseline."""
    from bench.cli import Measure, call_ceiling

    def measure(server: str, op: str, cpu_us: float) -> Measure:
        run = LoadResult("wrk", 1000, 1.0, 1.0, 2.0, 0, server_cpu=cpu_us * 1000 / 1e6)
        return Measure("1k", "sqlite", 1, server, op, runs=[run])

    hooks, bare = measure("hookbase", "call", 133), measure("baseline", "fetch", 89)
    assert call_ceiling(hooks, bare) == pytest.approx(133 / 222)
    assert call_ceiling(hooks, None) is None
    assert call_ceiling(hooks, Measure("1k", "sqlite", 1, "baseline", "fetch")) is None


def test_compare_puts_the_ratios_of_two_runs_side_by_side(tmp_path: Path) -> None:
    """Ratios both runs measured, within 10 % or not; latencies, sizes and gaps left out."""
    import json

    from bench.compare import compare, main

    def results(*targets: tuple[str, float | None]) -> dict[str, object]:
        return {"targets": [{"name": n, "where": "1k", "value": v} for n, v in targets]}

    quick = results(("fetch / baseline >= 0.8 (uvicorn)", 0.84), ("  same, by CPU: call", 0.30),
                    ("message callback lag p99 at half rate <= 100 ms", 20.0),
                    ("list page of 50 / baseline >= 0.7", None), ("only here >= 1", 2.0))
    full = results(("fetch / baseline >= 0.8 (uvicorn)", 0.80), ("  same, by CPU: call", 0.25),
                   ("message callback lag p99 at half rate <= 100 ms", 60.0),
                   ("list page of 50 / baseline >= 0.7", 0.9))  # fmt: skip
    rows = compare(quick, full, 0.10)
    assert [(r[0], r[2], r[3], r[5]) for r in rows] == [
        ("fetch / baseline >= 0.8 (uvicorn)", 0.84, 0.80, True),  # 5 % apart
        ("same, by CPU: call", 0.30, 0.25, False),  # 20 % apart
    ]
    (tmp_path / "quick.json").write_text(json.dumps(quick))
    (tmp_path / "full.json").write_text(json.dumps(full))
    (tmp_path / "none.json").write_text(json.dumps(results()))
    files = [str(tmp_path / "quick.json"), str(tmp_path / "full.json")]
    assert main(files) == 1
    assert main([*files, "--within", "0.25"]) == 0
    assert main([files[0], str(tmp_path / "none.json")]) == 2


def test_running_on_pins_the_calling_thread_meanwhile() -> None:
    import os

    every = os.sched_getaffinity(0)
    with procs.running_on(procs.load_cpus()):
        assert os.sched_getaffinity(0) == {int(c) for c in procs.load_cpus().split(",")}
    assert os.sched_getaffinity(0) == every
    with procs.running_on(None):
        assert os.sched_getaffinity(0) == every
