"""What a handler receives: the authorized account, the parsed parameters, the representation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from switchboard.api.auth import Principal
from switchboard.api.render import Representation
from switchboard.store.base import Store
from switchboard.twilio import errors
from switchboard.twilio.resources import Account
from switchboard.twilio.sids import is_sid

if TYPE_CHECKING:
    from switchboard.api.app import Services


@dataclass(slots=True)
class Call:
    services: Services
    rep: Representation
    path: str  # the path as requested, for 404 messages
    principal: Principal
    account: Account  # the account named in the path
    args: dict[str, str]  # other path parameters
    params: dict[str, str]  # query (GET, DELETE) or form body (POST); first value wins

    def base(self, *segments: str) -> str:
        """`/2010-04-01/Accounts/{AccountSid}/...segments`, without suffix."""
        return "/".join(("/2010-04-01/Accounts", self.account.sid, *segments))

    @property
    def store(self) -> Store:
        return self.services.store

    def now(self) -> int:
        return self.store.clock()

    def sid(self, prefix: str) -> str:
        """The `{Sid}` path parameter; a SID of the wrong shape names nothing (404)."""
        sid = self.args["sid"]
        if not is_sid(sid, prefix):
            raise errors.not_found(self.path)
        return sid
