"""`/2010-04-01/Accounts/{AccountSid}/Applications[/{Sid}]` handlers."""

from __future__ import annotations

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.listing import list_response
from switchboard.api.render import Reply
from switchboard.twilio import errors
from switchboard.twilio.params import parse_params
from switchboard.twilio.resources import APPLICATION


async def create(req: ApiRequest) -> Reply:
    values = parse_params(APPLICATION.fields, req.params, create=True)
    record = await req.store.create_application(req.account.sid, values)
    return render.one(req.rep, APPLICATION, record, 201)


async def list_(req: ApiRequest) -> Reply:
    friendly_name = req.params.get("FriendlyName")
    store, account_sid = req.store, req.account.sid
    return await list_response(
        req,
        APPLICATION,
        filters=[("FriendlyName", friendly_name)] if friendly_name is not None else [],
        fetch=lambda page: store.list_applications(
            account_sid, friendly_name=friendly_name, page=page
        ),
        owner=store.application_account,
    )


async def fetch(req: ApiRequest) -> Reply:
    record = await req.store.get_application(req.account.sid, req.sid(APPLICATION.prefix))
    if record is None:
        raise errors.not_found(req.path)
    return render.one(req.rep, APPLICATION, record)


async def update(req: ApiRequest) -> Reply:
    sid = req.sid(APPLICATION.prefix)
    changes = parse_params(APPLICATION.fields, req.params, create=False)
    record = await req.store.update_application(req.account.sid, sid, changes)
    if record is None:
        raise errors.not_found(req.path)
    return render.one(req.rep, APPLICATION, record)


async def delete(req: ApiRequest) -> Reply:
    if not await req.store.delete_application(req.account.sid, req.sid(APPLICATION.prefix)):
        raise errors.not_found(req.path)
    return render.no_content()
