"""Webhooks into the app under test without a port: `route("https://myapp.test", app)`.

Every in-process Switchboard (`Engine`) sends its webhooks through `RoutedTransport`, which
looks the request's origin up here: a routed origin is answered by the WSGI or ASGI app in this
process, anything else goes to the network as usual. The request is the one the network would
carry, URL, headers and `X-Twilio-Signature` included, so the app's `RequestValidator` passes.

Where the app runs, and why: a WSGI app (Flask, Django) in a worker thread, an ASGI app
(FastAPI, Starlette, Django's ASGI handler) on an event loop of its own thread. Neither runs on
the engine's loop, so an app that calls the Twilio API while it answers (with the synchronous
client, even from an `async def`) cannot block the engine that waits for its answer.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from switchboard.traffic.transport import Http1Transport

log = logging.getLogger("switchboard.testing")

Origin = tuple[str, str, int]
_DEFAULT_PORTS = {"http": 80, "https": 443}
_RAISED = b"the app raised an exception (see the log)"
_lock = threading.Lock()
_routes: dict[Origin, list[Route]] = {}


def origin_of(url: str) -> Origin:
    """`https://MyApp.test` -> `("https", "myapp.test", 443)`; ValueError for anything but an
    http(s) origin (a path, a query or credentials would be ignored silently otherwise)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an http(s) origin: {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"an origin has no path, query or credentials: {url!r}")
    return scheme, parts.hostname.lower().rstrip("."), parts.port or _DEFAULT_PORTS[scheme]


def is_asgi(app: Any) -> bool:
    """ASGI apps are coroutine functions or objects with an `async def __call__`."""
    call = type(app).__call__ if not inspect.isroutine(app) else None
    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(call)


class Route:
    """Requests to one origin answered by one app; `remove()` (or leaving `with`) ends it.

    `errors` holds what the app raised while answering (each answered 500, as a server would,
    and logged on `switchboard.testing`), so a test can show the real failure.
    """

    def __init__(self, origin: str, app: Any, *, interface: str | None = None) -> None:
        self.origin = origin_of(origin)
        self.app = app
        self.interface = interface or ("asgi" if is_asgi(app) else "wsgi")
        if self.interface not in ("asgi", "wsgi"):
            raise ValueError(f"interface must be 'asgi' or 'wsgi', not {interface!r}")
        self.errors: list[BaseException] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        with _lock:
            _routes.setdefault(self.origin, []).append(self)

    def remove(self) -> None:
        with _lock:
            stack = _routes.get(self.origin, [])
            if self in stack:
                stack.remove(self)
            if not stack:
                _routes.pop(self.origin, None)
        loop, self._loop = self._loop, None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=10)

    def __enter__(self) -> Route:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    async def answer(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        try:
            if self.interface == "wsgi":
                status, headers, raw = await asyncio.to_thread(self._wsgi, copy)
            else:
                future = asyncio.run_coroutine_threadsafe(self._asgi(copy), self._app_loop())
                status, headers, raw = await asyncio.wrap_future(future)
        except Exception as exc:
            self.errors.append(exc)
            log.error(
                "the app routed at %s raised while answering %s %s",
                _origin_text(self.origin),
                request.method,
                request.url,
                exc_info=exc,
            )
            status, headers, raw = 500, httpx.Headers({"Content-Type": "text/plain"}), _RAISED
        # A stream, not `content=`: the webhook client reads the raw bytes as from the network.
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(raw))

    def _wsgi(self, request: httpx.Request) -> tuple[int, httpx.Headers, bytes]:
        response = httpx.WSGITransport(app=self.app).handle_request(request)
        try:
            raw = b"".join(response.iter_raw())  # as sent: a gzip body stays gzip
        finally:
            response.close()
        return response.status_code, response.headers, raw

    async def _asgi(self, request: httpx.Request) -> tuple[int, httpx.Headers, bytes]:
        transport = httpx.ASGITransport(app=self.app)
        response = await transport.handle_async_request(request)
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        return response.status_code, response.headers, raw

    def _app_loop(self) -> asyncio.AbstractEventLoop:
        """The ASGI app's own loop, started on first use: one loop for all its requests, as
        a server would give it."""
        with _lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=_run_forever, args=(loop,), name="switchboard-routed-app", daemon=True
                )
                self._thread.start()
                self._loop = loop
            return self._loop


def _run_forever(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    loop.run_forever()
    loop.close()


def _origin_text(origin: Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}" + ("" if _DEFAULT_PORTS[scheme] == port else f":{port}")


def route(origin: str, app: Callable[..., Any], *, interface: str | None = None) -> Route:
    """Deliver every webhook for `origin` (`https://myapp.test`) to `app`, a WSGI or ASGI app
    of this process (told apart by `async def __call__`; `interface="asgi"|"wsgi"` to say),
    until `remove()`. The newest route for an origin wins; removing it uncovers the one before.
    """
    return Route(origin, app, interface=interface)


def routed(url: httpx.URL) -> Route | None:
    scheme = url.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    origin = (scheme, url.host.lower().rstrip("."), url.port or _DEFAULT_PORTS[scheme])
    with _lock:
        stack = _routes.get(origin)
        return stack[-1] if stack else None


class RoutedTransport(httpx.AsyncBaseTransport):
    """The engine's webhook transport: routed origins in-process, the rest over the network,
    with the transport a server uses (`traffic/transport.py`; it makes its TLS context, 35 ms,
    a quarter of an engine's start, only for an `https://` URL)."""

    def __init__(self) -> None:
        self._network = Http1Transport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = routed(request.url)
        if target is not None:
            return await target.answer(request)
        return await self._network.handle_async_request(request)

    async def aclose(self) -> None:
        await self._network.aclose()
