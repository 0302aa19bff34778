"""The pytest plugin (entry point `pytest11: switchboard`): fixtures `switchboard` and
`twilio_client`, active wherever Switchboard is installed; `-p no:switchboard` turns it off.

- `switchboard`: a Switchboard for the session (started on first use, in a thread of the test
  process, serving HTTP on a free 127.0.0.1 port, SQLite in a temporary folder), emptied before
  each test that uses it, acting as an account made fresh for that test.
- `twilio_client`: a `twilio.rest.Client` with that account's credentials, pointed at it.

This module is imported by every pytest run of an environment where Switchboard is installed,
so it imports nothing heavy (nor twilio, which may not be installed) until a fixture runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from twilio.rest import Client

    from switchboard.testing.engine import Engine
    from switchboard.testing.handle import Switchboard


@pytest.fixture(scope="session")
def switchboard_engine() -> Iterator[Engine]:
    """The session's Switchboard (what `switchboard` resets and hands to each test)."""
    from switchboard.testing.engine import Engine

    engine = Engine().start()
    try:
        engine.serve_http()
        yield engine
    finally:
        engine.stop()


@pytest.fixture
def switchboard(switchboard_engine: Engine) -> Iterator[Switchboard]:
    """An empty Switchboard and a fresh account on it: `base_url`, `account_sid`,
    `auth_token`, `client()`, `requests()`, `simulate_call()`, `simulate_sms()`, `route()`."""
    from switchboard.testing.handle import Switchboard

    handle = Switchboard.fresh(switchboard_engine)
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def twilio_client(switchboard: Switchboard) -> Client:
    """A `twilio.rest.Client` for the test's account on the `switchboard` server."""
    return switchboard.client()
