"""The jobs of a call made with `Calls.json` (traffic/progress.py names them), run by the outbox
worker of whichever server process claims them.

Each step reads the call, moves it on only from the status it expects (`Store.transition_call`:
a cancel and a step can never both win), posts the status callback of its event when the call
asked for it, and hands back its next job and the call's trace (the callback recorded in it),
which the worker writes in the transaction that finishes the job. A step run again after a
crash finds the call already moved on and does only what is left; what a crash can repeat is a
callback sent just before it.

The far end, when the call is answered: a Voice SDK device (`To=client:<identity>`, rung through
`clients.ring`; none registered: `no-answer`), a Switchboard number (Twilio-to-Twilio: that
number's application answers it as an inbound call), or any other number, a handset whose
behaviour the account set (`Handsets/{E164}`: `CallOutcome`, `AnsweredBy`, `CallDuration`,
`Input`; by default it answers as a human and says nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from switchboard.store.base import Job, NewJob, RecordingFilter
from switchboard.store.tx import Keyset
from switchboard.traffic import clients, progress
from switchboard.traffic.caller import Input, Script
from switchboard.traffic.engine import RECORDING_PATH, Callee
from switchboard.traffic.outbox import Done, Handler
from switchboard.traffic.simulate import Simulator
from switchboard.traffic.trace import Trace, writes
from switchboard.traffic.webhooks import Delivery
from switchboard.twilio import calls
from switchboard.twilio.dates import rfc2822
from switchboard.twilio.resources import Account, Record


class Outbound:
    """The `call.*` job handlers over one simulator (its store, webhook client, engine)."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.store = simulator.store

    def handlers(self) -> dict[str, Handler]:
        return {
            progress.INITIATE: self.initiate,
            progress.RING: self.ring,
            progress.ANSWER: self.answer,
            progress.RESUME: self.resume,
            progress.COMPLETE: self.complete,
        }

    # The steps

    async def initiate(self, job: Job) -> Done:
        """Twilio takes the call off its queue and starts dialling (the resource stays `queued`:
        `initiated` is an event, not a status of the Call resource)."""
        found = await self._load(job)
        if found is None or found[1]["status"] != "queued":
            return Done()
        account, call, trace = found
        now = self.store.clock()
        await self._notify(account, call, trace, "initiated", now)
        # An event, not a status: the next step notes it in the call's history (one write less).
        return self._next(job, progress.RING, trace, {"initiated": now})

    async def ring(self, job: Job) -> Done:
        found = await self._load(job)
        if found is None:
            return Done()
        account, call, trace = found
        if call["status"] == "queued":
            initiated = job.payload.get("initiated")
            earlier = [["initiated", initiated]] if initiated is not None else []
            moved = await self._move(call, ("queued",), "ringing", {}, earlier)
            if moved is None:
                return Done()
            call = moved
        elif call["status"] != "ringing":
            return Done()
        await self._notify(account, call, trace, "ringing", _changed_at(call, "ringing"))
        return self._next(job, progress.ANSWER, trace)

    async def answer(self, job: Job) -> Done:
        """The far end answers, or not (busy, no-answer, failed); an answered call runs."""
        found = await self._load(job)
        if found is None:
            return Done()
        account, call, trace = found
        if call["status"] == "in-progress":
            if call["options"].get("ran"):
                return Done()
            # A run of this step died after answering: run the call (its answer is not sent
            # again: it was, just before).
            far_end, callee, _ = await self._far_end(account, call)
            await self.simulator.run_answered(account, call, trace, far_end, callee)
            return Done()
        if call["status"] != "ringing":
            return Done()
        far_end, callee, outcome = await self._far_end(account, call)
        now = self.store.clock()
        if outcome.status != "completed":
            moved = await self._move(
                call, ("ringing",), outcome.status, {"end_time": now, "duration": "0"}
            )
            if moved is None:
                return Done()
            trace.status = outcome.status
            await self._notify(account, moved, trace, outcome.status, now, duration=0)
            return Done(traces=writes([trace]))
        changes: dict[str, Any] = {"start_time": now}
        detection = call["options"].get("machine_detection")
        if detection:
            changes["answered_by"] = calls.answered_by(detection, outcome.answered_by)
        moved = await self._move(call, ("ringing",), "in-progress", changes)
        if moved is None:
            return Done()
        await self._notify(account, moved, trace, "in-progress", now)
        # The answer is recorded with the run (`run_answered` saves the trace).
        await self.simulator.run_answered(account, moved, trace, far_end, callee)
        return Done()

    async def resume(self, job: Job) -> Done:
        account = await self.store.get_account(job.account_sid)
        if account is None:
            return Done()
        await self.simulator.resume_silent(account, job.subject, int(job.payload["at"]))
        return Done()

    async def complete(self, job: Job) -> Done:
        """The call ended: its final status, duration, end time, recording (`Record=true`), and
        the `completed` event's callback (sent for every way a call ends)."""
        found = await self._load(job)
        if found is None:
            return Done()
        account, call, trace = found
        final = str(job.payload["status"])
        duration = int(job.payload.get("duration") or 0)
        if call["status"] == "in-progress":
            start = call["start_time"] or self.store.clock()
            end = start + duration * 1_000_000
            changes = {"end_time": end, "duration": str(duration)}
            moved = await self._move(call, ("in-progress",), final, changes)
            if moved is None:
                return Done()
            call = moved
        elif call["status"] != final:
            return Done()
        recording = None
        options = call["options"]
        if options.get("record") and final == "completed" and duration > 0:
            recording = await self._recording(account, call, duration)
        fields = None
        if recording is not None:
            fields = {
                "RecordingUrl": self._recording_url(recording),
                "RecordingSid": recording["sid"],
                "RecordingDuration": str(recording["duration"]),
            }
            trace.recordings = [*trace.recordings, recording["sid"]]
        trace.status = final
        trace.duration = duration
        at = call["end_time"] or self.store.clock()
        await self._notify(account, call, trace, final, at, duration=duration, recording=fields)
        if recording is not None and options.get("recording_status_callback"):
            await self._recording_callback(account, call, trace, recording)
        return Done(traces=writes([trace]))

    # What the steps share

    async def _load(self, job: Job) -> tuple[Account, Record, _Trace] | None:
        account = await self.store.get_account(job.account_sid)
        call = await self.store.get_call(job.account_sid, job.subject)
        if account is None or call is None:
            return None
        stored = await self.store.get_trace(account.sid, call["sid"], "call")
        sent = 0
        if stored is not None:
            trace = cast(_Trace, _Trace.from_body(stored[0]))
            sent = sum(1 for r in stored[1] if r.get("purpose") == "status_callback")
        else:
            plan = call["options"]["plan"]
            trace = _Trace(
                "call",
                call["sid"],
                account.sid,
                call["from"],
                call["to"],
                plan.get("application_sid"),
                call["date_created"],
                direction="outbound-api",
                status=call["status"],
            )
        trace.stored_callbacks = sent
        return account, call, trace

    def _next(
        self, job: Job, kind: str, trace: Trace, payload: dict[str, Any] | None = None
    ) -> Done:
        due = self.store.clock() + self.simulator.delay_us
        step = NewJob(job.account_sid, kind, job.subject, due, payload or {})
        return Done(follow_ups=[step], traces=writes([trace]))

    async def _move(
        self,
        call: Record,
        expected: Sequence[str],
        status: str,
        changes: dict[str, Any],
        earlier: Sequence[list[Any]] = (),
    ) -> Record | None:
        """Move the call to `status` (noted in its history after the `earlier` events)."""
        now = self.store.clock()
        options = call["options"]
        history = [*options.get("history", []), *earlier, [status, now]]
        options = {**options, "history": history}
        return await self.store.transition_call(
            call["account_sid"],
            call["sid"],
            expected,
            {"status": status, **changes, "options": options},
        )

    async def _far_end(
        self, account: Account, call: Record
    ) -> tuple[Script, Callee | None, _Outcome]:
        to = call["to"]
        identity = calls.identity_of(to)
        if identity is not None:
            invite = clients.Invite(account.sid, identity, call["sid"], call["from"],
                                    f"{clients.SCHEME}{identity}", {}, self.store.clock(),
                                    None)  # fmt: skip
            answer = await clients.ring(self.store, invite)
            return answer.script, None, _Outcome(answer.status, "human")
        callee = await self.simulator.directory.number(to)
        if callee is not None:
            return Script(), callee, _Outcome("completed", "human")
        handset = await self.store.get_handset(account.sid, to)
        if handset is None:
            return Script(), None, _Outcome("completed", "human")
        script = Script([Input.parse(raw) for raw in handset.input])
        if handset.call_duration:
            script.hangup_at = handset.call_duration * 1000
        return script, None, _Outcome(handset.call_outcome, handset.answered_by)

    async def _notify(
        self,
        account: Account,
        call: Record,
        trace: Trace,
        status: str,
        at: int,
        *,
        duration: int | None = None,
        recording: dict[str, str] | None = None,
    ) -> None:
        """Post the status callback of `status`'s event, if the call asked for it; recorded in
        the trace (saved by the caller)."""
        options = call["options"]
        if not progress.asked(options, status):
            return
        plan = options["plan"]
        sequence = self._sequence(trace)
        params = progress.callback_params(
            self._params(call), status, at, sequence, duration=duration, recording=recording
        )
        await self._send(
            account, trace, "status_callback", plan["status_callback_method"],
            plan["status_callback"], params,
        )  # fmt: skip

    def _sequence(self, trace: Trace) -> int:
        """The next `SequenceNumber`: the call's status callbacks so far (0 first): those
        stored (counted when the trace was loaded) and those not saved yet."""
        unsaved = [d for d in trace.requests if d.purpose == "status_callback"]
        stored = trace.stored_callbacks if isinstance(trace, _Trace) else 0
        return stored + len(unsaved)

    def _params(self, call: Record) -> dict[str, str]:
        plan = call["options"]["plan"]
        params = {
            "AccountSid": call["account_sid"],
            "ApiVersion": call["api_version"] or "2010-04-01",
            "CallSid": call["sid"],
            "Called": call["to"],
            "Caller": call["from"],
            "Direction": "outbound-api",
            "From": call["from"],
            "To": call["to"],
        }
        if plan.get("application_sid"):
            params["ApplicationSid"] = plan["application_sid"]
        if call["options"].get("machine_detection") and call["answered_by"]:
            params["AnsweredBy"] = call["answered_by"]
        return params

    async def _send(
        self,
        account: Account,
        trace: Trace,
        purpose: str,
        method: str,
        url: str,
        params: dict[str, str],
    ) -> Delivery:
        delivery = await self.simulator.webhooks.send(
            purpose, method, url, params, account.auth_token
        )
        delivery.sid = self.store.sids.new("RQ")
        delivery.at = _call_ms(trace, self.store.clock)
        trace.add(delivery)
        return delivery

    def _recording_url(self, recording: Record) -> str:
        return f"{self.simulator.media_base}{RECORDING_PATH.format_map(recording)}"

    async def _recording(self, account: Account, call: Record, duration: int) -> Record:
        """The call's recording (`Record=true`): made once, whichever run of the step gets
        there first."""
        made = await self.store.list_recordings(
            account.sid, RecordingFilter(call_sid=call["sid"]), Keyset(None, None, 50)
        )
        for recording in made:
            if recording["source"] == "OutboundAPI":
                return recording
        return await self.store.create_recording(
            {
                "sid": self.store.sids.new("RE"),
                "account_sid": account.sid,
                "api_version": call["api_version"] or "2010-04-01",
                "call_sid": call["sid"],
                "start_time": call["start_time"] or self.store.clock(),
                "duration": str(duration),
                "channels": 1,
                "source": "OutboundAPI",
            }
        )

    async def _recording_callback(
        self, account: Account, call: Record, trace: Trace, recording: Record
    ) -> None:
        options = call["options"]
        params = {
            "AccountSid": account.sid,
            "CallSid": call["sid"],
            "RecordingSid": recording["sid"],
            "RecordingUrl": self._recording_url(recording),
            "RecordingStatus": "completed",
            "RecordingDuration": str(recording["duration"]),
            "RecordingChannels": str(recording["channels"]),
            "RecordingStartTime": rfc2822(recording["start_time"]),
            "RecordingSource": "OutboundAPI",
            "ErrorCode": "0",
        }
        await self._send(
            account, trace, "recording_status_callback",
            options.get("recording_status_callback_method") or "POST",
            options["recording_status_callback"], params,
        )  # fmt: skip


@dataclass
class _Trace(Trace):
    """A call's trace as a step loaded it, with how many status callbacks it had stored (its
    next `SequenceNumber`, whichever other step of the call runs at the same time)."""

    stored_callbacks: int = 0


class _Outcome:
    __slots__ = ("answered_by", "status")

    def __init__(self, status: str, answered_by: str) -> None:
        self.status = status  # completed (answered) | busy | no-answer | failed
        self.answered_by = answered_by


def _changed_at(call: Record, status: str) -> int:
    """When the call last took `status` (its history), else now-ish (its last update)."""
    for name, at in reversed(call["options"].get("history", [])):
        if name == status:
            return int(at)
    return int(call["date_updated"])


def _call_ms(trace: Trace, clock: Callable[[], int]) -> int:
    """A request's time in the call (ms since the call was created)."""
    return max(0, (clock() - trace.date_created) // 1000)
