"""`/2010-04-01/Accounts/{AccountSid}/Calls[/{Sid}]`: calls made through the API.

Create answers 201 with the call `queued` (stored with its first job: a 2xx means durable); its
jobs move it on (traffic/outbound.py). List (newest first; filters `To`, `From`,
`ParentCallSid`, `Status`, `StartTime`/`EndTime` and their `<`/`>` forms), fetch, update
(`Url`/`Twiml`/`Method` redirect it, `Status=canceled|completed` end it) and delete (an ended
call), as Twilio's API.
"""

from __future__ import annotations

from typing import Any

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.listing import DAY, day_start, list_response
from switchboard.api.render import Reply
from switchboard.store.base import CallFilter
from switchboard.twilio import errors
from switchboard.twilio.dates import rfc2822
from switchboard.twilio.resources import CALL, CALL_ENDED, CALL_STATUSES, Record

SUBRESOURCES = (
    "events",
    "notifications",
    "recordings",
    "payments",
    "siprec",
    "streams",
    "transcriptions",
    "user_defined_message_subscriptions",
    "user_defined_messages",
)


def _full(record: Record) -> Record:
    path = CALL.path.format_map(record)
    names = {"user_defined_message_subscriptions": "UserDefinedMessageSubscriptions",
             "user_defined_messages": "UserDefinedMessages"}  # fmt: skip
    uris = {k: f"{path}/{names.get(k, k.capitalize())}.json" for k in SUBRESOURCES}
    return {**record, "subresource_uris": uris}


async def create(req: ApiRequest) -> Reply:
    record = await req.services.simulator.place_call(req.account, req.params)
    return render.one(req.rep, CALL, _full(record), 201)


async def fetch(req: ApiRequest) -> Reply:
    record = await req.store.get_call(req.account.sid, req.sid(CALL.prefix))
    if record is None:
        raise errors.not_found(req.path)
    return render.one(req.rep, CALL, _full(record))


async def fetch_history(req: ApiRequest) -> Reply:
    """Our extension (`/switchboard/v1/Accounts/{AC}/Calls/{Sid}`, for the console): the call as
    Twilio shows it, and its history (each status, and the `initiated` event, with when)."""
    record = await req.store.get_call(req.account.sid, req.sid(CALL.prefix))
    if record is None:
        raise errors.not_found(req.path)
    history = record["options"].get("history", [])
    return render.json(
        {
            "account_sid": record["account_sid"],
            "call": render.record_json(CALL, _full(record), ".json"),
            "history": [{"status": status, "date": rfc2822(at)} for status, at in history],
        }
    )


async def update(req: ApiRequest) -> Reply:
    sid = req.sid(CALL.prefix)
    record = await req.services.simulator.update_call(req.account, sid, req.params, req.path)
    return render.one(req.rep, CALL, _full(record))


async def delete(req: ApiRequest) -> Reply:
    sid = req.sid(CALL.prefix)
    record = await req.store.get_call(req.account.sid, sid)
    if record is None:
        raise errors.not_found(req.path)
    if record["status"] not in CALL_ENDED:
        raise errors.call_state(sid, record["status"], "only a call that has ended is deleted")
    if not await req.store.delete_call(req.account.sid, sid):
        raise errors.not_found(req.path)
    return render.no_content()


def _filters(req: ApiRequest) -> tuple[CallFilter, list[tuple[str, str]]]:
    params = req.params
    echoed: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for name, key in (("To", "to"), ("From", "from_"), ("ParentCallSid", "parent_call_sid"),
                      ("Status", "status")):  # fmt: skip
        raw = params.get(name)
        if raw is not None:
            if name == "Status" and raw not in CALL_STATUSES:
                raise errors.invalid_parameter(
                    f"Status must be one of {', '.join(CALL_STATUSES)}, not {raw[:40]!r}"
                )
            values[key] = raw
            echoed.append((name, raw))
    for base, low_key, high_key in (("StartTime", "started_from", "started_before"),
                                    ("EndTime", "ended_from", "ended_before")):  # fmt: skip
        lows, highs = [], []
        for name in (base, f"{base}>", f"{base}<"):
            raw = params.get(name)
            if raw is None:
                continue
            echoed.append((name, raw))
            start = day_start(name, raw)
            if name != f"{base}<":
                lows.append(start)  # on or after that day
            if name != f"{base}>":
                highs.append(start + DAY)  # on or before that day
        if lows:
            values[low_key] = max(lows)
        if highs:
            values[high_key] = min(highs)
    return CallFilter(**values), echoed


async def list_(req: ApiRequest) -> Reply:
    filters, echoed = _filters(req)
    store, account_sid = req.store, req.account.sid
    return await list_response(
        req,
        CALL,
        filters=echoed,
        fetch=lambda page: _with_uris(store.list_calls(account_sid, filters, page)),
        owner=store.call_account,
    )


async def _with_uris(rows: Any) -> list[Record]:
    return [_full(r) for r in await rows]
