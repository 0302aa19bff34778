"""A small, quick version of the benchmark (`python -m bench`, docs/performance.md).

A 1000-application SQLite database built through the store, one Switchboard and one bare ASGI
baseline over it, a few seconds of fetch load on each from the Python load generator. It fails
only on a gross regression: Switchboard's fetch throughput under 0.4 of the baseline's (on a
quiet machine this generator measures 0.70-0.74; wrk in `python -m bench` 0.85-0.88), or any
failed request.
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `bench` lives at the repository root, beside `src`
    sys.path.insert(0, str(REPO))

from bench import procs  # noqa: E402
from bench.dataset import SIZES, populate  # noqa: E402
from bench.load import LoadResult, Req, basic, run_load, write_requests  # noqa: E402
from bench.workload import app_path  # noqa: E402
from switchboard.store import migrate, open_store  # noqa: E402
from switchboard.store.base import Keyset  # noqa: E402

GUARD_RATIO = 0.4  # measured 0.70-0.74 on a quiet 2-core machine (2026-11-26)
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


def test_fetch_is_not_grossly_slower_than_the_baseline(tmp_path: Path) -> None:
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
        )
        started.append(ours)
        base = procs.start_baseline(db, log_dir=tmp_path)
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
    print(f"guard: fetch {ours_result.rps:.0f}, baseline {base_result.rps:.0f} req/s: {ratio:.2f}")
    assert ratio >= GUARD_RATIO, (
        f"Switchboard fetch {ours_result.rps:.0f} req/s is {ratio:.2f} x the bare baseline's "
        f"{base_result.rps:.0f} req/s (guard: >= {GUARD_RATIO})"
    )


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
