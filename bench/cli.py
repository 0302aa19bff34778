"""`python -m bench`: build the data sets, start the servers, drive the load, print the table.

See docs/performance.md for what each number means and the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import resource
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import httpx

from bench import dataset as ds
from bench import procs, pyload, snapshot
from bench.load import LoadResult, Req, pick_driver, run_load
from bench.pyload import request_bytes
from bench.workload import OPS, Workload
from switchboard.config import Settings
from switchboard.store import open_store

BASELINE_OPS = frozenset({"fetch", "list", "list_deep", "create", "update", "delete"})
HOOK_OPS = frozenset({"call", "ivr"})  # the webhook baseline's (bench/hookbase.py)
SERVERS = ("uvicorn", "granian")
PRISM_OPS = frozenset({"fetch", "list"})
MB = 1024 * 1024
DEFAULT_RATE = 3000.0  # req/s assumed for sizing write runs before one was measured


def source_state() -> dict[str, Any]:
    """Which Switchboard is measured: the commit, files changed since, and a hash of the
    package imported (the snapshot taken at the start, or src/ with --no-snapshot)."""
    import subprocess

    import switchboard

    def git(*args: str) -> str:
        try:
            out = subprocess.run(
                ["git", *args], cwd=procs.REPO, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return out.stdout.strip()

    package_root = Path(switchboard.__file__).resolve().parent.parent
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "changed": git("status", "--porcelain", "--", "src").splitlines(),
        "package": str(package_root),
        "snapshot": package_root != snapshot.SRC,
        "hash": snapshot.tree_hash(package_root),
    }


_log_file: list[TextIO] = []


def log(message: str) -> None:
    """To stdout and to bench/.data/logs/bench-<time>.log."""
    print(message, flush=True)
    for f in _log_file:
        f.write(message + "\n")
        f.flush()


@dataclass
class Options:
    sizes: list[ds.Size]
    stores: list[str]
    workers: list[int]
    ops: list[str]
    duration: int
    warmup: int
    repeats: int
    connections: int
    driver: str
    servers: list[str]
    pin: bool
    pg_url: str
    prism: bool
    baseline: bool
    rebuild: bool
    json_out: Path | None


@dataclass
class Measure:
    """The runs of one operation against one server in one session; medians reported."""

    size: str
    store: str
    workers: int
    server: str  # switchboard | baseline | hookbase | prism
    op: str
    http: str = "uvicorn"  # the HTTP server under it (none for hookbase, node for prism)
    runs: list[LoadResult] = field(default_factory=list)
    other_cores: list[float] = field(default_factory=list)  # CPU others used during each run
    spreads: list[list[int]] = field(default_factory=list)  # connections per worker, mid-run

    @property
    def other(self) -> float:
        return statistics.median(self.other_cores) if self.other_cores else 0.0

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.runs)

    @property
    def p50(self) -> float:
        return statistics.median(r.p50_ms for r in self.runs)

    @property
    def p99(self) -> float:
        return statistics.median(r.p99_ms for r in self.runs)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)

    @property
    def cpu_us(self) -> float:
        """Median CPU microseconds the server used per request: what a request costs, which
        other processes' load moves much less than req/s (they take CPU time, not work)."""
        costs = [r.cpu_us_per_request for r in self.runs if r.server_cpu]
        return statistics.median(costs) if costs else 0.0

    @property
    def spread(self) -> float:
        """(slowest - fastest run) / median, in req/s: how much the runs disagree."""
        if len(self.runs) < 2 or not self.rps:
            return 0.0
        rates = [r.rps for r in self.runs]
        return (max(rates) - min(rates)) / self.rps


