"""The parameters of a call made with `Calls.json`, as Twilio judges them (no store, no HTTP).

`parse_create` turns a create's form into the call's `To`, `From` and its options: what the
call's jobs and its updates read later (stored with the call, never shown). What needs the store
(whether `From` is the account's, whether `ApplicationSid` names one of its applications) or the
TwiML parser (a `Twiml` document) is judged where those are at hand (`traffic/simulate.py`).

Twilio's test credentials' magic numbers for calls behave as Twilio documents them, so a test
suite can provoke each refusal: `To` +15005550001 (21217 invalid), `…0002` (21214 cannot be
reached), `…0003` (21215 no international permission), `…0004` (21216 blocked); `From`
+15005550001 (21212 invalid), `…0007` (21210 not the account's); `From` +15005550006 passes as the
account's own number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from switchboard.twilio import errors
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.params import METHODS, WHOLE_NUMBER, parse_bool, valid_url
from switchboard.twilio.rules import E164_RE

CLIENT = "client:"
EVENTS = ("initiated", "ringing", "answered", "completed")
DEFAULT_EVENTS = ("completed",)  # Twilio sends only `completed` unless asked for more
MACHINE_DETECTION = ("Enable", "DetectMessageEnd")
DEFAULT_TIMEOUT = 60  # seconds a call rings before it is `no-answer`
MAX_TIMEOUT = 600
DEFAULT_TIME_LIMIT = 14_400  # seconds: Twilio's longest call (4 hours)
MAX_TWIML = 4000  # characters of a `Twiml` parameter (Twilio's documented limit)
MAX_SEND_DIGITS = 32
MAX_IDENTITY = 256
_SEND_DIGITS = re.compile(r"^[0-9*#wW]+\Z")
_APP_SID = re.compile(r"^AP[0-9a-fA-F]{32}\Z")

# The test credentials' magic numbers (https://www.twilio.com/docs/iam/test-credentials).
MAGIC_TO: dict[str, Callable[[str], TwilioError]] = {
    "+15005550001": errors.call_to_invalid,
    "+15005550002": errors.call_to_unreachable,
    "+15005550003": errors.call_to_not_permitted,
    "+15005550004": errors.call_to_blocked,
}
MAGIC_FROM_INVALID = "+15005550001"
MAGIC_FROM_NOT_OURS = "+15005550007"
MAGIC_FROM_VALID = "+15005550006"


class Form(Protocol):
    def get(self, name: str, default: Any = None) -> Any: ...

    def getall(self, name: str) -> list[str]: ...


def answered_by(detection: str, who: str) -> str:
    """`AnsweredBy` as answering machine detection reports who answered: `Enable` says so as
    soon as it knows (`machine_start`); `DetectMessageEnd` waits for the greeting's end
    (`machine_end_beep`, `_silence`, `_other`). `human`, `fax` and `unknown` as they are."""
    if not who.startswith("machine_"):
        return who
    if detection == "Enable":
        return "machine_start"
    return who if who != "machine_start" else "machine_end_other"


def identity_of(address: str) -> str | None:
    """`client:alice` -> `alice`; None for anything else."""
    if not address.startswith(CLIENT):
        return None
    return address.removeprefix(CLIENT) or None


def formatted(address: str) -> str:
    """`to_formatted`/`from_formatted`: a North American number as `(415) 867-5309`, as in
    Twilio's answers; anything else as it is."""
    if len(address) == 12 and address.startswith("+1") and address[2:].isdigit():
        digits = address[2:]
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return address


def parse_to(raw: str | None) -> str:
    if not raw:
        raise errors.call_to_missing()
    magic = MAGIC_TO.get(raw)
    if magic is not None:
        raise magic(raw)
    if raw.startswith(CLIENT):
        identity = identity_of(raw)
        if identity is None or len(identity) > MAX_IDENTITY or not identity.isprintable():
            raise errors.call_to_invalid(raw)
        return raw
    if not E164_RE.match(raw):
        raise errors.call_to_invalid(raw[:64])
    return raw


def parse_from(raw: str | None, to: str) -> str:
    """`From`: an E.164 number (whether it is the account's is the store's to say), or a
    `client:` address when the call rings a client."""
    if not raw:
        raise errors.call_from_missing()
    if raw == MAGIC_FROM_INVALID:
        raise errors.call_from_invalid(raw)
    if raw == MAGIC_FROM_NOT_OURS:
        raise errors.call_from_not_verified(raw)
    if raw.startswith(CLIENT) and to.startswith(CLIENT) and identity_of(raw) is not None:
        return raw
    if not E164_RE.match(raw):
        raise errors.call_from_invalid(raw[:64])
    return raw


def _url(params: Form, name: str, refusal: Callable[[str, str], TwilioError]) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not valid_url(raw):
        raise refusal(name, raw)
    return str(raw)


def _method(params: Form, name: str) -> str:
    raw = params.get(name)
    if raw is None or raw == "":
        return "POST"
    upper = str(raw).upper()
    if upper not in METHODS:
        raise errors.call_method_invalid(name, raw)
    return upper


