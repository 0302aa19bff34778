"""HTTP Basic auth -> Principal, and which accounts a principal may act on.

A principal acts on its own account and on its subaccounts (a parent's credentials reach its
children's resources), never on a parent's or a sibling's. Tokens are compared in constant time.
Credentials of an account that is not active are refused like wrong ones.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from switchboard.store.base import Store
from switchboard.twilio import errors
from switchboard.twilio.resources import Account
from switchboard.twilio.sids import is_sid


@dataclass(frozen=True, slots=True)
class Principal:
    account: Account

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
    """The principal for an Authorization header, or TwilioError 20003."""
    creds = _credentials(header)
    if creds is None:
        raise errors.authenticate()
    username, password = creds
    if not is_sid(username, "AC"):
        raise errors.authenticate()
    account = await store.get_account(username)
    if account is None:
        # Compare anyway, so a missing account costs the same as a wrong token.
        hmac.compare_digest(password.encode(), b"0" * 32)
        raise errors.authenticate()
    if not hmac.compare_digest(password.encode(), account.auth_token.encode()):
        raise errors.authenticate()
    if account.status != "active":
        raise errors.authenticate()
    return Principal(account)


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
