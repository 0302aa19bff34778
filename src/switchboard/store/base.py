"""The store interface. Implementations: `sqlite.SqliteStore` and `postgres.PostgresStore`.

Every method that changes data commits before it returns, so a 2xx built from its result is
durable. Rules that must hold across processes (the application limit, SID uniqueness, links from
numbers to applications of the same account) are enforced inside the store's transactions, never
in one process's memory.

Lists are keyset pages in SID (= creation) order: `after` gives the rows with a greater SID,
ascending; `before` the `limit` closest rows with a smaller SID, still returned ascending.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from switchboard.store.tx import Keyset
from switchboard.twilio.dates import Clock
from switchboard.twilio.resources import Account, ApiKey, Record
from switchboard.twilio.sids import SidSource


class StoreUnavailable(Exception):
    """The database could not be reached."""


@dataclass(frozen=True)
class NumberFilter:
    friendly_name: str | None = None
    phone_number: str | None = None  # partial, `*` = any one digit
    origin: str | None = None
    type: str | None = None  # local | tollfree | mobile


@dataclass(frozen=True)
class RequestFilter:
    """Which webhook requests of the log to list (every given condition must hold).

    `trace_sid` is a column; the others are read from the stored request, so `matches` is the
    exact test and a store may narrow the rows with a cheaper superset first.
    """

    trace_sid: str | None = None  # the call's or message's SID
    purpose: str | None = None  # exact: voice_url, sms_url, status_callback, ...
    url: str | None = None  # a part of the URL requested (case-sensitive)
    failed: bool | None = None  # True: an error code was recorded; False: none was
    error_code: int | None = None

    @property
    def on_body(self) -> bool:
        """Whether a condition needs the stored request itself (not only its columns)."""
        return any(v is not None for v in (self.purpose, self.url, self.failed, self.error_code))

    def matches(self, request: Record) -> bool:
        """The exact test, on a request as the log stores it."""
        if self.purpose is not None and request.get("purpose") != self.purpose:
            return False
        if self.url is not None and self.url not in str(request.get("url") or ""):
            return False
        error_code = request.get("error_code")
        if self.failed is not None and (error_code is not None) != self.failed:
            return False
        return self.error_code is None or error_code == self.error_code


@dataclass(frozen=True)
class SeedApplication:
    """One application of a fixture: `values` holds every writable field, already validated."""

    where: str  # where it is in the fixture, for messages: `accounts[0].applications[2]`
    sid: str | None  # None: matched by friendly_name within the account, else created
    values: dict[str, Any]


@dataclass(frozen=True)
class SeedNumber:
    """One incoming phone number of a fixture (writable fields validated, in `values`)."""

    where: str
    sid: str | None  # None: matched by phone_number, else created
    phone_number: str
    type: str | None  # local | tollfree | mobile; None: from the number
    values: dict[str, Any]


@dataclass(frozen=True)
class SeedAccount:
    where: str
    sid: str
    friendly_name: str
    auth_token: str
    owner_sid: str | None  # None: a top-level account
    status: str
    is_main: bool = False
    applications: tuple[SeedApplication, ...] = ()
    numbers: tuple[SeedNumber, ...] = ()


@dataclass(frozen=True)
class TraceWrite:
    """One trace to store (new or again), with the requests made since it was last stored."""

    account_sid: str
    sid: str
    kind: str  # call | message
    status: str
    body: dict[str, Any]  # traffic/trace.py `Trace.body()`: plain values, requests by SID
    requests: list[tuple[str, dict[str, Any]]]  # (RQ… SID, the request as plain values)
    new: bool = False  # never stored (a SID made for it): inserted without looking for it


@dataclass(frozen=True)
class LiveCall:
    """A paused interactive call: the engine's state, until `expires_at` (microseconds)."""

    account_sid: str
    sid: str
    state: dict[str, Any]
    expires_at: int


@dataclass(frozen=True)
class RecordingFilter:
    call_sid: str | None = None
    conference_sid: str | None = None
    created_from: int | None = None  # date_created >= (microseconds)
    created_before: int | None = None  # date_created < (microseconds)


