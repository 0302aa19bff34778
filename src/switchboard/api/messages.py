"""`/2010-04-01/Accounts/{AccountSid}/Messages[/{Sid}]` and a message's `/Media[/{Sid}]`.

Create answers 201 `queued` once the message and its first job are stored; the rest of its life
(sending, sent, delivered... and the status callbacks) is the outbox's (traffic/outbound.py).
List is newest first, filtered by `To`, `From`, `DateSent`, `DateSent<`, `DateSent>`. Update takes
`Body=""` alone (redaction); delete removes the message and its media. A message with media has
an `MM` SID, and its media list, fetch and delete are Twilio's.

The legacy `/SMS/Messages` path (`create_legacy`) sends the same way; with `ApplicationSid` its
statuses go to the application's `sms_status_callback`, as Twilio's old SMS resource did.
"""

from __future__ import annotations

import re
from typing import Any

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.listing import DAY, day_start, list_response
from switchboard.api.render import Reply
from switchboard.api.wire import Params
from switchboard.store.base import MessageFilter
from switchboard.traffic.simulate import LEGACY_PURPOSE, STATUS_PURPOSE, Outgoing
from switchboard.twilio import errors, rules
from switchboard.twilio.dates import rfc2822
from switchboard.twilio.params import WHOLE_NUMBER, valid_url
from switchboard.twilio.resources import MEDIA, MESSAGE, Record
from switchboard.twilio.sids import is_sid

_PRICE = re.compile(r"^[0-9]{1,6}(\.[0-9]{1,5})?\Z")
PENDING = frozenset({"queued", "sending", "accepted", "scheduled", "receiving"})
MAX_VALIDITY = 36_000  # seconds (Twilio: 1 to 36000, 10 hours)


def full(record: Record) -> Record:
    """The record with its derived subresource URIs."""
    path = MESSAGE.path.format_map(record)
    return {
        **record,
        "subresource_uris": {"media": f"{path}/Media.json", "feedback": f"{path}/Feedback.json"},
    }


def _sid(req: ApiRequest, name: str = "sid") -> str:
    sid = req.args[name]
    if not (is_sid(sid, "SM") or is_sid(sid, "MM")):
        raise errors.not_found(req.path)
    return sid


async def _outgoing(req: ApiRequest, purpose: str) -> Outgoing:
    """The create's parameters, judged in Twilio's order (shape first, then the numbers)."""
    params = req.params
    to = params.get("To") or ""
    if not to:
        raise errors.missing_phone_number(21604, "To")
    if params.get("MessagingServiceSid"):
        raise errors.invalid_parameter(
            "MessagingServiceSid is not supported by Switchboard: send From one of your numbers"
        )
    from_ = params.get("From") or ""
    if not from_:
        raise errors.missing_phone_number(21603, "From")
    body, media = content(params)
    callback = params.get("StatusCallback") or None
    if callback is not None and not valid_url(callback):
        raise errors.invalid_status_callback(callback)
    validity = params.get("ValidityPeriod")
    if validity is not None and (
        not WHOLE_NUMBER.match(validity) or not 1 <= int(validity) <= MAX_VALIDITY
    ):
        raise errors.invalid_parameter(
            f"ValidityPeriod must be 1 to {MAX_VALIDITY} seconds, not {validity[:20]!r}"
        )
    max_price = params.get("MaxPrice")
    if max_price is not None and not _PRICE.match(max_price):
        raise errors.invalid_parameter(f"MaxPrice must be a decimal amount, not {max_price[:20]!r}")
    app_sid = params.get("ApplicationSid") or None
    if app_sid is not None:
        app = None
        if is_sid(app_sid, "AP"):
            app = await req.store.get_application(req.account.sid, app_sid)
        if app is None:
            raise errors.invalid_message_application(app_sid)
        # The application's callback wins; the request's StatusCallback is ignored.
        key = "sms_status_callback" if purpose == LEGACY_PURPOSE else "message_status_callback"
        callback = app[key] or None
    return Outgoing(
        req.account,
        to,
        from_,
        body,
        tuple(media),
        status_callback=callback,
        application_sid=app_sid,
        purpose=purpose,
    )


def content(params: Params) -> tuple[str, list[str]]:
    """A message's `Body` and `MediaUrl`s, as Twilio refuses them: neither (21602), a body over
    1600 characters (21617), more than 10 media (21623), a media URL that is not one."""
    body = params.get("Body") or ""
    media = [url for url in params.getall("MediaUrl") if url != ""]
    if not body and not media:
        raise errors.message_refused(21602)
    if len(body) > rules.MAX_BODY:
        raise errors.body_too_long()
    if len(media) > rules.MAX_MEDIA:
        raise errors.message_refused(21623)
    for url in media:
        if not valid_url(url):
            raise errors.invalid_media_url(url)
    return body, media


