"""The messaging engine: an SMS's TwiML executed verb by verb.

`<Message>` sends a reply (recorded in the trace with a new `SM…` SID): its status callback (the
`statusCallback` attribute, else the plan's) receives `sent` then `delivered`, and its `action`
is requested once it is sent, the answer continuing the flow as `<Redirect>` would. No store, no
HTTP server: a function of (message, plan, environment) that leaves a trace, so messages sent
through the REST API can run the same way later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from switchboard.traffic import twiml
from switchboard.traffic.documents import Requester, WebhookClient, method_of
from switchboard.traffic.engine import MAX_TWIML_REDIRECTS
from switchboard.traffic.plans import Plan
from switchboard.traffic.trace import Trace
from switchboard.traffic.webhooks import join
from switchboard.twilio import rules

GEO = ("City", "State", "Zip", "Country")
@dataclass(frozen=True)
class Message:
    """One message arriving: its SID, who sent it to whom, and what the webhook is told."""

    sid: str
    account_sid: str
    auth_token: str = field(repr=False)
    from_: str
    to: str
    body: str
    media: tuple[tuple[str, str | None], ...]  # (url, content type as given)
    received_at: int  # microseconds since the epoch


def inbound_params(message: Message, plan: Plan, form: Mapping[str, str]) -> dict[str, str]:
    """Twilio's parameters for an incoming SMS/MMS."""
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": plan.api_version,
        "Body": message.body,
        "From": message.from_,
        "MessageSid": message.sid,
        "NumMedia": str(len(message.media)),
        "NumSegments": str(rules.num_segments(message.body)),
        "SmsMessageSid": message.sid,
        "SmsSid": message.sid,
        "SmsStatus": "received",
        "To": message.to,
    }
    for side in ("From", "To"):
        for part in GEO:
            params[f"{side}{part}"] = form.get(f"{side}{part}", "")
    for i, (url, content_type) in enumerate(message.media):
        params[f"MediaUrl{i}"] = url
        params[f"MediaContentType{i}"] = content_type or rules.media_content_type(url)
    return params


class MessageRun:
    def __init__(
        self,
        webhooks: WebhookClient,
        new_sid: Callable[[str], str],
        message: Message,
        plan: Plan,
        params: dict[str, str],
    ) -> None:
        self.message = message
        self.plan = plan
        self.params = params
        self.new_sid = new_sid
        self.trace = Trace(
            "message",
            message.sid,
            message.account_sid,
            message.from_,
            message.to,
            plan.application_sid,
            message.received_at,
        )
        self.requester = Requester(webhooks, message.auth_token, self.trace, new_sid)

    async def run(self) -> Trace:
        first = await self.requester.first(
            self.plan, self.params, messaging=True, purposes=("sms_url", "sms_fallback_url")
        )
        redirects = 0
        while first is not None:
            doc, url = first
            first = None
            for verb in doc.verbs:
                self.trace.verbs.append(verb)
                if verb["verb"] == "Redirect":
                    redirects += 1
                    if redirects > MAX_TWIML_REDIRECTS:
                        self.trace.fail(
                            11215, f"More than {MAX_TWIML_REDIRECTS} <Redirect>s in a row"
                        )
                        break
                    target = join(url, verb.get("text", ""))
                    first = await self._next(
                        "redirect", verb["attributes"].get("method"), target, self.params
                    )
                    break
                redirects = 0
                action = await self._send(verb, url)
                if action is not None:
                    target, params = action
                    method = verb["attributes"].get("method")
                    first = await self._next("message_action", method, target, params)
                    break
        return self.trace

    async def _next(
        self, purpose: str, method: str | None, url: str, params: Mapping[str, str]
    ) -> tuple[twiml.Document, str] | None:
        doc = await self.requester.document(
            purpose, method_of(method), url, params, messaging=True
        )
        if doc is None:
            failed = self.trace.requests[-1]
            self.trace.fail(failed.error_code, failed.error_message)
            return None
        return doc, url

    async def _send(self, verb: dict[str, Any], base_url: str) -> tuple[str, dict[str, str]] | None:
        """One `<Message>`: the reply, its status callbacks; its action's URL and parameters."""
        attrs = verb["attributes"]
        children = verb.get("children", [])
        text = verb.get("text") or next(
            (c.get("text", "") for c in children if c["verb"] == "Body"), ""
        )
        media = [c.get("text", "") for c in children if c["verb"] == "Media"]
        out = {
            "sid": self.new_sid("MM" if media else "SM"),
            "to": attrs.get("to", self.message.from_),
            "from": attrs.get("from", self.message.to),
            "body": text,
            "media": media,
            "status": "delivered",
        }
        self.trace.messages.append(out)

        def status_params(status: str) -> dict[str, str]:
            return {
                "AccountSid": self.message.account_sid,
                "ApiVersion": self.plan.api_version,
                "From": out["from"],
                "MessageSid": out["sid"],
                "MessageStatus": status,
                "SmsSid": out["sid"],
                "SmsStatus": status,
                "To": out["to"],
            }

        # Relative to the document that holds the <Message>, as `<Redirect>` is.
        callback = attrs.get("statusCallback")
        callback_url = join(base_url, callback) if callback else self.plan.status_callback
        if callback_url:
            for status in ("sent", "delivered"):
                await self.requester.send(
                    "message_status_callback", "POST", callback_url, status_params(status)
                )
        if not attrs.get("action"):
            return None
        params = {**status_params("sent"), "Body": out["body"], "NumMedia": str(len(out["media"]))}
        return join(base_url, attrs["action"]), params
