"""`/2010-04-01/Accounts[/{Sid}]` handlers: the caller's account and its subaccounts."""

from __future__ import annotations

from typing import Any

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.listing import list_response
from switchboard.api.render import Reply
from switchboard.twilio import errors, rules
from switchboard.twilio.params import friendly_name_param
from switchboard.twilio.resources import ACCOUNT, ACCOUNT_STATUSES, ACCOUNT_SUBRESOURCES, Account


def _record(account: Account, suffix: str) -> dict[str, Any]:
    record = account.record()
    record["subresource_uris"] = {
        resource.list_key: resource.list_path.format(account_sid=account.sid) + suffix
        for resource in ACCOUNT_SUBRESOURCES
    }
    return record


def _one(req: ApiRequest, account: Account, status: int = 200) -> Reply:
    return render.one(req.rep, ACCOUNT, _record(account, req.rep.suffix), status)


async def create(req: ApiRequest) -> Reply:
    """A subaccount of the authenticated account."""
    parent = req.principal.account
    if parent.is_subaccount:
        raise errors.forbidden("A subaccount cannot create subaccounts")
    name = friendly_name_param(req.params)
    if name is None:
        name = rules.subaccount_default_name(req.now())
    account = await req.store.create_account(name, owner_sid=parent.sid)
    return _one(req, account, 201)


async def list_(req: ApiRequest) -> Reply:
    """The authenticated account and its subaccounts."""
    root = req.principal.account_sid
    friendly_name = req.params.get("FriendlyName")
    status = req.params.get("Status")
    if status is not None and status not in ACCOUNT_STATUSES:
        raise errors.invalid_parameter(f"Status must be one of {', '.join(ACCOUNT_STATUSES)}")
    filters = [(k, v) for k, v in (("FriendlyName", friendly_name), ("Status", status)) if v]
    store, suffix = req.store, req.rep.suffix

    async def owner(sid: str) -> str | None:
        account = await store.get_account(sid)
        if account is None:
            return None
        return root if root in (account.sid, account.owner_account_sid) else account.sid

    async def fetch(page: Any) -> list[dict[str, Any]]:
        family = await store.list_account_family(
            root, friendly_name=friendly_name, status=status, page=page
        )
        return [_record(a, suffix) for a in family]

    return await list_response(
        req, ACCOUNT, filters=filters, fetch=fetch, owner=owner, path=ACCOUNT.list_path
    )


async def fetch(req: ApiRequest) -> Reply:
    return _one(req, req.account)


async def update(req: ApiRequest) -> Reply:
    account = req.account
    name = friendly_name_param(req.params)
    raw_status = req.params.get("Status")
    status = None if raw_status is None else rules.parse_account_status(raw_status)
    changes_status = status is not None and status != account.status
    is_parent = account.is_subaccount and account.owner_account_sid == req.principal.account_sid
    if changes_status and not is_parent:
        raise errors.forbidden("Only the parent account can change a subaccount's Status")
    updated = await req.store.update_account(account.sid, friendly_name=name, status=status)
    req.services.credentials.forget(account.sid)
    if updated is None:
        raise errors.not_found(req.path)
    return _one(req, updated)
