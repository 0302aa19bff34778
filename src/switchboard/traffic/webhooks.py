"""Deliver one webhook request the way Twilio does, and record what happened.

Failures carry Twilio's codes: 11205 when no connection could be made, 11200 for a timeout or a
non-2xx answer (HTTP retrieval failure), 11750 for an answer over 64 KiB. Document errors (12100,
12300) are the TwiML parser's. The timeout bounds the request as a whole (connect, send, every
byte of the answer, redirects included), so a receiver trickling bytes cannot hold a call.
Twilio's connection overrides in the URL fragment are honoured within it: `#ct=` (connect
timeout, ms), `#rt=` (read timeout, ms) and `#tt=` (total time, ms); the fragment is never sent
or signed.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import httpx

from switchboard.traffic import answer
from switchboard.traffic.targets import TargetPolicy
from switchboard.traffic.transport import Http1Transport, plain_target
from switchboard.twilio.forms import urlencode
from switchboard.twilio.params import WHOLE_NUMBER
from switchboard.twilio.signature import compute_signature

USER_AGENT = "TwilioProxy/1.1"
MAX_BODY = 64 * 1024  # Twilio's limit for a TwiML document
RECORDED_BODY = 16 * 1024  # how much of an answer a trace keeps
MAX_HTTP_REDIRECTS = 5  # HTTP 3xx followed within one request (TwiML <Redirect>s: engine.py)


@dataclass
class Delivery:
    """One HTTP request we made and its outcome, as a trace shows it. `sid` (`RQ…`) and `at`
    (milliseconds of call time) are the engine's: the request log's row and the call's clock."""

    purpose: str
    method: str
    url: str
    params: dict[str, str]
    headers: dict[str, str]
    status_code: int | None = None
    response_body: str | None = None
    content_type: str | None = None
    duration_ms: float = 0.0
    error_code: int | None = None
    error_message: str | None = None
    body: str = field(default="", repr=False)  # the whole answer (up to MAX_BODY), not stored
    sid: str = ""
    at: int = 0

    @property
    def ok(self) -> bool:
        return self.error_code is None

    def fail(self, code: int, message: str) -> None:
        self.error_code = code
        self.error_message = message

    def as_dict(self) -> dict[str, Any]:
        """The request as the request log stores it (plain values)."""
        return {
            "purpose": self.purpose,
            "method": self.method,
            "url": self.url,
            "params": self.params,
            "headers": self.headers,
            "status_code": self.status_code,
            "response_body": self.response_body,
            "content_type": self.content_type,
            "duration_ms": round(self.duration_ms, 3),
            "error_code": self.error_code,
            "error_message": self.error_message,
            "at": self.at,
        }


# Twilio's ranges (ms) of the connection overrides read here.
_OVERRIDE_RANGES = {"ct": (100, 10_000), "rt": (100, 15_000), "tt": (100, 15_000)}


def _overrides(url: str, default_timeout: float) -> tuple[str, float, float, float]:
    """Strip the fragment; read Twilio's `ct`/`rt`/`tt` connection overrides from it, each
    clamped to Twilio's range (ms). The URL, the connect timeout, the read timeout, and the
    total time (never over `default_timeout`, the server's bound on the whole request)."""
    connect = min(5.0, default_timeout)
    read = total = default_timeout
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed bracketed host: the request fails as an invalid URL
        return url.partition("#")[0], connect, read, total
    if parts.fragment:
        for key, value in parse_qsl(parts.fragment):
            bounds = _OVERRIDE_RANGES.get(key)
            if bounds is None or not WHOLE_NUMBER.match(value):
                continue  # not an override read here, or not a number of milliseconds
            seconds = min(max(int(value), bounds[0]), bounds[1]) / 1000
            if key == "ct":
                connect = seconds
            elif key == "rt":
                read = seconds
            else:
                total = min(seconds, default_timeout)
        url = urlunsplit(parts._replace(fragment=""))
    return url, connect, read, total


def _header_pairs(
    method: str, netloc: bytes, headers: Mapping[str, str], content: bytes | None
) -> list[tuple[bytes, bytes]]:
    """The headers `httpx.Request(method, url, headers=headers, content=content)` would carry, in
    its order (`Request._prepare`): Host, then Content-Length 0 for a POST without a body, the
    headers as given, then Content-Length for a body."""
    pairs = [(b"Host", netloc)]
    if not content and method in ("POST", "PUT", "PATCH"):
        pairs.append((b"Content-Length", b"0"))
    pairs += [(name.encode("ascii"), value.encode("ascii")) for name, value in headers.items()]
    if content:
        pairs.append((b"Content-Length", str(len(content)).encode("ascii")))
    return pairs


