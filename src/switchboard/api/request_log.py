"""The webhook request log beyond its list: the list's filters, one request, and its replay.

`GET …/Requests` takes filters (all optional, an empty value is no filter; each must hold):
`CallSid` or `MessageSid` (the trace the request belongs to), `Purpose` (exact: `voice_url`,
`sms_url`, `status_callback`, …), `Url` (a part of the URL, case-sensitive), `Outcome` (`ok`: no
error recorded; `failed`: one was), `ErrorCode`.

`POST …/Requests/{RequestSid}/Replay` sends a logged request again: to the URL it went to, with
its method and parameters, signed afresh with the account's auth token, through the same webhook
client as every simulated call (so the webhook target policy applies). The new delivery joins the
log beside the original (same call or message; `replay_of` names the original) and is the answer
(201), failed or not, as a simulated call's trace is. The browser never signs: it holds the user's
credentials only for the session and never sees an auth token when signed in with a key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.listing import plain_list_response
from switchboard.api.render import Reply
from switchboard.api.traces import log_item
from switchboard.store.base import RequestFilter
from switchboard.twilio import errors
from switchboard.twilio.params import URL_MAX
from switchboard.twilio.resources import EXTENSION_ROOT
from switchboard.twilio.sids import is_sid

PREFIX = "RQ"
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,63}\Z")
_ERROR_CODE = re.compile(r"^[0-9]{1,6}\Z")
OUTCOMES = {"ok": False, "failed": True}  # Outcome -> RequestFilter.failed


def request_filter(params: Mapping[str, str]) -> tuple[RequestFilter, list[tuple[str, str]]]:
    """The list's filters from its query, and the ones given as sent (echoed in page URIs)."""
    given = [
        (name, value)
        for name in ("CallSid", "MessageSid", "Purpose", "Url", "Outcome", "ErrorCode")
        if (value := params.get(name))
    ]
    found = dict(given)
    call, message = found.get("CallSid"), found.get("MessageSid")
    if call and message:
        raise errors.invalid_parameter("Filter by CallSid or by MessageSid, not both")
    if call is not None and not is_sid(call, "CA"):
        raise errors.invalid_parameter(f"CallSid must be a call SID (CA…), not {call!r}")
    if message is not None and not (is_sid(message, "SM") or is_sid(message, "MM")):
        raise errors.invalid_parameter(
            f"MessageSid must be a message SID (SM… or MM…), not {message!r}"
        )
    purpose = found.get("Purpose")
    if purpose is not None and not _PURPOSE.match(purpose):
        raise errors.invalid_parameter(f"Purpose is not a request purpose: {purpose!r}")
    url = found.get("Url")
    if url is not None and len(url) > URL_MAX:
        raise errors.invalid_parameter(f"Url must be at most {URL_MAX} characters")
    outcome = found.get("Outcome")
    if outcome is not None and outcome not in OUTCOMES:
        raise errors.invalid_parameter(f"Outcome must be ok or failed, not {outcome!r}")
    code = found.get("ErrorCode")
    if code is not None and not _ERROR_CODE.match(code):
        raise errors.invalid_parameter(f"ErrorCode must be an error code (digits), not {code!r}")
    filters = RequestFilter(
        trace_sid=call or message,
        purpose=purpose,
        url=url,
        failed=None if outcome is None else OUTCOMES[outcome],
        error_code=None if code is None else int(code),
    )
    return filters, given


async def _get(req: ApiRequest) -> dict[str, Any]:
    found = await req.store.get_request(req.account.sid, req.sid(PREFIX))
    if found is None:
        raise errors.not_found(req.path)
    return found


async def fetch(req: ApiRequest) -> Reply:
    return render.json(log_item(await _get(req)))


async def list_(req: ApiRequest) -> Reply:
    store, account_sid = req.store, req.account.sid
    filters, given = request_filter(req.params)
    return await plain_list_response(
        req,
        key="requests",
        sid_prefix=PREFIX,
        path=f"{EXTENSION_ROOT}/Accounts/{account_sid}/Requests",
        fetch=lambda page: store.list_requests(account_sid, page, filters),
        item=log_item,
        filters=given,
    )


async def replay(req: ApiRequest) -> Reply:
    original = await _get(req)
    sid = await req.services.simulator.replay(req.account, original)
    logged = await req.store.get_request(req.account.sid, sid)
    if logged is None:  # already pruned by a log limit of 0 or a burst of traffic
        raise errors.not_found(req.path)
    return render.json(log_item(logged), 201)
