"""`/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers[/{Local,TollFree,Mobile}|/{Sid}]`."""

from __future__ import annotations

from switchboard.api import render
from switchboard.api.auth import authorize
from switchboard.api.context import Call
from switchboard.api.listing import list_response
from switchboard.api.render import Reply
from switchboard.store.base import NumberFilter
from switchboard.twilio import errors, rules
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.fields import PHONE_NUMBER_FIELDS, parse_bool, parse_params
from switchboard.twilio.resources import Record

FIELDS = PHONE_NUMBER_FIELDS
NAME = "IncomingPhoneNumbers"


def _uri(call: Call, account_sid: str, sid: str) -> str:
    return f"/2010-04-01/Accounts/{account_sid}/{NAME}/{sid}{call.rep.suffix}"


def _one(call: Call, record: Record, status: int = 200) -> Reply:
    uri = _uri(call, record["account_sid"], record["sid"])
    return render.one(call.rep, "IncomingPhoneNumber", FIELDS, record, uri, status)


def _path_type(call: Call) -> str | None:
    kind = call.args.get("kind")
    return rules.NUMBER_TYPES[kind] if kind else None


async def create(call: Call) -> Reply:
    raw_number = call.params.get("PhoneNumber")
    raw_area = call.params.get("AreaCode")
    path_type = _path_type(call)
    phone_number = area_code = None
    if raw_number:
        phone_number = rules.parse_phone_number(raw_number)
    elif raw_area and path_type is None:
        area_code = rules.parse_area_code(raw_area)
    elif path_type is not None:
        raise errors.missing_parameter("Required parameter PhoneNumber is missing")
    else:
        raise errors.missing_parameter("You must provide an AreaCode or a PhoneNumber")
    values = rules.apply_link_rules(parse_params(FIELDS, call.params, create=True))
    record = await call.store.create_number(
        call.account.sid,
        values,
        phone_number=phone_number,
        area_code=area_code,
        number_type=path_type,
    )
    return _one(call, record, 201)


async def list_(call: Call) -> Reply:
    params = call.params
    beta = params.get("Beta")
    if beta is not None:
        parse_bool("Beta", beta)  # our numbers are never beta: either value lists them all
    filters = NumberFilter(
        friendly_name=params.get("FriendlyName"),
        phone_number=params.get("PhoneNumber"),
        origin=params.get("Origin"),
        type=_path_type(call),
    )
    echoed = [
        (name, params[name])
        for name in ("Beta", "FriendlyName", "PhoneNumber", "Origin")
        if params.get(name) is not None
    ]
    kind = call.args.get("kind")
    store, account_sid = call.store, call.account.sid
    return await list_response(
        call,
        sid_prefix="PN",
        path=call.base(NAME, kind) if kind else call.base(NAME),
        key="incoming_phone_numbers",
        element=NAME,
        item_element="IncomingPhoneNumber",
        fields=FIELDS,
        filters=echoed,
        fetch=lambda page: store.list_numbers(account_sid, filters=filters, page=page),
        owner=store.number_account,
        item=lambda r: (r, _uri(call, r["account_sid"], r["sid"])),
    )


async def fetch(call: Call) -> Reply:
    record = await call.store.get_number(call.account.sid, call.sid("PN"))
    if record is None:
        raise errors.not_found(call.path)
    return _one(call, record)


async def update(call: Call) -> Reply:
    sid = call.sid("PN")
    changes = rules.apply_link_rules(parse_params(FIELDS, call.params, create=False))
    move_to = call.params.get("AccountSid")
    if move_to is not None and move_to != call.account.sid:
        try:
            # The principal must be able to act on the target too: parent <-> subaccount.
            await authorize(call.store, call.principal, move_to)
        except TwilioError:
            raise errors.invalid_parameter(
                f"AccountSid {move_to} is not an account this number can be moved to"
            ) from None
    else:
        move_to = None
    record = await call.store.update_number(call.account.sid, sid, changes, move_to=move_to)
    if record is None:
        raise errors.not_found(call.path)
    return _one(call, record)


async def delete(call: Call) -> Reply:
    if not await call.store.delete_number(call.account.sid, call.sid("PN")):
        raise errors.not_found(call.path)
    return render.no_content()
