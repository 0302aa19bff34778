"""Fixtures for the testing toolkit's own tests: an engine per module, on the session's store
kind (SQLite, then PostgreSQL), and a fresh account on it per test.

Imported by the modules that use them (`from testing_fixtures import board, engine`), not a
conftest.py: conftests outside packages all import as `conftest`, and a second one would shadow
tests/conftest.py for the modules that import from it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Databases, clean_env
from receiver import Receiver

from switchboard.testing.engine import Engine
from switchboard.testing.handle import Switchboard


@pytest.fixture(scope="module")
def engine(
    request: pytest.FixtureRequest,
    store_kind: str,
    databases: Databases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Engine]:
    """A module may set `ENGINE_OPTIONS` (keyword arguments of `Engine`)."""
    url = databases.new(store_kind, tmp_path_factory.mktemp("engine"))
    options = {"webhook_timeout": 5, **getattr(request.module, "ENGINE_OPTIONS", {})}
    with Engine(url, **options) as started:
        yield started


@pytest.fixture
def board(engine: Engine) -> Iterator[Switchboard]:
    """What the plugin's `switchboard` fixture gives (an emptied engine, a fresh account), on
    this module's engine."""
    handle = Switchboard.fresh(engine)
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def receiver(board: Switchboard) -> Iterator[Receiver]:
    """A real webhook receiver on 127.0.0.1 checking signatures with the test account's token."""
    rcv = Receiver(board.auth_token)
    try:
        yield rcv
    finally:
        rcv.close()


def run_pytest(
    *args: str,
    cwd: Path,
    autoload: bool = False,
    pythonpath: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """A pytest run of its own, as a user's project has: a clean environment (no TWILIO_* or
    SWITCHBOARD_*), no cache or bytecode written. Without `autoload`, only the plugins named
    with `-p` load (the plugin by its module name, whether or not its entry point is installed)."""
    child = clean_env(PYTHONDONTWRITEBYTECODE="1", **(env or {}))
    child = {k: v for k, v in child.items() if not k.startswith("PYTEST_")}
    if not autoload:
        child["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        args = ("-p", "switchboard.testing.plugin", *args)
    if pythonpath is not None:
        child["PYTHONPATH"] = pythonpath
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=child,
        capture_output=True,
        text=True,
        timeout=300,
    )
