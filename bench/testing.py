"""`python -m bench.testing`: what the testing toolkit (`switchboard.testing`) costs a test suite.

- **start**: from the start of the `switchboard` fixture (nothing of Switchboard imported yet,
  as in a pytest session whose plugin is loaded but unused so far) to its first answered
  request, in a fresh interpreter each time; beside it, a `switchboard serve` child process
  until it answers (what a suite without the toolkit starts), from its launch.
- **latency**: the official SDK's fetch and create, one after another, in process
  (`InProcessHttpClient`) and over loopback HTTP to the same engine (uvicorn on the engine's
  thread, the `switchboard` fixture's server), taking turns by blocks of calls so that noise
  hits both alike.
- **reset**: what the fixture does before each test, with 1000 applications stored; and a
  whole `mock()` (a fresh engine, entered and left), what a decorated test pays.

Targets: in-process p50 at most a third of HTTP's; start at most 1 s; reset at most 20 ms.
"other CPU" is the machine's busy time not spent in this process, in cores: the noise.

    python -m bench.testing [--starts 5] [--requests 300] [--resets 20] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import procs

VOICE = "https://example.com/voice"
# Calls per turn: blocks, not single calls, so that what one way leaves the engine's thread to
# finish (uvicorn's bookkeeping after an answer) is not timed as the other's.
BLOCK = 25
START_SCRIPT = """
import time
started, cpu = time.perf_counter(), time.process_time()
import base64, json, urllib.request
from switchboard.testing.engine import Engine
engine = Engine().start()
base_url = engine.serve_http()
main = engine.main
auth = base64.b64encode(f"{main.sid}:{main.auth_token}".encode()).decode()
request = urllib.request.Request(
    f"{base_url}/2010-04-01/Accounts/{main.sid}.json", headers={"Authorization": f"Basic {auth}"}
)
assert urllib.request.urlopen(request).status == 200
print(json.dumps({"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu}))
engine.stop()
"""


@dataclass
class Figures:
    """Seconds of each run of one measurement, and the other CPU (cores) while it ran."""

    name: str
    runs: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # this process's CPU seconds, where known
    other_cores: float = 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.runs)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.runs)

    def row(self, unit: float) -> str:
        """A Markdown table row, times in `unit` seconds (1: s, 1e-3: ms)."""
        cpu = f"{statistics.median(self.cpu) / unit:.2f}" if self.cpu else ""
        return (
            f"| {self.name} | {self.p50 / unit:.2f} | {self.pct(95) / unit:.2f} | "
            f"{max(self.runs) / unit:.2f} | {cpu} | {len(self.runs)} | {self.other_cores:.2f} |"
        )


@contextmanager
def other_cpu(figures: Figures) -> Iterator[None]:
    """Sets `figures.other_cores`: the machine's busy cores, minus this process's."""
    wall, busy, own = time.monotonic(), procs.machine_busy_seconds(), time.process_time()
    yield
    elapsed = time.monotonic() - wall
    others = procs.machine_busy_seconds() - busy - (time.process_time() - own)
    figures.other_cores = max(others, 0.0) / elapsed if elapsed > 0 else 0.0


def measure_start(runs: int) -> tuple[Figures, Figures]:
    in_thread, child = Figures("fixture start, in a thread"), Figures("`switchboard serve` child")
    env = procs.clean_env()
    with other_cpu(in_thread), tempfile.TemporaryDirectory() as work:
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", START_SCRIPT],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            result = json.loads(out.stdout)
            in_thread.runs.append(result["wall"])
            in_thread.cpu.append(result["cpu"])
            child.runs.append(serve_until_answered(Path(work), env))
    child.other_cores = in_thread.other_cores
    return in_thread, child


def serve_until_answered(work: Path, env: dict[str, str]) -> float:
    import httpx

    port = procs.free_port()
    database = work / f"serve-{port}.db"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "switchboard.cli",
            "serve",
            "--port",
            str(port),
            "--database-url",
            f"sqlite:///{database}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                time.sleep(0.01)
            if proc.poll() is not None:
                raise RuntimeError("switchboard serve exited early")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def measure_latency(requests: int) -> list[tuple[Figures, Figures]]:
    from twilio.rest import Client

    from switchboard.testing import Engine, InProcessHttpClient, Switchboard

    with Engine() as engine:
        engine.serve_http()
        board = Switchboard.fresh(engine)
        over_http = board.client()
        in_process = Client(
            board.account_sid, board.auth_token, http_client=InProcessHttpClient(engine)
        )
        app = over_http.applications.create(friendly_name="fetched")
        pairs: list[tuple[Figures, Figures]] = []
        operations: dict[str, Callable[[Client], object]] = {
            "fetch": lambda c: c.applications(app.sid).fetch(),
            "create": lambda c: c.applications.create(friendly_name="made", voice_url=VOICE),
        }
        for op, call in operations.items():
            ours, http = Figures(f"{op}, in process"), Figures(f"{op}, loopback HTTP")
            for client in (in_process, over_http) * 20:  # warm-up
                call(client)
            with other_cpu(ours):
                for _ in range(0, requests, BLOCK):
                    for client, figures in ((in_process, ours), (over_http, http)):
                        for _ in range(BLOCK):
                            started = time.perf_counter()
                            call(client)
                            figures.runs.append(time.perf_counter() - started)
            http.other_cores = ours.other_cores
            pairs.append((ours, http))
            if op == "create":
                board = Switchboard.fresh(engine)  # the creates' account, emptied
    return pairs


def measure_reset(resets: int) -> tuple[Figures, Figures, Figures]:
    from switchboard.testing import Engine, Switchboard, mock

    reset = Figures("reset, 1000 applications stored")
    fresh = Figures("`switchboard` fixture setup (reset + account)")
    values = [{"friendly_name": f"app {i}", "voice_url": VOICE} for i in range(1000)]
    with Engine() as engine, other_cpu(reset):
        for i in range(resets):
            account = engine.create_account()
            engine.run(engine.store.create_applications(account.sid, values))
            started = time.perf_counter()
            if i % 2:
                engine.reset()
                reset.runs.append(time.perf_counter() - started)
            else:
                Switchboard.fresh(engine)  # reset, then a fresh account
                fresh.runs.append(time.perf_counter() - started)
    fresh.other_cores = reset.other_cores
    mocked = Figures("`mock()` entered and left")
    with other_cpu(mocked):
        for _ in range(resets):
            started = time.perf_counter()
            with mock():
                pass
            mocked.runs.append(time.perf_counter() - started)
    return reset, fresh, mocked


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="fresh interpreters to time")
    parser.add_argument("--requests", type=int, default=300, help="SDK calls per op and way")
    parser.add_argument("--resets", type=int, default=20, help="resets to time")
    parser.add_argument("--json", type=Path, default=None, help="also write the runs here")
    args = parser.parse_args()
    # Each reset logs a warning for server operators ("store reset by AC…"): not news here.
    logging.getLogger("switchboard.api").setLevel(logging.ERROR)
    print(
        f"# switchboard.testing, {time.strftime('%Y-%m-%d %H:%M:%S')}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    rule = "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    start, child = measure_start(args.starts)
    print(f"\n| start (s) | p50 | p95 | max | CPU | runs | other CPU |\n{rule}")
    print(f"{start.row(1)}\n{child.row(1)}", flush=True)
    latency = measure_latency(args.requests)
    print(f"\n| SDK call (ms) | p50 | p95 | max | CPU | runs | other CPU |\n{rule}")
    for ours, http in latency:
        print(f"{ours.row(1e-3)}\n{http.row(1e-3)}", flush=True)
    reset, fresh, mocked = measure_reset(args.resets)
    print(f"\n| reset (ms) | p50 | p95 | max | CPU | runs | other CPU |\n{rule}")
    print(f"{reset.row(1e-3)}\n{fresh.row(1e-3)}\n{mocked.row(1e-3)}")
    print("\ntargets:")
    for ours, http in latency:
        ratio = ours.p50 / http.p50
        print(
            f"  {ours.name.split(',')[0]}: in-process p50 / HTTP p50 = {ratio:.2f} "
            f"(<= 0.33) {verdict(ratio <= 1 / 3)}"
        )
    print(f"  start to first answer p50 = {start.p50:.2f} s (<= 1 s) {verdict(start.p50 <= 1)}")
    print(f"  reset p50 = {reset.p50 * 1e3:.1f} ms (<= 20 ms) {verdict(reset.p50 <= 0.020)}")
    if args.json is not None:
        figures = [start, child, *(f for pair in latency for f in pair), reset, fresh, mocked]
        args.json.write_text(json.dumps([vars(f) for f in figures], indent=1))


if __name__ == "__main__":
    main()
