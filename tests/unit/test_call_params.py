"""A call's parameters as Twilio judges them (src/switchboard/twilio/calls.py) and its status
callback's parameters (src/switchboard/traffic/progress.py): the codes of each refusal, the
test credentials' magic numbers, the events asked for. No server."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.traffic import progress
from switchboard.twilio import calls
from switchboard.twilio.errors import TwilioError

TO, FROM = "+14155550100", "+14155550111"


class Form(dict[str, str]):
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        self.pairs = pairs
        for name, value in pairs:
            self.setdefault(name, value)

    def getall(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]


def form(**values: Any) -> Form:
    pairs: list[tuple[str, str]] = []
    for name, value in {"To": TO, "From": FROM, "Url": "http://example.com/v", **values}.items():
        if value is None:
            continue
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, one))
    return Form(pairs)


def refused(**values: Any) -> TwilioError:
    with pytest.raises(TwilioError) as caught:
        calls.parse_create(form(**values))
    return caught.value


def test_a_url_call_with_defaults() -> None:
    to, from_, options = calls.parse_create(form())
    assert (to, from_) == (TO, FROM)
    assert options["url"] == "http://example.com/v"
    assert options["method"] == "POST"
    assert options["events"] == ["completed"]
    assert options["timeout"] == 60
    assert options["time_limit"] == 14_400
    assert options["record"] is False
    assert options["machine_detection"] is None


@pytest.mark.parametrize(
    ("to", "code"),
    [("+15005550001", 21217), ("+15005550002", 21214), ("+15005550003", 21215),
     ("+15005550004", 21216), ("4155550100", 21217), ("client:", 21217), ("", 21201),
     (None, 21201)],
)  # fmt: skip
def test_to_refusals_and_magic_numbers(to: str | None, code: int) -> None:
    error = refused(To=to)
    assert (error.code, error.status) == (code, 400)


@pytest.mark.parametrize(
    ("from_", "code"),
    [("+15005550001", 21212), ("+15005550007", 21210), ("nope", 21212), (None, 21213)],
)
def test_from_refusals_and_magic_numbers(from_: str | None, code: int) -> None:
    assert refused(From=from_).code == code


def test_magic_from_that_passes_and_client_addresses() -> None:
    assert calls.parse_create(form(From="+15005550006"))[1] == "+15005550006"
    to, from_, _ = calls.parse_create(form(To="client:alice", From="client:bob"))
    assert (to, from_) == ("client:alice", "client:bob")
    assert refused(To=TO, From="client:bob").code == 21212  # a client calls clients only


def test_exactly_one_document_source() -> None:
    assert refused(Url=None).code == 21205
    both = refused(Twiml="<Response/>")
    assert both.code == 20001 and "Url and Twiml" in both.message
    assert refused(Url="ftp://x/y").code == 21205
    assert refused(Url=None, ApplicationSid="AP123").code == 21218
    _, _, options = calls.parse_create(form(Url=None, Twiml="<Response><Say>Hi</Say></Response>"))
    assert options["twiml"] == "<Response><Say>Hi</Say></Response>" and options["url"] is None


def test_other_refusals() -> None:
    assert refused(Method="PUT").code == 21209
    assert refused(StatusCallback="not a url").code == 21609
    assert refused(StatusCallbackEvent="hungup").code == 20001
    assert refused(Timeout="0").code == 20001
    assert refused(Timeout="601").code == 20001
    assert refused(TimeLimit="14401").code == 20001
    assert refused(SendDigits="12a").code == 20001
    assert refused(MachineDetection="Yes").code == 20001
    assert refused(Record="maybe").code == 20001
    assert refused(Url=None, Twiml="x" * 4001).code == 20001


def test_events_repeated_or_spaced_in_twilios_order() -> None:
    _, _, a = calls.parse_create(form(StatusCallbackEvent=["completed", "ringing", "initiated"]))
    _, _, b = calls.parse_create(form(StatusCallbackEvent="answered completed"))
    assert a["events"] == ["initiated", "ringing", "completed"]
    assert b["events"] == ["answered", "completed"]


def test_update_changes() -> None:
    changes = calls.parse_update(Form([("Twiml", "<Response/>"), ("Status", "completed")]))
    assert changes == {"twiml": "<Response/>", "url": None, "status": "completed"}
    with pytest.raises(TwilioError):
        calls.parse_update(Form([("Status", "busy")]))
    with pytest.raises(TwilioError):
        calls.parse_update(Form([("Url", "http://a/b"), ("Twiml", "<Response/>")]))


def test_formatted_numbers() -> None:
    assert calls.formatted("+14158675309") == "(415) 867-5309"
    assert calls.formatted("+442071838750") == "+442071838750"
    assert calls.formatted("client:alice") == "client:alice"


def test_status_callback_parameters() -> None:
    base = {"CallSid": "CA1", "AccountSid": "AC1"}
    ringing = progress.callback_params(base, "ringing", 1_700_000_000_000_000, 1)
    assert ringing["CallStatus"] == "ringing"
    assert ringing["SequenceNumber"] == "1"
    assert ringing["CallbackSource"] == "call-progress-events"
    assert ringing["Timestamp"].endswith("+0000")
    assert "CallDuration" not in ringing
    done = progress.callback_params(base, "completed", 1_700_000_000_000_000, 3, duration=61)
    assert (done["CallDuration"], done["Duration"], done["SipResponseCode"]) == ("61", "2", "200")
    busy = progress.callback_params(base, "busy", 1_700_000_000_000_000, 0, duration=0)
    assert (busy["CallDuration"], busy["SipResponseCode"]) == ("0", "486")


def test_events_asked_for() -> None:
    options = {"plan": {"status_callback": "http://x/s"}, "events": ["ringing", "completed"]}
    assert progress.asked(options, "ringing")
    assert not progress.asked(options, "initiated")
    assert not progress.asked(options, "in-progress")
    assert progress.asked(options, "no-answer")  # every end is the completed event
    assert not progress.asked({"plan": {"status_callback": None}, "events": ["completed"]}, "busy")


def test_answered_by_as_detection_reports_it() -> None:
    assert calls.answered_by("Enable", "human") == "human"
    assert calls.answered_by("Enable", "machine_end_beep") == "machine_start"
    assert calls.answered_by("DetectMessageEnd", "machine_end_beep") == "machine_end_beep"
    assert calls.answered_by("DetectMessageEnd", "machine_start") == "machine_end_other"
    assert calls.answered_by("DetectMessageEnd", "fax") == "fax"
