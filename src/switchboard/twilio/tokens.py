"""Access Tokens for the Voice SDK, verified as Twilio verifies them.

An Access Token is a JWT that an application's server mints with one of the account's API keys
(twilio-python's `AccessToken` with a `VoiceGrant`, twilio-node's `jwt.AccessToken`): header
`{"typ": "JWT", "alg": "HS256", "cty": "twilio-fpa;v=1"}`, claims `iss` (the key's SID), `sub`
(the account's SID), `exp`, optionally `nbf` and `iat`, and `grants` (`identity`, `voice`), signed
with HMAC-SHA256 under the key's secret.

`verify` is pure: the token's text, a way to look up a key and the current time in; the token's
meaning (`VoiceToken`) or a `TwilioError` carrying the Voice SDK's code out. Whether the outgoing
application exists (21218) and whether the account is active are for the caller, which has the
store. The order of the checks is fixed: form, header, issuer and subject, signature, times,
grants; no claim is trusted before the signature is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import orjson

from switchboard.twilio.errors import TokenRefusal, token_refused
from switchboard.twilio.resources import ApiKey
from switchboard.twilio.sids import is_sid

MAX_LIFETIME = 24 * 3600
"""Seconds: Twilio's maximum lifetime of an Access Token (20157 beyond it)."""

MAX_LENGTH = 16 * 1024
"""Characters: a token longer than this is refused before anything is decoded (ours)."""

MAX_IDENTITY = 256
"""Characters in `grants.identity` (ours: Twilio documents no number)."""

HEADER = {"typ": "JWT", "alg": "HS256", "cty": "twilio-fpa;v=1"}

# Twilio: "Voice tokens may only contain alpha-numeric and underscore characters."
_IDENTITY = re.compile(r"[A-Za-z0-9_]+\Z")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*\Z")
_VOICE_KEYS = frozenset({"incoming", "outgoing", "push_credential_sid", "endpoint_id"})
_LAST_DATE = 253402300799  # 9999-12-31T23:59:59Z: a NumericDate beyond it is not a date

Param = str | int | float | bool
KeyLookup = Callable[[str], Awaitable[ApiKey | None]]
"""An API key by SID, whatever its account (`Store.get_key`, `CredentialCache.get_key`)."""
SubjectCheck = Callable[[str], Awaitable[bool]]
"""Whether the token's account (`sub`) may be used here (the flows: the caller's own account or
one it may act on)."""


@dataclass(frozen=True)
class VoiceToken:
    """What a verified token grants."""

    identity: str
    account_sid: str
    key_sid: str
    incoming_allowed: bool
    outgoing_application_sid: str | None  # None: the token cannot place calls
    outgoing_params: Mapping[str, Param]  # for the application's webhook; {} when none
    expires: float  # `exp`, seconds since the epoch


async def verify(
    token: str, lookup: KeyLookup, now: float, *, subject_allowed: SubjectCheck | None = None
) -> VoiceToken:
    """The grant of a valid Voice Access Token; a TwilioError (401, 201xx) saying what is wrong
    with any other. `now`: seconds since the epoch. `subject_allowed`: a `sub` it refuses is
    20103 before any key is looked up, so a token naming another tenant's account and key tells
    nothing about that key."""
    header_part, payload_part, signature = _parts(token)
    _check_header(_json(header_part, "header"))
    claims = _json(payload_part, "payload")
    key = await _signing_key(claims, lookup, subject_allowed)
    _check_signature(f"{header_part}.{payload_part}", signature, key)
    expires = _check_times(claims, now)
    return _voice_token(claims, key, expires)


def _parts(token: str) -> tuple[str, str, bytes]:
    """The header and payload parts as sent (the signature covers their text), and the
    signature's bytes."""
    if len(token) > MAX_LENGTH:
        raise token_refused(
            TokenRefusal.INVALID, f"the token is longer than {MAX_LENGTH} characters"
        )
    parts = token.split(".")
    if len(parts) != 3:
        raise token_refused(
            TokenRefusal.INVALID,
            f"a JWT has three dot-separated parts (header.payload.signature), not {len(parts)}",
        )
    return parts[0], parts[1], _base64url(parts[2], "signature")


def _base64url(part: str, what: str) -> bytes:
    """Unpadded base64url, in its one canonical spelling."""
    raw = None
    if _BASE64URL.match(part) and len(part) % 4 != 1:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    if raw is None or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != part:
        raise token_refused(TokenRefusal.INVALID, f"the {what} is not unpadded base64url")
    return raw


