"""`/2010-04-01/Accounts/{AccountSid}/Keys[/{Sid}]` handlers: standard API keys.

The secret is in the create response only (the store keeps it, to check Access Tokens' signatures,
but no other answer shows it: handlers get records without it).
"""

from __future__ import annotations

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.listing import list_response
from switchboard.api.render import Reply
from switchboard.twilio import errors, rules
from switchboard.twilio.params import friendly_name_param
from switchboard.twilio.resources import KEY, NEW_KEY


async def create(req: ApiRequest) -> Reply:
    name = friendly_name_param(req.params)
    secret = rules.new_key_secret()
    record = await req.store.create_key(req.account.sid, name, secret)
    return render.one(req.rep, NEW_KEY, {**record, "secret": secret}, status=201)


async def list_(req: ApiRequest) -> Reply:
    store, account_sid = req.store, req.account.sid

    async def owner(sid: str) -> str | None:
        key = await store.get_key(sid)
        return key.account_sid if key else None

    return await list_response(
        req, KEY, fetch=lambda page: store.list_keys(account_sid, page), owner=owner
    )


async def fetch(req: ApiRequest) -> Reply:
    key = await req.store.get_key(req.sid(KEY.prefix))
    if key is None or key.account_sid != req.account.sid:
        raise errors.not_found(req.path)
    return render.one(req.rep, KEY, key.record())


async def update(req: ApiRequest) -> Reply:
    sid = req.sid(KEY.prefix)
    name = friendly_name_param(req.params)
    if name is None:
        key = await req.store.get_key(sid)
        record = key.record() if key and key.account_sid == req.account.sid else None
    else:
        record = await req.store.update_key(req.account.sid, sid, name)
        req.services.credentials.forget(sid)
    if record is None:
        raise errors.not_found(req.path)
    return render.one(req.rep, KEY, record)


async def delete(req: ApiRequest) -> Reply:
    sid = req.sid(KEY.prefix)
    deleted = await req.store.delete_key(req.account.sid, sid)
    req.services.credentials.forget(sid)
    if not deleted:
        raise errors.not_found(req.path)
    return render.no_content()
