"""build_app(settings) -> the ASGI app. The route table is in one place: `ROUTES`."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from switchboard.api import accounts, applications, control, phone_numbers, render, simulate
from switchboard.api.auth import CredentialCache, authorize
from switchboard.api.context import Call
from switchboard.api.limits import Limits
from switchboard.api.render import Reply
from switchboard.config import Settings
from switchboard.console import build_console
from switchboard.routing.router import Router
from switchboard.routing.targets import TargetPolicy
from switchboard.routing.webhooks import Webhooks
from switchboard.store import Store, open_store
from switchboard.twilio import errors
from switchboard.twilio.errors import TwilioError

log = logging.getLogger("switchboard.api")

Handler = Callable[[Call], Awaitable[Reply]]

MAX_PARAMS = 1000
_ACCOUNT = r"^/2010-04-01/Accounts/(?P<account_sid>[^/]+?)"
_SUFFIX = r"(?P<json>\.json)?\Z"
_EXT_ACCOUNT = r"^/switchboard/v1/Accounts/(?P<account_sid>[^/]+?)"


@dataclass(frozen=True)
class Endpoint:
    pattern: re.Pattern[str]
    methods: dict[str, Handler]
    keys_allowed: bool  # False: /Accounts and /Keys, which standard API keys cannot manage


def _endpoint(path: str, keys_allowed: bool = True, **methods: Handler) -> Endpoint:
    return Endpoint(re.compile(_ACCOUNT + path + _SUFFIX), methods, keys_allowed)


def _extension(path: str, **methods: Handler) -> Endpoint:
    """Our own API beside Twilio's: JSON only, no suffix."""
    return Endpoint(re.compile(_EXT_ACCOUNT + path + r"\Z"), methods, keys_allowed=True)


_NUMBERS = "/IncomingPhoneNumbers"

# Tried in order, the busiest first; every pattern is anchored at both ends, so the order only
# matters where two could match (the numbers' `Local|TollFree|Mobile` before their `{Sid}`).
ROUTES: tuple[Endpoint, ...] = (
    _endpoint(
        r"/Applications/(?P<sid>[^/]+?)",
        GET=applications.fetch,
        POST=applications.update,
        DELETE=applications.delete,
    ),
    _endpoint("/Applications", GET=applications.list_, POST=applications.create),
    Endpoint(
        re.compile(r"^/2010-04-01/Accounts" + _SUFFIX),
        {"GET": accounts.list_accounts, "POST": accounts.create_account},
        keys_allowed=False,
    ),
    _endpoint("", keys_allowed=False, GET=accounts.fetch_account, POST=accounts.update_account),
    _endpoint(_NUMBERS, GET=phone_numbers.list_, POST=phone_numbers.create),
    _endpoint(
        _NUMBERS + r"/(?P<kind>Local|TollFree|Mobile)",
        GET=phone_numbers.list_,
        POST=phone_numbers.create,
    ),
    _endpoint(
        _NUMBERS + r"/(?P<sid>[^/]+?)",
        GET=phone_numbers.fetch,
        POST=phone_numbers.update,
        DELETE=phone_numbers.delete,
    ),
    _endpoint("/Keys", keys_allowed=False, GET=accounts.list_keys, POST=accounts.create_key),
    _endpoint(
        r"/Keys/(?P<sid>[^/]+?)",
        keys_allowed=False,
        GET=accounts.fetch_key,
        POST=accounts.update_key,
        DELETE=accounts.delete_key,
    ),
    _extension("/InboundCalls", POST=simulate.create_call),
    _extension(r"/InboundCalls/(?P<sid>[^/]+)", GET=simulate.fetch_call),
    _extension("/InboundMessages", POST=simulate.create_message),
    _extension(r"/InboundMessages/(?P<sid>[^/]+)", GET=simulate.fetch_message),
    _extension("/Requests", GET=simulate.list_requests),
    Endpoint(re.compile(r"^/switchboard/v1/reset\Z"), {"POST": control.reset}, keys_allowed=False),
)


def _parse_query(raw: bytes) -> dict[str, str]:
    """Strict form/query parsing: UTF-8 only, bounded, the first value of a name wins."""
    if not raw:
        return {}
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_PARAMS)
    except UnicodeDecodeError as exc:
        raise errors.invalid_parameter("Parameters must be valid UTF-8") from exc
    except ValueError as exc:
        raise errors.invalid_parameter(f"Too many parameters (at most {MAX_PARAMS})") from exc
    params: dict[str, str] = {}
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            # No store can keep a NUL (PostgreSQL text cannot), and no Twilio value has one.
            raise errors.invalid_parameter(f"Parameter {name!r} must not contain NUL characters")
        params.setdefault(name, value)
    return params


class ClientGone(Exception):
    """The client disconnected before its request body arrived: nobody to answer."""


