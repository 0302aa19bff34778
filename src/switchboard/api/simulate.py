"""Our extension beside the Twilio paths: `/switchboard/v1/Accounts/{AccountSid}/...`.

`InboundCalls` and `InboundMessages` run a simulated call or SMS through the number's
application to its webhooks now, and answer 201 with the trace; the traces and the request log
can be read back. Same auth rules as the Twilio paths.
"""

from __future__ import annotations

from typing import Any

import orjson

from switchboard.api.context import Call
from switchboard.api.listing import list_response
from switchboard.api.render import JSON, Reply
from switchboard.routing.simulate import Flow, simulate_call, simulate_message
from switchboard.twilio import errors
from switchboard.twilio.dates import rfc2822


def _json(body: Any, status: int = 200) -> Reply:
    return Reply(orjson.dumps(body), status, JSON)


async def _run(call: Call, flow: Flow) -> Reply:
    services = call.services
    trace = await flow(
        services.router, call.account, call.params, keep=services.settings.request_log_limit
    )
    return _json(trace, 201)


async def create_call(call: Call) -> Reply:
    return await _run(call, simulate_call)


async def create_message(call: Call) -> Reply:
    return await _run(call, simulate_message)


async def _fetch(call: Call, prefix: str, kind: str) -> Reply:
    trace = await call.store.get_trace(call.account.sid, call.sid(prefix), kind)
    if trace is None:
        raise errors.not_found(call.path)
    return _json(trace)


async def fetch_call(call: Call) -> Reply:
    return await _fetch(call, "CA", "call")


async def fetch_message(call: Call) -> Reply:
    return await _fetch(call, "SM", "message")


def _request_item(row: dict[str, Any]) -> tuple[dict[str, Any], str]:
    trace_sid = row.pop("trace_sid")
    key = "call_sid" if trace_sid.startswith("CA") else "message_sid"
    record = {"sid": row.pop("sid"), key: trace_sid, **row}
    record["date_created"] = rfc2822(row["date_created"])
    return record, ""


async def list_requests(call: Call) -> Reply:
    store, account_sid = call.store, call.account.sid
    return await list_response(
        call,
        sid_prefix="RQ",
        path=f"/switchboard/v1/Accounts/{account_sid}/Requests",
        key="requests",
        element="Requests",
        item_element="Request",
        fields=None,
        filters=[],
        fetch=lambda page: store.list_requests(account_sid, page),
        owner=None,
        item=_request_item,
    )
