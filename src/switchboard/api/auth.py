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
from dataclasses import dataclass

from switchboard.store.base import Store
from switchboard.twilio import errors, rules
from switchboard.twilio.resources import Account
from switchboard.twilio.sids import is_sid

_DUMMY = b"0" * 32


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


async def authenticate(store: Store, header: str | None) -> Principal:
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
        if key is None or not rules.verify_secret(password, key["secret_hash"]):
            raise errors.authenticate()
        account = await store.get_account(key["account_sid"])
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


async def authorize(store: Store, principal: Principal, account_sid: str) -> Account:
    """The account named in the path, when the principal may act on it; else 20003."""
    if account_sid == principal.account_sid:
        return principal.account
    if not is_sid(account_sid, "AC"):
        raise errors.authenticate()
    account = await store.get_account(account_sid)
    if account is None or account.owner_account_sid != principal.account_sid:
        raise errors.authenticate()
    return account
