"""`POST /switchboard/v1/Accounts/{AC}/Settle`: wait until no job of the account is pending (its
messages' and calls' steps and callbacks all ran), so tests wait on it instead of sleeping.

200 with the counts once the outbox holds nothing of the account; 408 (20408) when `Timeout`
seconds (default 10, at most 300) pass first. It polls one indexed count every `POLL` seconds:
a few reads per second per waiting request, nothing for the other processes to notice.
"""

from __future__ import annotations

import asyncio
import time

import orjson

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.render import Reply
from switchboard.twilio import errors

DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 300.0
POLL = 0.05  # seconds


def _timeout(raw: str | None) -> float:
    if raw is None or raw == "":
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_TIMEOUT or value != value:
        raise errors.invalid_parameter(
            f"Timeout must be a number of seconds from 0 to {MAX_TIMEOUT:g}, not {raw[:20]!r}"
        )
    return value


async def settle(req: ApiRequest) -> Reply:
    timeout = _timeout(req.params.get("Timeout"))
    account_sid = req.account.sid
    started = time.monotonic()
    deadline = started + timeout
    while True:
        pending = await req.store.pending_jobs(account_sid)
        if pending == 0:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            raise errors.settle_timeout(account_sid, pending, timeout)
        await asyncio.sleep(min(POLL, left))
    counts = await req.store.account_counts(account_sid)
    body = {
        "account_sid": account_sid,
        "pending_jobs": 0,
        "waited": round(time.monotonic() - started, 3),
        "counts": counts,
    }
    return Reply(orjson.dumps(body), 200, render.JSON)
