"""The one door from `api/` and `cli/` to simulated traffic: it reads what a call or message
needs from the store (number, application, account token), runs the engine, and saves what
happened (traces, requests, recordings, paused calls). The engines never see the store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlencode

from switchboard.store.base import LiveCall, Store, TraceWrite
from switchboard.traffic import clients
from switchboard.traffic.call_params import STIR_VERSTATS, inbound_params
from switchboard.traffic.caller import Form, Script
from switchboard.traffic.caller import Input as Input
from switchboard.traffic.documents import WebhookClient
from switchboard.traffic.engine import Call, Callee, CallRun, Env
from switchboard.traffic.messaging import Message, MessageRun
from switchboard.traffic.messaging import inbound_params as message_params
from switchboard.traffic.outbound import (
    ERROR_MESSAGES as ERROR_MESSAGES,
)
from switchboard.traffic.outbound import (
    LEGACY_PURPOSE as LEGACY_PURPOSE,
)
from switchboard.traffic.outbound import (
    STATUS_PURPOSE as STATUS_PURPOSE,
)
from switchboard.traffic.outbound import (
    Messages,
)
from switchboard.traffic.outbound import (
    Outgoing as Outgoing,
)
from switchboard.traffic.plans import Plan, sms_plan, voice_plan
from switchboard.traffic.trace import Trace
from switchboard.twilio import errors
from switchboard.twilio.params import valid_url
from switchboard.twilio.resources import Account, Record
from switchboard.twilio.rules import E164_RE

DEFAULT_INTERACTIVE_TIMEOUT = 60  # seconds a paused call waits for its next input
MAX_INTERACTIVE_TIMEOUT = 3600
LEASE = 300_000_000  # µs a continuation holds a paused call (longer than any continuation)
SWEEP_BATCH = 20
_WHOLE = re.compile(r"^[0-9]{1,9}\Z")


class TraceView(NamedTuple):
    """A trace as `api/` renders it: the stored body and the request rows it names."""

    body: dict[str, Any]
    requests: list[dict[str, Any]]


def _required(form: Mapping[str, str], name: str, code: int) -> str:
    value: str = form.get(name, "")
    if not value:
        raise errors.missing_phone_number(code, name)
    return value


def _to_from(form: Mapping[str, str]) -> tuple[str, str]:
    to = _required(form, "To", 21604)
    from_ = _required(form, "From", 21603)
    if not E164_RE.match(to):
        raise errors.invalid_to_number(to)
    return to, from_


def _interactive(form: Form) -> tuple[bool, int]:
    raw = str(form.get("Interactive", "false")).lower()
    if raw not in ("true", "false"):
        raise errors.invalid_parameter(f"Interactive must be true or false, not {raw[:20]!r}")
    timeout = form.get("InteractiveTimeout")
    if timeout is None:
        return raw == "true", DEFAULT_INTERACTIVE_TIMEOUT
    if not _WHOLE.match(timeout) or not 1 <= int(timeout) <= MAX_INTERACTIVE_TIMEOUT:
        raise errors.invalid_parameter(
            f"InteractiveTimeout must be 1 to {MAX_INTERACTIVE_TIMEOUT} seconds, not {timeout!r}"
        )
    return raw == "true", int(timeout)


class _Directory:
    """Who answers a `<Dial>` inside Switchboard: any account's number, through its plan."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def number(self, phone_number: str) -> Callee | None:
        number = await self.store.locate_number(phone_number)
        if number is None:
            return None
        account = await self.store.get_account(number["account_sid"])
        if account is None or account.status != "active":
            return None
        app = None
        if number["voice_application_sid"]:
            app = await self.store.get_application(account.sid, number["voice_application_sid"])
        return Callee(account.sid, account.auth_token, voice_plan(number, app))

    async def client(self, invite: clients.Invite) -> clients.Answer:
        return await clients.ring(self.store, invite)


class _Recordings:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def save(self, recording: dict[str, Any]) -> None:
        await self.store.create_recording(recording)


def _writes(traces: list[Trace]) -> list[TraceWrite]:
    """Each trace with the requests made since it was last saved (then forgotten here)."""
    out = []
    for t in traces:
        rows = [(d.sid, d.as_dict()) for d in t.requests]
        out.append(TraceWrite(t.account_sid, t.sid, t.kind, t.status, t.body(), rows))
    return out


def _view(trace: Trace) -> TraceView:
    return TraceView(trace.body(), [{"sid": d.sid, **d.as_dict()} for d in trace.requests])


