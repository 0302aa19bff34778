"""Voice parameters that are computed rather than copied: the caller's SHAKEN/STIR verdict, the
`CallToken`, and the status callback's billing minutes and SIP code.

Shapes follow real captures of Twilio's requests:
- `StirVerstat=TN-Validation-Passed-A` (the verification verdict and attestation level);
- `CallToken` is URL-encoded JSON (so it arrives percent-encoded even after the form is decoded):
  `{"parentCallInfoToken":"<JWT>","identityHeaderTokens":[]}`, the JWT being an ES256 header,
  `{"callSid","from","to","iat"}` (iat a string of epoch seconds), and a 64-byte signature. We
  have no Twilio key: the "signature" is a SHA-512 digest of the signed part, so the value has the
  real format and is stable for one call, but verifies against nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from urllib.parse import quote

STIR_VERSTATS = frozenset(
    {
        "TN-Validation-Passed-A",
        "TN-Validation-Passed-B",
        "TN-Validation-Passed-C",
        "TN-Validation-Failed-A",
        "TN-Validation-Failed-B",
        "TN-Validation-Failed-C",
        "TN-Validation-Failed",
        "No-TN-Validation",
    }
)
DEFAULT_STIR_VERSTAT = "TN-Validation-Passed-A"

GEO = ("City", "State", "Zip", "Country")
# An inbound call's geography parameters, in the order they are sent: each `From…` then the
# legacy `Caller…` that repeats it, then `To…` and `Called…`.
_GEO_NAMES = tuple(
    (f"{side}{part}", f"{legacy}{part}")
    for side, legacy in (("From", "Caller"), ("To", "Called"))
    for part in GEO
)

# The final SIP response of the call, by the status we report. Twilio documents 404 for an
# unreachable number and 487 when the call is not answered in time (no-answer, canceled), SIP has
# 486 for busy, and a completed call is 200; a simulated call fails only when its application
# does, which we report as 500.
SIP_RESPONSE_CODES = {
    "completed": 200,
    "failed": 500,
    "busy": 486,
    "no-answer": 487,
    "canceled": 487,
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# `json.dumps(value, separators=(",", ":"))`, without making an encoder for each call.
_compact = json.JSONEncoder(separators=(",", ":")).encode

# What does not change from one call to the next, made once: the JWT's header, and the token's
# JSON around the JWT, percent-encoded (the JWT itself, base64url and dots, is left as it is by
# `quote`, so quoting the parts is quoting the whole).
_JWT_HEADER = _b64url(_compact({"alg": "ES256"}).encode())
_TOKEN_HEAD, _TOKEN_TAIL = (
    quote(part, safe="")
    for part in _compact({"parentCallInfoToken": "JWT", "identityHeaderTokens": []}).split("JWT")
)


def call_token(call_sid: str, from_: str, to: str, issued_at: int) -> str:
    """The `CallToken` parameter's value, percent-encoded as Twilio sends it."""
    claims = {"callSid": call_sid, "from": from_, "to": to, "iat": str(issued_at)}
    signed = f"{_JWT_HEADER}.{_b64url(_compact(claims).encode())}"
    jwt = f"{signed}.{_b64url(hashlib.sha512(signed.encode()).digest())}"
    return f"{_TOKEN_HEAD}{jwt}{_TOKEN_TAIL}"


def billed_minutes(seconds: int) -> int:
    """`Duration`: the call's length in whole minutes, rounded up (calls are billed by the
    minute)."""
    return -(-seconds // 60)


def inbound_params(
    *,
    account_sid: str,
    api_version: str,
    application_sid: str | None,
    call_sid: str,
    from_: str,
    to: str,
    form: Mapping[str, str],
    caller_id_lookup: bool,
    issued_at: int,
) -> dict[str, str]:
    """The parameters of an inbound call, which every request of the call carries.

    `form`: what the simulation was told about the caller (geography, `CallerName`,
    `ForwardedFrom`, `StirVerstat`); `issued_at`: epoch seconds, for the `CallToken`.
    """
    params = {
        "AccountSid": account_sid,
        "ApiVersion": api_version,
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Called": to,
        "Caller": from_,
        "Direction": "inbound",
        "From": from_,
        "To": to,
    }
    if application_sid:
        params["ApplicationSid"] = application_sid
    for name, legacy in _GEO_NAMES:
        params[name] = params[legacy] = form.get(name, "")
    if caller_id_lookup:
        params["CallerName"] = form.get("CallerName", "")
    if form.get("ForwardedFrom"):
        params["ForwardedFrom"] = form["ForwardedFrom"]
    stir_verstat = form.get("StirVerstat", DEFAULT_STIR_VERSTAT)
    if stir_verstat:  # empty: the call carried no SHAKEN identity, so Twilio sends none
        params["StirVerstat"] = stir_verstat
    params["CallToken"] = call_token(call_sid, from_, to, issued_at)
    return params


def dial_leg_params(
    *, account_sid: str, api_version: str, call_sid: str, parent_call_sid: str, from_: str, to: str
) -> dict[str, str]:
    """The parameters of the leg a `<Dial>` places (what its whisper `url` receives)."""
    return {
        "AccountSid": account_sid,
        "ApiVersion": api_version,
        "CallSid": call_sid,
        "CallStatus": "in-progress",
        "Called": to,
        "Caller": from_,
        "Direction": "outbound-dial",
        "From": from_,
        "ParentCallSid": parent_call_sid,
        "To": to,
    }


def outbound_params(
    *,
    account_sid: str,
    api_version: str,
    application_sid: str | None,
    call_sid: str,
    from_: str,
    to: str,
) -> dict[str, str]:
    """The parameters of a call made with `Calls.json` (Direction `outbound-api`), which every
    request of the call carries: those of an inbound call without what only a carrier's
    inbound leg has (`StirVerstat`, `CallToken`); the geography Switchboard does not know is
    empty, as Twilio sends what it does not know."""
    params = {
        "AccountSid": account_sid,
        "ApiVersion": api_version,
        "CallSid": call_sid,
        "CallStatus": "in-progress",
        "Called": to,
        "Caller": from_,
        "Direction": "outbound-api",
        "From": from_,
        "To": to,
    }
    if application_sid:
        params["ApplicationSid"] = application_sid
    for side, legacy in (("From", "Caller"), ("To", "Called")):
        for part in GEO:
            params[f"{side}{part}"] = ""
            params[f"{legacy}{part}"] = ""
    return params
