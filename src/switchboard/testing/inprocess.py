"""twilio-python's HTTP client interface, answered by a Switchboard in this process: no socket,
no port, no network.

    from twilio.rest import Client
    from switchboard.testing import InProcessHttpClient

    client = Client("AC…", "…", http_client=InProcessHttpClient())

Each request is encoded as `requests` (or aiohttp) would put it on the wire and handed to the
real app, whose answer comes back as the SDK's `Response`: errors, paging and every header are
the server's own. A timeout (the request's, else the client's) raises what the SDK's own client
would: `requests.exceptions.ReadTimeout`, or `TimeoutError` for the async client. The host of
the URL is not looked at (`api.twilio.com`, an edge or a region, a `base_url` of yours: all
reach the same app). Without an engine given, the client starts its own, which accepts any
credentials on first use (see `Engine`'s `provision`).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Coroutine
from typing import Any

from requests.exceptions import ReadTimeout
from requests.structures import CaseInsensitiveDict
from twilio.http import AsyncHttpClient, HttpClient
from twilio.http.request import Request as TwilioRequest
from twilio.http.response import Response

from switchboard.testing.engine import Engine
from switchboard.testing.wire import Answer, encode

_logger = logging.getLogger("switchboard.testing.http_client")


def _engine(switchboard: Any) -> tuple[Engine, bool]:
    """The engine to use (an Engine, or anything with one, like the `switchboard` fixture), and
    whether this client owns it (started here, stopped with the client)."""
    if switchboard is None:
        return Engine(provision=True).start(), True
    engine = switchboard if isinstance(switchboard, Engine) else switchboard.engine
    return engine, False


class _InProcess:
    """What both clients share: the engine, and turning an SDK request into a call."""

    engine: Engine

    def _bind(self, switchboard: Any) -> None:
        self.engine, owned = _engine(switchboard)
        # An engine started for this client stops with it (or at exit), never before.
        self._finalizer = weakref.finalize(self, self.engine.stop) if owned else None

    def _stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()

    def _prepare(
        self, method: str, url: str, timeout: float | None, **kwargs: Any
    ) -> tuple[Coroutine[Any, Any, Answer], float | None]:
        """The request as the app's exchange (logged and kept, as the SDK's clients do), and
        how long to wait for it: the request's timeout, else the client's."""
        if timeout is not None and timeout <= 0:
            raise ValueError(timeout)  # as the SDK's own clients refuse it
        logged = {"method": method.upper(), "url": url, **kwargs}
        self.log_request(logged)  # type: ignore[attr-defined]
        self._test_only_last_response = None
        self._test_only_last_request = TwilioRequest(**logged)
        call = encode(method, url, **kwargs)
        wait = self.timeout if timeout is None else timeout  # type: ignore[attr-defined]
        return self.engine.exchange(call, kwargs["auth"]), wait

    def _response(self, answer: Answer) -> Response:
        response = Response(answer.status, answer.text, CaseInsensitiveDict(answer.headers))
        self.log_response(answer.status, response)  # type: ignore[attr-defined, arg-type]
        self._test_only_last_response = response
        return response


class InProcessHttpClient(_InProcess, HttpClient):
    """A synchronous `HttpClient` for `twilio.rest.Client`, answered in this process.

    `switchboard`: an `Engine`, or the `switchboard` pytest fixture; None starts a private
    engine (a SQLite file in a temporary folder) that stops with the client.
    """

    def __init__(
        self,
        switchboard: Any = None,
        *,
        timeout: float | None = None,
        logger: logging.Logger = _logger,
    ) -> None:
        HttpClient.__init__(self, logger, False, timeout)
        self._bind(switchboard)

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        exchange, wait = self._prepare(
            method, url, timeout, params=params, data=data, headers=headers, auth=auth
        )
        try:
            answer = self.engine.run(exchange, wait)
        except TimeoutError:
            # What the SDK's own client raises (requests), so code that handles it still does.
            raise ReadTimeout(f"no answer from the in-process Switchboard in {wait} s") from None
        return self._response(answer)

    def close(self) -> None:
        """Stop the engine this client started (an engine given to it is left running)."""
        self._stop()


class AsyncInProcessHttpClient(_InProcess, AsyncHttpClient):
    """The same for the SDK's async API (`await client.applications.create_async(...)`), from
    any event loop."""

    def __init__(
        self,
        switchboard: Any = None,
        *,
        timeout: float | None = None,
        logger: logging.Logger = _logger,
    ) -> None:
        AsyncHttpClient.__init__(self, logger, True, timeout)
        self._bind(switchboard)

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        exchange, wait = self._prepare(
            method, url, timeout, params=params, data=data, headers=headers, auth=auth
        )
        # On timeout, TimeoutError: what aiohttp, the SDK's async client, raises.
        return self._response(await self.engine.arun(exchange, wait))

    async def close(self) -> None:
        """Stop the engine this client started (an engine given to it is left running)."""
        self._stop()

    async def __aenter__(self) -> AsyncInProcessHttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
