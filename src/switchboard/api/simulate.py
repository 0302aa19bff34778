"""Our extension beside the Twilio paths: `/switchboard/v1/Accounts/{AccountSid}/...`.

`InboundCalls` and `InboundMessages` run a simulated call or SMS through the number's
application to its webhooks now, and answer 201 with the trace; an interactive call answers as
soon as it waits for its caller, and `…/InboundCalls/{CallSid}/Input` and `…/Hangup` continue
it. Traces and the request log can be read back. Same auth rules as the Twilio paths.
"""

from __future__ import annotations

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.render import Reply
from switchboard.api.traces import trace_json
from switchboard.traffic.simulate import TraceView
from switchboard.twilio import errors


def _reply(view: TraceView, status: int = 200) -> Reply:
    return render.json(trace_json(view.body, view.requests), status)


async def create_call(req: ApiRequest) -> Reply:
    return _reply(await req.services.simulator.call(req.account, req.params), 201)


async def call_input(req: ApiRequest) -> Reply:
    sid = req.sid("CA")
    view = await req.services.simulator.call_input(req.account, sid, req.params, req.path)
    return _reply(view)


async def call_hangup(req: ApiRequest) -> Reply:
    sid = req.sid("CA")
    return _reply(await req.services.simulator.call_hangup(req.account, sid, req.path))


async def create_message(req: ApiRequest) -> Reply:
    return _reply(await req.services.simulator.message(req.account, req.params), 201)


async def _fetch(req: ApiRequest, prefix: str, kind: str) -> Reply:
    stored = await req.store.get_trace(req.account.sid, req.sid(prefix), kind)
    if stored is None:
        raise errors.not_found(req.path)
    return render.json(trace_json(*stored))


async def fetch_call(req: ApiRequest) -> Reply:
    return await _fetch(req, "CA", "call")


async def fetch_message(req: ApiRequest) -> Reply:
    prefix = "MM" if req.args["sid"].startswith("MM") else "SM"  # an MMS has an MM SID
    return await _fetch(req, prefix, "message")
