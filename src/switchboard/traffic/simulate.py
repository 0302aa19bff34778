"""The one door from `api/` and `cli/` to simulated traffic: it reads what a call or message
needs from the store (number, application, account token), runs the engine, and saves what
happened (traces, requests, recordings, paused calls). The engines never see the store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlencode

from switchboard.store.base import LiveCall, NewJob, Store
from switchboard.traffic import clients, progress, twiml
from switchboard.traffic.call_params import STIR_VERSTATS, inbound_params, outbound_params
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
from switchboard.traffic.plans import Plan, application_plan, sms_plan, voice_plan
from switchboard.traffic.trace import Trace, writes
from switchboard.twilio import calls, errors
from switchboard.twilio.params import WHOLE_NUMBER, valid_url
from switchboard.twilio.resources import CALL, CALL_ENDED, Account, Record
from switchboard.twilio.rules import E164_RE

DEFAULT_INTERACTIVE_TIMEOUT = 60  # seconds a paused call waits for its next input
MAX_INTERACTIVE_TIMEOUT = 3600
LEASE = 300_000_000  # µs a continuation holds a paused call (longer than any continuation)
SWEEP_BATCH = 20


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
    if not WHOLE_NUMBER.match(timeout) or not 1 <= int(timeout) <= MAX_INTERACTIVE_TIMEOUT:
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
        # µs between two steps of asynchronous traffic (`--delivery-delay`, in seconds)
        self.delay_us = int(delivery_delay * 1_000_000)
        self.directory = _Directory(store)

    def env(self) -> Env:
        return Env(
            self.webhooks,
            self.store.sids.new,
            self.media_base,
            self.directory,
            _Recordings(self.store),
        )

    async def _number(self, account: Account, to: str, link: str) -> tuple[Record, Record | None]:
        """The account's number `to` (404 when it has none) and the application its `link`
        names, if any."""
        found = await self.store.find_number_and_application(account.sid, to, link)
        if found is None:
            raise errors.number_not_found(to, account.sid)
        return found

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
        run = CallRun(self.env(), call, plan, script, interactive=interactive)
        run.trace.fresh = True  # `call` is new (its SID made by the caller of this)
        await run.start()
        view = _view(run.trace)
        await self._save(run, ttl)
        return view

    async def _save(
        self,
        run: CallRun,
        ttl: int,
        *,
        call: tuple[str, str, dict[str, Any]] | None = None,
        next_step: bool = True,
    ) -> None:
        """Save a call's run: its traces and requests, and the paused call (or forget it once
        ended). A call made with `Calls.json` also gets its next job in the same transaction:
        `call.resume` when its far end stays silent where it paused, `call.complete` once it
        ended; `call` applies changes to its record there too."""
        outbound = run.call.direction == "outbound-api"
        now = self.store.clock()
        jobs: list[NewJob] = []
        if not next_step:
            pass
        elif outbound and run.paused:
            assert run.trace.waiting is not None
            wait = progress.paused_timeout(run.trace.waiting)
            ttl = wait + progress.RESUME_MARGIN
            due = now + wait * 1_000_000
            jobs.append(NewJob(run.call.account_sid, progress.RESUME, run.call.sid, due,
                               {"at": run.clock}))  # fmt: skip
        elif outbound:
            payload = {"status": run.trace.status, "duration": run.trace.duration or 0}
            jobs.append(NewJob(run.call.account_sid, progress.COMPLETE, run.call.sid,
                               now + self.delay_us, payload))  # fmt: skip
        live = None
        if run.paused:
            state = {"engine": run.snapshot(), "ttl": ttl}
            expires = now + ttl * 1_000_000
            live = LiveCall(run.call.account_sid, run.call.sid, state, expires)
        # A call stored as paused is forgotten once it ends (a fresh one never was).
        finished = None if run.paused or run.trace.fresh else run.call.sid
        traces = [run.trace, *run.related]
        if outbound:
            await self.store.save_call_traffic(
                writes(traces),
                keep=self.keep,
                live=live,
                finished=finished,
                jobs=jobs,
                call=call,
                superseded=(progress.RESUME, run.call.sid) if next_step else None,
            )
        else:
            await self.store.save_traffic(
                writes(traces), keep=self.keep, live=live, finished=finished
            )
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
            if await self.store.get_trace(account.sid, sid, "call", requests=False) is None:
                raise errors.not_found(path)
            raise errors.call_not_in_progress(sid)
        return await self._restore(account, sid, state), state["ttl"]

    async def _restore(self, account: Account, sid: str, state: dict[str, Any]) -> CallRun:
        stored = await self.store.get_trace(account.sid, sid, "call", requests=False)
        if stored is None:  # pruned from the log while paused: start a fresh body
            raise errors.call_not_in_progress(sid)
        trace = Trace.from_body(stored[0])
        return CallRun.restore(self.env(), state["engine"], trace, account.auth_token)

    async def _stored(self, account_sid: str, sid: str) -> TraceView:
        stored = await self.store.get_trace(account_sid, sid, "call")
        if stored is None:
            raise errors.call_not_in_progress(sid)
        return TraceView(*stored)

    async def call_input(self, account: Account, sid: str, form: Form, path: str) -> TraceView:
        """A paused interactive call hears one `Input` and runs on."""
        if await self.store.get_trace(account.sid, sid, "call", requests=False) is None:
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

    # Calls made with `Calls.json` (their jobs: traffic/outbound.py)

    async def place_call(self, account: Account, form: Form) -> Record:
        """A new call, `queued`, stored with its first job (`call.initiate`) in one
        transaction; refused (nothing stored) when a parameter is."""
        to, from_, options = calls.parse_create(form)
        phone_number_sid = None
        if not from_.startswith(calls.CLIENT) and from_ != calls.MAGIC_FROM_VALID:
            number = await self.store.find_number(account.sid, from_)
            if number is None:
                raise errors.call_from_not_verified(from_)
            phone_number_sid = number["sid"]
        app_sid = options.pop("application_sid")
        if app_sid is not None:
            app = await self.store.get_application(account.sid, app_sid)
            if app is None:
                raise errors.invalid_application_sid(app_sid)
            plan = application_plan(app)  # its URLs and status callback, not the request's
        else:
            plan = Plan(
                None,
                "2010-04-01",
                options["url"],
                options["method"],
                options["fallback_url"],
                options["fallback_method"],
                options["status_callback"],
                options["status_callback_method"],
                False,
            )
        for key in ("url", "method", "fallback_url", "fallback_method", "status_callback",
                    "status_callback_method"):  # fmt: skip
            options.pop(key)
        if options["twiml"] is not None:
            _check_twiml(options["twiml"])
        now = self.store.clock()
        sid = self.store.sids.new(CALL.prefix)
        record = {
            **CALL.defaults(),
            "sid": sid,
            "account_sid": account.sid,
            "api_version": plan.api_version,
            "date_created": now,
            "date_updated": now,
            "to": to,
            "to_formatted": calls.formatted(to),
            "from": from_,
            "from_formatted": calls.formatted(from_),
            "phone_number_sid": phone_number_sid,
            "options": {**options, "plan": plan.as_dict(), "history": [["queued", now]]},
        }
        first = NewJob(account.sid, progress.INITIATE, sid, now + self.delay_us, {})
        return await self.store.create_call(record, [first])

    async def update_call(self, account: Account, sid: str, form: Form, path: str) -> Record:
        """`Status=canceled|completed` ends a call that has not ended; `Url`/`Twiml` give a
        queued or ringing call its document, or redirect a live call that waits for its far
        end; the other parameters replace what the call will use next."""
        changes = calls.parse_update(form)
        if changes.get("twiml") is not None:
            _check_twiml(changes["twiml"])
        call = await self.store.get_call(account.sid, sid)
        if call is None:
            raise errors.not_found(path)
        target = changes.pop("status", None)
        if target is not None:
            return await self._end_call(account, call, target, path)
        if call["status"] in CALL_ENDED:
            raise errors.call_state(
                sid, call["status"], "Call is not in-progress. Cannot redirect."
            )
        redirect = "url" in changes or "twiml" in changes
        options = _updated_options(call["options"], changes)
        if redirect and call["status"] == "in-progress":
            run, ttl = await self._claim_answered(account, sid, path)
            plan = Plan.from_dict(options["plan"])
            run.plan = dataclasses.replace(run.plan, fallback_url=plan.fallback_url,
                                           fallback_method=plan.fallback_method)  # fmt: skip
            await run.redirect(plan.url, plan.method, options["twiml"])
            await self._save(run, ttl, call=(account.sid, sid, {"options": options}))
        else:
            expected = (call["status"],)
            updated = await self.store.transition_call(
                account.sid, sid, expected, {"options": options}
            )
            if updated is None:  # it moved on meanwhile: judge again
                return await self.update_call(account, sid, form, path)
        found = await self.store.get_call(account.sid, sid)
        if found is None:
            raise errors.not_found(path)
        return found

    async def run_answered(
        self,
        account: Account,
        call: Record,
        trace: Trace,
        far_end: Script,
        callee: Callee | None,
    ) -> None:
        """An answered call made with `Calls.json` runs its document through the engine, then
        is saved with its next job (`_save`). Its far end is a handset or a Voice SDK device
        (`far_end`: their `Input` answers its `<Gather>`s; when it runs out, the call waits for
        them, as an interactive call, for the verb's timeout), or a Switchboard number
        (`callee`: that number's application answers it as an inbound call, signed with its
        own account's token, first; the call lasts as long as that side stays on the line)."""
        options = call["options"]
        plan = Plan.from_dict(options["plan"])
        now = self.store.clock()
        limit = int(options["time_limit"]) * 1000
        hangup_at = min(far_end.hangup_at if far_end.hangup_at is not None else limit, limit)
        related: list[Trace] = []
        if callee is not None:
            heard = [Input.parse(d) for d in _digits(options.get("send_digits"))]
            theirs = await self._answer_as_callee(call, callee, Script(heard, [], [], limit), now)
            related = [theirs.trace, *theirs.related]
            hangup_at = min(hangup_at, theirs.clock)
        elif options.get("send_digits"):
            trace.warnings.append(
                f"SendDigits {options['send_digits']!r} was played to the far end, which is not "
                "a Switchboard application: nobody listened"
            )
        params = outbound_params(
            account_sid=account.sid,
            api_version=plan.api_version,
            application_sid=plan.application_sid,
            call_sid=call["sid"],
            from_=call["from"],
            to=call["to"],
        )
        if options.get("machine_detection"):
            params["AnsweredBy"] = call["answered_by"] or "unknown"
        script = Script(list(far_end.inputs), list(far_end.dial_statuses),
                        list(far_end.dial_durations), hangup_at)  # fmt: skip
        the_call = Call(call["sid"], account.sid, account.auth_token, "outbound-api",
                        call["from"], call["to"], params, now)  # fmt: skip
        # Its status callbacks are the call's jobs' to send (`progress`), not the engine's.
        engine_plan = dataclasses.replace(plan, status_callback=None)
        run = CallRun(self.env(), the_call, engine_plan, script, interactive=callee is None)
        trace.status = "in-progress"
        run.trace = trace
        run.requester.trace = trace
        await run.start(options.get("twiml"))
        run.related.extend(related)
        changes = {"options": {**options, "ran": True}}
        await self._save(run, progress.RESUME_MARGIN, call=(account.sid, call["sid"], changes))

    async def _answer_as_callee(
        self, call: Record, callee: Callee, script: Script, now: int
    ) -> CallRun:
        sid = self.store.sids.new("CA")
        plan = callee.plan
        params = inbound_params(
            account_sid=callee.account_sid,
            api_version=plan.api_version,
            application_sid=plan.application_sid,
            call_sid=sid,
            from_=call["from"],
            to=call["to"],
            form={},
            caller_id_lookup=plan.caller_id_lookup,
            issued_at=now // 1_000_000,
        )
        inbound = Call(sid, callee.account_sid, callee.auth_token, "inbound", call["from"],
                       call["to"], params, now)  # fmt: skip
        run = CallRun(self.env(), inbound, plan, script)
        await run.start()
        return run

    async def resume_silent(self, account: Account, sid: str, at: int) -> None:
        """The far end of a paused call made with `Calls.json` said nothing for the verb's
        timeout: the call hears silence and runs on (unless it was continued meanwhile)."""
        status, state = await self.store.claim_live_call(
            account.sid, sid, self.store.clock() + LEASE
        )
        if status == "busy":
            raise errors.call_busy(sid)  # retried by the outbox after a moment
        if status == "gone" or state is None:
            return  # continued (or ended) another way
        run = await self._restore(account, sid, state)
        if run.clock != at:  # paused again since: this wait belongs to an older pause
            await self._save(run, state["ttl"], next_step=False)
            return
        await run.resume(Input("timeout"))
        await self._save(run, state["ttl"])

    async def _claim_answered(self, account: Account, sid: str, path: str) -> tuple[CallRun, int]:
        """An answered call made with `Calls.json`, for an update: it must be waiting for its
        far end (its document is not running at this very moment)."""
        try:
            return await self._claim(account, sid, path)
        except errors.TwilioError as exc:
            if exc.code != 21220 or exc.status != 400:
                raise
            raise errors.call_running(sid) from None

    async def _end_call(self, account: Account, call: Record, target: str, path: str) -> Record:
        sid, status, now = call["sid"], call["status"], self.store.clock()
        if status in ("queued", "ringing"):
            # Not answered yet: either status cancels it, as Twilio does.
            options = {**call["options"], "history": [*call["options"]["history"],
                                                       ["canceled", now]]}  # fmt: skip
            done = NewJob(account.sid, progress.COMPLETE, sid, now, {"status": "canceled"})
            updated = await self.store.transition_call(
                account.sid,
                sid,
                ("queued", "ringing"),
                {"status": "canceled", "end_time": now, "duration": "0", "options": options},
                [done],
            )
            if updated is not None:
                return updated
            fresh = await self.store.get_call(account.sid, sid)
            if fresh is None:
                raise errors.not_found(path)
            return await self._end_call(account, fresh, target, path)
        if status == "in-progress":
            if target == "canceled":
                return call  # canceling reaches only calls not answered yet (as on Twilio)
            run, ttl = await self._claim_answered(account, sid, path)
            await run.hangup("The call was ended by an update (Status=completed)")
            await self._save(run, ttl)
            found = await self.store.get_call(account.sid, sid)
            return found or call
        raise errors.call_state(sid, status, f"it has ended and cannot be {target}")

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
        trace.fresh = True
        view = _view(trace)
        await self.store.save_traffic(writes([trace]), keep=self.keep)
        return view


def _digits(raw: str | None) -> list[str]:
    """`SendDigits` as the callee's `<Gather>`s hear it: the keys, `w`/`W` (waits) dropped."""
    keys = "".join(k for k in (raw or "") if k not in "wW")
    return [keys] if keys else []


def _check_twiml(text: str) -> None:
    """A `Twiml` parameter must be a voice document (refused with its parse error's code)."""
    try:
        twiml.parse(text, "application/xml", messaging=False)
    except twiml.TwimlError as exc:
        raise errors.invalid_parameter(f"Twiml is not a valid TwiML document: {exc}") from None


def _updated_options(options: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A call's options with an update's changes (its plan's URLs and methods, `Twiml`,
    `TimeLimit`)."""
    plan = dict(options["plan"])
    out = dict(options)
    for key, value in changes.items():
        if key in ("url", "method", "fallback_url", "fallback_method", "status_callback",
                   "status_callback_method"):  # fmt: skip
            plan[key] = value
        else:
            out[key] = value
    out["plan"] = plan
    return out


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
