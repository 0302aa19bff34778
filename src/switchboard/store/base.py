"""The store interface. Implementations: `sqlite.SqliteStore` (PostgreSQL to follow).

Every method that changes data commits before it returns, so a 2xx built from its result is
durable. Rules that must hold across processes (the application limit, SID uniqueness) are
enforced inside the store's transactions, never in one process's memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from switchboard.twilio.resources import Account, Record


class Store(ABC):
    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> bool:
        """True when the database answers."""

    # Accounts

    @abstractmethod
    async def get_account(self, sid: str) -> Account | None: ...

    @abstractmethod
    async def list_accounts(self) -> list[Account]: ...

    @abstractmethod
    async def create_account(
        self,
        friendly_name: str,
        *,
        owner_sid: str | None = None,
        sid: str | None = None,
        auth_token: str | None = None,
        is_main: bool = False,
    ) -> Account:
        """A new account; a top-level one (its own owner) unless `owner_sid` is given."""

    @abstractmethod
    async def ensure_main_account(
        self, sid: str | None, auth_token: str | None
    ) -> tuple[Account, bool]:
        """The main account, created or updated; True when it was just created.

        With `sid` and `auth_token` (from TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN) that account
        exists afterwards with that token. Without them an existing main account is kept, or a
        fresh one generated.
        """

    # Applications

    @abstractmethod
    async def get_application(self, account_sid: str, sid: str) -> Record | None: ...

    @abstractmethod
    async def application_account(self, sid: str) -> str | None:
        """The account that owns application `sid`, or None."""

    @abstractmethod
    async def list_applications(
        self,
        account_sid: str,
        *,
        friendly_name: str | None,
        after: str | None,
        before: str | None,
        limit: int,
    ) -> list[Record]:
        """Up to `limit` applications in SID (= creation) order.

        `after`: those with a greater SID, ascending. `before`: the `limit` closest ones with a
        smaller SID, still returned in ascending order.
        """

    @abstractmethod
    async def create_application(self, account_sid: str, values: dict[str, Any]) -> Record:
        """Raises TwilioError 21301 when the account already has the maximum."""

    @abstractmethod
    async def update_application(
        self, account_sid: str, sid: str, changes: dict[str, Any]
    ) -> Record | None: ...

    @abstractmethod
    async def delete_application(self, account_sid: str, sid: str) -> bool: ...
