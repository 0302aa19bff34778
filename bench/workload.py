"""The requests of each operation, for one data set's working copy.

Read-only operations (fetch, list, list_deep) and update use fixed request files, sampled once
from the data set through the store. Writes that consume something get a fresh file per run:

- create rotates over fresh, empty "scratch" accounts (the store refuses a 1001st application
  per account), sized from the last measured rate so no run hits the limit;
- delete removes applications nobody else uses: the ones the create runs made, topped up with
  `store.create_applications` when they would not last the run (so each delete is a create
  followed, later, by a delete).

`call` posts simulated inbound calls to numbers whose application's voice URL is the local
receiver; `ivr` the same with a scripted caller (`Input=1`) through three documents: a
`<Gather>`, its action (a `<Dial>` with an action) and the Dial's action.

`message` sends messages (`Messages.json`) from the numbers of a few accounts to handsets, each
with a status callback to the local receiver (`/status`): three callbacks per message, run by
the outbox (after the load, when it yields to the requests: see traffic/outbox.py).

`outbound_call` makes calls (`Calls.json`) from the same numbers to handsets: the answered call
requests the receiver's document (`<Say>hi</Say>`), and its four status callbacks (initiated,
ringing, answered, completed) go to the receiver (`/call-status`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from bench.dataset import APPS_PER_ACCOUNT, AccountInfo, Dataset
from bench.load import Req, basic, write_requests
from switchboard.store import Store
from switchboard.store.base import Keyset
from switchboard.twilio.params import parse_params
from switchboard.twilio.resources import APPLICATION, INCOMING_PHONE_NUMBER

OPS = (
    "fetch",
    "list",
    "list_deep",
    "create",
    "update",
    "delete",
    "call",
    "ivr",
    "message",
    "outbound_call",
)
OP_HELP = {
    "fetch": "GET one application (random over sampled accounts)",
    "list": "GET the first page of 50 of an account",
    "list_deep": "GET page 19 of 50 (PageToken=PA<950th sid>) of a 1000-app account",
    "create": "POST a new application (fresh accounts in turn)",
    "update": "POST FriendlyName to an application",
    "delete": "DELETE an application made earlier",
    "call": "POST a simulated inbound call; the voice URL is a local receiver",
    "ivr": "POST a simulated call pressing 1: a Gather, its action, a Dial and its action",
    "message": "POST a message to a handset with a StatusCallback (its 3 callbacks follow)",
    "outbound_call": "POST a call to a handset (Url: the receiver) with every status event (4 "
    "callbacks follow)",
}
CREATE_BODY = urlencode({"FriendlyName": "Bench create", "VoiceUrl": "https://example.com/voice"})
CALLER = "+15005550006"
FETCH_SAMPLES = 5000
UPDATE_SAMPLES = 2000
SAMPLE_ACCOUNTS = 50
CALL_ACCOUNTS = 10
MESSAGE_SAMPLES = 5000
CALL_EVENTS = ("initiated", "ringing", "answered", "completed")
DEEP_INDEX = 949  # the 950th application: page 19 of 50 starts after it


def apps_path(account_sid: str) -> str:
    return f"/2010-04-01/Accounts/{account_sid}/Applications.json"


def messages_path(account_sid: str) -> str:
    return f"/2010-04-01/Accounts/{account_sid}/Messages.json"


def calls_path(account_sid: str) -> str:
    return f"/2010-04-01/Accounts/{account_sid}/Calls.json"


def app_path(account_sid: str, sid: str) -> str:
    return f"/2010-04-01/Accounts/{account_sid}/Applications/{sid}.json"


@dataclass
class Workload:
    dataset: Dataset
    store: Store  # open, on the working copy
    directory: Path  # where request files go
    receiver_url: str
    rng: random.Random = field(default_factory=lambda: random.Random(20240601))
    files: dict[str, Path] = field(default_factory=dict)
    scratch_count: int = 0
    pending_harvest: list[AccountInfo] = field(default_factory=list)
    delete_pool: list[tuple[AccountInfo, str]] = field(default_factory=list)
    samples: dict[str, list[str]] = field(default_factory=dict)  # account sid -> its app sids

    def auth(self, account: AccountInfo) -> str:
        return basic(account.sid, account.auth_token)

    async def _apps(self, account_sid: str) -> list[str]:
        rows = await self.store.list_applications(
            account_sid, friendly_name=None, page=Keyset(None, None, APPS_PER_ACCOUNT)
        )
        return [r["sid"] for r in rows]

    async def prepare(self) -> None:
        accounts = self.dataset.accounts
        sampled = self.rng.sample(accounts, min(SAMPLE_ACCOUNTS, len(accounts)))
        for account in sampled:
            self.samples[account.sid] = await self._apps(account.sid)

        picks = [
            (account, self.rng.choice(self.samples[account.sid]))
            for account in (self.rng.choice(sampled) for _ in range(FETCH_SAMPLES))
        ]
        self._write("fetch", [Req("GET", app_path(a.sid, s), self.auth(a)) for a, s in picks])

        firsts = [Req("GET", apps_path(a.sid) + "?PageSize=50", self.auth(a)) for a in accounts]
        self.rng.shuffle(firsts)
        self._write("list", firsts)

        deep = [
            Req(
                "GET",
                apps_path(a.sid)
                + f"?PageSize=50&Page=19&PageToken=PA{self.samples[a.sid][DEEP_INDEX]}",
                self.auth(a),
            )
            for a in sampled
            if len(self.samples[a.sid]) > DEEP_INDEX
        ]
        self._write("list_deep", deep)

        updates = [
            Req(
                "POST",
                app_path(a.sid, s),
                self.auth(a),
                urlencode({"FriendlyName": f"Bench update {i}"}),
            )
            for i, (a, s) in enumerate(picks[:UPDATE_SAMPLES])
        ]
        self._write("update", updates)

        calls: list[Req] = []
        ivrs: list[Req] = []
        for i, account in enumerate(accounts[:CALL_ACCOUNTS]):
            await self.store.update_application(
                account.sid,
                account.first_app,
                {"voice_url": f"{self.receiver_url}/voice", "voice_method": "POST"},
            )
            path = f"/switchboard/v1/Accounts/{account.sid}/InboundCalls"
            body = f"To={quote(account.phone_number)}&From={quote(CALLER)}"
            calls.append(Req("POST", path, self.auth(account), body))
            ivr_number = await self._ivr_number(account, i)
            body = f"To={quote(ivr_number)}&From={quote(CALLER)}&Input=1"
            ivrs.append(Req("POST", path, self.auth(account), body))
        self._write("call", calls)
        self._write("ivr", ivrs)
        self._write("message", self.message_requests(MESSAGE_SAMPLES))
        self._write("outbound_call", self.call_requests(MESSAGE_SAMPLES))

    @property
    def message_accounts(self) -> list[AccountInfo]:
        return self.dataset.accounts[:CALL_ACCOUNTS]

    def message_requests(self, count: int, tag: str = "load") -> list[Req]:
        """Messages from the accounts' numbers to handsets, round robin."""
        out = []
        accounts = self.message_accounts
        for i in range(count):
            account = accounts[i % len(accounts)]
            body = urlencode(
                {
                    "To": f"+1415{5_000_000 + i % 100_000:07d}",
                    "From": account.phone_number,
                    "Body": f"Bench {tag} {i}",
                    "StatusCallback": f"{self.receiver_url}/status",
                }
            )
            out.append(Req("POST", messages_path(account.sid), self.auth(account), body))
        return out

    def call_requests(self, count: int, tag: str = "load") -> list[Req]:
        """Calls from the accounts' numbers to handsets, round robin, every event asked for."""
        out = []
        accounts = self.message_accounts
        for i in range(count):
            account = accounts[i % len(accounts)]
            body = urlencode(
                [
                    ("To", f"+1415{6_000_000 + i % 100_000:07d}"),
                    ("From", account.phone_number),
                    ("Url", f"{self.receiver_url}/voice?{tag}"),
                    ("StatusCallback", f"{self.receiver_url}/call-status"),
                    *[("StatusCallbackEvent", e) for e in CALL_EVENTS],
                ]
            )
            out.append(Req("POST", calls_path(account.sid), self.auth(account), body))
        return out

    async def _ivr_number(self, account: AccountInfo, i: int) -> str:
        """A second number of the account, served by its second application pointed at the
        receiver's IVR (a new application would pass the 1000 per account)."""
        number = f"+1415{3_000_000 + i:07d}"
        apps = self.samples.get(account.sid) or await self._apps(account.sid)
        app_sid = apps[1] if len(apps) > 1 else account.first_app
        await self.store.update_application(
            account.sid, app_sid, {"voice_url": f"{self.receiver_url}/ivr", "voice_method": "POST"}
        )
        if await self.store.find_number(account.sid, number) is None:
            values = parse_params(
                INCOMING_PHONE_NUMBER.fields, {"VoiceApplicationSid": app_sid}, create=True
            )
            await self.store.create_number(
                account.sid, values, phone_number=number, area_code=None, number_type=None
            )
        return number

    def _write(self, op: str, requests: list[Req], tag: str = "") -> Path:
        path = write_requests(self.directory / f"{op}{tag}.tsv", requests)
        self.files[op] = path
        return path

    def first(self, op: str) -> Req:
        line = self.files[op].read_text().splitlines()[0]
        method, path, auth, body = line.split("\t", 3)
        return Req(method, path, auth, body)

    async def _scratch_account(self) -> AccountInfo:
        self.scratch_count += 1
        account = await self.store.create_account(f"Bench scratch {self.scratch_count}")
        return AccountInfo(account.sid, account.auth_token, "", "")

    async def requests_for(self, op: str, expected: int) -> Path:
        """The request file for one run that is expected to send about `expected` requests."""
        if op == "create":
            await self.harvest()
            accounts = [
                await self._scratch_account()
                for _ in range(max(2, math.ceil(expected / APPS_PER_ACCOUNT)))
            ]
            self.pending_harvest = accounts
            return self._write(
                "create",
                [Req("POST", apps_path(a.sid), self.auth(a), CREATE_BODY) for a in accounts],
            )
        if op == "delete":
            await self.harvest()
            while len(self.delete_pool) < expected:
                await self._top_up()
            batch, self.delete_pool = self.delete_pool[:expected], self.delete_pool[expected:]
            self.rng.shuffle(batch)
            return self._write(
                "delete", [Req("DELETE", app_path(a.sid, s), self.auth(a)) for a, s in batch]
            )
        return self.files[op]

    async def harvest(self) -> None:
        """The applications the last create run made join the delete pool."""
        for account in self.pending_harvest:
            for sid in await self._apps(account.sid):
                self.delete_pool.append((account, sid))
        self.pending_harvest = []

    async def _top_up(self) -> None:
        account = await self._scratch_account()
        values = [
            parse_params(APPLICATION.fields, {"FriendlyName": f"Bench doomed {i}"}, create=True)
            for i in range(APPS_PER_ACCOUNT)
        ]
        records = await self.store.create_applications(account.sid, values)
        self.delete_pool.extend((account, r["sid"]) for r in records)
