"""Access Token verification in-process: tokens minted by twilio-python's `AccessToken` with a
`VoiceGrant` (and, for what the helpers cannot mint, forged by hand), every outcome with its
Voice SDK code. (Keys made through the API and the CLI of a real server: tests/api/test_keys.py.)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VideoGrant, VoiceGrant

from switchboard.twilio import errors, rules, tokens
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.resources import ApiKey

ACCOUNT = "AC" + "a1" * 16
OTHER_ACCOUNT = "AC" + "b2" * 16
KEY_SID = "SK" + "c3" * 16
OTHER_KEY_SID = "SK" + "d4" * 16  # another account's key
OLD_KEY_SID = "SK" + "e5" * 16  # made before migration 0005: a hash, no secret
UNKNOWN_KEY_SID = "SK" + "f6" * 16  # never existed, or deleted
APP = "AP" + "07" * 16
SECRET = rules.new_key_secret()
OTHER_SECRET = rules.new_key_secret()
HEADER = {"typ": "JWT", "alg": "HS256", "cty": "twilio-fpa;v=1"}

KEYS = {
    KEY_SID: ApiKey(KEY_SID, ACCOUNT, "k", 0, 0, secret=SECRET, secret_hash=None),
    OTHER_KEY_SID: ApiKey(OTHER_KEY_SID, OTHER_ACCOUNT, "o", 0, 0, OTHER_SECRET, None),
    OLD_KEY_SID: ApiKey(OLD_KEY_SID, ACCOUNT, "old", 0, 0, None, rules.hash_secret(SECRET)),
}


async def lookup(sid: str) -> ApiKey | None:
    return KEYS.get(sid)


def verify(token: str, now: float | None = None) -> tokens.VoiceToken:
    return asyncio.run(tokens.verify(token, lookup, time.time() if now is None else now))


def refused(token: str, code: int, now: float | None = None) -> TwilioError:
    """The refusal of `token`: its code, 401, and a message that shows no secret."""
    with pytest.raises(TwilioError) as info:
        verify(token, now)
    err = info.value
    assert err.code == code, err
    assert err.status == 401, err
    assert err.more_info == f"https://www.twilio.com/docs/errors/{code}"
    for secret in (SECRET, OTHER_SECRET):
        assert secret not in err.message
    return err


def mint(
    *,
    account: str = ACCOUNT,
    key: str = KEY_SID,
    secret: str = SECRET,
    identity: str | None = "alice",
    grant: VoiceGrant | None = None,
    **extra: Any,
) -> str:
    """A token as twilio-python mints it (by default: may place calls through APP)."""
    token = AccessToken(account, key, secret, identity=identity, **extra)
    token.add_grant(grant or VoiceGrant(outgoing_application_sid=APP))
    return str(token.to_jwt())


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge(
    claims: dict[str, Any], header: dict[str, Any] | None = None, secret: str = SECRET
) -> str:
    """A token built by hand, for what the helper libraries will not mint; signed with
    `secret`."""
    signed = f"{b64(json.dumps(header or HEADER).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{b64(signature)}"


def claims(**changes: Any) -> dict[str, Any]:
    """Valid claims, as twilio-node writes them (with `iat`), with `changes`; a None value
    removes the claim."""
    now = int(time.time())
    base: dict[str, Any] = {
        "jti": f"{KEY_SID}-{now}",
        "grants": {"identity": "alice", "voice": {"outgoing": {"application_sid": APP}}},
        "iat": now,
        "exp": now + 3600,
        "iss": KEY_SID,
        "sub": ACCOUNT,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def grants(**changes: Any) -> dict[str, Any]:
    """Claims whose `grants` are `changes` over a valid identity and voice grant."""
    base: dict[str, Any] = {"identity": "alice", "voice": {"outgoing": {"application_sid": APP}}}
    base.update(changes)
    return claims(grants={k: v for k, v in base.items() if v is not None})


def voice(value: Any) -> dict[str, Any]:
    return grants(voice=value)


# Valid tokens


def test_a_python_token_with_every_voice_grant() -> None:
    grant = VoiceGrant(
        incoming_allow=True,
        outgoing_application_sid=APP,
        outgoing_application_params={"agent": "bob", "priority": 2, "vip": True},
        push_credential_sid="CR" + "0" * 32,
        endpoint_id="alice-laptop",
    )
    token = mint(grant=grant, ttl=600)
    before = time.time()
    result = verify(token)
    assert result == tokens.VoiceToken(
        identity="alice",
        account_sid=ACCOUNT,
        key_sid=KEY_SID,
        incoming_allowed=True,
        outgoing_application_sid=APP,
        outgoing_params={"agent": "bob", "priority": 2, "vip": True},
        expires=result.expires,
    )
    assert before + 590 <= result.expires <= before + 601


def test_incoming_only_and_outgoing_only() -> None:
    incoming = verify(mint(grant=VoiceGrant(incoming_allow=True), identity="desk_7"))
    assert (incoming.identity, incoming.incoming_allowed) == ("desk_7", True)
    assert incoming.outgoing_application_sid is None
    assert incoming.outgoing_params == {}
    outgoing = verify(mint())
    assert outgoing.incoming_allowed is False
    assert (outgoing.outgoing_application_sid, outgoing.outgoing_params) == (APP, {})


def test_a_node_style_token_with_iat_and_other_grants() -> None:
    """twilio-node writes `iat` (and no `nbf`); grants for other products ride along."""
    extra = {"video": {"room": "r"}, "identity": "alice", "voice": {"incoming": {"allow": True}}}
    result = verify(forge(claims(grants=extra)))
    assert result.incoming_allowed and result.identity == "alice"
    with_video = AccessToken(ACCOUNT, KEY_SID, SECRET, identity="alice")
    with_video.add_grant(VoiceGrant(incoming_allow=True))
    with_video.add_grant(VideoGrant(room="r"))
    assert verify(str(with_video.to_jwt())).incoming_allowed


def test_exactly_24_hours_is_allowed() -> None:
    now = int(time.time())
    assert verify(mint(ttl=tokens.MAX_LIFETIME), now).expires == now + tokens.MAX_LIFETIME
    exp = now + tokens.MAX_LIFETIME
    assert verify(forge(claims(iat=None, exp=exp)), now).expires == exp


# Times


def test_expired() -> None:
    now = int(time.time())
    token = mint(nbf=now - 7200, valid_until=now - 3600)
    err = refused(token, 20104, now)
    assert err.message.startswith("Access Token expired or expiration date invalid: ")
    assert "expired at" in err.message and str(now - 3600) in err.message
    # At `exp` exactly the token is no longer valid (RFC 7519 4.1.4).
    refused(forge(claims(iat=now - 10, exp=now)), 20104, now)


@pytest.mark.parametrize("exp", [None, "tomorrow", True, -5, 1e300, [1]])
def test_missing_or_invalid_expiration(exp: Any) -> None:
    err = refused(forge(claims(exp=exp)), 20104)  # exp=None: no exp at all
    assert "exp" in err.message


def test_not_yet_valid() -> None:
    now = int(time.time())
    err = refused(mint(nbf=now + 60, ttl=3600), 20105, now)
    assert "valid from" in err.message and str(now + 60) in err.message
    assert verify(mint(nbf=now + 60, ttl=3600), now + 61).identity == "alice"


@pytest.mark.parametrize("nbf", ["now", False, -1, {"t": 1}])
def test_invalid_not_before(nbf: Any) -> None:
    assert "nbf must be a number" in refused(forge(claims(nbf=nbf)), 20105).message


def test_invalid_issued_at() -> None:
    assert "iat must be a number" in refused(forge(claims(iat="today")), 20101).message


def test_lifetime_longer_than_24_hours() -> None:
    now = int(time.time())
    err = refused(mint(ttl=tokens.MAX_LIFETIME + 1), 20157, now)
    assert err.message.startswith("Expiration Time Exceeds Maximum Time Allowed: ")
    assert "86401 s" in err.message
    # Measured from the earliest of iat, nbf and now: an old iat counts...
    refused(forge(claims(iat=now - 80_000, exp=now + 10_000)), 20157, now)
    # ...an exp more than 24 h ahead counts without any, and a late nbf does not shorten it.
    refused(forge(claims(iat=None, exp=now + 90_000)), 20157, now)
    refused(forge(claims(iat=None, nbf=now + 10_000, exp=now + 90_000)), 20157, now)


# Signature


def test_signed_with_another_secret() -> None:
    err = refused(mint(secret=OTHER_SECRET), 20107)
    assert err.message == (
        f"Invalid Access Token signature: the token is not signed with the secret of API key "
        f"{KEY_SID}"
    )


def test_tampered_payload() -> None:
    header, payload, signature = mint().split(".")
    claims_ = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims_["grants"]["identity"] = "mallory"
    refused(f"{header}.{b64(json.dumps(claims_).encode())}.{signature}", 20107)
    refused(f"{header}.{payload}.{b64(b'x' * 32)}", 20107)
    refused(f"{header}.{payload}.", 20107)  # no signature at all


def test_no_claim_is_trusted_before_the_signature() -> None:
    """An expired token with bad grants and a bad signature is refused for its signature."""
    now = int(time.time())
    bad = forge(claims(exp=now - 5, grants={}), secret=OTHER_SECRET)
    refused(bad, 20107, now)


# Issuer and subject


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"iss": None}, "iss must be"),
        ({"iss": ACCOUNT}, "iss must be"),
        ({"iss": "SK123"}, "iss must be"),
        ({"iss": 7}, "iss must be"),
        ({"sub": None}, "sub must be"),
        ({"sub": KEY_SID}, "sub must be"),
        ({"sub": ["AC"]}, "sub must be"),
    ],
)
def test_malformed_issuer_or_subject(changes: dict[str, Any], says: str) -> None:
    assert says in refused(forge(claims(**changes)), 20103).message


def test_unknown_or_deleted_key() -> None:
    err = refused(mint(key=UNKNOWN_KEY_SID), 20103)
    assert err.message == (
        f"Invalid Access Token issuer/subject: iss {UNKNOWN_KEY_SID} is not an API key of "
        f"account {ACCOUNT}"
    )


def test_another_accounts_key() -> None:
    """Signed correctly with another account's key, for this account: refused, with the same
    answer as for a key that does not exist."""
    err = refused(mint(key=OTHER_KEY_SID, secret=OTHER_SECRET), 20103)
    assert err.message.endswith(f"iss {OTHER_KEY_SID} is not an API key of account {ACCOUNT}")
    # The key with the right account as `sub` verifies.
    assert verify(mint(account=OTHER_ACCOUNT, key=OTHER_KEY_SID, secret=OTHER_SECRET))


def test_wrong_subject() -> None:
    refused(mint(account=OTHER_ACCOUNT), 20103)


def test_a_subject_the_flow_refuses_is_refused_before_any_key_is_read() -> None:
    """A flow names the accounts a token may belong to (`subject_allowed`): another tenant's
    token is 20103 whether or not its key exists, and the key is never looked up, so the answer
    tells nothing about that tenant's keys."""
    looked_up: list[str] = []

    async def counting(sid: str) -> ApiKey | None:
        looked_up.append(sid)
        return KEYS.get(sid)

    async def only_mine(sid: str) -> bool:
        return sid == ACCOUNT

    def check(token: str) -> tokens.VoiceToken:
        return asyncio.run(tokens.verify(token, counting, time.time(), subject_allowed=only_mine))

    theirs = mint(account=OTHER_ACCOUNT, key=OTHER_KEY_SID, secret=OTHER_SECRET)
    forged = mint(account=OTHER_ACCOUNT, key=UNKNOWN_KEY_SID)
    answers = []
    for token in (theirs, forged):
        with pytest.raises(TwilioError) as info:
            check(token)
        assert (info.value.code, info.value.status) == (20103, 401)
        answers.append(info.value.message)
    assert answers[0] == answers[1] == (
        f"Invalid Access Token issuer/subject: sub {OTHER_ACCOUNT} is not an account these "
        "credentials may act for"
    )
    assert looked_up == []
    assert check(mint()).account_sid == ACCOUNT
    assert looked_up == [KEY_SID]


