"""`/switchboard/v1/Accounts/{AccountSid}/Handsets/{E164}[/Messages]`: the phones outside
Switchboard that an account's messages and calls reach.

`POST Handsets/{E164}` sets how the number behaves towards the account (unset parameters keep
their value): `MessageOutcome` (delivered, undelivered, failed) and `MessageErrorCode` (the
30xxx code a failure carries; by default 30003 undelivered, 30008 failed), `CallOutcome`
(completed, busy, no-answer, failed), `AnsweredBy`, `CallDuration` (seconds) and `Input`
(repeatable: digits, speech:<text>, record:<seconds>[key], timeout) for the Gathers it answers.
`GET` shows it (defaults for a number never set), with the account's numbers it opted out of.

`GET Handsets/{E164}/Messages` lists what it received from the account (messages delivered to
it: not those still on their way, undelivered or failed), newest first;
`POST Handsets/{E164}/Messages` (`To`, `Body`, `MediaUrl`) is the handset sending a message to
one of the account's numbers: it arrives as an inbound message through that number's SMS
webhooks. STOP (and Twilio's other opt-out words) opts it out of that number until START; HELP
gets Twilio's default reply.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.listing import plain_list_response
from switchboard.api.messages import content, full
from switchboard.api.render import Reply
from switchboard.store.base import Handset, MessageFilter
from switchboard.traffic.simulate import ERROR_MESSAGES, Input
from switchboard.twilio import errors, rules
from switchboard.twilio.dates import rfc2822
from switchboard.twilio.params import WHOLE_NUMBER
from switchboard.twilio.resources import EXTENSION_ROOT, MESSAGE, Record

MESSAGE_OUTCOMES = ("delivered", "undelivered", "failed")
CALL_OUTCOMES = ("completed", "busy", "no-answer", "failed")
ANSWERED_BY = (
    "human",
    "machine_start",
    "machine_end_beep",
    "machine_end_silence",
    "machine_end_other",
    "fax",
    "unknown",
)
MAX_CALL_DURATION = 14_400  # seconds: Twilio's longest call
MAX_INPUTS = 100
SENT_DIRECTIONS = ("outbound-api", "outbound-reply", "outbound-call")


def _number(req: ApiRequest) -> str:
    number = req.args["number"]
    if not rules.E164_RE.match(number):
        raise errors.invalid_parameter(
            f"A handset is an E.164 number (+15551234567), not {number!r}"
        )
    return number


def _choice(name: str, raw: str | None, choices: tuple[str, ...], current: str) -> str:
    if raw is None:
        return current
    if raw not in choices:
        raise errors.invalid_parameter(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return raw


def _json(req: ApiRequest, handset: Handset, opted_out: list[str]) -> dict[str, Any]:
    base = f"{EXTENSION_ROOT}/Accounts/{req.account.sid}/Handsets/{handset.phone_number}"
    return {
        "account_sid": handset.account_sid,
        "phone_number": handset.phone_number,
        "message_outcome": handset.message_outcome,
        "message_error_code": handset.message_error_code,
        "call_outcome": handset.call_outcome,
        "answered_by": handset.answered_by,
        "call_duration": handset.call_duration,
        "input": list(handset.input),
        "opted_out_of": opted_out,
        "date_created": rfc2822(handset.date_created) if handset.date_created else None,
        "date_updated": rfc2822(handset.date_updated) if handset.date_updated else None,
        "uri": base,
        "messages_uri": f"{base}/Messages",
    }


async def _current(req: ApiRequest, number: str) -> Handset:
    found = await req.store.get_handset(req.account.sid, number)
    return found or Handset(req.account.sid, number)


async def fetch(req: ApiRequest) -> Reply:
    number = _number(req)
    handset = await _current(req, number)
    opted = await req.store.opted_out_of(req.account.sid, number)
    return render.json(_json(req, handset, opted))


async def put(req: ApiRequest) -> Reply:
    number = _number(req)
    if await req.store.locate_number(number) is not None:
        raise errors.invalid_parameter(
            f"{number} is a Switchboard number: messages and calls to it reach its application"
        )
    params = req.params
    old = await _current(req, number)
    message_outcome = _choice(
        "MessageOutcome", params.get("MessageOutcome"), MESSAGE_OUTCOMES, old.message_outcome
    )
    code = old.message_error_code
    raw_code = params.get("MessageErrorCode")
    if raw_code is not None:
        if raw_code == "":
            code = None
        elif not WHOLE_NUMBER.match(raw_code) or int(raw_code) not in ERROR_MESSAGES:
            raise errors.invalid_parameter(
                "MessageErrorCode must be one of "
                f"{', '.join(map(str, ERROR_MESSAGES))}, not {raw_code[:20]!r}"
            )
        else:
            code = int(raw_code)
    duration = old.call_duration
    raw_duration = params.get("CallDuration")
    if raw_duration is not None:
        if not WHOLE_NUMBER.match(raw_duration) or int(raw_duration) > MAX_CALL_DURATION:
            raise errors.invalid_parameter(
                f"CallDuration must be 0 to {MAX_CALL_DURATION} seconds, not {raw_duration[:20]!r}"
            )
        duration = int(raw_duration)
    inputs = old.input
    if "Input" in params:
        given = [v for v in params.getall("Input") if v != ""]
        if len(given) > MAX_INPUTS:
            raise errors.invalid_parameter(f"At most {MAX_INPUTS} Input values")
        inputs = tuple(str(Input.parse(v)) for v in given)
    handset = dataclasses.replace(
        old,
        message_outcome=message_outcome,
        message_error_code=code,
        call_outcome=_choice(
            "CallOutcome", params.get("CallOutcome"), CALL_OUTCOMES, old.call_outcome
        ),
        answered_by=_choice("AnsweredBy", params.get("AnsweredBy"), ANSWERED_BY, old.answered_by),
        call_duration=duration,
        input=inputs,
    )
    saved = await req.store.put_handset(handset)
    opted = await req.store.opted_out_of(req.account.sid, number)
    return render.json(_json(req, saved, opted))


def _message_json(record: Record) -> dict[str, Any]:
    return render.record_json(MESSAGE, full(record), ".json")


async def list_messages(req: ApiRequest) -> Reply:
    number = _number(req)
    store, account_sid = req.store, req.account.sid
    filters = MessageFilter(to=number, direction=SENT_DIRECTIONS, status=("delivered",))
    return await plain_list_response(
        req,
        key="messages",
        sid_prefix=("SM", "MM"),
        path=f"{EXTENSION_ROOT}/Accounts/{account_sid}/Handsets/{number}/Messages",
        fetch=lambda page: store.list_messages(account_sid, filters, page),
        item=_message_json,
    )


async def send_message(req: ApiRequest) -> Reply:
    number = _number(req)
    params = req.params
    to = params.get("To") or ""
    if not to:
        raise errors.missing_phone_number(21604, "To")
    if not rules.E164_RE.match(to):
        raise errors.message_refused(21211, to=to)
    body, media = content(params)
    record = await req.services.simulator.messages.receive(
        req.account, from_=number, to=to, body=body, media=media
    )
    return render.json(_message_json(record), 201)
