"""Shared fixtures and helpers: real `switchboard serve` processes on 127.0.0.1, real databases.

Servers (each a `Server`: the child process, its database, its log file, its main account):

- `server`: a server of the test's own, on a fresh database. For a test that counts or pages over
  everything an account holds, restarts or kills the server, or starts it with flags of its own
  (`with Server(database_url, tmp_path, flags) as srv:` does the starting and stopping).
- `module_server`: one server for every test of a module, on a fresh database, started with the
  module's `SERVER_ARGS` if it sets them. Its tests work in accounts or records of their own, so
  that each passes alone, in any order and in any selection.
- `live`, a module's own fixture (none here): where a module's tests share more than the server
  (records made once, clients, accounts), the module builds them once, in a module-scoped fixture
  named `live` over `module_server`, of a dataclass `Live` whose `server` is that server.
  (tests/api/test_isolation_matrix.py's `world`, the accounts of its matrix, is one of those.)

Around the test's server (`server` when the test asks for it, otherwise `module_server`):

- `http`: an httpx client as its main account;
- `client`: the official SDK as its main account, pointed at it as README says;
- `receiver`: a webhook receiver on 127.0.0.1 (tests/receiver.py) that checks every request's
  signature with its main auth token.

Stores: a test that asks for a server or a database runs once per store (`store_kind`: sqlite,
postgres); `database_url` is a fresh, empty database of that kind, `databases` makes more.

Helpers beside this file: `Creds`, `run_cli`, `query`, `random_number` here; tests/errors.py checks
Twilio's error answers (HTTP and SDK) for every module; tests/receiver.py and
tests/traffic/hostile.py are webhook receivers; tests/rawhttp.py sends bytes no client would;
tests/procfs.py reads a process's memory and descriptors; tests/traffic/inbound.py simulates calls
and messages; tests/contract/node_sdk.py runs twilio-node.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import secrets
import signal
import site
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from receiver import Receiver
from twilio.rest import Client

REPO = Path(__file__).resolve().parent.parent
# The OpenAPI description Switchboard conforms to, vendored with its provenance (spec/README.md).
SPEC_SUBSET = REPO / "spec" / "twilio_api_v2010_subset.json"


# The Application's 21 JSON keys, in the order the spec's example shows (the contract, spelled out
# here rather than read from the server's own declarations).
APPLICATION_KEYS: tuple[str, ...] = (
    "account_sid",
    "api_version",
    "date_created",
    "date_updated",
    "friendly_name",
    "message_status_callback",
    "sid",
    "sms_fallback_method",
    "sms_fallback_url",
    "sms_method",
    "sms_status_callback",
    "sms_url",
    "status_callback",
    "status_callback_method",
    "uri",
    "voice_caller_id_lookup",
    "voice_fallback_method",
    "voice_fallback_url",
    "voice_method",
    "voice_url",
    "public_application_connect_enabled",
)

# The keys of every list page of the 2010-04-01 API but the list itself (named for its resource).
PAGE_KEYS: tuple[str, ...] = (
    "end",
    "first_page_uri",
    "next_page_uri",
    "page",
    "page_size",
    "previous_page_uri",
    "start",
    "uri",
)

# Every writable field of an Application with a value other than its default, as the JSON shows it
# (and as the SDK takes and shows it: the same names).
APPLICATION_WITH_EVERY_FIELD: dict[str, Any] = {
    "friendly_name": "Every field set",
    "api_version": "2008-08-01",
    "voice_url": "https://example.com/voice",
    "voice_method": "GET",
    "voice_fallback_url": "https://example.com/voice-fallback",
    "voice_fallback_method": "GET",
    "status_callback": "https://example.com/status",
    "status_callback_method": "GET",
    "voice_caller_id_lookup": True,
    "sms_url": "https://example.com/sms",
    "sms_method": "GET",
    "sms_fallback_url": "https://example.com/sms-fallback",
    "sms_fallback_method": "GET",
    "sms_status_callback": "https://example.com/sms-status",
    "message_status_callback": "https://example.com/message-status",
    "public_application_connect_enabled": True,
}


def random_number(area: str | None = None) -> str:
    """A random +1 number, unlikely to collide with any other test's.

    Without `area`, a 2XX-7XX area code: never a toll-free 8XX one, which would make the number's
    type "tollfree" rather than "local".
    """
    if area is None:
        area = f"{2 + secrets.randbelow(6)}{secrets.randbelow(100):02d}"
    return f"+1{area}{2 + secrets.randbelow(8)}{secrets.randbelow(1_000_000):06d}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a server or CLI child: no TWILIO_EDGE/REGION, no stray settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SWITCHBOARD_"))}
    env.update(extra)
    return env


def run_cli(*args: str, database_url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli", *args, "--database-url", database_url],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


@dataclass(frozen=True)
class Creds:
    """An account's SID and auth token, or an API key's SID and secret."""

    sid: str
    token: str


def wait_healthy(
    proc: subprocess.Popen[bytes], url: str, output: Callable[[], str], timeout: float = 30.0
) -> None:
    """Return once `url`/healthz answers 200; fail with the process's `output()` if it exits
    first or does not answer within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited early ({proc.returncode}):\n{output()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"serve did not become healthy:\n{output()}")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it has not exited 10 s later; returns once it has exited."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class Server:
    """One `switchboard serve` child process: restartable, killable; as a context manager,
    started on entry and stopped on exit."""

    def __init__(self, database_url: str, workdir: Path, extra_args: tuple[str, ...] = ()) -> None:
        self.database_url = database_url
        self.extra_args = extra_args
        self.workdir = workdir
        self.account_sid = "AC" + secrets.token_hex(16)
        self.auth_token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"server-{self.port}.log"

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> None:
        env = clean_env(
            TWILIO_ACCOUNT_SID=self.account_sid,
            TWILIO_AUTH_TOKEN=self.auth_token,
        )
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "switchboard.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--database-url",
                self.database_url,
                *self.server_flag(),
                *self.extra_args,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )
        log.close()
        try:
            wait_healthy(self.proc, self.url, self.log_path.read_text, timeout)
        except BaseException:
            self.stop()  # a server that never came up is not left running
            raise

    def server_flag(self) -> tuple[str, ...]:
        """`--server X` when SWITCHBOARD_TEST_SERVER names one (the suites run on either HTTP
        server) and the test does not choose its own."""
        chosen = os.environ.get("SWITCHBOARD_TEST_SERVER")
        if not chosen or "--server" in self.extra_args:
            return ()
        return ("--server", chosen)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    # Clients

    def client(self, account_sid: str | None = None, auth_token: str | None = None) -> Client:
        """The official SDK, pointed at this server, as README says.

        `edge`/`region` are cleared after construction: TWILIO_EDGE / TWILIO_REGION would rewrite
        the host, and `environment={}` does not stop the SDK reading them from os.environ.
        """
        c = Client(account_sid or self.account_sid, auth_token or self.auth_token)
        c.api.base_url = self.url
        c.edge = c.region = None
        return c

    def http(self, account_sid: str | None = None, auth_token: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            auth=(account_sid or self.account_sid, auth_token or self.auth_token),
            timeout=30,
        )

    @property
    def authorization(self) -> str:
        """The main account's `Authorization` header, for requests written by hand."""
        pair = f"{self.account_sid}:{self.auth_token}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    def http_as(self, creds: Creds) -> httpx.Client:
        return self.http(creds.sid, creds.token)

    def client_as(self, creds: Creds) -> Client:
        return self.client(creds.sid, creds.token)

    def apps_path(self, account_sid: str | None = None, suffix: str = ".json") -> str:
        return f"/2010-04-01/Accounts/{account_sid or self.account_sid}/Applications{suffix}"

    def create_account(self, friendly_name: str = "Other") -> dict[str, str]:
        """A second top-level account, made with the CLI, as a user would."""
        out = run_cli(
            "accounts",
            "create",
            "--friendly-name",
            friendly_name,
            "--json",
            database_url=self.database_url,
        )
        return json.loads(out.stdout)

    def top_level(self, friendly_name: str = "Top") -> Creds:
        """`create_account`'s account, as credentials."""
        made = self.create_account(friendly_name)
        return Creds(made["sid"], made["auth_token"])

    def subaccount(self, parent: Creds | None = None, friendly_name: str | None = None) -> Creds:
        """A new subaccount of `parent` (the main account by default), made through the API."""
        form = {} if friendly_name is None else {"FriendlyName": friendly_name}
        with self.http_as(parent) if parent else self.http() as h:
            resp = h.post("/2010-04-01/Accounts.json", data=form)
        assert resp.status_code == 201, resp.text
        return Creds(resp.json()["sid"], resp.json()["auth_token"])