async def create(req: ApiRequest) -> Reply:
    out = await _outgoing(req, STATUS_PURPOSE)
    record = await req.services.simulator.messages.send(out)
    return render.one(req.rep, MESSAGE, full(record), 201)


async def create_legacy(req: ApiRequest) -> Reply:
    """The deprecated `/SMS/Messages` resource: the same message, its callbacks the
    application's `sms_status_callback`."""
    out = await _outgoing(req, LEGACY_PURPOSE)
    record = await req.services.simulator.messages.send(out)
    return render.one(req.rep, MESSAGE, full(record), 201)


async def _get(req: ApiRequest) -> Record:
    record = await req.store.get_message(req.account.sid, _sid(req))
    if record is None:
        raise errors.not_found(req.path)
    return record


async def fetch(req: ApiRequest) -> Reply:
    return render.one(req.rep, MESSAGE, full(await _get(req)))


async def fetch_history(req: ApiRequest) -> Reply:
    """Our extension (`/switchboard/v1/Accounts/{AC}/Messages/{Sid}`, for the console): the
    message as Twilio shows it, and its status history (each status, when, its error code)."""
    record = await _get(req)
    return render.json(
        {
            "account_sid": record["account_sid"],
            "message": render.record_json(MESSAGE, full(record), ".json"),
            "history": [
                {"status": status, "date": rfc2822(at), "error_code": code}
                for status, at, code in record["history"]
            ],
        }
    )


async def update(req: ApiRequest) -> Reply:
    """`Body=""` redacts the body (Twilio's only update of a sent message)."""
    record = await _get(req)
    if req.params.get("Body") != "" or any(k != "Body" for k in req.params):
        raise errors.invalid_parameter(
            "A message can only be redacted: send Body set to the empty string, alone"
        )
    if record["status"] in PENDING:
        raise errors.message_not_redactable(record["sid"])
    changed = await req.store.update_message(req.account.sid, record["sid"], {"body": ""})
    if changed is None:
        raise errors.not_found(req.path)
    return render.one(req.rep, MESSAGE, full(changed))


async def delete(req: ApiRequest) -> Reply:
    record = await _get(req)
    if record["status"] in PENDING:
        raise errors.message_not_deletable(record["sid"])
    if not await req.store.delete_message(req.account.sid, record["sid"]):
        raise errors.not_found(req.path)
    return render.no_content()


def _filters(req: ApiRequest) -> tuple[MessageFilter, list[tuple[str, str]]]:
    params = req.params
    echoed: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for name, key in (("To", "to"), ("From", "from_")):
        raw = params.get(name)
        if raw is not None:
            values[key] = raw
            echoed.append((name, raw))
    lows, highs = [], []
    for name in ("DateSent", "DateSent>", "DateSent<"):
        raw = params.get(name)
        if raw is None:
            continue
        echoed.append((name, raw))
        start = day_start(name, raw)
        end = start + DAY
        if name != "DateSent<":
            lows.append(start)  # on or after
        if name != "DateSent>":
            highs.append(end)  # on or before
    if lows:
        values["sent_from"] = max(lows)
    if highs:
        values["sent_until"] = min(highs)
    return MessageFilter(**values), echoed


async def list_(req: ApiRequest) -> Reply:
    filters, echoed = _filters(req)
    store, account_sid = req.store, req.account.sid

    async def fetch_page(page: Any) -> list[Record]:
        return [full(r) for r in await store.list_messages(account_sid, filters, page)]

    return await list_response(
        req, MESSAGE, filters=echoed, fetch=fetch_page, owner=store.message_account
    )


# Media


async def _message_sid(req: ApiRequest) -> str:
    sid = _sid(req, "parent_sid")
    if await req.store.get_message(req.account.sid, sid) is None:
        raise errors.not_found(req.path)
    return sid


async def media_list(req: ApiRequest) -> Reply:
    parent = await _message_sid(req)
    store, account_sid = req.store, req.account.sid

    async def owner(sid: str) -> str | None:
        found = await store.get_media(account_sid, parent, sid)
        return account_sid if found is not None else None

    path = MEDIA.list_path.format(account_sid=account_sid, parent_sid=parent)
    return await list_response(
        req,
        MEDIA,
        fetch=lambda page: store.list_media(account_sid, parent, page),
        owner=owner,
        path=path,
    )


async def media_fetch(req: ApiRequest) -> Reply:
    parent = _sid(req, "parent_sid")
    record = await req.store.get_media(req.account.sid, parent, req.sid(MEDIA.prefix))
    if record is None:
        raise errors.not_found(req.path)
    return render.one(req.rep, MEDIA, record)


async def media_delete(req: ApiRequest) -> Reply:
    parent = _sid(req, "parent_sid")
    if not await req.store.delete_media(req.account.sid, parent, req.sid(MEDIA.prefix)):
        raise errors.not_found(req.path)
    return render.no_content()
