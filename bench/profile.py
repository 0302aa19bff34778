"""Where Switchboard's time goes under load: py-spy samples of one worker while wrk drives an op.

    python -m bench.profile [--size 1k] [--ops fetch,list,create,call] [--seconds 8]

The same data set, requests and server as `python -m bench` (SQLite, `switchboard serve
--workers 1`, wrk at 32 connections). For each op, wrk runs for `--seconds` + 2 while
`py-spy record` (raw collapsed stacks, busy samples only: time waiting in the event loop's
`epoll` is not counted) samples the server for `--seconds`. Printed per op: the share of busy
samples by layer, and the functions with the most samples at the top of the Python stack (their
own time, including the C calls they make: `sqlite3` statements show up in the store function
that runs them). Needs py-spy (`pip install py-spy`) and wrk.

`--gil`: only the samples of the thread holding the GIL. Without it, a thread that is ready to
run but waiting for the one CPU the server is pinned to counts as busy wherever it stands: in a
`call` run, the serving thread waiting behind the SQLite writer's thread made the store look
like 48 % of the time (a statement's C code had just returned) when caching its read away
changed nothing measurable; with `--gil` the store is under a tenth.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench import dataset as ds
from bench import procs
from bench.load import wrk_argv
from bench.workload import Workload
from switchboard.store import open_store

# The layer of a Python frame, by its file (py-spy names files from their package root): the
# first pattern found wins. Time in C code is counted in the Python function that called it.
LAYERS = (
    ("switchboard/api/", "switchboard API (auth, routing, parsing, rendering)"),
    ("switchboard/store/", "switchboard store (SQL statements, sqlite3/asyncpg calls, rows)"),
    ("switchboard/traffic/", "switchboard traffic (engine, webhooks, TwiML)"),
    ("switchboard/twilio/", "switchboard rules (fields, SIDs, dates)"),
    ("uvicorn/", "uvicorn (HTTP parsing in httptools, ASGI messages, socket writes)"),
    ("asyncio/runners.py", "event loop (uvloop's C code: epoll, callbacks, transports)"),
    ("asyncio/", "asyncio (tasks, futures)"),
    ("httpx/", "webhook client (httpx, httpcore, anyio)"),
    ("httpcore/", "webhook client (httpx, httpcore, anyio)"),
    ("anyio/", "webhook client (httpx, httpcore, anyio)"),
    ("h11/", "webhook client (httpx, httpcore, anyio)"),
    ("threading.py", "threads (the SQLite writer's loop)"),
)


def layer(frame: str) -> str:
    where = "/" + frame.rpartition(" (")[2]
    for pattern, name in LAYERS:
        if "/" + pattern in where:
            return name
    return "other"


def read_stacks(path: Path) -> Counter[str]:
    """py-spy's raw format: `frame;frame;...;leaf count` per line -> samples per leaf frame."""
    leaves: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            leaves[stack.rsplit(";", 1)[-1]] += int(count)
    return leaves


def short(frame: str) -> str:
    """`f (/…/site-packages/switchboard/api/x.py:52)` -> `f (api/x.py:52)`."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("/switchboard/", "/site-packages/", "/lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where})"


def report(op: str, leaves: Counter[str], top: int) -> str:
    total = sum(leaves.values())
    if not total:
        return f"{op}: no samples"
    by_layer: Counter[str] = Counter()
    for frame, n in leaves.items():
        by_layer[layer(frame)] += n
    lines = [f"{op}: {total} busy samples", "  by layer:"]
    lines += [f"    {n / total:6.1%}  {name}" for name, n in by_layer.most_common()]
    lines.append(f"  top {top} functions (own time):")
    lines += [f"    {n / total:6.1%}  {short(frame)}" for frame, n in leaves.most_common(top)]
    return "\n".join(lines)


async def profile(
    size: ds.Size,
    ops: list[str],
    seconds: int,
    top: int,
    server_name: str = "uvicorn",
    keep: Path | None = None,
    gil: bool = False,
) -> None:
    dataset = await ds.sqlite_dataset(size, print)
    work = ds.sqlite_working_copy(dataset)
    url = f"sqlite:///{work}"
    store = open_store(url)
    await store.open()
    receiver = procs.start_receiver()
    server: procs.Proc | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
            workload = Workload(dataset, store, Path(tmp), receiver.url)
            await workload.prepare()
            main = dataset.accounts[0]
            server = procs.start_switchboard(
                url,
                workers=1,
                account_sid=main.sid,
                auth_token=main.auth_token,
                server=server_name,
            )
            for op in ops:
                requests = await workload.requests_for(op, 3000 * (seconds + 2))
                out = Path(tmp) / f"{op}.txt"
                load = subprocess.Popen(
                    wrk_argv(server.url, requests, connections=32, duration=seconds + 2),
                    cwd=procs.REPO,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                try:
                    await asyncio.sleep(1)  # past wrk's connection set-up
                    subprocess.run(
                        ["py-spy", "record", "--pid", str(server.pid), "--duration",
                         str(seconds), "--rate", "250", "--format", "raw", "--nonblocking",
                         "--threads", *(["--gil"] if gil else []), "--output", str(out)],
                        check=True, capture_output=True, timeout=seconds + 60,
                    )  # fmt: skip
                finally:
                    load.wait(timeout=seconds + 30)
                print(report(op, read_stacks(out), top), flush=True)
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(out, keep / out.name)
    finally:
        if server is not None:
            server.stop()
        receiver.stop()
        await store.close()
        ds.remove_sqlite(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1k", help="1k, 100k or 1m")
    parser.add_argument("--ops", default="fetch,list,create,call")
    parser.add_argument("--seconds", type=int, default=8, help="sampled seconds per op")
    parser.add_argument("--top", type=int, default=12, help="functions listed per op")
    parser.add_argument("--server", choices=("uvicorn", "granian"), default="uvicorn")
    parser.add_argument(
        "--keep", type=Path, help="copy each op's raw stacks (one line per stack) to this folder"
    )
    parser.add_argument(
        "--gil", action="store_true", help="only samples of the thread holding the GIL"
    )
    args = parser.parse_args()
    for tool in ("py-spy", "wrk"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (pip install py-spy; apt-get install -y wrk)")
    procs.install_signal_handlers()
    asyncio.run(
        profile(
            ds.parse_size(args.size),
            args.ops.split(","),
            args.seconds,
            args.top,
            args.server,
            args.keep,
            args.gil,
        )
    )


if __name__ == "__main__":
    main()
