"""Start-up and idle memory: `switchboard serve` to its first 200, and each worker's RSS at rest.

- **start**: from launching `switchboard serve` to the first 200 of `/healthz` (polled every
  5 ms), on a fresh SQLite file and on a copy of the 1,000,000-application data set (a start
  must not scan anything: the same time on both), `--repeats` times each, per HTTP server.
- **idle RSS per worker**: `VmRSS` of each serving process once it has answered a few requests
  (a fetch included) and rested a second, with 1 and 2 workers; with 2 workers the supervisor
  is shown apart (it is not a worker: it holds the sockets and what `serve` imported to migrate).

    python -m bench.startup [--repeats 5] [--servers uvicorn,granian] [--no-1m]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench import dataset as ds
from bench import procs
from bench.load import basic

MB = 1024 * 1024
LAST_CPU = [0.0]  # CPU seconds of the last start (user + system, the server's process tree)


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def start_once(
    url: str, server: str, workers: int, creds: tuple[str, str] | None, workdir: Path
) -> tuple[float, procs.Proc]:
    """Seconds from launch to the first 200, and the running server (to be stopped). The CPU
    it took to get there (its process tree's) is in `LAST_CPU`."""
    port = procs.free_port()
    argv = [
        sys.executable, "-m", "switchboard.cli", "serve", "--host", "127.0.0.1",
        "--port", str(port), "--database-url", url, "--workers", str(workers),
        "--server", server,
    ]  # fmt: skip
    extra = {"TWILIO_ACCOUNT_SID": creds[0], "TWILIO_AUTH_TOKEN": creds[1]} if creds else {}
    started = time.perf_counter()
    proc = procs.Proc(f"startup-{server}", argv, port, env=procs.clean_env(**extra), cwd=workdir)
    with httpx.Client(timeout=2) as client:
        while True:
            if proc.proc.poll() is not None:
                raise RuntimeError(f"serve exited: {proc.tail()}")
            try:
                if client.get(f"{proc.url}/healthz").status_code == 200:
                    seconds = time.perf_counter() - started
                    LAST_CPU[0] = sum(procs.tree_cpu(proc.pid).values())
                    return seconds, proc
            except httpx.TransportError:
                pass
            if time.perf_counter() - started > 60:
                proc.stop()
                raise RuntimeError("no 200 within 60 s")
            time.sleep(0.005)


def idle_rss(proc: procs.Proc, workers: int, auth: str, path: str) -> tuple[list[int], int]:
    """(each worker's RSS, the supervisor's or 0) after a few requests and a second's rest."""
    for _ in range(20):  # new connections: with 2 workers, both get some
        with httpx.Client(timeout=10) as client:
            client.get(f"{proc.url}/healthz")
            client.get(f"{proc.url}{path}", headers={"Authorization": auth})
    time.sleep(1.0)
    if workers == 1:
        return [rss(proc.pid)], 0
    return [rss(pid) for pid in procs.descendants(proc.pid)], rss(proc.pid)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--servers", default="uvicorn,granian")
    p.add_argument("--no-1m", action="store_true", help="skip the 1,000,000-application start")
    a = p.parse_args()
    procs.install_signal_handlers()
    servers = [s for s in a.servers.split(",") if s]
    big = None if a.no_1m else asyncio.run(ds.sqlite_dataset(ds.parse_size("1m"), print))
    small = asyncio.run(ds.sqlite_dataset(ds.parse_size("1k"), print))
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        big_copy = None
        if big is not None:
            big_copy = ds.sqlite_working_copy(big)
        try:
            for server in servers:
                for label in ("fresh", "1m"):
                    if label == "1m" and big_copy is None:
                        continue
                    times: list[float] = []
                    cpus: list[float] = []
                    for i in range(a.repeats):
                        if label == "fresh":
                            url = f"sqlite:///{work / f'fresh-{server}-{i}.db'}"
                            creds = None
                        else:
                            assert big is not None
                            url = f"sqlite:///{big_copy}"
                            creds = (big.accounts[0].sid, big.accounts[0].auth_token)
                        seconds, proc = start_once(url, server, 1, creds, work)
                        proc.stop()
                        times.append(seconds)
                        cpus.append(LAST_CPU[0])
                    rows.append(
                        f"| start, {label} database | {server} | "
                        f"{statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} "
                        f"| {len(times)} | CPU {statistics.median(cpus):.2f} s |"
                    )
                    print(rows[-1], flush=True)
            main_account = small.accounts[0]
            auth = basic(main_account.sid, main_account.auth_token)
            path = f"/2010-04-01/Accounts/{main_account.sid}/Applications.json?PageSize=1"
            creds = (main_account.sid, main_account.auth_token)
            small_copy = ds.sqlite_working_copy(small)
            try:
                for server in servers:
                    for workers in (1, 2):
                        url = f"sqlite:///{small_copy}"
                        _, proc = start_once(url, server, workers, creds, work)
                        try:
                            each, supervisor = idle_rss(proc, workers, auth, path)
                        finally:
                            proc.stop()
                        sup = f"{supervisor / MB:.1f}" if supervisor else "-"
                        rows.append(
                            f"| idle RSS per worker, {workers}w | {server} | "
                            f"{' / '.join(f'{x / MB:.1f}' for x in each)} MB | supervisor {sup} "
                            "| | |"
                        )
                        print(rows[-1], flush=True)
            finally:
                ds.remove_sqlite(small_copy)
        finally:
            if big_copy is not None:
                ds.remove_sqlite(big_copy)
            procs.stop_all()
    print("\n| what | server | median s (or MB) | min | max | runs | CPU (median) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(row)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"\nload average during the run's end: {' '.join(load)}")


if __name__ == "__main__":
    main()