# Stores: the whole suite runs against both (the `store_kind` parameter).

POSTGRES_URL = os.environ.get(
    "SWITCHBOARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("SWITCHBOARD_REQUIRE_POSTGRES") == "1"


class Databases:
    """Fresh, empty databases: a SQLite file, or a PostgreSQL database of its own.

    PostgreSQL databases are made on the server at SWITCHBOARD_TEST_POSTGRES_URL and dropped
    once the test or module that made them is over (`done_with`, in a thread of their own while
    the next tests run), or at the end of the session. A drop takes about 0.16 s (PostgreSQL
    15 checkpoints for each): a few hundred of them, one after the other at the end, held each
    process 14 to 22 s after its last test.
    """

    def __init__(self) -> None:
        self.created: list[str] = []
        self._unavailable: str | None = None
        self._checked = False
        self._finished: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._dropper: threading.Thread | None = None
        self._not_dropped: list[str] = []  # the dropper's failures, tried again at the end

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)

    def postgres_problem(self) -> str | None:
        """None when PostgreSQL answers; otherwise why not."""
        if not self._checked:
            self._checked = True
            try:
                with self._admin() as conn:
                    conn.execute("SELECT 1")
            except Exception as exc:
                self._unavailable = f"no PostgreSQL at {POSTGRES_URL}: {exc}".strip()
        return self._unavailable

    def require_postgres(self) -> None:
        """Skip the test when PostgreSQL does not answer; fail it under
        SWITCHBOARD_REQUIRE_POSTGRES=1 (CI, where PostgreSQL must be there)."""
        problem = self.postgres_problem()
        if problem is not None:
            if REQUIRE_POSTGRES:
                pytest.fail(f"SWITCHBOARD_REQUIRE_POSTGRES=1 but {problem}")
            pytest.skip(problem)

    def postgres(self, workdir: Path) -> str:
        """A new PostgreSQL database, for a test of PostgreSQL itself (processes sharing one
        database, the pool): `require_postgres`, then `new`."""
        self.require_postgres()
        return self.new("postgres", workdir)

    def new(self, kind: str, workdir: Path) -> str:
        if kind == "sqlite":
            return f"sqlite:///{workdir / f'switchboard-{secrets.token_hex(4)}.db'}"
        name = f"sb_test_{secrets.token_hex(6)}"
        with self._admin() as conn:
            conn.execute(f"CREATE DATABASE {name}")
        self.created.append(name)
        base = POSTGRES_URL.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def done_with(self, url: str) -> None:
        """Whoever made `url` (with `new`) is done with it: a PostgreSQL database is dropped in
        the background from now on (anything still connected is disconnected)."""
        name = url.rsplit("/", 1)[-1]
        if url.startswith("sqlite") or name not in self.created:
            return
        self.created.remove(name)
        if self._dropper is None:
            self._dropper = threading.Thread(target=self._drop_finished, daemon=True)
            self._dropper.start()
        self._finished.put(name)

    def _drop_finished(self) -> None:
        conn = None
        while (name := self._finished.get()) is not None:
            try:
                conn = conn or self._admin()
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except Exception:  # dropped again by drop_all, which says why if it fails again
                self._not_dropped.append(name)
                conn = None
        if conn is not None:
            conn.close()

    def drop_all(self) -> None:
        if self._dropper is not None:
            self._finished.put(None)
            self._dropper.join()
            self._dropper = None
        left = self._not_dropped + self.created
        if not left:
            return
        with self._admin() as conn:
            for name in left:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self._not_dropped.clear()
        self.created.clear()


