"""The voice engine in-process, verb by verb: a fake webhook client answers documents by URL, a
fake directory and recording sink stand in for the store; no HTTP, no sleeping.

Each test runs a call and reads its trace: which requests were made with which parameters, what
the simulated clock says, how the call ended.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from typing import Any

import pytest

from switchboard.traffic import twiml
from switchboard.traffic.caller import Input, Script
from switchboard.traffic.clients import Answer, Invite
from switchboard.traffic.engine import Call, Callee, CallRun, Env
from switchboard.traffic.plans import Plan
from switchboard.traffic.webhooks import Delivery
from switchboard.twilio.errors import TwilioError

BASE = "http://hooks.test"
START = 1_700_000_000_000_000


class FakeWebhooks:
    """Answers each URL (query string ignored) with a scripted TwiML document."""

    def __init__(self, docs: Mapping[str, str]) -> None:
        self.docs = {BASE + path: body for path, body in docs.items()}
        self.sent: list[tuple[str, str, str, dict[str, str], str]] = []

    async def send(
        self, purpose: str, method: str, url: str, params: Mapping[str, str], auth_token: str
    ) -> Delivery:
        self.sent.append((purpose, method, url, dict(params), auth_token))
        delivery = Delivery(purpose, method, url, dict(params), {})
        body = self.docs.get(url.split("?")[0])
        if body is None:
            delivery.status_code = 404
            delivery.fail(11200, "HTTP retrieval failure: status 404")
            return delivery
        delivery.status_code = 200
        delivery.content_type = "text/xml"
        delivery.body = body
        return delivery

    def by(self, purpose: str) -> list[dict[str, str]]:
        return [params for p, _, _, params, _ in self.sent if p == purpose]


class FakeDirectory:
    """Numbers that answer through their plan; client identities that answer as scripted (none
    registered: no-answer), every invite kept."""

    def __init__(
        self, numbers: Mapping[str, Callee], clients: Mapping[str, Answer] | None = None
    ) -> None:
        self.numbers = dict(numbers)
        self.clients = dict(clients or {})
        self.invites: list[Invite] = []

    async def number(self, phone_number: str) -> Callee | None:
        return self.numbers.get(phone_number)

    async def client(self, invite: Invite) -> Answer:
        self.invites.append(invite)
        return self.clients.get(invite.identity, Answer("no-answer"))


class FakeRecordings:
    def __init__(self) -> None:
        self.saved: list[dict[str, Any]] = []

    async def save(self, recording: dict[str, Any]) -> None:
        self.saved.append(recording)


def plan(url: str = "/voice", status_callback: str | None = "/status") -> Plan:
    return Plan(
        "AP" + "1" * 32,
        "2010-04-01",
        BASE + url,
        "POST",
        None,
        "POST",
        BASE + status_callback if status_callback else None,
        "POST",
        False,
    )


class Harness:
    def __init__(
        self,
        docs: Mapping[str, str],
        numbers: Mapping[str, Callee] | None = None,
        clients: Mapping[str, Answer] | None = None,
    ) -> None:
        self.webhooks = FakeWebhooks(docs)
        self.recordings = FakeRecordings()
        self.directory = FakeDirectory(dict(numbers or {}), clients)
        counter = itertools.count()
        self.env = Env(
            self.webhooks,
            lambda prefix: f"{prefix}{next(counter):032x}",
            "http://switchboard.test",
            self.directory,
            self.recordings,
        )

    def call(self, *inputs: str, interactive: bool = False, **script: Any) -> CallRun:
        params = {"CallSid": "CA" + "f" * 32, "CallStatus": "ringing", "From": "+1555"}
        call = Call("CA" + "f" * 32, "AC" + "a" * 32, "token", "inbound", "+1555", "+1666",
                    params, START)  # fmt: skip
        script_obj = Script([Input.parse(i) for i in inputs], **script)
        return CallRun(self.env, call, plan(), script_obj, interactive=interactive)

    def run(self, *inputs: str, **script: Any) -> CallRun:
        run = self.call(*inputs, **script)
        asyncio.run(run.start())
        return run


def status_of(h: Harness) -> dict[str, str]:
    [callback] = h.webhooks.by("status_callback")
    return callback


def doc(*verbs: str) -> str:
    return "<Response>" + "".join(verbs) + "</Response>"


# The clock


def test_say_play_pause_advance_the_clock_at_the_documented_rates() -> None:
    h = Harness({"/voice": doc(
        '<Say loop="2">one two three</Say>',  # 3 words x 400 ms x 2
        '<Play digits="12w"/>',  # 3 x 500 ms
        "<Play>http://x/a.mp3</Play>",  # 5 s
        '<Pause length="4"/>',
    )})  # fmt: skip
    run = h.run()
    assert [v["at"] for v in run.trace.verbs] == [0, 2400, 3900, 8900]
    assert run.clock == 12_900
    assert run.trace.duration == 13  # a started second counts
    callback = status_of(h)
    assert callback["CallDuration"] == "13"
    assert callback["Duration"] == "1"
    assert callback["CallStatus"] == "completed"


def test_hangup_after_cuts_a_verb_short() -> None:
    h = Harness({"/voice": doc('<Pause length="60"/>', "<Say>never</Say>")})
    run = h.run(hangup_at=10_000)
    assert run.clock == 10_000
    assert [v["verb"] for v in run.trace.verbs] == ["Pause"]
    assert status_of(h)["CallDuration"] == "10"


def test_loop_zero_plays_until_the_caller_hangs_up() -> None:
    h = Harness({"/voice": doc('<Play loop="0">http://x/hold.mp3</Play>')})
    run = h.run(hangup_at=95_000)
    assert run.clock == 95_000
    assert run.trace.status == "completed"


# <Hangup>, <Reject>, recorded-only verbs


@pytest.mark.parametrize(("reason", "status", "sip"), [("busy", "busy", "486"),
                                                       ("rejected", "no-answer", "487"),
                                                       (None, "no-answer", "487")])  # fmt: skip
def test_reject_ends_the_call_busy_or_no_answer(
    reason: str | None, status: str, sip: str
) -> None:
    attr = f' reason="{reason}"' if reason else ""
    h = Harness({"/voice": doc(f"<Reject{attr}/>", "<Say>never</Say>")})
    run = h.run()
    assert run.trace.status == status
    callback = status_of(h)
    assert callback["CallStatus"] == status
    assert callback["SipResponseCode"] == sip
    assert callback["CallDuration"] == "0"


def test_hangup_stops_the_document() -> None:
    h = Harness({"/voice": doc("<Say>bye</Say>", "<Hangup/>", "<Say>never</Say>")})
    run = h.run()
    assert [v["verb"] for v in run.trace.verbs] == ["Say", "Hangup"]
    assert run.trace.status == "completed"


@pytest.mark.parametrize("verb", ["Enqueue", "Leave", "Connect", "Start", "Stop", "Pay", "Refer"])
def test_unexecuted_verbs_are_recorded_with_a_warning(verb: str) -> None:
    h = Harness({"/voice": doc(f"<{verb}>x</{verb}>", "<Say>after</Say>")})
    run = h.run()
    assert [v["verb"] for v in run.trace.verbs] == [verb, "Say"]
    assert any(f"<{verb}> is recorded, not executed" in w for w in run.trace.warnings)
    assert run.trace.status == "completed"


# <Gather>


MENU = '<Gather numDigits="1" action="/menu"><Say>Press one or two</Say></Gather>'


def test_gather_digits_go_to_the_action_with_the_call_parameters() -> None:
    h = Harness({"/voice": doc(MENU), "/menu": doc("<Say>thanks</Say>")})
    run = h.run("2")
    [action] = h.webhooks.by("gather_action")
    assert action["Digits"] == "2"
    assert action["FinishedOnKey"] == ""
    assert action["CallSid"] == "CA" + "f" * 32
    assert action["CallStatus"] == "in-progress"
    # 4 words of prompt (1.6 s), one key (0.5 s), then the action's document
    assert run.trace.verbs[-1]["verb"] == "Say"
    assert run.trace.verbs[-1]["at"] == 2100


def test_gather_finish_on_key_and_timeout_after_the_last_digit() -> None:
    h = Harness({"/voice": doc('<Gather action="/pin"/>'), "/pin": doc()})
    h.run("1234#")
    [action] = h.webhooks.by("gather_action")
    assert (action["Digits"], action["FinishedOnKey"]) == ("1234", "#")
    h2 = Harness({"/voice": doc('<Gather timeout="3" action="/pin"/>'), "/pin": doc()})
    run = h2.run("12")  # no # and no numDigits: the timeout submits what was typed
    [action] = h2.webhooks.by("gather_action")
    assert action["Digits"] == "12"
    assert run.clock == 1000 + 3000


def test_gather_without_input_falls_through_to_the_next_verb() -> None:
    h = Harness({"/voice": doc(MENU, "<Say>We did not get that</Say>")})
    run = h.run()
    assert h.webhooks.by("gather_action") == []
    assert [v["verb"] for v in run.trace.verbs] == ["Gather", "Say"]
    assert run.trace.verbs[1]["at"] == 1600 + 5000  # prompt, then the 5 s default timeout


def test_gather_action_on_empty_result() -> None:
    h = Harness({"/voice": doc('<Gather actionOnEmptyResult="true"/>')})
    h.webhooks.docs[BASE + "/voice"] = doc('<Gather actionOnEmptyResult="true" action="/e"/>')
    h.webhooks.docs[BASE + "/e"] = doc()
    h.run("timeout")
    [action] = h.webhooks.by("gather_action")
    assert action["Digits"] == ""


def test_gather_default_action_is_the_current_document() -> None:
    h = Harness({"/voice": doc('<Gather numDigits="1"/>')})
    h.run("1", "2", hangup_at=60_000)
    urls = [url for purpose, _, url, _, _ in h.webhooks.sent if purpose == "gather_action"]
    assert urls == [BASE + "/voice", BASE + "/voice"]


def test_gather_speech() -> None:
    h = Harness({"/voice": doc('<Gather input="speech" speechTimeout="auto" action="/s"/>'),
                 "/s": doc()})  # fmt: skip
    run = h.run("speech:yes please")
    [action] = h.webhooks.by("gather_action")
    assert action["SpeechResult"] == "yes please"
    assert action["Confidence"] == "0.9"
    assert "Digits" not in action
    assert run.clock == 800 + 1000  # two words, then the automatic end of speech


def test_input_that_does_not_fit_is_silence_with_a_warning() -> None:
    h = Harness({"/voice": doc('<Gather action="/g"/>', "<Say>fallthrough</Say>")})
    run = h.run("speech:hello")
    assert h.webhooks.by("gather_action") == []
    assert any("does not fit" in w for w in run.trace.warnings)


def test_hangup_mid_gather_requests_no_action() -> None:
    h = Harness({"/voice": doc('<Gather timeout="10" action="/g"/>')})
    run = h.run(hangup_at=3000)
    assert h.webhooks.by("gather_action") == []
    assert run.clock == 3000
    assert status_of(h)["CallDuration"] == "3"


# <Record>


def test_record_makes_a_recording_and_requests_the_action() -> None:
    h = Harness({
        "/voice": doc('<Record action="/vm" maxLength="30" recordingStatusCallback="/rec"/>'),
        "/vm": doc("<Say>saved</Say>"),
    })  # fmt: skip
    run = h.run("record:7")
    [recording] = h.recordings.saved
    assert recording["duration"] == "7"
    assert recording["source"] == "RecordVerb"
    assert recording["call_sid"] == "CA" + "f" * 32
    assert recording["start_time"] == START
    [action] = h.webhooks.by("record_action")
    assert action["RecordingSid"] == recording["sid"]
    assert action["RecordingDuration"] == "7"
    assert action["RecordingUrl"].startswith("http://switchboard.test/2010-04-01/Accounts/AC")
    assert action["RecordingUrl"].endswith(f"/Recordings/{recording['sid']}")
    assert action["Digits"] == ""
    [callback] = h.webhooks.by("recording_status_callback")
    assert callback["RecordingStatus"] == "completed"
    assert callback["RecordingDuration"] == "7"
    assert callback["RecordingSource"] == "RecordVerb"
    assert run.trace.recordings == [recording["sid"]]
    assert run.clock == 7000 + 5000 + 400  # speech, 5 s of silence, then "saved"


def test_record_ended_by_a_key_and_by_hanging_up() -> None:
    h = Harness({"/voice": doc('<Record action="/vm"/>'), "/vm": doc()})
    h.run("record:4#")
    [action] = h.webhooks.by("record_action")
    assert (action["Digits"], action["RecordingDuration"]) == ("#", "4")
    h2 = Harness({"/voice": doc('<Record action="/vm"/>', "<Say>never</Say>"), "/vm": doc()})
    run = h2.run("record:30", hangup_at=12_000)
    [action] = h2.webhooks.by("record_action")
    assert action["Digits"] == "hangup"
    assert action["RecordingDuration"] == "12"
    assert action["CallStatus"] == "completed"
    assert [v["verb"] for v in run.trace.verbs] == ["Record"]


def test_empty_recording_moves_on_without_the_action() -> None:
    h = Harness({"/voice": doc('<Record action="/vm"/>', "<Say>nothing heard</Say>")})
    run = h.run()
    assert h.recordings.saved == []
    assert h.webhooks.by("record_action") == []
    assert [v["verb"] for v in run.trace.verbs] == ["Record", "Say"]


# <Dial>


@pytest.mark.parametrize(("status", "seconds", "clock"), [
    ("completed", 42, 42_000), ("busy", 0, 0), ("no-answer", 0, 30_000), ("failed", 0, 0),
])  # fmt: skip
def test_dial_outcome_per_script(status: str, seconds: int, clock: int) -> None:
    h = Harness({"/voice": doc('<Dial action="/after">+15550001111</Dial>'), "/after": doc()})
    run = h.run(dial_statuses=[status], dial_durations=[42])
    [action] = h.webhooks.by("dial_action")
    assert action["DialCallStatus"] == status
    assert action["DialCallSid"].startswith("CA")
    assert action["DialBridged"] == ("true" if status == "completed" else "false")
    if status == "completed":
        assert action["DialCallDuration"] == str(seconds)
    else:
        assert "DialCallDuration" not in action
    assert run.clock == clock


def test_dial_without_action_continues_the_document() -> None:
    h = Harness({"/voice": doc("<Dial><Number>+15550001111</Number></Dial>", "<Say>after</Say>")})
    run = h.run(dial_durations=[3])
    assert [v["verb"] for v in run.trace.verbs] == ["Dial", "Say"]
    assert run.trace.verbs[1]["at"] == 3000


def test_dial_client_without_devices_is_no_answer() -> None:
    h = Harness({"/voice": doc('<Dial action="/a"><Client>alice</Client></Dial>'), "/a": doc()})
    run = h.run(dial_statuses=["completed"], dial_durations=[9])  # the caller's script: ignored
    [action] = h.webhooks.by("dial_action")
    assert action["DialCallStatus"] == "no-answer"
    assert run.clock == 30_000  # rang for the <Dial>'s timeout
    [invite] = h.directory.invites
    assert (invite.identity, invite.to, invite.from_) == ("alice", "client:alice", "+1555")
    assert invite.account_sid == "AC" + "a" * 32  # only the calling account's devices ring
    assert invite.call_sid == action["DialCallSid"]
    assert invite.parent_call_sid == "CA" + "f" * 32
    assert invite.at == START


@pytest.mark.parametrize(("status", "clock"), [("busy", 0), ("no-answer", 12_000)])
def test_dial_client_busy_or_unanswered(status: str, clock: int) -> None:
    h = Harness(
        {"/voice": doc('<Dial timeout="12" action="/a"><Client>bob</Client></Dial>'), "/a": doc()},
        clients={"bob": Answer(status)},
    )
    run = h.run()
    [action] = h.webhooks.by("dial_action")
    assert (action["DialCallStatus"], action["DialBridged"]) == (status, "false")
    assert "DialCallDuration" not in action
    assert run.clock == clock


def test_dial_client_delivers_parameters_and_bridges_for_the_dial_duration() -> None:
    device = Answer("completed", "DV" + "1" * 32, Script())
    h = Harness(
        {
            "/voice": doc(
                '<Dial callerId="+1777" action="/a"><Client><Identity>bob</Identity>'
                '<Parameter name="ticket" value="42"/><Parameter name="vip" value="yes"/>'
                "<Parameter value='nameless'/></Client></Dial>"
            ),
            "/a": doc(),
        },
        clients={"bob": device},
    )
    run = h.run(dial_durations=[25])
    [invite] = h.directory.invites
    assert invite.identity == "bob"
    assert invite.parameters == {"ticket": "42", "vip": "yes"}
    assert invite.from_ == "+1777"
    assert any("<Parameter> without a name" in w for w in run.trace.warnings)
    [action] = h.webhooks.by("dial_action")
    assert action["DialCallStatus"] == "completed"
    assert action["DialBridged"] == "true"
    assert action["DialCallDuration"] == "25"


def test_dial_client_device_hangs_up_first_and_answers_the_whisper() -> None:
    """The device's own script: its `HangupAfter` cuts the bridge short, its `Input` is what
    the noun's `url` hears (not the caller's)."""
    device = Script([Input.parse("7")], hangup_at=8_000)
    h = Harness(
        {
            "/voice": doc('<Dial action="/a"><Client url="/whisper">bob</Client></Dial>'),
            "/whisper": doc('<Gather numDigits="1" action="/accept"/>'),
            "/accept": doc(),
            "/a": doc(),
        },
        clients={"bob": Answer("completed", "DV" + "1" * 32, device)},
    )
    h.run("3", dial_durations=[60])
    [gathered] = h.webhooks.by("gather_action")
    assert gathered["Digits"] == "7"  # the device pressed 7; the caller's 3 stays unheard
    assert gathered["To"] == "client:bob"
    assert gathered["Direction"] == "outbound-dial"
    [action] = h.webhooks.by("dial_action")
    assert action["DialBridged"] == "true"
    assert action["DialCallDuration"] == "8"  # the device hung up 8 s after answering


def test_dial_a_switchboard_number_runs_its_application() -> None:
    callee_plan = Plan("AP" + "2" * 32, "2010-04-01", BASE + "/b/voice", "POST", None, "POST",
                       BASE + "/b/status", "POST", False)  # fmt: skip
    h = Harness(
        {
            "/voice": doc('<Dial action="/after" callerId="+1777">+15550002222</Dial>'),
            "/after": doc(),
            "/b/voice": doc('<Gather numDigits="1" action="/b/menu"/>'),
            "/b/menu": doc('<Pause length="9"/>'),
        },
        {"+15550002222": Callee("AC" + "b" * 32, "token-b", callee_plan)},
    )
    run = h.run("5")
    b_voice = [s for s in h.webhooks.sent if s[0] == "voice_url" and "/b/" in s[2]]
    [(_, _, _, params, token)] = b_voice
    assert token == "token-b"
    assert params["From"] == "+1777"
    assert params["To"] == "+15550002222"
    assert params["AccountSid"] == "AC" + "b" * 32
    [menu] = h.webhooks.by("gather_action")
    assert menu["Digits"] == "5"  # the caller's script reaches the callee's IVR
    [nested] = run.related
    assert nested.account_sid == "AC" + "b" * 32
    assert nested.status == "completed"
    [action] = h.webhooks.by("dial_action")
    assert action["DialCallStatus"] == "completed"
    assert action["DialCallDuration"] == "10"  # 0.5 s key + 9 s pause, rounded up
    assert run.trace.verbs[0]["callee_call_sid"] == nested.sid


def test_dial_whisper_runs_on_the_called_leg() -> None:
    h = Harness({
        "/voice": doc('<Dial action="/after"><Number url="/whisper">+15550003333</Number></Dial>'),
        "/whisper": doc("<Say>a call for you</Say>", "<Hangup/>"),
        "/after": doc(),
    })  # fmt: skip
    run = h.run(dial_durations=[20])
    [(_, _, _, params, _)] = [s for s in h.webhooks.sent if "/whisper" in s[2]]
    assert params["Direction"] == "outbound-dial"
    assert params["ParentCallSid"] == "CA" + "f" * 32
    [action] = h.webhooks.by("dial_action")
    assert action["DialBridged"] == "false"  # the whisper hung up
    assert action["DialCallSid"] == params["CallSid"]
    assert [t.direction for t in run.related] == ["outbound-dial"]


def test_dial_record_makes_a_recording() -> None:
    h = Harness({"/voice": doc('<Dial record="record-from-answer-dual" action="/a">+1555</Dial>'),
                 "/a": doc()})  # fmt: skip
    h.run(dial_durations=[15])
    [recording] = h.recordings.saved
    assert (recording["source"], recording["duration"], recording["channels"]) == (
        "DialVerb", "15", 2,
    )  # fmt: skip
    [action] = h.webhooks.by("dial_action")
    assert action["RecordingSid"] == recording["sid"]


# <Redirect>, failures


def test_redirects_in_a_row_are_bounded() -> None:
    h = Harness({"/voice": doc("<Redirect>/voice</Redirect>")})
    run = h.run()
    assert run.trace.status == "failed"
    assert run.trace.error_code == 11215
    assert len(h.webhooks.by("redirect")) == 10


def test_a_failing_action_fails_the_call() -> None:
    h = Harness({"/voice": doc('<Gather action="/missing"/>')})
    run = h.run("1#")
    assert run.trace.status == "failed"
    assert run.trace.error_code == 11200
    assert status_of(h)["CallStatus"] == "failed"


# Interactive calls


def test_interactive_call_pauses_serialises_and_resumes() -> None:
    h = Harness({"/voice": doc(MENU), "/menu": doc('<Gather numDigits="1" action="/end"/>'),
                 "/end": doc("<Say>bye</Say>")})  # fmt: skip
    run = h.call(interactive=True)
    asyncio.run(run.start())
    assert run.paused
    assert run.trace.status == "in-progress"
    assert run.trace.waiting is not None
    assert run.trace.waiting["verb"] == "Gather"
    assert run.trace.waiting["prompts"][0]["text"] == "Press one or two"
    assert h.webhooks.by("status_callback") == []
    state = run.snapshot()
    assert state["call"]["auth_token"] is None  # secrets never go into the stored state
    import json

    again = CallRun.restore(h.env, json.loads(json.dumps(state)), run.trace, "token")
    asyncio.run(again.resume(Input.parse("1")))
    assert again.paused  # the next <Gather>
    asyncio.run(again.resume(Input.parse("2")))
    assert not again.paused
    assert [a["Digits"] for a in h.webhooks.by("gather_action")] == ["1", "2"]
    assert again.trace.status == "completed"
    assert len(h.webhooks.by("status_callback")) == 1


def test_interactive_hangup_ends_the_call_once() -> None:
    h = Harness({"/voice": doc(MENU)})
    run = h.call(interactive=True)
    asyncio.run(run.start())
    asyncio.run(run.hangup())
    assert run.trace.status == "completed"
    assert run.trace.waiting is None
    assert status_of(h)["CallDuration"] == "2"  # the 1.6 s prompt


# A document given with the call (`Twiml`), and a live call redirected (`calls(sid).update`)


def test_a_given_document_runs_without_a_request() -> None:
    h = Harness({})
    run = h.call()
    asyncio.run(run.start(doc("<Say>Hello there</Say>")))
    assert [v["verb"] for v in run.trace.verbs] == ["Say"]
    assert h.webhooks.by("voice_url") == []
    assert run.trace.status == "completed"
    assert run.trace.twiml == doc("<Say>Hello there</Say>")


def test_a_given_document_that_is_not_twiml_fails_the_call() -> None:
    h = Harness({})
    run = h.call()
    asyncio.run(run.start("<Nope/>"))
    assert run.trace.status == "failed"
    assert run.trace.error_code == 12100


def test_a_waiting_call_redirected_to_a_url_or_a_document() -> None:
    h = Harness({"/voice": doc(MENU), "/next": doc("<Say>moved on</Say>")})
    run = h.call(interactive=True)
    asyncio.run(run.start())
    assert run.paused
    asyncio.run(run.redirect(BASE + "/next", "GET", None))
    assert not run.paused
    [update] = h.webhooks.by("call_update")
    assert update["CallStatus"] == "in-progress"
    assert [v["verb"] for v in run.trace.verbs] == ["Gather", "Say"]
    assert run.trace.verbs[0]["interrupted"]
    assert run.trace.status == "completed"

    second = Harness({"/voice": doc(MENU)})
    waiting = second.call(interactive=True)
    asyncio.run(waiting.start())
    asyncio.run(waiting.redirect(None, "POST", doc("<Hangup/>")))
    assert [v["verb"] for v in waiting.trace.verbs] == ["Gather", "Hangup"]
    assert waiting.trace.status == "completed"
    assert second.webhooks.by("call_update") == []


# TwiML validation and the caller's script


def test_unknown_attributes_and_bad_nesting_are_12200_warnings() -> None:
    parsed = twiml.parse(
        doc('<Say colour="red">hi</Say>', "<Gather><Dial>+1</Dial><Say>x</Say></Gather>"),
        "text/xml",
        messaging=False,
    )
    assert [v["verb"] for v in parsed.verbs] == ["Say", "Gather"]
    assert [c["verb"] for c in parsed.verbs[1]["children"]] == ["Say"]
    assert len(parsed.warnings) == 2
    assert all(w.startswith("12200") for w in parsed.warnings)


def test_unparseable_is_12100() -> None:
    with pytest.raises(twiml.TwimlError) as caught:
        twiml.parse("<Response><Say>", "text/xml", messaging=False)
    assert caught.value.code == 12100


@pytest.mark.parametrize("raw", ["12a", "speech:", "record:x", "record:99999", "", "maybe"])
def test_bad_inputs_are_refused(raw: str) -> None:
    with pytest.raises(TwilioError) as caught:
        Input.parse(raw)
    assert caught.value.code == 20001


@pytest.mark.parametrize("raw", ["1", "1234#", "*", "speech:yes please", "record:5", "record:5#",
                                 "timeout"])  # fmt: skip
def test_inputs_round_trip(raw: str) -> None:
    assert str(Input.parse(raw)) == raw


def test_a_loop_in_which_no_time_passes_fails() -> None:
    # The action answers the same <Dial>, whose leg (a number outside Switchboard, completed by
    # default with no duration) takes no call time: without a bound this would never end.
    h = Harness({"/voice": doc('<Dial action="/voice">+15550001111</Dial>')})
    run = h.run()
    assert run.trace.status == "failed"
    assert run.trace.error_code == 11215
    assert "no call time passing" in (run.trace.error_message or "")
    assert len(h.webhooks.by("dial_action")) == 10


def test_a_run_of_hundreds_of_documents_ends() -> None:
    # Each turn lets a second pass (the Gather's timeout): bounded by the 4-hour limit alone, it
    # would take 14,400 requests; the run stops at 500, as at that limit, and says why.
    h = Harness({"/voice": doc('<Gather action="/voice" actionOnEmptyResult="true" timeout="1"/>')})
    run = h.run()
    assert run.trace.status == "completed"
    assert run.ended_by == "limit"
    assert len(h.webhooks.by("gather_action")) == 500
    assert any("500 TwiML documents" in w for w in run.trace.warnings)
