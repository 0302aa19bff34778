"""`mock()`: every Twilio client of the process answered by an in-process Switchboard, the way
moto's `mock_aws` answers boto3.

    from switchboard.testing import mock

    @mock()
    def test_signup_creates_the_app():
        signup()                          # your code, unchanged: Client(), env credentials...

    with mock() as switchboard:           # or as a context manager
        ...

Where it hooks: `ClientBase.http_client`, the one attribute every request of every client goes
through (`ClientBase.request` and `request_async` call `self.http_client.request`). While a mock
is active that attribute is a descriptor: it gives the client's own HttpClient with `request`
answered by the mock's in-process client (the async one for an async HttpClient) and everything
else (`close()`, its session) left as it was. So it covers clients created before the mock (a
module-level `Client()` in the code under test), inside it, with `Client()` reading
`TWILIO_ACCOUNT_SID`/`TWILIO_AUTH_TOKEN` from the environment, with an API key and
`account_sid`, and with an HttpClient of their own. A client given an in-process client
explicitly keeps it. Leaving the mock removes the descriptor: each client's own HttpClient is
back, untouched.

Credentials are accepted on first use (`Engine(provision=True)`); when `TWILIO_ACCOUNT_SID` and
`TWILIO_AUTH_TOKEN` are both set, that account is the main one, as with `switchboard serve`.
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from switchboard.testing.engine import Engine
from switchboard.testing.handle import Switchboard
from switchboard.twilio.sids import is_sid

F = TypeVar("F", bound=Callable[..., Any])

_lock = threading.Lock()
_active: list[_Mock] = []


class _Mock:
    def __init__(self, engine: Engine) -> None:
        from switchboard.testing.inprocess import AsyncInProcessHttpClient, InProcessHttpClient

        self.engine = engine
        self.sync = InProcessHttpClient(engine)
        self.async_ = AsyncInProcessHttpClient(engine)


class _Redirected:
    """A client's own HttpClient with its requests answered in process: everything else
    (`close()`, its session, its timeout) is still the client's own."""

    def __init__(self, own: Any, inprocess: Any) -> None:
        self._own = own
        self._inprocess = inprocess
        self.is_async = inprocess.is_async

    def request(self, *args: Any, **kwargs: Any) -> Any:
        return self._inprocess.request(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._own, name)


class _HttpClientSlot:
    """`ClientBase.http_client` while a mock is active: reads give the client's own HttpClient
    redirected to the newest mock; writes land in the instance, where they are found again once
    the mock ends."""

    def __get__(self, client: Any, owner: type) -> Any:
        if client is None:
            return self
        own = client.__dict__.get("http_client")
        from switchboard.testing.inprocess import AsyncInProcessHttpClient, InProcessHttpClient

        if isinstance(own, InProcessHttpClient | AsyncInProcessHttpClient):
            return own
        with _lock:
            current = _active[-1] if _active else None
        if current is None:
            return own
        inprocess = current.async_ if getattr(own, "is_async", False) else current.sync
        return _Redirected(own, inprocess)

    def __set__(self, client: Any, value: Any) -> None:
        client.__dict__["http_client"] = value


_SLOT = _HttpClientSlot()


def _install(state: _Mock) -> None:
    from twilio.base.client_base import ClientBase

    with _lock:
        if not _active:
            ClientBase.http_client = _SLOT  # type: ignore[assignment]
        _active.append(state)


def _uninstall(state: _Mock) -> None:
    from twilio.base.client_base import ClientBase

    with _lock:
        if state in _active:
            _active.remove(state)
        if not _active and ClientBase.__dict__.get("http_client") is _SLOT:
            del ClientBase.http_client


def _main_from_env() -> tuple[str, str] | None:
    sid = os.environ.get("TWILIO_ACCOUNT_SID") or ""
    token = os.environ.get("TWILIO_AUTH_TOKEN") or ""
    return (sid, token) if is_sid(sid, "AC") and token else None


class mock:
    """Answer every `twilio.rest.Client` of this process with a fresh in-process Switchboard.

    As a context manager it gives the `Switchboard` (its main account, `requests()`,
    `simulate_call()`, `route()`…); as a decorator of a function or coroutine function each call
    runs in a mock of its own. Mocks nest: the innermost answers.
    """

    def __init__(self) -> None:
        self._state: _Mock | None = None
        self._handle: Switchboard | None = None

    def __enter__(self) -> Switchboard:
        if self._state is not None:
            raise RuntimeError("this mock() is already active; make another for nesting")
        engine = Engine(provision=True, main_account=_main_from_env()).start()
        assert engine.main is not None
        self._state = _Mock(engine)
        _install(self._state)
        self._handle = Switchboard(engine, engine.main.sid, engine.main.auth_token)
        return self._handle

    def __exit__(self, *exc: object) -> None:
        state, self._state = self._state, None
        if state is None:
            return
        if self._handle is not None:
            self._handle.close()
        _uninstall(state)
        state.engine.stop()

    def __call__(self, fn: F) -> F:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with mock():
                    return await fn(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with mock():
                return fn(*args, **kwargs)

        return run  # type: ignore[return-value]