@dataclass(frozen=True)
class CallFilter:
    """Which calls of an account to list (`Calls.json`'s filters; every given one must hold)."""

    to: str | None = None
    from_: str | None = None
    parent_call_sid: str | None = None
    status: str | None = None
    started_from: int | None = None  # start_time >= (µs)
    started_before: int | None = None  # start_time < (µs)
    ended_from: int | None = None
    ended_before: int | None = None


@dataclass(frozen=True)
class NewJob:
    """A job to store: run `kind`'s handler about `subject` (a message's or call's SID) once
    `due` (µs since the epoch, the store's clock) has passed."""

    account_sid: str
    kind: str  # namespaced: message.*, call.*
    subject: str
    due: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class Job:
    """A claimed job. `attempts` counts its claims, this one included; (`owner`, `attempts`)
    names the claim, so only its holder can finish or reschedule it."""

    id: str
    account_sid: str
    kind: str
    subject: str
    due: int
    payload: dict[str, Any]
    attempts: int
    owner: str = ""


@dataclass(frozen=True)
class Claim:
    """What `claim_jobs` takes: up to `limit` jobs ready at `now`, for `owner`, for `lease` µs."""

    now: int
    limit: int
    lease: int
    owner: str


@dataclass(frozen=True)
class RowUpdate:
    """Changes to one record (by its table's name), made in the transaction finishing a job."""

    table: str  # messages, ...
    account_sid: str
    sid: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class Handset:
    """How a number outside Switchboard behaves towards one account (traffic/handsets.py)."""

    account_sid: str
    phone_number: str
    message_outcome: str = "delivered"  # delivered | undelivered | failed
    message_error_code: int | None = None  # None: 30003 (undelivered), 30008 (failed)
    call_outcome: str = "completed"  # completed | busy | no-answer | failed
    answered_by: str = "human"
    call_duration: int = 0  # seconds; 0: as long as the call's TwiML takes
    input: tuple[str, ...] = ()  # its answers to Gathers, as the conversation engine reads them
    date_created: int = 0
    date_updated: int = 0


@dataclass(frozen=True)
class StepRead:
    """What a step of a sent message reads (`Store.message_for_step`)."""

    message: Record
    trace: dict[str, Any] | None  # the body of its trace (its callbacks so far), if any
    auth_token: str | None  # its account's, to sign the callback; None when the account is gone


@dataclass(frozen=True)
class Sending:
    """What sending a message from `sender` to `recipient` depends on, read in one statement
    in the transaction that stores it (`Store.send_message`)."""

    sender_capabilities: dict[str, Any] | None  # None: `sender` is not a number of the account
    opted_out: bool  # `recipient` opted out of `sender` (STOP)
    recipient_is_ours: bool  # `recipient` is a Switchboard number (Twilio-to-Twilio)
    handset: Handset | None  # how `recipient` behaves, if the account set it


@dataclass(frozen=True)
class MessageFilter:
    to: str | None = None
    from_: str | None = None
    sent_from: int | None = None  # date_sent >= (µs)
    sent_until: int | None = None  # date_sent < (µs)
    direction: tuple[str, ...] = ()  # any of these; () any
    status: tuple[str, ...] = ()  # any of these; () any


