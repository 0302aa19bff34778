"""Hermetic tests of code that uses Twilio: Switchboard inside the test process.

- `mock()`: every `twilio.rest.Client` of the process answered in-process (like moto's
  `mock_aws`);
- `InProcessHttpClient` / `AsyncInProcessHttpClient`: the SDK's HTTP client interface,
  answered in-process, no socket;
- `route(origin, app)`: webhooks for an origin delivered to a WSGI or ASGI app of the process;
- the pytest plugin (`switchboard.testing.plugin`): fixtures `switchboard` and `twilio_client`.

See docs/testing.md. Names load on first use: `import switchboard.testing` imports nothing
heavy, and nothing here needs Flask or any web framework.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from switchboard.testing.engine import Engine
    from switchboard.testing.handle import Switchboard
    from switchboard.testing.inprocess import AsyncInProcessHttpClient, InProcessHttpClient
    from switchboard.testing.mocking import mock
    from switchboard.testing.routes import Route, route

_WHERE = {
    "AsyncInProcessHttpClient": "inprocess",
    "Engine": "engine",
    "InProcessHttpClient": "inprocess",
    "Route": "routes",
    "Switchboard": "handle",
    "mock": "mocking",
    "route": "routes",
}

__all__ = [
    "AsyncInProcessHttpClient",
    "Engine",
    "InProcessHttpClient",
    "Route",
    "Switchboard",
    "mock",
    "route",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'switchboard.testing' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"switchboard.testing.{module}"), name)
