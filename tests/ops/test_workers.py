"""`switchboard serve --workers N` and `--server`: the processes, their sockets, their signals.

With one worker the `serve` process is the server (after an exec when it migrated). With two, a
supervisor runs two workers, each with its own SO_REUSEPORT socket on the port: connections
spread over both whoever is busy, a worker that dies is replaced (the connections waiting for
it are served by its replacement), SIGTERM and SIGINT stop everything cleanly, and workers do
not outlive a supervisor killed outright. On uvicorn and on Granian alike.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import Server, clean_env

from switchboard.store import migrate

pytestmark = pytest.mark.slow


@pytest.fixture(params=["uvicorn", "granian"])
def http_server(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def start(tmp_path: Path, http_server: str, workers: int) -> Server:
    server = Server(
        f"sqlite:///{tmp_path / 'sb.db'}",
        tmp_path,
        ("--server", http_server, "--workers", str(workers)),
    )
    server.start()
    return server


@pytest.fixture
def two(tmp_path: Path, http_server: str) -> Iterator[Server]:
    server = start(tmp_path, http_server, 2)
    try:
        yield server
    finally:
        server.stop()


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return sorted(int(x) for x in out.stdout.split())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(condition: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {condition}")


def connections_per_pid(port: int) -> dict[int, int]:
    out = subprocess.run(
        ["ss", "-tnpH", "state", "established", "sport", "=", f":{port}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counts: dict[int, int] = {}
    for pid in re.findall(r"pid=(\d+)", out):
        counts[int(pid)] = counts.get(int(pid), 0) + 1
    return counts


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def one_migration_behind(path: Path) -> None:
    """A database at the newest schema but one (Alembic's downgrade of the newest migration)."""
    from alembic import command

    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    cfg = migrate.alembic_config()
    cfg.set_main_option("sqlalchemy.url", migrate.sqlalchemy_url(url))
    command.downgrade(cfg, "-1")
    assert not migrate.at_head(url)


def test_one_worker_is_the_serve_process_itself(tmp_path: Path, http_server: str) -> None:
    """On an empty database (the newest schema in one transaction, with sqlite3 alone) and on
    one at the newest schema, `serve` serves itself; on one behind, it migrates (SQLAlchemy,
    Alembic) and execs into a fresh interpreter to serve without them. Either way the serving
    process is `serve`'s own, holds no SQLAlchemy, and stops with 0."""
    for case, expect_exec in (("empty", False), ("at head", False), ("behind", True)):
        if case == "behind":
            for leftover in tmp_path.glob("sb.db*"):
                leftover.unlink()
            one_migration_behind(tmp_path / "sb.db")
        server = start(tmp_path, http_server, 1)
        try:
            assert server.proc is not None
            pid = server.proc.pid
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            assert (b"switchboard.api.servers" in cmdline) is expect_exec, (case, cmdline)
            assert server.http().get(server.apps_path()).status_code == 200
            assert "sqlalchemy" not in Path(f"/proc/{pid}/maps").read_text()
            assert children(pid) == []
        finally:
            assert server.proc is not None
            server.proc.send_signal(signal.SIGTERM)
            assert server.proc.wait(timeout=30) == 0
            server.stop()
        assert port_is_free(server.port)


def test_connections_spread_over_both_workers(two: Server) -> None:
    assert two.proc is not None
    workers = children(two.proc.pid)
    assert len(workers) == 2
    clients = [httpx.Client(base_url=two.url, timeout=10) for _ in range(40)]
    try:
        for c in clients:  # 40 kept-alive connections, opened one after the other
            assert c.get("/healthz").status_code == 200
        spread = connections_per_pid(two.port)
        assert set(spread) == set(workers), spread
        # Hashing 40 connections over 2 sockets: fewer than 8 on one is a 1-in-10^5 event;
        # one socket shared by both took all 40 on some runs before.
        assert min(spread.values()) >= 8, spread
    finally:
        for c in clients:
            c.close()


def test_a_dead_worker_is_replaced_and_its_waiting_connections_served(two: Server) -> None:
    assert two.proc is not None
    before = children(two.proc.pid)
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    # New connections meanwhile: those hashed to the dead worker's socket wait in its queue
    # (the supervisor keeps the socket) and are answered by its replacement.
    for _ in range(30):
        with httpx.Client(base_url=two.url, timeout=20) as c:
            assert c.get("/healthz").status_code == 200
    wait_for(lambda: len(children(two.proc.pid)) == 2 and victim not in children(two.proc.pid))
    after = children(two.proc.pid)
    assert before[1] in after and victim not in after
    log = two.log_path.read_text()
    assert f"worker {victim} exited" in log
    assert two.http().get(two.apps_path()).status_code == 200


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_every_process_cleanly(two: Server, sig: signal.Signals) -> None:
    assert two.proc is not None
    workers = children(two.proc.pid)
    two.proc.send_signal(sig)
    assert two.proc.wait(timeout=30) == 0
    for pid in workers:
        wait_for(lambda pid=pid: not alive(pid), timeout=5)
    assert port_is_free(two.port)
    assert "Traceback" not in two.log_path.read_text()


def test_workers_do_not_outlive_a_killed_supervisor(two: Server) -> None:
    assert two.proc is not None
    workers = children(two.proc.pid)
    two.proc.kill()
    two.proc.wait(timeout=10)
    for pid in workers:
        wait_for(lambda pid=pid: not alive(pid), timeout=15)
    wait_for(lambda: port_is_free(two.port), timeout=5)


# A parent that starts a worker as the supervisor does, but without the kernel's parent-death
# signal: what a worker does when that signal is lost is then all that ends it.
PARENT = """
import os, socket, subprocess, sys, time
from switchboard.cli.workers import worker_argv
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(64)
argv = worker_argv(sock, supervisor=os.getpid() if sys.argv[1] == "watched" else None)
worker = subprocess.Popen(argv, pass_fds=(sock.fileno(),))
print(sock.getsockname()[1], worker.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("watched", [True, False], ids=["supervised", "standalone"])
def test_a_supervised_worker_ends_with_its_supervisor_even_without_the_kernels_signal(
    tmp_path: Path, http_server: str, watched: bool
) -> None:
    """`--supervisor PID` (what the supervisor passes): the worker stops once that process is
    gone. Without it (a standalone server), its parent's end is none of its business."""
    url = f"sqlite:///{tmp_path / 'sb.db'}"
    migrate.upgrade(url)
    env = clean_env(SWITCHBOARD_DATABASE_URL=url, SWITCHBOARD_SERVER=http_server)
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, "watched" if watched else "alone"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    worker = 0
    try:
        assert parent.stdout is not None
        port, worker = (int(x) for x in parent.stdout.readline().split())
        wait_for(lambda: healthy(port), timeout=30)
        parent.kill()
        parent.wait(timeout=10)
        if watched:
            wait_for(lambda: not alive(worker), timeout=15)
            wait_for(lambda: port_is_free(port), timeout=5)
        else:
            time.sleep(3)  # three of a watch's looks
            assert alive(worker) and healthy(port)
    finally:
        parent.kill()
        if worker and alive(worker):
            os.kill(worker, signal.SIGKILL)


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_busy_port_with_workers_is_refused(tmp_path: Path, two: Server) -> None:
    """A second `serve --workers 2` on the same port fails in one line, joining nothing."""
    other_db = tmp_path / "other.db"
    out = subprocess.run(
        [sys.executable, "-m", "switchboard.cli", "serve", "--port", str(two.port),
         "--workers", "2", "--database-url", f"sqlite:///{other_db}"],
        env=clean_env(), capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 1
    assert out.stderr.strip() == (
        f"error: cannot listen on 127.0.0.1:{two.port}: Address already in use"
    )
    assert not other_db.exists()
