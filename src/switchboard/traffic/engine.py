"""The voice engine: a call's TwiML executed verb by verb, as Twilio runs it, on a simulated clock.

A function of (call, plan, caller script, environment) that leaves a trace of plain values: no
store, no HTTP server, no sleeping. The environment (`Env`) hands in the webhook client, the SID
source, where recordings go and who answers a dialled number; the call (`Call`) says who calls
whom, in which direction, with which parameters, so the same engine serves inbound calls,
outbound calls and client calls.

An interactive call stops where it needs the caller (a `<Gather>` or `<Record>` with no scripted
input left): `snapshot()` is then its whole state as plain values, and `CallRun.restore` takes it
up again, in any process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple, Protocol

from switchboard.traffic import clients, timing, twiml
from switchboard.traffic.call_params import (
    SIP_RESPONSE_CODES,
    billed_minutes,
    dial_leg_params,
    inbound_params,
)
from switchboard.traffic.caller import DTMF_KEYS, Input, Script
from switchboard.traffic.documents import Requester, WebhookClient, method_of
from switchboard.traffic.plans import Plan
from switchboard.traffic.trace import Trace
from switchboard.traffic.webhooks import join
from switchboard.twilio.dates import rfc2822

MAX_TWIML_REDIRECTS = 10  # `<Redirect>`s in a row (HTTP 3xx within a request: webhooks.py)
# Loops that would never end, or only after hours of requests: documents fetched in a row while
# no call time passes (an action answering the same verb, whose outcome takes no time), and
# documents in one run (from the start, or a resume, to the end or the next pause).
MAX_TIMELESS_DOCUMENTS = 10
MAX_DOCUMENTS_PER_RUN = 500
RECORDING_PATH = "/2010-04-01/Accounts/{account_sid}/Recordings/{sid}"
WARNING = twiml.WARNING
Verb = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One call leg: who calls whom, and the parameters every request of the call carries."""

    sid: str
    account_sid: str
    auth_token: str = field(repr=False)
    direction: str  # inbound | outbound-api | outbound-dial
    from_: str
    to: str
    params: dict[str, str]
    started_at: int  # microseconds since the epoch: call time 0
    parent_call_sid: str | None = None


class Callee(NamedTuple):
    """A Switchboard number that a `<Dial>` reaches: its account answers with its plan."""

    account_sid: str
    auth_token: str
    plan: Plan


class Directory(Protocol):
    """Who answers a dialled `<Number>` or `<Client>` inside Switchboard."""

    async def number(self, phone_number: str) -> Callee | None: ...

    async def client(self, invite: clients.Invite) -> clients.Answer:
        """Ring the Voice SDK devices of `invite.identity` in its account (`clients.ring`)."""


class RecordingSink(Protocol):
    async def save(self, recording: dict[str, Any]) -> None:
        """Store a Recording (its fields, `resources.RECORDING`) before its URL is sent."""


@dataclass
class Env:
    webhooks: WebhookClient
    new_sid: Callable[[str], str]
    media_base: str = ""  # scheme://host of this server, for `RecordingUrl`
    directory: Directory | None = None
    recordings: RecordingSink | None = None


class _Next(NamedTuple):
    """Continue with another document."""

    doc: twiml.Document
    url: str


class _Stop(Exception):
    """The call is over (`status` set) or paused: unwinds to the run loop."""


class Leg(NamedTuple):
    status: str  # a DialCallStatus
    ms: int  # bridged time
    bridged: bool
    callee_call_sid: str | None = None


def _int(verb: Verb, name: str, default: int, lo: int, hi: int, warnings: list[str]) -> int:
    raw = verb["attributes"].get(name)
    if raw is None:
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        value = lo - 1
    if not lo <= value <= hi:
        warnings.append(
            f"{WARNING}: <{verb['verb']} {name}={raw!r}> is not a whole number from {lo} to "
            f"{hi}; the default ({default}) applies"
        )
        return default
    return value


def _true(verb: Verb, name: str, default: bool) -> bool:
    raw = verb["attributes"].get(name)
    return default if raw is None else str(raw).strip().lower() == "true"


