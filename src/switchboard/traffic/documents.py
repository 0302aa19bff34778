"""Requesting TwiML: one signed request recorded in the trace, its answer parsed; the first
document of a call or message (its URL, then its fallback URL with `ErrorCode`/`ErrorUrl`).

Shared by the voice engine and the messaging flow; no store, no HTTP server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from switchboard.traffic import twiml
from switchboard.traffic.plans import Plan
from switchboard.traffic.trace import Trace
from switchboard.traffic.webhooks import Delivery


class WebhookClient(Protocol):
    """What the engine needs of `webhooks.Webhooks` (tests hand in a fake)."""

    async def send(
        self, purpose: str, method: str, url: str, params: Mapping[str, str], auth_token: str
    ) -> Delivery: ...


def method_of(value: str | None) -> str:
    """A TwiML `method` attribute: GET or POST, anything else POST (as Twilio reads it)."""
    method = (value or "POST").upper()
    return method if method in ("GET", "POST") else "POST"


class Requester:
    """Sends one trace's webhook requests under one account's token, stamping each with its SID
    and the call time it was made at."""

    def __init__(
        self,
        webhooks: WebhookClient,
        auth_token: str,
        trace: Trace,
        new_sid: Callable[[str], str],
        clock: Callable[[], int] = lambda: 0,
    ) -> None:
        self.webhooks = webhooks
        self.auth_token = auth_token
        self.trace = trace
        self.new_sid = new_sid
        self.clock = clock

    async def send(
        self, purpose: str, method: str, url: str, params: Mapping[str, str]
    ) -> Delivery:
        delivery = await self.webhooks.send(purpose, method, url, params, self.auth_token)
        delivery.sid = self.new_sid("RQ")
        delivery.at = self.clock()
        self.trace.add(delivery)
        return delivery

    async def document(
        self,
        purpose: str,
        method: str,
        url: str,
        params: Mapping[str, str],
        *,
        messaging: bool,
    ) -> twiml.Document | None:
        """Request a URL and parse its TwiML; None (the request marked failed) when either fails."""
        delivery = await self.send(purpose, method, url, params)
        if not delivery.ok:
            return None
        try:
            doc = twiml.parse(delivery.body, delivery.content_type or "", messaging=messaging)
        except twiml.TwimlError as exc:
            delivery.fail(exc.code, str(exc))
            return None
        self.trace.twiml = delivery.body
        self.trace.warnings.extend(doc.warnings)
        return doc

    async def first(
        self,
        plan: Plan,
        params: Mapping[str, str],
        *,
        messaging: bool,
        purposes: tuple[str, str],
    ) -> tuple[twiml.Document, str] | None:
        """The plan's URL, then its fallback; the document and its URL, or None with the trace
        failed (11100 when no URL is configured)."""
        url_purpose, fallback_purpose = purposes
        if plan.url is None:
            self.trace.fail(11100, f"Invalid URL format: no {url_purpose} is configured")
            return None
        doc = await self.document(url_purpose, plan.method, plan.url, params, messaging=messaging)
        if doc is not None:
            return doc, plan.url
        failed = self.trace.requests[-1]
        if plan.fallback_url is not None:
            fallback_params = {
                **params,
                "ErrorCode": str(failed.error_code),
                "ErrorUrl": failed.url,
            }
            doc = await self.document(
                fallback_purpose,
                plan.fallback_method,
                plan.fallback_url,
                fallback_params,
                messaging=messaging,
            )
            if doc is not None:
                return doc, plan.fallback_url
            failed = self.trace.requests[-1]
        self.trace.fail(failed.error_code, failed.error_message)
        return None
