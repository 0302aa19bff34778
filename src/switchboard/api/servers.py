"""One server process: the app on a listening socket it was handed, under uvicorn or Granian.

`switchboard serve` binds the sockets, prepares the database, then serves: for several workers
each is this module in a fresh interpreter (`python -m switchboard.api.servers --fd N`), a child
of the supervisor (`cli/workers.py`); for one, `serve` calls `run` itself when preparing the
database loaded neither SQLAlchemy nor Alembic (a database already at the newest schema), and
otherwise execs into this module (same process id) to leave them behind. A fresh interpreter,
not a fork, so that a serving process holds only what serving needs: SQLAlchemy and Alembic,
imported to migrate, are about 20 MB of resident memory; the click commands `serve` keeps
when it serves itself, about 3.

Both servers bound what a client can make a process hold the same way:

- **Request heads**: uvicorn through `protocol.BoundedHttpToolsProtocol` (a Twilio-style 431);
  Granian through hyper's own limits, the read buffer (`max_buffer_size`, which bounds the head
  being parsed) at `MAX_HEAD_BYTES` and hyper's fixed 100 header fields: a 431 with an empty
  body, the connection closed. hyper answers before any Python code runs, so that 431 cannot
  carry Twilio's JSON or XML body: the one difference between the two servers.
- **Bodies**: the app itself (`wire.read_form`, `Settings.max_body_bytes`), whatever the server.
- **Client address**: the peer's, unless FORWARDED_ALLOW_IPS names a proxy (uvicorn's own
  option; under Granian uvicorn's `ProxyHeadersMiddleware` wraps the app, the same code).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from switchboard.config import Settings

log = logging.getLogger("switchboard.api")

SERVERS = ("uvicorn", "granian")


def run(settings: Settings, sock: socket.socket) -> int:
    """Serve on `sock` until SIGTERM or SIGINT; the exit status (3: the app did not start)."""
    # httpx imports its command line (click, rich, pygments: about 5 MB) when they are
    # installed; a server never runs it, and httpx does without it when it cannot be imported.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    # httpcore imports trio too when it is installed (70 ms of a start); a server runs on
    # asyncio alone, and httpcore does without trio when it cannot be imported.
    sys.modules.setdefault("trio", None)  # type: ignore[arg-type]
    # A stop asked for while starting, or the one uvicorn passes on after its graceful shutdown
    # (it raises the signal it caught again), ends the process quietly with 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(0))
    if settings.server == "granian":
        return _run_granian(settings, sock)
    return _run_uvicorn(settings, sock)


def _forwarded_allow_ips() -> str | None:
    return os.environ.get("FORWARDED_ALLOW_IPS") or None


def _run_uvicorn(settings: Settings, sock: socket.socket) -> int:
    import uvicorn

    from switchboard.api import protocol

    config = uvicorn.Config(
        "switchboard.api.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        access_log=settings.access_log,
        log_level="info",
        server_header=False,
        **protocol.uvicorn_options(),  # bounded request heads (431)
        # The client address (for --auth-failure-limit) is the peer's own unless a proxy is
        # named with FORWARDED_ALLOW_IPS: nobody may spoof it with X-Forwarded-For.
        proxy_headers=_forwarded_allow_ips() is not None,
        forwarded_allow_ips=_forwarded_allow_ips(),
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0 if server.started else 3  # not started: the app failed, uvicorn has logged why


def _run_granian(settings: Settings, sock: socket.socket) -> int:
    from switchboard.api.app import build_app

    app: Any = build_app(settings)
    allow = _forwarded_allow_ips()
    if allow is not None:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app = ProxyHeadersMiddleware(app, trusted_hosts=allow)
    return serve_granian(app, sock, access_log=settings.access_log)


def serve_granian(app: Any, sock: socket.socket, *, access_log: bool = False) -> int:
    """An ASGI app under Granian's ASGI worker, run in this process on our socket: what its
    own worker process does (granian/server/mp.py, `_spawn_asgi_lifespan_worker`), minus
    binding a socket of its own. The benchmark's baseline runs under it too. These are
    Granian's internals: pyproject pins the minor version they were read from."""
    from granian import _granian
    from granian._futures import _future_watcher_wrapper, _new_cbscheduler
    from granian._loops import loops
    from granian._signals import set_loop_signals
    from granian.asgi import LifespanProtocol
    from granian.asgi import _callback_wrapper as asgi_callback
    from granian.constants import HTTPModes, SSLProtocols
    from granian.http import HTTP1Settings
    from granian.log import DEFAULT_ACCESSLOG_FMT, LogLevels, configure_logging

    from switchboard.api.protocol import MAX_HEAD_BYTES

    configure_logging(LogLevels.info, None, True)
    loop = loops.get("auto")
    lifespan = LifespanProtocol(app)
    access = DEFAULT_ACCESSLOG_FMT if access_log else None
    callback = _future_watcher_wrapper(asgi_callback(app, {}, lifespan.state, access))
    shutdown = set_loop_signals(loop)  # SIGINT/SIGTERM: stop accepting, finish, return
    stopped = asyncio.Event()
    shutdown.add_cb(lambda: loop.call_soon_threadsafe(stopped.set))

    loop.run_until_complete(lifespan.startup())
    if lifespan.interrupt:
        log.error("the app did not start", exc_info=lifespan.exc)
        return 3
    # Its type stubs lag behind the extension (the IPC and metrics arguments): called untyped.
    native: Any = _granian
    worker = native.ASGIWorker(
        1,  # worker id
        (None, native.SocketHolder(sock.fileno(), False, 2048)),  # (fd, is Unix, backlog)
        None,  # no IPC (metrics)
        1,  # runtime threads
        512,  # runtime blocking threads (Granian's default)
        1,  # Python blocking threads
        30,  # their idle timeout
        2048,  # backpressure: requests in flight at once (the listen backlog)
        str(HTTPModes.http1),
        HTTP1Settings(max_buffer_size=MAX_HEAD_BYTES),  # heads over it: 431
        None,
        False,  # no websockets
        None,  # no static files
        False, None, None, None, str(SSLProtocols.tls13), None, [], False,  # no TLS
        (None, None),  # no metrics
    )  # fmt: skip
    scheduler = _new_cbscheduler(loop, callback, impl_asyncio=True)
    worker.serve_mtr(scheduler, loop, shutdown)
    loop.run_until_complete(stopped.wait())
    loop.run_until_complete(lifespan.shutdown())
    return 0