class Simulator:
    """Simulated inbound calls and messages, and Voice SDK devices' calls and registrations,
    over one store and one webhook client."""

    def __init__(
        self,
        store: Store,
        webhooks: WebhookClient,
        *,
        keep: int,
        media_base: str,
        delivery_delay: float = 0.2,
    ):
        self.store = store
        self.webhooks = webhooks
        # Messages sent through the REST API, handsets' messages, and their outbox jobs.
        self.messages = Messages(store, webhooks, delay=delivery_delay, keep=keep)
        self.keep = keep
        self.media_base = media_base.rstrip("/")

    def _env(self) -> Env:
        return Env(
            self.webhooks,
            self.store.sids.new,
            self.media_base,
            _Directory(self.store),
            _Recordings(self.store),
        )

    async def _number(self, account: Account, to: str, link: str) -> tuple[Record, Record | None]:
        """The account's number `to` (404 when it has none) and the application its `link`
        names, if any."""
        number = await self.store.find_number(account.sid, to)
        if number is None:
            raise errors.number_not_found(to, account.sid)
        app = None
        if number[link]:
            app = await self.store.get_application(account.sid, number[link])
        return number, app

    # Calls

    async def call(self, account: Account, form: Form) -> TraceView:
        """An inbound call to one of `account`'s numbers, run until it ends (or, interactive,
        until it needs the caller)."""
        to, from_ = _to_from(form)  # type: ignore[arg-type]
        if form.get("CallDuration") is not None:
            raise errors.invalid_parameter(
                "CallDuration is no longer taken: the simulated clock measures the call "
                "(<Pause>, <Say>, <Gather timeout>...); use HangupAfter to end it early"
            )
        verstat = form.get("StirVerstat")
        if verstat and verstat not in STIR_VERSTATS:
            raise errors.invalid_parameter(
                f"StirVerstat must be one of {', '.join(sorted(STIR_VERSTATS))}, or empty: "
                f"{verstat!r}"
            )
        script = Script.from_form(form)
        interactive, ttl = _interactive(form)
        plan = voice_plan(*await self._number(account, to, "voice_application_sid"))
        sid = self.store.sids.new("CA")
        now = self.store.clock()
        params = inbound_params(
            account_sid=account.sid,
            api_version=plan.api_version,
            application_sid=plan.application_sid,
            call_sid=sid,
            from_=from_,
            to=to,
            form=form,  # type: ignore[arg-type]
            caller_id_lookup=plan.caller_id_lookup,
            issued_at=now // 1_000_000,
        )
        call = Call(sid, account.sid, account.auth_token, "inbound", from_, to, params, now)
        return await self._run(call, plan, script, interactive, ttl)

    async def client_call(self, accounts: clients.Accounts, form: Form) -> TraceView:
        """A Voice SDK device's call (`Token`, `Param`s) through its grant's application, run as
        an inbound call from `client:<identity>` in the token's account."""
        script = Script.from_form(form)
        interactive, ttl = _interactive(form)
        sid = self.store.sids.new("CA")
        placed = await clients.connect(self.store, form, accounts, sid)
        account, now = placed.account, self.store.clock()
        call = Call(
            sid, account.sid, account.auth_token, "inbound", placed.from_, placed.to,
            placed.params, now,
        )  # fmt: skip
        return await self._run(call, placed.plan, script, interactive, ttl)

    async def _run(
        self, call: Call, plan: Plan, script: Script, interactive: bool, ttl: int
    ) -> TraceView:
        """Run a call until it ends or pauses, and save what happened."""
        run = CallRun(self._env(), call, plan, script, interactive=interactive)
        await run.start()
        view = _view(run.trace)
        await self._save(run, ttl)
        return view

    async def _save(self, run: CallRun, ttl: int) -> None:
        live = None
        if run.paused:
            state = {"engine": run.snapshot(), "ttl": ttl}
            expires = self.store.clock() + ttl * 1_000_000
            live = LiveCall(run.call.account_sid, run.call.sid, state, expires)
        finished = None if run.paused else run.call.sid
        traces = [run.trace, *run.related]
        await self.store.save_traffic(_writes(traces), keep=self.keep, live=live, finished=finished)
        for t in traces:
            t.requests.clear()
        run.related.clear()

    async def _claim(self, account: Account, sid: str, path: str) -> tuple[CallRun, int]:
        status, state = await self.store.claim_live_call(
            account.sid, sid, self.store.clock() + LEASE
        )
        if status == "busy":
            raise errors.call_busy(sid)
        if status == "gone" or state is None:
            if await self.store.get_trace(account.sid, sid, "call") is None:
                raise errors.not_found(path)
            raise errors.call_not_in_progress(sid)
        return await self._restore(account, sid, state), state["ttl"]

    async def _restore(self, account: Account, sid: str, state: dict[str, Any]) -> CallRun:
        stored = await self.store.get_trace(account.sid, sid, "call")
        if stored is None:  # pruned from the log while paused: start a fresh body
            raise errors.call_not_in_progress(sid)
        trace = Trace.from_body(stored[0])
        return CallRun.restore(self._env(), state["engine"], trace, account.auth_token)

    async def _stored(self, account_sid: str, sid: str) -> TraceView:
        stored = await self.store.get_trace(account_sid, sid, "call")
        if stored is None:
            raise errors.call_not_in_progress(sid)
        return TraceView(*stored)

    async def call_input(self, account: Account, sid: str, form: Form, path: str) -> TraceView:
        """A paused interactive call hears one `Input` and runs on."""
        if await self.store.get_trace(account.sid, sid, "call") is None:
            raise errors.not_found(path)  # before judging the input: another's call is unknown
        values = form.getall("Input")
        if len(values) != 1:
            raise errors.invalid_parameter("Give exactly one Input to continue a call")
        heard = Input.parse(values[0])
        run, ttl = await self._claim(account, sid, path)
        await run.resume(heard)
        await self._save(run, ttl)
        return await self._stored(account.sid, sid)

    async def call_hangup(self, account: Account, sid: str, path: str) -> TraceView:
        """The caller of a paused interactive call hangs up."""
        run, ttl = await self._claim(account, sid, path)
        await run.hangup()
        await self._save(run, ttl)
        return await self._stored(account.sid, sid)

    async def expire_paused_calls(self) -> int:
        """Complete the paused calls nobody continued in time (each claimed by exactly one
        process); how many."""
        done = 0
        while True:
            claimed = await self.store.claim_expired_calls(self.store.clock() + LEASE, SWEEP_BATCH)
            for account_sid, sid, state in claimed:
                account = await self.store.get_account(account_sid)
                if account is None:
                    await self.store.save_traffic([], keep=self.keep, finished=sid)
                    continue
                try:
                    run = await self._restore(account, sid, state)
                except errors.TwilioError:
                    await self.store.save_traffic([], keep=self.keep, finished=sid)
                    continue
                await run.hangup(
                    f"The interactive call waited {state['ttl']} s without input: it expired "
                    "and the caller hung up"
                )
                await self._save(run, state["ttl"])
                done += 1
            if len(claimed) < SWEEP_BATCH:
                return done

    async def register_client(self, accounts: clients.Accounts, form: Form) -> dict[str, Any]:
        """A Voice SDK device registered to be rung as its token's identity."""
        return await clients.register(self.store, form, accounts)

    # Messages

    async def replay(self, account: Account, logged: Record) -> str:
        """Send a logged webhook request again: to its URL, with its method and parameters,
        signed afresh with the account's token, through the same client (so the target policy
        applies). The new delivery joins the log beside the original (`replay_of`); its SID."""
        method = str(logged["method"]).upper()
        url, params = _as_requested(logged["url"], method, logged.get("params") or {})
        delivery = await self.webhooks.send(
            logged["purpose"], method, url, params, account.auth_token
        )
        record = {**delivery.as_dict(), "replay_of": logged["sid"]}
        [sid] = await self.store.log_requests(
            account.sid, logged["trace_sid"], [record], keep=self.keep
        )
        return sid

    async def message(self, account: Account, form: Mapping[str, str]) -> TraceView:
        """An SMS/MMS to one of `account`'s numbers, through its messaging webhooks."""
        to, from_ = _to_from(form)
        media: list[tuple[str, str | None]] = []
        for i in range(10):
            url = form.get(f"MediaUrl{i}")
            if url and not valid_url(url):
                raise errors.invalid_url(f"MediaUrl{i}", url)
            if url:
                media.append((url, form.get(f"MediaContentType{i}") or None))
        body = form.get("Body", "")
        if len(body) > 1600:
            raise errors.body_too_long()
        plan = sms_plan(*await self._number(account, to, "sms_application_sid"))
        message = Message(
            self.store.sids.new("MM" if media else "SM"),
            account.sid,
            account.auth_token,
            from_,
            to,
            body,
            tuple(media),
            self.store.clock(),
        )
        run = MessageRun(
            self.webhooks, self.store.sids.new, message, plan, message_params(message, plan, form)
        )
        trace = await run.run()
        view = _view(trace)
        await self.store.save_traffic(_writes([trace]), keep=self.keep)
        return view


def _as_requested(url: str, method: str, params: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The URL and parameters to send again. A GET's log entry holds the URL with its
    parameters appended (what was requested and signed); take them off, or, should they not be
    found there, send the URL as logged with no parameters (still the same request)."""
    if method == "GET" and params:
        query = urlencode(params)
        for separator in "?&":
            if url.endswith(separator + query):
                return url[: -len(query) - 1], dict(params)
        return url, {}
    return url, dict(params)
