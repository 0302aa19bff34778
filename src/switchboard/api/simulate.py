"""Our extension beside the Twilio paths: `/switchboard/v1/Accounts/{AccountSid}/...`.

`InboundCalls` and `InboundMessages` run a simulated call or SMS through the number's
application to its webhooks now, and answer 201 with the trace; the traces and the request log
can be read back. Same auth rules as the Twilio paths.
"""

from __future__ import annotations

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.listing import plain_list_response
from switchboard.api.render import Reply
from switchboard.api.request_log import request_filter, request_item
from switchboard.api.routes import EXTENSION_ROOT
from switchboard.routing.simulate import Flow, simulate_call, simulate_message
from switchboard.twilio import errors


async def _run(req: ApiRequest, flow: Flow) -> Reply:
    services = req.services
    trace = await flow(
        services.router, req.account, req.params, keep=services.settings.request_log_limit
    )
    return render.json(trace, 201)


async def create_call(req: ApiRequest) -> Reply:
    return await _run(req, simulate_call)


async def create_message(req: ApiRequest) -> Reply:
    return await _run(req, simulate_message)


async def _fetch(req: ApiRequest, prefix: str, kind: str) -> Reply:
    trace = await req.store.get_trace(req.account.sid, req.sid(prefix), kind)
    if trace is None:
        raise errors.not_found(req.path)
    return render.json(trace)


async def fetch_call(req: ApiRequest) -> Reply:
    return await _fetch(req, "CA", "call")


async def fetch_message(req: ApiRequest) -> Reply:
    return await _fetch(req, "SM", "message")


async def list_requests(req: ApiRequest) -> Reply:
    store, account_sid = req.store, req.account.sid
    filters, given = request_filter(req.params)
    return await plain_list_response(
        req,
        key="requests",
        sid_prefix="RQ",
        path=f"{EXTENSION_ROOT}/Accounts/{account_sid}/Requests",
        fetch=lambda page: store.list_requests(account_sid, page, filters),
        item=request_item,
        filters=given,
    )
