"""Voice SDK clients in our extension (docs/clients.md): `…/ClientCalls`, a device's call
through its token's TwiML App; `…/Clients[/{Sid}]`, devices registered to be rung.

A token may be of the path's account or of any account the credentials may act on (a
subaccount); the call or the device then belongs to the token's account.
"""

from __future__ import annotations

from typing import Any

from switchboard.api import render
from switchboard.api.auth import Credentials, Principal, authorize
from switchboard.api.context import ApiRequest
from switchboard.api.listing import plain_list_response
from switchboard.api.render import Reply
from switchboard.api.traces import trace_json
from switchboard.traffic.clients import Accounts
from switchboard.twilio import errors
from switchboard.twilio.dates import rfc2822
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.resources import EXTENSION_ROOT, Account, Record

PREFIX = "DV"


def accounts_for(credentials: Credentials, principal: Principal, account: Account) -> Accounts:
    """The accounts a token may belong to here: `account` (the path's), or one the principal
    may act on."""

    async def lookup(sid: str) -> Account | None:
        if sid == account.sid:
            return account
        try:
            return await authorize(credentials, principal, sid)
        except TwilioError:
            return None

    return lookup


def _accounts(req: ApiRequest) -> Accounts:
    return accounts_for(req.services.credentials, req.principal, req.account)


def device_json(device: Record) -> dict[str, Any]:
    script = device["script"]
    hangup = script["hangup_at"]
    return {
        "sid": device["sid"],
        "account_sid": device["account_sid"],
        "identity": device["identity"],
        "key_sid": device["key_sid"],
        "answer": device["answer"],
        "script": {
            "input": script["inputs"],
            "dial_status": script["dial_statuses"],
            "dial_duration": script["dial_durations"],
            "hangup_after": None if hangup is None else hangup // 1000,
        },
        "calls": [
            {
                "call_sid": c["call_sid"],
                "parent_call_sid": c["parent_call_sid"],
                "from": c["from"],
                "to": c["to"],
                "parameters": c["parameters"],
                "status": c["status"],
                "date_created": rfc2822(c["at"]),
            }
            for c in device["calls"]
        ],
        "date_created": rfc2822(device["date_created"]),
        "date_expires": rfc2822(device["expires_at"]),
        "uri": f"{EXTENSION_ROOT}/Accounts/{device['account_sid']}/Clients/{device['sid']}",
    }


async def create_call(req: ApiRequest) -> Reply:
    view = await req.services.simulator.client_call(_accounts(req), req.params)
    return render.json(trace_json(view.body, view.requests), 201)


async def register(req: ApiRequest) -> Reply:
    device = await req.services.simulator.register_client(_accounts(req), req.params)
    return render.json(device_json(device), 201)


async def list_(req: ApiRequest) -> Reply:
    store, account_sid = req.store, req.account.sid
    return await plain_list_response(
        req,
        key="clients",
        sid_prefix=PREFIX,
        path=f"{EXTENSION_ROOT}/Accounts/{account_sid}/Clients",
        fetch=lambda page: store.list_devices(account_sid, page),
        item=device_json,
    )


async def fetch(req: ApiRequest) -> Reply:
    device = await req.store.get_device(req.account.sid, req.sid(PREFIX))
    if device is None:
        raise errors.not_found(req.path)
    return render.json(device_json(device))


async def delete(req: ApiRequest) -> Reply:
    if not await req.store.delete_device(req.account.sid, req.sid(PREFIX)):
        raise errors.not_found(req.path)
    return render.no_content()