def _json(part: str, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(_base64url(part, what))
    except orjson.JSONDecodeError:
        raise token_refused(TokenRefusal.INVALID, f"the {what} is not JSON") from None
    if not isinstance(value, dict):
        raise token_refused(TokenRefusal.INVALID, f"the {what} is not a JSON object")
    return value


def _check_header(header: dict[str, Any]) -> None:
    for name, wanted in HEADER.items():
        if header.get(name) != wanted:
            got = _show(header[name]) if name in header else "missing"
            raise token_refused(
                TokenRefusal.HEADER_INVALID, f"{name} must be {_show(wanted)}, not {got}"
            )
    if "crit" in header:  # RFC 7515: extensions the verifier must understand; we know none
        raise token_refused(
            TokenRefusal.HEADER_INVALID, "crit names extensions Switchboard does not know"
        )


async def _signing_key(
    claims: dict[str, Any], lookup: KeyLookup, subject_allowed: SubjectCheck | None
) -> ApiKey:
    """The key `iss` names, which must belong to the account `sub` names and have a secret."""
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not isinstance(issuer, str) or not is_sid(issuer, "SK"):
        raise token_refused(
            TokenRefusal.ISSUER_INVALID,
            f"iss must be the SID of the API key that signed the token (SK…), not {_show(issuer)}",
        )
    if not isinstance(subject, str) or not is_sid(subject, "AC"):
        raise token_refused(
            TokenRefusal.ISSUER_INVALID,
            f"sub must be the SID of the token's account (AC…), not {_show(subject)}",
        )
    if subject_allowed is not None and not await subject_allowed(subject):
        raise token_refused(
            TokenRefusal.ISSUER_INVALID,
            f"sub {subject} is not an account these credentials may act for",
        )
    key = await lookup(issuer)
    # One answer for a deleted key and another account's: the SID alone tells nothing.
    if key is None or key.account_sid != subject:
        raise token_refused(
            TokenRefusal.ISSUER_INVALID, f"iss {issuer} is not an API key of account {subject}"
        )
    if key.secret is None:
        raise token_refused(
            TokenRefusal.ISSUER_INVALID,
            f"API key {issuer} was created before Switchboard kept key secrets; it cannot sign "
            "Access Tokens: create a new key",
        )
    return key


def _check_signature(signed: str, signature: bytes, key: ApiKey) -> None:
    secret = key.secret or ""  # never empty here: `_signing_key` refuses keys without one
    expected = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise token_refused(
            TokenRefusal.SIGNATURE_INVALID,
            f"the token is not signed with the secret of API key {key.sid}",
        )


def _numeric_date(claims: dict[str, Any], name: str) -> float | None:
    """A NumericDate claim (seconds since the epoch, up to year 9999), None when absent;
    ValueError if it is anything else."""
    if name not in claims:
        return None
    value = claims[name]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= _LAST_DATE
    ):
        raise ValueError(f"{name} must be a number of seconds since the epoch, not {_show(value)}")
    return float(value)


def _check_times(claims: dict[str, Any], now: float) -> float:
    """`exp` (required, in the future), `nbf` (past), at most 24 h after the earliest of `iat`,
    `nbf` and now. Returns `exp`."""
    try:
        expires = _numeric_date(claims, "exp")
    except ValueError as exc:
        raise token_refused(TokenRefusal.EXPIRED, str(exc)) from None
    if expires is None:
        raise token_refused(TokenRefusal.EXPIRED, "the token has no exp (expiration time)")
    try:
        not_before = _numeric_date(claims, "nbf")
    except ValueError as exc:
        raise token_refused(TokenRefusal.NOT_YET_VALID, str(exc)) from None
    try:
        issued = _numeric_date(claims, "iat")
    except ValueError as exc:
        raise token_refused(TokenRefusal.INVALID, str(exc)) from None
    if now >= expires:
        raise token_refused(TokenRefusal.EXPIRED, f"the token expired at {_when('exp', expires)}")
    starts = (("iat", issued), ("nbf", not_before), ("now", now))
    start, since = min((t, name) for name, t in starts if t is not None)
    if expires - start > MAX_LIFETIME:
        raise token_refused(
            TokenRefusal.LIFETIME_TOO_LONG,
            f"the token lives {expires - start:.0f} s, from {_when(since, start)} to "
            f"{_when('exp', expires)}; an Access Token lives at most {MAX_LIFETIME} s (24 h)",
        )
    if not_before is not None and now < not_before:
        raise token_refused(
            TokenRefusal.NOT_YET_VALID, f"the token is valid from {_when('nbf', not_before)}"
        )
    return expires


