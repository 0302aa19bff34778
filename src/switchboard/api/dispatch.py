"""The API's dispatcher: path -> route -> auth -> limits -> handler -> reply.

An ASGI app for Twilio's paths and our extension. `handle` answers one request as a `Reply`
without sending it, so tests can drive the dispatcher in-process (with any `Store`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.types import Receive, Scope, Send

from switchboard.api import render, wire
from switchboard.api.auth import authorize
from switchboard.api.context import ApiRequest, Services
from switchboard.api.limits import Limits
from switchboard.api.render import Reply, Representation
from switchboard.api.routes import EXTENSION_ROOT, Route, build_routes
from switchboard.twilio import errors
from switchboard.twilio.errors import TwilioError

log = logging.getLogger("switchboard.api")

PREFIXES = ("/2010-04-01/", f"{EXTENSION_ROOT}/")


class Dispatcher:
    def __init__(self, services: Services, routes: Sequence[Route] | None = None) -> None:
        self.services = services
        self.routes = tuple(routes) if routes is not None else build_routes()
        settings = services.settings
        self.limits = Limits(
            rate=settings.rate_limit,
            concurrency=settings.concurrency_limit,
            auth_failures=settings.auth_failure_limit,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            reply = await self.handle(scope, receive)
        except wire.ClientGone:
            return
        await reply(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive) -> Reply:
        """The answer to one request: a TwilioError becomes its error body; an unexpected
        error a 500 (logged), or a 503 when the database cannot be reached."""
        # The decoded path as sent. (Not a URL rebuilt from it: that drops control characters
        # such as an encoded newline, and `AC…%0A` would pass for `AC…`.)
        path: str = scope["path"]
        rep = render.representation(path)
        try:
            return await self._dispatch(scope, receive, path, rep)
        except TwilioError as exc:
            return render.error(rep, exc)
        except wire.ClientGone:
            raise
        except Exception as exc:
            method = scope["method"]
            if self.services.store.unavailable(exc):
                log.warning("database unavailable on %s %s: %s", method, path, exc)
                return render.error(rep, errors.service_unavailable())
            log.exception("unhandled error on %s %s", method, path)
            return render.error(rep, errors.internal_error())

    async def _dispatch(
        self, scope: Scope, receive: Receive, path: str, rep: Representation
    ) -> Reply:
        for route in self.routes:
            args = route.template.match(path)
            if args is not None:
                break
        else:
            raise errors.not_found(path)
        services, limits = self.services, self.limits
        peer = scope.get("client")
        client = peer[0] if peer else ""
        limits.check_client(client)
        header = wire.header(scope, b"authorization")
        credentials = services.credentials
        try:
            principal = await credentials.authenticate(header)
        except TwilioError as exc:
            if exc.code == 20003 and header:
                limits.auth_failed(client)
            raise
        if principal.key_sid is not None and not route.keys_allowed:
            raise errors.forbidden("A standard API key cannot manage accounts or keys")
        if route.account is None:
            account = principal.account
        else:
            account = await authorize(credentials, principal, args.pop(route.account))
        method: str = scope["method"]
        handler = route.methods.get(method)
        if handler is None:
            raise errors.method_not_allowed(method, path, route.allowed)
        if method == "POST":
            params = await wire.read_form(scope, receive, services.settings.max_body_bytes)
        else:
            params = wire.parse_query(scope.get("query_string", b""))
        req = ApiRequest(services, rep, path, principal, account, args, params)
        if not limits.enabled:
            return await handler(req)
        limits.acquire(principal.account_sid)
        try:
            return await handler(req)
        finally:
            limits.release(principal.account_sid)