SUPERVISOR_CHECK = 1.0  # seconds between two looks at this worker's parent
STOP_AGAIN = 5.0  # seconds between two SIGTERMs once it is gone, until this process has ended


def watch_supervisor(pid: int, every: float = SUPERVISOR_CHECK) -> threading.Thread:
    """End this worker once its supervisor `pid` is gone (its parent is then another process):
    SIGTERM to itself, the graceful stop of either server, sent again every `STOP_AGAIN`
    seconds until the process has ended. The kernel's parent-death signal (cli/workers.py) does
    it too, but a whole-suite run once left a worker serving for minutes after its
    supervisor's SIGKILL, its port taken (tests/ops/test_workers.py)."""

    def watch() -> None:
        while os.getppid() == pid:
            time.sleep(every)
        log.warning("the supervisor (process %d) is gone: stopping", pid)
        while True:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(STOP_AGAIN)

    thread = threading.Thread(target=watch, name="supervisor-watch", daemon=True)
    thread.start()
    return thread


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m switchboard.api.servers")
    p.add_argument("--fd", type=int, required=True, help="a listening socket's descriptor")
    p.add_argument("--supervisor", type=int, help="stop when this process (the parent) ends")
    a = p.parse_args(argv)
    settings = Settings.from_env()
    sock = socket.socket(fileno=a.fd)
    if a.supervisor is not None:
        watch_supervisor(a.supervisor)
    sys.exit(run(settings, sock))


if __name__ == "__main__":
    main()
