"""`python -m bench`: build the data sets, start the servers, drive the load, print the table.

See docs/performance.md for what each number means and the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from bench import dataset as ds
from bench import procs
from bench.load import LoadResult, pick_driver, run_load
from bench.workload import OPS, Workload
from switchboard.store import open_store

BASELINE_OPS = frozenset({"fetch", "list", "list_deep", "create", "update", "delete"})
PRISM_OPS = frozenset({"fetch", "list"})
MB = 1024 * 1024
DEFAULT_RATE = 3000.0  # req/s assumed for sizing write runs before one was measured


def log(message: str) -> None:
    print(message, flush=True)


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
    server: str  # switchboard | baseline | prism
    op: str
    runs: list[LoadResult] = field(default_factory=list)

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


@dataclass
class Results:
    options: Options
    measures: list[Measure] = field(default_factory=list)
    rss: dict[tuple[str, str, int, str], dict[int, int]] = field(default_factory=dict)
    builds: dict[tuple[str, str], float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    def get(self, size: str, store: str, workers: int, server: str, op: str) -> Measure | None:
        for m in self.measures:
            if (m.size, m.store, m.workers, m.server, m.op) == (size, store, workers, server, op):
                return m
        return None


def parse_args(argv: Sequence[str] | None) -> Options:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Switchboard's benchmark: Switchboard vs a bare ASGI baseline vs Prism.",
    )
    p.add_argument("--quick", action="store_true", help="1k, SQLite, 1 x 2 s: a smoke run")
    p.add_argument("--sizes", help="comma list of 1k, 100k, 1m (default: all three)")
    p.add_argument("--stores", help="comma list of sqlite, postgres (default: both)")
    p.add_argument("--workers", help="comma list of worker counts (default: 1,2)")
    p.add_argument("--ops", help=f"comma list of {', '.join(OPS)} (default: all)")
    p.add_argument("--duration", type=int, help="seconds per measured run (default 5)")
    p.add_argument("--warmup", type=int, help="seconds of warm-up per server and op (default 2)")
    p.add_argument("--repeats", type=int, help="measured runs per server and op (default 3)")
    p.add_argument("--connections", type=int, default=32, help="concurrent connections (32)")
    p.add_argument("--driver", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument("--pg-url", default=ds.DEFAULT_PG_URL, help="PostgreSQL server (admin URL)")
    p.add_argument("--no-prism", action="store_true", help="skip Stoplight Prism")
    p.add_argument("--no-baseline", action="store_true", help="skip the bare ASGI baseline")
    p.add_argument("--rebuild", action="store_true", help="rebuild cached data sets")
    p.add_argument("--json", type=Path, help="also write the results here (JSON)")
    a = p.parse_args(argv)

    def items(text: str | None, default: str) -> list[str]:
        return [x.strip() for x in (text or default).split(",") if x.strip()]

    quick = a.quick
    ops = items(a.ops, ",".join(OPS))
    for op in ops:
        if op not in OPS:
            p.error(f"unknown op {op!r}")
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
        duration=a.duration or (2 if quick else 5),
        warmup=a.warmup if a.warmup is not None else (1 if quick else 2),
        repeats=a.repeats or (1 if quick else 3),
        connections=a.connections,
        driver=pick_driver(a.driver),
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

    # Top level

    async def run(self) -> Results:
        o = self.o
        log(
            f"bench: sizes {','.join(s.name for s in o.sizes)}; stores {','.join(o.stores)}; "
            f"workers {','.join(map(str, o.workers))}; driver {o.driver}; "
            f"{o.connections} connections; warm-up {o.warmup} s + {o.repeats} x {o.duration} s "
            "per server and op"
        )
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
        self.receiver = procs.start_receiver()
        try:
            for size in o.sizes:
                for store in stores:
                    await self.session(size, store)
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
            for workers in o.workers:
                await self.servers(size, store, workers, dataset, url, sqlite_file, workload)
        finally:
            await the_store.close()
            if store == "postgres":
                await ds.drop_postgres_copy(url, o.pg_url)
            elif sqlite_file is not None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)

    async def servers(
        self,
        size: ds.Size,
        store: str,
        workers: int,
        dataset: ds.Dataset,
        url: str,
        sqlite_file: Path | None,
        workload: Workload,
    ) -> None:
        o = self.o
        main = dataset.accounts[0]
        targets: dict[str, procs.Proc] = {}
        try:
            targets["switchboard"] = procs.start_switchboard(
                url, workers=workers, account_sid=main.sid, auth_token=main.auth_token
            )
            primary = workers == 1 and store == "sqlite"
            if primary and o.baseline and sqlite_file is not None:
                targets["baseline"] = procs.start_baseline(sqlite_file)
                self.compare_bodies(targets["switchboard"], targets["baseline"], workload)
            if primary and self.prism_cmd is not None:
                if self.prism is None:
                    probe = workload.first("fetch")
                    log("starting Prism ...")
                    self.prism = procs.start_prism(self.prism_cmd, probe.path, probe.auth)
                targets["prism"] = self.prism
            log(f"-- {size.name} / {store} / {workers} worker(s): {', '.join(targets)}")
            for op in o.ops:
                await self.measure_op(size, store, workers, op, targets, workload)
            for name, proc in targets.items():
                if name != "prism":
                    self.results.rss[(size.name, store, workers, name)] = proc.peak_rss()
            print_session(self.results, size.name, store, workers)
        finally:
            for name, proc in targets.items():
                if name != "prism":
                    proc.stop()

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
        workers: int,
        op: str,
        targets: dict[str, procs.Proc],
        workload: Workload,
    ) -> None:
        o = self.o
        servers = [
            name
            for name in targets
            if name == "switchboard"
            or (name == "baseline" and op in BASELINE_OPS)
            or (name == "prism" and op in PRISM_OPS)
        ]
        measures = {name: Measure(size.name, store, workers, name, op) for name in servers}
        # Warm-up, then the measured runs, the servers interleaved so drift hits all alike.
        for rnd in range(o.repeats + 1):
            seconds = o.warmup if rnd == 0 else o.duration
            if seconds <= 0:
                continue
            for name in servers:
                key = (size.name, store, workers, name, op)
                rate = self.rates.get(key, DEFAULT_RATE)
                expected = max(2000, int(3 * rate * seconds))
                requests = await workload.requests_for(op, expected)
                result = await asyncio.to_thread(
                    run_load,
                    o.driver,
                    targets[name].url,
                    requests,
                    connections=o.connections,
                    duration=seconds,
                )
                self.rates[key] = max(result.rps, 50.0)
                if rnd > 0:
                    measures[name].runs.append(result)
        for name in servers:
            m = measures[name]
            self.results.measures.append(m)
            log(
                f"   {op:<10} {name:<12} {m.rps:>9,.0f} req/s  p50 {m.p50:7.2f} ms  "
                f"p99 {m.p99:7.2f} ms  errors {m.errors}"
            )


# Reporting


def _ratio(a: Measure | None, b: Measure | None) -> float | None:
    if a is None or b is None or not a.runs or not b.runs or b.rps == 0:
        return None
    return a.rps / b.rps


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def print_session(r: Results, size: str, store: str, workers: int) -> None:
    log(f"\n{size} applications, {store}, {workers} worker(s) — medians of {r.options.repeats}")
    log(
        f"{'op':<10} {'server':<12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
        f"{'ours/base':>9} {'ours/prism':>10}"
    )
    for op in r.options.ops:
        ours = r.get(size, store, workers, "switchboard", op)
        for server in ("switchboard", "baseline", "prism"):
            m = r.get(size, store, workers, server, op)
            if m is None or not m.runs:
                continue
            vs_base = vs_prism = ""
            if server == "switchboard":
                vs_base = _fmt(_ratio(ours, r.get(size, store, workers, "baseline", op)))
                vs_prism = _fmt(_ratio(ours, r.get(size, store, workers, "prism", op)))
            log(
                f"{op if server == 'switchboard' else '':<10} {server:<12} {m.rps:>9,.0f} "
                f"{m.p50:>8.2f} {m.p99:>8.2f} {m.errors:>6} {vs_base:>9} {vs_prism:>10}"
            )
    for (s, st, w, server), rss in r.rss.items():
        if (s, st, w) == (size, store, workers):
            total = sum(rss.values())
            log(f"peak RSS {server}: {total / MB:.1f} MB ({len(rss)} process(es), VmHWM summed)")


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
    w1 = 1
    w2 = 2
    out: list[Target] = []
    sizes = [s.name for s in o.sizes]
    for size in sizes:

        def m(server: str, op: str, workers: int = w1, size: str = size) -> Measure | None:
            return r.get(size, "sqlite", workers, server, op)

        out += [
            Target("fetch req/s / baseline >= 0.8", _ratio(m("switchboard", "fetch"),
                   m("baseline", "fetch")), 0.8, True, size),
            Target("list page of 50 / baseline >= 0.7", _ratio(m("switchboard", "list"),
                   m("baseline", "list")), 0.7, True, size),
            Target("create / baseline create >= 0.7", _ratio(m("switchboard", "create"),
                   m("baseline", "create")), 0.7, True, size),
            Target("fetch / Prism fetch >= 4", _ratio(m("switchboard", "fetch"),
                   m("prism", "fetch")), 4.0, True, size),
            Target("2 workers / 1 worker fetch >= 1.5", _ratio(m("switchboard", "fetch", w2),
                   m("switchboard", "fetch")), 1.5, True, size),
        ]  # fmt: skip
    small = r.get("1k", "sqlite", w1, "switchboard", "list_deep")
    big = r.get("1m", "sqlite", w1, "switchboard", "list_deep")
    deep = Target("deep page p50 latency 1m / 1k <= 1.3", None, 1.3, False, "1m vs 1k")
    if small and big and small.runs and big.runs:
        deep.value = big.p50 / small.p50
    elif small and small.runs:
        largest = next(
            (
                x
                for x in reversed(sizes)
                if x != "1k" and r.get(x, "sqlite", w1, "switchboard", "list_deep")
            ),
            None,
        )
        other = r.get(largest, "sqlite", w1, "switchboard", "list_deep") if largest else None
        if other and other.runs:
            deep.info = f"(1m not run; {largest}/1k = {other.p50 / small.p50:.2f})"
    out.append(deep)
    rss = r.rss.get(("1m", "sqlite", w1, "switchboard"))
    out.append(
        Target(
            "peak RSS with 1,000,000 apps <= 150 MB",
            sum(rss.values()) / MB if rss else None,
            150.0,
            False,
            "1m",
            "" if rss else "(1m not run)",
        )
    )
    return out


def print_targets(r: Results) -> None:
    log("\nTargets (SQLite, 1 worker unless said; medians)")
    for t in targets(r):
        value = _fmt(t.value, ".1f" if "MB" in t.name else ".2f")
        log(f"  {t.verdict:<4}  {t.name:<40} [{t.where:>8}] {value:>8} {t.info}")
    for note in r.notes:
        log(f"  note: {note}")


def to_json(r: Results) -> dict[str, object]:
    o = r.options
    return {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r.started)),
        "machine": {"cpus": _cpus(), "python": sys.version.split()[0]},
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
        },
        "measures": [
            {
                "size": m.size,
                "store": m.store,
                "workers": m.workers,
                "server": m.server,
                "op": m.op,
                "rps": m.rps,
                "p50_ms": m.p50,
                "p99_ms": m.p99,
                "errors": m.errors,
                "runs": [asdict(x) for x in m.runs],
            }
            for m in r.measures
            if m.runs
        ],
        "peak_rss_bytes": [
            {"size": k[0], "store": k[1], "workers": k[2], "server": k[3], "by_pid": v}
            for k, v in r.rss.items()
        ],
        "build_seconds": {f"{k[1]}-{k[0]}": v for k, v in r.builds.items()},
        "targets": [
            {"name": t.name, "where": t.where, "value": t.value, "verdict": t.verdict}
            for t in targets(r)
        ],
        "notes": r.notes,
    }


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    procs.install_signal_handlers()
    started = time.monotonic()
    try:
        results = asyncio.run(Bench(options).run())
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        procs.stop_all()
    print_targets(results)
    out = options.json_out or ds.DATA / "results" / time.strftime("%Y%m%d-%H%M%S.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(to_json(results), indent=2))
    log(f"\nresults: {out} ({(time.monotonic() - started) / 60:.1f} min)")
    return 0
