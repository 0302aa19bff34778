"""A call made with `Calls.json` moves on in jobs (store/base.py `NewJob`), one step each:

    call.initiate -> call.ring -> call.answer -> (the engine runs; call.resume while the far end
    is silent at a <Gather>/<Record>) -> call.complete

Each step changes the call's status (only from the status it expects: a cancel and a job can
never both win) and posts the status callback of its event when the call asked for it
(`StatusCallbackEvent`: initiated ringing answered completed; by default only completed), with
Twilio's parameters. Here: the job kinds, the events and the callback's parameters; no store, no
HTTP (traffic/outbound.py runs the jobs).
"""

from __future__ import annotations

from typing import Any

from switchboard.traffic.call_params import SIP_RESPONSE_CODES, billed_minutes
from switchboard.twilio.dates import rfc2822

INITIATE = "call.initiate"
RING = "call.ring"
ANSWER = "call.answer"
RESUME = "call.resume"
COMPLETE = "call.complete"
KINDS = (INITIATE, RING, ANSWER, RESUME, COMPLETE)

# A status callback's event, by the status it reports.
EVENT_OF = {
    "initiated": "initiated",
    "ringing": "ringing",
    "in-progress": "answered",
    "completed": "completed",
    "busy": "completed",
    "no-answer": "completed",
    "failed": "completed",
    "canceled": "completed",
}

RESUME_MARGIN = 60  # s a paused outbound call is kept beyond its resume (should the job lag)


def callback_params(
    params: dict[str, str],
    status: str,
    at: int,
    sequence: int,
    *,
    duration: int | None = None,
    recording: dict[str, str] | None = None,
) -> dict[str, str]:
    """A status callback: the call's parameters, its `CallStatus` (`initiated`, `ringing`,
    `in-progress`, or how it ended), `Timestamp` (RFC 2822, when the status changed),
    `CallbackSource`, `SequenceNumber` (0, 1, … per call); once ended, `CallDuration` (seconds),
    `Duration` (billed minutes), `SipResponseCode`, and the recording's fields when recorded."""
    out = {
        **params,
        "CallStatus": status,
        "Timestamp": rfc2822(at),
        "CallbackSource": "call-progress-events",
        "SequenceNumber": str(sequence),
    }
    if EVENT_OF[status] == "completed":
        seconds = duration or 0
        out["CallDuration"] = str(seconds)
        out["Duration"] = str(billed_minutes(seconds))
        out["SipResponseCode"] = str(SIP_RESPONSE_CODES.get(status, 200))
        if recording:
            out.update(recording)
    return out


def asked(options: dict[str, Any], status: str) -> bool:
    """Whether the call's status callback wants this status's event."""
    plan = options.get("plan") or {}
    return bool(plan.get("status_callback")) and EVENT_OF[status] in options["events"]


def paused_timeout(waiting: dict[str, Any]) -> int:
    """How long (s) a far end that says nothing keeps a paused `<Gather>`/`<Record>` waiting:
    its `timeout` attribute (Twilio's default, 5 s)."""
    raw = str(waiting.get("attributes", {}).get("timeout", "5")).strip()
    try:
        seconds = int(raw)
    except ValueError:
        return 5
    return max(0, min(seconds, 600))
