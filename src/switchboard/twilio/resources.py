"""Records the store hands back. Applications travel as plain dicts keyed by field key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Account:
    sid: str
    owner_account_sid: str
    friendly_name: str
    status: str  # active | suspended | closed
    type: str  # Trial | Full
    auth_token: str
    is_main: bool
    date_created: int
    date_updated: int

    @property
    def is_subaccount(self) -> bool:
        return self.owner_account_sid != self.sid

    def __repr__(self) -> str:  # never leak the token into logs or tracebacks
        return f"Account(sid={self.sid!r}, status={self.status!r})"
