"""A call or an SMS reaching a number: which URLs serve it, and the flow Twilio runs.

`number -> application (or the number's own URLs) -> webhook plan -> requests -> trace`.
The plan comes from the application when the number carries `voice_application_sid` (for SMS
`sms_application_sid`), otherwise from the number itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from switchboard.routing import twiml
from switchboard.routing.call_params import (
    DEFAULT_STIR_VERSTAT,
    SIP_RESPONSE_CODES,
    billed_minutes,
    call_token,
)
from switchboard.routing.webhooks import Delivery, Webhooks
from switchboard.store.base import Store
from switchboard.twilio import errors
from switchboard.twilio.dates import rfc2822
from switchboard.twilio.resources import Account, Record

GEO = ("City", "State", "Zip", "Country")
MAX_REDIRECTS = 10
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


@dataclass(frozen=True)
class Plan:
    """The URLs and methods that serve one call or message."""

    application_sid: str | None
    api_version: str
    url: str | None
    method: str
    fallback_url: str | None
    fallback_method: str
    status_callback: str | None
    status_callback_method: str
    caller_id_lookup: bool


def voice_plan(number: Record, app: Record | None) -> Plan:
    src = app or number
    return Plan(
        application_sid=app["sid"] if app else None,
        api_version=src["api_version"] or "2010-04-01",
        url=src["voice_url"] or None,
        method=src["voice_method"],
        fallback_url=src["voice_fallback_url"] or None,
        fallback_method=src["voice_fallback_method"],
        status_callback=src["status_callback"] or None,
        status_callback_method=src["status_callback_method"],
        caller_id_lookup=bool(src["voice_caller_id_lookup"]),
    )


def sms_plan(number: Record, app: Record | None) -> Plan:
    src = app or number
    status_callback = None
    if app is not None:
        status_callback = app["message_status_callback"] or app["sms_status_callback"]
    return Plan(
        application_sid=app["sid"] if app else None,
        api_version=src["api_version"] or "2010-04-01",
        url=src["sms_url"] or None,
        method=src["sms_method"],
        fallback_url=src["sms_fallback_url"] or None,
        fallback_method=src["sms_fallback_method"],
        status_callback=status_callback,
        status_callback_method="POST",
        caller_id_lookup=False,
    )


def num_segments(body: str) -> int:
    """SMS segments: 160/153 GSM-7 characters, or 70/67 UCS-2 code units."""
    if not body:
        return 1
    if all(ch in GSM7 for ch in body):
        single, multi, length = 160, 153, len(body)
    else:
        single, multi, length = 70, 67, len(body.encode("utf-16-le")) // 2
    return 1 if length <= single else math.ceil(length / multi)


@dataclass(frozen=True)
class Step:
    """A verb that ran, and the URL of the document it came from (what its relative URLs
    resolve against)."""

    verb: dict[str, Any]
    base_url: str


@dataclass
class Trace:
    kind: str  # "call" | "message"
    sid: str
    account_sid: str
    from_: str
    to: str
    application_sid: str | None
    status: str = "completed"
    twiml: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    verbs: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Delivery] = field(default_factory=list)
    date_created: int = 0

    def to_json(self) -> dict[str, Any]:
        key = "call_sid" if self.kind == "call" else "message_sid"
        return {
            key: self.sid,
            "account_sid": self.account_sid,
            "from": self.from_,
            "to": self.to,
            "status": self.status,
            "application_sid": self.application_sid,
            "twiml": self.twiml,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "verbs": self.verbs,
            "warnings": self.warnings,
            **({"messages": self.messages} if self.kind == "message" else {}),
            "requests": [r.to_json() for r in self.requests],
            "date_created": rfc2822(self.date_created),
        }


class Router:
    def __init__(self, store: Store, webhooks: Webhooks) -> None:
        self.store = store
        self.webhooks = webhooks

    async def _resolve(self, account: Account, to: str, link: str) -> tuple[Record, Record | None]:
        number = await self.store.find_number(account.sid, to)
        if number is None:
            raise errors.number_not_found(to, account.sid)
        app = None
        if number[link]:
            app = await self.store.get_application(account.sid, number[link])
        return number, app

    async def _fetch_document(
        self,
        trace: Trace,
        purpose: str,
        method: str,
        url: str,
        params: Mapping[str, str],
        token: str,
        *,
        messaging: bool,
    ) -> twiml.Document | None:
        """Request a URL and parse its TwiML; record the request; None when it failed."""
        delivery = await self.webhooks.send(purpose, method, url, params, token)
        trace.requests.append(delivery)
        if not delivery.ok:
            return None
        try:
            doc = twiml.parse(delivery.body, delivery.content_type or "", messaging=messaging)
        except twiml.TwimlError as exc:
            delivery.fail(exc.code, str(exc))
            return None
        trace.twiml = delivery.body
        return doc

    async def _run(
        self,
        trace: Trace,
        plan: Plan,
        params: dict[str, str],
        token: str,
        *,
        messaging: bool,
        url_purpose: str,
        fallback_purpose: str,
    ) -> list[Step]:
        """Primary URL, fallback on failure, then `<Redirect>`s; returns the executed verbs."""
        if plan.url is None:
            trace.status = "failed"
            trace.error_code = 11100
            trace.error_message = f"Invalid URL format: no {url_purpose} is configured"
            return []
        doc = await self._fetch_document(
            trace, url_purpose, plan.method, plan.url, params, token, messaging=messaging
        )
        doc_url = plan.url
        if doc is None:
            failed = trace.requests[-1]
            if plan.fallback_url is None:
                return self._failed(trace, failed)
            fallback_params = {
                **params,
                "ErrorCode": str(failed.error_code),
                "ErrorUrl": failed.url,
            }
            doc = await self._fetch_document(
                trace,
                fallback_purpose,
                plan.fallback_method,
                plan.fallback_url,
                fallback_params,
                token,
                messaging=messaging,
            )
            doc_url = plan.fallback_url
            if doc is None:
                return self._failed(trace, trace.requests[-1])
        executed: list[Step] = []
        for _ in range(MAX_REDIRECTS + 1):
            trace.warnings.extend(doc.warnings)
            redirect = None
            for verb in doc.verbs:
                executed.append(Step(verb, doc_url))
                if verb["verb"] in ("Hangup", "Reject"):
                    return executed
                if verb["verb"] == "Redirect":
                    redirect = verb
                    break
            if redirect is None:
                return executed
            target = urljoin(doc_url, redirect.get("text", ""))
            method = redirect["attributes"].get("method", "POST").upper()
            if method not in ("GET", "POST"):
                method = "POST"
            if not messaging:
                params = {**params, "CallStatus": "in-progress"}
            doc = await self._fetch_document(
                trace, "redirect", method, target, params, token, messaging=messaging
            )
            doc_url = target
            if doc is None:
                return self._failed(trace, trace.requests[-1])
        trace.status = "failed"
        trace.error_code = 11215
        trace.error_message = f"More than {MAX_REDIRECTS} <Redirect>s in a row"
        return executed

    @staticmethod
    def _failed(trace: Trace, delivery: Delivery) -> list[Step]:
        trace.status = "failed"
        trace.error_code = delivery.error_code
        trace.error_message = delivery.error_message
        return []

    # Voice

    async def inbound_call(
        self, account: Account, form: Mapping[str, str], call_sid: str, now: int
    ) -> Trace:
        to, from_ = form["To"], form["From"]
        number, app = await self._resolve(account, to, "voice_application_sid")
        plan = voice_plan(number, app)
        trace = Trace("call", call_sid, account.sid, from_, to, plan.application_sid)
        trace.date_created = now
        params = {
            "AccountSid": account.sid,
            "ApiVersion": plan.api_version,
            "CallSid": call_sid,
            "CallStatus": "ringing",
            "Called": to,
            "Caller": from_,
            "Direction": "inbound",
            "From": from_,
            "To": to,
        }
        if plan.application_sid:
            params["ApplicationSid"] = plan.application_sid
        for side, legacy in (("From", "Caller"), ("To", "Called")):
            for part in GEO:
                value = form.get(f"{side}{part}", "")
                params[f"{side}{part}"] = value
                params[f"{legacy}{part}"] = value
        if plan.caller_id_lookup:
            params["CallerName"] = form.get("CallerName", "")
        if form.get("ForwardedFrom"):
            params["ForwardedFrom"] = form["ForwardedFrom"]
        stir_verstat = form.get("StirVerstat", DEFAULT_STIR_VERSTAT)
        if stir_verstat:  # empty: the call carried no SHAKEN identity, so Twilio sends none
            params["StirVerstat"] = stir_verstat
        params["CallToken"] = call_token(call_sid, from_, to, now // 1_000_000)
        token = account.auth_token
        steps = await self._run(
            trace,
            plan,
            params,
            token,
            messaging=False,
            url_purpose="voice_url",
            fallback_purpose="voice_fallback_url",
        )
        trace.verbs = [step.verb for step in steps]
        if plan.status_callback:
            seconds = int(form.get("CallDuration", "0"))
            callback = {
                **params,
                "CallStatus": trace.status,
                "CallDuration": str(seconds),
                "Duration": str(billed_minutes(seconds)),
                "SipResponseCode": str(SIP_RESPONSE_CODES[trace.status]),
                "Timestamp": rfc2822(now),
                "CallbackSource": "call-progress-events",
                "SequenceNumber": "0",
            }
            delivery = await self.webhooks.send(
                "status_callback",
                plan.status_callback_method,
                plan.status_callback,
                callback,
                token,
            )
            trace.requests.append(delivery)
        return trace

    # Messaging

    async def inbound_message(
        self,
        account: Account,
        form: Mapping[str, str],
        message_sid: str,
        now: int,
        new_sid: Any,
    ) -> Trace:
        to, from_, body = form["To"], form["From"], form.get("Body", "")
        number, app = await self._resolve(account, to, "sms_application_sid")
        plan = sms_plan(number, app)
        trace = Trace("message", message_sid, account.sid, from_, to, plan.application_sid)
        trace.date_created = now
        media = [form[f"MediaUrl{i}"] for i in range(10) if form.get(f"MediaUrl{i}")]
        params = {
            "AccountSid": account.sid,
            "ApiVersion": plan.api_version,
            "Body": body,
            "From": from_,
            "MessageSid": message_sid,
            "NumMedia": str(len(media)),
            "NumSegments": str(num_segments(body)),
            "SmsMessageSid": message_sid,
            "SmsSid": message_sid,
            "SmsStatus": "received",
            "To": to,
        }
        for side in ("From", "To"):
            for part in GEO:
                params[f"{side}{part}"] = form.get(f"{side}{part}", "")
        for i, url in enumerate(media):
            params[f"MediaUrl{i}"] = url
            params[f"MediaContentType{i}"] = form.get(f"MediaContentType{i}") or _guess_type(url)
        token = account.auth_token
        steps = await self._run(
            trace,
            plan,
            params,
            token,
            messaging=True,
            url_purpose="sms_url",
            fallback_purpose="sms_fallback_url",
        )
        trace.verbs = [step.verb for step in steps]
        for step in steps:
            verb = step.verb
            if verb["verb"] != "Message":
                continue
            attrs = verb["attributes"]
            children = verb.get("children", [])
            text = verb.get("text") or next(
                (c.get("text", "") for c in children if c["verb"] == "Body"), ""
            )
            out = {
                "sid": new_sid("SM"),
                "to": attrs.get("to", from_),
                "from": attrs.get("from", to),
                "body": text,
                "media": [c.get("text", "") for c in children if c["verb"] == "Media"],
                "status": "delivered",
            }
            trace.messages.append(out)
            if attrs.get("statusCallback"):
                # Relative to the document, as `<Redirect>` is.
                callback_url: str | None = urljoin(step.base_url, attrs["statusCallback"])
            else:
                callback_url = plan.status_callback
            if not callback_url:
                continue
            for status in ("sent", "delivered"):
                callback = {
                    "AccountSid": account.sid,
                    "ApiVersion": plan.api_version,
                    "From": out["from"],
                    "MessageSid": out["sid"],
                    "MessageStatus": status,
                    "SmsSid": out["sid"],
                    "SmsStatus": status,
                    "To": out["to"],
                }
                delivery = await self.webhooks.send(
                    "message_status_callback", "POST", callback_url, callback, token
                )
                trace.requests.append(delivery)
        return trace


def _guess_type(url: str) -> str:
    import mimetypes

    guessed, _ = mimetypes.guess_type(url.split("?")[0])
    return guessed or "application/octet-stream"