def test_a_key_made_before_switchboard_kept_secrets() -> None:
    err = refused(mint(key=OLD_KEY_SID), 20103)
    assert err.message == (
        f"Invalid Access Token issuer/subject: API key {OLD_KEY_SID} was created before "
        "Switchboard kept key secrets; it cannot sign Access Tokens: create a new key"
    )
    assert KEYS[OLD_KEY_SID].secret_hash not in err.message


# Grants


@pytest.mark.parametrize(
    ("token_claims", "says"),
    [
        (claims(grants=None), "grants must be an object"),
        (claims(grants=["voice"]), "grants must be an object"),
        (grants(identity=None), "grants.identity must be"),
        (grants(identity=""), "grants.identity must be"),
        (grants(identity=42), "grants.identity must be"),
        (grants(identity="alice@example.com"), "grants.identity must be"),
        (grants(identity="a b"), "grants.identity must be"),
        (grants(identity="a" * 257), "longer than 256"),
        (grants(voice=None), "grants.voice must be an object"),
        (voice("all"), "grants.voice must be an object"),
        (voice({}), "neither incoming calls"),
        (voice({"incoming": {"allow": False}}), "neither incoming calls"),
        (voice({"incoming": {"allow": "yes"}}), "incoming.allow must be true or false"),
        (voice({"incoming": True}), "grants.voice.incoming must be an object"),
        (voice({"incoming": {"allow": True, "x": 1}}), "grants.voice.incoming has unknown keys"),
        (voice({"outgoing": {}}), "application_sid must be an application SID"),
        (voice({"outgoing": {"application_sid": "AP1"}}), "application_sid must be"),
        (voice({"outgoing": {"application_sid": ACCOUNT}}), "application_sid must be"),
        (voice({"outgoing": APP}), "grants.voice.outgoing must be an object"),
        (voice({"outgoing": {"application_sid": APP, "params": "a=b"}}), "params must be"),
        (voice({"outgoing": {"application_sid": APP, "params": {"a": {}}}}), 'params."a"'),
        (voice({"outgoing": {"application_sid": APP, "params": {"a": None}}}), 'params."a"'),
        (voice({"outgoing": {"application_sid": APP, "sid": 1}}), "outgoing has unknown keys"),
        (voice({"incoming": {"allow": True}, "conference": 1}), "voice has unknown keys"),
        (voice({"incoming": {"allow": True}, "endpoint_id": 5}), "endpoint_id must be a string"),
    ],
)
def test_missing_or_invalid_grants(token_claims: dict[str, Any], says: str) -> None:
    err = refused(forge(token_claims), 20106)
    assert err.message.startswith("Invalid Access Token grants: ")
    assert says in err.message, err.message


