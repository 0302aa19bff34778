"""Credentials accepted on first use, for `mock()`: code under test keeps the SID and token it
reads from its configuration, and Switchboard creates what they name before the request runs.

- An account SID with a token: that top-level account, with that token.
- An API key SID with a secret: that key, in the account the path names (created too if needed).
- A path naming an account the credentials' account does not know yet: a subaccount of it (as
  `Client(sid, token, account_sid=sub)` expects).

Only what does not exist is created: an account that exists with another token still answers
401, as Twilio does. One exception: an account made here before its token was known (for a key,
or as a subaccount) takes the first token used with it, so the order in which the code under
test uses its credentials does not matter. Malformed SIDs are left to the API, which refuses
them.
"""

from __future__ import annotations

import contextlib
import hmac
import re
from collections.abc import Callable

from switchboard.store.base import Store
from switchboard.store.tx import IntegrityError
from switchboard.twilio import rules
from switchboard.twilio.sids import is_sid, new_auth_token

_PATH_ACCOUNT = re.compile(r"/Accounts/(AC[0-9a-fA-F]{32})(?=[/.]|\Z)")
FRIENDLY_NAME = "Created on first use by switchboard.testing"


class Provisioner:
    """`forget(sid)`: the app's credential cache, told when a token changes here."""

    def __init__(self, store: Store, forget: Callable[[str], None] = lambda sid: None) -> None:
        self.store = store
        self.forget_credentials = forget
        self._seen: set[tuple[str, str, str | None]] = set()
        self._tokenless: set[str] = set()  # accounts made here with a token nobody gave

    def forget(self) -> None:
        """After a reset: what was created is gone and must be created again when used."""
        self._seen.clear()
        self._tokenless.clear()

    async def ensure(self, username: str, password: str, path: str) -> None:
        found = _PATH_ACCOUNT.search(path)
        named = found.group(1) if found else None
        key = (username, password, named)
        if key in self._seen:
            return
        owner = await self._principal_account(username, password, named)
        if owner is not None and named is not None and named != owner:
            await self._subaccount(owner, named)
        self._seen.add(key)

    async def _principal_account(
        self, username: str, password: str, named: str | None
    ) -> str | None:
        """The account the credentials act as, created (with the key) when missing; None when
        they are wrong (the API then answers 401)."""
        store = self.store
        if is_sid(username, "AC") and password:
            account = await store.get_account(username)
            if account is None:
                await self._account(username, password)
            elif username in self._tokenless:
                self._tokenless.discard(username)
                await store.set_auth_token(username, password)
                self.forget_credentials(username)
            elif not hmac.compare_digest(account.auth_token.encode(), password.encode()):
                return None
            return username
        if is_sid(username, "SK") and password:
            key = await store.get_key(username)
            if key is not None:
                return key.account_sid if rules.key_secret_matches(password, key) else None
            if named is None:
                return None
            if await store.get_account(named) is None:
                await self._account(named, None)
            with contextlib.suppress(IntegrityError):  # made meanwhile by a concurrent request
                await store.create_key(named, FRIENDLY_NAME, password, sid=username)
            return named
        return None

    async def _account(self, sid: str, auth_token: str | None, owner: str | None = None) -> None:
        """Create the account; without a token, one is generated and the first used adopted."""
        with contextlib.suppress(IntegrityError):  # made meanwhile by a concurrent request
            await self.store.create_account(
                FRIENDLY_NAME, sid=sid, auth_token=auth_token or new_auth_token(), owner_sid=owner
            )
            if auth_token is None:
                self._tokenless.add(sid)

    async def _subaccount(self, owner: str, sid: str) -> None:
        if await self.store.get_account(sid) is not None:
            return
        parent = await self.store.get_account(owner)
        if parent is None or parent.is_subaccount:
            return  # a subaccount has no subaccounts: the API answers as Twilio would
        await self._account(sid, None, owner)
