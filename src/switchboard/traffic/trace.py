"""What happened during one call or message, as plain values: the trace.

Times are integers (`date_created` in microseconds since the epoch, call time in milliseconds),
requests are referred to by their `RQ…` SIDs (each is stored once, in the request log). Rendering
(RFC 2822 dates, the requests joined back in) happens once, in `api/`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from switchboard.store.base import TraceWrite
from switchboard.traffic.webhooks import Delivery


@dataclass
class Trace:
    kind: str  # "call" | "message"
    sid: str
    account_sid: str
    from_: str
    to: str
    application_sid: str | None
    date_created: int  # microseconds since the epoch
    direction: str = "inbound"
    status: str = "completed"
    twiml: str | None = None  # the last document executed
    error_code: int | None = None
    error_message: str | None = None
    verbs: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    request_sids: list[str] = field(default_factory=list)  # every request, in order
    requests: list[Delivery] = field(default_factory=list)  # made since the trace was last saved
    duration: int | None = None  # calls: seconds of call time
    parent_call_sid: str | None = None
    recordings: list[str] = field(default_factory=list)  # RE… made during the call
    waiting: dict[str, Any] | None = None  # a paused interactive call: what it waits for
    # Begun by this run under a SID made for it, never stored: its first save inserts it
    # without looking for a stored one (and there is no paused call of it to forget).
    fresh: bool = False

    def add(self, delivery: Delivery) -> None:
        self.requests.append(delivery)
        self.request_sids.append(delivery.sid)

    def fail(self, code: int | None, message: str | None) -> None:
        self.status = "failed"
        self.error_code = code
        self.error_message = message

    def body(self) -> dict[str, Any]:
        """The stored form: every field but the unsaved requests."""
        return {
            "kind": self.kind,
            "sid": self.sid,
            "account_sid": self.account_sid,
            "from": self.from_,
            "to": self.to,
            "application_sid": self.application_sid,
            "date_created": self.date_created,
            "direction": self.direction,
            "status": self.status,
            "twiml": self.twiml,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "verbs": self.verbs,
            "warnings": self.warnings,
            "messages": self.messages,
            "request_sids": self.request_sids,
            "duration": self.duration,
            "parent_call_sid": self.parent_call_sid,
            "recordings": self.recordings,
            "waiting": self.waiting,
        }

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Trace:
        values = {k: v for k, v in body.items() if k not in ("from", "requests_pruned")}
        return cls(from_=body["from"], **values)


def writes(traces: Sequence[Trace]) -> list[TraceWrite]:
    """Each trace as the store saves it, with the requests made since it was last saved (the
    caller forgets them once saved)."""
    out = []
    for t in traces:
        rows = [(d.sid, d.as_dict()) for d in t.requests]
        out.append(TraceWrite(t.account_sid, t.sid, t.kind, t.status, t.body(), rows, t.fresh))
        t.fresh = False  # a second save looks for the first one's row
    return out