def query(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    """Read the database directly, whichever store it is."""
    if database_url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as pg:
        cur = pg.execute(sql)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description is not None else []


@pytest.fixture(scope="session")
def databases() -> Iterator[Databases]:
    dbs = Databases()
    try:
        yield dbs
    finally:
        dbs.drop_all()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest, databases: Databases) -> str:
    kind: str = request.param
    if kind == "postgres":
        databases.require_postgres()
    return kind


@pytest.fixture
def database_url(store_kind: str, databases: Databases, tmp_path: Path) -> Iterator[str]:
    url = databases.new(store_kind, tmp_path)
    yield url
    databases.done_with(url)


@pytest.fixture(scope="module")
def module_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    databases: Databases,
    store_kind: str,
) -> Iterator[Server]:
    """One server for a whole test module, on a fresh database of the session's store kind.

    A module may set `SERVER_ARGS` (a tuple of extra `switchboard serve` flags).
    """
    name = request.module.__name__.removeprefix("test_")
    workdir: Path = tmp_path_factory.mktemp(name)
    extra: tuple[str, ...] = getattr(request.module, "SERVER_ARGS", ())
    url = databases.new(store_kind, workdir)
    with Server(url, workdir, extra) as srv:
        yield srv
    databases.done_with(url)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A server of the test's own, on a fresh database."""
    with Server(database_url, tmp_path) as srv:
        yield srv