@dataclass
class Results:
    options: Options
    measures: list[Measure] = field(default_factory=list)
    rss: dict[tuple[str, str, int, str, str], dict[int, int]] = field(default_factory=dict)
    builds: dict[tuple[str, str], float] = field(default_factory=dict)
    # (size, store, workers, http, op) -> its callbacks' delivery rate, and their lag at half it
    lags: dict[tuple[str, str, int, str, str], dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    source: dict[str, Any] = field(default_factory=source_state)

    def get(
        self, size: str, store: str, workers: int, server: str, op: str, http: str = "uvicorn"
    ) -> Measure | None:
        want = (size, store, workers, server, op, http)
        for m in self.measures:
            if (m.size, m.store, m.workers, m.server, m.op, m.http) == want:
                return m
        return None


def parse_args(argv: Sequence[str] | None) -> Options:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Switchboard's benchmark: Switchboard vs a bare ASGI baseline vs Prism.",
    )
    p.add_argument("--quick", action="store_true", help="1k, SQLite, 3 x 1 s: a smoke run")
    p.add_argument("--sizes", help="comma list of 1k, 100k, 1m (default: all three)")
    p.add_argument("--stores", help="comma list of sqlite, postgres (default: both)")
    p.add_argument("--workers", help="comma list of worker counts (default: 1,2)")
    p.add_argument("--ops", help=f"comma list of {', '.join(OPS)} (default: all)")
    p.add_argument("--duration", type=int, help="seconds per measured run (default 5)")
    p.add_argument("--warmup", type=int, help="seconds of warm-up per server and op (default 2)")
    p.add_argument("--repeats", type=int, help="measured runs per server and op (default 3)")
    p.add_argument("--connections", type=int, default=32, help="concurrent connections (32)")
    p.add_argument("--driver", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument("--servers", help="comma list of HTTP servers: uvicorn, granian (default: both)")
    p.add_argument(
        "--no-pin",
        action="store_true",
        help="do not pin 1-worker servers to CPU 0 and the load generator to the others",
    )
    p.add_argument("--pg-url", default=ds.DEFAULT_PG_URL, help="PostgreSQL server (admin URL)")
    p.add_argument("--no-prism", action="store_true", help="skip Stoplight Prism")
    p.add_argument("--no-baseline", action="store_true", help="skip the bare ASGI baseline")
    p.add_argument("--rebuild", action="store_true", help="rebuild cached data sets")
    p.add_argument("--json", type=Path, help="also write the results here (JSON)")
    p.add_argument(
        "--no-snapshot", action="store_true", help="measure src/ live, not a copy taken at start"
    )
    a = p.parse_args(argv)

    def items(text: str | None, default: str) -> list[str]:
        return [x.strip() for x in (text or default).split(",") if x.strip()]

    quick = a.quick
    ops = items(a.ops, ",".join(OPS))
    for op in ops:
        if op not in OPS:
            p.error(f"unknown op {op!r}")
    servers = items(a.servers, ",".join(SERVERS))
    for s in servers:
        if s not in SERVERS:
            p.error(f"unknown server {s!r}")
    stores = items(a.stores, "sqlite" if quick else "sqlite,postgres")
    for s in stores:
        if s not in ("sqlite", "postgres"):
            p.error(f"unknown store {s!r}")
    try:
        sizes = [ds.parse_size(s) for s in items(a.sizes, "1k" if quick else "1k,100k,1m")]
        workers = [int(w) for w in items(a.workers, "1,2")]
    except ValueError as exc:
        p.error(str(exc))
    return Options(
        sizes=sizes,
        stores=stores,
        workers=workers,
        ops=ops,
        # Quick: three 1 s runs, interleaved with the other servers', and their median (one
        # 2 s run each put the fetch ratio 25 % or more off the full run's in 2 of 4 runs;
        # three of 1 s, in 1 of 4: docs/performance.md).
        duration=a.duration or (1 if quick else 5),
        warmup=a.warmup if a.warmup is not None else (1 if quick else 2),
        repeats=a.repeats or 3,
        connections=a.connections,
        driver=pick_driver(a.driver),
        servers=servers,
        pin=not a.no_pin and len(procs.cpus()) >= 2,
        pg_url=a.pg_url,
        prism=not a.no_prism,
        baseline=not a.no_baseline,
        rebuild=a.rebuild,
        json_out=a.json,
    )


class Bench:
    def __init__(self, options: Options) -> None:
        self.o = options
        self.results = Results(options)
        self.rates: dict[tuple[str, str, int, str, str], float] = {}
        self.prism: procs.Proc | None = None
        self.prism_cmd: list[str] | None = None
        self.receiver: procs.Proc | None = None
        self.sqlite_file: Path | None = None  # the session's SQLite file (the hookbase's)

    # Top level

    async def run(self) -> Results:
        o = self.o
        log(
            f"bench: sizes {','.join(s.name for s in o.sizes)}; stores {','.join(o.stores)}; "
            f"workers {','.join(map(str, o.workers))}; driver {o.driver}; "
            f"{o.connections} connections; warm-up {o.warmup} s + {o.repeats} x {o.duration} s "
            "per server and op"
        )
        src = self.results.source
        changed = src["changed"]
        dirty = f" + {len(changed)} changed file(s)" if changed else ""
        what = "a snapshot of src/" if src["snapshot"] else "src/ (live)"
        log(f"  measuring {what} at {src['commit']}{dirty}, hash {src['hash']}: {src['package']}")
        if o.driver == "python":
            log("  (wrk not found: the Python generator shares the 2 cores with the server)")
        stores = list(o.stores)
        if "postgres" in stores and not await ds.pg_answers(o.pg_url):
            note = f"PostgreSQL at {o.pg_url} does not answer: skipped"
            log(note)
            self.results.notes.append(note)
            stores.remove("postgres")
        if o.prism and any(op in PRISM_OPS for op in o.ops) and "sqlite" in stores:
            self.prism_cmd = procs.prism_command(log)
            if self.prism_cmd is None:
                note = "npm not available: Prism skipped"
                log(note)
                self.results.notes.append(note)
        self.receiver = procs.start_receiver(cpu_list=procs.load_cpus() if o.pin else None)
        try:
            for size in o.sizes:
                for store in stores:
                    try:
                        await self.session(size, store)
                    except Exception as exc:  # one broken session must not lose the others
                        note = f"{size.name}/{store} failed: {type(exc).__name__}: {exc}"
                        log("ERROR " + note)
                        self.results.notes.append(note)
        finally:
            if self.prism is not None:
                self.prism.stop()
            self.receiver.stop()
            procs.stop_all()
        return self.results

    async def session(self, size: ds.Size, store: str) -> None:
        o = self.o
        if store == "sqlite":
            dataset = await ds.sqlite_dataset(size, log, rebuild=o.rebuild)
        else:
            dataset = await ds.postgres_dataset(size, o.pg_url, log, rebuild=o.rebuild)
        self.results.builds[(size.name, store)] = dataset.build_seconds
        log(f"\n== {size.name} ({size.apps:,} applications) on {store}: preparing a working copy")
        sqlite_file: Path | None = None
        if store == "sqlite":
            sqlite_file = ds.sqlite_working_copy(dataset)
            url = f"sqlite:///{sqlite_file}"
        else:
            url = await ds.postgres_working_copy(dataset, o.pg_url)
        the_store = open_store(url)
        await the_store.open()
        workdir = ds.DATA / "work" / f"{store}-{size.name}"
        workdir.mkdir(parents=True, exist_ok=True)
        assert self.receiver is not None
        workload = Workload(dataset, the_store, workdir, self.receiver.url)
        try:
            await workload.prepare()
            await self.servers(size, store, dataset, url, sqlite_file, workload)
        finally:
            await the_store.close()
            if store == "postgres":
                await ds.drop_postgres_copy(url, o.pg_url)
            elif sqlite_file is not None:
                ds.remove_sqlite(sqlite_file)

    async def servers(
        self,
        size: ds.Size,
        store: str,
        dataset: ds.Dataset,
        url: str,
        sqlite_file: Path | None,
        workload: Workload,
    ) -> None:
        """Every server of the session runs at once (idle ones cost nothing); each op is
        measured on each in turn, so drift on a shared machine hits them all alike."""
        o = self.o
        main = dataset.accounts[0]
        targets: list[Server] = []
        self.sqlite_file = sqlite_file
        # 1-worker servers run on one CPU, the load generator on the others (when pinning);
        # 2 workers need both CPUs, so they and their load generator are not pinned.
        one_cpu = procs.server_cpus() if o.pin else None
        try:
            for http in o.servers:
                for workers in o.workers:

                    def start_ours(workers: int = workers, http: str = http) -> procs.Proc:
                        return procs.start_switchboard(
                            url,
                            workers=workers,
                            account_sid=main.sid,
                            auth_token=main.auth_token,
                            name=f"switchboard-{http}-{workers}w",
                            server=http,
                            cpu_list=one_cpu if workers == 1 else None,
                        )

                    targets.append(Server("switchboard", workers, start_ours(), start_ours, http))
            if store == "sqlite" and o.baseline and sqlite_file is not None:
                path = sqlite_file
                for http in o.servers:

                    def start_base(http: str = http) -> procs.Proc:
                        return procs.start_baseline(path, server=http, cpu_list=one_cpu)

                    base = Server("baseline", 1, start_base(), start_base, http)
                    targets.append(base)
                    ours = next(t for t in targets if t.kind == "switchboard" and t.http == http)
                    self.compare_bodies(ours.proc, base.proc, workload)
                if HOOK_OPS & set(o.ops) and self.receiver is not None:
                    targets.append(
                        Server("hookbase", 1, self.receiver, lambda: self.receiver_or_die(), "")
                    )
            if store == "sqlite" and self.prism_cmd is not None:
                probe = workload.first("fetch")
                command = self.prism_cmd

                def start_prism() -> procs.Proc:
                    log("starting Prism ...")
                    self.prism = procs.start_prism(command, probe.path, probe.auth)
                    return self.prism

                if self.prism is None or self.prism.proc.poll() is not None:
                    start_prism()
                assert self.prism is not None
                targets.append(Server("prism", 1, self.prism, start_prism))
            log(f"-- {size.name} / {store}: {', '.join(t.label for t in targets)}")
            for op in o.ops:
                await self.measure_op(size, store, op, targets, workload)
                if op in LAGGED:
                    for t in targets:
                        if t.kind == "switchboard":
                            await self.measure_lag(size, store, t, workload, op)
            for t in targets:
                if t.kind in ("switchboard", "baseline"):
                    key = (size.name, store, t.workers, t.kind, t.http)
                    self.results.rss[key] = t.proc.peak_rss()
            print_session(self.results, size.name, store)
        finally:
            for t in targets:
                if t.kind in ("switchboard", "baseline"):
                    t.proc.stop()

    def compare_bodies(self, ours: procs.Proc, base: procs.Proc, workload: Workload) -> None:
        """The baseline must answer the very bytes Switchboard does (fetch and list)."""
        for op in ("fetch", "list", "list_deep"):
            req = workload.first(op)
            headers = {"Authorization": req.auth}
            a = httpx.get(ours.url + req.path, headers=headers, timeout=10)
            b = httpx.get(base.url + req.path, headers=headers, timeout=10)
            same = a.status_code == b.status_code == 200 and a.content == b.content
            if not same:
                note = (
                    f"baseline body differs from Switchboard's for {op}: "
                    f"{a.status_code}/{b.status_code}, {len(a.content)}/{len(b.content)} bytes"
                )
                log("  WARNING " + note)
                self.results.notes.append(note)

    async def measure_op(
        self,
        size: ds.Size,
        store: str,
        op: str,
        targets: list[Server],
        workload: Workload,
    ) -> None:
        o = self.o
        servers = [
            t
            for t in targets
            if t.kind == "switchboard"
            or (t.kind == "baseline" and op in BASELINE_OPS)
            or (t.kind == "hookbase" and op in HOOK_OPS)
            or (t.kind == "prism" and op in PRISM_OPS)
        ]
        measures = [Measure(size.name, store, t.workers, t.kind, op, t.http) for t in servers]
        # Warm-up, then the measured runs, the servers interleaved so drift hits all alike.
        for rnd in range(o.repeats + 1):
            seconds = o.warmup if rnd == 0 else o.duration
            if seconds <= 0:
                continue
            for t, m in zip(servers, measures, strict=True):
                key = (size.name, store, t.workers, t.kind + t.http, op)
                rate = self.rates.get(key, DEFAULT_RATE)
                expected = max(2000, int(3 * rate * seconds))
                requests = await workload.requests_for(op, expected)
                try:
                    result, other, spread = await self.run_one(
                        t, requests, seconds, postgres=store == "postgres", op=op
                    )
                except RuntimeError:
                    if t.proc.proc.poll() is None:
                        raise
                    # Killed from outside (a shared machine): start it again, run again.
                    note = (
                        f"{size.name}/{store}: {t.label} exited during {op} "
                        f"(exit {t.proc.proc.returncode}); restarted, its peak RSS restarts too"
                    )
                    log("  WARNING " + note)
                    self.results.notes.append(note)
                    t.proc.stop()
                    t.proc = t.start()
                    requests = await workload.requests_for(op, expected)
                    result, other, spread = await self.run_one(
                        t, requests, seconds, postgres=store == "postgres", op=op
                    )
                self.rates[key] = max(result.rps, 50.0)
                if op in LAGGED and t.kind == "switchboard":
                    # What the run left in the outbox runs now, not during the next server's
                    # run (the servers take turns: it took a core from the other's creates).
                    async with httpx.AsyncClient(base_url=t.proc.url, timeout=60) as client:
                        await settle_accounts(client, workload)
                if rnd > 0:
                    m.runs.append(result)
                    m.other_cores.append(other)
                    if spread:
                        m.spreads.append(spread)
        for t, m in zip(servers, measures, strict=True):
            self.results.measures.append(m)
            spreads = f"  connections per worker {m.spreads}" if m.spreads else ""
            log(
                f"   {op:<10} {t.label:<26} {m.rps:>9,.0f} req/s  p50 {m.p50:7.2f} ms  "
                f"p99 {m.p99:7.2f} ms  spread {m.spread:4.0%}  CPU {m.cpu_us:6.0f} us/req  "
                f"errors {m.errors}  "
                f"other CPU {m.other:.2f} cores{spreads}"
            )

    def receiver_or_die(self) -> procs.Proc:
        raise RuntimeError("the webhook receiver exited")

    async def measure_lag(
        self, size: ds.Size, store: str, t: Server, workload: Workload, op: str
    ) -> None:
        """Two measures of `message`'s (`outbound_call`'s) status callbacks, after its
        throughput runs, each for `--duration` seconds with the outbox drained before and after
        (every callback counted):

        - the **delivery rate**: messages sent at the create rate just measured (the outbox
          mostly waits meanwhile: requests come first), then the callbacks counted as they
          arrive once the sending has stopped, up to the 95th percentile arrival (the last
          steps trail their delivery delay): how fast the outbox delivers with the server to
          itself;
        - the **lag** at half that rate: messages sent so that their callbacks are due at half
          the delivery rate (a sixth of it in messages, each has three), and each callback's
          arrival at the receiver minus the moment its step was due (the previous status change
          in its history plus the delivery delay)."""
        m = self.results.get(size.name, store, t.workers, t.kind, op, t.http)
        if m is None or not m.runs:
            return
        lagged = LAGGED[op]
        make = getattr(workload, lagged.requests)
        seconds = max(self.o.duration, 2)
        # This process sends them: on the load generator's CPUs, as wrk would be.
        cpus = procs.load_cpus() if self.o.pin and t.workers == 1 else None
        assert self.receiver is not None
        receiver = self.receiver.url
        async with httpx.AsyncClient(base_url=t.proc.url, timeout=60) as client:

            async def send(
                requests: list[Req], rate: float
            ) -> tuple[dict[str, str], int, list[list[Any]]]:
                """Send at `rate`, wait until every callback is in: what was created, when the
                sending stopped (µs since the epoch), the receiver's notes of the callbacks."""
                await settle_accounts(client, workload)
                await client.get(f"{receiver}/status-log")  # forget what came before
                with procs.running_on(cpus):
                    sent = await paced(t.proc.url, requests, rate)
                stopped = time.time_ns() // 1000
                await settle_accounts(client, workload)
                arrivals = (await client.get(f"{receiver}/status-log")).json()
                return sent, stopped, arrivals

            burst = max(10.0, m.rps)
            _, stopped, arrivals = await send(make(int(burst * seconds), tag="burst"), burst)
            delivery = delivery_rate(arrivals, stopped)
            rate = max(10.0, delivery / 2 / lagged.callbacks)
            sent, _, arrivals = await send(make(int(rate * seconds), tag="lag"), rate)
        lags = await callback_lags(workload, sent, arrivals, lagged.history)
        expected = lagged.callbacks * len(sent)
        result = {
            "delivery_rate": delivery,
            "rate": rate,
            "sent": float(len(sent)),
            "callbacks": float(len(lags)),
            "missing": float(expected - len(lags)),
            "p50_ms": percentile(lags, 50),
            "p99_ms": percentile(lags, 99),
        }
        self.results.lags[(size.name, store, t.workers, t.http, op)] = result
        log(
            f"   {op} callbacks {t.label:<20} delivered at {delivery:,.0f}/s; at half that "
            f"({rate:,.0f} {op}s/s): {len(lags)}/{expected} callbacks, due -> received "
            f"p50 {result['p50_ms']:.1f} ms  p99 {result['p99_ms']:.1f} ms"
        )

    async def run_one(
        self, t: Server, requests: Path, seconds: int, *, postgres: bool, op: str
    ) -> tuple[LoadResult, float, list[int]]:
        """One load run, with what else used the CPU meanwhile (in cores) and, for several
        workers, how the connections spread over them half-way through. The run's own CPU is
        the server's process tree, the webhook receiver, the load generator, this process and,
        on PostgreSQL, every `postgres` process."""
        ours = [t.proc.pid] + ([self.receiver.pid] if self.receiver else [])
        ours = list(dict.fromkeys(ours))

        def own_processes() -> dict[int, float]:
            sample: dict[int, float] = {}
            for pid in ours:
                sample.update(procs.tree_cpu(pid))
            if postgres:
                sample.update(procs.command_cpu("postgres"))
            return sample

        def own_rusage() -> float:
            me = resource.getrusage(resource.RUSAGE_SELF)
            kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the finished load generators
            return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

        async def spread_later() -> list[int]:
            await asyncio.sleep(seconds / 2)
            return await asyncio.to_thread(procs.connection_spread, t.proc.port)

        spread_task = asyncio.create_task(spread_later()) if t.workers > 1 else None
        busy, own, rusage = procs.machine_busy_seconds(), own_processes(), own_rusage()
        pin = self.o.pin and t.workers == 1
        if t.kind == "hookbase":
            assert self.receiver is not None
            result = await asyncio.to_thread(
                procs.run_hookbase,
                str(self.sqlite_file),
                requests,
                self.receiver.url,
                op=op,
                connections=self.o.connections,
                duration=seconds,
                cpu_list=procs.server_cpus() if pin else None,
            )
        else:
            server_before = procs.tree_cpu(t.proc.pid)
            result = await asyncio.to_thread(
                run_load,
                self.o.driver,
                t.proc.url,
                requests,
                connections=self.o.connections,
                duration=seconds,
                cpu_list=procs.load_cpus() if pin else None,
            )
            server_cpu = procs.cpu_used(server_before, procs.tree_cpu(t.proc.pid))
            result = dataclasses.replace(result, server_cpu=server_cpu)
        used = procs.cpu_used(own, own_processes()) + own_rusage() - rusage
        others = procs.machine_busy_seconds() - busy - used
        spread = await spread_task if spread_task is not None else []
        return result, max(others, 0.0) / max(result.seconds, 0.001), spread


async def settle_accounts(client: httpx.AsyncClient, workload: Workload) -> None:
    """Wait until the outbox holds nothing of the message accounts."""
    for account in workload.message_accounts:
        resp = await client.post(
            f"/switchboard/v1/Accounts/{account.sid}/Settle",
            data={"Timeout": "300"},
            auth=(account.sid, account.auth_token),
            timeout=320,
        )
        if resp.status_code != 200:
            raise RuntimeError(f"Settle answered {resp.status_code}: {resp.text[:200]}")


async def paced(url: str, requests: list[Req], rate: float) -> dict[str, str]:
    """Send the requests at `rate` per second (each at its moment, whatever the answers take:
    `pyload.paced`); the created messages' (calls') SIDs -> their account."""
    host = urlsplit(url).netloc
    wire = [request_bytes(r.method, r.path, r.auth, r.body, host) for r in requests]
    sent: dict[str, str] = {}
    for status, body in await pyload.paced(url, wire, rate):
        if status == 201:
            created = json.loads(body)
            sent[created["sid"]] = created["account_sid"]
    return sent


@dataclass(frozen=True)
class Lagged:
    """An op whose status callbacks the bench times (`measure_lag`)."""

    requests: str  # the Workload method making its requests
    callbacks: int  # callbacks each request causes
    history: Callable[[Any, str, str], Awaitable[list[Any] | None]]  # (store, account, sid)


async def _message_history(store: Any, account_sid: str, sid: str) -> list[Any] | None:
    record = await store.get_message(account_sid, sid)
    return None if record is None else list(record["history"])


async def _call_history(store: Any, account_sid: str, sid: str) -> list[Any] | None:
    record = await store.get_call(account_sid, sid)
    return None if record is None else list(record["options"].get("history", []))


LAGGED = {
    "message": Lagged("message_requests", 3, _message_history),  # sending, sent, delivered
    "outbound_call": Lagged("call_requests", 4, _call_history),  # initiated ... completed
}


async def callback_lags(
    workload: Workload,
    sent: dict[str, str],
    arrivals: list[list[Any]],
    history: Callable[[Any, str, str], Awaitable[list[Any] | None]],
) -> list[float]:
    """ms from each step's due moment to its callback's arrival: a step is due the delivery
    delay after the previous status change in the record's history."""
    delay = Settings().delivery_delay * 1_000_000
    due: dict[tuple[str, str], float] = {}
    for sid, account_sid in sent.items():
        steps = await history(workload.store, account_sid, sid)
        for before, step in itertools.pairwise(steps or []):
            due[(sid, step[0])] = before[1] + delay
    return [
        (arrived - due[(sid, status)]) / 1000
        for sid, status, arrived in arrivals
        if (sid, status) in due
    ]


def delivery_rate(arrivals: list[list[Any]], stopped: int) -> float:
    """Callbacks a second that arrived after `stopped` (µs since the epoch), up to the 95th
    percentile of those arrivals."""
    late = sorted(at for _, _, at in arrivals if at > stopped)
    if len(late) < 20:
        return float("nan")
    last = int(len(late) * 0.95)
    return last / max((late[last - 1] - stopped) / 1_000_000, 1e-6)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


@dataclass
class Server:
    kind: str  # switchboard | baseline | hookbase | prism
    workers: int
    proc: procs.Proc  # hookbase: the receiver (it runs as a client, one process per run)
    start: Callable[[], procs.Proc]  # to start it again, should it die
    http: str = "uvicorn"

    @property
    def label(self) -> str:
        return label(self.kind, self.workers, self.http)


def label(kind: str, workers: int, http: str) -> str:
    if kind == "switchboard":
        return f"switchboard {http} ({workers}w)"
    if kind == "baseline":
        return f"baseline {http}"
    return kind


# Reporting


def _ratio(a: Measure | None, b: Measure | None) -> float | None:
    if a is None or b is None or not a.runs or not b.runs or b.rps == 0:
        return None
    return a.rps / b.rps


def _cost_ratio(ours: Measure | None, ref: Measure | None) -> float | None:
    """The reference's CPU per request over ours: the throughput ratio two servers would have
    each on a CPU of its own, from what each request cost them (robust to others' load)."""
    if ours is None or ref is None or not ours.cpu_us or not ref.cpu_us:
        return None
    return ref.cpu_us / ours.cpu_us


def call_ceiling(hookbase: Measure | None, bare: Measure | None) -> float | None:
    """The best `call / webhook baseline` by CPU that a server could reach if a call cost it
    the webhook baseline's whole call (read, form, signature, POST, the stored rows) plus one
    bare request (the baseline's fetch: parse, one SELECT, orjson, answer) and nothing else:
    no TwiML, no engine, no call record, no JSON of the trace, no authentication."""
    if hookbase is None or bare is None or not hookbase.cpu_us or not bare.cpu_us:
        return None
    return hookbase.cpu_us / (hookbase.cpu_us + bare.cpu_us)


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def print_session(r: Results, size: str, store: str) -> None:
    log(f"\n{size} applications, {store}: medians of {r.options.repeats} runs")
    log(
        f"{'op':<10} {'server':<26} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'spread':>6} "
        f"{'CPU us':>7} {'errors':>6} {'ours/base':>9} {'base/ours CPU':>13} {'ours/prism':>10} "
        f"{'2w/1w':>6} {'other CPU':>9}"
    )
    for op in r.options.ops:
        first = True
        for m in session_rows(r, size, store, op):
            vs_base = vs_prism = scale = cost = ""
            if m.server == "switchboard" and m.workers == 1:
                vs_base = _fmt(_ratio(m, reference(r, m)))
                cost = _fmt(_cost_ratio(m, reference(r, m)))
                vs_prism = _fmt(_ratio(m, r.get(size, store, 1, "prism", op, "")))
            elif m.server == "switchboard":
                scale = _fmt(_ratio(m, r.get(size, store, 1, "switchboard", op, m.http)))
            log(
                f"{op if first else '':<10} {label(m.server, m.workers, m.http):<26} "
                f"{m.rps:>9,.0f} {m.p50:>8.2f} {m.p99:>8.2f} {m.spread:>6.0%} {m.cpu_us:>7.0f} "
                f"{m.errors:>6} {vs_base:>9} {cost:>13} {vs_prism:>10} {scale:>6} {m.other:>9.2f}"
            )
            first = False
    for (s, st, w, http, op), lag in r.lags.items():
        if (s, st) == (size, store):
            log(
                f"{op} callbacks ({w}w, {http}) delivered at {lag['delivery_rate']:,.0f}/s; lag "
                f"at half that ({lag['rate']:,.0f} {op}s/s): due -> received "
                f"p50 {lag['p50_ms']:.1f} ms, p99 {lag['p99_ms']:.1f} ms "
                f"({lag['callbacks']:.0f} callbacks, {lag['missing']:.0f} missing)"
            )
    for (s, st, w, server, http), rss in r.rss.items():
        if (s, st) == (size, store) and rss:
            total = sum(rss.values())
            log(
                f"peak RSS {label(server, w, http)}: {total / MB:.1f} MB "
                f"({len(rss)} process(es), VmHWM summed; largest {max(rss.values()) / MB:.1f} MB)"
            )


KIND_ORDER = {"switchboard": 0, "baseline": 1, "hookbase": 2, "prism": 3}


def session_rows(r: Results, size: str, store: str, op: str) -> list[Measure]:
    rows = [m for m in r.measures if (m.size, m.store, m.op) == (size, store, op) and m.runs]
    return sorted(rows, key=lambda m: (KIND_ORDER.get(m.server, 9), m.http, m.workers))


def reference(r: Results, m: Measure) -> Measure | None:
    """What Switchboard's run `m` is compared with: the baseline on the same HTTP server, or
    for a simulated call the webhook baseline."""
    if m.op in HOOK_OPS:
        return r.get(m.size, m.store, 1, "hookbase", m.op, "")
    return r.get(m.size, m.store, 1, "baseline", m.op, m.http)


@dataclass
class Target:
    name: str
    value: float | None
    limit: float
    at_least: bool  # True: value >= limit passes
    where: str
    info: str = ""

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "n/a"
        ok = self.value >= self.limit if self.at_least else self.value <= self.limit
        return "PASS" if ok else "MISS"


def targets(r: Results) -> list[Target]:
    o = r.options
    out: list[Target] = []
    sizes = [s.name for s in o.sizes]
    for size in sizes:

        def m(
            server: str, op: str, workers: int = 1, http: str = "uvicorn", size: str = size
        ) -> Measure | None:
            return r.get(size, "sqlite", workers, server, op, http)

        for http in o.servers:
            out += [
                Target(f"fetch / baseline >= 0.8 ({http})", _ratio(m("switchboard", "fetch",
                       http=http), m("baseline", "fetch", http=http)), 0.8, True, size),
                Target(f"2 workers / 1 worker fetch >= 1.5 ({http})", _ratio(m("switchboard",
                       "fetch", 2, http), m("switchboard", "fetch", http=http)), 1.5, True, size),
                Target(f"call / webhook baseline >= 0.6 ({http})", _ratio(m("switchboard",
                       "call", http=http), m("hookbase", "call", http="")), 0.6, True, size),
                Target(f"ivr / call >= 1/3 ({http})", _ratio(m("switchboard", "ivr", http=http),
                       m("switchboard", "call", http=http)), 1 / 3, True, size),
            ]  # fmt: skip
            out += [
                Target(f"  same, by CPU per request: fetch ({http})", _cost_ratio(m("switchboard",
                       "fetch", http=http), m("baseline", "fetch", http=http)), 0.8, True, size),
                Target(f"  same, by CPU per request: call ({http})", _cost_ratio(m("switchboard",
                       "call", http=http), m("hookbase", "call", http="")), 0.6, True, size),
                Target(f"  call ceiling, by CPU ({http})", call_ceiling(m("hookbase", "call",
                       http=""), m("baseline", "fetch", http=http)), 0.6, True, size,
                       "(webhook baseline + one bare request)"),
            ]  # fmt: skip
        fetches = [x for h in o.servers if (x := m("switchboard", "fetch", http=h)) and x.runs]
        best = max(fetches, key=lambda x: x.rps) if fetches else None
        out += [
            Target("fetch, best server / baseline on uvicorn >= 1.0", _ratio(best,
                   m("baseline", "fetch")), 1.0, True, size, f"({best.http})" if best else ""),
            Target("list page of 50 / baseline >= 0.7", _ratio(m("switchboard", "list"),
                   m("baseline", "list")), 0.7, True, size),
            Target("create / baseline create >= 0.7", _ratio(m("switchboard", "create"),
                   m("baseline", "create")), 0.7, True, size),
            Target("fetch / Prism fetch >= 4", _ratio(m("switchboard", "fetch"),
                   m("prism", "fetch", http="")), 4.0, True, size),
            Target("message create / application create >= 0.7", _ratio(
                   m("switchboard", "message"), m("switchboard", "create")), 0.7, True, size),
        ]  # fmt: skip
        lag = r.lags.get((size, "sqlite", 1, "uvicorn", "message"))
        hooks = m("hookbase", "call", http="")
        out += [
            Target("message callbacks / webhook baseline >= 0.6", lag["delivery_rate"] / hooks.rps
                   if lag and hooks and hooks.runs else None, 0.6, True, size),
            Target("message callback lag p99 at half rate <= 100 ms", lag["p99_ms"] if lag
                   else None, 100.0, False, size),
        ]  # fmt: skip
        if "postgres" in o.stores:
            for http in o.servers:
                for op in ("fetch", "create"):
                    two = r.get(size, "postgres", 2, "switchboard", op, http)
                    one = r.get(size, "postgres", 1, "switchboard", op, http)
                    out.append(
                        Target(f"PostgreSQL 2w / 1w {op} >= 1.6 ({http})", _ratio(two, one),
                               1.6, True, size)
                    )  # fmt: skip
    small = r.get("1k", "sqlite", 1, "switchboard", "list_deep")
    big = r.get("1m", "sqlite", 1, "switchboard", "list_deep")
    deep = Target("deep page p50 latency 1m / 1k <= 1.3", None, 1.3, False, "1m vs 1k")
    if small and big and small.runs and big.runs:
        deep.value = big.p50 / small.p50
    elif small and small.runs:
        largest = next(
            (
                x
                for x in reversed(sizes)
                if x != "1k" and r.get(x, "sqlite", 1, "switchboard", "list_deep")
            ),
            None,
        )
        other = r.get(largest, "sqlite", 1, "switchboard", "list_deep") if largest else None
        if other and other.runs:
            deep.info = f"(SQLite 1m not run; {largest}/1k = {other.p50 / small.p50:.2f})"
    out.append(deep)
    rss = r.rss.get(("1m", "sqlite", 1, "switchboard", "uvicorn"))
    out.append(
        Target(
            "peak RSS with 1,000,000 apps <= 150 MB",
            sum(rss.values()) / MB if rss else None,
            150.0,
            False,
            "1m",
            "" if rss else "(SQLite 1m not run)",
        )
    )
    return out


def print_targets(r: Results) -> None:
    log("\nTargets (SQLite, 1 worker unless said; medians)")
    log("  ('other CPU' above: cores busy with processes that are not part of the run)")
    for t in targets(r):
        value = _fmt(t.value, ".1f" if "MB" in t.name else ".2f")
        log(f"  {t.verdict:<4}  {t.name:<48} [{t.where:>8}] {value:>8} {t.info}")
    for note in r.notes:
        log(f"  note: {note}")


def to_json(r: Results) -> dict[str, object]:
    o = r.options
    return {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r.started)),
        "machine": {"cpus": _cpus(), "python": sys.version.split()[0]},
        "source": r.source,
        "options": {
            "sizes": [s.name for s in o.sizes],
            "stores": o.stores,
            "workers": o.workers,
            "ops": o.ops,
            "duration": o.duration,
            "warmup": o.warmup,
            "repeats": o.repeats,
            "connections": o.connections,
            "driver": o.driver,
            "servers": o.servers,
            "pinned": o.pin,
        },
        "measures": [
            {
                "size": m.size,
                "store": m.store,
                "workers": m.workers,
                "server": m.server,
                "http": m.http,
                "op": m.op,
                "rps": m.rps,
                "p50_ms": m.p50,
                "p99_ms": m.p99,
                "errors": m.errors,
                "spread": m.spread,
                "cpu_us_per_request": m.cpu_us,
                "other_cpu_cores": m.other_cores,
                "connections_per_worker": m.spreads,
                "runs": [asdict(x) for x in m.runs],
            }
            for m in r.measures
            if m.runs
        ],
        "peak_rss_bytes": [
            {
                "size": k[0],
                "store": k[1],
                "workers": k[2],
                "server": k[3],
                "http": k[4],
                "by_pid": v,
            }
            for k, v in r.rss.items()
        ],
        "build_seconds": {f"{k[1]}-{k[0]}": v for k, v in r.builds.items()},
        **{
            f"{op}_lag": [
                {"size": k[0], "store": k[1], "workers": k[2], "http": k[3], **v}
                for k, v in r.lags.items()
                if k[4] == op
            ]
            for op in LAGGED
        },
        "targets": [
            {"name": t.name, "where": t.where, "value": t.value, "verdict": t.verdict}
            for t in targets(r)
        ],
        "notes": r.notes,
    }


