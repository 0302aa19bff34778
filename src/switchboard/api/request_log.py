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
from urllib.parse import urlencode

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.render import Reply
from switchboard.store.base import RequestFilter
from switchboard.twilio import errors
from switchboard.twilio.dates import rfc2822
from switchboard.twilio.params import URL_MAX
from switchboard.twilio.sids import is_sid

PREFIX = "RQ"
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,63}\Z")
_ERROR_CODE = re.compile(r"^[0-9]{1,6}\Z")
OUTCOMES = {"ok": False, "failed": True}  # Outcome -> RequestFilter.failed


def request_item(row: dict[str, Any]) -> dict[str, Any]:
    """A request of the log as JSON: its call's or message's SID under the key of its kind."""
    trace_sid = row.pop("trace_sid")
    key = "call_sid" if trace_sid.startswith("CA") else "message_sid"
    record = {"sid": row.pop("sid"), key: trace_sid, **row}
    record["date_created"] = rfc2822(row["date_created"])
    return record


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
    if message is not None and not is_sid(message, "SM"):
        raise errors.invalid_parameter(f"MessageSid must be a message SID (SM…), not {message!r}")
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
    return render.json(request_item(await _get(req)))


def _as_requested(url: str, method: str, params: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The URL and parameters to send again. A GET's log entry holds the URL with its
    parameters appended (what was requested and signed); take them off, or, should they not
    be found there, send the URL as logged with no parameters (still the same request)."""
    if method == "GET" and params:
        query = urlencode(params)
        for separator in "?&":
            if url.endswith(separator + query):
                return url[: -len(query) - 1], dict(params)
        return url, {}
    return url, dict(params)


async def replay(req: ApiRequest) -> Reply:
    original = await _get(req)
    method = str(original["method"]).upper()
    url, params = _as_requested(original["url"], method, original.get("params") or {})
    services = req.services
    delivery = await services.router.webhooks.send(
        original["purpose"], method, url, params, req.account.auth_token
    )
    record = {**delivery.to_json(), "replay_of": original["sid"]}
    [sid] = await req.store.log_requests(
        req.account.sid,
        original["trace_sid"],
        [record],
        keep=services.settings.request_log_limit,
    )
    logged = await req.store.get_request(req.account.sid, sid)
    if logged is None:  # already pruned by a log limit of 0 or a burst of traffic
        logged = {"sid": sid, "trace_sid": original["trace_sid"], "date_created": req.now()}
        logged.update(record)
    return render.json(request_item(logged), 201)