def _header(scope: Scope, name: bytes) -> str | None:
    """A request header's value (ASGI servers give names in lower case), or None."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    declared = _header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise errors.body_too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise errors.body_too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _form(scope: Scope, receive: Receive, limit: int) -> dict[str, str]:
    body = await _read_body(scope, receive, limit)
    if not body:
        return {}
    content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if content_type not in ("application/x-www-form-urlencoded", ""):
        raise errors.unsupported_media_type(content_type)
    return _parse_query(body)


class Services:
    """What handlers share: the store, the settings, and (once started) the webhook router."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.credentials = CredentialCache(store)
        self._router: Router | None = None

    @property
    def router(self) -> Router:
        if self._router is None:
            raise RuntimeError("the app has not started")
        return self._router


class SwitchboardApp:
    """The ASGI app: Twilio's paths and our extension go straight to the API dispatcher; the
    rest (health check, and anything unknown, answered with a Twilio-style 404) to Starlette."""

    def __init__(self, starlette: Starlette, api: ASGIApp, services: Services) -> None:
        self.starlette = starlette
        self.api = api
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIXES):
            await self.api(scope, receive, send)
        else:
            await self.starlette(scope, receive, send)


API_PREFIXES = ("/2010-04-01/", "/switchboard/v1/")


def build_app(settings: Settings, store: Store | None = None) -> SwitchboardApp:
    """The whole server. `store` may be given (tests); otherwise opened from settings."""
    services = Services(store or open_store(settings.database_url), settings)
    the_store = services.store
    credentials = services.credentials
    limits = Limits(
        rate=settings.rate_limit,
        concurrency=settings.concurrency_limit,
        auth_failures=settings.auth_failure_limit,
    )

    async def api(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        # The decoded path as sent. (Not a URL rebuilt from it: that drops control characters
        # such as an encoded newline, and `AC…%0A` would pass for `AC…`.)
        path: str = scope["path"]
        rep = render.representation(path)
        try:
            reply = await _dispatch(scope, receive, path, rep)
        except TwilioError as exc:
            reply = render.error(rep, exc)
        except ClientGone:
            return
        except Exception as exc:
            method = scope["method"]
            if the_store.unavailable(exc):
                log.warning("database unavailable on %s %s: %s", method, path, exc)
                reply = render.error(rep, errors.service_unavailable())
            else:
                log.exception("unhandled error on %s %s", method, path)
                reply = render.error(rep, errors.internal_error())
        await reply(scope, receive, send)

    async def _dispatch(
        scope: Scope, receive: Receive, path: str, rep: render.Representation
    ) -> Reply:
        for endpoint in ROUTES:
            match = endpoint.pattern.match(path)
            if match is not None:
                break
        else:
            raise errors.not_found(path)
        peer = scope.get("client")
        client = peer[0] if peer else ""
        limits.check_client(client)
        header = _header(scope, b"authorization")
        try:
            principal = await credentials.authenticate(header)
        except TwilioError as exc:
            if exc.code == 20003 and header:
                limits.auth_failed(client)
            raise
        if principal.key_sid is not None and not endpoint.keys_allowed:
            raise errors.forbidden("A standard API key cannot manage accounts or keys")
        args = {k: v for k, v in match.groupdict().items() if v is not None and k != "json"}
        path_account = args.pop("account_sid", None)
        if path_account is None:
            account = principal.account
        else:
            account = await authorize(credentials, principal, path_account)
        method: str = scope["method"]
        handler = endpoint.methods.get(method)
        if handler is None:
            raise errors.method_not_allowed(method, path)
        if method == "POST":
            params = await _form(scope, receive, settings.max_body_bytes)
        else:
            params = _parse_query(scope.get("query_string", b""))
        call = Call(services, rep, path, principal, account, args, params)
        if not limits.enabled:
            return await handler(call)
        limits.acquire(principal.account_sid)
        try:
            return await handler(call)
        finally:
            limits.release(principal.account_sid)

    async def healthz(request: Request) -> Reply:
        if await the_store.ping():
            return Reply(b'{"status":"ok"}', 200, render.JSON)
        return render.error(render.AS_JSON, errors.service_unavailable())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await the_store.open()
        async with httpx.AsyncClient() as client:
            targets = TargetPolicy(
                settings.webhook_allow, settings.webhook_deny, settings.webhook_deny_private
            )
            webhooks = Webhooks(client, timeout=settings.webhook_timeout, targets=targets)
            services._router = Router(the_store, webhooks)
            try:
                yield
            finally:
                services._router = None
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
    return SwitchboardApp(starlette, api, services)


def app_from_env() -> SwitchboardApp:
    """The uvicorn factory (`--factory`) used by `switchboard serve`: settings from the env."""
    return build_app(Settings.from_env())