def idempotency_token() -> str:
    """`I-Twilio-Idempotency-Token`: a random (version 4) UUID, as `str(uuid.uuid4())` writes
    it, without making a `UUID` (a third of the cost)."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def request_url(url: str, method: str, params: Mapping[str, str]) -> str:
    """The URL as requested: for GET, the parameters appended to its query string."""
    if method != "GET" or not params:
        return url
    try:
        query = urlsplit(url).query
    except ValueError:  # a malformed bracketed host: the request fails as an invalid URL
        query = url.partition("#")[0].partition("?")[2]
    return f"{url}{'&' if query else '?'}{urlencode(params)}"


def join(base: str, ref: str) -> str:
    """`urljoin(base, ref)`: a URL of a TwiML document (`<Redirect>`, an `action`, a status
    callback) resolved against the document's own. A reference `urljoin` refuses (a malformed
    bracketed host, `http://[1::2::3]/`) is kept as written: requesting it fails as an invalid
    URL (11205), where it made the whole call or message fail with a 500."""
    try:
        return urljoin(base, ref)
    except ValueError:
        return ref


class Webhooks:
    """Sends signed webhook requests over one shared transport (keep-alive, async).

    The transport is called directly, not through an `httpx.AsyncClient`: the client's layers
    (URL merging, cookies, auth and redirect flows, event hooks) did nothing for a webhook and
    cost as much as the lean transport itself; redirects are followed here, under the target
    policy. The request carries what the client used to add: `Connection: keep-alive`."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        *,
        timeout: float = 15.0,
        targets: TargetPolicy | None = None,
    ) -> None:
        self.transport = transport
        # Plain-HTTP requests go straight to the lean transport's `exchange`, without an
        # `httpx.Request`; any other transport (the testing toolkit's) gets httpx's interface.
        self._lean = transport if isinstance(transport, Http1Transport) else None
        self.timeout = timeout
        self.targets = targets or TargetPolicy()

    async def send(
        self,
        purpose: str,
        method: str,
        url: str,
        params: Mapping[str, str],
        auth_token: str,
    ) -> Delivery:
        method = method.upper()
        url, connect, read, total = _overrides(url, self.timeout)
        full_url = request_url(url, method, params)
        signed_params: Mapping[str, str] = params if method == "POST" else {}
        headers = {
            "Accept": "*/*",
            "Accept-Encoding": "gzip",
            "Cache-Control": "max-age=259200",
            "User-Agent": USER_AGENT,
            "I-Twilio-Idempotency-Token": idempotency_token(),
            "X-Home-Region": "us1",
            "X-Twilio-Signature": compute_signature(full_url, signed_params, auth_token),
        }
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
        delivery = Delivery(purpose, method, full_url, dict(params), headers)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(total):
                raw = await self._exchange(delivery, (connect, read), urlencode(params).encode())
        except TimeoutError:
            delivery.fail(11200, f"HTTP retrieval failure: no complete answer within {total:g} s")
            raw = b""
        delivery.duration_ms = (time.perf_counter() - started) * 1000
        delivery.body = raw.decode("utf-8", errors="replace")
        delivery.response_body = delivery.body[:RECORDED_BODY] if raw else None
        status = delivery.status_code
        if delivery.ok and status is not None and not 200 <= status < 300:
            delivery.fail(11200, f"HTTP retrieval failure: status {status}")
        return delivery

    async def _exchange(
        self, delivery: Delivery, timeouts: tuple[float, float], form: bytes
    ) -> bytes:
        """Send, following up to MAX_HTTP_REDIRECTS redirects, each hop checked against the target
        policy (so a public URL cannot bounce the server onto a denied address). Returns the
        answer's body; failures are recorded on `delivery`."""
        method, url = delivery.method, delivery.url
        content: bytes | None = form if method == "POST" else None
        headers = {**delivery.headers, "Connection": "keep-alive"}
        try:
            for _ in range(MAX_HTTP_REDIRECTS + 1):
                refusal = await self.targets.refusal(url)
                if refusal is not None:
                    delivery.fail(11200, f"HTTP retrieval failure: {refusal}")
                    return b""
                response = await self._request(method, url, headers, content, timeouts)
                try:
                    location = response.headers.get("location")
                    if response.is_redirect and location:
                        url = join(url, location)
                        if response.status_code in (301, 302, 303) and method == "POST":
                            method, content = "GET", None
                        continue
                    delivery.status_code = response.status_code
                    delivery.content_type = response.headers.get("content-type", "")
                    return await answer.read(response, MAX_BODY)
                finally:
                    await response.aclose()
            delivery.fail(11215, "HTTP too many redirects")
        except answer.AnswerError as exc:
            delivery.fail(exc.code, str(exc))
        except httpx.TimeoutException as exc:
            delivery.fail(11200, f"HTTP retrieval failure: timed out ({type(exc).__name__})")
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            delivery.fail(11205, f"HTTP connection failure: {type(exc).__name__}")
        return b""

    async def _request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        timeouts: tuple[float, float],
    ) -> httpx.Response:
        """One hop: through the lean transport's `exchange` when it takes the URL, else as an
        `httpx.Request` (the same bytes either way)."""
        connect, read = timeouts
        lean = self._lean
        target = None if lean is None else plain_target(url)
        if lean is not None and target is not None:
            pairs = _header_pairs(method, target.netloc, headers, content)
            return await lean.exchange(
                method.encode("ascii"), target, pairs, content or b"", connect, read
            )
        try:
            request = httpx.Request(
                method,
                url,
                headers=headers,
                content=content,
                extensions={
                    "timeout": {"connect": connect, "read": read, "write": read, "pool": read}
                },
            )
        except ValueError as exc:  # what httpx's URL parsing raises besides InvalidURL (IDNA)
            raise httpx.InvalidURL(str(exc)) from None
        return await self.transport.handle_async_request(request)
