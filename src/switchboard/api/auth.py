"""HTTP Basic auth -> Principal, and which accounts a principal may act on.

Credentials are an account SID with its auth token, or an API key SID (`SK…`) with its secret,
which act as the key's account. A principal acts on its own account and on its subaccounts (a
parent's credentials reach its children's resources), never on a parent's or a sibling's.
Secrets are compared in constant time. Credentials of an account that is not active (or whose
parent is not) are refused with 20005.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from switchboard.twilio import errors, rules
from switchboard.twilio.resources import Account, ApiKey
from switchboard.twilio.sids import is_sid

_DUMMY = b"0" * 32


class Credentials(Protocol):
    """Where accounts and keys are looked up: the store itself, or a `CredentialCache`."""

    async def get_account(self, sid: str) -> Account | None: ...

    async def get_key(self, sid: str) -> ApiKey | None: ...


class CredentialCache:
    """Accounts and keys as read for authentication, kept for `ttl` seconds.

    Several processes may serve one database, so nothing here may be trusted for long: a token
    rotated or an account suspended elsewhere is honoured within `ttl` (half a second; the
    promise is one). This process's own changes call `forget`, and apply at once. Unknown SIDs
    are not cached, so a new account works immediately.
    """

    def __init__(
        self, store: Credentials, ttl: float = 0.5, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[tuple[str, str], tuple[float, Any]] = {}
        # Authorization header -> the principal it proved, until the oldest credential read
        # it rests on expires. Only headers that authenticated are kept, so a hit is a header
        # already checked in full (the secret compared, the account and its parent active)
        # against data no older than `ttl`.
        self._principals: dict[str, tuple[float, Principal]] = {}

    async def lookup(self, kind: str, sid: str) -> tuple[Any, float]:
        """The account or key (None if unknown), and until when it may be trusted."""
        now = self.clock()
        hit = self._entries.get((kind, sid))
        if hit is not None and hit[0] > now:
            return hit[1], hit[0]
        if kind == "account":
            value: Any = await self.store.get_account(sid)
        else:
            value = await self.store.get_key(sid)
        if value is None:
            return None, now
        if len(self._entries) >= 10_000:
            self._entries.clear()
        self._entries[(kind, sid)] = (now + self.ttl, value)
        return value, now + self.ttl

    async def get_account(self, sid: str) -> Account | None:
        account: Account | None = (await self.lookup("account", sid))[0]
        return account

    async def get_key(self, sid: str) -> ApiKey | None:
        key: ApiKey | None = (await self.lookup("key", sid))[0]
        return key

    async def authenticate(self, header: str | None) -> Principal:
        """`authenticate`, remembered per header for `ttl` (the hot path: a header seen
        again costs one dictionary lookup, not a Base64 decode and a constant-time compare)."""
        if header is not None:
            hit = self._principals.get(header)
            if hit is not None and hit[0] > self.clock():
                return hit[1]
        reads = _Reads(self)
        principal = await authenticate(reads, header)
        if header is not None:
            if len(self._principals) >= 10_000:
                self._principals.clear()
            self._principals[header] = (reads.expires, principal)
        return principal

    def clear(self) -> None:
        self._entries.clear()
        self._principals.clear()

    def forget(self, sid: str) -> None:
        """This process changed the account or key `sid`: read it afresh from now on. Every
        remembered principal goes too (one may rest on `sid` as its key or parent account)."""
        self._entries.pop(("account", sid), None)
        self._entries.pop(("key", sid), None)
        self._principals.clear()


class _Reads:
    """The credential reads of one authentication, and when the first of them expires: the
    principal they prove is trusted no longer than any of them."""

    def __init__(self, cache: CredentialCache) -> None:
        self.cache = cache
        self.expires = math.inf

    async def get_account(self, sid: str) -> Account | None:
        account, expires = await self.cache.lookup("account", sid)
        self.expires = min(self.expires, expires)
        return account

    async def get_key(self, sid: str) -> ApiKey | None:
        key, expires = await self.cache.lookup("key", sid)
        self.expires = min(self.expires, expires)
        return key


@dataclass(frozen=True, slots=True)
class Principal:
    account: Account
    key_sid: str | None = None  # set when authenticated with a (standard) API key

    @property
    def account_sid(self) -> str:
        return self.account.sid


def _credentials(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep:
        return None
    return username, password


async def authenticate(store: Credentials, header: str | None) -> Principal:
    """The principal for an Authorization header, or a 401 TwilioError."""
    creds = _credentials(header)
    if creds is None:
        raise errors.authenticate()
    username, password = creds
    key_sid = None
    if is_sid(username, "AC"):
        account = await store.get_account(username)
        expected = account.auth_token.encode() if account else _DUMMY
        # Compare even when the account is missing, so both cost the same.
        if not hmac.compare_digest(password.encode(), expected) or account is None:
            raise errors.authenticate()
    elif is_sid(username, "SK"):
        key = await store.get_key(username)
        # Compare even when the key is missing, as for accounts.
        if not rules.key_secret_matches(password, key) or key is None:
            raise errors.authenticate()
        account = await store.get_account(key.account_sid)
        if account is None:
            raise errors.authenticate()
        key_sid = username
    else:
        raise errors.authenticate()
    if account.status != "active":
        raise errors.account_not_active()
    if account.is_subaccount:
        parent = await store.get_account(account.owner_account_sid)
        if parent is None or parent.status != "active":
            raise errors.account_not_active()
    return Principal(account, key_sid)


async def authorize(store: Credentials, principal: Principal, account_sid: str) -> Account:
    """The account named in the path, when the principal may act on it; else 20003."""
    if account_sid == principal.account_sid:
        return principal.account
    if not is_sid(account_sid, "AC"):
        raise errors.authenticate()
    account = await store.get_account(account_sid)
    if account is None or account.owner_account_sid != principal.account_sid:
        raise errors.authenticate()
    return account
