"""One Switchboard inside the test process: the real app (`build_app`) running on an event loop
of its own thread, answering requests handed to it from any thread or event loop, and, when
asked, serving HTTP on 127.0.0.1 with uvicorn on that same loop.

Why a thread of its own: the SDK's synchronous client blocks its caller, and that caller may be
an event loop (an async test) or a webhook handler the app is itself waiting for. The app's loop
keeps running whatever the caller does, so neither case can deadlock.

The database is a SQLite file in a temporary folder unless a URL is given, opened with
`durable=False`: a test database is thrown away, so commits skip the flush to disk (a reset or
a create costs microseconds rather than an fsync).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import shutil
import socket
import tempfile
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from switchboard.testing.wire import Answer, Call, encode

if TYPE_CHECKING:
    from switchboard.api.app import SwitchboardApp
    from switchboard.store.base import Store
    from switchboard.testing.provision import Provisioner
    from switchboard.twilio.resources import Account

T = TypeVar("T")
RESET_PATH = "/switchboard/v1/reset"


class Engine:
    """`Engine().start()`; `stop()` when done (or `with Engine() as engine:`); one still
    running at interpreter exit is stopped then.

    - `database_url`: None for a SQLite file in a temporary folder (removed by `stop`).
    - `provision`: accept any well-formed credentials, creating their account (or API key, or
      the subaccount a path names) on first use: what `mock()` needs so that code under test
      runs unchanged.
    - `main_account`: the main account's `(sid, auth_token)`; otherwise one is generated.
    """

    def __init__(
        self,
        database_url: str | None = None,
        *,
        provision: bool = False,
        main_account: tuple[str, str] | None = None,
        webhook_timeout: float = 15.0,
    ) -> None:
        self.database_url = database_url
        self.provision = provision
        self.webhook_timeout = webhook_timeout
        self._main_credentials = main_account
        self._tempdir: str | None = None
        self._at_exit: weakref.finalize | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lifespan: contextlib.AbstractAsyncContextManager[Any] | None = None
        self._http: Any = None  # uvicorn.Server once serving
        self._http_task: asyncio.Task[None] | None = None
        self.app: SwitchboardApp | None = None
        self.main: Account | None = None
        self.provisioner: Provisioner | None = None
        self.http_url: str | None = None

    # Life cycle

    def start(self) -> Engine:
        if self._loop is not None:
            return self
        if self.database_url is None:
            self._tempdir = tempfile.mkdtemp(prefix="switchboard-")
            database = Path(self._tempdir) / "switchboard.db"
            shutil.copyfile(_template(), database)
            self.database_url = f"sqlite:///{database}"
        else:
            from switchboard.store import migrate

            migrate.upgrade(self.database_url)
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._main, args=(loop, ready), name="switchboard-engine", daemon=True
        )
        self._thread.start()
        ready.wait()
        self._loop = loop
        self._at_exit = weakref.finalize(self, self.stop)
        try:
            self.run(self._open())
        except BaseException:
            self.stop()
            raise
        return self

    def _main(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        loop.run_forever()
        loop.close()

    async def _open(self) -> None:
        from switchboard.api.app import build_app
        from switchboard.config import Settings
        from switchboard.store import open_store
        from switchboard.testing.provision import Provisioner
        from switchboard.testing.routes import RoutedTransport

        assert self.database_url is not None
        settings = Settings(
            database_url=self.database_url,
            allow_reset=True,
            webhook_timeout=self.webhook_timeout,
        )
        store = open_store(self.database_url, durable=False)
        app = build_app(settings, store, webhook_transport=RoutedTransport())
        lifespan = app.starlette.router.lifespan_context(app.starlette)
        await lifespan.__aenter__()
        self._lifespan = lifespan
        self.app = app
        sid, token = self._main_credentials or (None, None)
        self.main, _ = await store.ensure_main_account(sid, token)
        if self.provision:
            self.provisioner = Provisioner(store, app.services.credentials.forget)

    def stop(self) -> None:
        """Stop serving, close the app, end the thread, remove the temporary folder."""
        if self._at_exit is not None:
            self._at_exit.detach()
            self._at_exit = None
        loop, self._loop = self._loop, None
        if loop is not None:
            future = asyncio.run_coroutine_threadsafe(self._close(), loop)
            with contextlib.suppress(Exception):
                future.result(timeout=30)
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=30)
        self._thread = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None
            self.database_url = None

    async def _close(self) -> None:
        if self._http is not None:
            self._http.should_exit = True
            if self._http_task is not None:
                await self._http_task
            self._http = self._http_task = None
            self.http_url = None
        if self._lifespan is not None:
            lifespan, self._lifespan = self._lifespan, None
            await lifespan.__aexit__(None, None, None)
        self.app = None

    def __enter__(self) -> Engine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def store(self) -> Store:
        if self.app is None:
            raise RuntimeError("the engine is not running: call start()")
        return self.app.services.store

    # Running coroutines on the engine's loop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the engine's loop and wait for it (from any other thread). After
        `timeout` seconds, TimeoutError; the coroutine runs on, as a server goes on with a
        request whose client gave up."""
        loop = self._running_loop(coro)
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("Engine.run() called from the engine's own thread")
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    async def arun(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Await `coro` run on the engine's loop, from any event loop (its own included);
        `timeout` as for `run`."""
        loop = self._running_loop(coro)
        if asyncio.get_running_loop() is loop:
            return await asyncio.wait_for(asyncio.shield(coro), timeout)
        future = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))
        return await asyncio.wait_for(asyncio.shield(future), timeout)

    def _running_loop(self, coro: Coroutine[Any, Any, Any]) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            coro.close()
            raise RuntimeError("the engine is not running: call start()")
        return self._loop

    # Requests

    async def exchange(self, call: Call, auth: tuple[str, str] | None = None) -> Answer:
        """Answer one request with the app, on the engine's loop; `auth` is the Basic pair the
        client sent, for provisioning."""
        if self.app is None:
            raise RuntimeError("the engine is not running: call start()")
        scope = call.scope()
        if self.provisioner is not None and auth is not None:
            await self.provisioner.ensure(auth[0], auth[1], scope["path"])
        return await _asgi(self.app, scope, call.body)

    def request(
        self,
        method: str,
        path: str,
        credentials: tuple[str, str],
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Answer:
        """One request to the app as `credentials` (for helpers; no provisioning)."""
        call = encode(
            method, f"http://switchboard.test{path}", params=params, data=data, auth=credentials
        )
        return self.run(self.exchange(call))

    # Test support

    async def areset(self) -> None:
        """Empty the store (the main account stays), as `POST /switchboard/v1/reset` does."""
        assert self.main is not None
        call = encode(
            "POST",
            f"http://switchboard.test{RESET_PATH}",
            auth=(self.main.sid, self.main.auth_token),
        )
        answer = await self.exchange(call)
        if answer.status != 204:
            raise RuntimeError(f"reset failed: {answer.status} {answer.text}")
        if self.provisioner is not None:
            self.provisioner.forget()

    def reset(self) -> None:
        self.run(self.areset())

    def create_account(self, friendly_name: str = "Test account") -> Account:
        """A fresh top-level account with a generated SID and auth token."""
        return self.run(self.store.create_account(friendly_name))

    # HTTP

    def serve_http(self) -> str:
        """Serve the app over HTTP on 127.0.0.1 (a free port); returns the base URL."""
        if self.http_url is None:
            self.http_url = self.run(self._serve_http())
        return self.http_url

    async def _serve_http(self) -> str:
        import uvicorn

        # IPPROTO_TCP said, not left 0: asyncio disables Nagle's algorithm only on sockets that
        # say it, and with it on, each keep-alive answer waited 40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert self.app is not None
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_level="warning",
            access_log=False,
            server_header=False,
        )
        server = uvicorn.Server(config)
        self._http = server
        self._http_task = asyncio.create_task(_serve(server, sock))
        while not server.started:
            if self._http_task.done():
                await self._http_task  # raises what stopped it
                raise RuntimeError("the HTTP server stopped before it started")
            await asyncio.sleep(0.005)
        return f"http://127.0.0.1:{port}"


_template_lock = threading.Lock()
_template_path: Path | None = None


def _template() -> Path:
    """An empty database with the schema, copied for each engine: a copy takes a millisecond
    where making the schema takes 50 (`mock()` starts an engine per test), and importing
    SQLAlchemy to make it another 400. Kept across test runs in the user's cache folder
    (`$XDG_CACHE_HOME/switchboard`, else `~/.cache/switchboard`) under a name that is a hash of
    the source the schema derives from, so a changed schema makes a new one; made in a
    temporary folder (removed at exit) when the cache folder cannot be written."""
    global _template_path
    with _template_lock:
        if _template_path is None:
            _template_path = _cached_template() or _fresh_template()
        return _template_path


def _schema_key() -> str:
    """A hash of what the tables derive from: the declarations (twilio/) and store/metadata.py."""
    import hashlib

    import switchboard

    root = Path(switchboard.__file__).parent
    digest = hashlib.sha256(switchboard.__version__.encode())
    for path in sorted([*(root / "twilio").glob("*.py"), root / "store" / "metadata.py"]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def _cached_template() -> Path | None:
    import os

    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except RuntimeError:  # no home folder to be found
        return None
    folder = Path(base) / "switchboard"
    path = folder / f"empty-{_schema_key()}.db"
    if path.is_file():
        return path
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix="making-", dir=folder))
        try:
            create_schema(f"sqlite:///{partial / 'empty.db'}")
            os.replace(partial / "empty.db", path)  # atomic: another process may race us
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    except OSError:
        return None
    return path


def _fresh_template() -> Path:
    folder = tempfile.mkdtemp(prefix="switchboard-template-")
    atexit.register(shutil.rmtree, folder, True)
    path = Path(folder) / "empty.db"
    create_schema(f"sqlite:///{path}")
    return path


def create_schema(database_url: str) -> None:
    """A new SQLite database with the newest schema, made from `metadata.metadata` rather than by
    the migrations: the same tables (tests/ops/test_migrations.py checks that the migrations
    build exactly the metadata), without importing and running Alembic, a third of the start-up
    (docs/testing.md). Only for the engine's temporary database, which nobody migrates later:
    it has no `alembic_version`. Every connection is closed on return, so the file alone (no
    `-wal` beside it) holds the database."""
    import sqlalchemy as sa

    from switchboard.store.metadata import metadata

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        with engine.begin() as conn:
            metadata.create_all(conn)
    finally:
        engine.dispose()


async def _serve(server: Any, sock: socket.socket) -> None:
    try:
        await server.serve(sockets=[sock])
    finally:
        sock.close()


async def _asgi(app: Callable[..., Awaitable[None]], scope: dict[str, Any], body: bytes) -> Answer:
    """Run one ASGI request to completion and collect the answer."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    answer = Answer(500)
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {
                k.decode("latin-1"): v.decode("latin-1") for k, v in message.get("headers", [])
            }
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    answer.body = b"".join(chunks)
    return answer
