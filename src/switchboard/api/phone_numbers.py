"""`/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers[/{Local,TollFree,Mobile}|/{Sid}]`."""

from __future__ import annotations

from switchboard.api import render
from switchboard.api.auth import authorize
from switchboard.api.context import ApiRequest
from switchboard.api.listing import list_response
from switchboard.api.render import Reply
from switchboard.store.base import NumberFilter
from switchboard.twilio import errors, rules
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.params import parse_bool, parse_params
from switchboard.twilio.resources import INCOMING_PHONE_NUMBER

NUMBER = INCOMING_PHONE_NUMBER


def _path_type(req: ApiRequest) -> str | None:
    kind = req.args.get("kind")
    return rules.NUMBER_TYPES[kind] if kind else None


async def create(req: ApiRequest) -> Reply:
    raw_number = req.params.get("PhoneNumber")
    raw_area = req.params.get("AreaCode")
    path_type = _path_type(req)
    phone_number = area_code = None
    if raw_number:
        phone_number = rules.parse_phone_number(raw_number)
    elif raw_area and path_type is None:
        area_code = rules.parse_area_code(raw_area)
    elif path_type is not None:
        raise errors.missing_parameter("Required parameter PhoneNumber is missing")
    else:
        raise errors.missing_parameter("You must provide an AreaCode or a PhoneNumber")
    values = rules.apply_link_rules(parse_params(NUMBER.fields, req.params, create=True))
    record = await req.store.create_number(
        req.account.sid,
        values,
        phone_number=phone_number,
        area_code=area_code,
        number_type=path_type,
    )
    return render.one(req.rep, NUMBER, record, 201)


async def list_(req: ApiRequest) -> Reply:
    params = req.params
    beta = params.get("Beta")
    if beta is not None:
        parse_bool("Beta", beta)  # our numbers are never beta: either value lists them all
    filters = NumberFilter(
        friendly_name=params.get("FriendlyName"),
        phone_number=params.get("PhoneNumber"),
        origin=params.get("Origin"),
        type=_path_type(req),
    )
    echoed = [
        (name, params[name])
        for name in ("Beta", "FriendlyName", "PhoneNumber", "Origin")
        if params.get(name) is not None
    ]
    path = NUMBER.list_path.format(account_sid=req.account.sid)
    kind = req.args.get("kind")
    store, account_sid = req.store, req.account.sid
    return await list_response(
        req,
        NUMBER,
        filters=echoed,
        fetch=lambda page: store.list_numbers(account_sid, filters=filters, page=page),
        owner=store.number_account,
        path=f"{path}/{kind}" if kind else path,
    )


async def fetch(req: ApiRequest) -> Reply:
    record = await req.store.get_number(req.account.sid, req.sid(NUMBER.prefix))
    if record is None:
        raise errors.not_found(req.path)
    return render.one(req.rep, NUMBER, record)


async def update(req: ApiRequest) -> Reply:
    sid = req.sid(NUMBER.prefix)
    changes = rules.apply_link_rules(parse_params(NUMBER.fields, req.params, create=False))
    move_to = req.params.get("AccountSid")
    if move_to is not None and move_to != req.account.sid:
        try:
            # The principal must be able to act on the target too: parent <-> subaccount.
            await authorize(req.store, req.principal, move_to)
        except TwilioError:
            raise errors.invalid_parameter(
                f"AccountSid {move_to} is not an account this number can be moved to"
            ) from None
    else:
        move_to = None
    record = await req.store.update_number(req.account.sid, sid, changes, move_to=move_to)
    if record is None:
        raise errors.not_found(req.path)
    return render.one(req.rep, NUMBER, record)


async def delete(req: ApiRequest) -> Reply:
    if not await req.store.delete_number(req.account.sid, req.sid(NUMBER.prefix)):
        raise errors.not_found(req.path)
    return render.no_content()
