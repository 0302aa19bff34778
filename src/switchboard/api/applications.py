"""`/2010-04-01/Accounts/{AccountSid}/Applications[/{Sid}]` handlers."""

from __future__ import annotations

from switchboard.api import render
from switchboard.api.context import Call
from switchboard.api.listing import list_response
from switchboard.api.render import Reply
from switchboard.twilio import errors
from switchboard.twilio.fields import APPLICATION_FIELDS, parse_params
from switchboard.twilio.resources import Record

FIELDS = APPLICATION_FIELDS


def _uri(call: Call, sid: str) -> str:
    return f"{call.base('Applications', sid)}{call.rep.suffix}"


def _one(call: Call, record: Record, status: int = 200) -> Reply:
    return render.one(call.rep, "Application", FIELDS, record, _uri(call, record["sid"]), status)


async def create(call: Call) -> Reply:
    values = parse_params(FIELDS, call.params, create=True)
    record = await call.store.create_application(call.account.sid, values)
    return _one(call, record, 201)


async def list_(call: Call) -> Reply:
    friendly_name = call.params.get("FriendlyName")
    store, account_sid = call.store, call.account.sid
    return await list_response(
        call,
        sid_prefix="AP",
        path=call.base("Applications"),
        key="applications",
        element="Applications",
        item_element="Application",
        fields=FIELDS,
        filters=[("FriendlyName", friendly_name)] if friendly_name is not None else [],
        fetch=lambda page: store.list_applications(
            account_sid, friendly_name=friendly_name, page=page
        ),
        owner=store.application_account,
        item=lambda r: (r, _uri(call, r["sid"])),
    )


async def fetch(call: Call) -> Reply:
    record = await call.store.get_application(call.account.sid, call.sid("AP"))
    if record is None:
        raise errors.not_found(call.path)
    return _one(call, record)


async def update(call: Call) -> Reply:
    sid = call.sid("AP")
    changes = parse_params(FIELDS, call.params, create=False)
    record = await call.store.update_application(call.account.sid, sid, changes)
    if record is None:
        raise errors.not_found(call.path)
    return _one(call, record)


async def delete(call: Call) -> Reply:
    if not await call.store.delete_application(call.account.sid, call.sid("AP")):
        raise errors.not_found(call.path)
    return render.no_content()
