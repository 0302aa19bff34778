"""`/2010-04-01/Accounts[/{Sid}]` and `/Accounts/{AccountSid}/Keys[/{Sid}]` handlers."""

from __future__ import annotations

from typing import Any

from switchboard.api import render
from switchboard.api.context import Call
from switchboard.api.listing import list_response
from switchboard.api.render import Reply
from switchboard.twilio import errors, rules
from switchboard.twilio.fields import (
    ACCOUNT_FIELDS,
    ACCOUNT_STATUSES,
    ACCOUNT_SUBRESOURCES,
    KEY_FIELDS,
    NEW_KEY_FIELDS,
)
from switchboard.twilio.resources import Account, Record

ROOT = "/2010-04-01/Accounts"


def _account_record(call: Call, account: Account) -> tuple[dict[str, Any], str]:
    suffix = call.rep.suffix
    record = {
        "auth_token": account.auth_token,
        "date_created": account.date_created,
        "date_updated": account.date_updated,
        "friendly_name": account.friendly_name,
        "owner_account_sid": account.owner_account_sid,
        "sid": account.sid,
        "status": account.status,
        "subresource_uris": {
            key: f"{ROOT}/{account.sid}/{name}{suffix}"
            for key, name in ACCOUNT_SUBRESOURCES.items()
        },
        "type": account.type,
    }
    return record, f"{ROOT}/{account.sid}{suffix}"


def _one_account(call: Call, account: Account, status: int = 200) -> Reply:
    record, uri = _account_record(call, account)
    return render.one(call.rep, "Account", ACCOUNT_FIELDS, record, uri, status)


def _friendly_name(call: Call) -> str | None:
    raw = call.params.get("FriendlyName")
    return None if raw is None else rules.parse_friendly_name(raw)


async def create_account(call: Call) -> Reply:
    """A subaccount of the authenticated account."""
    parent = call.principal.account
    if parent.is_subaccount:
        raise errors.forbidden("A subaccount cannot create subaccounts")
    name = _friendly_name(call)
    if name is None:
        name = rules.subaccount_default_name(call.now())
    account = await call.store.create_account(name, owner_sid=parent.sid)
    return _one_account(call, account, 201)


async def list_accounts(call: Call) -> Reply:
    """The authenticated account and its subaccounts."""
    root = call.principal.account_sid
    friendly_name = call.params.get("FriendlyName")
    status = call.params.get("Status")
    if status is not None and status not in ACCOUNT_STATUSES:
        raise errors.invalid_parameter(f"Status must be one of {', '.join(ACCOUNT_STATUSES)}")
    filters = [(k, v) for k, v in (("FriendlyName", friendly_name), ("Status", status)) if v]
    store = call.store

    async def owner(sid: str) -> str | None:
        account = await store.get_account(sid)
        if account is None:
            return None
        return root if root in (account.sid, account.owner_account_sid) else account.sid

    return await list_response(
        call,
        sid_prefix="AC",
        path=ROOT,
        key="accounts",
        element="Accounts",
        item_element="Account",
        fields=ACCOUNT_FIELDS,
        filters=filters,
        fetch=lambda page: store.list_account_family(
            root, friendly_name=friendly_name, status=status, page=page
        ),
        owner=owner,
        item=lambda a: _account_record(call, a),
    )


async def fetch_account(call: Call) -> Reply:
    return _one_account(call, call.account)


async def update_account(call: Call) -> Reply:
    account = call.account
    name = _friendly_name(call)
    raw_status = call.params.get("Status")
    status = None if raw_status is None else rules.parse_account_status(raw_status)
    changes_status = status is not None and status != account.status
    is_parent = account.is_subaccount and account.owner_account_sid == call.principal.account_sid
    if changes_status and not is_parent:
        raise errors.forbidden("Only the parent account can change a subaccount's Status")
    updated = await call.store.update_account(account.sid, friendly_name=name, status=status)
    call.services.credentials.forget(account.sid)
    if updated is None:
        raise errors.not_found(call.path)
    return _one_account(call, updated)


# API keys


def _key_uri(call: Call, sid: str) -> str:
    return f"{call.base('Keys', sid)}{call.rep.suffix}"


def _one_key(call: Call, record: Record) -> Reply:
    return render.one(call.rep, "Key", KEY_FIELDS, record, _key_uri(call, record["sid"]))


async def create_key(call: Call) -> Reply:
    """The secret is in this response only; the store keeps a salted hash."""
    name = _friendly_name(call)
    secret = rules.new_key_secret()
    record = await call.store.create_key(call.account.sid, name, rules.hash_secret(secret))
    shown = {**record, "secret": secret}
    return render.one(
        call.rep, "Key", NEW_KEY_FIELDS, shown, _key_uri(call, record["sid"]), status=201
    )


async def list_keys(call: Call) -> Reply:
    store, account_sid = call.store, call.account.sid

    async def owner(sid: str) -> str | None:
        key = await store.get_key(sid)
        return key["account_sid"] if key else None

    return await list_response(
        call,
        sid_prefix="SK",
        path=call.base("Keys"),
        key="keys",
        element="Keys",
        item_element="Key",
        fields=KEY_FIELDS,
        filters=[],
        fetch=lambda page: store.list_keys(account_sid, page),
        owner=owner,
        item=lambda r: (r, _key_uri(call, r["sid"])),
    )


async def fetch_key(call: Call) -> Reply:
    key = await call.store.get_key(call.sid("SK"))
    if key is None or key["account_sid"] != call.account.sid:
        raise errors.not_found(call.path)
    return _one_key(call, key)


async def update_key(call: Call) -> Reply:
    sid = call.sid("SK")
    name = _friendly_name(call)
    if name is None:
        key = await call.store.get_key(sid)
        record = key if key and key["account_sid"] == call.account.sid else None
    else:
        record = await call.store.update_key(call.account.sid, sid, name)
        call.services.credentials.forget(sid)
    if record is None:
        raise errors.not_found(call.path)
    return _one_key(call, record)


async def delete_key(call: Call) -> Reply:
    sid = call.sid("SK")
    deleted = await call.store.delete_key(call.account.sid, sid)
    call.services.credentials.forget(sid)
    if not deleted:
        raise errors.not_found(call.path)
    return render.no_content()
