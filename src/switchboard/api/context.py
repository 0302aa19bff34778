"""What handlers work with: the services the app shares, and one API request's context."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.api.auth import CredentialCache, Principal
from switchboard.api.render import Representation
from switchboard.api.wire import Params
from switchboard.config import Settings
from switchboard.store.base import Store
from switchboard.traffic.simulate import Simulator
from switchboard.twilio import errors
from switchboard.twilio.resources import Account
from switchboard.twilio.sids import is_sid


class Services:
    """What every handler shares: the store, the settings, the credential cache, and (once the
    app has started) the simulator that runs simulated traffic."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.credentials = CredentialCache(store)
        self._simulator: Simulator | None = None

    @property
    def simulator(self) -> Simulator:
        if self._simulator is None:
            raise RuntimeError("the app has not started")
        return self._simulator

    @simulator.setter
    def simulator(self, simulator: Simulator | None) -> None:
        self._simulator = simulator


@dataclass(slots=True)
class ApiRequest:
    """One request, authenticated and authorized, as a handler receives it."""

    services: Services
    rep: Representation
    path: str  # the path as requested, for 404 messages
    principal: Principal
    account: Account  # the account named in the path (or the principal's own)
    args: dict[str, str]  # the path's other parameters
    params: Params  # query (GET, DELETE) or form body (POST); first value wins, `getall`

    @property
    def store(self) -> Store:
        return self.services.store

    def now(self) -> int:
        return self.store.clock()

    def sid(self, prefix: str) -> str:
        """The `{sid}` path parameter; a SID of the wrong shape names nothing (404)."""
        sid = self.args["sid"]
        if not is_sid(sid, prefix):
            raise errors.not_found(self.path)
        return sid