def test_helper_tokens_without_identity_or_voice_grant() -> None:
    refused(mint(identity=None), 20106)
    refused(mint(grant=VoiceGrant()), 20106)  # a voice grant that grants nothing
    no_voice = AccessToken(ACCOUNT, KEY_SID, SECRET, identity="alice")
    no_voice.add_grant(VideoGrant(room="r"))
    assert "grants.voice" in refused(str(no_voice.to_jwt()), 20106).message


# Malformed tokens


def test_not_three_parts() -> None:
    header, payload, signature = mint().split(".")
    for token in ("", "abc", f"{header}.{payload}", f"{header}.{payload}.{signature}.x"):
        assert "three dot-separated parts" in refused(token, 20101).message


@pytest.mark.parametrize("where", [0, 1, 2])
@pytest.mark.parametrize("spoil", ["+", "/", "=", "!", " ", "é"])
def test_bad_base64(where: int, spoil: str) -> None:
    parts = mint().split(".")
    parts[where] = parts[where][:5] + spoil + parts[where][5:]
    assert "not unpadded base64url" in refused(".".join(parts), 20101).message


def test_padded_or_non_canonical_base64() -> None:
    parts = mint().split(".")
    # 32 bytes of signature: 43 characters, the last one's two low bits unused.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    same_bytes = parts[2][:-1] + alphabet[alphabet.index(parts[2][-1]) ^ 1]
    assert base64.urlsafe_b64decode(same_bytes + "=") == base64.urlsafe_b64decode(parts[2] + "=")
    refused(".".join([*parts[:2], same_bytes]), 20101)
    refused(".".join([*parts[:2], parts[2] + "="]), 20101)