def the_test_server(request: pytest.FixtureRequest) -> Server:
    """`server` when the test asks for it (itself or through a fixture), else `module_server`."""
    name = "server" if "server" in request.fixturenames else "module_server"
    srv: Server = request.getfixturevalue(name)
    return srv


# `store_kind` is named so that these fixtures' tests are parametrised by store whichever server
# they end up with (a server found at run time could not add the parameter any more).


@pytest.fixture
def http(request: pytest.FixtureRequest, store_kind: str) -> Iterator[httpx.Client]:
    """An httpx client of the test's server, as its main account."""
    with the_test_server(request).http() as h:
        yield h


@pytest.fixture
def client(request: pytest.FixtureRequest, store_kind: str) -> Client:
    """The official SDK, pointed at the test's server, as its main account."""
    return the_test_server(request).client()


@pytest.fixture
def receiver(request: pytest.FixtureRequest, store_kind: str) -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 that checks every request's signature with the main auth
    token of the test's server."""
    rcv = Receiver(the_test_server(request).auth_token)
    try:
        yield rcv
    finally:
        rcv.close()


# Nothing outside the repository (issue 12). A test that opens a file beside the repository (a
# sibling checkout such as ../shared) passes on one machine and fails on a fresh clone. Every
# `open` of this process is audited: a file under the repository's parent folder but outside the
# repository fails the session, naming the file and the test. Exempt, because they may sit beside
# a repository without being another checkout: pytest's temporary folders, the Python
# installation, and hidden entries (a home folder's ~/.netrc or ~/.cache). A repository at the
# filesystem root has the whole system beside it: the guard is off there. (Only this process is
# audited; the servers the tests start run with their working folder in a temporary folder.)

_PARENT = str(REPO.parent)
_GUARDED = REPO.parent != REPO.parent.parent  # not the filesystem root
_exempt: set[str] = set()
opened_beside: dict[str, list[str]] = {}  # file -> the tests (or collections) that opened it
_opener = "startup"


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def exempt(*places: str) -> None:
    """Let files under `places` be opened (only places strictly inside the parent matter)."""
    for place in places:
        place = os.path.normpath(os.path.abspath(place))
        if _within(place, _PARENT) and place != _PARENT:
            _exempt.add(place)


def beside_repository(path: str) -> bool:
    """Under the repository's parent folder, not inside the repository, and not exempt."""
    if not _GUARDED or not _within(path, _PARENT) or _within(path, str(REPO)):
        return False
    if path[len(_PARENT) :].lstrip(os.sep).startswith("."):
        return False
    return not any(_within(path, place) for place in _exempt)


def _audit_open(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or isinstance(args[0], int) or args[0] is None:
        return
    try:
        path = os.path.normpath(os.path.abspath(os.fsdecode(args[0])))
    except (TypeError, ValueError, OSError):
        return
    if beside_repository(path):
        openers = opened_beside.setdefault(path, [])
        if _opener not in openers:
            openers.append(_opener)


exempt(
    sys.prefix,
    sys.base_prefix,
    sys.exec_prefix,
    *site.getsitepackages(),
    site.getusersitepackages(),
    tempfile.gettempdir(),
)
sys.addaudithook(_audit_open)


def pytest_collectstart(collector: pytest.Collector) -> None:
    global _opener
    _opener = f"collecting {collector.nodeid or 'the session'}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    global _opener
    _opener = item.nodeid
    try:
        return (yield)
    finally:
        _opener = "between tests"


@pytest.fixture(scope="session", autouse=True)
def _temporary_folders_are_not_beside(tmp_path_factory: pytest.TempPathFactory) -> None:
    """pytest's temporary folders are exempt, wherever they are (e.g. a clone in /tmp)."""
    basetemp = tmp_path_factory.getbasetemp()
    exempt(str(basetemp), str(basetemp.resolve()))


def pytest_sessionfinish(session: pytest.Session) -> None:
    if opened_beside:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not opened_beside:
        return
    terminalreporter.section("files opened outside the repository", red=True)
    for path, openers in sorted(opened_beside.items()):
        terminalreporter.line(f"{path}: opened by {', '.join(openers)}", red=True)
    terminalreporter.line(
        f"Tests must read nothing beside the repository ({REPO}); vendor what they need.",
        red=True,
    )
