"""The processes a benchmark starts: Switchboard, the baseline, the webhook receiver, Prism.

Each runs in its own session (process group), so stopping it also stops the workers it forked.
Every process started here is registered and stopped at exit, whatever happens.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from bench.dataset import DATA

if TYPE_CHECKING:
    from bench.load import LoadResult

REPO = Path(__file__).resolve().parent.parent
LOGS = DATA / "logs"
NODE = Path(__file__).resolve().parent / ".node"
SPEC_SUBSET = REPO / "spec" / "twilio_api_v2010_subset.json"

_live: list[Proc] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child: no TWILIO_* / SWITCHBOARD_* from ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SWITCHBOARD_"))}
    env.update(extra)
    return env


class Proc:
    """One child process (group) listening on 127.0.0.1:`port`."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        port: int,
        *,
        env: dict[str, str] | None = None,
        cwd: Path = REPO,
        log_dir: Path = LOGS,
    ) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}-{port}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                list(argv),
                env=env if env is not None else clean_env(),
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        _live.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(
        self,
        path: str = "/healthz",
        *,
        timeout: float = 60.0,
        headers: dict[str, str] | None = None,
        ok: Callable[[int], bool] = lambda status: status == 200,
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; log: {self.log_path}\n{self.tail()}")
            try:
                status = httpx.get(f"{self.url}{path}", headers=headers, timeout=2).status_code
                if ok(status):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer in {timeout:.0f} s; log: {self.log_path}")

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def peak_rss(self) -> dict[int, int]:
        """VmHWM (peak resident set, bytes) of this process and each of its descendants."""
        return {pid: hwm for pid in [self.pid, *descendants(self.pid)] if (hwm := vm_hwm(pid))}

    def stop(self) -> None:
        if self.proc.poll() is None:
            _signal_group(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        # Workers that outlived their parent (same process group) go too.
        _signal_group(self.pid, signal.SIGKILL)
        if self in _live:
            _live.remove(self)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_all() -> None:
    for proc in list(reversed(_live)):
        proc.stop()


atexit.register(stop_all)


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def install_signal_handlers() -> None:
    """SIGTERM/SIGHUP unwind like Ctrl-C, so `finally` blocks and atexit stop the children."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGHUP, _on_sigterm)


def _stats() -> Iterator[tuple[int, str]]:
    """(pid, the text of /proc/<pid>/stat) of every live process.

    The text is `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so fields
    are split after the last ')'.
    """
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            yield int(entry.name), (entry / "stat").read_text()
        except OSError:
            continue


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for child, stat in _stats():
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(child)
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def vm_hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# CPU pinning: on a machine of 2 or more CPUs, a 1-worker server runs on the first CPU and the
# load generator (and the webhook receiver) on the others, so neither takes the other's CPU and
# a ratio of two servers measured in turn compares like with like.


def cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0))


def server_cpus() -> str:
    return str(cpus()[0])


def load_cpus() -> str:
    rest = cpus()[1:] or cpus()
    return ",".join(map(str, rest))


@contextlib.contextmanager
def running_on(cpu_list: str | None) -> Iterator[None]:
    """The calling thread on the CPUs `cpu_list` meanwhile (nothing when None)."""
    if cpu_list is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(cpu) for cpu in cpu_list.split(",")})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def pinned(argv: Sequence[str], cpu_list: str | None) -> list[str]:
    """`argv` run on the CPUs `cpu_list` (taskset), or as it is when None or no taskset."""
    if cpu_list is None or shutil.which("taskset") is None:
        return list(argv)
    return ["taskset", "-c", cpu_list, *argv]


# The servers


def start_switchboard(
    database_url: str,
    *,
    workers: int,
    account_sid: str,
    auth_token: str,
    name: str = "switchboard",
    log_dir: Path = LOGS,
    server: str = "uvicorn",
    cpu_list: str | None = None,
) -> Proc:
    port = free_port()
    argv = [
        sys.executable, "-m", "switchboard.cli", "serve",
        "--host", "127.0.0.1", "--port", str(port),
        "--database-url", database_url,
        "--workers", str(workers), "--server", server,
    ]  # fmt: skip
    env = clean_env(TWILIO_ACCOUNT_SID=account_sid, TWILIO_AUTH_TOKEN=auth_token)
    proc = Proc(name, pinned(argv, cpu_list), port, env=env, log_dir=log_dir)
    proc.wait_ready("/healthz", timeout=120)
    return proc


def start_baseline(
    sqlite_path: Path,
    *,
    log_dir: Path = LOGS,
    server: str = "uvicorn",
    cpu_list: str | None = None,
) -> Proc:
    port = free_port()
    argv = [
        sys.executable, "-m", "bench.baseline",
        "--port", str(port), "--database", str(sqlite_path), "--server", server,
    ]  # fmt: skip
    proc = Proc(f"baseline-{server}", pinned(argv, cpu_list), port, log_dir=log_dir)
    proc.wait_ready("/healthz", timeout=60)
    return proc


def start_receiver(*, log_dir: Path = LOGS, cpu_list: str | None = None) -> Proc:
    port = free_port()
    argv = [sys.executable, "-m", "bench.receiver", "--port", str(port)]
    proc = Proc("receiver", pinned(argv, cpu_list), port, log_dir=log_dir)
    proc.wait_ready("/voice", timeout=60)
    return proc


def run_hookbase(
    database: str,
    requests: Path,
    receiver_url: str,
    *,
    op: str,
    connections: int,
    duration: int,
    cpu_list: str | None = None,
) -> LoadResult:
    """One run of the webhook baseline (bench/hookbase.py), as a load generator's result."""
    from bench.load import parse_result

    argv = [
        sys.executable, "-m", "bench.hookbase", "--database", database,
        "--requests", str(requests), "--receiver", receiver_url, "--op", op,
        "-c", str(connections), "-d", str(duration),
    ]  # fmt: skip
    out = subprocess.run(
        pinned(argv, cpu_list), capture_output=True, text=True, timeout=duration + 60,
        cwd=REPO, check=False,
    )  # fmt: skip
    return parse_result("hookbase", out)


def prism_command(log: Callable[[str], None]) -> list[str] | None:
    """Prism from bench/.node/ (installed there with npm on first use), or None."""
    local = NODE / "node_modules" / ".bin" / "prism"
    if local.exists():
        return [str(local)]
    npm = shutil.which("npm")
    if npm is None:
        return None
    log("installing Stoplight Prism into bench/.node/ (once) ...")
    NODE.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(NODE),
             "@stoplight/prism-cli@5"],
            check=True,
            capture_output=True,
            timeout=600,
        )  # fmt: skip
    except (subprocess.SubprocessError, OSError) as exc:
        log(f"  npm install failed ({type(exc).__name__}): Prism is skipped")
        return None
    return [str(local)] if local.exists() else None


def start_prism(
    command: list[str], probe_path: str, probe_auth: str, *, log_dir: Path = LOGS
) -> Proc:
    port = free_port()
    argv = [*command, "mock", "-h", "127.0.0.1", "-p", str(port), str(SPEC_SUBSET)]
    proc = Proc("prism", argv, port, env=clean_env(), log_dir=log_dir)
    proc.wait_ready(probe_path, timeout=120, headers={"Authorization": probe_auth})
    return proc


# Diagnostics: how connections spread over workers, and what else uses the CPU


def connection_spread(port: int) -> list[int]:
    """Established connections to `port`, counted per server process, largest first."""
    ss = shutil.which("ss")
    if ss is None:
        return []
    try:
        out = subprocess.run(
            [ss, "-tnpH", "state", "established", "sport", "=", f":{port}"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
    except (subprocess.SubprocessError, OSError):
        return []
    counts: dict[str, int] = {}
    for pid in re.findall(r"pid=(\d+)", out):
        counts[pid] = counts.get(pid, 0) + 1
    return sorted(counts.values(), reverse=True)


def _cpu(stat: str) -> float:
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def tree_cpu(pid: int) -> dict[int, float]:
    """User + system CPU seconds of a process and each of its live descendants, by pid."""
    out: dict[int, float] = {}
    for p in [pid, *descendants(pid)]:
        try:
            out[p] = _cpu(Path(f"/proc/{p}/stat").read_text())
        except OSError:
            continue
    return out


def command_cpu(command: str) -> dict[int, float]:
    """CPU seconds, by pid, of every process named `command` (e.g. the PostgreSQL server's
    processes, which serve the run but are nobody's child here)."""
    return {
        pid: _cpu(stat)
        for pid, stat in _stats()
        if stat[stat.find("(") + 1 : stat.rfind(")")] == command
    }


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two samples: per pid, so a process that exits meanwhile
    does not take its whole lifetime's CPU with it; one that started counts in full."""
    return sum(max(v - before.get(pid, 0.0), 0.0) for pid, v in after.items())


def machine_busy_seconds() -> float:
    """CPU time spent on anything but idle/iowait, summed over all CPUs (from /proc/stat)."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return (user + nice + system + irq + softirq + steal) / _TICKS


_TICKS = os.sysconf("SC_CLK_TCK")
