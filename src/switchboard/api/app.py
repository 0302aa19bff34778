"""The composition root: `build_app(settings)` wires the store, the services, the dispatcher
and the traffic simulator into one ASGI app.

Twilio's paths and our extension go straight to the API dispatcher (raw ASGI: the hot path);
the rest (the health check, the console, and anything unknown, answered with a Twilio-style 404)
to Starlette.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from switchboard.api import render
from switchboard.api.context import Services
from switchboard.api.dispatch import PREFIXES, Dispatcher
from switchboard.api.render import Reply
from switchboard.config import Settings
from switchboard.console import build_console
from switchboard.store import Store, open_store
from switchboard.traffic.factory import open_outbox, open_simulator
from switchboard.twilio import errors

# Seconds after an API request starts or ends during which the process still counts as busy.
# Requests in flight alone were not enough: when the outbox's jobs took the event loop, the
# requests waiting on their sockets were not read, so none was in flight, the worker took its
# full concurrency, and creates stayed starved (message creates at 510/s or 1,230/s from one
# run to the next, the same load).
BUSY_AFTER = 0.05
# Requests in flight from which the process counts as saturated (`crowded`): they queue for its
# CPU, and the outbox only trickles. Measured (bench `message`, 32 connections, as the outbox
# decides): 28 in flight on average at saturation (a tenth of the time 8 to 11); at half that
# rate 1 to 3, a tenth of the time 5 or more, at most 17.
CROWDED = 16


class SwitchboardApp:
    def __init__(self, starlette: Starlette, api: Dispatcher, services: Services) -> None:
        self.starlette = starlette
        self.api = api
        self.services = services
        self.in_flight = 0  # API requests being answered (the outbox steps back meanwhile)
        self.last_request = -BUSY_AFTER  # time.monotonic() when one last started or ended

    def busy(self) -> bool:
        """Answering API requests, or did within `BUSY_AFTER` seconds."""
        return self.in_flight > 0 or time.monotonic() - self.last_request < BUSY_AFTER

    def crowded(self) -> bool:
        """`CROWDED` or more API requests in flight: they arrive faster than they are answered."""
        return self.in_flight >= CROWDED

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIXES):
            # `Settle` waits on the outbox: it must not hold the outbox back.
            counted = not scope["path"].endswith("/Settle")
            if counted:
                self.in_flight += 1
                self.last_request = time.monotonic()
            try:
                await self.api(scope, receive, send)
            finally:
                if counted:
                    self.in_flight -= 1
                    self.last_request = time.monotonic()
        else:
            await self.starlette(scope, receive, send)


def build_app(
    settings: Settings,
    store: Store | None = None,
    *,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> SwitchboardApp:
    """The whole server. `store` may be given (tests); otherwise opened from settings.
    `webhook_transport`: the webhook client's httpx transport (`switchboard.testing`)."""
    services = Services(store or open_store(settings.database_url), settings)
    the_store = services.store
    api = Dispatcher(services)
    app_ref: list[SwitchboardApp] = []  # the app the lifespan belongs to (made below)

    async def healthz(request: Request) -> Reply:
        if await the_store.ping():
            return Reply(b'{"status":"ok"}', 200, render.JSON)
        return render.error(render.AS_JSON, errors.service_unavailable())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await the_store.open()
        try:
            async with (
                open_simulator(
                    the_store, settings, expire=True, transport=webhook_transport
                ) as simulator,
                open_outbox(
                    simulator,
                    settings,
                    busy=lambda: app_ref[0].busy(),
                    crowded=lambda: app_ref[0].crowded(),
                ),
            ):
                services.simulator = simulator
                try:
                    yield
                finally:
                    services.simulator = None
        finally:
            await the_store.close()

    starlette = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/console", lambda _: RedirectResponse("/console/"), methods=["GET", "HEAD"]),
            Mount("/console", app=build_console()),
        ],
        lifespan=lifespan,
    )
    # Every other path (including ones Starlette's converters refuse, such as an encoded
    # newline) gets the API's Twilio-style 404.
    starlette.router.default = api
    starlette.router.redirect_slashes = False
    app = SwitchboardApp(starlette, api, services)
    app_ref.append(app)
    return app


def app_from_env() -> SwitchboardApp:
    """The uvicorn factory (`--factory`) used by `switchboard serve`: settings from the env."""
    return build_app(Settings.from_env())
