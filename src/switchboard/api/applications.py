"""`/2010-04-01/Accounts/{AccountSid}/Applications[/{Sid}]` handlers."""

from __future__ import annotations

from starlette.responses import Response

from switchboard.api import paging, render
from switchboard.api.context import Call
from switchboard.twilio import errors
from switchboard.twilio.fields import APPLICATION_FIELDS, parse_params
from switchboard.twilio.resources import Record
from switchboard.twilio.sids import is_sid

FIELDS = APPLICATION_FIELDS


def _uri(call: Call, sid: str) -> str:
    return f"{call.base('Applications', sid)}{call.rep.suffix}"


def _one(call: Call, record: Record, status: int = 200) -> Response:
    return render.one(call.rep, "Application", FIELDS, record, _uri(call, record["sid"]), status)


def _sid(call: Call) -> str:
    sid = call.args["sid"]
    if not is_sid(sid, "AP"):
        raise errors.not_found(call.path)
    return sid


async def create(call: Call) -> Response:
    values = parse_params(FIELDS, call.params, create=True)
    record = await call.store.create_application(call.account.sid, values)
    return _one(call, record, 201)


async def list_(call: Call) -> Response:
    req = paging.parse(call.params, "AP")
    friendly_name = call.params.get("FriendlyName")
    store, account_sid = call.store, call.account.sid
    if req.token_sid is not None:
        owner = await store.application_account(req.token_sid)
        if owner is not None and owner != account_sid:
            raise errors.invalid_page_token(req.token or "")
    rows = await store.list_applications(
        account_sid,
        friendly_name=friendly_name,
        after=req.after,
        before=req.before,
        limit=req.page_size + 1,
    )
    has_more = len(rows) > req.page_size
    if has_more:
        # One row beyond the page tells whether another page exists.
        rows = rows[1:] if req.before is not None else rows[:-1]
    filters = [("FriendlyName", friendly_name)] if friendly_name is not None else []
    meta = paging.envelope(
        f"{call.base('Applications')}{call.rep.suffix}",
        filters,
        req,
        [r["sid"] for r in rows],
        has_more,
    )
    return render.page(
        call.rep,
        "applications",
        "Applications",
        "Application",
        FIELDS,
        [(r, _uri(call, r["sid"])) for r in rows],
        meta,
    )


async def fetch(call: Call) -> Response:
    record = await call.store.get_application(call.account.sid, _sid(call))
    if record is None:
        raise errors.not_found(call.path)
    return _one(call, record)


async def update(call: Call) -> Response:
    sid = _sid(call)
    changes = parse_params(FIELDS, call.params, create=False)
    record = await call.store.update_application(call.account.sid, sid, changes)
    if record is None:
        raise errors.not_found(call.path)
    return _one(call, record)


async def delete(call: Call) -> Response:
    if not await call.store.delete_application(call.account.sid, _sid(call)):
        raise errors.not_found(call.path)
    return render.no_content()