@pytest.mark.parametrize(
    ("header", "payload", "says"),
    [
        (b"{not json", json.dumps(claims()).encode(), "the header is not JSON"),
        (json.dumps(HEADER).encode(), b"{'exp': 1}", "the payload is not JSON"),
        (b"[1, 2]", json.dumps(claims()).encode(), "the header is not a JSON object"),
        (json.dumps(HEADER).encode(), b'"claims"', "the payload is not a JSON object"),
        (json.dumps(HEADER).encode(), b"\xff\xfe", "the payload is not JSON"),
        (json.dumps(HEADER).encode(), b'{"exp": NaN}', "the payload is not JSON"),
    ],
    # Fixed names: the claims carry the time, and xdist's processes must collect the same ids.
    ids=["header", "payload", "header-list", "payload-string", "payload-bytes", "payload-nan"],
)
def test_bad_json(header: bytes, payload: bytes, says: str) -> None:
    signed = f"{b64(header)}.{b64(payload)}"
    signature = hmac.new(SECRET.encode(), signed.encode(), hashlib.sha256).digest()
    assert says in refused(f"{signed}.{b64(signature)}", 20101).message


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ({**HEADER, "alg": "HS512"}, 'alg must be "HS256", not "HS512"'),
        ({**HEADER, "alg": "RS256"}, 'alg must be "HS256", not "RS256"'),
        ({**HEADER, "alg": "none"}, 'alg must be "HS256", not "none"'),
        ({"typ": "JWT", "cty": "twilio-fpa;v=1"}, 'alg must be "HS256", not missing'),
        ({"typ": "JWT", "alg": "HS256"}, 'cty must be "twilio-fpa;v=1", not missing'),
        ({**HEADER, "cty": "twilio-fpa;v=2"}, 'cty must be "twilio-fpa;v=1", not "twilio-fpa;v=2"'),
        ({**HEADER, "typ": "JOSE"}, 'typ must be "JWT", not "JOSE"'),
        ({"alg": "HS256", "cty": "twilio-fpa;v=1"}, 'typ must be "JWT", not missing'),
        ({**HEADER, "crit": ["exp"]}, "crit names extensions Switchboard does not know"),
    ],
)
def test_bad_header(header: dict[str, Any], says: str) -> None:
    err = refused(forge(claims(), header), 20102)
    assert err.message == f"Invalid Access Token header: {says}"


