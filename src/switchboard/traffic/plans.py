"""Which URLs serve a call or a message: a number (through its application, when it has one)
becomes a webhook plan.

The application wins when the number carries `voice_application_sid` (for SMS
`sms_application_sid`); otherwise the number's own URLs serve. A Voice SDK grant names an
application alone (`application_plan`). Outbound calls will add their own constructors here; the
engine only ever sees a `Plan`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from switchboard.twilio.resources import Record


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Plan:
        return cls(**values)


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


def application_plan(app: Record) -> Plan:
    """A TwiML App serving a call by itself (a Voice SDK grant's outgoing application)."""
    return voice_plan(app, app)


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