def _seconds(params: Form, name: str, default: int, hi: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not WHOLE_NUMBER.match(raw) or not 1 <= int(raw) <= hi:
        raise errors.invalid_parameter(
            f"{name} must be a whole number of seconds from 1 to {hi}, not {raw[:40]!r}"
        )
    return int(raw)


def parse_events(params: Form) -> list[str]:
    """`StatusCallbackEvent`, repeated (twilio-python sends one parameter per event) or
    space-separated (as in TwiML); in Twilio's order."""
    asked: set[str] = set()
    for raw in params.getall("StatusCallbackEvent"):
        for event in raw.replace(",", " ").split():
            if event not in EVENTS:
                raise errors.invalid_parameter(
                    f"StatusCallbackEvent must be among {', '.join(EVENTS)}, not {event[:40]!r}"
                )
            asked.add(event)
    if not asked:
        return list(DEFAULT_EVENTS)
    return [e for e in EVENTS if e in asked]


def parse_create(params: Form) -> tuple[str, str, dict[str, Any]]:
    """`To`, `From`, and the call's options; a TwilioError for the first parameter refused."""
    to = parse_to(params.get("To"))
    from_ = parse_from(params.get("From"), to)
    given = [name for name in ("Url", "Twiml", "ApplicationSid") if params.get(name)]
    if not given:
        raise errors.call_url_missing()
    if len(given) > 1:
        raise errors.invalid_parameter(
            f"Give exactly one of Url, Twiml and ApplicationSid, not {' and '.join(given)}"
        )
    twiml = params.get("Twiml") or None
    if twiml is not None and len(twiml) > MAX_TWIML:
        raise errors.invalid_parameter(
            f"Twiml is {len(twiml)} characters long; at most {MAX_TWIML} are allowed"
        )
    app_sid = params.get("ApplicationSid") or None
    if app_sid is not None and not _APP_SID.match(app_sid):
        raise errors.invalid_application_sid(app_sid[:64])
    send_digits = params.get("SendDigits") or None
    if send_digits is not None and (
        len(send_digits) > MAX_SEND_DIGITS or not _SEND_DIGITS.match(send_digits)
    ):
        raise errors.invalid_parameter(
            f"SendDigits must be at most {MAX_SEND_DIGITS} of 0-9, *, #, w and W, not "
            f"{send_digits[:40]!r}"
        )
    machine_detection = params.get("MachineDetection") or None
    if machine_detection is not None and machine_detection not in MACHINE_DETECTION:
        raise errors.invalid_parameter(
            f"MachineDetection must be Enable or DetectMessageEnd, not {machine_detection[:40]!r}"
        )
    record_raw = params.get("Record")
    options: dict[str, Any] = {
        "url": _url(params, "Url", errors.call_url_invalid),
        "method": _method(params, "Method"),
        "fallback_url": _url(params, "FallbackUrl", errors.call_url_invalid),
        "fallback_method": _method(params, "FallbackMethod"),
        "twiml": twiml,
        "application_sid": app_sid,
        "status_callback": _url(params, "StatusCallback", errors.call_status_callback_invalid),
        "status_callback_method": _method(params, "StatusCallbackMethod"),
        "events": parse_events(params),
        "send_digits": send_digits,
        "timeout": _seconds(params, "Timeout", DEFAULT_TIMEOUT, MAX_TIMEOUT),
        "time_limit": _seconds(params, "TimeLimit", DEFAULT_TIME_LIMIT, DEFAULT_TIME_LIMIT),
        "record": parse_bool("Record", record_raw) if record_raw else False,
        "recording_status_callback": _url(
            params, "RecordingStatusCallback", errors.call_status_callback_invalid
        ),
        "recording_status_callback_method": _method(params, "RecordingStatusCallbackMethod"),
        "machine_detection": machine_detection,
    }
    return to, from_, options


UPDATE_STATUSES = ("canceled", "completed")


def parse_update(params: Form) -> dict[str, Any]:
    """An update's changes: a new document (`Url` or `Twiml`, with `Method`, `FallbackUrl`,
    `FallbackMethod`), `Status`, new status callback, `TimeLimit`. Only what was sent."""
    changes: dict[str, Any] = {}
    if params.get("Url") and params.get("Twiml"):
        raise errors.invalid_parameter("Give Url or Twiml, not both")
    if params.get("Url"):
        changes["url"] = _url(params, "Url", errors.call_url_invalid)
        changes["twiml"] = None
    if params.get("Twiml"):
        twiml = str(params.get("Twiml"))
        if len(twiml) > MAX_TWIML:
            raise errors.invalid_parameter(
                f"Twiml is {len(twiml)} characters long; at most {MAX_TWIML} are allowed"
            )
        changes["twiml"] = twiml
        changes["url"] = None
    for name, key in (("Method", "method"), ("FallbackMethod", "fallback_method"),
                      ("StatusCallbackMethod", "status_callback_method")):  # fmt: skip
        if params.get(name) is not None:
            changes[key] = _method(params, name)
    if params.get("FallbackUrl") is not None:
        changes["fallback_url"] = _url(params, "FallbackUrl", errors.call_url_invalid)
    if params.get("StatusCallback") is not None:
        changes["status_callback"] = _url(
            params, "StatusCallback", errors.call_status_callback_invalid
        )
    if params.get("TimeLimit") is not None:
        changes["time_limit"] = _seconds(
            params, "TimeLimit", DEFAULT_TIME_LIMIT, DEFAULT_TIME_LIMIT
        )
    status = params.get("Status")
    if status is not None:
        if status not in UPDATE_STATUSES:
            raise errors.invalid_parameter(
                f"Status must be canceled or completed, not {str(status)[:40]!r}"
            )
        changes["status"] = status
    return changes