def test_alg_none_without_signature() -> None:
    """The classic forgery: `alg: none` and no signature at all."""
    header = b64(json.dumps({**HEADER, "alg": "none"}).encode())
    unsigned = f"{header}.{b64(json.dumps(claims()).encode())}."
    refused(unsigned, 20102)


def test_a_region_header_is_accepted() -> None:
    assert verify(mint(region="ie1")).identity == "alice"


def test_too_long_a_token() -> None:
    padding = {"x": "y" * tokens.MAX_LENGTH}
    err = refused(forge(grants(padding=padding)), 20101)
    assert "longer than" in err.message


# The catalogue


def test_error_catalogue() -> None:
    made = [errors.token_refused(refusal, "x") for refusal in errors.TokenRefusal]
    assert [(e.code, e.status) for e in made] == [
        (20101, 401), (20102, 401), (20103, 401), (20104, 401),
        (20105, 401), (20106, 401), (20107, 401), (20157, 401),
    ]  # fmt: skip
    assert made[0].message == "Invalid Access Token: x"
    assert made[-1].message == "Expiration Time Exceeds Maximum Time Allowed: x"
    assert all(e.message.endswith(": x") and not e.headers for e in made)
    app = errors.invalid_application_sid(APP)
    assert (app.code, app.status, app.message) == (21218, 400, f"Invalid ApplicationSid: {APP}")


def test_an_api_key_never_shows_its_secret() -> None:
    for key in KEYS.values():
        text = f"{key!r} {key} {key.record()}"
        assert key.sid in text
        assert SECRET not in text and OTHER_SECRET not in text
        assert "secret" not in key.record()
        assert key.secret_hash is None or key.secret_hash not in text