class CallRun:
    """One call being executed. `start()`, then `resume(input)` / `hangup()` while paused."""

    def __init__(
        self,
        env: Env,
        call: Call,
        plan: Plan,
        script: Script,
        *,
        interactive: bool = False,
        application_sid: str | None = None,
    ) -> None:
        self.env = env
        self.call = call
        self.plan = plan
        self.script = script
        self.interactive = interactive
        self.trace = Trace(
            "call",
            call.sid,
            call.account_sid,
            call.from_,
            call.to,
            application_sid if application_sid is not None else plan.application_sid,
            call.started_at,
            direction=call.direction,
            status="in-progress",
            parent_call_sid=call.parent_call_sid,
        )
        self.clock = 0  # ms of call time
        self.doc: list[Verb] = []
        self.doc_url = ""
        self.pc = 0
        self.redirects = 0
        self.documents = 0  # fetched in this run (`start`, or the latest `resume`)
        self.timeless = 0  # fetched in a row at the same call time
        self.timeless_at = -1
        self.ended_by = ""  # end-of-document | hangup | reject | caller | limit | failed
        self.related: list[Trace] = []  # other legs' traces: dialled numbers, whisper legs
        self.requester = Requester(
            env.webhooks, call.auth_token, self.trace, env.new_sid, lambda: self.clock
        )

    # Public: the life of a call

    @property
    def paused(self) -> bool:
        return self.trace.waiting is not None

    async def start(self, twiml_text: str | None = None) -> None:
        """Run from the first document: the plan's URL (then its fallback), or `twiml_text`
        (a call created with `Twiml`: the document is given, nothing is requested first)."""
        if twiml_text is not None:
            doc = self._given(twiml_text)
            first = None if doc is None else (doc, "")
        else:
            first = await self.requester.first(
                self.plan,
                self.call.params,
                messaging=False,
                purposes=("voice_url", "voice_fallback_url"),
            )
        if first is None:
            self.ended_by = "failed"
            await self._finish()
            return
        self._load(*first)
        await self._run()

    def _given(self, text: str) -> twiml.Document | None:
        """A document given with the call (`Twiml`), parsed as a webhook's answer would be;
        None (the call failed, 12100) when it is not TwiML."""
        try:
            doc = twiml.parse(text, "application/xml", messaging=False)
        except twiml.TwimlError as exc:
            self.trace.fail(exc.code, str(exc))
            return None
        self.trace.twiml = text
        self.trace.warnings.extend(doc.warnings)
        return doc

    async def redirect(self, url: str | None, method: str, twiml_text: str | None) -> None:
        """A live call takes a new document (`calls(sid).update(url=…|twiml=…)`): what it was
        waiting for is abandoned, and the new document runs from its start."""
        if self.trace.waiting is not None:
            entry = next(
                (e for e in reversed(self.trace.verbs) if e.get("waited") and "heard" not in e),
                None,
            )
            if entry is not None:
                entry["heard"] = None
                entry["interrupted"] = "the call was updated with a new document"
        self.trace.waiting = None
        self.redirects = 0
        try:
            if twiml_text is not None:
                doc = self._given(twiml_text)
                if doc is None:
                    self._end("failed")
                assert doc is not None
                self._load(doc, "")
            else:
                assert url is not None
                params = {**self.call.params, "CallStatus": "in-progress"}
                self._load(*await self._fetch("call_update", method, url, params))
        except _Stop:
            if not self.paused:
                await self._finish()
            return
        await self._run()

    async def resume(self, heard: Input) -> None:
        """The paused `<Gather>`/`<Record>` hears `heard`; the call runs on."""
        self.trace.waiting = None
        verb = self.doc[self.pc]
        self.pc += 1
        try:
            step = await self._listen(verb, heard)
            if step is not None:
                self._load(*step)
        except _Stop:
            if not self.paused:
                await self._finish()
            return
        await self._run()

    async def hangup(self, reason: str | None = None) -> None:
        """The caller hangs up while the call waits for them (or it expired: `reason`)."""
        self.trace.waiting = None
        if reason:
            self.trace.warnings.append(reason)
        self.ended_by = "caller"
        await self._finish()

    # The run loop

    def _load(self, doc: twiml.Document, url: str) -> None:
        self.doc, self.doc_url, self.pc = doc.verbs, url, 0

    async def _run(self) -> None:
        try:
            while True:
                if self.pc >= len(self.doc):
                    self.ended_by = "end-of-document"
                    break
                verb = self.doc[self.pc]
                self.pc += 1
                if verb["verb"] != "Redirect":
                    self.redirects = 0
                step = await self._execute(verb)
                if step is not None:
                    self._load(*step)
        except _Stop:
            if self.paused:
                return
        await self._finish()

    async def _execute(self, verb: Verb) -> _Next | None:
        name = verb["verb"]
        if name in ("Say", "Play", "Pause"):
            await self._prompt(verb)
            return None
        if name == "Gather":
            return await self._gather(verb)
        if name == "Record":
            return await self._record(verb)
        if name == "Dial":
            return await self._dial(verb)
        if name == "Redirect":
            return await self._redirect(verb)
        entry = self._log(verb)
        if name == "Hangup":
            self._end("hangup")
        if name == "Reject":
            reason = verb["attributes"].get("reason", "rejected")
            entry["status"] = "busy" if reason == "busy" else "no-answer"
            self.trace.status = entry["status"]
            self._end("reject")
        self.trace.warnings.append(
            f"<{name}> is recorded, not executed: Switchboard's simulation does not run it"
        )
        return None

    # Time

    def _limit(self) -> int:
        hangup = self.script.hangup_at
        return timing.MAX_CALL_MS if hangup is None else min(hangup, timing.MAX_CALL_MS)

    def _advance(self, ms: int) -> None:
        """Let `ms` of call time pass; ends the call (raises _Stop) if the caller hangs up (or
        the 4-hour limit comes) first."""
        limit = self._limit()
        if self.clock + ms > limit:
            self.clock = limit
            self._end("caller" if limit == self.script.hangup_at else "limit")
        self.clock += ms

    def _left(self) -> int:
        return max(0, self._limit() - self.clock)

    def _end(self, how: str) -> None:
        self.ended_by = how
        raise _Stop()

    def _log(self, verb: Verb, **outcome: Any) -> dict[str, Any]:
        """Record a verb in the trace at the current call time; the caller may add outcomes."""
        entry = {**verb, "at": self.clock, **outcome}
        self.trace.verbs.append(entry)
        return entry

    # <Say>, <Play>, <Pause>

    def _loops(self, verb: Verb) -> int:
        return _int(verb, "loop", 1, 0, 1000, self.trace.warnings)

    async def _prompt(
        self, verb: Verb, *, nested: bool = False, answering: bool = False
    ) -> None:
        """A `<Say>`, `<Play>` or `<Pause>`, top level or `nested` in a `<Gather>` (logged with
        it; `answering`: the caller will answer once it has played, so `loop="0"` plays once)."""
        name = verb["verb"]
        if not nested:
            self._log(verb)
        if name == "Pause":
            self._advance(_int(verb, "length", 1, 0, 14_400, self.trace.warnings) * 1000)
            return
        if name == "Say":
            once = timing.speaking(verb.get("text", ""))
        else:
            once = timing.playing(verb["attributes"].get("digits"))
        loops = self._loops(verb)
        if loops == 0:
            if answering:
                loops = 1
            else:  # forever: until the caller hangs up or the call reaches its limit
                self._advance(self._left() + 1)
        self._advance(once * loops)

    # <Gather>

    async def _gather(self, verb: Verb) -> _Next | None:
        entry = self._log(verb)
        answering = self.interactive or bool(self.script.inputs)
        for child in verb.get("children", []):
            await self._prompt(child, nested=True, answering=answering)
        heard = self.script.next_input()
        if heard is None and self.interactive:
            self._pause(verb, entry)
        return await self._gathered(verb, entry, heard)

    def _pause(self, verb: Verb, entry: dict[str, Any]) -> None:
        self.pc -= 1  # resume() runs this verb's listening half
        prompts = [
            {k: v for k, v in child.items() if k in ("verb", "attributes", "text")}
            for child in verb.get("children", [])
        ]
        self.trace.waiting = {
            "verb": verb["verb"],
            "attributes": verb["attributes"],
            "prompts": prompts,
            "at": self.clock,
        }
        self.trace.status = "in-progress"
        entry["waited"] = True
        raise _Stop()

    async def _listen(self, verb: Verb, heard: Input) -> _Next | None:
        """A paused verb, resumed with what the caller did."""
        entry = next(
            (e for e in reversed(self.trace.verbs) if e.get("waited") and "heard" not in e), None
        )
        if entry is None:
            entry = self._log(verb)
        if verb["verb"] == "Gather":
            return await self._gathered(verb, entry, heard)
        return await self._recorded(verb, entry, heard)

    async def _gathered(
        self, verb: Verb, entry: dict[str, Any], heard: Input | None
    ) -> _Next | None:
        warnings = self.trace.warnings
        attrs = verb["attributes"]
        modes = set(str(attrs.get("input", "dtmf")).lower().split())
        finish = str(attrs.get("finishOnKey", "#"))
        if finish and (len(finish) != 1 or finish not in DTMF_KEYS):
            warnings.append(f"{WARNING}: <Gather finishOnKey={finish!r}> is not one key; '#'")
            finish = "#"
        num_digits = _int(verb, "numDigits", 0, 1, 1000, warnings) or None
        timeout = _int(verb, "timeout", 5, 0, 600, warnings) * 1000
        raw_speech = str(attrs.get("speechTimeout", "")).strip().lower()
        if raw_speech == "auto":
            speech_end = timing.SPEECH_END_MS
        elif raw_speech:
            speech_end = _int(verb, "speechTimeout", timeout // 1000, 0, 600, warnings) * 1000
        else:
            speech_end = timeout
        entry["heard"] = str(heard) if heard is not None else None
        result: dict[str, str] = {}
        if heard is not None and heard.kind == "digits" and "dtmf" in modes:
            digits, ended_by_key = "", ""
            for key in heard.value:
                self._advance(timing.KEY_MS)
                if finish and key == finish:
                    ended_by_key = key
                    break
                digits += key
                if num_digits is not None and len(digits) >= num_digits:
                    break
            else:
                if not ended_by_key and (num_digits is None or len(digits) < num_digits):
                    self._advance(timeout)  # waiting for more keys that never come
            if digits:
                result = {"Digits": digits, "FinishedOnKey": ended_by_key}
        elif heard is not None and heard.kind == "speech" and "speech" in modes:
            self._advance(timing.speaking(heard.value) + speech_end)
            result = {"SpeechResult": heard.value, "Confidence": "0.9"}
        else:
            if heard is not None and heard.kind != "timeout":
                warnings.append(
                    f"The caller's input {str(heard)!r} does not fit <Gather "
                    f"input={attrs.get('input', 'dtmf')!r}>: heard as silence"
                )
            self._advance(timeout)
        entry["result"] = result
        if not result:
            if not _true(verb, "actionOnEmptyResult", False):
                return None  # falls through to the next verb, as on Twilio
            if "dtmf" in modes:
                result = {"Digits": "", "FinishedOnKey": ""}
        return await self._action(verb, "gather_action", result)

    # <Record>

    async def _record(self, verb: Verb) -> _Next | None:
        entry = self._log(verb)
        heard = self.script.next_input()
        if heard is None and self.interactive:
            self._pause(verb, entry)
        return await self._recorded(verb, entry, heard)

    async def _recorded(
        self, verb: Verb, entry: dict[str, Any], heard: Input | None
    ) -> _Next | None:
        warnings = self.trace.warnings
        attrs = verb["attributes"]
        timeout = _int(verb, "timeout", 5, 0, 3600, warnings) * 1000
        max_ms = (_int(verb, "maxLength", 3600, 1, 14_400, warnings) or 3600) * 1000
        finish = str(attrs.get("finishOnKey", "1234567890*#"))
        entry["heard"] = str(heard) if heard is not None else None
        start = self.clock
        spoken, key = 0, ""
        if heard is not None and heard.kind == "record":
            spoken, key = heard.seconds * 1000, heard.value
        elif heard is not None and heard.kind == "speech":
            spoken = timing.speaking(heard.value)
        elif heard is not None and heard.kind == "digits":
            key = next((k for k in heard.value if k in finish), "")
        spoken = min(spoken, max_ms)
        hung_up = False
        try:
            self._advance(spoken)
            if key and key in finish:
                self._advance(timing.KEY_MS)
            elif spoken < max_ms:
                key = ""
                self._advance(timeout if timeout else max_ms - spoken)  # silence ends it
        except _Stop:
            if self.ended_by != "caller":
                raise
            hung_up = True
            spoken = min(spoken, self.clock - start)
        seconds = timing.seconds(spoken)
        entry["duration"] = seconds
        if seconds == 0:  # nothing recorded: Twilio moves on without requesting the action
            if hung_up:
                raise _Stop()
            return None
        recording = await self._save_recording("RecordVerb", seconds, start, channels=1)
        entry["recording_sid"] = recording["sid"]
        extra = {
            "RecordingUrl": self._recording_url(recording["sid"]),
            "RecordingSid": recording["sid"],
            "RecordingDuration": str(seconds),
            "Digits": "hangup" if hung_up else key,
        }
        step = await self._action(verb, "record_action", extra, hung_up=hung_up)
        await self._recording_callbacks(verb, recording)
        if hung_up:
            raise _Stop()
        return step

    def _recording_url(self, sid: str) -> str:
        path = RECORDING_PATH.format(account_sid=self.call.account_sid, sid=sid)
        return f"{self.env.media_base}{path}"

    async def _save_recording(
        self, source: str, seconds: int, start: int, *, channels: int
    ) -> dict[str, Any]:
        recording: dict[str, Any] = {
            "sid": self.env.new_sid("RE"),
            "account_sid": self.call.account_sid,
            "api_version": self.plan.api_version,
            "call_sid": self.call.sid,
            "start_time": self.call.started_at + start * 1000,
            "duration": str(seconds),
            "channels": channels,
            "source": source,
        }
        if self.env.recordings is not None:
            await self.env.recordings.save(recording)
        self.trace.recordings.append(recording["sid"])
        return recording

    async def _recording_callbacks(self, verb: Verb, recording: dict[str, Any]) -> None:
        """`recordingStatusCallback`: the events asked for (default `completed`)."""
        attrs = verb["attributes"]
        url = attrs.get("recordingStatusCallback")
        if not url:
            return
        asked = str(attrs.get("recordingStatusCallbackEvent", "completed")).replace(",", " ")
        events = [e for e in ("in-progress", "completed") if e in asked.split()]
        for event in events:
            params = {
                "AccountSid": self.call.account_sid,
                "CallSid": self.call.sid,
                "RecordingSid": recording["sid"],
                "RecordingUrl": self._recording_url(recording["sid"]),
                "RecordingStatus": event,
                "RecordingChannels": str(recording["channels"]),
                "RecordingStartTime": rfc2822(recording["start_time"]),
                "RecordingSource": recording["source"],
            }
            if event == "completed":
                params["RecordingDuration"] = recording["duration"]
                params["ErrorCode"] = "0"
            await self.requester.send(
                "recording_status_callback",
                method_of(attrs.get("recordingStatusCallbackMethod")),
                join(self.doc_url, url),
                params,
            )

    # <Dial>

    async def _dial(self, verb: Verb) -> _Next | None:
        warnings = self.trace.warnings
        attrs = verb["attributes"]
        entry = self._log(verb)
        nouns = list(verb.get("children", []))
        if not nouns and verb.get("text"):
            nouns = [{"verb": "Number", "attributes": {}, "text": verb["text"]}]
        if not nouns:
            warnings.append(f"{WARNING}: <Dial> names nobody to call; skipped")
            return None
        timeout = _int(verb, "timeout", 30, 5, 600, warnings) * 1000
        time_limit = _int(verb, "timeLimit", 14_400, 1, 14_400, warnings) * 1000
        caller_id = str(attrs.get("callerId") or self.call.from_)
        scripted, scripted_seconds = self.script.next_dial()
        dial_sid = self.env.new_sid("CA")
        legs: list[Leg] = []
        for noun in nouns:
            leg = await self._leg(noun, dial_sid, caller_id, scripted, scripted_seconds, time_limit)
            legs.append(leg)
            if leg.status == "completed":
                break
        outcome = next((leg for leg in legs if leg.status == "completed"), legs[0])
        entry.update(status=outcome.status, dial_call_sid=dial_sid)
        if outcome.callee_call_sid:
            entry["callee_call_sid"] = outcome.callee_call_sid
        bridged_ms, hung_up = 0, False
        star = (
            _true(verb, "hangupOnStar", False)
            and bool(self.script.inputs)
            and str(self.script.inputs[0]) == "*"
        )
        try:
            if outcome.status == "no-answer":
                self._advance(timeout)
            elif outcome.status == "completed":
                if star:
                    self.script.next_input()  # the caller presses * at once
                bridged_ms = 0 if star else min(outcome.ms, time_limit)
                before = self.clock
                try:
                    self._advance(bridged_ms)
                finally:
                    bridged_ms = self.clock - before
        except _Stop:
            if self.ended_by != "caller":
                raise
            hung_up = True
        extra = {
            "DialCallStatus": outcome.status,
            "DialCallSid": dial_sid,
            "DialBridged": "true" if outcome.bridged else "false",
        }
        if outcome.status == "completed":
            extra["DialCallDuration"] = str(timing.seconds(bridged_ms))
            entry["duration"] = timing.seconds(bridged_ms)
        record = str(attrs.get("record", "do-not-record"))
        recorded = record not in ("do-not-record", "false")
        if outcome.status == "completed" and recorded and bridged_ms:
            channels = 2 if "dual" in record else 1
            recording = await self._save_recording(
                "DialVerb", timing.seconds(bridged_ms), self.clock - bridged_ms, channels=channels
            )
            entry["recording_sid"] = recording["sid"]
            extra.update(
                RecordingUrl=self._recording_url(recording["sid"]),
                RecordingSid=recording["sid"],
                RecordingDuration=recording["duration"],
            )
        else:
            recording = None
        step = None
        if attrs.get("action"):
            step = await self._action(verb, "dial_action", extra, hung_up=hung_up)
        if recording is not None:
            await self._recording_callbacks(verb, recording)
        if hung_up:
            raise _Stop()
        return step

    async def _leg(
        self,
        noun: Verb,
        dial_sid: str,
        caller_id: str,
        scripted: str,
        scripted_seconds: int,
        time_limit: int,
    ) -> Leg:
        """One dialled party: its outcome and how long it stays bridged."""
        name = noun["verb"]
        if name == "Client":
            return await self._client(noun, dial_sid, caller_id, scripted_seconds)
        target = str(noun.get("text", "")).strip()
        directory = self.env.directory
        callee: Callee | None = None
        if directory is not None and name == "Number":
            callee = await directory.number(target)
        whisper_ms, bridged, callee_sid = 0, True, None
        if callee is None:
            status, ms = scripted, scripted_seconds * 1000
        else:
            status, ms, callee_sid = await self._callee(callee, caller_id, target, time_limit)
        if status == "completed" and noun["attributes"].get("url"):
            whisper_ms, bridged = await self._whisper(noun, dial_sid, caller_id, target)
            if not bridged:
                ms = 0
        return Leg(status, whisper_ms + ms, bridged and status == "completed", callee_sid)

    async def _client(self, noun: Verb, dial_sid: str, caller_id: str, seconds: int) -> Leg:
        """A `<Client>`: this account's devices registered as the identity ring (`clients.ring`).
        An accepted call stays bridged for the caller's `DialDuration`, as with any party outside
        Switchboard, unless the device hangs up first (its `HangupAfter`, from when it answers);
        the noun's `url` runs on the device's side, which hears the device's `Input`."""
        identity, parameters = clients.dialled(noun, self.trace.warnings)
        if self.env.directory is None or not identity:
            return Leg("no-answer", 0, False)
        at = self.call.started_at + self.clock * 1000
        invite = clients.Invite(self.call.account_sid, identity, dial_sid, caller_id,
                                f"{clients.SCHEME}{identity}", parameters, at, self.call.sid)
        answer = await self.env.directory.client(invite)
        if answer.status != "completed":
            return Leg(answer.status, 0, False)
        device, whisper_ms, bridged = answer.script, 0, True
        if noun["attributes"].get("url"):
            whisper_ms, bridged = await self._whisper(noun, dial_sid, caller_id, invite.to, device)
        ms = seconds * 1000 if bridged else 0
        if device.hangup_at is not None:
            ms = min(ms, max(0, device.hangup_at - whisper_ms))
        return Leg("completed", whisper_ms + ms, bridged)

    async def _callee(
        self, callee: Callee, caller_id: str, number: str, time_limit: int
    ) -> tuple[str, int, str]:
        """A Switchboard number answers: a real inbound call to its account, run now on its own
        clock, the caller's script shared (the caller talks to that application)."""
        sid = self.env.new_sid("CA")
        started = self.call.started_at + self.clock * 1000
        plan = callee.plan
        params = inbound_params(
            account_sid=callee.account_sid,
            api_version=plan.api_version,
            application_sid=plan.application_sid,
            call_sid=sid,
            from_=caller_id,
            to=number,
            form={},
            caller_id_lookup=plan.caller_id_lookup,
            issued_at=started // 1_000_000,
        )
        call = Call(
            sid, callee.account_sid, callee.auth_token, "inbound", caller_id, number, params,
            started,
        )
        shared = Script(
            self.script.inputs,
            self.script.dial_statuses,
            self.script.dial_durations,
            min(self._left(), time_limit),
        )
        nested = CallRun(self.env, call, plan, shared)
        await nested.start()
        self.related.append(nested.trace)
        self.related.extend(nested.related)
        status = nested.trace.status
        if nested.ended_by == "failed":
            status = "failed"
        return status, nested.clock, sid

    async def _whisper(
        self, noun: Verb, dial_sid: str, caller_id: str, target: str, side: Script | None = None
    ) -> tuple[int, bool]:
        """The noun's `url` document, run on the dialled leg before the parties are bridged;
        True when it ends without `<Hangup>`/`<Reject>` (the call is then bridged). `side`: who
        answers on that leg (a device), when not the caller's own script."""
        url = join(self.doc_url, str(noun["attributes"]["url"]))
        plan = Plan(
            None,
            self.plan.api_version,
            url,
            method_of(noun["attributes"].get("method")),
            None,
            "POST",
            None,
            "POST",
            False,
        )
        params = dial_leg_params(
            account_sid=self.call.account_sid,
            api_version=self.plan.api_version,
            call_sid=dial_sid,
            parent_call_sid=self.call.sid,
            from_=caller_id,
            to=target,
        )
        started = self.call.started_at + self.clock * 1000
        call = Call(
            dial_sid,
            self.call.account_sid,
            self.call.auth_token,
            "outbound-dial",
            caller_id,
            target,
            params,
            started,
            parent_call_sid=self.call.sid,
        )
        left = self._left()
        if side is not None and side.hangup_at is not None:
            left = min(left, side.hangup_at)
        talker = side or self.script
        script = Script(talker.inputs, talker.dial_statuses, [], left)
        leg = CallRun(self.env, call, plan, script)
        await leg.start()
        self.related.append(leg.trace)
        self.related.extend(leg.related)
        return leg.clock, leg.ended_by in ("end-of-document", "limit")

    # <Redirect> and action URLs

    async def _redirect(self, verb: Verb) -> _Next:
        self._log(verb)
        self.redirects += 1
        if self.redirects > MAX_TWIML_REDIRECTS:
            self.trace.fail(11215, f"More than {MAX_TWIML_REDIRECTS} <Redirect>s in a row")
            self._end("failed")
        target = join(self.doc_url, verb.get("text", ""))
        params = {**self.call.params, "CallStatus": "in-progress"}
        method = method_of(verb["attributes"].get("method"))
        return await self._fetch("redirect", method, target, params)

    async def _action(
        self, verb: Verb, purpose: str, extra: dict[str, str], *, hung_up: bool = False
    ) -> _Next | None:
        """Request the verb's `action` (default: this document's URL) with the call's parameters
        and `extra`; its TwiML continues the call (ignored when the caller has hung up)."""
        attrs = verb["attributes"]
        url = join(self.doc_url, str(attrs.get("action") or self.doc_url))
        status = "completed" if hung_up else "in-progress"
        params = {**self.call.params, "CallStatus": status, **extra}
        method = method_of(attrs.get("method"))
        if hung_up:
            await self.requester.send(purpose, method, url, params)
            return None
        return await self._fetch(purpose, method, url, params)

    async def _fetch(
        self, purpose: str, method: str, url: str, params: dict[str, str]
    ) -> _Next:
        self._count_document()
        doc = await self.requester.document(purpose, method, url, params, messaging=False)
        if doc is None:
            failed = self.trace.requests[-1]
            self.trace.fail(failed.error_code, failed.error_message)
            self._end("failed")
        assert doc is not None
        return _Next(doc, url)

    def _count_document(self) -> None:
        """Stop a call stuck in a loop: one that never lets time pass fails, one that would
        take hours of requests ends (as at the 4-hour limit), each saying why."""
        self.documents += 1
        if self.clock != self.timeless_at:
            self.timeless, self.timeless_at = 0, self.clock
        self.timeless += 1
        if self.timeless > MAX_TIMELESS_DOCUMENTS:
            self.trace.fail(
                11215,
                f"More than {MAX_TIMELESS_DOCUMENTS} TwiML documents in a row with no call time "
                "passing: the application loops (e.g. an action that answers the same verb)",
            )
            self._end("failed")
        if self.documents > MAX_DOCUMENTS_PER_RUN:
            self.trace.warnings.append(
                f"Switchboard ended the call after {MAX_DOCUMENTS_PER_RUN} TwiML documents "
                "without the caller's input (a real call would go on, up to 4 hours)"
            )
            self._end("limit")

    # The end

    async def _finish(self) -> None:
        """The final status, the call's duration, and its status callback (once)."""
        trace = self.trace
        if self.ended_by != "failed" and trace.status not in ("busy", "no-answer"):
            trace.status = "completed"
        trace.duration = timing.seconds(self.clock)
        plan = self.plan
        if not plan.status_callback:
            return
        seconds = trace.duration
        callback = {
            **self.call.params,
            "CallStatus": trace.status,
            "CallDuration": str(seconds),
            "Duration": str(billed_minutes(seconds)),
            "SipResponseCode": str(SIP_RESPONSE_CODES.get(trace.status, 200)),
            "Timestamp": rfc2822(self.call.started_at + self.clock * 1000),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": "0",
        }
        await self.requester.send(
            "status_callback", plan.status_callback_method, plan.status_callback, callback
        )

    # Pausing in one process, resuming in another

    def snapshot(self) -> dict[str, Any]:
        """The paused call as plain values (the trace is saved apart, as a trace)."""
        return {
            "call": {**asdict(self.call), "auth_token": None},
            "plan": self.plan.as_dict(),
            "script": self.script.as_dict(),
            "interactive": self.interactive,
            "clock": self.clock,
            "doc": self.doc,
            "doc_url": self.doc_url,
            "pc": self.pc,
            "redirects": self.redirects,
        }

    @classmethod
    def restore(
        cls, env: Env, state: dict[str, Any], trace: Trace, auth_token: str
    ) -> CallRun:
        """A paused call again, with the account's current token (never stored in the state)."""
        call = Call(**{**state["call"], "auth_token": auth_token})
        run = cls(
            env,
            call,
            Plan.from_dict(state["plan"]),
            Script.from_dict(state["script"]),
            interactive=state["interactive"],
        )
        run.trace = trace
        run.requester.trace = trace
        run.clock = state["clock"]
        run.doc = state["doc"]
        run.doc_url = state["doc_url"]
        run.pc = state["pc"]
        run.redirects = state["redirects"]
        return run
