"""Driving load from a separate process: wrk (with `requests.lua`) or `bench.pyload`.

Both read the same request file and print the same `BENCHJSON` line, parsed into a `LoadResult`.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).resolve().parent / "requests.lua"
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    auth: str = ""  # the Authorization header's value
    body: str = ""  # form-encoded


def basic(sid: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()


def write_requests(path: Path, requests: Iterable[Req]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{r.method}\t{r.path}\t{r.auth}\t{r.body}" for r in requests]
    if not lines:
        raise ValueError("no requests")
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass(frozen=True)
class LoadResult:
    driver: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # answers >= 400 plus socket errors and timeouts
    server_cpu: float = 0.0  # CPU seconds the server (its process tree) used during the run
    stored: int | None = None  # the webhook baseline: traces it stored (and then deleted)

    @property
    def cpu_us_per_request(self) -> float:
        return self.server_cpu / self.requests * 1e6 if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def pick_driver(wanted: str) -> str:
    """`auto`: wrk when installed, else the Python generator."""
    if wanted == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if wanted == "wrk" and not shutil.which("wrk"):
        raise SystemExit(
            "wrk is not installed (Debian: apt-get install -y wrk); use --driver python"
        )
    return wanted


def wrk_argv(url: str, requests_file: Path, *, connections: int, duration: int) -> list[str]:
    """wrk sending the requests of a file round robin (requests.lua), one thread."""
    return [
        "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
        "-s", str(LUA), url, "--", str(requests_file),
    ]  # fmt: skip


def run_load(
    driver: str,
    url: str,
    requests_file: Path,
    *,
    connections: int,
    duration: int,
    cpu_list: str | None = None,
) -> LoadResult:
    """One run of the load generator (on the CPUs `cpu_list`, when given)."""
    if driver == "wrk":
        argv = wrk_argv(url, requests_file, connections=connections, duration=duration)
    else:
        argv = [
            sys.executable, "-m", "bench.pyload", "--url", url,
            "--requests", str(requests_file),
            "-c", str(connections), "-d", str(duration),
        ]  # fmt: skip
    if cpu_list is not None and shutil.which("taskset"):
        argv = ["taskset", "-c", cpu_list, *argv]
    return parse_result(
        driver,
        subprocess.run(
            argv, capture_output=True, text=True, timeout=duration + 60, cwd=REPO, check=False
        ),
    )


def parse_result(driver: str, out: subprocess.CompletedProcess[str]) -> LoadResult:
    """The `BENCHJSON` line a load generator printed, as a LoadResult."""
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(
            f"{driver} gave no result (exit {out.returncode}):\n{out.stderr[-2000:]}"
        )
    data = json.loads(line[len("BENCHJSON ") :])
    errors = sum(int(data[k]) for k in ("connect", "read", "write", "status", "timeout"))
    return LoadResult(
        driver=driver,
        requests=int(data["requests"]),
        seconds=float(data["duration_us"]) / 1e6,
        p50_ms=float(data["p50_us"]) / 1000,
        p99_ms=float(data["p99_us"]) / 1000,
        errors=errors,
        server_cpu=float(data.get("cpu_us", 0.0)) / 1e6,  # only the webhook baseline says
        stored=data.get("stored"),
    )