@dataclass
class SeedResult:
    """What a seed did, per kind (`accounts`, `applications`, `numbers`)."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str, kind: str) -> None:
        counts: dict[str, int] = getattr(self, outcome)
        counts[kind] = counts.get(kind, 0) + 1


class Store(ABC):
    clock: Clock
    sids: SidSource
    # Called (with the earliest `due`) after a write that stored jobs commits: the process's
    # outbox worker wakes at once instead of at its next poll.
    on_new_jobs: Callable[[int], None] | None = None

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> bool:
        """True when the database answers."""

    def unavailable(self, exc: BaseException) -> bool:
        """True when `exc` means the database cannot be reached (answered with 503)."""
        return isinstance(exc, StoreUnavailable)

    # Accounts

    @abstractmethod
    async def get_account(self, sid: str) -> Account | None: ...

    @abstractmethod
    async def list_accounts(self) -> list[Account]:
        """Every account (for the CLI)."""

    @abstractmethod
    async def list_account_family(
        self, root_sid: str, *, friendly_name: str | None, status: str | None, page: Keyset
    ) -> list[Account]:
        """`root_sid` itself and its subaccounts."""

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
    async def update_account(
        self, sid: str, *, friendly_name: str | None = None, status: str | None = None
    ) -> Account | None:
        """Raises 21479 when a closed account would be reopened."""

    @abstractmethod
    async def set_auth_token(self, sid: str, auth_token: str) -> bool:
        """Rotate an account's auth token; False when there is no such account."""

    @abstractmethod
    async def ensure_main_account(
        self, sid: str | None, auth_token: str | None
    ) -> tuple[Account, bool]:
        """The main account, created or updated; True when it was just created.

        With `sid` and `auth_token` (from TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN) that account
        exists afterwards with that token. Without them an existing main account is kept, or a
        fresh one generated.
        """

    # API keys (records: sid, account_sid, friendly_name, date_created, date_updated; never the
    # secret, which only `get_key`'s ApiKey carries)

    @abstractmethod
    async def create_key(
        self, account_sid: str, friendly_name: str | None, secret: str, *, sid: str | None = None
    ) -> Record:
        """A new key that keeps `secret` (to check Basic auth and Access Token signatures); its
        SID is `sid` when given (test suites provisioning the key their code uses)."""

    @abstractmethod
    async def get_key(self, sid: str) -> ApiKey | None:
        """The key with this SID, whatever its account (for authentication)."""

    @abstractmethod
    async def list_keys(self, account_sid: str, page: Keyset) -> list[Record]: ...

    @abstractmethod
    async def update_key(self, account_sid: str, sid: str, friendly_name: str) -> Record | None: ...

    @abstractmethod
    async def delete_key(self, account_sid: str, sid: str) -> bool: ...

    # Applications

    @abstractmethod
    async def get_application(self, account_sid: str, sid: str) -> Record | None: ...

    @abstractmethod
    async def application_account(self, sid: str) -> str | None:
        """The account that owns application `sid`, or None."""

    @abstractmethod
    async def list_applications(
        self, account_sid: str, *, friendly_name: str | None, page: Keyset
    ) -> list[Record]: ...

    @abstractmethod
    async def create_application(self, account_sid: str, values: dict[str, Any]) -> Record:
        """Raises TwilioError 21301 when the account already has the maximum."""

    @abstractmethod
    async def create_applications(
        self, account_sid: str, values: Sequence[dict[str, Any]]
    ) -> list[Record]:
        """Many at once, in one transaction (seeding, benchmarks); all or none (21301)."""

    @abstractmethod
    async def update_application(
        self, account_sid: str, sid: str, changes: dict[str, Any]
    ) -> Record | None: ...

    @abstractmethod
    async def delete_application(self, account_sid: str, sid: str) -> bool:
        """Also clears every number's link to it, in the same transaction."""

    # IncomingPhoneNumbers

    @abstractmethod
    async def get_number(self, account_sid: str, sid: str) -> Record | None: ...

    @abstractmethod
    async def number_account(self, sid: str) -> str | None: ...

    @abstractmethod
    async def find_number(self, account_sid: str, phone_number: str) -> Record | None:
        """The account's number record for an E.164 number."""

    async def find_number_and_application(
        self, account_sid: str, phone_number: str, link: str
    ) -> tuple[Record, Record | None] | None:
        """The account's number for an E.164 number and the application its `link`
        (`voice_application_sid`, `sms_application_sid`) names, if any: what a simulated call
        or message reads first. Here two reads; the SQL store makes it one."""
        number = await self.find_number(account_sid, phone_number)
        if number is None:
            return None
        app_sid = number[link]
        return number, (await self.get_application(account_sid, app_sid) if app_sid else None)

    @abstractmethod
    async def list_numbers(
        self, account_sid: str, *, filters: NumberFilter, page: Keyset
    ) -> list[Record]: ...

    @abstractmethod
    async def create_number(
        self,
        account_sid: str,
        values: dict[str, Any],
        *,
        phone_number: str | None,
        area_code: str | None,
        number_type: str | None,
    ) -> Record:
        """Provision `phone_number`, or a free number in `area_code`.

        Raises 21422 when the number belongs to any account, 21452 when the area code has no
        free number, 21420 when an application link does not name an application of the account.
        """

    @abstractmethod
    async def update_number(
        self, account_sid: str, sid: str, changes: dict[str, Any], *, move_to: str | None = None
    ) -> Record | None:
        """`move_to`: the account the number moves to; links that would cross accounts clear."""

    @abstractmethod
    async def delete_number(self, account_sid: str, sid: str) -> bool: ...

    # Simulated traffic: traces and the webhook request log, each bounded to the newest `keep`
    # rows per account; recordings; interactive calls paused between inputs.

    @abstractmethod
    async def save_traffic(
        self,
        traces: Sequence[TraceWrite],
        *,
        keep: int,
        live: LiveCall | None = None,
        finished: str | None = None,
    ) -> None:
        """In one transaction: store each trace (insert, or replace its body) and its new request
        rows, prune each log to `keep`; keep `live` (a paused call, released) or forget the live
        call `finished`."""

    @abstractmethod
    async def get_trace(
        self, account_sid: str, sid: str, kind: str, *, requests: bool = True
    ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The trace's body and the rows (`sid` + body) of its requests still in the log
        (`requests=False`: the body alone, with no rows, for a caller that only adds to it)."""

    @abstractmethod
    async def list_requests(
        self, account_sid: str, page: Keyset, filters: RequestFilter | None = None
    ) -> list[Record]:
        """Newest first: `after` continues towards older requests, `before` towards newer.
        With `filters`, only the requests they match (pages stay full: the limit counts
        matches)."""

    @abstractmethod
    async def get_request(self, account_sid: str, sid: str) -> Record | None:
        """One request of the account's log (as `list_requests` shows it), or None."""

    @abstractmethod
    async def log_requests(
        self, account_sid: str, trace_sid: str, requests: list[dict[str, Any]], *, keep: int
    ) -> list[str]:
        """Add requests made for an existing trace (a replay) to the log, then prune to `keep`;
        their new `RQ…` SIDs."""

    # Status

    @abstractmethod
    async def account_counts(self, account_sid: str) -> dict[str, int]:
        """How many of each resource the account holds (its own, not its subaccounts')."""

    @abstractmethod
    async def schema_revision(self) -> str | None:
        """The database schema's migration revision."""

    @abstractmethod
    async def locate_number(self, phone_number: str) -> Record | None:
        """The number record for an E.164 number, whichever account holds it (`<Dial>`)."""

    @abstractmethod
    async def create_recording(self, values: dict[str, Any]) -> Record: ...

    @abstractmethod
    async def get_recording(self, account_sid: str, sid: str) -> Record | None: ...

    @abstractmethod
    async def recording_account(self, sid: str) -> str | None: ...

    @abstractmethod
    async def list_recordings(
        self, account_sid: str, filters: RecordingFilter, page: Keyset
    ) -> list[Record]:
        """Newest first, as Twilio lists recordings."""

    @abstractmethod
    async def delete_recording(self, account_sid: str, sid: str) -> bool: ...

    @abstractmethod
    async def claim_live_call(
        self, account_sid: str, sid: str, lease_until: int
    ) -> tuple[str, dict[str, Any] | None]:
        """Take a paused call for one continuation: ("claimed", state), ("busy", None) while
        another request holds it (until its lease ends), or ("gone", None)."""

    @abstractmethod
    async def claim_expired_calls(
        self, lease_until: int, limit: int
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """Claim up to `limit` paused calls past their expiry and not held: (account, sid,
        state). A conditional UPDATE: each is claimed by exactly one process."""

    # Voice SDK devices registered to receive calls (records: sid, account_sid, identity,
    # key_sid, answer, script, expires_at, date_created, and `calls`, newest first). A device is
    # live until its token's expiry, while the key that signed the token exists.

    @abstractmethod
    async def register_device(self, values: dict[str, Any], *, limit: int) -> Record:
        """A new device (a fresh `DV…` SID), once the account's devices that are no longer live
        are forgotten; TwilioError 20001 when the account has `limit` live devices already."""

    @abstractmethod
    async def list_devices(self, account_sid: str, page: Keyset) -> list[Record]:
        """The account's live devices, with their calls."""

    @abstractmethod
    async def get_device(self, account_sid: str, sid: str) -> Record | None:
        """One live device of the account, with its calls."""

    @abstractmethod
    async def delete_device(self, account_sid: str, sid: str) -> bool:
        """Unregister a device (its calls go with it)."""

    @abstractmethod
    async def ringing_devices(self, account_sid: str, identity: str) -> list[Record]:
        """The account's live devices registered as `identity`, oldest first (no calls)."""

    @abstractmethod
    async def record_device_calls(
        self, calls: Sequence[tuple[str, str, dict[str, Any]]], *, keep: int
    ) -> None:
        """(device SID, call SID, what the device saw of the call), in one transaction; each
        device keeps its newest `keep` calls."""

    # Calls made with `Calls.json` (traffic/outbound.py moves them on)

    @abstractmethod
    async def create_call(self, record: Record, jobs: Sequence[NewJob]) -> Record:
        """Store a new call (its SID, dates and values already set) and its first jobs, in one
        transaction."""

    @abstractmethod
    async def get_call(self, account_sid: str, sid: str) -> Record | None: ...

    @abstractmethod
    async def call_account(self, sid: str) -> str | None: ...

    @abstractmethod
    async def list_calls(self, account_sid: str, filters: CallFilter, page: Keyset) -> list[Record]:
        """Newest first, as Twilio lists calls."""

    @abstractmethod
    async def transition_call(
        self,
        account_sid: str,
        sid: str,
        expected: Sequence[str],
        changes: dict[str, Any],
        jobs: Sequence[NewJob] = (),
    ) -> Record | None:
        """Apply `changes` (and store `jobs`) in one transaction, only while the call's status
        is one of `expected`: the updated record, or None (no such call, or its status moved)."""

    @abstractmethod
    async def save_call_traffic(
        self,
        traces: Sequence[TraceWrite],
        *,
        keep: int,
        live: LiveCall | None,
        finished: str | None,
        jobs: Sequence[NewJob],
        call: tuple[str, str, dict[str, Any]] | None = None,
        superseded: tuple[str, str] | None = None,
    ) -> None:
        """`save_traffic`, plus in the same transaction: store `jobs` (a call's next step),
        apply `call` (account SID, call SID, changes) to a call's record, and drop the jobs
        `superseded` names (kind, subject) that no process holds."""

    @abstractmethod
    async def delete_call(self, account_sid: str, sid: str) -> bool: ...

    # The outbox: jobs (traffic/outbox.py)

    @abstractmethod
    async def add_jobs(self, jobs: Sequence[NewJob]) -> None:
        """Store jobs (durable on return)."""

    @abstractmethod
    async def claim_jobs(self, now: int, limit: int, lease: int, owner: str) -> list[Job]:
        """Claim up to `limit` jobs ready at `now` (due, or whose last claim's lease ran out),
        earliest first, for `lease` µs. Each ready job is claimed by one caller: PostgreSQL
        skips the rows another transaction holds (`FOR UPDATE SKIP LOCKED`); SQLite has one
        writer."""

    async def finish_job(
        self,
        job: Job,
        follow_ups: Sequence[NewJob] = (),
        *,
        updates: Sequence[RowUpdate] = (),
        inserts: Sequence[tuple[str, Record]] = (),
        traces: Sequence[TraceWrite] = (),
        keep: int = 0,
    ) -> bool:
        """In one transaction, only while `job`'s claim still holds it: delete the job, store
        `follow_ups`, insert `inserts` ((table, record)), apply `updates`, save `traces` and
        their requests (the logs trimmed to `keep`). False (and nothing written) when the
        claim was lost (its lease ran out and another process took the job)."""
        done = await self.finish_and_claim(
            job, follow_ups, updates=updates, inserts=inserts, traces=traces, keep=keep
        )
        return done is not None

    @abstractmethod
    async def finish_and_claim(
        self,
        job: Job,
        follow_ups: Sequence[NewJob] = (),
        *,
        updates: Sequence[RowUpdate] = (),
        inserts: Sequence[tuple[str, Record]] = (),
        traces: Sequence[TraceWrite] = (),
        keep: int = 0,
        claim: Claim | None = None,
    ) -> list[Job] | None:
        """`finish_job`, then, with `claim`, in the same transaction `claim_jobs` as it says:
        one transaction where a busy worker needed two. The jobs claimed (none without
        `claim`); None (nothing written, nothing claimed) when `job`'s claim was lost."""

    @abstractmethod
    async def retry_job(self, job: Job, ready_at: int) -> bool:
        """Release `job`'s claim, to be claimed again from `ready_at`; False when it was lost."""

    @abstractmethod
    async def renew_jobs(self, jobs: Sequence[Job], ready_at: int) -> int:
        """Extend each of `jobs`' claims that still holds (the job neither finished nor taken
        over since) until `ready_at`: a job running longer than its lease keeps it. How many
        were extended."""

    @abstractmethod
    async def next_job_at(self) -> int | None:
        """When the earliest job becomes ready (µs), None when there is no job at all."""

    @abstractmethod
    async def pending_jobs(self, account_sid: str) -> int:
        """How many jobs of the account are stored (due or not, claimed or not)."""

    # Messages and their media

    @abstractmethod
    async def create_message(
        self, record: Record, media: Sequence[Record], jobs: Sequence[NewJob]
    ) -> Record:
        """Store a new message (its SID, dates and values already set), its media and its first
        jobs in one transaction."""

    @abstractmethod
    async def send_message(
        self,
        record: Record,
        media: Sequence[Record],
        first_step: Callable[[Sending], Sequence[NewJob]],
    ) -> Record:
        """Store a message the account sends (`record["from"]` to `record["to"]`) with its media
        and first jobs, in one transaction that first reads what sending it depends on and hands
        it to `first_step` (plain code, no I/O): its jobs, or an exception (a refusal), which
        stores nothing and reaches the caller."""

    @abstractmethod
    async def get_message(self, account_sid: str, sid: str) -> Record | None: ...

    @abstractmethod
    async def message_for_step(self, account_sid: str, sid: str) -> StepRead | None:
        """What a step of a sent message reads, in one statement: the message, its trace's
        body and its account's auth token (None when the message is gone)."""

    @abstractmethod
    async def message_account(self, sid: str) -> str | None: ...

    @abstractmethod
    async def list_messages(
        self, account_sid: str, filters: MessageFilter, page: Keyset
    ) -> list[Record]:
        """Newest first, as Twilio lists messages."""

    @abstractmethod
    async def update_message(
        self, account_sid: str, sid: str, changes: dict[str, Any]
    ) -> Record | None: ...

    @abstractmethod
    async def delete_message(self, account_sid: str, sid: str) -> bool:
        """The message and its media."""

    @abstractmethod
    async def list_media(
        self, account_sid: str, message_sid: str, page: Keyset
    ) -> list[Record]: ...

    @abstractmethod
    async def get_media(self, account_sid: str, message_sid: str, sid: str) -> Record | None: ...

    @abstractmethod
    async def delete_media(self, account_sid: str, message_sid: str, sid: str) -> bool: ...

    # Handsets and opt-outs

    @abstractmethod
    async def get_handset(self, account_sid: str, phone_number: str) -> Handset | None: ...

    @abstractmethod
    async def put_handset(self, handset: Handset) -> Handset:
        """Create or replace the account's handset (its date_created kept)."""

    @abstractmethod
    async def set_opt_out(self, account_sid: str, sender: str, recipient: str, out: bool) -> None:
        """`recipient` opts out of (or back into) messages from the account's `sender`."""


    @abstractmethod
    async def opted_out_of(self, account_sid: str, recipient: str) -> list[str]:
        """The account's numbers `recipient` opted out of, in order."""

    # Fixtures and test support

    @abstractmethod
    async def seed(self, accounts: Sequence[SeedAccount]) -> SeedResult:
        """Make the store hold these accounts, applications and numbers, in one transaction.

        Idempotent: records are matched (accounts by SID; applications by SID, else by friendly
        name; numbers by SID, else by phone number) and replaced with the fixture's values; a
        record whose values already match is left untouched. Top-level accounts are written
        before subaccounts. Raises TwilioError (its message starts with the item's `where`) when
        a SID or number belongs to another account, a link names no application of the account,
        an owner is missing or is itself a subaccount, or an account would exceed 1000
        applications; then nothing is written.
        """

    @abstractmethod
    async def reset(self) -> None:
        """Empty the store but for the main accounts, whose credentials stay valid.

        One write transaction: webhook requests, traces, paused calls, recordings, Voice SDK
        devices, numbers, API keys, applications and every account that is not a main account
        are deleted.
        """
