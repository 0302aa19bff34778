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

# The final SIP response of the call, by the status we report. Twilio documents 404 for an
# unreachable number and 487 when the call is not answered in time, and a completed call is
# 200; a simulated call fails only when its application does, which we report as 500.
SIP_RESPONSE_CODES = {"completed": 200, "failed": 500}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def call_token(call_sid: str, from_: str, to: str, issued_at: int) -> str:
    """The `CallToken` parameter's value, percent-encoded as Twilio sends it."""
    header = _b64url(_compact({"alg": "ES256"}).encode())
    claims = {"callSid": call_sid, "from": from_, "to": to, "iat": str(issued_at)}
    signed = f"{header}.{_b64url(_compact(claims).encode())}"
    jwt = f"{signed}.{_b64url(hashlib.sha512(signed.encode()).digest())}"
    return quote(_compact({"parentCallInfoToken": jwt, "identityHeaderTokens": []}), safe="")


def billed_minutes(seconds: int) -> int:
    """`Duration`: the call's length in whole minutes, rounded up (calls are billed by the
    minute)."""
    return -(-seconds // 60)
