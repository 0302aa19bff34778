"""The listening sockets of `switchboard serve`, and the supervisor of its worker processes.

Why one socket per worker: with one socket shared by every worker (uvicorn's `--workers`), each
worker accepts from the same queue whenever its event loop gets round to it, and a worker that
is busy answering keeps winning the race to `accept` (its loop wakes first, the other sleeps in
epoll): one worker sometimes took every connection of a run (2 workers / 1 = 1.03). Here each
worker gets a socket of its own, all bound to the same port with `SO_REUSEPORT`, and the kernel
spreads incoming connections over them by a hash of the client's address and port, whoever is
busy. The supervisor keeps every socket open, so a worker that dies leaves its socket (and the
connections waiting in its queue) to the worker that replaces it.

The supervisor does nothing else: it starts each worker (`python -m switchboard.api.servers
--fd N`, a fresh interpreter with only its own socket), starts a worker again when one dies
(after a second when it died young, so a crash loop does not spin), and on SIGTERM or SIGINT
passes SIGTERM on, waits for every worker to finish what it is answering, and exits 0. Workers
get SIGTERM from the kernel if the supervisor itself is killed (`PR_SET_PDEATHSIG`), and watch
for it themselves as well (`--supervisor PID`: once a whole-suite run left a worker serving on
after its supervisor's SIGKILL, the kernel's signal lost or never sent). A worker
that exits with 3 (the app could not start: the database went away, say) stops them all, and
the supervisor exits 3, as one worker does.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

from switchboard.cli.output import Failure

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
APP_FAILED = 3  # a worker's exit status when the app did not start (api/servers.py)
YOUNG = 5.0  # seconds: a worker that dies younger waits RESTART_DELAY before it is restarted
RESTART_DELAY = 1.0
STOP_TIMEOUT = 30.0  # seconds given to workers to finish after SIGTERM, then SIGKILL
_PR_SET_PDEATHSIG = 1


def _bind(family: socket.AddressFamily, host: str, port: int, reuse_port: bool) -> socket.socket:
    sock = socket.socket(family=family)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        # Listening at once keeps the port ours: Linux lets another SO_REUSEADDR socket bind a
        # port that is bound but not yet listening. Connections wait in the backlog meanwhile.
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def listen(host: str, port: int, count: int = 1) -> list[socket.socket]:
    """`count` sockets listening on host:port (one per worker), or a Failure.

    One socket is bound as uvicorn would bind it. Several carry SO_REUSEPORT, which would also
    let another process of the same user join them on a busy port: a plain socket is bound
    first to prove the port free, then closed just before the group binds it.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    socks: list[socket.socket] = []
    try:
        first = _bind(family, host, port, reuse_port=False)
        if count == 1:
            return [first]
        port = first.getsockname()[1]
        first.close()
        for _ in range(count):
            socks.append(_bind(family, host, port, reuse_port=True))
    except OSError as exc:
        for sock in socks:
            sock.close()
        raise Failure(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return socks


def worker_argv(sock: socket.socket, supervisor: int | None = None) -> list[str]:
    """A worker's command line; `supervisor`: the process id whose end ends the worker too
    (`api/servers.py`, `watch_supervisor`)."""
    argv = [sys.executable, "-m", "switchboard.api.servers", "--fd", str(sock.fileno())]
    return argv if supervisor is None else [*argv, "--supervisor", str(supervisor)]


def exec_worker(sock: socket.socket, env: Mapping[str, str]) -> None:
    """Become the one worker: same process id, a fresh interpreter (never returns)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, worker_argv(sock), dict(env))


def _child_setup() -> None:
    """In the worker, before exec: die with the supervisor; take signals again."""
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class Supervisor:
    """Runs one worker per socket until told to stop; see the module's docstring."""

    def __init__(self, socks: Sequence[socket.socket], env: Mapping[str, str]) -> None:
        self.socks = list(socks)
        self.env = dict(env)
        self.workers: dict[int, tuple[int, subprocess.Popen[bytes], float]] = {}  # pid -> ...

    def _start(self, index: int) -> None:
        sock = self.socks[index]
        proc = subprocess.Popen(
            worker_argv(sock, supervisor=os.getpid()),
            env=self.env,
            pass_fds=(sock.fileno(),),
            preexec_fn=_child_setup,
        )
        self.workers[proc.pid] = (index, proc, time.monotonic())

    def _log(self, message: str) -> None:
        print(f"switchboard supervisor: {message}", file=sys.stderr, flush=True)

    def run(self) -> int:
        wanted = {*STOP_SIGNALS, signal.SIGCHLD}
        signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
        try:
            for index in range(len(self.socks)):
                self._start(index)
            status = self._watch(wanted)
        finally:
            self._stop()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, wanted)
        return status

    def _watch(self, wanted: set[signal.Signals]) -> int:
        restart_at: dict[int, float] = {}  # socket index -> when to start its worker again
        while True:
            timeout = 1.0
            if restart_at:
                timeout = max(0.0, min(restart_at.values()) - time.monotonic())
            info = signal.sigtimedwait(wanted, timeout)
            if info is not None and info.si_signo in STOP_SIGNALS:
                return 0
            for pid, (index, proc, started) in list(self.workers.items()):
                code = proc.poll()
                if code is None:
                    continue
                del self.workers[pid]
                if code == APP_FAILED:
                    self._log(f"worker {pid} could not start the app: stopping")
                    return APP_FAILED
                young = time.monotonic() - started < YOUNG
                self._log(f"worker {pid} exited ({code}); starting another")
                restart_at[index] = time.monotonic() + (RESTART_DELAY if young else 0.0)
            now = time.monotonic()
            for index, when in list(restart_at.items()):
                if when <= now:
                    del restart_at[index]
                    self._start(index)

    def _stop(self) -> None:
        """SIGTERM to every worker; SIGKILL to any still there after STOP_TIMEOUT."""
        for _, proc, _ in self.workers.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for _, proc, _ in self.workers.values():
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.workers.clear()