def check_source_unchanged(r: Results) -> None:
    """Others may edit src/ while a run goes on: say so, and whether it mattered."""
    live = snapshot.tree_hash(snapshot.SRC)
    if live == r.source["hash"]:
        return
    if r.source["snapshot"]:
        note = f"src/ changed during the run; the run measured the snapshot {r.source['hash']}"
    else:
        note = (
            f"src/ changed during the run ({r.source['hash']} -> {live}): servers started "
            "later measured other code (use the default snapshot to avoid this)"
        )
    r.notes.append(note)


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    procs.install_signal_handlers()
    procs.LOGS.mkdir(parents=True, exist_ok=True)
    log_path = procs.LOGS / time.strftime("bench-%Y%m%d-%H%M%S.log")
    _log_file.append(open(log_path, "a"))  # noqa: SIM115 - closed at exit with the process
    log(f"log: {log_path}")
    started = time.monotonic()
    try:
        results = asyncio.run(Bench(options).run())
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        procs.stop_all()
    check_source_unchanged(results)
    print_targets(results)
    out = options.json_out or ds.DATA / "results" / time.strftime("%Y%m%d-%H%M%S.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(to_json(results), indent=2))
    log(f"\nresults: {out} ({(time.monotonic() - started) / 60:.1f} min)")
    return 0