def _voice_token(claims: dict[str, Any], key: ApiKey, expires: float) -> VoiceToken:
    grants = claims.get("grants")
    if not isinstance(grants, dict):
        raise token_refused(
            TokenRefusal.GRANTS_INVALID, f"grants must be an object, not {_show(grants)}"
        )
    identity = grants.get("identity")
    if not isinstance(identity, str) or not _IDENTITY.match(identity):
        raise token_refused(
            TokenRefusal.GRANTS_INVALID,
            "grants.identity must be letters, digits and underscores (a Voice client's name), "
            f"not {_show(identity)}",
        )
    if len(identity) > MAX_IDENTITY:
        raise token_refused(
            TokenRefusal.GRANTS_INVALID, f"grants.identity is longer than {MAX_IDENTITY} characters"
        )
    voice = _object(grants, "voice", "grants.voice", required=True)
    _only(voice, _VOICE_KEYS, "grants.voice")
    for name in ("push_credential_sid", "endpoint_id"):
        if name in voice and not isinstance(voice[name], str):
            raise token_refused(
                TokenRefusal.GRANTS_INVALID,
                f"grants.voice.{name} must be a string, not {_show(voice[name])}",
            )
    incoming = _incoming_allowed(voice)
    application_sid, params = _outgoing(voice)
    if not incoming and application_sid is None:
        raise token_refused(
            TokenRefusal.GRANTS_INVALID,
            "grants.voice allows neither incoming calls (incoming.allow) nor outgoing ones "
            "(outgoing.application_sid)",
        )
    return VoiceToken(
        identity=identity,
        account_sid=key.account_sid,
        key_sid=key.sid,
        incoming_allowed=incoming,
        outgoing_application_sid=application_sid,
        outgoing_params=params,
        expires=expires,
    )


def _object(parent: dict[str, Any], name: str, where: str, *, required: bool) -> dict[str, Any]:
    """`parent[name]`, an object ({} when absent and not required)."""
    if name not in parent and not required:
        return {}
    value = parent.get(name)
    if not isinstance(value, dict):
        raise token_refused(
            TokenRefusal.GRANTS_INVALID, f"{where} must be an object, not {_show(value)}"
        )
    return value


def _only(value: dict[str, Any], known: AbstractSet[str], where: str) -> None:
    unknown = sorted(set(value) - known)
    if unknown:
        raise token_refused(
            TokenRefusal.GRANTS_INVALID,
            f"{where} has unknown keys {unknown} (known: {sorted(known)})",
        )


def _incoming_allowed(voice: dict[str, Any]) -> bool:
    incoming = _object(voice, "incoming", "grants.voice.incoming", required=False)
    _only(incoming, frozenset({"allow"}), "grants.voice.incoming")
    allow = incoming.get("allow", False)
    if not isinstance(allow, bool):
        raise token_refused(
            TokenRefusal.GRANTS_INVALID,
            f"grants.voice.incoming.allow must be true or false, not {_show(allow)}",
        )
    return allow


def _outgoing(voice: dict[str, Any]) -> tuple[str | None, dict[str, Param]]:
    if "outgoing" not in voice:
        return None, {}
    outgoing = _object(voice, "outgoing", "grants.voice.outgoing", required=True)
    _only(outgoing, frozenset({"application_sid", "params"}), "grants.voice.outgoing")
    sid = outgoing.get("application_sid")
    if not isinstance(sid, str) or not is_sid(sid, "AP"):
        raise token_refused(
            TokenRefusal.GRANTS_INVALID,
            "grants.voice.outgoing.application_sid must be an application SID (AP…), "
            f"not {_show(sid)}",
        )
    params = _object(outgoing, "params", "grants.voice.outgoing.params", required=False)
    for name, value in params.items():
        if isinstance(value, dict | list) or value is None:
            raise token_refused(
                TokenRefusal.GRANTS_INVALID,
                f"grants.voice.outgoing.params.{_show(name)} must be a string, number or "
                f"boolean, not {_show(value)}",
            )
    return sid, params


def _show(value: Any) -> str:
    """A decoded claim for a message: its JSON, cut short (claims are not secret)."""
    text = orjson.dumps(value).decode()
    return text if len(text) <= 80 else text[:77] + "..."


def _when(claim: str, seconds: float) -> str:
    """`2026-01-02T03:04:05Z (exp 1767323045)`."""
    return f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(seconds))} ({claim} {seconds:.0f})"
